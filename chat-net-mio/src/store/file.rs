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
    write_atomic_in(target, bytes, bytes.len())
}

/// [`write_atomic`] written and synced `chunk` bytes at a time.
///
/// A large file (a snapshot) written whole and synced at the end has all
/// its data waiting at once, and on a file system that orders data before
/// metadata (ext4's default) an fsync of another file in the meantime
/// (the log's, for a commit) can wait for all of it. Syncing as it goes
/// keeps what such an fsync can wait for to one chunk.
pub(crate) fn write_atomic_in(target: &Path, bytes: &[u8], chunk: usize) -> Result<(), StoreError> {
    let tmp = temp_path(target);
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| StoreError::io(&tmp, "create", &e))?;
    let mut chunks = bytes.chunks(chunk.max(1)).peekable();
    while let Some(part) = chunks.next() {
        f.write_all(part)
            .map_err(|e| StoreError::io(&tmp, "write", &e))?;
        if chunks.peek().is_some() {
            f.sync_data()
                .map_err(|e| StoreError::io(&tmp, "fsync", &e))?;
        }
    }
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
