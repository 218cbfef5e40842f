//! The self-signed certificate of `--tls-self-signed`, for trying TLS out
//! locally.

use std::fs;
use std::io::Write;
use std::path::Path;

use chat_net_mio::TlsFiles;

/// The certificate's file name in the data folder.
pub(crate) const CERT_FILE: &str = "tls-cert.pem";
/// The key's file name in the data folder.
pub(crate) const KEY_FILE: &str = "tls-key.pem";

/// The data folder's self-signed certificate for localhost and
/// 127.0.0.1, created if it is not there yet.
pub(crate) fn self_signed(data_dir: &Path) -> Result<TlsFiles, String> {
    let files = TlsFiles {
        cert: data_dir.join(CERT_FILE),
        key: data_dir.join(KEY_FILE),
    };
    if files.cert.exists() && files.key.exists() {
        return Ok(files);
    }
    fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let ck = rcgen::generate_simple_self_signed(names)
        .map_err(|e| format!("cannot make a self-signed certificate: {e}"))?;
    write_private(&files.key, ck.key_pair.serialize_pem().as_bytes())?;
    fs::write(&files.cert, ck.cert.pem())
        .map_err(|e| format!("cannot write {}: {e}", files.cert.display()))?;
    log::info!(
        "created a self-signed certificate for localhost in {}",
        files.cert.display()
    );
    Ok(files)
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    f.write_all(bytes)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
