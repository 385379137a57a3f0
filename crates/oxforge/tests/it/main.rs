#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Integration tests: real HTTP against real PostgreSQL. One binary, so one cluster per run
//! (see `oxforge-testkit`); each test gets its own database and server.

mod support;
mod write_load;

mod accounts;
mod admin;
mod admin_api;
mod admin_completion;
mod audit;
mod auth_abuse;
mod auth_config;
mod bootstrap;
mod bootstrap_components;
mod bulk;
mod cli;
mod credentials;
mod docs;
mod edge_limits;
mod embedded_restart;
mod embedding;
mod grid;
mod http_basics;
mod injection;
mod lifecycle;
mod logs;
mod newcomer_messages;
mod outage;
mod prepared;
mod providers;
mod records;
mod rls;
mod rls_leak;
mod rpc;
mod rust_client;
mod s3_gateway;
mod schema_cache;
mod secrets_at_rest;
mod security;
mod sql_as;
mod storage;
mod storage_cli;
mod storage_client;
