//! The command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use log::LevelFilter;

/// The chat server: a room where everyone talks, private messages,
/// busy/free, admins who change grants and kick users, over protocol
/// chat/1 on TCP.
///
/// Stops gracefully on SIGINT or SIGTERM: every client is told, the store
/// is flushed, and the exit status is 0.
#[derive(Debug, Parser)]
#[command(name = "chat-server", version)]
pub(crate) struct Args {
    /// Instead of serving: back the store up, or restore it.
    #[command(subcommand)]
    pub(crate) command: Option<StoreCommand>,

    /// Address and port to listen on.
    #[arg(long, value_name = "ADDR:PORT", default_value = chat_net_mio::DEFAULT_BIND)]
    pub(crate) bind: SocketAddr,

    /// Also listen for IRC clients (irssi, weechat, hexchat) on this
    /// address; off unless given here or as `irc_bind` in the --config file.
    #[arg(long, value_name = "ADDR:PORT")]
    pub(crate) irc_bind: Option<SocketAddr>,

    /// Let IRC users who do not log in chat as guests under a nick that no
    /// account holds (never admin, no account, gone when they leave); off
    /// unless given here or as `irc_guests: true` in the --config file.
    #[arg(long)]
    pub(crate) irc_guests: bool,

    /// Let those guests make rooms (`JOIN #new`), as on an open IRC
    /// network; a guest's room is not stored and lives while it has
    /// members. Off unless given here or as `irc_guest_rooms: true` in the
    /// --config file.
    #[arg(long)]
    pub(crate) irc_guest_rooms: bool,

    /// Folder of the store (store.snapshot and store.log; a users.store of
    /// an earlier version is migrated) and its key file (store.key,
    /// created on first start unless CHAT_STORE_KEY is set). Created if
    /// missing.
    #[arg(long, value_name = "DIR", default_value = chat_net_mio::DEFAULT_DATA_DIR, global = true)]
    pub(crate) data_dir: PathBuf,

    /// An account with grant 0 (admin); it cannot be demoted or kicked.
    /// Repeat for more.
    #[arg(long, value_name = "NAME")]
    pub(crate) admin: Vec<String>,

    /// A file whose first line is the password of every --admin that has no
    /// account yet (admin names cannot be registered over the network). The
    /// environment variable CHAT_ADMIN_PASSWORD does the same; the file wins
    /// if both are given. Never logged.
    #[arg(long, value_name = "FILE")]
    pub(crate) admin_password_file: Option<PathBuf>,

    /// A RON configuration file (limits, password hashing, runtime
    /// settings); fields not named keep their defaults.
    #[arg(long, value_name = "FILE.ron")]
    pub(crate) config: Option<PathBuf>,

    /// Also listen for chat/1 over TLS (implicit TLS) here; needs a
    /// certificate (--tls-cert and --tls-key, or --tls-self-signed).
    #[arg(long = "tls", value_name = "ADDR:PORT")]
    pub(crate) tls_bind: Option<SocketAddr>,

    /// Also listen for IRC over TLS (implicit TLS, IRC's port 6697) here;
    /// needs a certificate like --tls.
    #[arg(long = "irc-tls", value_name = "ADDR:PORT")]
    pub(crate) irc_tls_bind: Option<SocketAddr>,

    /// Also serve the chat page and WebSocket (chat/1 with subprotocol
    /// chat.v1 or none, IRC with text.ircv3.net) over plain HTTP here:
    /// open http://ADDR:PORT/ in a browser.
    #[arg(long = "ws", value_name = "ADDR:PORT")]
    pub(crate) ws_bind: Option<SocketAddr>,

    /// Also serve the chat page and WebSocket over HTTPS here; needs a
    /// certificate.
    #[arg(long = "wss", value_name = "ADDR:PORT")]
    pub(crate) wss_bind: Option<SocketAddr>,

    /// The TLS certificate chain (PEM), read again on SIGHUP.
    #[arg(long, value_name = "FILE.pem", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,

    /// The TLS private key (PEM), read again on SIGHUP.
    #[arg(long, value_name = "FILE.pem", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,

    /// For trying TLS out locally: use a self-signed certificate for
    /// localhost and 127.0.0.1, created in the data folder
    /// (tls-cert.pem, tls-key.pem) if not there yet. Clients must trust
    /// that file (chat-client --tls --ca-file DIR/tls-cert.pem).
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    pub(crate) tls_self_signed: bool,

    /// Threads that serve the sockets (0, the default: chosen from the
    /// cores the server may run on, one up to two cores); overrides
    /// `net.io_threads` in the --config file.
    #[arg(long, value_name = "N")]
    pub(crate) io_threads: Option<usize>,

    /// Be a node of a cluster whose NATS JetStream broker is at URL
    /// (nats://HOST:PORT; repeat it or separate with commas for several
    /// broker servers). Needs --node, and a build with the `cluster`
    /// feature. Without it the server stands alone and needs no broker.
    /// With `backup` or `restore`, the cluster's buckets and logs are
    /// backed up or restored (no --node needed).
    #[arg(long, value_name = "URL", value_delimiter = ',', global = true)]
    pub(crate) cluster: Vec<String>,

    /// This node's name in its cluster (1 to 32 of a-z, 0-9, '-' and
    /// '_'), unique among its nodes.
    #[arg(long, value_name = "NAME", requires = "cluster")]
    pub(crate) node: Option<String>,

    /// Log level: off, error, warn, info, debug or trace. Logs go to stderr
    /// and never contain passwords, hashes or keys.
    #[arg(long, value_name = "LEVEL", default_value = "info", global = true)]
    pub(crate) log_level: LevelFilter,
}

/// The store's maintenance commands (the key comes from CHAT_STORE_KEY or
/// the data folder's store.key, as when serving).
#[derive(Debug, clap::Subcommand)]
pub(crate) enum StoreCommand {
    /// Write a consistent backup of the store to FILE, sealed with the
    /// store's key. Works while a server runs on the folder: it reads the
    /// files without writing them and takes everything acknowledged up to
    /// the last complete record.
    Backup {
        /// Where to write the backup (replaced if it exists).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Replace the store with a backup. The server must be stopped (the
    /// data folder's lock is taken); the backup must open with the key.
    Restore {
        /// The backup to restore.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
    },
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
    fn defaults() {
        let a = Args::parse_from(["chat-server"]);
        assert_eq!(a.bind.to_string(), "127.0.0.1:9797");
        assert_eq!(a.data_dir, PathBuf::from("./chat-data"));
        assert_eq!(a.log_level, LevelFilter::Info);
        assert!(a.admin.is_empty());
        assert!(a.tls_bind.is_none() && a.ws_bind.is_none() && a.wss_bind.is_none());
        assert!(a.irc_tls_bind.is_none());
    }

    #[test]
    fn tls_flags() {
        let a = Args::parse_from([
            "chat-server",
            "--tls",
            "127.0.0.1:9798",
            "--irc-tls",
            "127.0.0.1:6697",
            "--ws",
            "127.0.0.1:8080",
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem",
        ]);
        assert_eq!(a.tls_bind.unwrap().port(), 9798);
        assert_eq!(a.irc_tls_bind.unwrap().port(), 6697);
        assert_eq!(a.ws_bind.unwrap().port(), 8080);
        assert!(Args::try_parse_from(["chat-server", "--tls-cert", "c.pem"]).is_err());
        assert!(Args::try_parse_from([
            "chat-server",
            "--tls-self-signed",
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem"
        ])
        .is_err());
    }

    #[test]
    fn store_commands() {
        let a = Args::parse_from([
            "chat-server",
            "backup",
            "--out",
            "b.snap",
            "--data-dir",
            "d",
        ]);
        assert!(
            matches!(a.command, Some(StoreCommand::Backup { out }) if out == std::path::Path::new("b.snap"))
        );
        assert_eq!(a.data_dir, PathBuf::from("d"));
        let a = Args::parse_from(["chat-server", "--data-dir", "d", "restore", "--from", "b"]);
        assert!(matches!(a.command, Some(StoreCommand::Restore { .. })));
        assert!(Args::try_parse_from(["chat-server", "restore"]).is_err());
    }

    #[test]
    fn repeated_admins() {
        let a = Args::parse_from(["chat-server", "--admin", "root", "--admin", "ops"]);
        assert_eq!(a.admin, vec!["root", "ops"]);
    }
}
