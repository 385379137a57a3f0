//! Storage's SQL, run as the caller: admins (and public-bucket reads) as the owner, everyone
//! else in their own database context (`role` + `request.jwt.claims`, one transaction), so
//! row-level security on `storage.objects` decides what they see and change.

use oxforge_auth::Principal;
use oxforge_db::deadpool_postgres::{Object, Transaction};
use oxforge_db::{DbError, Pool};

use crate::error::Result;

/// Statements of anon and signed-in callers stop after this long.
const USER_STATEMENT_TIMEOUT_MS: &str = "30000";

/// Who a statement runs as.
#[derive(Debug, Clone)]
pub enum Actor {
    /// The owner: RLS does not apply (admins, reads of public buckets).
    Root,
    /// `role` with these claims: RLS applies. `sub` is a signed-in user's subject.
    User {
        role: &'static str,
        claims: String,
        sub: Option<String>,
    },
}

impl Actor {
    pub fn of(principal: &Principal) -> Actor {
        match principal {
            Principal::Admin { .. } => Actor::Root,
            Principal::Anon => Actor::User {
                role: "anon",
                claims: principal.database_claims(oxforge_auth::now_seconds()).to_string(),
                sub: None,
            },
            Principal::User(user) => Actor::User {
                role: "authenticated",
                claims: principal.database_claims(oxforge_auth::now_seconds()).to_string(),
                sub: Some(user.sub.clone()),
            },
        }
    }

    /// `uploaded_by`: the token's `sub` for signed-in users, none for admins and anon.
    pub fn uploaded_by(&self) -> Option<&str> {
        match self {
            Actor::User { sub, .. } => sub.as_deref(),
            Actor::Root => None,
        }
    }
}

/// The connections: the owner's and the `authenticator`'s (which switches role per transaction).
#[derive(Clone)]
pub struct Db {
    pub owner: Pool,
    pub users: Pool,
}

impl Db {
    /// A connection for `actor`.
    pub async fn connect(&self, actor: &Actor) -> Result<Object, DbError> {
        let pool = match actor {
            Actor::Root => &self.owner,
            Actor::User { .. } => &self.users,
        };
        Ok(pool.get().await?)
    }

    /// The owner's connection.
    pub async fn owner(&self) -> Result<Object, DbError> {
        Ok(self.owner.get().await?)
    }
}

/// Begins a transaction as `actor` on a connection from [`Db::connect`].
pub async fn begin<'c>(client: &'c mut Object, actor: &Actor) -> Result<Transaction<'c>, DbError> {
    let tx = client.transaction().await?;
    if let Actor::User { role, claims, .. } = actor {
        tx.execute(
            "SELECT set_config('role', $1, true), set_config('request.jwt.claims', $2, true), \
             set_config('statement_timeout', $3, true)",
            &[role, claims, &USER_STATEMENT_TIMEOUT_MS],
        )
        .await?;
    }
    Ok(tx)
}

/// A bucket as the object routes need it, read as the owner.
pub struct BucketInfo {
    pub exists: bool,
    pub public: bool,
    /// `storage.config.max_file_size_mb`.
    pub max_mb: i32,
}

/// The default upload cap when the configuration cannot be read.
pub const DEFAULT_MAX_MB: i32 = 50;

pub async fn bucket_info(db: &Db, bucket: &str) -> Result<BucketInfo, DbError> {
    let client = db.owner().await?;
    let statement = client
        .prepare_cached(
            "SELECT b.name IS NOT NULL, coalesce(b.public, false), \
                    coalesce((SELECT max_file_size_mb FROM storage.config LIMIT 1), $2) \
             FROM (SELECT 1) one LEFT JOIN storage.buckets b ON b.name = $1",
        )
        .await?;
    let row = client.query_one(&statement, &[&bucket, &DEFAULT_MAX_MB]).await?;
    Ok(BucketInfo {
        exists: row.try_get(0)?,
        public: row.try_get(1)?,
        max_mb: row.try_get(2)?,
    })
}

/// An object's row, as downloads need it.
#[derive(Debug, Clone)]
pub struct Meta {
    pub mime: Option<String>,
    pub etag: Option<String>,
    /// ISO 8601 with milliseconds and `Z`.
    pub uploaded_at: String,
    pub uploaded_ms: i64,
}

/// `uploaded_at` as InsForge's JSON shows it.
pub const ISO: &str = "to_char(uploaded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

/// The row of `bucket`/`key` as `actor` sees it (none: missing or hidden by RLS).
pub async fn lookup(db: &Db, actor: &Actor, bucket: &str, key: &str) -> Result<Option<Meta>, DbError> {
    let sql = format!(
        "SELECT mime_type, etag, {ISO}, (extract(epoch FROM uploaded_at) * 1000)::bigint \
         FROM storage.objects WHERE bucket = $1 AND key = $2"
    );
    let mut client = db.connect(actor).await?;
    let row = match actor {
        // One statement, no transaction needed.
        Actor::Root => {
            let statement = client.prepare_cached(&sql).await?;
            client.query_opt(&statement, &[&bucket, &key]).await?
        }
        Actor::User { .. } => {
            let tx = begin(&mut client, actor).await?;
            let statement = tx.prepare_cached(&sql).await?;
            let row = tx.query_opt(&statement, &[&bucket, &key]).await?;
            tx.commit().await?;
            row
        }
    };
    row.map(|row| {
        Ok(Meta {
            mime: row.try_get(0)?,
            etag: row.try_get(1)?,
            uploaded_at: row.try_get::<_, Option<String>>(2)?.unwrap_or_default(),
            uploaded_ms: row.try_get::<_, Option<i64>>(3)?.unwrap_or(0),
        })
    })
    .transpose()
}

/// Creates or replaces a row (no `RETURNING`: that would need a SELECT policy too);
/// `uploaded_by` is kept on replace.
const UPSERT: &str = "INSERT INTO storage.objects \
       (bucket, key, size, mime_type, uploaded_by, uploaded_via, uploaded_at, etag, s3_access_key_id) \
     VALUES ($1, $2, $3, $4, $5, $8, $6::text::timestamptz, $7, $9) \
     ON CONFLICT (bucket, key) DO UPDATE SET size = EXCLUDED.size, mime_type = EXCLUDED.mime_type, \
       uploaded_via = EXCLUDED.uploaded_via, uploaded_at = EXCLUDED.uploaded_at, etag = EXCLUDED.etag, \
       s3_access_key_id = EXCLUDED.s3_access_key_id";

/// How an object was written: `uploaded_via` and the gateway's access key.
#[derive(Debug, Clone, Copy)]
pub struct Via<'a> {
    pub name: &'static str,
    pub access_key: Option<&'a str>,
}

impl Via<'_> {
    pub const REST: Via<'static> = Via {
        name: "rest",
        access_key: None,
    };
}

/// A row [`upsert`] creates or replaces.
pub struct ObjectRow<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub size: i64,
    pub mime: Option<&'a str>,
    /// ISO 8601.
    pub uploaded_at: &'a str,
    pub etag: Option<&'a str>,
    pub via: Via<'a>,
}

/// Creates or replaces `row` in `tx` (begun as `actor`: `uploaded_by` is theirs).
pub async fn upsert(tx: &Transaction<'_>, actor: &Actor, row: &ObjectRow<'_>) -> Result<u64, tokio_postgres::Error> {
    tx.execute(
        UPSERT,
        &[
            &row.bucket,
            &row.key,
            &row.size,
            &row.mime,
            &actor.uploaded_by(),
            &row.uploaded_at,
            &row.etag,
            &row.via.name,
            &row.via.access_key,
        ],
    )
    .await
}
