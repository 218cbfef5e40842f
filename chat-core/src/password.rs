//! Password work: argon2id hashing and verification.
//!
//! The engine never calls these: it asks for the work with
//! [`Output::HashPassword`](crate::Output::HashPassword) and
//! [`Output::VerifyPassword`](crate::Output::VerifyPassword), and the caller
//! runs them (on worker threads: they take tens of milliseconds with the
//! production parameters) and feeds the answer back. The salt comes from
//! the caller, so this module needs no randomness of its own.

use std::fmt;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The length of the salt the caller supplies, in bytes.
pub const SALT_LEN: usize = 16;

/// argon2id cost parameters.
///
/// [`HashParams::default`] is OWASP's recommendation (19 MiB, 2 passes, 1
/// lane). Tests use [`HashParams::cheap`]; never use it in production.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HashParams {
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Degree of parallelism (lanes).
    pub parallelism: u32,
}

impl Default for HashParams {
    fn default() -> Self {
        HashParams {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl HashParams {
    /// The cheapest parameters argon2 accepts: for tests and benches only.
    pub fn cheap() -> Self {
        HashParams {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        }
    }

    fn argon2(&self) -> Result<Argon2<'static>, PasswordError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| PasswordError::Params(e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// A password in memory: redacted in `Debug`, wiped when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// Wraps a password.
    pub fn new(s: impl Into<String>) -> Password {
        Password(Zeroizing::new(s.into()))
    }

    /// The password text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Why password work failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// The configured parameters are out of argon2's range.
    #[error("bad argon2 parameters: {0}")]
    Params(String),
    /// The stored hash is not a PHC string argon2 understands.
    #[error("stored password hash is malformed")]
    BadHash,
    /// Hashing failed.
    #[error("hashing failed: {0}")]
    Hash(String),
}

/// Hashes `password` with argon2id into a PHC string, using `salt`.
///
/// ```
/// use chat_core::password::{hash, verify, HashParams, Password};
/// let pw = Password::new("correct horse");
/// let phc = hash(&HashParams::cheap(), &pw, &[7u8; 16]).unwrap();
/// assert!(phc.starts_with("$argon2id$"));
/// assert!(verify(&HashParams::cheap(), &pw, Some(&phc)).unwrap());
/// assert!(!verify(&HashParams::cheap(), &Password::new("wrong horse"), Some(&phc)).unwrap());
/// ```
pub fn hash(
    params: &HashParams,
    password: &Password,
    salt: &[u8; SALT_LEN],
) -> Result<String, PasswordError> {
    let salt = SaltString::encode_b64(salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    params
        .argon2()?
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Checks `password` against a PHC string. The cost parameters come from
/// the PHC string itself, so hashes made with older parameters still verify.
///
/// With `phc = None` (an account that does not exist) it hashes the
/// password once with `params` anyway and answers `false`, so a login for
/// an unknown name takes as long as one for a known name.
pub fn verify(
    params: &HashParams,
    password: &Password,
    phc: Option<&str>,
) -> Result<bool, PasswordError> {
    match phc {
        Some(phc) => {
            let parsed = PasswordHash::new(phc).map_err(|_| PasswordError::BadHash)?;
            Ok(Argon2::default()
                .verify_password(password.expose().as_bytes(), &parsed)
                .is_ok())
        }
        None => {
            hash(params, password, &[0u8; SALT_LEN])?;
            Ok(false)
        }
    }
}
