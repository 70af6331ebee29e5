//! `kurir serve`: open the store, settle the admin token, start the dispatcher, serve HTTP until Ctrl-C or
//! SIGTERM, then shut down in order: stop taking requests, let in-flight attempts finish (bounded), stop.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use kurir_api::auth::sha256;
use kurir_api::{ApiConfig, AppState};
use kurir_core::catalog::Catalog;
use kurir_core::circuit::CircuitPolicy;
use kurir_engine::{EngineConfig, Waker};
use kurir_store::{Database, Store, StoreOptions};
use tokio_util::sync::CancellationToken;

use crate::cli::ServeArgs;

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    start_logging(&args.log, args.log_format == "json")?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    serve(&args, listener, shutdown).await
}

/// Runs kurir on a bound listener until `shutdown` is cancelled.
pub async fn serve(
    args: &ServeArgs,
    listener: tokio::net::TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let (database, place) = match &args.database_url {
        Some(url) => (Database::Postgres { url: url.clone() }, "PostgreSQL".to_owned()),
        None => (Database::Sqlite { data_dir: args.data_dir.clone() }, args.data_dir.display().to_string()),
    };
    // One registry for the process: the store's writer, the engine and the API count into it; `/metrics` reads it.
    let metrics = Arc::new(kurir_metrics::Metrics::new());
    let options = StoreOptions { database, secret_key: args.secret_key.clone(), metrics: Some(Arc::clone(&metrics)) };
    let store = kurir_store::open(&options).await.with_context(|| format!("cannot open the store in {place}"))?;
    // Kept in the data directory unless given, with either database: a restarted node resends at once what it
    // had in flight.
    let (node, _node_lock) = crate::node::identity(args.node_id.as_deref(), &args.data_dir)?;
    store.register_node(&node).await.context("cannot start this node")?;
    tracing::info!(store = %place, %node, "store open");
    let admin_token_hash = settle_admin_token(store.as_ref(), args.admin_token.as_deref()).await?;
    let catalog = Arc::new(Catalog::builtin().context("the embedded catalog is broken")?);

    let waker = Waker::default();
    let engine_config = EngineConfig {
        metrics: Some(Arc::clone(&metrics)),
        node,
        lease_ms: i64::from(args.lease_secs) * 1_000,
        allow_private_targets: args.allow_private_targets,
        shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
        adaptive_concurrency: !args.fixed_concurrency,
        max_in_flight_per_endpoint: args.endpoint_max_in_flight,
        circuit: CircuitPolicy {
            failure_threshold: args.circuit_failures.max(1),
            base_cooldown_ms: i64::from(args.circuit_cooldown_ms),
            disable_after_ms: i64::from(args.disable_after_secs) * 1_000,
            disable_min_attempts: args.disable_min_attempts,
            ..CircuitPolicy::default()
        },
        ..EngineConfig::default()
    };
    // What the API shows of each endpoint's limit is what the engine applies.
    let (endpoint_limit, adaptive) = (engine_config.max_in_flight_per_endpoint, engine_config.adaptive_concurrency);
    let retention =
        kurir_engine::retention::RetentionConfig { default_days: args.retention_days, ..Default::default() };
    tokio::spawn(kurir_engine::retention::run(Arc::clone(&store), retention, shutdown.clone()));
    tokio::spawn(kurir_engine::backfills::run(Arc::clone(&store), waker.clone(), shutdown.clone()));
    let engine = tokio::spawn(kurir_engine::run(
        Arc::clone(&store),
        Arc::clone(&catalog),
        engine_config,
        waker.clone(),
        shutdown.clone(),
    ));

    let address = listener.local_addr()?;
    let public_url = args.public_url.clone().unwrap_or_else(|| format!("http://{address}"));
    let config = ApiConfig {
        admin_token_hash,
        allow_private_targets: args.allow_private_targets,
        public_url,
        max_in_flight_per_endpoint: endpoint_limit,
        adaptive_concurrency: adaptive,
    };
    let http = kurir_engine::client::build(args.allow_private_targets, 16).context("cannot build the HTTP client")?;
    let state = AppState::new(store, catalog, waker, config, http).with_metrics(metrics);
    let dashboard = kurir_dashboard::Dashboard::open(state.clone()).await.context("cannot set up the dashboard")?;
    let app = kurir_api::app(state)
        .merge(kurir_dashboard::router(dashboard))
        .route_layer(axum::middleware::from_fn(kurir_api::access::access_log));
    tracing::info!(%address, "kurir is listening");
    if !args.quiet {
        println!("kurir listening on http://{address}");
        println!("dashboard: http://{address}/ui");
    }

    let served = axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .await;
    shutdown.cancel();
    engine.await.context("the dispatcher panicked")?.context("the dispatcher failed")?;
    served?;
    tracing::info!("kurir stopped");
    Ok(())
}

/// `kurir migrate`: brings a PostgreSQL schema up to date (under the migration lock) and exits.
pub async fn migrate(args: crate::cli::MigrateArgs) -> anyhow::Result<()> {
    init_logging("info");
    kurir_store::postgres::PgStore::migrate(&args.database_url).await.context("cannot migrate the database")?;
    println!("the database schema is up to date");
    Ok(())
}

/// The admin token's hash: from `--admin-token`/`KURIR_ADMIN_TOKEN` when given, else the stored one, else a new
/// token that is printed once. Only the hash is ever stored.
async fn settle_admin_token(store: &dyn Store, given: Option<&str>) -> anyhow::Result<[u8; 32]> {
    if let Some(token) = given {
        anyhow::ensure!(token.len() >= 16, "the admin token must be at least 16 characters");
        anyhow::ensure!(!token.contains('.'), "the admin token must not contain a dot (API key tokens do)");
        let hash = sha256(token);
        store.set_admin_token_hash(hash).await?;
        return Ok(hash);
    }
    if let Some(hash) = store.admin_token_hash().await? {
        return Ok(hash);
    }
    let token = format!("kurir_admin_{}", URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()));
    let hash = sha256(&token);
    store.set_admin_token_hash(hash).await?;
    println!("Generated the admin token (shown once; only its hash is kept):\n\n    {token}\n");
    Ok(hash)
}

async fn cancel_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM; only Ctrl-C stops kurir gracefully");
                let _ = ctrl_c.await;
                shutdown.cancel();
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down");
    shutdown.cancel();
}

/// Logs to stderr; `KURIR_LOG` (an `EnvFilter` directive) overrides `default_level`.
/// `kurir serve`'s logging: the filter `--log` gives (`KURIR_LOG`), as text or JSON lines on stderr.
fn start_logging(filter: &str, json: bool) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .map_err(|err| anyhow::anyhow!("--log {filter}: not a log filter: {err}"))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init();
    }
    Ok(())
}

pub fn init_logging(default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KURIR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).init();
}
