//! The journal's log file, `store.log`: a header, then one sealed record
//! per group commit, appended and fsynced before the commit is
//! acknowledged.
//!
//! ```text
//! header (32 bytes, in every record's associated data)
//!   magic       8  b"CHATJRNL"
//!   version     1  4 (read only to migrate: 1, history lines without
//!                  ids; 2, rooms without modes; 3, history lines
//!                  without kinds)
//!   alg         1  1 = ChaCha20-Poly1305
//!   reserved    6  0
//!   generation  8  u64 LE: the snapshot this log follows
//!   first_seq   8  u64 LE: the sequence number of its first record
//! record
//!   len         4  u32 LE: length of ciphertext and tag
//!   !len        4  its complement, so a flipped length bit is damage,
//!                  not mistaken for a torn tail
//!   seq         8  u64 LE: first_seq, first_seq + 1, ...
//!   nonce      12  fresh random bytes
//!   body      len  the postcard-encoded changes, sealed; associated data:
//!                  header, len, seq and the record's offset, so a record
//!                  cannot be moved, reordered or replayed
//! ```
//!
//! Reading stops at a torn tail (what a crash mid-append leaves: a partial
//! record, or a last record that does not authenticate) and reports it;
//! anything else that is wrong is damage, reported with its offset.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use ring::aead::NONCE_LEN;
use ring::rand::{SecureRandom, SystemRandom};

use super::error::StoreError;
use super::file;
use super::seal::{SealKey, ALG_CHACHA20_POLY1305, TAG};

const MAGIC: &[u8; 8] = b"CHATJRNL";
/// The log's format: its records are `Vec<StoreChange>` as of now.
pub(crate) const VERSION: u8 = 4;
/// The log of history lines without kinds (`format::ChangeV3`).
pub(crate) const VERSION_V3: u8 = 3;
/// The log of rooms without modes (`format::ChangeV2`).
pub(crate) const VERSION_V2: u8 = 2;
/// The log of history lines without ids (`format::ChangeV1`).
pub(crate) const VERSION_V1: u8 = 1;
/// The header's length.
pub(crate) const HEADER_LEN: usize = 32;
/// A record's framing before its body.
const FRAME: usize = 4 + 4 + 8 + NONCE_LEN;
/// No group commit comes near this; a larger length is damage.
const MAX_RECORD: u32 = 256 * 1024 * 1024;

/// What the header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LogHeader {
    pub(crate) generation: u64,
    pub(crate) first_seq: u64,
    /// [`VERSION`], or an older one being read.
    pub(crate) version: u8,
}

impl LogHeader {
    /// The header of a new log in the current format.
    pub(crate) fn new(generation: u64, first_seq: u64) -> LogHeader {
        LogHeader {
            generation,
            first_seq,
            version: VERSION,
        }
    }

    pub(crate) fn to_bytes(self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..8].copy_from_slice(MAGIC);
        h[8] = self.version;
        h[9] = ALG_CHACHA20_POLY1305;
        h[16..24].copy_from_slice(&self.generation.to_le_bytes());
        h[24..32].copy_from_slice(&self.first_seq.to_le_bytes());
        h
    }

    /// Reads the header; what is wrong with it otherwise.
    pub(crate) fn parse(bytes: &[u8]) -> Result<LogHeader, &'static str> {
        let h = bytes
            .get(..HEADER_LEN)
            .ok_or("shorter than the journal header")?;
        if &h[..8] != MAGIC {
            return Err("not a chat journal (bad magic bytes)");
        }
        if ![VERSION, VERSION_V3, VERSION_V2, VERSION_V1].contains(&h[8])
            || h[9] != ALG_CHACHA20_POLY1305
            || h[10..16] != [0; 6]
        {
            return Err("unsupported journal version or algorithm");
        }
        Ok(LogHeader {
            generation: u64_at(h, 16),
            first_seq: u64_at(h, 24),
            version: h[8],
        })
    }
}

fn u64_at(b: &[u8], i: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(x)
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[i..i + 4]);
    u32::from_le_bytes(x)
}

fn aad(header: &[u8; HEADER_LEN], len: u32, seq: u64, offset: u64) -> [u8; HEADER_LEN + 20] {
    let mut a = [0u8; HEADER_LEN + 20];
    a[..HEADER_LEN].copy_from_slice(header);
    a[HEADER_LEN..HEADER_LEN + 4].copy_from_slice(&len.to_le_bytes());
    a[HEADER_LEN + 4..HEADER_LEN + 12].copy_from_slice(&seq.to_le_bytes());
    a[HEADER_LEN + 12..].copy_from_slice(&offset.to_le_bytes());
    a
}

/// Frames and seals one record to be written at `offset`.
fn seal_record(
    key: &SealKey,
    header: &[u8; HEADER_LEN],
    seq: u64,
    offset: u64,
    plaintext: &[u8],
    rng: &SystemRandom,
) -> Result<Vec<u8>, ring::error::Unspecified> {
    let len = u32::try_from(plaintext.len() + TAG).map_err(|_| ring::error::Unspecified)?;
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill(&mut nonce)?;
    let mut body = Vec::with_capacity(FRAME + plaintext.len() + TAG);
    body.extend_from_slice(plaintext);
    key.seal_in_place(nonce, &aad(header, len, seq, offset), &mut body)?;
    let mut out = Vec::with_capacity(FRAME + body.len());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    Ok(out)
}

/// Where reading a log ended.
#[derive(Debug)]
pub(crate) struct Scanned {
    /// The end of the last good record.
    pub(crate) end: u64,
    /// The sequence number the next record gets.
    pub(crate) next_seq: u64,
    /// A torn tail after `end`, and what it looked like.
    pub(crate) torn: Option<&'static str>,
}

/// Reads every record after the header from `reader` (positioned just
/// after it; the log is `total` bytes long), handing each one's plaintext
/// and offset to `each`, in order. Reads one record at a time: a large log
/// is never all in memory.
pub(crate) fn scan(
    path: &Path,
    mut reader: impl Read,
    total: u64,
    key: &SealKey,
    header: LogHeader,
    mut each: impl FnMut(u64, &[u8]) -> Result<(), StoreError>,
) -> Result<Scanned, StoreError> {
    let head = header.to_bytes();
    let mut at = HEADER_LEN as u64;
    let mut seq = header.first_seq;
    let mut frame = [0u8; FRAME];
    let mut body = Vec::new();
    let damaged = |at: u64, what: String| StoreError::damaged(path, at, what);
    let mut read = |buf: &mut [u8]| {
        reader
            .read_exact(buf)
            .map_err(|e| StoreError::io(path, "read", &e))
    };
    let torn = loop {
        let rest = total.saturating_sub(at);
        if rest == 0 {
            break None;
        }
        if rest < FRAME as u64 {
            break Some("a partial record header");
        }
        read(&mut frame)?;
        let len = u32_at(&frame, 0);
        if len != !u32_at(&frame, 4) {
            let mut tail = vec![0u8; (rest - FRAME as u64) as usize];
            read(&mut tail)?;
            if frame.iter().chain(&tail).all(|&b| b == 0) {
                break Some("zeros after the last record");
            }
            return Err(damaged(
                at,
                "a record's length does not match its check".into(),
            ));
        }
        if !(TAG as u32..=MAX_RECORD).contains(&len) {
            return Err(damaged(at, format!("a record of impossible length {len}")));
        }
        let end = at + (FRAME as u64) + u64::from(len);
        if end > total {
            break Some("a partial last record");
        }
        let found = u64_at(&frame, 8);
        if found != seq {
            return Err(damaged(
                at,
                format!("record {found} where record {seq} belongs (moved or replayed)"),
            ));
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&frame[16..FRAME]);
        body.resize(len as usize, 0);
        read(&mut body)?;
        match key.open_in_place(nonce, &aad(&head, len, seq, at), &mut body) {
            Ok(plain_len) => each(at, &body[..plain_len])?,
            Err(_) if end == total => break Some("a last record that does not authenticate"),
            Err(_) => {
                return Err(damaged(
                    at,
                    format!("record {seq} does not authenticate (altered, or another key)"),
                ))
            }
        }
        at = end;
        seq += 1;
    };
    Ok(Scanned {
        end: at,
        next_seq: seq,
        torn,
    })
}

/// The open log, appended to by the store's writer.
#[derive(Debug)]
pub(crate) struct LogWriter {
    path: PathBuf,
    file: File,
    header: [u8; HEADER_LEN],
    len: u64,
}

impl LogWriter {
    /// Replaces whatever is at `path` with an empty log, durably.
    pub(crate) fn create(path: &Path, header: LogHeader) -> Result<LogWriter, StoreError> {
        let bytes = header.to_bytes();
        file::write_atomic(path, &bytes)?;
        LogWriter::open(path, header, HEADER_LEN as u64)
    }

    /// Opens an existing log to append after its first `len` bytes (the
    /// rest, a torn tail, is cut off durably).
    pub(crate) fn open(path: &Path, header: LogHeader, len: u64) -> Result<LogWriter, StoreError> {
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| StoreError::io(path, "open the journal", &e))?;
        let on_disk = file
            .metadata()
            .map_err(|e| StoreError::io(path, "read the journal's size", &e))?
            .len();
        if on_disk != len {
            file.set_len(len)
                .and_then(|()| file.sync_all())
                .map_err(|e| StoreError::io(path, "cut the torn tail", &e))?;
        }
        Ok(LogWriter {
            path: path.to_owned(),
            file,
            header: header.to_bytes(),
            len,
        })
    }

    /// The log's length.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Seals `plaintext` as record `seq`, appends it and fsyncs. On error
    /// the log is cut back to where it was; if even that fails, the error
    /// is [`StoreError::Broken`].
    pub(crate) fn append(
        &mut self,
        key: &SealKey,
        seq: u64,
        plaintext: &[u8],
        rng: &SystemRandom,
    ) -> Result<(), StoreError> {
        let record =
            seal_record(key, &self.header, seq, self.len, plaintext, rng).map_err(|_| {
                StoreError::Io {
                    path: self.path.display().to_string(),
                    action: "seal a record",
                    message: "the AEAD failed".into(),
                }
            })?;
        let written = self
            .write_at_end(&record)
            .and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.len += record.len() as u64;
                Ok(())
            }
            Err(e) => {
                let err = StoreError::io(&self.path, "append to the journal", &e);
                match self
                    .file
                    .set_len(self.len)
                    .and_then(|()| self.file.sync_data())
                {
                    Ok(()) => Err(err),
                    Err(_) => Err(StoreError::Broken {
                        path: self.path.display().to_string(),
                    }),
                }
            }
        }
    }

    fn write_at_end(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom};
        self.file.seek(SeekFrom::Start(self.len))?;
        self.file.write_all(bytes)
    }
}
