//! The framer against a reference splitter: arbitrary bytes in arbitrary
//! chunks give exactly the lines (and errors) of splitting the whole input
//! at once, the framer never buffers a line past its limit, and what it
//! keeps at the end is the unfinished tail.

#![no_main]

use arbitrary::Arbitrary;
use chat_core::framing::{FrameError, Framer};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Case {
    /// The line limit; small values make long lines common.
    limit: u8,
    /// The input as it arrives, chunk by chunk.
    chunks: Vec<Vec<u8>>,
}

type Line = Result<String, FrameError>;

/// What the framer must report for the whole input, and the bytes it must
/// still hold: split at every `\n`, judge each line on its own.
fn reference(bytes: &[u8], limit: usize) -> (Vec<Line>, usize) {
    let too_long = FrameError::TooLong { limit };
    let mut lines = Vec::new();
    let mut pieces: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    // The last piece has no `\n` yet: an unfinished line.
    let tail = pieces.pop().unwrap_or_default();
    for piece in pieces {
        lines.push(if piece.len() + 1 > limit {
            Err(too_long)
        } else {
            let piece = piece.strip_suffix(b"\r").unwrap_or(piece);
            String::from_utf8(piece.to_vec()).map_err(|_| FrameError::BadUtf8)
        });
    }
    // An unfinished line is reported as soon as it can no longer fit, and
    // then not held.
    if tail.len() + 1 > limit {
        lines.push(Err(too_long));
        (lines, 0)
    } else {
        (lines, tail.len())
    }
}

fuzz_target!(|case: Case| {
    // The framer takes any limit but never works with less than 2.
    let limit = usize::from(case.limit).max(2);
    let mut framer = Framer::new(usize::from(case.limit));
    let mut got = Vec::new();
    for chunk in &case.chunks {
        let mut input = chunk.as_slice();
        while let Some(line) = framer.next_line(&mut input) {
            if let Ok(text) = &line {
                assert!(text.len() < limit, "line of {} over {limit}", text.len());
                assert!(!text.contains('\n'));
            }
            got.push(line.map(|l| l.into_owned()));
        }
        assert!(input.is_empty(), "framer left {} bytes unread", input.len());
        assert!(
            framer.buffered() < limit,
            "framer holds {} bytes, limit {limit}",
            framer.buffered()
        );
    }
    let all = case.chunks.concat();
    let (want, held) = reference(&all, limit);
    assert_eq!(got, want);
    assert_eq!(framer.buffered(), held);
});
