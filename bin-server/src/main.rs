//! `chat-server`: the reference chat server.

mod cli;

use std::process::ExitCode;

use chat_core::password::Password;
use chat_net_mio::{Server, ServerConfig};
use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    env_logger::Builder::new()
        .filter_level(args.log_level)
        .format_timestamp_millis()
        .target(env_logger::Target::Stderr)
        .init();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat-server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The environment variable that holds the admin password.
const ADMIN_PASSWORD_ENV: &str = "CHAT_ADMIN_PASSWORD";

/// The operator's admin password: the file's first line, else the
/// environment variable.
fn admin_password(args: &cli::Args) -> Result<Option<Password>, String> {
    if let Some(path) = &args.admin_password_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "cannot read the admin password file {}: {e}",
                path.display()
            )
        })?;
        let text = Password::new(text);
        let line = text.expose().lines().next().unwrap_or_default();
        if line.is_empty() {
            return Err(format!(
                "the admin password file {} is empty",
                path.display()
            ));
        }
        return Ok(Some(Password::new(line)));
    }
    match std::env::var(ADMIN_PASSWORD_ENV) {
        Ok(p) if !p.is_empty() => Ok(Some(Password::new(p))),
        _ => Ok(None),
    }
}

fn run(args: cli::Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = match &args.config {
        Some(path) => ServerConfig::from_file(path)?,
        None => ServerConfig::default(),
    };
    for admin in &args.admin {
        if !config.admins.iter().any(|a| a.eq_ignore_ascii_case(admin)) {
            config.admins.push(admin.clone());
        }
    }
    if let Some(irc) = args.irc_bind {
        config.irc_bind = Some(irc);
    }
    let mut builder = Server::builder()
        .bind(args.bind)
        .data_dir(&args.data_dir)
        .config(config)
        .handle_signals(true);
    if let Some(password) = admin_password(&args)? {
        builder = builder.admin_password(password);
    }
    let server = builder.build()?;
    server.run()?;
    Ok(())
}
