//! An OpenID provider for tests, in-process on 127.0.0.1: discovery, a JWKS with RS256, ES256
//! and EdDSA keys, key rotation, an outage switch, and a counter of JWKS fetches.

use std::sync::{Arc, Mutex};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Rsa,
    P256,
    Ed25519,
}

struct TestKey {
    kid: String,
    alg: Algorithm,
    encoding: EncodingKey,
    jwk: Value,
    /// The private key in PEM (to forge "HS256 with the public key" and similar).
    public_pem: String,
}

#[derive(Default)]
struct Shared {
    keys: Vec<TestKey>,
    failing: bool,
    fetches: usize,
    issuer: String,
}

/// A running test issuer.
pub struct TestIssuer {
    pub url: String,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn pem(label: &str, der: &[u8]) -> String {
    pem::encode(&pem::Pem::new(label, der))
}

fn make_key(kind: KeyKind, kid: &str) -> TestKey {
    let fail = |what: &str| -> ! { panic!("cannot generate a test {what} key") };
    match kind {
        KeyKind::Rsa => {
            let pair = aws_lc_rs::rsa::KeyPair::generate(KeySize::Rsa2048).unwrap_or_else(|_| fail("RSA"));
            let der = pair.as_der().unwrap_or_else(|_| fail("RSA"));
            let public = pair.public_key();
            let public_der = public.as_der().unwrap_or_else(|_| fail("RSA"));
            TestKey {
                kid: kid.into(),
                alg: Algorithm::RS256,
                encoding: EncodingKey::from_rsa_pem(pem("PRIVATE KEY", der.as_ref()).as_bytes())
                    .unwrap_or_else(|_| fail("RSA")),
                jwk: json!({"kty":"RSA","kid":kid,"alg":"RS256","use":"sig",
                    "n": b64(public.modulus().big_endian_without_leading_zero()),
                    "e": b64(public.exponent().big_endian_without_leading_zero())}),
                public_pem: pem("PUBLIC KEY", public_der.as_ref()),
            }
        }
        KeyKind::P256 => {
            let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap_or_else(|_| fail("P-256"));
            let der = pair.to_pkcs8v1().unwrap_or_else(|_| fail("P-256"));
            let point = pair.public_key().as_ref().to_vec();
            TestKey {
                kid: kid.into(),
                alg: Algorithm::ES256,
                encoding: EncodingKey::from_ec_pem(pem("PRIVATE KEY", der.as_ref()).as_bytes())
                    .unwrap_or_else(|_| fail("P-256")),
                jwk: json!({"kty":"EC","crv":"P-256","kid":kid,"alg":"ES256","use":"sig","x": b64(&point[1..33]),"y": b64(&point[33..65])}),
                public_pem: String::new(),
            }
        }
        KeyKind::Ed25519 => {
            let pair = Ed25519KeyPair::generate().unwrap_or_else(|_| fail("Ed25519"));
            let der = pair.to_pkcs8().unwrap_or_else(|_| fail("Ed25519"));
            let public = pair.public_key().as_ref().to_vec();
            TestKey {
                kid: kid.into(),
                alg: Algorithm::EdDSA,
                encoding: EncodingKey::from_ed_pem(pem("PRIVATE KEY", der.as_ref()).as_bytes())
                    .unwrap_or_else(|_| fail("Ed25519")),
                jwk: json!({"kty":"OKP","crv":"Ed25519","kid":kid,"alg":"EdDSA","use":"sig","x": b64(&public)}),
                public_pem: String::new(),
            }
        }
    }
}

async fn discovery(State(shared): State<Arc<Mutex<Shared>>>) -> Json<Value> {
    let issuer = shared.lock().map(|s| s.issuer.clone()).unwrap_or_default();
    Json(
        json!({ "issuer": issuer, "jwks_uri": format!("{issuer}/jwks"), "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA"] }),
    )
}

async fn jwks(State(shared): State<Arc<Mutex<Shared>>>) -> Response {
    let Ok(mut s) = shared.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    s.fetches += 1;
    if s.failing {
        return (StatusCode::INTERNAL_SERVER_ERROR, "down").into_response();
    }
    let keys: Vec<Value> = s.keys.iter().map(|k| k.jwk.clone()).collect();
    (
        [("cache-control", "public, max-age=300")],
        Json(json!({ "keys": keys })),
    )
        .into_response()
}

impl TestIssuer {
    /// Starts with one key of each kind: `rsa-1`, `ec-1`, `ed-1`.
    pub async fn start() -> TestIssuer {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(l) => l,
            Err(e) => panic!("cannot bind the test issuer: {e}"),
        };
        let url = match listener.local_addr() {
            Ok(addr) => format!("http://{addr}"),
            Err(e) => panic!("{e}"),
        };
        {
            let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
            s.issuer = url.clone();
            s.keys = vec![
                make_key(KeyKind::Rsa, "rsa-1"),
                make_key(KeyKind::P256, "ec-1"),
                make_key(KeyKind::Ed25519, "ed-1"),
            ];
        }
        let app = axum::Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestIssuer { url, shared, task }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Shared) -> T) -> T {
        f(&mut self.shared.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// A token signed with key `kid` (the key's own algorithm).
    pub fn sign(&self, kid: &str, claims: &Value) -> String {
        self.with(|s| {
            let key = s
                .keys
                .iter()
                .find(|k| k.kid == kid)
                .unwrap_or_else(|| panic!("no test key {kid}"));
            let mut header = Header::new(key.alg);
            header.kid = Some(kid.to_owned());
            encode(&header, claims, &key.encoding).unwrap_or_else(|e| panic!("cannot sign: {e}"))
        })
    }

    /// The RSA public key of `kid` in PEM (for algorithm-confusion tests).
    pub fn public_pem(&self, kid: &str) -> String {
        self.with(|s| {
            s.keys
                .iter()
                .find(|k| k.kid == kid)
                .map(|k| k.public_pem.clone())
                .unwrap_or_default()
        })
    }

    /// Adds a key (rotation).
    pub fn add_key(&self, kind: KeyKind, kid: &str) {
        let key = make_key(kind, kid);
        self.with(|s| s.keys.push(key));
    }

    pub fn remove_key(&self, kid: &str) {
        self.with(|s| s.keys.retain(|k| k.kid != kid));
    }

    /// While failing, the JWKS endpoint answers 500.
    pub fn set_failing(&self, failing: bool) {
        self.with(|s| s.failing = failing);
    }

    /// How many times the JWKS was fetched.
    pub fn fetches(&self) -> usize {
        self.with(|s| s.fetches)
    }
}

impl Drop for TestIssuer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
