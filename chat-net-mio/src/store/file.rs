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

/// [`write_atomic`] written `chunk` bytes at a time, each chunk's data
/// on the disk before the next is written.
///
/// A large file (a snapshot) written whole and synced at the end has all
/// its data waiting at once, and on a file system that orders data before
/// metadata (ext4's default) an fsync of another file in the meantime
/// (the log's, for a commit) can wait for all of it. Writing the data out
/// as it goes (without a journal commit per chunk, see [`write_out`])
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
    let mut written = 0;
    let mut chunks = bytes.chunks(chunk.max(1)).peekable();
    while let Some(part) = chunks.next() {
        f.write_all(part)
            .map_err(|e| StoreError::io(&tmp, "write", &e))?;
        if chunks.peek().is_some() {
            write_out(&f, written, part.len()).map_err(|e| StoreError::io(&tmp, "fsync", &e))?;
        }
        written += part.len() as u64;
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

/// Puts `len` bytes of `f` from `offset` on the disk and waits for them:
/// their data only, so no journal commit that other files' fsyncs would
/// queue behind (the final fsync makes the file and its size durable).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn write_out(f: &File, offset: u64, len: usize) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let flags = libc::SYNC_FILE_RANGE_WAIT_BEFORE
        | libc::SYNC_FILE_RANGE_WRITE
        | libc::SYNC_FILE_RANGE_WAIT_AFTER;
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return f.sync_data();
    };
    // SAFETY: a system call on the descriptor of a file open for
    // writing, with plain integers; no memory is handed over.
    let rc = unsafe { libc::sync_file_range(f.as_raw_fd(), offset, len, flags) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Elsewhere, an fsync of the data written so far.
#[cfg(not(target_os = "linux"))]
fn write_out(f: &File, _offset: u64, _len: usize) -> std::io::Result<()> {
    f.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_written_a_chunk_at_a_time_is_whole_and_replaces_the_old() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("snap");
        std::fs::write(&target, b"old").unwrap();
        let bytes: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        for chunk in [1, 999, 4096, 10_000, 20_000] {
            write_atomic_in(&target, &bytes, chunk).unwrap();
            assert_eq!(std::fs::read(&target).unwrap(), bytes, "chunk {chunk}");
            assert!(!temp_path(&target).exists());
        }
        write_atomic_in(&target, b"", 4096).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"");
    }
}
