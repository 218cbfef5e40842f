//! The data folder's lock: one server per folder. Two servers writing the
//! same store would each overwrite the other's acknowledged changes.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;

use super::error::StoreError;

/// An exclusive `flock` on a data folder, held while it lives (the kernel
/// releases it when the process ends, however it ends).
#[derive(Debug)]
pub struct DirLock {
    _dir: File,
}

impl DirLock {
    /// Locks `dir` (which must exist), or says which folder is in use.
    #[allow(unsafe_code)]
    pub fn acquire(dir: &Path) -> Result<DirLock, StoreError> {
        let file = File::open(dir).map_err(|e| StoreError::io(dir, "open the data folder", &e))?;
        // SAFETY: flock only takes the descriptor, which `file` keeps open.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let e = std::io::Error::last_os_error();
            return Err(if e.kind() == std::io::ErrorKind::WouldBlock {
                StoreError::Locked {
                    path: dir.display().to_string(),
                }
            } else {
                StoreError::io(dir, "lock the data folder", &e)
            });
        }
        Ok(DirLock { _dir: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let first = DirLock::acquire(dir.path()).unwrap();
        match DirLock::acquire(dir.path()) {
            Err(StoreError::Locked { path }) => assert_eq!(path, dir.path().display().to_string()),
            other => panic!("expected Locked, got {other:?}"),
        }
        drop(first);
        DirLock::acquire(dir.path()).unwrap();
    }
}
