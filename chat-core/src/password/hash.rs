//! argon2id hashing and verification (the `password-hash` feature).

use std::fmt;

use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use serde::{Deserialize, Serialize};

use super::{Password, PasswordError};
use crate::{PasswordAnswer, PasswordJob, PasswordWork};
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

    fn params(&self) -> Result<Params, PasswordError> {
        Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| PasswordError::Params(e.to_string()))
    }
}

/// The memory argon2 fills, kept between jobs: a worker that owns one
/// reuses the same blocks (19 MiB with the default parameters) for every
/// hash instead of allocating and freeing them each time, which the
/// allocator may never give back to the system.
#[derive(Default)]
pub struct Scratch {
    blocks: Vec<Block>,
}

impl fmt::Debug for Scratch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scratch")
            .field("kib", &self.blocks.len())
            .finish()
    }
}

impl Scratch {
    /// KiB held (argon2 blocks are 1 KiB each).
    pub fn kib(&self) -> usize {
        self.blocks.len()
    }

    /// The first `n` blocks, growing the buffer only if it is too small.
    fn blocks(&mut self, n: usize) -> &mut [Block] {
        if self.blocks.len() < n {
            self.blocks.resize(n, Block::default());
        }
        &mut self.blocks[..n]
    }

    /// Hashes into a PHC string, as argon2's `PasswordHasher` does, but in
    /// these blocks.
    fn phc<'a>(
        &mut self,
        algorithm: Algorithm,
        version: Version,
        params: Params,
        password: &[u8],
        salt: Salt<'a>,
    ) -> Result<PasswordHash<'a>, PasswordError> {
        let err = |e: &dyn fmt::Display| PasswordError::Hash(e.to_string());
        let mut salt_buf = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_buf).map_err(|e| err(&e))?;
        let out_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let blocks = self.blocks(params.block_count());
        let argon = Argon2::new(algorithm, version, params.clone());
        let output = Output::init_with(out_len, |out| {
            Ok(argon.hash_password_into_with_memory(password, salt_bytes, out, &mut *blocks)?)
        })
        .map_err(|e| err(&e))?;
        Ok(PasswordHash {
            algorithm: algorithm.ident(),
            version: Some(version.into()),
            params: ParamsString::try_from(&params).map_err(|e| err(&e))?,
            salt: Some(salt),
            hash: Some(output),
        })
    }
}

/// [`hash`] in the blocks of `scratch`.
pub fn hash_with(
    scratch: &mut Scratch,
    params: &HashParams,
    password: &Password,
    salt: &[u8; SALT_LEN],
) -> Result<String, PasswordError> {
    let salt = SaltString::encode_b64(salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    scratch
        .phc(
            Algorithm::Argon2id,
            Version::V0x13,
            params.params()?,
            password.expose().as_bytes(),
            salt.as_salt(),
        )
        .map(|h| h.to_string())
}

/// [`verify`] in the blocks of `scratch`.
pub fn verify_with(
    scratch: &mut Scratch,
    params: &HashParams,
    password: &Password,
    phc: Option<&str>,
) -> Result<bool, PasswordError> {
    let Some(phc) = phc else {
        hash_with(scratch, params, password, &[0u8; SALT_LEN])?;
        return Ok(false);
    };
    let parsed = PasswordHash::new(phc).map_err(|_| PasswordError::BadHash)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(PasswordError::BadHash);
    };
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(|_| PasswordError::BadHash)?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).map_err(|_| PasswordError::BadHash)?,
        None => Version::default(),
    };
    let stored = Params::try_from(&parsed).map_err(|_| PasswordError::BadHash)?;
    let computed = scratch.phc(
        algorithm,
        version,
        stored,
        password.expose().as_bytes(),
        salt,
    )?;
    // `Output`'s equality is constant-time.
    Ok(computed.hash.as_ref() == Some(&expected))
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
    hash_with(&mut Scratch::default(), params, password, salt)
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
    verify_with(&mut Scratch::default(), params, password, phc)
}

impl PasswordJob {
    /// Runs the job with argon2id (`salt` is used when hashing: give fresh
    /// random bytes every time).
    ///
    /// ```
    /// use chat_core::password::{HashParams, Password};
    /// use chat_core::{JobId, PasswordAnswer, PasswordJob, PasswordWork};
    /// let job = PasswordJob {
    ///     id: JobId(1),
    ///     work: PasswordWork::Verify { password: Password::new("x"), phc: None },
    ///     peer: "192.0.2.1".parse().unwrap(),
    /// };
    /// let answer = job.run(&HashParams::cheap(), &[1; 16]).unwrap();
    /// assert_eq!(answer, PasswordAnswer::Verified(false));
    /// ```
    pub fn run(
        &self,
        params: &HashParams,
        salt: &[u8; SALT_LEN],
    ) -> Result<PasswordAnswer, PasswordError> {
        match &self.work {
            PasswordWork::Hash { password } => {
                hash(params, password, salt).map(PasswordAnswer::Hashed)
            }
            PasswordWork::Verify { password, phc } => {
                verify(params, password, phc.as_deref()).map(PasswordAnswer::Verified)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordHasher;

    #[test]
    fn stock_argon2_hashes_verify_and_ours_match_them() {
        let params = HashParams {
            memory_kib: 64,
            iterations: 2,
            parallelism: 2,
        };
        let pw = Password::new("correct horse");
        let salt = SaltString::encode_b64(&[9u8; SALT_LEN]).unwrap();
        let stock = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            params.params().unwrap(),
        )
        .hash_password(pw.expose().as_bytes(), &salt)
        .unwrap()
        .to_string();
        let mut scratch = Scratch::default();
        assert_eq!(
            hash_with(&mut scratch, &params, &pw, &[9u8; SALT_LEN]).unwrap(),
            stock
        );
        assert!(verify_with(&mut scratch, &params, &pw, Some(&stock)).unwrap());
        let wrong = Password::new("wrong horse");
        assert!(!verify_with(&mut scratch, &params, &wrong, Some(&stock)).unwrap());
        assert_eq!(
            verify_with(&mut scratch, &params, &pw, Some("$argon2id$nonsense")),
            Err(PasswordError::BadHash)
        );
    }

    #[test]
    fn a_scratch_is_reused_not_reallocated() {
        let params = HashParams {
            memory_kib: 256,
            iterations: 1,
            parallelism: 1,
        };
        let mut scratch = Scratch::default();
        let pw = Password::new("pw");
        hash_with(&mut scratch, &params, &pw, &[1; SALT_LEN]).unwrap();
        let first = scratch.blocks.as_ptr();
        assert_eq!(scratch.kib(), 256);
        for i in 0..5u8 {
            let phc = hash_with(&mut scratch, &params, &pw, &[i; SALT_LEN]).unwrap();
            assert!(verify_with(&mut scratch, &params, &pw, Some(&phc)).unwrap());
            // A smaller job uses the front of the same blocks.
            hash_with(&mut scratch, &HashParams::cheap(), &pw, &[i; SALT_LEN]).unwrap();
        }
        assert_eq!(scratch.blocks.as_ptr(), first);
        assert_eq!(scratch.kib(), 256);
    }
}
