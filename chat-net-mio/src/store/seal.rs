//! The sealed file format: a versioned header, authenticated as the AEAD's
//! associated data, then ChaCha20-Poly1305 ciphertext and tag.
//!
//! ```text
//! magic    8  b"CHATSTOR"
//! version  1  1 = RON snapshot (`users.store`, read only to migrate),
//!             2 = postcard snapshot of the journal, history lines
//!                 without ids (read only to migrate),
//!             3 = postcard snapshot of the journal, rooms without
//!                 modes (read only to migrate),
//!             4 = postcard snapshot of the journal, history lines
//!                 without kinds (read only to migrate),
//!             5 = postcard snapshot of the journal (`store.snapshot`)
//! alg      1  1 = ChaCha20-Poly1305
//! kdf      1  0 = raw key, 1 = argon2id passphrase
//! reserved 1  0
//! [kdf = 1: salt 16, memory KiB u32 LE, iterations u32 LE, lanes u32 LE]
//! nonce   12  fresh random bytes for every write
//! body     *  ciphertext of the snapshot, then the 16-byte tag
//! ```

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

pub(crate) const MAGIC: &[u8; 8] = b"CHATSTOR";
/// The format of the single-file store that the journal replaced.
pub(crate) const VERSION_LEGACY: u8 = 1;
/// The journal's snapshot before history lines had message ids.
pub(crate) const VERSION_SNAPSHOT_V2: u8 = 2;
/// The journal's snapshot before rooms had modes.
pub(crate) const VERSION_SNAPSHOT_V3: u8 = 3;
/// The journal's snapshot before history lines had kinds.
pub(crate) const VERSION_SNAPSHOT_V4: u8 = 4;
/// The journal's snapshot.
pub(crate) const VERSION_SNAPSHOT: u8 = 5;
pub(crate) const ALG_CHACHA20_POLY1305: u8 = 1;
pub(crate) const KDF_RAW: u8 = 0;
pub(crate) const KDF_ARGON2ID: u8 = 1;
pub(crate) const KDF_SALT_LEN: usize = 16;
const FIXED: usize = 12;
const KDF_PARAMS: usize = KDF_SALT_LEN + 12;
const TAG_LEN: usize = 16;

/// How the key was derived, as recorded in the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kdf {
    Raw,
    Argon2id {
        salt: [u8; KDF_SALT_LEN],
        memory_kib: u32,
        iterations: u32,
        lanes: u32,
    },
}

/// What can be wrong with sealed bytes (the caller adds the path).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SealError {
    BadMagic,
    Unsupported { version: u8, algorithm: u8, kdf: u8 },
    Truncated,
    Unseal,
}

/// The parsed header, and where the body starts.
#[derive(Debug)]
pub(crate) struct Header {
    pub(crate) version: u8,
    pub(crate) kdf: Kdf,
    len: usize,
}

/// Reads the header (so the caller can derive the key before opening).
pub(crate) fn read_header(bytes: &[u8]) -> Result<Header, SealError> {
    if bytes.len() < FIXED {
        return if MAGIC.starts_with(bytes) || bytes.starts_with(MAGIC) {
            Err(SealError::Truncated)
        } else {
            Err(SealError::BadMagic)
        };
    }
    if &bytes[..8] != MAGIC {
        return Err(SealError::BadMagic);
    }
    let (version, algorithm, kdf_id) = (bytes[8], bytes[9], bytes[10]);
    if !(VERSION_LEGACY..=VERSION_SNAPSHOT).contains(&version)
        || algorithm != ALG_CHACHA20_POLY1305
        || kdf_id > KDF_ARGON2ID
    {
        return Err(SealError::Unsupported {
            version,
            algorithm,
            kdf: kdf_id,
        });
    }
    let (kdf, len) = if kdf_id == KDF_RAW {
        (Kdf::Raw, FIXED)
    } else {
        let p = bytes
            .get(FIXED..FIXED + KDF_PARAMS)
            .ok_or(SealError::Truncated)?;
        let u32_at = |i: usize| u32::from_le_bytes([p[i], p[i + 1], p[i + 2], p[i + 3]]);
        let mut salt = [0u8; KDF_SALT_LEN];
        salt.copy_from_slice(&p[..KDF_SALT_LEN]);
        (
            Kdf::Argon2id {
                salt,
                memory_kib: u32_at(16),
                iterations: u32_at(20),
                lanes: u32_at(24),
            },
            FIXED + KDF_PARAMS,
        )
    };
    if bytes.len() < len + NONCE_LEN + TAG_LEN {
        return Err(SealError::Truncated);
    }
    Ok(Header {
        version,
        kdf,
        len: len + NONCE_LEN,
    })
}

fn header_bytes(version: u8, kdf: &Kdf, nonce: &[u8; NONCE_LEN]) -> Vec<u8> {
    let mut h = Vec::with_capacity(FIXED + KDF_PARAMS + NONCE_LEN);
    h.extend_from_slice(MAGIC);
    h.push(version);
    h.push(ALG_CHACHA20_POLY1305);
    match kdf {
        Kdf::Raw => h.extend_from_slice(&[KDF_RAW, 0]),
        Kdf::Argon2id {
            salt,
            memory_kib,
            iterations,
            lanes,
        } => {
            h.extend_from_slice(&[KDF_ARGON2ID, 0]);
            h.extend_from_slice(salt);
            h.extend_from_slice(&memory_kib.to_le_bytes());
            h.extend_from_slice(&iterations.to_le_bytes());
            h.extend_from_slice(&lanes.to_le_bytes());
        }
    }
    h.extend_from_slice(nonce);
    h
}

/// A 256-bit key, ready to seal and open.
#[derive(Clone)]
pub(crate) struct SealKey(LessSafeKey);

impl SealKey {
    pub(crate) fn new(bytes: &[u8; 32]) -> SealKey {
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, bytes).expect("32 bytes is the key size");
        SealKey(LessSafeKey::new(unbound))
    }

    /// Seals `body` in place (appending the tag) under `nonce`, with `aad`.
    pub(crate) fn seal_in_place(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        body: &mut Vec<u8>,
    ) -> Result<(), ring::error::Unspecified> {
        self.0
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), body)
    }

    /// Opens `body` (ciphertext and tag) in place; the plaintext's length.
    pub(crate) fn open_in_place(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        body: &mut [u8],
    ) -> Result<usize, ring::error::Unspecified> {
        self.0
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), body)
            .map(|plain| plain.len())
    }
}

/// The AEAD tag's length.
pub(crate) const TAG: usize = TAG_LEN;

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(<redacted>)")
    }
}

/// Seals `plaintext` under a fresh random nonce, with a header of
/// `version`.
pub(crate) fn seal(
    version: u8,
    key: &SealKey,
    kdf: &Kdf,
    plaintext: &[u8],
    rng: &SystemRandom,
) -> Result<Vec<u8>, ring::error::Unspecified> {
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill(&mut nonce)?;
    let mut out = header_bytes(version, kdf, &nonce);
    let header_len = out.len();
    out.extend_from_slice(plaintext);
    let mut body = out.split_off(header_len);
    key.0.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(&out[..]),
        &mut body,
    )?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// Opens sealed bytes whose header was read with [`read_header`].
pub(crate) fn open(key: &SealKey, header: &Header, bytes: &[u8]) -> Result<Vec<u8>, SealError> {
    let mut owned = bytes.to_vec();
    let plain = open_in_place(key, header, &mut owned)?;
    owned.truncate(plain.end);
    owned.drain(..plain.start);
    Ok(owned)
}

/// Opens sealed bytes in place (no copy of a large snapshot); where the
/// plaintext now lies in `bytes`.
pub(crate) fn open_in_place(
    key: &SealKey,
    header: &Header,
    bytes: &mut [u8],
) -> Result<std::ops::Range<usize>, SealError> {
    let (head, body) = bytes.split_at_mut(header.len);
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&head[head.len() - NONCE_LEN..]);
    let plain_len = key
        .open_in_place(nonce, head, body)
        .map_err(|_| SealError::Unseal)?;
    Ok(header.len..header.len + plain_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(kdf: Kdf) {
        let key = SealKey::new(&[9; 32]);
        let rng = SystemRandom::new();
        let sealed = seal(VERSION_SNAPSHOT, &key, &kdf, b"hello store", &rng).unwrap();
        let header = read_header(&sealed).unwrap();
        assert_eq!(header.kdf, kdf);
        assert_eq!(open(&key, &header, &sealed).unwrap(), b"hello store");
        let again = seal(VERSION_SNAPSHOT, &key, &kdf, b"hello store", &rng).unwrap();
        assert_ne!(sealed, again, "a fresh nonce per write");
    }

    #[test]
    fn raw_and_passphrase_headers_roundtrip() {
        roundtrip(Kdf::Raw);
        roundtrip(Kdf::Argon2id {
            salt: [3; 16],
            memory_kib: 8,
            iterations: 1,
            lanes: 1,
        });
    }

    #[test]
    fn every_flipped_bit_is_caught() {
        let key = SealKey::new(&[1; 32]);
        let sealed = seal(
            VERSION_SNAPSHOT,
            &key,
            &Kdf::Raw,
            b"abc",
            &SystemRandom::new(),
        )
        .unwrap();
        for i in 0..sealed.len() {
            for bit in 0..8 {
                let mut bad = sealed.clone();
                bad[i] ^= 1 << bit;
                let opened = read_header(&bad).and_then(|h| open(&key, &h, &bad));
                assert!(opened.is_err(), "flip at byte {i} bit {bit} went unnoticed");
            }
        }
    }

    #[test]
    fn wrong_key_and_truncation() {
        let sealed = seal(
            VERSION_LEGACY,
            &SealKey::new(&[1; 32]),
            &Kdf::Raw,
            b"abc",
            &SystemRandom::new(),
        )
        .unwrap();
        let h = read_header(&sealed).unwrap();
        assert_eq!(
            open(&SealKey::new(&[2; 32]), &h, &sealed),
            Err(SealError::Unseal)
        );
        for len in 0..sealed.len() {
            let cut = &sealed[..len];
            let r = read_header(cut).and_then(|h| open(&SealKey::new(&[1; 32]), &h, cut));
            assert!(r.is_err(), "truncated to {len} opened");
        }
        assert_eq!(
            read_header(b"NOTSTORE........").unwrap_err(),
            SealError::BadMagic
        );
    }
}
