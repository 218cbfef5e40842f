//! Atomic file replacement: write a temporary file, fsync it, rename it
//! over the target, fsync the folder. A crash at any moment leaves either
//! the old file or the new one.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::error::StoreError;

/// The temporary file beside `target`.
pub(crate) fn temp_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    target.with_file_name(name)
}

/// Replaces `target` with `bytes`, durably.
pub(crate) fn write_atomic(target: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let tmp = temp_path(target);
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| StoreError::io(&tmp, "create", &e))?;
    f.write_all(bytes)
        .map_err(|e| StoreError::io(&tmp, "write", &e))?;
    f.sync_all()
        .map_err(|e| StoreError::io(&tmp, "fsync", &e))?;
    drop(f);
    std::fs::rename(&tmp, target).map_err(|e| StoreError::io(target, "rename into place", &e))?;
    if let Some(dir) = target.parent() {
        sync_dir(dir)?;
    }
    Ok(())
}

/// Makes a rename or a new file in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, "fsync the folder", &e))
}
