//! IRCv3 `labeled-response`: a line the client sent with `@label=<id>`
//! is answered with exactly one of a single line carrying the label, a
//! `labeled-response` batch carrying it whose every line is in the batch,
//! or `ACK` with the label when the line has no answer.
//!
//! The answer is streamed, not gathered: the first line is held back
//! until the second comes (then the batch opens, with both in it) or the
//! answer ends (then it goes out alone, labeled), so a long answer the
//! engine paces by the connection's drains never waits here whole.

use std::io::Write;

/// The longest label honoured, in bytes; a longer one is ignored (the
/// line is answered as if it had none). The spec lets a server ignore
/// labels over 64 bytes.
pub const MAX_LABEL: usize = 64;

/// The label a line asks for (`@label=<id>` among its tags), if it asks
/// for one this server honours: at most [`MAX_LABEL`] bytes, not empty,
/// and with nothing a tag value must escape (`\`), so it is sent back as
/// it came.
pub(super) fn label_of(line: &str) -> Option<&str> {
    let tags = line.strip_prefix('@')?.split(' ').next()?;
    let value = tags.split(';').find_map(|t| t.strip_prefix("label="))?;
    let honoured = !value.is_empty() && value.len() <= MAX_LABEL && !value.contains('\\');
    honoured.then_some(value)
}

/// The labeled answer to one line, while it is produced.
#[derive(Debug)]
pub(super) struct Response {
    label: Box<str>,
    /// The first line of the answer, held until a second one comes or
    /// the answer ends.
    held: Option<Vec<u8>>,
    /// The reference of the batch open, once the answer has two lines.
    batch: Option<u64>,
    /// Lines the labeled one stands for beside itself (a `PRIVMSG` to
    /// several targets), still to be read: the answer goes on through
    /// them.
    pub(super) followups: usize,
}

impl Response {
    /// The answer to a line labeled `label`.
    pub(super) fn new(label: &str) -> Response {
        Response {
            label: label.into(),
            held: None,
            batch: None,
            followups: 0,
        }
    }

    /// Passes `bytes` (whole lines of the answer) through: the first is
    /// held; the second opens the batch (reference `l<n>`, `n` from
    /// `batches`) after which every line goes out in it. Lines already in
    /// a batch of their own (a `chathistory` batch's) keep it: that batch
    /// is nested, its `BATCH` lines in this one.
    pub(super) fn pass(
        &mut self,
        server: &str,
        batches: &mut u64,
        bytes: &[u8],
        out: &mut Vec<u8>,
    ) {
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            let r = match (self.batch, self.held.take()) {
                (Some(r), _) => r,
                (None, None) => {
                    self.held = Some(line.to_vec());
                    continue;
                }
                (None, Some(first)) => {
                    *batches += 1;
                    let r = *batches;
                    self.batch = Some(r);
                    let label = &self.label;
                    let _ = write!(
                        out,
                        "@label={label} :{server} BATCH +l{r} labeled-response\r\n"
                    );
                    in_batch(r, &first, out);
                    r
                }
            };
            in_batch(r, line, out);
        }
    }

    /// Ends the answer: `ACK` when it had no line, its one line labeled,
    /// or the end of its batch.
    pub(super) fn end(self, server: &str, out: &mut Vec<u8>) {
        let label = &self.label;
        match (self.batch, self.held) {
            (Some(r), _) => {
                let _ = write!(out, ":{server} BATCH -l{r}\r\n");
            }
            (None, Some(line)) => tagged(&format!("label={label}"), &line, out),
            (None, None) => {
                let _ = write!(out, "@label={label} :{server} ACK\r\n");
            }
        }
    }
}

/// Writes `line` in batch `l<r>`, unless it is in a batch already.
fn in_batch(r: u64, line: &[u8], out: &mut Vec<u8>) {
    if has_batch_tag(line) {
        out.extend_from_slice(line);
    } else {
        tagged(&format!("batch=l{r}"), line, out);
    }
}

/// Writes `line` with `tag` first among its tags.
fn tagged(tag: &str, line: &[u8], out: &mut Vec<u8>) {
    out.push(b'@');
    out.extend_from_slice(tag.as_bytes());
    match line.strip_prefix(b"@") {
        Some(rest) => {
            out.push(b';');
            out.extend_from_slice(rest);
        }
        None => {
            out.push(b' ');
            out.extend_from_slice(line);
        }
    }
}

/// Whether a line's tags name a batch.
fn has_batch_tag(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"@") else {
        return false;
    };
    let tags = rest.split(|&b| b == b' ').next().unwrap_or_default();
    tags.split(|&b| b == b';').any(|t| t.starts_with(b"batch="))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_is_read_among_tags_and_bounded() {
        assert_eq!(label_of("@label=abc PING x"), Some("abc"));
        assert_eq!(label_of("@a=1;label=x-2;+b PRIVMSG #c :hi"), Some("x-2"));
        assert_eq!(label_of("PING label=x"), None);
        assert_eq!(label_of("@mylabel=x PING y"), None);
        assert_eq!(label_of("@label= PING y"), None);
        assert_eq!(label_of("@label=a\\sb PING y"), None);
        let long = format!("@label={} PING y", "x".repeat(MAX_LABEL + 1));
        assert_eq!(label_of(&long), None);
        let most = format!("@label={} PING y", "x".repeat(MAX_LABEL));
        assert_eq!(label_of(&most).map(str::len), Some(MAX_LABEL));
    }

    fn answer(lines: &[&str]) -> String {
        let mut batches = 0;
        let mut r = Response::new("L");
        let mut out = Vec::new();
        for line in lines {
            r.pass(
                "srv",
                &mut batches,
                format!("{line}\r\n").as_bytes(),
                &mut out,
            );
        }
        r.end("srv", &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn none_one_or_a_batch_with_nested_batches_kept() {
        assert_eq!(answer(&[]), "@label=L :srv ACK\r\n");
        assert_eq!(
            answer(&[":srv PONG srv :x"]),
            "@label=L :srv PONG srv :x\r\n"
        );
        assert_eq!(
            answer(&["@time=t :a JOIN #c", ":srv 366 a #c :End"]),
            "@label=L :srv BATCH +l1 labeled-response\r\n\
             @batch=l1;time=t :a JOIN #c\r\n\
             @batch=l1 :srv 366 a #c :End\r\n\
             :srv BATCH -l1\r\n"
        );
        assert_eq!(
            answer(&[
                ":srv BATCH +h1 chathistory #c",
                "@batch=h1;time=t :b PRIVMSG #c :hi",
                ":srv BATCH -h1"
            ]),
            "@label=L :srv BATCH +l1 labeled-response\r\n\
             @batch=l1 :srv BATCH +h1 chathistory #c\r\n\
             @batch=h1;time=t :b PRIVMSG #c :hi\r\n\
             @batch=l1 :srv BATCH -h1\r\n\
             :srv BATCH -l1\r\n"
        );
    }
}
