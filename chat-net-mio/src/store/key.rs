//! Where the store's key comes from: raw bytes, a passphrase (argon2id), or
//! a key file in the data folder created on first start.

use std::fmt;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chat_core::password::HashParams;
use ring::rand::{SecureRandom, SystemRandom};

use super::error::StoreError;
use super::file::sync_dir;
use super::seal::{Kdf, KDF_SALT_LEN};

/// The environment variable that carries the key: 64 hex digits are a raw
/// key; any other text is a passphrase.
pub const KEY_ENV: &str = "CHAT_STORE_KEY";
/// The key file's name in the data folder.
pub const KEY_FILE: &str = "store.key";

/// Where the store's 256-bit key comes from. `Debug` never shows it.
#[derive(Clone)]
#[non_exhaustive]
pub enum KeySource {
    /// The key itself.
    Raw([u8; 32]),
    /// A passphrase, stretched with argon2id; the salt is kept in the
    /// store's header. `params` default to OWASP's.
    Passphrase {
        /// The passphrase.
        passphrase: String,
        /// The KDF cost for a new store (an existing store keeps its own).
        params: HashParams,
    },
    /// A file holding the key as 64 hex digits; created (mode 0600) if
    /// neither it nor the store exists yet.
    KeyFile(PathBuf),
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Raw(_) => f.write_str("KeySource::Raw(<redacted>)"),
            KeySource::Passphrase { params, .. } => {
                write!(f, "KeySource::Passphrase(<redacted>, {params:?})")
            }
            KeySource::KeyFile(p) => write!(f, "KeySource::KeyFile({})", p.display()),
        }
    }
}

impl KeySource {
    /// A passphrase with the default KDF cost.
    pub fn passphrase(passphrase: impl Into<String>) -> KeySource {
        KeySource::Passphrase {
            passphrase: passphrase.into(),
            params: HashParams::default(),
        }
    }

    /// `CHAT_STORE_KEY` if set, else the key file in `data_dir`.
    pub fn from_env(data_dir: &Path) -> KeySource {
        KeySource::from_env_value(data_dir, std::env::var(KEY_ENV).ok())
    }

    /// As [`from_env`](KeySource::from_env), with the variable's value
    /// passed in.
    ///
    /// ```
    /// use chat_net_mio::store::KeySource;
    /// use std::path::Path;
    /// let raw = KeySource::from_env_value(Path::new("d"), Some("ab".repeat(32)));
    /// assert!(matches!(raw, KeySource::Raw(k) if k == [0xab; 32]));
    /// let pass = KeySource::from_env_value(Path::new("d"), Some("open sesame".into()));
    /// assert!(matches!(pass, KeySource::Passphrase { .. }));
    /// let file = KeySource::from_env_value(Path::new("d"), None);
    /// assert!(matches!(file, KeySource::KeyFile(p) if p == Path::new("d/store.key")));
    /// ```
    pub fn from_env_value(data_dir: &Path, value: Option<String>) -> KeySource {
        match value.filter(|v| !v.is_empty()) {
            Some(v) => match parse_hex_key(v.trim()) {
                Some(key) => KeySource::Raw(key),
                None => KeySource::passphrase(v),
            },
            None => KeySource::KeyFile(data_dir.join(KEY_FILE)),
        }
    }

    /// Resolves the key. `stored` is the header of an existing store (its
    /// KDF salt and cost), `None` for a new one.
    pub(crate) fn resolve(
        &self,
        store_path: &Path,
        stored: Option<Kdf>,
        rng: &SystemRandom,
    ) -> Result<([u8; 32], Kdf), StoreError> {
        let path = || store_path.display().to_string();
        match (self, stored) {
            (KeySource::Passphrase { .. }, Some(Kdf::Raw)) => Err(StoreError::KeyKind {
                path: path(),
                expected: "raw key",
                given: "passphrase",
            }),
            (KeySource::Raw(_) | KeySource::KeyFile(_), Some(Kdf::Argon2id { .. })) => {
                Err(StoreError::KeyKind {
                    path: path(),
                    expected: "passphrase",
                    given: "raw key",
                })
            }
            (KeySource::Raw(k), _) => Ok((*k, Kdf::Raw)),
            (KeySource::KeyFile(file), _) => {
                Ok((key_file(file, store_path, stored.is_some(), rng)?, Kdf::Raw))
            }
            (KeySource::Passphrase { passphrase, params }, stored) => {
                // A raw-key store was refused above: here the header is
                // either absent (a new store) or argon2id.
                let kdf = match stored {
                    Some(kdf @ Kdf::Argon2id { .. }) => kdf,
                    _ => {
                        let mut salt = [0u8; KDF_SALT_LEN];
                        rng.fill(&mut salt).map_err(|_| StoreError::BadKey {
                            path: path(),
                            message: "no randomness for a salt".into(),
                        })?;
                        Kdf::Argon2id {
                            salt,
                            memory_kib: params.memory_kib,
                            iterations: params.iterations,
                            lanes: params.parallelism,
                        }
                    }
                };
                let key = match &kdf {
                    Kdf::Argon2id {
                        salt,
                        memory_kib,
                        iterations,
                        lanes,
                    } => derive(
                        passphrase,
                        salt,
                        (*memory_kib, *iterations, *lanes),
                        store_path,
                    )?,
                    Kdf::Raw => {
                        return Err(StoreError::KeyKind {
                            path: path(),
                            expected: "raw key",
                            given: "passphrase",
                        })
                    }
                };
                Ok((key, kdf))
            }
        }
    }
}

/// Stretches a passphrase into a key with argon2id.
fn derive(
    passphrase: &str,
    salt: &[u8; KDF_SALT_LEN],
    (memory_kib, iterations, lanes): (u32, u32, u32),
    store_path: &Path,
) -> Result<[u8; 32], StoreError> {
    let bad = |message: String| StoreError::BadKey {
        path: store_path.display().to_string(),
        message,
    };
    let params = argon2::Params::new(memory_kib, iterations, lanes, Some(32))
        .map_err(|e| bad(format!("KDF parameters: {e}")))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = [0u8; 32];
    argon
        .hash_password_into(passphrase.as_bytes(), salt, &mut key)
        .map_err(|e| bad(format!("KDF: {e}")))?;
    Ok(key)
}

fn parse_hex_key(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(key)
}

fn to_hex(key: &[u8; 32]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads the key file, or creates it for a new store.
fn key_file(
    file: &Path,
    store_path: &Path,
    store_exists: bool,
    rng: &SystemRandom,
) -> Result<[u8; 32], StoreError> {
    let shown = || file.display().to_string();
    match std::fs::read_to_string(file) {
        Ok(text) => {
            if let Ok(meta) = std::fs::metadata(file) {
                if meta.permissions().mode() & 0o077 != 0 {
                    log::warn!(
                        "{} is readable by others (mode {:o}); it should be 0600",
                        file.display(),
                        meta.permissions().mode() & 0o777
                    );
                }
            }
            parse_hex_key(text.trim()).ok_or_else(|| StoreError::BadKey {
                path: shown(),
                message: "expected 64 hex digits".into(),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if store_exists {
                return Err(StoreError::KeyMissing {
                    path: store_path.display().to_string(),
                    key: shown(),
                });
            }
            let mut key = [0u8; 32];
            rng.fill(&mut key).map_err(|_| StoreError::BadKey {
                path: shown(),
                message: "no randomness for a key".into(),
            })?;
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(file)
                .map_err(|e| StoreError::io(file, "create the key file", &e))?;
            f.write_all(format!("{}\n", to_hex(&key)).as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(|e| StoreError::io(file, "write the key file", &e))?;
            if let Some(dir) = file.parent() {
                sync_dir(dir)?;
            }
            log::info!("created a new store key in {}", file.display());
            Ok(key)
        }
        Err(e) => Err(StoreError::io(file, "read the key file", &e)),
    }
}
