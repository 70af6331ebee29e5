//! The command line. Every flag of `serve` can also be set by a `KURIR_*` environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "kurir", version, about = "A webhook gateway for retail and point-of-sale platforms")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server: the API, the dispatcher and the embedded SQLite store.
    Serve(ServeArgs),
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KURIR_LISTEN", default_value = "127.0.0.1:8780")]
    pub listen: SocketAddr,

    /// Directory for the SQLite database (created when missing).
    #[arg(long, env = "KURIR_DATA_DIR", default_value = "./kurir-data")]
    pub data_dir: PathBuf,

    /// Let endpoints reach private, loopback and link-local addresses (tests, on-premises receivers).
    #[arg(long, env = "KURIR_ALLOW_PRIVATE_TARGETS")]
    pub allow_private_targets: bool,

    /// The admin token. When unset on the first start, one is generated and printed once.
    #[arg(long, env = "KURIR_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Seconds that in-flight attempts get to finish at shutdown.
    #[arg(long, env = "KURIR_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,
}
