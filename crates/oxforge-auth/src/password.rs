//! Password hashes: argon2id for new ones; bcrypt (`$2a$`/`$2b$`/`$2y$`, as InsForge's
//! `bcryptjs` writes them) still verifies, so users imported from InsForge keep their passwords.
//! These functions are CPU-heavy: call them off the async runtime (oxforge-accounts runs them on a few
//! dedicated threads).

use std::cell::RefCell;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;

#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password: {0}")]
pub struct HashError(String);

/// Stored hashes asking for more memory than this (256 MiB) are refused rather than computed.
const MAX_BLOCKS: usize = 256 * 1024;

thread_local! {
    /// argon2's working memory (19 MiB with the default parameters), kept by each thread that
    /// hashes and reused: allocating and freeing it on every call made the memory allocator hold
    /// on to several copies per thread.
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs argon2 with this thread's reusable memory; `out` receives the hash.
fn argon2_into(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), HashError> {
    let count = params.block_count();
    if count > MAX_BLOCKS {
        return Err(HashError(format!("{count} KiB of memory is more than allowed")));
    }
    let mut run = |blocks: &mut [Block]| {
        argon2
            .hash_password_into_with_memory(password, salt, out, blocks)
            .map_err(|e| HashError(e.to_string()))
    };
    BLOCKS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut blocks) => {
            if blocks.len() != count {
                *blocks = vec![Block::default(); count];
            }
            run(&mut blocks[..])
        }
        Err(_) => run(&mut vec![Block::default(); count][..]),
    })
}

/// A new argon2id hash in PHC format.
pub fn hash(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let salt_string = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
    let params = Params::default();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_into(&argon2, &params, password.as_bytes(), &salt, &mut out)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| HashError(e.to_string()))?,
        salt: Some(salt_string.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| HashError(e.to_string()))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches `stored` (argon2 PHC or bcrypt). Unknown formats never match.
pub fn verify(password: &str, stored: &str) -> bool {
    if stored.starts_with("$2a$") || stored.starts_with("$2b$") || stored.starts_with("$2y$") {
        return bcrypt::verify(password, stored).unwrap_or(false);
    }
    PasswordHash::new(stored).is_ok_and(|parsed| verify_argon2(password, &parsed).unwrap_or(false))
}

fn verify_argon2(password: &str, stored: &PasswordHash<'_>) -> Option<bool> {
    let algorithm = Algorithm::try_from(stored.algorithm).ok()?;
    let version = stored
        .version
        .map(Version::try_from)
        .transpose()
        .ok()?
        .unwrap_or_default();
    let params = Params::try_from(stored).ok()?;
    let expected = stored.hash?;
    let mut salt = [0u8; 64];
    let salt = stored.salt?.decode_b64(&mut salt).ok()?;
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    argon2_into(&argon2, &params, password.as_bytes(), salt, &mut out).ok()?;
    Some(bool::from(expected.as_bytes().ct_eq(&out)))
}

/// Spends about the time of a real verification, so that a sign-in for an unknown email takes
/// as long as one with a wrong password.
pub fn verify_nothing(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("oxforge-dummy-password").unwrap_or_default());
    let _ = verify(password, dummy);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_round_trip() {
        let h = hash("hunter22").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("hunter22", &h));
        assert!(!verify("hunter23", &h));
        assert_ne!(hash("hunter22").unwrap(), h, "salted");
    }

    #[test]
    fn bcrypt_from_another_implementation() {
        // Made by bcryptjs 2.4.3 (the library InsForge uses), cost 10:
        // node -e 'console.log(require("bcryptjs").hashSync("correct horse", 10))'
        let bcryptjs = "$2a$10$s/36h8T6VUq9./fsBgcQIOSyNxeXxBv9MPOv.fTlAAOblxtJJhHWi";
        assert!(verify("correct horse", bcryptjs));
        assert!(!verify("correct horsE", bcryptjs));
        // OpenBSD's published test vector.
        assert!(verify(
            "U*U",
            "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
        ));
    }

    #[test]
    fn interoperates_with_the_argon2_crates_own_api() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        // Other variants and parameters (as another system may have stored them).
        for (algorithm, m, t) in [
            (Algorithm::Argon2id, 19456, 2),
            (Algorithm::Argon2i, 4096, 3),
            (Algorithm::Argon2d, 8192, 1),
        ] {
            let params = Params::new(m, t, 1, None).unwrap();
            let theirs = Argon2::new(algorithm, Version::V0x13, params)
                .hash_password(b"s3cret", &salt)
                .unwrap()
                .to_string();
            assert!(verify("s3cret", &theirs), "{theirs}");
            assert!(!verify("s3creT", &theirs));
        }
        let ours = hash("s3cret").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"s3cret", &parsed).is_ok());
    }

    #[test]
    fn a_stored_hash_demanding_huge_memory_is_refused() {
        let salt = "c29tZXNhbHRzb21lc2FsdA";
        let greedy = format!("$argon2id$v=19$m=4194304,t=1,p=1${salt}$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        assert!(!verify("x", &greedy));
    }

    #[test]
    fn garbage_never_matches() {
        assert!(!verify("x", ""));
        assert!(!verify("x", "plaintext"));
        assert!(!verify("x", "$2b$10$short"));
    }
}
