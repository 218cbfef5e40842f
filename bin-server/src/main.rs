//! `chat-server`: the reference chat server.

mod cli;

use std::process::ExitCode;

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
    let server = Server::builder()
        .bind(args.bind)
        .data_dir(&args.data_dir)
        .config(config)
        .handle_signals(true)
        .build()?;
    server.run()?;
    Ok(())
}
