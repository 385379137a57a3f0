//! Fixtures shared by the fuzz targets: a schema cache built by hand (no database), and an
//! authenticator with a fixed JWT secret, a fixed RSA key pair and one third-party provider
//! (configured only: nothing here fetches keys or opens a connection).

use std::borrow::Cow;
use std::sync::OnceLock;
use std::time::Duration;

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oxforge_auth::keypair::StoredKeyPair;
use oxforge_auth::providers::{ProviderConfig, Providers};
use oxforge_auth::{Authenticator, ProjectCredentials, ProjectKey, ProjectKeyPair};
use oxforge_schema::{Column, ForeignKey, Param, Routine, SchemaCache, Table};

/// The HS256 secret the fuzzing authenticator trusts.
pub const JWT_SECRET: &str = "fuzz-jwt-secret";
/// The `kid` of the fuzzing project key pair.
pub const KID: &str = "kid_fuzz";
pub const API_KEY: &str = "ik_fuzz";
pub const ANON_KEY: &str = "anon_fuzz";
/// The issuer of the one configured third-party provider.
pub const PROVIDER_ISSUER: &str = "https://issuer.fuzz.invalid/";

/// An RSA-2048 key generated for fuzzing only (never used anywhere else).
const PRIVATE_PEM: &str = include_str!("fuzz_only_rsa_key.pem");

/// Input bytes as text, the way a lossy header or URL decoder would see them.
pub fn text(data: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Splits at the first `\n`: (before, after); no newline gives (all, empty).
pub fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

fn column(name: &str, data_type: &str, nullable: bool, default_expr: Option<&str>) -> Column {
    Column {
        name: name.into(),
        data_type: data_type.into(),
        nullable,
        has_default: default_expr.is_some(),
        default_expr: default_expr.map(str::to_owned),
    }
}

fn table(name: &str, columns: Vec<Column>) -> Table {
    Table {
        schema: "public".into(),
        name: name.into(),
        kind: "r".into(),
        columns,
        primary_key: vec!["id".into()],
    }
}

fn param(name: &str, data_type: &str, has_default: bool) -> Param {
    Param {
        name: name.into(),
        data_type: data_type.into(),
        has_default,
    }
}

/// `public.users`, `public.posts` (→ users), `public.comments` (→ posts, users), `public.tags`
/// (many-to-many with posts through `public.post_tags`), and three functions.
pub fn schema() -> &'static SchemaCache {
    static CACHE: OnceLock<SchemaCache> = OnceLock::new();
    CACHE.get_or_init(|| {
        let id = || column("id", "bigint", false, Some("nextval('seq'::regclass)"));
        let tables = vec![
            table(
                "users",
                vec![
                    id(),
                    column("name", "text", false, None),
                    column("email", "citext", true, None),
                    column("created_at", "timestamp with time zone", false, Some("now()")),
                ],
            ),
            table(
                "posts",
                vec![
                    id(),
                    column("title", "character varying(200)", false, None),
                    column("body", "text", true, None),
                    column("author_id", "bigint", true, None),
                    column("data", "jsonb", true, None),
                    column("tags", "text[]", true, None),
                    column("score", "numeric", true, Some("0")),
                    column("published", "boolean", false, Some("false")),
                    column("created_at", "timestamp with time zone", false, Some("now()")),
                ],
            ),
            table(
                "comments",
                vec![
                    id(),
                    column("post_id", "bigint", false, None),
                    column("user_id", "bigint", true, None),
                    column("body", "text", false, None),
                ],
            ),
            table("tags", vec![id(), column("label", "text", false, None)]),
            Table {
                primary_key: vec!["post_id".into(), "tag_id".into()],
                ..table(
                    "post_tags",
                    vec![
                        column("post_id", "bigint", false, None),
                        column("tag_id", "bigint", false, None),
                    ],
                )
            },
        ];
        let foreign_keys = vec![
            ForeignKey::to_id("posts_author_id_fkey", "public", "posts", "author_id", "users"),
            ForeignKey::to_id("comments_post_id_fkey", "public", "comments", "post_id", "posts"),
            ForeignKey::to_id("comments_user_id_fkey", "public", "comments", "user_id", "users"),
            ForeignKey::to_id("post_tags_post_id_fkey", "public", "post_tags", "post_id", "posts"),
            ForeignKey::to_id("post_tags_tag_id_fkey", "public", "post_tags", "tag_id", "tags"),
        ];
        let routine = |name: &str, params: Vec<Param>, return_type: &str, returns_set: bool, composite: bool| Routine {
            schema: "public".into(),
            name: name.into(),
            params,
            return_type: return_type.into(),
            returns_set,
            returns_composite: composite,
            volatile: true,
        };
        let routines = vec![
            routine(
                "add",
                vec![param("a", "integer", false), param("b", "integer", true)],
                "integer",
                false,
                false,
            ),
            routine("search_posts", vec![param("q", "text", false)], "posts", true, true),
            routine("nothing", vec![], "void", false, false),
            // Two overloads: some argument sets are ambiguous (PGRST203).
            routine("pick", vec![param("x", "text", true)], "text", false, false),
            routine("pick", vec![param("x", "integer", true)], "integer", false, false),
        ];
        SchemaCache::new(tables, foreign_keys, routines).with_schemas(vec!["public".into(), "api".into()])
    })
}

/// The authenticator every JWT input goes through: fixed secret, fixed key pair, one provider.
pub fn authenticator() -> &'static Authenticator {
    static AUTH: OnceLock<Authenticator> = OnceLock::new();
    AUTH.get_or_init(|| {
        let stored = StoredKeyPair {
            private_pem: PRIVATE_PEM.into(),
            public_pem: String::new(),
            kid: KID.into(),
        };
        let keypair = ProjectKeyPair::load(&stored).unwrap_or_else(|e| panic!("fixture key: {e}"));
        let provider = ProviderConfig {
            preset: Some("oidc".into()),
            issuer: Some(PROVIDER_ISSUER.into()),
            jwks_url: Some("https://issuer.fuzz.invalid/jwks.json".into()),
            any_audience: true,
            ..ProviderConfig::default()
        };
        let providers =
            Providers::new(&[provider], Duration::from_secs(60)).unwrap_or_else(|e| panic!("fixture provider: {e}"));
        Authenticator::with_providers(
            ProjectCredentials {
                api_keys: vec![
                    ProjectKey::permanent(API_KEY),
                    ProjectKey {
                        value: "ik_expired".into(),
                        expires_at: Some(1),
                    },
                ],
                anon_keys: vec![ProjectKey::permanent(ANON_KEY)],
                jwt_secret: JWT_SECRET.into(),
                keypair,
            },
            providers,
        )
    })
}

/// `base64url(header).base64url(claims)`: the JWS signing input, from arbitrary bytes.
fn signing_input(header: &[u8], claims: &[u8]) -> String {
    format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims))
}

/// A token whose header and claims are the given bytes, HS256-signed with [`JWT_SECRET`].
pub fn sign_hs256(header: &[u8], claims: &[u8]) -> String {
    let input = signing_input(header, claims);
    let key = hmac::Key::new(hmac::HMAC_SHA256, JWT_SECRET.as_bytes());
    let tag = hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

/// A token whose header and claims are the given bytes, RS256-signed with the project key.
pub fn sign_rs256(header: &[u8], claims: &[u8]) -> String {
    static PAIR: OnceLock<RsaKeyPair> = OnceLock::new();
    let pair = PAIR.get_or_init(|| {
        let der = pem_body(PRIVATE_PEM);
        RsaKeyPair::from_pkcs8(&der).unwrap_or_else(|e| panic!("fixture key: {e}"))
    });
    let input = signing_input(header, claims);
    let mut signature = vec![0u8; pair.public_modulus_len()];
    pair.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .unwrap_or_else(|e| panic!("fixture signing: {e}"));
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn pem_body(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap_or_else(|e| panic!("fixture key: {e}"))
}
