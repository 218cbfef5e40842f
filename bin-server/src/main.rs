//! `chat-server`: the reference chat server.

mod cli;
mod tls;

use std::process::ExitCode;

use chat_core::password::Password;
use chat_net_mio::store::{KeySource, Store};
use chat_net_mio::{ListenerConfig, Protocol, Server, ServerConfig, TlsFiles, TransportKind};
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

/// Raises the soft limit on open files as far as the hard limit allows:
/// every client is a file descriptor. The process's business, so the
/// binary's and not the library's.
fn raise_open_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => log::debug!("open-file limit: {n}"),
        Err(e) => log::warn!("cannot raise the open-file limit: {e}"),
    }
}

/// `backup` and `restore`: the store's files, without a server.
fn store_command(
    data_dir: &std::path::Path,
    command: &cli::StoreCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    let key = KeySource::from_env(data_dir);
    match command {
        cli::StoreCommand::Backup { out } => {
            Store::backup_files(data_dir, key, out)?;
            log::info!(
                "backup of {} written to {}",
                data_dir.display(),
                out.display()
            );
        }
        // `Store::restore` logs what it did.
        cli::StoreCommand::Restore { from } => Store::restore(data_dir, from, key)?,
    }
    Ok(())
}

/// `backup` and `restore` of a cluster (with `--cluster`): the broker's
/// buckets and logs to or from a backup file.
#[cfg(feature = "cluster")]
fn cluster_command(
    args: &cli::Args,
    command: &cli::StoreCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut settings = match &args.config {
        Some(path) => ServerConfig::from_file(path)?.cluster.unwrap_or_default(),
        None => chat_net_mio::ClusterSettings::default(),
    };
    settings.servers.clone_from(&args.cluster);
    let key = KeySource::from_env(&args.data_dir);
    match command {
        cli::StoreCommand::Backup { out } => {
            chat_net_mio::cluster::backup_cluster(&settings, key, out)?;
        }
        cli::StoreCommand::Restore { from } => {
            chat_net_mio::cluster::restore_cluster(&settings, key, from)?;
        }
    }
    Ok(())
}

#[cfg(not(feature = "cluster"))]
fn cluster_command(_: &cli::Args, _: &cli::StoreCommand) -> Result<(), Box<dyn std::error::Error>> {
    Err(chat_net_mio::ServerError::NoClusterSupport.into())
}

fn run(args: cli::Args) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(command) = &args.command {
        if !args.cluster.is_empty() {
            return cluster_command(&args, command);
        }
        return store_command(&args.data_dir, command);
    }
    raise_open_file_limit();
    let mut config = match &args.config {
        Some(path) => ServerConfig::from_file(path)?,
        None => ServerConfig::default(),
    };
    for admin in &args.admin {
        if !config.admins.iter().any(|a| a.eq_ignore_ascii_case(admin)) {
            config.admins.push(admin.clone());
        }
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        config.tls = Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        });
    }
    if args.tls_self_signed {
        config.tls = Some(tls::self_signed(&args.data_dir)?);
    }
    for (bind, transport, protocol) in [
        (args.tls_bind, TransportKind::Tls, Protocol::Chat1),
        (args.irc_tls_bind, TransportKind::Tls, Protocol::Irc),
        (args.ws_bind, TransportKind::Ws, Protocol::Chat1),
        (args.wss_bind, TransportKind::Wss, Protocol::Chat1),
    ] {
        if let Some(bind) = bind {
            config.listeners.push(ListenerConfig {
                bind,
                transport,
                protocol,
            });
        }
    }
    if let Some(n) = args.io_threads {
        config.net.io_threads = n;
    }
    if let Some(irc) = args.irc_bind {
        config.irc_bind = Some(irc);
    }
    config.irc_guests |= args.irc_guests;
    config.irc_guest_rooms |= args.irc_guest_rooms;
    if !args.cluster.is_empty() {
        let mut cluster = config.cluster.take().unwrap_or_default();
        cluster.servers.clone_from(&args.cluster);
        if let Some(node) = &args.node {
            cluster.node.clone_from(node);
        }
        config.cluster = Some(cluster);
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
    if !server.has_admin() {
        log::warn!(
            "no admin account: nobody can change grants, kick or restart. To make one, stop the \
             server and start it again with --admin NAME and the admin's password in \
             {ADMIN_PASSWORD_ENV} (or in a file given with --admin-password-file FILE)"
        );
    }
    server.run()?;
    Ok(())
}
