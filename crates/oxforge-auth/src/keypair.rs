//! The project's RSA key pair: RS256 access tokens carry its `kid`, and `/.well-known/jwks.json`
//! publishes its public half so others can verify oxforge's tokens.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{DecodingKey, EncodingKey};

/// A key pair as it is stored in `system.secrets` (`JWT_PRIVATE_KEY`, `JWT_PUBLIC_KEY`, `JWT_KEY_ID`).
#[derive(Debug, Clone)]
pub struct StoredKeyPair {
    pub private_pem: String,
    pub public_pem: String,
    pub kid: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyPairError {
    #[error("cannot generate an RSA key pair")]
    Generate,
    #[error("the stored JWT_PRIVATE_KEY is not a PKCS#8 RSA private key in PEM: {0}")]
    Parse(String),
}

/// The loaded key pair, ready to sign and verify.
pub struct ProjectKeyPair {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    modulus_b64: String,
    exponent_b64: String,
}

impl std::fmt::Debug for ProjectKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProjectKeyPair")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl ProjectKeyPair {
    /// A fresh RSA-2048 key pair with `kid = "kid_" + 32 hex`.
    pub fn generate() -> Result<StoredKeyPair, KeyPairError> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyPairError::Generate)?;
        let private_der = pair.as_der().map_err(|_| KeyPairError::Generate)?;
        let public_der = pair.public_key().as_der().map_err(|_| KeyPairError::Generate)?;
        let mut kid = [0u8; 16];
        rand::fill(&mut kid);
        Ok(StoredKeyPair {
            private_pem: pem::encode(&pem::Pem::new("PRIVATE KEY", private_der.as_ref())),
            public_pem: pem::encode(&pem::Pem::new("PUBLIC KEY", public_der.as_ref())),
            kid: format!("kid_{}", hex::encode(kid)),
        })
    }

    pub fn load(stored: &StoredKeyPair) -> Result<Self, KeyPairError> {
        let parsed = pem::parse(&stored.private_pem).map_err(|e| KeyPairError::Parse(e.to_string()))?;
        let pair = KeyPair::from_pkcs8(parsed.contents()).map_err(|e| KeyPairError::Parse(e.to_string()))?;
        let public = pair.public_key();
        let n = public.modulus();
        let e = public.exponent();
        let encoding =
            EncodingKey::from_rsa_pem(stored.private_pem.as_bytes()).map_err(|e| KeyPairError::Parse(e.to_string()))?;
        let decoding = DecodingKey::from_rsa_raw_components(
            n.big_endian_without_leading_zero(),
            e.big_endian_without_leading_zero(),
        );
        Ok(ProjectKeyPair {
            kid: stored.kid.clone(),
            encoding,
            decoding,
            modulus_b64: URL_SAFE_NO_PAD.encode(n.big_endian_without_leading_zero()),
            exponent_b64: URL_SAFE_NO_PAD.encode(e.big_endian_without_leading_zero()),
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub(crate) fn encoding_key(&self) -> &EncodingKey {
        &self.encoding
    }

    pub(crate) fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }

    /// The public JWK set: `{keys:[{kty:"RSA",n,e,alg:"RS256",use:"sig",kid}]}`.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "RSA",
                "n": self.modulus_b64,
                "e": self.exponent_b64,
                "alg": "RS256",
                "use": "sig",
                "kid": self.kid,
            }]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pair_loads_and_publishes_its_kid() {
        let stored = ProjectKeyPair::generate().unwrap();
        assert!(stored.private_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(stored.public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert!(stored.kid.starts_with("kid_") && stored.kid.len() == 36);
        let pair = ProjectKeyPair::load(&stored).unwrap();
        let jwks = pair.jwks();
        assert_eq!(jwks["keys"][0]["kid"], stored.kid.as_str());
        assert_eq!(jwks["keys"][0]["e"], "AQAB");
        assert_eq!(jwks["keys"][0]["n"].as_str().unwrap().len(), 342, "2048-bit modulus");
    }

    #[test]
    fn garbage_is_refused() {
        let stored = StoredKeyPair {
            private_pem: "not a key".into(),
            public_pem: String::new(),
            kid: "kid_x".into(),
        };
        assert!(ProjectKeyPair::load(&stored).is_err());
    }
}
