//! The command line.

use std::path::PathBuf;

use chat_client::TlsConnector;
use clap::Parser;

use crate::clock::Clock;
use crate::conn::Dialer;
use crate::ClientError;

/// The port when none is given.
const DEFAULT_PORT: u16 = 9797;

/// A terminal client for the chat server.
///
/// On a terminal it is a full-screen chat: a message pane, a status bar and
/// an input line; the login dialog runs inside it (passwords hidden). Every
/// line you type is a room message and /commands do the rest (/help lists
/// them).
///
/// Line mode (when stdin or stdout is not a terminal, or with --plain):
/// --user NAME (with --register to create the account) and the password
/// from CHAT_PASSWORD or --password-file; every stdin line is sent as typed,
/// and the client quits when stdin ends.
///
/// Exit status: 0 after a normal end (stdin ended, /quit, server shutdown),
/// 1 when the server cannot be reached or the connection is lost, 2 when
/// the login or registration is refused, 3 when an admin kicks you or
/// another login takes the account over, 4 when a line of standard input
/// was not UTF-8 (it was not sent; the lines after it were).
#[derive(Debug, Parser)]
#[command(name = "chat-client", version)]
pub(crate) struct Args {
    /// The server: HOST, or HOST:PORT ([v6-address]:PORT). Several
    /// servers of one cluster, separated by commas (HOST:PORT,HOST:PORT):
    /// when the one in use is lost, the client moves to the next, logs in
    /// again and rejoins its rooms.
    #[arg(default_value = "127.0.0.1")]
    pub(crate) host: String,

    /// The server's port (default 9797, or the one in HOST:PORT).
    pub(crate) port: Option<u16>,

    /// Log in as NAME without the dialog.
    #[arg(long, value_name = "NAME")]
    pub(crate) user: Option<String>,

    /// With --user: create the account instead of logging in.
    #[arg(long, requires = "user")]
    pub(crate) register: bool,

    /// With --user: read the password from the first line of FILE (else
    /// from the CHAT_PASSWORD environment variable).
    #[arg(long, value_name = "FILE", requires = "user")]
    pub(crate) password_file: Option<PathBuf>,

    /// Line mode even on a terminal (for dumb terminals and scripts).
    #[arg(long)]
    pub(crate) plain: bool,

    /// Print the server's protocol lines as they are, not for people
    /// (implies line mode).
    #[arg(long)]
    pub(crate) raw: bool,

    /// Connect with TLS, trusting the system's root certificates.
    #[arg(long)]
    pub(crate) tls: bool,

    /// Connect with TLS, trusting the certificates in FILE (PEM) instead
    /// of the system's (implies --tls).
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_file: Option<PathBuf>,

    /// The name the server's certificate must carry (default: HOST;
    /// implies --tls).
    #[arg(long, value_name = "NAME")]
    pub(crate) tls_name: Option<String>,

    /// How times are written: 24 (15:04) or 12 (3:04 PM).
    #[arg(long, value_enum, default_value = "24", value_name = "24|12")]
    pub(crate) clock: Clock,
}

impl Args {
    /// The address to connect to, as `host:port` for the resolver (the
    /// first, when several are given).
    pub(crate) fn address(&self) -> String {
        let first = self.host.split(',').next().unwrap_or_default();
        address(first, self.port)
    }

    /// The other servers given after the first (each HOST or HOST:PORT).
    pub(crate) fn others(&self) -> Vec<String> {
        self.host
            .split(',')
            .skip(1)
            .filter(|h| !h.trim().is_empty())
            .map(|h| address(h.trim(), None))
            .collect()
    }

    /// Whether to speak TLS: asked for, or implied by a TLS option.
    pub(crate) fn tls(&self) -> bool {
        self.tls || self.ca_file.is_some() || self.tls_name.is_some()
    }

    /// How to reach the server: the address, and TLS if asked for.
    pub(crate) fn dialer(&self) -> Result<Dialer, ClientError> {
        let addr = self.address();
        let tls = if self.tls() {
            let name = match &self.tls_name {
                Some(name) => name.clone(),
                None => host_of(&addr).to_owned(),
            };
            let connector =
                TlsConnector::new(self.ca_file.as_deref(), &name).map_err(ClientError::TlsSetup)?;
            Some(connector)
        } else {
            None
        };
        Ok(Dialer {
            addr,
            others: self.others(),
            current: Default::default(),
            tls,
        })
    }
}

/// The host of a `host:port` from [`address`], without IPv6 brackets.
fn host_of(addr: &str) -> &str {
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// `host` and `port` as one address; `host` may carry the port itself.
fn address(host: &str, port: Option<u16>) -> String {
    let bracket = |h: &str| {
        if h.contains(':') && !h.starts_with('[') {
            format!("[{h}]")
        } else {
            h.to_owned()
        }
    };
    if let Some(port) = port {
        return format!("{}:{port}", bracket(host));
    }
    if host.parse::<std::net::SocketAddr>().is_ok() {
        return host.to_owned();
    }
    // `name:port`; a bare IPv6 address has more than one ':'.
    if let Some((h, p)) = host.rsplit_once(':') {
        if !h.contains(':') && p.parse::<u16>().is_ok() {
            return host.to_owned();
        }
    }
    format!("{}:{DEFAULT_PORT}", bracket(host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn defaults_and_script_flags() {
        let a = Args::parse_from(["chat-client"]);
        assert_eq!(a.address(), "127.0.0.1:9797");
        let a = Args::parse_from([
            "chat-client",
            "example.org",
            "4000",
            "--user",
            "bob",
            "--register",
        ]);
        assert_eq!(a.address(), "example.org:4000");
        assert!(a.register);
        assert!(Args::try_parse_from(["chat-client", "--register"]).is_err());
    }

    #[test]
    fn host_port_in_one_argument() {
        assert_eq!(address("127.0.0.1:9797", None), "127.0.0.1:9797");
        assert_eq!(address("example.org:4000", None), "example.org:4000");
        assert_eq!(address("[::1]:4000", None), "[::1]:4000");
        assert_eq!(address("::1", None), "[::1]:9797");
        assert_eq!(address("::1", Some(5)), "[::1]:5");
        assert_eq!(address("localhost", None), "localhost:9797");
        let a = Args::parse_from(["chat-client", "127.0.0.1:9797", "--plain"]);
        assert_eq!(a.address(), "127.0.0.1:9797");
        assert!(a.plain);
    }

    #[test]
    fn tls_name_defaults_to_the_host() {
        assert_eq!(host_of("example.org:4000"), "example.org");
        assert_eq!(host_of("127.0.0.1:9797"), "127.0.0.1");
        assert_eq!(host_of("[::1]:4000"), "::1");
        let a = Args::parse_from(["chat-client", "example.org"]);
        assert!(a.dialer().unwrap().tls.is_none());
        let a = Args::parse_from(["chat-client", "--ca-file", "/nonexistent/ca.pem"]);
        let e = a.dialer().unwrap_err().to_string();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
    }
}
