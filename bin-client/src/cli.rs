//! The command line.

use std::path::PathBuf;

use clap::Parser;

/// A terminal client for the chat server.
///
/// Interactive on a terminal: it walks you through the login dialog
/// (passwords are not echoed), then every line you type is a room message
/// and /commands do the rest (/help lists them).
///
/// For scripts: --user NAME (with --register to create the account) and the
/// password from CHAT_PASSWORD or --password-file; every stdin line is sent
/// as typed, and the client quits when stdin ends.
///
/// Exit status: 0 after a normal end (stdin ended, /quit, server shutdown),
/// 1 when the server cannot be reached or the connection is lost, 2 when
/// the login or registration is refused, 3 when an admin kicks you.
#[derive(Debug, Parser)]
#[command(name = "chat-client", version)]
pub(crate) struct Args {
    /// The server's host.
    #[arg(default_value = "127.0.0.1")]
    pub(crate) host: String,

    /// The server's port.
    #[arg(default_value_t = 9797)]
    pub(crate) port: u16,

    /// Log in as NAME without the dialog (script mode).
    #[arg(long, value_name = "NAME")]
    pub(crate) user: Option<String>,

    /// With --user: create the account instead of logging in.
    #[arg(long, requires = "user")]
    pub(crate) register: bool,

    /// With --user: read the password from the first line of FILE (else
    /// from the CHAT_PASSWORD environment variable).
    #[arg(long, value_name = "FILE", requires = "user")]
    pub(crate) password_file: Option<PathBuf>,

    /// Print the server's protocol lines as they are, not for people.
    #[arg(long)]
    pub(crate) raw: bool,
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
        assert_eq!((a.host.as_str(), a.port), ("127.0.0.1", 9797));
        let a = Args::parse_from([
            "chat-client",
            "example.org",
            "4000",
            "--user",
            "bob",
            "--register",
        ]);
        assert_eq!((a.host.as_str(), a.port), ("example.org", 4000));
        assert!(a.register);
        assert!(Args::try_parse_from(["chat-client", "--register"]).is_err());
    }
}
