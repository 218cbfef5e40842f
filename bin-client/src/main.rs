//! `chat-client`: a terminal client for the chat server.

mod app;
mod cli;
mod clock;
mod conn;
mod greeting;
mod older;
mod render;
mod secret;
mod tls;
mod tui;

use std::io::IsTerminal;
use std::process::ExitCode;

use app::Outcome;
use clap::Parser;

/// What can stop the client before or outside a session.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClientError {
    #[error("cannot connect to {addr}: {}", connect_failure(.source))]
    Connect {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot connect to {addr} over TLS: {reason}")]
    Tls { addr: String, reason: String },
    #[error("{0}")]
    TlsSetup(chat_client::ClientError),
    #[error("connection lost")]
    Lost,
    #[error("no password: set CHAT_PASSWORD or give --password-file")]
    NoPassword,
    #[error("cannot read the password file {path}: {source}")]
    PasswordFile {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Io(std::io::Error),
    /// The server is not a chat/1 server (a TLS port, an IRC port...).
    #[error("{0}")]
    NotChat1(String),
}

/// Why a connection failed, with what to try when nothing listens.
fn connect_failure(e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::ConnectionRefused {
        "nothing listens there: is the server running? (it listens on 127.0.0.1:9797 unless \
         told otherwise)"
            .to_owned()
    } else {
        e.to_string()
    }
}

fn main() -> ExitCode {
    let args = cli::Args::parse();
    let full_screen = !args.plain
        && !args.raw
        && std::io::stdin().is_terminal()
        && std::io::stdout().is_terminal();
    let result = if full_screen {
        tui::run(args)
    } else {
        app::run(args)
    };
    forget_typed_ahead();
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Lost) | Err(ClientError::Lost) => {
            eprintln!("chat-client: connection lost");
            ExitCode::from(1)
        }
        Ok(Outcome::Failed) => ExitCode::from(1),
        Ok(Outcome::Refused) => ExitCode::from(2),
        Ok(Outcome::Kicked) => ExitCode::from(3),
        Ok(Outcome::NotUtf8) => ExitCode::from(4),
        Err(e) => {
            eprintln!("chat-client: {e}");
            ExitCode::from(1)
        }
    }
}

/// Drops what was typed on the terminal but not sent, so the shell does
/// not run it after we exit.
fn forget_typed_ahead() {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let _ = rustix::termios::tcflush(&stdin, rustix::termios::QueueSelector::IFlush);
    }
}
