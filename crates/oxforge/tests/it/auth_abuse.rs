//! Abuse of sign-in: brute force and lockout (per address, behind trusted proxies only), weak
//! root admin passwords.

use oxforge_testkit::{TestServer, cluster, http};
use serde_json::json;

use crate::support::{Raw, assert_envelope, send_raw};

const ADMIN_PASSWORD: &str = "a-long-admin-password";
const ATTACKER: &str = "198.51.100.66";
const VICTIM: &str = "203.0.113.7";

/// The root admin's sign-in from `address` (sent as `X-Forwarded-For`).
async fn admin_sign_in(server: &TestServer, address: &str, username: &str, password: &str) -> Raw {
    send_raw(
        http()
            .post(server.at("/api/auth/admin/sessions"))
            .header("x-forwarded-for", address)
            .json(&json!({"username": username, "password": password})),
    )
    .await
}

/// A user's sign-in (non-web: the refresh token is in the body) from `address`.
async fn user_sign_in(server: &TestServer, address: &str, email: &str, password: &str) -> Raw {
    send_raw(
        http()
            .post(server.at("/api/auth/sessions?client_type=mobile"))
            .header("x-forwarded-for", address)
            .json(&json!({"email": email, "password": password})),
    )
    .await
}

async fn user_sign_up(server: &TestServer, address: &str, email: &str) -> Raw {
    send_raw(
        http()
            .post(server.at("/api/auth/users?client_type=mobile"))
            .header("x-forwarded-for", address)
            .json(&json!({"email": email, "password": "secret123"})),
    )
    .await
}

fn assert_too_many(raw: &Raw) {
    assert_envelope(
        raw.status,
        &raw.json(),
        429,
        "TOO_MANY_REQUESTS",
        "Too many requests, please try again later",
    );
    let retry: u64 = raw.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!(retry >= 1, "Retry-After: {retry}");
}

/// An admin web session: the refresh cookie (`name=value`) and its CSRF token.
/// A user's mobile refresh.
#[tokio::test]
async fn admin_brute_force_is_stopped_per_address_while_the_admin_signs_in_elsewhere() {
    let server = TestServer::start_with(|c| {
        c.root_admin_password = Some(ADMIN_PASSWORD.into());
        c.trusted_proxies = vec!["127.0.0.1".into()];
        c.admin_sign_in_failures = 3;
    })
    .await;
    for guess in 0..3 {
        let raw = admin_sign_in(&server, ATTACKER, "admin", &format!("guess-{guess}")).await;
        assert_eq!(raw.status, 401, "{}", raw.text);
    }
    // The address now waits, whatever it sends, even the right password.
    assert_too_many(&admin_sign_in(&server, ATTACKER, "admin", "guess-3").await);
    assert_too_many(&admin_sign_in(&server, ATTACKER, "admin", ADMIN_PASSWORD).await);
    // The admin, from another address, is not affected.
    let raw = admin_sign_in(&server, VICTIM, "admin", ADMIN_PASSWORD).await;
    assert_eq!(raw.status, 200, "{}", raw.text);
    // An IPv6 attacker cannot escape by changing addresses inside its /64.
    for (i, address) in ["2001:db8:0:1::1", "2001:db8:0:1::2", "2001:db8:0:1:ffff::3"]
        .iter()
        .enumerate()
    {
        let raw = admin_sign_in(&server, address, "admin", "nope").await;
        assert_eq!(raw.status, 401, "failure {i}: {}", raw.text);
    }
    assert_too_many(&admin_sign_in(&server, "2001:db8:0:1:abcd::9", "admin", "nope").await);
    server.stop().await;
}

#[tokio::test]
async fn admin_failures_are_capped_over_all_addresses() {
    let server = TestServer::start_with(|c| {
        c.root_admin_password = Some(ADMIN_PASSWORD.into());
        c.trusted_proxies = vec!["127.0.0.1".into()];
        c.admin_sign_in_global_failures = 4;
    })
    .await;
    for i in 0..4 {
        let raw = admin_sign_in(&server, &format!("192.0.2.{i}"), "admin", "nope").await;
        assert_eq!(raw.status, 401, "{}", raw.text);
    }
    assert_too_many(&admin_sign_in(&server, "192.0.2.200", "admin", "nope").await);
    server.stop().await;
}

#[tokio::test]
async fn forwarded_for_is_ignored_without_trusted_proxies() {
    let server = TestServer::start_with(|c| {
        c.root_admin_password = Some(ADMIN_PASSWORD.into());
        c.admin_sign_in_failures = 2;
    })
    .await;
    for _ in 0..2 {
        assert_eq!(admin_sign_in(&server, ATTACKER, "admin", "nope").await.status, 401);
    }
    // Claiming another address changes nothing: the peer (127.0.0.1) is the client.
    assert_too_many(&admin_sign_in(&server, VICTIM, "admin", ADMIN_PASSWORD).await);
    server.stop().await;
}

#[tokio::test]
async fn attackers_failures_do_not_lock_the_victim_out() {
    let server = TestServer::start_with(|c| {
        c.auth_rate_limit = 3;
        c.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    assert_eq!(user_sign_up(&server, VICTIM, "victim@x.io").await.status, 200);
    for _ in 0..3 {
        assert_eq!(
            user_sign_in(&server, ATTACKER, "victim@x.io", "guess").await.status,
            401
        );
    }
    assert_too_many(&user_sign_in(&server, ATTACKER, "victim@x.io", "guess").await);
    // The attacker's address is spent for every email…
    assert_too_many(&user_sign_in(&server, ATTACKER, "other@x.io", "guess").await);
    // …but the victim signs in from elsewhere, as often as they like: successes are not counted.
    for _ in 0..5 {
        let raw = user_sign_in(&server, VICTIM, "victim@x.io", "secret123").await;
        assert_eq!(raw.status, 200, "{}", raw.text);
    }

    // Sign-ups stay limited per address (every attempt counts), and only per address.
    for i in 0..3 {
        assert_eq!(
            user_sign_up(&server, ATTACKER, &format!("bot{i}@x.io")).await.status,
            200
        );
    }
    assert_too_many(&user_sign_up(&server, ATTACKER, "bot3@x.io").await);
    assert_eq!(user_sign_up(&server, "192.0.2.44", "bot3@x.io").await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn weak_root_admin_passwords_are_refused_at_start() {
    let database = cluster().database_from_template().await;
    for weak in ["admin", "password", "change-this-password", "eleven-char"] {
        let Err(error) = TestServer::try_start_on(&database, |c| c.root_admin_password = Some(weak.into())).await
        else {
            panic!("{weak:?} was accepted");
        };
        let message = error.to_string();
        assert!(
            message.contains("ROOT_ADMIN_PASSWORD is too weak") && message.contains("at least 12 characters"),
            "{weak:?}: {message}"
        );
    }
    let server = TestServer::start_on(&database, |c| c.root_admin_password = Some(ADMIN_PASSWORD.into())).await;
    server.stop().await;
}
