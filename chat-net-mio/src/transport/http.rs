//! The HTTP/1.1 front of a WebSocket listener: the chat page's static
//! files for `GET`, the upgrade to WebSocket for the socket, a clean
//! refusal for anything else. One request per connection.

use base64::Engine as _;

use crate::config::Protocol;

/// The WebSocket subprotocol that carries chat/1, one line per message.
pub const CHAT1_SUBPROTOCOL: &str = "chat.v1";
/// The IRCv3 WebSocket subprotocol: IRC, one message per text message.
pub const IRC_SUBPROTOCOL: &str = "text.ircv3.net";

/// The protocol a WebSocket subprotocol carries, if this server speaks it.
fn protocol_of(subprotocol: &str) -> Option<Protocol> {
    match subprotocol {
        CHAT1_SUBPROTOCOL => Some(Protocol::Chat1),
        IRC_SUBPROTOCOL => Some(Protocol::Irc),
        _ => None,
    }
}

/// What the request asked for, and the bytes that answer it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Not a whole request head yet.
    Incomplete,
    /// Switched to WebSocket: send `response`, then frames; bytes after
    /// the head (`rest` of the input) are already frames.
    Upgrade {
        response: Vec<u8>,
        protocol: Protocol,
        head_len: usize,
    },
    /// A page, an error: send `response`, then close.
    Respond(Vec<u8>),
}

/// The chat page, embedded so the binary needs no files beside it.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "/",
        "text/html; charset=utf-8",
        include_bytes!("../web/index.html"),
    ),
    (
        "/app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../web/app.js"),
    ),
    (
        "/style.css",
        "text/css; charset=utf-8",
        include_bytes!("../web/style.css"),
    ),
    // Also at the address browsers ask for by themselves.
    (
        "/favicon.svg",
        "image/svg+xml",
        include_bytes!("../web/favicon.svg"),
    ),
    (
        "/favicon.ico",
        "image/svg+xml",
        include_bytes!("../web/favicon.svg"),
    ),
];

/// Nothing from another host, no inline script or style: user text that
/// slipped into the DOM as HTML still could not run.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const WS_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Which pages may open a WebSocket here: the listener's own origin, and
/// those the operator allows (`net.allowed_origins`).
#[derive(Debug, Clone)]
pub(crate) struct Origins {
    /// The listener speaks TLS: its own origin is `https://` + `Host`.
    pub(crate) tls: bool,
    /// Origins allowed besides the listener's own; `*` allows any.
    pub(crate) allowed: std::sync::Arc<[String]>,
}

impl Origins {
    /// Whether a WebSocket upgrade whose request carries `origin` (and
    /// `host`) may go ahead. No `Origin` is not a browser, which is what
    /// the check is for: a page elsewhere must not use a visitor's
    /// browser to reach this server (cross-site WebSocket hijacking), so
    /// it is let in.
    fn allow(&self, origin: Option<&str>, host: Option<&str>) -> bool {
        let Some(origin) = origin else {
            return true;
        };
        if self
            .allowed
            .iter()
            .any(|a| a == "*" || a.eq_ignore_ascii_case(origin))
        {
            return true;
        }
        let scheme = if self.tls { "https://" } else { "http://" };
        let Some(host) = host.filter(|h| !h.is_empty()) else {
            return false;
        };
        origin.len() == scheme.len() + host.len()
            && origin[..scheme.len()].eq_ignore_ascii_case(scheme)
            && origin[scheme.len()..].eq_ignore_ascii_case(host)
    }
}

/// Reads a request head from `buf` (at most `max_bytes` of it).
pub(crate) fn answer(buf: &[u8], max_bytes: usize, default: Protocol, origins: &Origins) -> Answer {
    let Some(end) = find(buf, b"\r\n\r\n") else {
        if buf.len() > max_bytes {
            return Answer::Respond(status(431, "Request Header Fields Too Large"));
        }
        return Answer::Incomplete;
    };
    let head_len = end + 4;
    if head_len > max_bytes {
        return Answer::Respond(status(431, "Request Header Fields Too Large"));
    }
    let Ok(head) = std::str::from_utf8(&buf[..end]) else {
        return Answer::Respond(status(400, "Bad Request"));
    };
    let mut lines = head.split("\r\n");
    let mut request = lines.next().unwrap_or("").split(' ');
    let (Some(method), Some(target), Some(version), None) = (
        request.next(),
        request.next(),
        request.next(),
        request.next(),
    ) else {
        return Answer::Respond(status(400, "Bad Request"));
    };
    if !version.starts_with("HTTP/1.") {
        return Answer::Respond(status(505, "HTTP Version Not Supported"));
    }
    let headers: Vec<(&str, &str)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    };
    if method != "GET" {
        return Answer::Respond(status(405, "Method Not Allowed"));
    }
    let path = target.split('?').next().unwrap_or(target);
    let upgrade = header("upgrade").is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !upgrade {
        return match FILES.iter().find(|(p, _, _)| *p == path) {
            Some((_, kind, body)) => Answer::Respond(page(kind, body)),
            None => Answer::Respond(status(404, "Not Found")),
        };
    }
    let connection_upgrade = header("connection").is_some_and(|v| {
        v.split(',')
            .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
    });
    let (Some(key), Some("13"), true) = (
        header("sec-websocket-key"),
        header("sec-websocket-version"),
        connection_upgrade,
    ) else {
        return Answer::Respond(status(400, "Bad Request"));
    };
    if !origins.allow(header("origin"), header("host")) {
        log::debug!(
            "WebSocket upgrade refused for origin {:?} (host {:?})",
            header("origin"),
            header("host")
        );
        return Answer::Respond(status(403, "Forbidden"));
    }
    // The first subprotocol offered that we speak; none offered means the
    // listener's own protocol; offers we cannot meet are refused.
    let (protocol, chosen) = match header("sec-websocket-protocol") {
        None => (default, None),
        Some(offer) => match offer
            .split(',')
            .map(str::trim)
            .find_map(|p| protocol_of(p).map(|proto| (proto, p)))
        {
            Some((proto, p)) => (proto, Some(p)),
            None => return Answer::Respond(status(400, "Bad Request")),
        },
    };
    let mut response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: {}\r\n",
        accept_key(key)
    );
    if let Some(p) = chosen {
        response.push_str(&format!("Sec-WebSocket-Protocol: {p}\r\n"));
    }
    response.push_str("\r\n");
    Answer::Upgrade {
        response: response.into_bytes(),
        protocol,
        head_len,
    }
}

/// `Sec-WebSocket-Accept` for a client's key (RFC 6455 section 4.2.2).
fn accept_key(key: &str) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(key.as_bytes());
    ctx.update(WS_GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(ctx.finish())
}

fn page(kind: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\
Content-Security-Policy: {CSP}\r\nX-Content-Type-Options: nosniff\r\n\
Referrer-Policy: no-referrer\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

fn status(code: u16, text: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {code} {text}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
Connection: close\r\n\r\n{text}\n",
        text.len() + 1
    )
    .into_bytes()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(req: &str) -> Answer {
        ask_with(req, false, &[])
    }

    fn ask_with(req: &str, tls: bool, allowed: &[&str]) -> Answer {
        let origins = Origins {
            tls,
            allowed: allowed.iter().map(|s| s.to_string()).collect(),
        };
        answer(req.as_bytes(), 8192, Protocol::Chat1, &origins)
    }

    fn upgrade_from(origin: &str, host: &str) -> String {
        format!(
            "GET /chat HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: a\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
    }

    fn status_of(a: Answer) -> u16 {
        match a {
            Answer::Upgrade { .. } => 101,
            Answer::Respond(r) => std::str::from_utf8(&r[9..12]).unwrap().parse().unwrap(),
            Answer::Incomplete => 0,
        }
    }

    #[test]
    fn the_origin_must_be_the_listeners_own_or_allowed() {
        let own = upgrade_from("https://chat.example:8443", "chat.example:8443");
        assert_eq!(status_of(ask_with(&own, true, &[])), 101);
        let upper = upgrade_from("HTTPS://Chat.Example:8443", "chat.example:8443");
        assert_eq!(status_of(ask_with(&upper, true, &[])), 101);
        // The scheme is part of the origin: a plain page may not use wss.
        assert_eq!(status_of(ask_with(&own, false, &[])), 403);
        let evil = upgrade_from("https://evil.example", "chat.example:8443");
        assert_eq!(status_of(ask_with(&evil, true, &[])), 403);
        // Another port is another origin.
        let port = upgrade_from("https://chat.example:9000", "chat.example:8443");
        assert_eq!(status_of(ask_with(&port, true, &[])), 403);
        let null = upgrade_from("null", "chat.example");
        assert_eq!(status_of(ask_with(&null, false, &[])), 403);
        // The operator's list.
        let app = upgrade_from("https://app.example", "chat.example:8443");
        assert_eq!(
            status_of(ask_with(&app, true, &["https://app.example"])),
            101
        );
        assert_eq!(status_of(ask_with(&evil, true, &["*"])), 101);
        // No Origin: not a browser.
        let bare = "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: a\r\nSec-WebSocket-Version: 13\r\n\r\n";
        assert_eq!(status_of(ask(bare)), 101);
        // A page load is not an upgrade: no check.
        let page = "GET / HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\n\r\n";
        assert_eq!(status_of(ask(page)), 200);
    }

    #[test]
    fn the_rfc_example_key() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn upgrade_with_our_subprotocol() {
        let req = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
Sec-WebSocket-Protocol: mqtt, chat.v1, text.ircv3.net\r\n\r\nrest";
        let Answer::Upgrade {
            response,
            protocol,
            head_len,
        } = ask(req)
        else {
            panic!("not an upgrade");
        };
        let response = String::from_utf8(response).unwrap();
        assert!(response.contains("Sec-WebSocket-Protocol: chat.v1\r\n"));
        assert!(response.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        assert_eq!(protocol, Protocol::Chat1);
        assert_eq!(&req[head_len..], "rest");
    }

    #[test]
    fn upgrade_with_the_ircv3_subprotocol() {
        let req = "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: a\r\n\
Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: text.ircv3.net\r\n\r\n";
        let Answer::Upgrade {
            response, protocol, ..
        } = ask(req)
        else {
            panic!("not an upgrade");
        };
        assert!(String::from_utf8(response)
            .unwrap()
            .contains("Sec-WebSocket-Protocol: text.ircv3.net\r\n"));
        assert_eq!(protocol, Protocol::Irc);
    }

    #[test]
    fn page_and_refusals() {
        assert_eq!(ask("GET / HTTP/1.1\r\nHost: x\r\n"), Answer::Incomplete);
        let Answer::Respond(page) = ask("GET /?x=1 HTTP/1.1\r\nHost: x\r\n\r\n") else {
            panic!()
        };
        let page = String::from_utf8(page).unwrap();
        assert!(page.starts_with("HTTP/1.1 200 OK"));
        assert!(page.contains("Content-Security-Policy: default-src 'none'; script-src 'self'"));
        for (req, code) in [
            ("GET /nope HTTP/1.1\r\n\r\n", "404"),
            ("POST / HTTP/1.1\r\n\r\n", "405"),
            ("garbage\r\n\r\n", "400"),
            (
                "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: a\r\n\
Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt, binary.ircv3.net\r\n\r\n",
                "400",
            ),
        ] {
            let Answer::Respond(r) = ask(req) else { panic!("{req}") };
            assert!(r.starts_with(format!("HTTP/1.1 {code}").as_bytes()), "{req}");
        }
        let big = format!("GET / HTTP/1.1\r\nX: {}\r\n", "a".repeat(9000));
        let Answer::Respond(r) = ask(&big) else {
            panic!()
        };
        assert!(r.starts_with(b"HTTP/1.1 431"));
    }
}
