//! Client-only tags (IRCv3 message tags whose names start with `+`, such
//! as `+typing` or `+draft/reply`): data a client attaches to a message
//! for the other clients, which the server carries without reading.
//!
//! The engine keeps them as one string in a single form, the one both
//! protocols write: `+name=value` pairs separated by `;`, each value
//! escaped as IRCv3 escapes tag values (`\:` for `;`, `\s` for a space,
//! `\\`, `\r`, `\n`), so it holds no space, `;`, CR or LF; a tag with an
//! empty value is written without `=`, and a name given twice keeps its
//! last value. [`canonical`] reads what a client sent into that form.

use std::borrow::Cow;

/// A message's client-only tags, in the one form (see the module doc);
/// empty for none.
///
/// ```
/// use chat_core::ClientTags;
/// let raw = chat_core::client_tags::canonical(r"+a=x\sy;time=now;+b;+a=z\:w");
/// let tags = ClientTags::new(&raw).unwrap();
/// assert_eq!(tags.as_str(), r"+b;+a=z\:w");
/// let pairs: Vec<_> = tags.iter().collect();
/// assert_eq!(pairs, [("+b", "".into()), ("+a", "z;w".into())]);
/// assert!(ClientTags::NONE.is_empty());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ClientTags<'a>(&'a str);

impl<'a> ClientTags<'a> {
    /// No tags.
    pub const NONE: ClientTags<'static> = ClientTags("");

    /// Tags already in the one form ([`canonical`] writes it); `None`
    /// when `raw` is not in it.
    pub fn new(raw: &'a str) -> Option<ClientTags<'a>> {
        (canonical(raw) == raw).then_some(ClientTags(raw))
    }

    /// Tags the caller knows to be in the one form (the codecs, which
    /// made them with [`canonical`]).
    pub(crate) fn trusted(raw: &'a str) -> ClientTags<'a> {
        ClientTags(raw)
    }

    /// The tags as written (`+a=b;+c`).
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Their size as written, in bytes (what the configured limit counts).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Each tag's name (with its `+`) and value, unescaped.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, Cow<'a, str>)> {
        self.0.split(';').filter(|t| !t.is_empty()).map(|tag| {
            let (name, value) = tag.split_once('=').unwrap_or((tag, ""));
            (name, unescape(value))
        })
    }
}

/// The client-only tags of a line's tag part (IRC's, without its `@`),
/// in the one form: the tags whose names start with `+` and are well
/// formed (`+[vendor/]name`, letters, digits, `-`, `.` and `/`), each
/// value unescaped and escaped again, the last of a name kept. Empty when
/// there are none.
///
/// ```
/// use chat_core::client_tags::canonical;
/// assert_eq!(canonical("+baz=bat;fizz=buzz"), "+baz=bat");
/// assert_eq!(canonical(r"+a=b\x\;+c=;+d=\s\\"), r"+a=bx;+c;+d=\s\\");
/// assert_eq!(canonical("label=1;msgid=2"), "");
/// ```
pub fn canonical(raw: &str) -> String {
    let mut kept: Vec<(&str, Cow<'_, str>)> = Vec::new();
    for tag in raw.split(';').filter(|t| !t.is_empty()) {
        let (name, value) = tag.split_once('=').unwrap_or((tag, ""));
        if !is_client_name(name) {
            continue;
        }
        kept.retain(|(n, _)| *n != name);
        kept.push((name, unescape(value)));
    }
    let mut out = String::new();
    for (name, value) in kept {
        if !out.is_empty() {
            out.push(';');
        }
        out.push_str(name);
        if !value.is_empty() {
            out.push('=');
            escape(&value, &mut out);
        }
    }
    out
}

/// Whether `name` is a client-only tag's name: `+`, then an optional
/// vendor (a host name) and `/`, then letters, digits and `-`.
fn is_client_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('+') else {
        return false;
    };
    let (vendor, key) = match rest.rsplit_once('/') {
        Some((vendor, key)) if !vendor.is_empty() => (vendor, key),
        Some(_) => return false,
        None => ("", rest),
    };
    let key_ok = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let vendor_ok = vendor
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'/');
    key_ok && vendor_ok
}

/// A tag value as IRCv3 escapes it: `;` as `\:`, space as `\s`, `\` as
/// `\\`, CR as `\r`, LF as `\n`.
pub fn escape(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            ';' => out.push_str("\\:"),
            ' ' => out.push_str("\\s"),
            '\\' => out.push_str("\\\\"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A tag value as written, unescaped: the escapes of [`escape`] undone, a
/// `\` before any other character dropped, and a `\` at the end too.
pub fn unescape(value: &str) -> Cow<'_, str> {
    if !value.contains('\\') {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(':') => out.push(';'),
            Some('s') => out.push(' '),
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_escape_goes_both_ways() {
        let value = "a;b c\\d\re\nf";
        let mut escaped = String::new();
        escape(value, &mut escaped);
        assert_eq!(escaped, r"a\:b\sc\\d\re\nf");
        assert_eq!(unescape(&escaped), value);
        assert_eq!(unescape(r"x\"), "x");
        assert_eq!(unescape(r"\b\"), "b");
    }

    #[test]
    fn only_well_formed_client_names_are_kept() {
        assert_eq!(
            canonical("+example.com/foo=1;+=2;+a b=3;+ok-1=4;a=5;+/x=6"),
            "+example.com/foo=1;+ok-1=4"
        );
        assert_eq!(canonical("+a=1;+b=2;+a=3"), "+b=2;+a=3");
        assert_eq!(canonical(""), "");
        assert!(ClientTags::new("+a=1").is_some());
        assert!(ClientTags::new("+a=x y").is_none());
        assert!(ClientTags::new("a=1").is_none());
    }
}
