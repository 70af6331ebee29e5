//! The command line. Every flag of `serve` can also be set by a `KURIR_*` environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "kurir", version, about = "A webhook gateway for retail and point-of-sale platforms")]
pub struct Cli {
    /// A TOML file of `serve` settings (default: ./kurir.toml when present). A flag beats its KURIR_* variable,
    /// which beats the file.
    #[arg(long, global = true, env = "KURIR_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server: the API, the dispatcher and the embedded SQLite store.
    Serve(ServeArgs),
    /// Work on a whole store: `kurir store copy` moves a SQLite store into PostgreSQL.
    #[command(subcommand)]
    Store(StoreCommand),
    /// The event types kurir knows (the embedded catalog; no server needed).
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Print a shell completion script: `kurir completions bash > /etc/bash_completion.d/kurir`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Receive webhooks on this machine and print each one, decoded, with its signature checked; optionally
    /// forward them to your own service. With --endpoint-for, kurir gets an endpoint pointing here for as long
    /// as this runs.
    Listen(ListenArgs),
    /// Publish an event (or, with --batch, many) to a running kurir.
    Publish(PublishArgs),
    /// A tenant's endpoints: list, show, create, enable, disable, rotate the secret.
    Endpoints(ManageArgs<EndpointsCommand>),
    /// A tenant's delivery log, and sending a delivery again.
    Deliveries(ManageArgs<DeliveriesCommand>),
    /// A tenant's events: `kurir events tail` follows new ones and their deliveries live.
    Events(ManageArgs<EventsCommand>),
    /// Send again every delivery of an endpoint that died since a time.
    Replay(ReplayArgs),
    /// Bring a PostgreSQL database's schema up to date and exit (`kurir serve` also does this at start).
    Migrate(MigrateArgs),
    /// Measure end-to-end throughput on this machine: an in-process kurir on a temp SQLite file publishes to
    /// receivers on 127.0.0.1, and every delivery is counted when it arrives.
    Bench(BenchArgs),
}

/// Where a running kurir is, and who is calling.
#[derive(Args, Debug, Clone)]
pub struct ServerArgs {
    /// The kurir server.
    #[arg(long, env = "KURIR_URL", default_value = "http://127.0.0.1:8780")]
    pub url: String,
    /// The admin token or a tenant's API key.
    #[arg(long, env = "KURIR_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct ListenArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The port to listen on, on 127.0.0.1 (0: any free one; the address is printed).
    #[arg(long, default_value_t = 9000)]
    pub port: u16,
    /// Forward each delivery to this URL (your service; the request's query is kept) and answer kurir with
    /// what it answered.
    #[arg(long)]
    pub forward_to: Option<String>,
    /// Check signatures with this `whsec_` secret or `whpk_` public key (give both during a rotation).
    #[arg(long = "secret", value_name = "WHSEC|WHPK", hide_env_values = true)]
    pub secrets: Vec<String>,
    /// Check signatures with this endpoint's secret, fetched from kurir (with --tenant).
    #[arg(long, conflicts_with = "endpoint_for")]
    pub endpoint: Option<String>,
    /// Create an endpoint of this tenant that points here, and remove it on exit (kurir must run with
    /// --allow-private-targets to deliver to this machine).
    #[arg(long, value_name = "TENANT")]
    pub endpoint_for: Option<String>,
    /// The tenant of --endpoint (default: the only one the token sees).
    #[arg(long)]
    pub tenant: Option<String>,
    /// The dialect of the endpoint that --endpoint-for creates.
    #[arg(long, default_value = "standard", value_parser = ["standard", "dealpos", "zort"])]
    pub dialect: String,
    /// Only these event types (comma separated) for the endpoint that --endpoint-for creates.
    #[arg(long, value_delimiter = ',')]
    pub events: Vec<String>,
    /// Stop after this many deliveries.
    #[arg(long)]
    pub max: Option<u64>,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
}

/// A management command: where kurir is, which tenant, text or JSON, and what to do.
#[derive(Args, Debug, Clone)]
pub struct ManageArgs<C: Subcommand> {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The tenant (default: the only one the token sees).
    #[arg(long, global = true)]
    pub tenant: Option<String>,
    /// The API's answers as JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: C,
}

#[derive(Subcommand, Debug, Clone)]
pub enum EndpointsCommand {
    /// Every endpoint: id, state, dialect, URL.
    List,
    /// One endpoint's settings and circuit.
    Show { id: String },
    /// A new endpoint; its signing secret is printed once.
    Create {
        /// Where deliveries go (`{event}` is replaced by the event type).
        #[arg(long)]
        url: String,
        #[arg(long, default_value = "standard", value_parser = ["standard", "dealpos", "zort"])]
        dialect: String,
        /// Only these event types (comma separated); all when absent.
        #[arg(long, value_delimiter = ',')]
        events: Vec<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Stop sending to an endpoint (its deliveries wait).
    Disable { id: String },
    /// Send to it again.
    Enable { id: String },
    /// A new signing secret; the old one keeps signing beside it for 24 h.
    RotateSecret { id: String },
}

#[derive(Subcommand, Debug, Clone)]
pub enum DeliveriesCommand {
    /// The delivery log, newest first.
    List {
        /// pending, in_flight, retrying, succeeded or dead.
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        endpoint: Option<String>,
        #[arg(long = "type")]
        event_type: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Send a delivery again now.
    Retry { id: String },
}

#[derive(Subcommand, Debug, Clone)]
pub enum EventsCommand {
    /// Follow new events and their deliveries' outcomes as they happen (Ctrl-C stops).
    Tail {
        /// Only events of this type.
        #[arg(long = "type")]
        event_type: Option<String>,
        /// Stop after this many events.
        #[arg(long)]
        max: Option<u64>,
    },
}

#[derive(Args, Debug, Clone)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[arg(long)]
    pub tenant: Option<String>,
    /// The endpoint the events go to.
    #[arg(long)]
    pub endpoint: String,
    /// Events published since this RFC 3339 time (`2026-11-24T08:00:00Z`).
    #[arg(long)]
    pub since: String,
    /// …and before this RFC 3339 time.
    #[arg(long)]
    pub until: Option<String>,
    /// Only events of this type (give it again for more).
    #[arg(long = "type", value_name = "TYPE")]
    pub event_types: Vec<String>,
    /// Send again only the endpoint's deliveries that died since `--since` (`recover`), not every event.
    #[arg(long, conflicts_with_all = ["until", "event_types"])]
    pub dead_only: bool,
}

#[derive(Args, Debug, Clone)]
pub struct PublishArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// The event type (`productCreated`, `ADDPRODUCT`; `kurir catalog list` shows them).
    #[arg(required_unless_present = "batch")]
    pub event_type: Option<String>,
    /// The payload: a JSON file, or `-` for standard input.
    #[arg(long, required_unless_present = "batch", conflicts_with = "batch")]
    pub payload: Option<String>,
    /// Many events: a file (or `-`) of JSON lines, each `{"type", "payload"}` (and optionally
    /// `ordering_key`, `params`), sent in batches of up to 1,000 with a progress bar.
    #[arg(long, conflicts_with = "event_type")]
    pub batch: Option<String>,
    /// The tenant (default: the only one the token sees).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Publish at most once under this key (retrying with it cannot publish twice).
    #[arg(long)]
    pub idempotency_key: Option<String>,
    /// The API's answer as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum CatalogCommand {
    /// Every event type: name, platform, category, title.
    List {
        /// Only this platform's types (`dealpos`, `zort`).
        #[arg(long)]
        platform: Option<String>,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// One event type: its description, ordering key, JSON Schema and an example payload.
    Show {
        /// The type's name, as published (`productCreated`, `ADDPRODUCT`).
        name: String,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum StoreCommand {
    /// Copy a whole SQLite store (every table, states and logs included) into a PostgreSQL database. Stop the
    /// kurir that uses the SQLite store first.
    Copy(CopyArgs),
}

#[derive(Args, Debug, Clone)]
pub struct CopyArgs {
    /// The SQLite store's data directory.
    #[arg(long, default_value = "./kurir-data")]
    pub from: PathBuf,
    /// The PostgreSQL database (`postgres://user:password@host:port/db`); migrated first.
    #[arg(long, env = "KURIR_DATABASE_URL", hide_env_values = true)]
    pub to: String,
    /// The key the store's secrets are sealed with (default: `secret.key` in --from).
    #[arg(long, env = "KURIR_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Copy into a database that already holds data: finishes an interrupted copy (rows already there are
    /// skipped, so nothing is duplicated).
    #[arg(long)]
    pub resume: bool,
}

#[derive(Args, Debug, Clone)]
pub struct MigrateArgs {
    /// The PostgreSQL database (`postgres://user:password@host:port/db`).
    #[arg(long, env = "KURIR_DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
}

#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Events to publish.
    #[arg(long, default_value_t = 20_000)]
    pub events: u64,

    /// Endpoints subscribed to every event (each event makes one delivery per endpoint).
    #[arg(long, default_value_t = 1)]
    pub endpoints: u32,

    /// Events per publish call (1 = single publishes, more = `/events/batch`).
    #[arg(long, default_value_t = 100)]
    pub batch: u32,

    /// Concurrent publishers.
    #[arg(long, default_value_t = 8)]
    pub publishers: u32,

    /// Data directory for the store (default: a temp dir, removed afterwards).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,

    /// Run on this PostgreSQL database instead of a temp SQLite file (a fresh tenant each run).
    #[arg(long)]
    pub database_url: Option<String>,

    /// The secret key for --database-url (default: a fixed key for benchmark databases only).
    #[arg(long, hide_env_values = true)]
    pub secret_key: Option<String>,

    /// kurir nodes sharing the database, each with its own HTTP port; publishers spread over them. More than one
    /// needs --database-url.
    #[arg(long, default_value_t = 1)]
    pub nodes: u32,

    /// Latency mode: this many sick endpoints (answering 500 at once) each start with a backlog of
    /// --sick-backlog deliveries; one healthy endpoint is then published to at --rate events/s for
    /// --duration-secs, and its publish-to-delivery latency is reported (p50, p99, max).
    #[arg(long, default_value_t = 0)]
    pub sick_endpoints: u32,

    /// Latency mode without sick endpoints: one healthy endpoint published to at --rate events/s for
    /// --duration-secs, and its publish-to-delivery latency reported (the paced targets of BENCHMARKS.md).
    #[arg(long)]
    pub paced: bool,

    /// Deliveries waiting for each sick endpoint before the measurement starts.
    #[arg(long, default_value_t = 30_000)]
    pub sick_backlog: u64,

    /// Events per second published during the latency measurement.
    #[arg(long, default_value_t = 1_000)]
    pub rate: u32,

    /// Seconds the latency measurement publishes for.
    #[arg(long, default_value_t = 10)]
    pub duration_secs: u64,

    /// Give up waiting for deliveries after this many seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout_secs: u64,

    /// Print the figures as one JSON object (for scripts) instead of lines for people.
    #[arg(long)]
    pub json: bool,

    /// Run the server with `--fixed-concurrency` (every endpoint gets its whole in-flight limit at once).
    #[arg(long)]
    pub fixed_concurrency: bool,

    /// Run the server with this `--endpoint-max-in-flight` instead of its default.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(kurir_core::endpoint::MAX_IN_FLIGHT)))]
    pub endpoint_max_in_flight: Option<u32>,

    /// Measure a kurir already running on this machine (`http://127.0.0.1:8780`) instead of starting one. It must
    /// run with --allow-private-targets (the bench's receivers are on 127.0.0.1); needs --admin-token.
    #[arg(long)]
    pub url: Option<String>,

    /// The admin token of the server at --url (the bench creates a tenant of its own there).
    #[arg(long, env = "KURIR_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// The process id of the server at --url, to report its CPU seconds and peak memory (read from /proc).
    #[arg(long)]
    pub server_pid: Option<u32>,

    /// The backlog case: the receivers are down (connections refused) while the events are published, then come
    /// up, and each endpoint is resumed; reports how fast the backlog drained, and the server's peak memory.
    #[arg(long)]
    pub receivers_down: bool,

    /// Bytes of JSON in each event's payload.
    #[arg(long, default_value_t = 256)]
    pub payload_bytes: usize,

    /// Also measure the same run's ceiling: the same HTTP traffic and disk writes with no kurir in between, so
    /// that each figure can be read as a fraction of what the machine does.
    #[arg(long)]
    pub ceiling: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KURIR_LISTEN", default_value = "127.0.0.1:8780")]
    pub listen: SocketAddr,

    /// Log lines as text (for people) or JSON (one object per line, for log collectors).
    #[arg(long, env = "KURIR_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,

    /// What to log, as a tracing filter: `info` (default), `debug` (adds an access log line per request),
    /// `kurir=debug,tower=warn` ...
    #[arg(long, env = "KURIR_LOG", default_value = "info")]
    pub log: String,

    /// Directory for the SQLite database (created when missing).
    #[arg(long, env = "KURIR_DATA_DIR", default_value = "./kurir-data")]
    pub data_dir: PathBuf,

    /// A PostgreSQL database to use instead of the embedded SQLite (`postgres://user:password@host:port/db`).
    /// Several kurir nodes may share one; each needs the same KURIR_SECRET_KEY.
    #[arg(long, env = "KURIR_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// The address vendors reach kurir at, used in the URLs of inbound sources (default: http://<listen>).
    #[arg(long, env = "KURIR_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Let endpoints reach private, loopback and link-local addresses (tests, on-premises receivers).
    #[arg(long, env = "KURIR_ALLOW_PRIVATE_TARGETS")]
    pub allow_private_targets: bool,

    /// The admin token. When unset on the first start, one is generated and printed once.
    #[arg(long, env = "KURIR_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// The key that seals secrets at rest (base64 of 32 bytes). When unset, `secret.key` in the data directory
    /// is used, and made on the first start.
    #[arg(long, env = "KURIR_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// This process's name in the leases it takes (letters, digits, '-', '_', '.', ':'). By default it is kept
    /// in the data directory (`node.id`), so a restarted kurir resends at once what it had in flight. Nodes of one
    /// PostgreSQL database need different ids (a second live node with the same id is refused).
    #[arg(long, env = "KURIR_NODE_ID")]
    pub node_id: Option<String>,

    /// How long a node's lease on a delivery lasts unless renewed (every third of it, while the attempt runs):
    /// when a node dies, others send what it held after this long.
    #[arg(long, env = "KURIR_LEASE_SECS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub lease_secs: u32,

    /// Seconds that in-flight attempts get to finish at shutdown.
    #[arg(long, env = "KURIR_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,

    /// Give every endpoint its whole in-flight limit from the start, instead of a window that starts at 4 attempts
    /// at once, grows while the receiver answers fast and halves on timeouts, connection errors, 429 and 503.
    #[arg(long, env = "KURIR_FIXED_CONCURRENCY")]
    pub fixed_concurrency: bool,

    /// Most attempts in flight to one endpoint, on every node together: give every node the same value (an
    /// endpoint's own `max_in_flight` may only lower it). The adaptive window decides how much of it a receiver
    /// gets; with --fixed-concurrency a slow endpoint may hold this many of a node's 1,024 attempts at once.
    #[arg(
        long,
        env = "KURIR_ENDPOINT_MAX_IN_FLIGHT",
        default_value_t = kurir_engine::dispatcher::DEFAULT_MAX_IN_FLIGHT_PER_ENDPOINT,
        value_parser = clap::value_parser!(u32).range(1..=i64::from(kurir_core::endpoint::MAX_IN_FLIGHT))
    )]
    pub endpoint_max_in_flight: u32,

    /// Failures in a row that open an endpoint's circuit (its deliveries are then held and probed).
    #[arg(long, env = "KURIR_CIRCUIT_FAILURES", default_value_t = 5)]
    pub circuit_failures: u32,

    /// How long an open circuit first holds deliveries, in milliseconds (doubles after each failed probe).
    #[arg(long, env = "KURIR_CIRCUIT_COOLDOWN_MS", default_value_t = 30_000)]
    pub circuit_cooldown_ms: u32,

    /// An endpoint whose every attempt has failed for this many seconds (and at least --disable-min-attempts
    /// times) is disabled, and its tenant told by a `kurir.endpoint.disabled` event; 0 never disables.
    #[arg(long, env = "KURIR_DISABLE_AFTER_SECS", default_value_t = 432_000)]
    pub disable_after_secs: u32,

    /// The fewest failed attempts in a row that can disable an endpoint.
    #[arg(long, env = "KURIR_DISABLE_MIN_ATTEMPTS", default_value_t = 10)]
    pub disable_min_attempts: u32,

    /// Days of history (events, deliveries, attempts, inbound and call-out logs, statistics) kept for tenants
    /// without their own `retention_days`; older history is purged in the background. 0 keeps everything.
    #[arg(long, env = "KURIR_RETENTION_DAYS", default_value_t = kurir_core::tenant::DEFAULT_RETENTION_DAYS)]
    pub retention_days: u32,

    /// Print nothing on stdout when listening (`kurir bench --json` runs its nodes so).
    #[arg(long, hide = true)]
    pub quiet: bool,
}
