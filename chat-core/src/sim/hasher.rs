//! A deterministic stand-in for argon2, so thousands of runs stay fast.
//!
//! The engine treats the PHC string as opaque: it stores what a hash job
//! returns and hands it back in verify jobs. So the stand-in only has to be
//! consistent with itself: `$sim$<salt>$<digest>`, where the digest mixes
//! salt and password. A malformed string is `BadHash`, as with argon2.
//! Runs may use the real `PasswordJob::run` instead (see `SimOptions`).

use crate::password::{HashParams, PasswordError};
use crate::{PasswordAnswer, PasswordJob, PasswordWork};

fn digest(salt: u64, password: &str) -> u64 {
    // FNV-1a over the salt and the password.
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in salt.to_le_bytes().iter().chain(password.as_bytes()) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01B3);
    }
    h
}

/// The stand-in PHC string of `password` with `salt`.
pub fn fake_phc(salt: u64, password: &str) -> String {
    format!("$sim${salt:016x}${:016x}", digest(salt, password))
}

fn fake_verify(password: &str, phc: &str) -> Result<bool, PasswordError> {
    let mut parts = phc
        .strip_prefix("$sim$")
        .ok_or(PasswordError::BadHash)?
        .split('$');
    let salt = parts.next().and_then(|s| u64::from_str_radix(s, 16).ok());
    let stored = parts.next().and_then(|s| u64::from_str_radix(s, 16).ok());
    match (salt, stored, parts.next()) {
        (Some(salt), Some(stored), None) => Ok(digest(salt, password) == stored),
        _ => Err(PasswordError::BadHash),
    }
}

/// Answers `job` with the stand-in (or with argon2 and cheap parameters
/// when `real` is set); `salt` comes from the run's generator.
pub fn answer(job: &PasswordJob, salt: u64, real: bool) -> Result<PasswordAnswer, PasswordError> {
    if real {
        let mut bytes = [0u8; crate::password::SALT_LEN];
        bytes[..8].copy_from_slice(&salt.to_le_bytes());
        return job.run(&HashParams::cheap(), &bytes);
    }
    match &job.work {
        PasswordWork::Hash { password } => {
            Ok(PasswordAnswer::Hashed(fake_phc(salt, password.expose())))
        }
        PasswordWork::Verify { password, phc } => match phc {
            Some(phc) => fake_verify(password.expose(), phc).map(PasswordAnswer::Verified),
            None => Ok(PasswordAnswer::Verified(false)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_what_it_hashed() {
        let phc = fake_phc(42, "secret-pw");
        assert_eq!(fake_verify("secret-pw", &phc), Ok(true));
        assert_eq!(fake_verify("other-pw", &phc), Ok(false));
        assert_eq!(
            fake_verify("secret-pw", "$argon2id$x"),
            Err(PasswordError::BadHash)
        );
        assert_ne!(fake_phc(43, "secret-pw"), phc);
    }
}
