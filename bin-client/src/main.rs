//! `chat-client`: a terminal client for the chat server.

mod app;
mod cli;
mod conn;
mod render;

use std::process::ExitCode;

use app::Outcome;
use clap::Parser;

/// What can stop the client before or outside a session.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClientError {
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: String,
        source: std::io::Error,
    },
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
}

fn main() -> ExitCode {
    let args = cli::Args::parse();
    match app::run(args) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Lost) | Err(ClientError::Lost) => {
            eprintln!("chat-client: connection lost");
            ExitCode::from(1)
        }
        Ok(Outcome::Refused) => ExitCode::from(2),
        Ok(Outcome::Kicked) => ExitCode::from(3),
        Err(e) => {
            eprintln!("chat-client: {e}");
            ExitCode::from(1)
        }
    }
}
