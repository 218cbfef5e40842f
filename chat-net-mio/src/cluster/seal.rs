//! Sealing what a node gives the broker: every log entry and bucket value
//! is ChaCha20-Poly1305 under the store key with a random nonce, so the
//! broker (and its disk, and its backups) hold nothing readable. Every
//! node of a cluster must have the same store key.

use ring::aead::NONCE_LEN;
use ring::rand::{SecureRandom, SystemRandom};

use crate::store::seal::{SealKey, TAG};

/// What every sealed value starts with: a version, so the format can
/// change.
const VERSION: u8 = 1;
/// Bound to every value: a value sealed for another purpose with the same
/// key does not open here.
const AAD: &[u8] = b"chat-cluster-v1";

/// Seals and opens with the store key.
pub(crate) struct Sealer {
    key: SealKey,
    rng: SystemRandom,
}

impl Sealer {
    pub(crate) fn new(key: &[u8; 32]) -> Sealer {
        Sealer {
            key: SealKey::new(key),
            rng: SystemRandom::new(),
        }
    }

    /// `VERSION || nonce || ciphertext || tag`.
    pub(crate) fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .expect("the system has randomness");
        let mut body = plain.to_vec();
        self.key
            .seal_in_place(nonce, AAD, &mut body)
            .expect("sealing in memory cannot fail");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + body.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&body);
        out
    }

    /// The plaintext, or `None` if it was not sealed with this key (or was
    /// changed).
    pub(crate) fn open(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < 1 + NONCE_LEN + TAG || sealed[0] != VERSION {
            return None;
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&sealed[1..1 + NONCE_LEN]);
        let mut body = sealed[1 + NONCE_LEN..].to_vec();
        let n = self.key.open_in_place(nonce, AAD, &mut body).ok()?;
        body.truncate(n);
        Some(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_what_it_sealed_and_nothing_else() {
        let a = Sealer::new(&[7; 32]);
        let sealed = a.seal(b"alice's hash");
        assert_eq!(a.open(&sealed).as_deref(), Some(&b"alice's hash"[..]));
        assert!(!sealed.windows(5).any(|w| w == b"alice"));
        assert_eq!(Sealer::new(&[8; 32]).open(&sealed), None);
        let mut changed = sealed.clone();
        *changed.last_mut().unwrap() ^= 1;
        assert_eq!(a.open(&changed), None);
    }
}
