//! Line framing: bytes from a connection, in arbitrary chunks, to lines.

use std::borrow::Cow;

use crate::ErrorCode;

/// Why a line could not be framed. The framer recovers by itself: the next
/// line is framed as usual.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The line (with its ending) was longer than the limit; its bytes were
    /// dropped up to and including the next `\n`.
    #[error("line longer than {limit} bytes")]
    TooLong {
        /// The limit in force.
        limit: usize,
    },
    /// The line is not valid UTF-8.
    #[error("line is not valid UTF-8")]
    BadUtf8,
}

impl FrameError {
    /// The wire error code for this error.
    pub fn code(self) -> ErrorCode {
        match self {
            FrameError::TooLong { .. } => ErrorCode::LineTooLong,
            FrameError::BadUtf8 => ErrorCode::BadUtf8,
        }
    }
}

/// Assembles lines from the byte chunks of one connection.
///
/// A line ends in `\n`; a `\r` before it is dropped. A line may span many
/// chunks and a chunk may hold many lines. The framer never holds more than
/// `max_line` bytes: a longer line is reported once as
/// [`FrameError::TooLong`] and skipped up to its end, and the lines after it
/// are framed as usual. A line that arrives whole in one chunk is handed out
/// borrowed from that chunk, without a copy.
///
/// ```
/// use chat_core::framing::Framer;
/// let mut framer = Framer::new(16);
/// let mut chunk: &[u8] = b"hel";
/// assert_eq!(framer.next_line(&mut chunk), None);
/// let mut chunk: &[u8] = b"lo\r\nbye\n";
/// assert_eq!(framer.next_line(&mut chunk).unwrap().unwrap(), "hello");
/// assert_eq!(framer.next_line(&mut chunk).unwrap().unwrap(), "bye");
/// assert_eq!(framer.next_line(&mut chunk), None);
/// ```
#[derive(Debug, Default)]
pub struct Framer {
    buf: Vec<u8>,
    max_line: usize,
    discarding: bool,
}

impl Framer {
    /// A framer for lines of at most `max_line` bytes, line ending included.
    pub fn new(max_line: usize) -> Framer {
        Framer {
            buf: Vec::new(),
            max_line: max_line.max(2),
            discarding: false,
        }
    }

    /// Bytes of an unfinished line held from earlier chunks.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Takes the next line from `input`, advancing it past what was used.
    /// Returns `None` once `input` holds no further complete line (a partial
    /// line is kept for the next chunk).
    pub fn next_line<'a>(
        &mut self,
        input: &mut &'a [u8],
    ) -> Option<Result<Cow<'a, str>, FrameError>> {
        loop {
            if input.is_empty() {
                return None;
            }
            let newline = input.iter().position(|&b| b == b'\n');
            if self.discarding {
                match newline {
                    Some(i) => {
                        *input = &input[i + 1..];
                        self.discarding = false;
                        continue;
                    }
                    None => {
                        *input = &[];
                        return None;
                    }
                }
            }
            let too_long = FrameError::TooLong {
                limit: self.max_line,
            };
            let Some(i) = newline else {
                // No end yet: keep the piece unless the line can no longer fit.
                if self.buf.len() + input.len() + 1 > self.max_line {
                    self.buf = Vec::new();
                    self.discarding = true;
                    *input = &[];
                    return Some(Err(too_long));
                }
                self.buf.extend_from_slice(input);
                *input = &[];
                return None;
            };
            let piece = &input[..i];
            *input = &input[i + 1..];
            if self.buf.len() + piece.len() + 1 > self.max_line {
                self.buf = Vec::new();
                return Some(Err(too_long));
            }
            if self.buf.is_empty() {
                return Some(
                    std::str::from_utf8(strip_cr(piece))
                        .map(Cow::Borrowed)
                        .map_err(|_| FrameError::BadUtf8),
                );
            }
            self.buf.extend_from_slice(piece);
            // Hand the buffer over and start afresh: an idle connection then
            // holds no buffer at all.
            let mut line = std::mem::take(&mut self.buf);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Some(
                String::from_utf8(line)
                    .map(Cow::Owned)
                    .map_err(|_| FrameError::BadUtf8),
            );
        }
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_lines(framer: &mut Framer, chunks: &[&[u8]]) -> Vec<Result<String, FrameError>> {
        let mut out = Vec::new();
        for chunk in chunks {
            let mut input = *chunk;
            while let Some(line) = framer.next_line(&mut input) {
                out.push(line.map(Cow::into_owned));
            }
        }
        out
    }

    #[test]
    fn many_lines_in_one_chunk() {
        let mut f = Framer::new(64);
        let got = all_lines(&mut f, &[b"a\nb\r\nc\n"]);
        assert_eq!(got, vec![Ok("a".into()), Ok("b".into()), Ok("c".into())]);
    }

    #[test]
    fn line_split_over_many_chunks_and_cr_split_from_lf() {
        let mut f = Framer::new(64);
        let got = all_lines(&mut f, &[b"he", b"ll", b"o\r", b"\nx\n"]);
        assert_eq!(got, vec![Ok("hello".into()), Ok("x".into())]);
    }

    #[test]
    fn empty_lines_are_lines() {
        let mut f = Framer::new(64);
        assert_eq!(
            all_lines(&mut f, &[b"\n\r\n"]),
            vec![Ok(String::new()), Ok(String::new())]
        );
    }

    #[test]
    fn exact_limit_fits_and_one_more_does_not() {
        let mut f = Framer::new(4);
        let got = all_lines(&mut f, &[b"abc\nabcd\nok\n"]);
        assert_eq!(
            got,
            vec![
                Ok("abc".into()),
                Err(FrameError::TooLong { limit: 4 }),
                Ok("ok".into())
            ]
        );
    }

    #[test]
    fn long_line_over_chunks_reported_once_and_next_line_survives() {
        let mut f = Framer::new(8);
        let got = all_lines(&mut f, &[b"0123", b"4567", b"89ab", b"cdef\nnext\n"]);
        assert_eq!(
            got,
            vec![Err(FrameError::TooLong { limit: 8 }), Ok("next".into())]
        );
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn buffer_never_exceeds_limit() {
        let mut f = Framer::new(10);
        for _ in 0..100 {
            let mut input: &[u8] = b"xxx";
            while f.next_line(&mut input).is_some() {}
            assert!(f.buffered() < 10);
        }
    }

    #[test]
    fn bad_utf8_reported_and_recovered() {
        let mut f = Framer::new(64);
        let got = all_lines(&mut f, &[b"\xff\xfe\nok\n", b"\xc3", b"\n"]);
        assert_eq!(
            got,
            vec![
                Err(FrameError::BadUtf8),
                Ok("ok".into()),
                Err(FrameError::BadUtf8)
            ]
        );
    }

    #[test]
    fn utf8_split_across_chunks() {
        let mut f = Framer::new(64);
        let got = all_lines(&mut f, &[b"caf\xc3", b"\xa9\n"]);
        assert_eq!(got, vec![Ok("café".into())]);
    }
}
