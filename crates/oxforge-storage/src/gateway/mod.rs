//! InsForge's S3 gateway at `/storage/v1/s3`: S3 clients (the AWS CLI, boto3, rclone) reach the
//! same buckets and objects as the REST API, authenticated with SigV4 by access keys kept in
//! `storage.s3_access_keys`.

pub mod chunked;
pub mod error;
pub mod sigv4;
pub mod xml;
