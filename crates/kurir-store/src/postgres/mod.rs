//! The PostgreSQL store: several kurir nodes share one database.
//!
//! # Design
//!
//! - **Pooled async client.** Runtime SQL through tokio-postgres, pooled by deadpool-postgres; no query macros.
//! - **Durability.** A write returns after its transaction's `COMMIT` (PostgreSQL's `synchronous_commit` is on
//!   by default), so a publish answered 2xx is on the server's disk.
//! - **Sharing the work.** Claims lock each endpoint's `endpoint_health` row with `FOR UPDATE SKIP LOCKED` (one
//!   node claims for an endpoint at a time, so its in-flight limit and circuit are exact) and its due rows the
//!   same way; the lease `UPDATE` re-checks state and due time.
//! - **Unavailable is retryable.** A refused or lost connection is `StoreError::Unavailable`; the pool opens
//!   new connections when the server is back.

mod admin;
mod backfills;
mod claim;
mod deliveries;
mod events;
mod outcomes;
pub(crate) mod queue;
mod retention;
mod rows;
mod schema;
mod turn;
mod vacuum;
mod wakeups;

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime};
use tokio_postgres::{Config, NoTls, Row};

use crate::{NodeId, Result, StoreError};

/// Claims and outcomes commit without waiting for the WAL flush: if the server crashed and lost one, the
/// delivery would be leased or written again and sent again, which at-least-once delivery allows. Publishes
/// wait for the flush: a 2xx is kept. A statement of theirs that runs longer than 30 s is cancelled (and retried):
/// a plan gone wrong must not hold a claim's locks for minutes.
pub(crate) const DISPATCH_SETTINGS: &str = "SET LOCAL synchronous_commit = off; SET LOCAL statement_timeout = '30s'";

/// What publishes and receipts commit with, whatever the server's default: their 2xx waits for the WAL flush.
pub(crate) const FLUSH_WAIT: &str = "SET LOCAL synchronous_commit = on";

/// Connections per node for everything but the dispatcher's turns.
const POOL_SIZE: usize = 16;

/// Connections per node for the dispatcher's turns. One turn runs at a time; the second is spare (a connection
/// the server dropped is replaced while the other serves).
const DISPATCH_POOL_SIZE: usize = 2;

pub struct PgStore {
    pool: Pool,
    /// The dispatcher's own connections. A turn that waited for one of the shared pool's behind a flood of
    /// publishes took 20-70 ms instead of 5-10, and every delivery waited with it: the pool's queue is first come,
    /// first served, and the publishes came first.
    dispatch: Pool,
    /// For the dedicated wake-up connection.
    config: Config,
    /// The wake-up listener, once someone asked for wake-ups; stopped with the store.
    listener: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// The session that holds this process's node id (an advisory lock), kept open while the store lives.
    node_session: tokio::sync::Mutex<Option<tokio_postgres::Client>>,
    /// Where the database is, for messages (never the password).
    target: String,
    /// Vacuums `delivery_queue` when this node's turns changed enough of it.
    queue_vacuum: vacuum::QueueVacuum,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        if let Ok(mut listener) = self.listener.lock() {
            if let Some(task) = listener.take() {
                task.abort();
            }
        }
    }
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("target", &self.target).finish_non_exhaustive()
    }
}

/// `host:port/database` of a configuration, for messages.
fn describe(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("{host}:{port}/{}", config.get_dbname().unwrap_or("(default database)"))
}

impl PgStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`), brings the schema up to date under an
    /// advisory lock, and keeps a pool. An unreachable or refusing server fails here, naming host and cause.
    pub async fn open(url: &str) -> Result<PgStore> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            let scheme = url.split_once("://").map_or("none", |(scheme, _)| scheme);
            return Err(StoreError::Config(format!(
                "the database URL must start with postgres:// or postgresql:// (its scheme is {scheme})"
            )));
        }
        let mut config: Config = url.parse().map_err(|err: tokio_postgres::Error| {
            StoreError::Config(format!("the database URL is malformed: {}", chain(&err)))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        config.application_name("kurir");
        let target = describe(&config);
        let store = PgStore {
            pool: pool(&config, POOL_SIZE)?,
            dispatch: pool(&config, DISPATCH_POOL_SIZE)?,
            config,
            listener: std::sync::Mutex::new(None),
            node_session: tokio::sync::Mutex::new(None),
            target,
            queue_vacuum: vacuum::QueueVacuum::default(),
        };
        let mut client = store.client().await.map_err(|err| store.at_start(err))?;
        schema::migrate(&mut client).await.map_err(|err| store.at_start(err))?;
        Ok(store)
    }

    /// Runs the migrations only (`kurir migrate`).
    pub async fn migrate(url: &str) -> Result<()> {
        Self::open(url).await.map(|_| ())
    }

    /// A start-up failure names the server, so the operator knows which URL was wrong.
    fn at_start(&self, err: StoreError) -> StoreError {
        match err {
            StoreError::Unavailable { message, source } => StoreError::Unavailable {
                message: format!("cannot reach PostgreSQL at {}: {message}", self.target),
                source,
            },
            StoreError::Backend(cause) => {
                StoreError::Config(format!("PostgreSQL at {} refused kurir: {}", self.target, chain(cause.as_ref())))
            }
            other => other,
        }
    }

    /// Takes a session-level advisory lock on the node id, on a connection of its own that stays open.
    async fn register_node(&self, node: &NodeId) -> Result<()> {
        let (client, connection) = self.config.connect(NoTls).await.map_err(pg_error)?;
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::warn!(error = %err, "the session holding this node's id ended");
            }
        });
        let row = client
            .query_one("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", &[&format!("kurir-node:{node}")])
            .await
            .map_err(pg_error)?;
        let taken: bool = rows::get(&row, "settings", 0)?;
        if !taken {
            return Err(StoreError::Config(format!(
                "node id `{node}` is in use by another live node of this database; give each node its own --node-id"
            )));
        }
        *self.node_session.lock().await = Some(client);
        Ok(())
    }

    fn listen_for_due(&self, wake: wakeups::Wake) {
        if let Ok(mut listener) = self.listener.lock() {
            if let Some(old) = listener.replace(wakeups::spawn(self.config.clone(), wake)) {
                old.abort();
            }
        }
    }

    pub(crate) async fn client(&self) -> Result<Object> {
        self.pool.get().await.map_err(pool_error)
    }

    /// A connection of the dispatcher's own pool, for its turns.
    pub(crate) async fn dispatch_client(&self) -> Result<Object> {
        self.dispatch.get().await.map_err(pool_error)
    }
}

/// A pool of up to `size` connections to the database of `config`.
fn pool(config: &Config, size: usize) -> Result<Pool> {
    let manager =
        Manager::from_config(config.clone(), NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(10)))
        .create_timeout(Some(Duration::from_secs(5)))
        .build()
        .map_err(|err| StoreError::Config(format!("cannot build the connection pool: {err}")))
}

/// Statements through the connection's cache of prepared statements, so each is parsed and planned once per
/// connection rather than on every call. The names mirror tokio-postgres's; errors are the driver's, for
/// `pg_error` to map.
#[async_trait::async_trait]
pub(crate) trait Cached: GenericClient {
    async fn query_cached(&self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, tokio_postgres::Error> {
        let statement = self.prepare_cached(sql).await?;
        self.query(&statement, params).await
    }

    async fn query_opt_cached(&self, sql: &str, params: Params<'_>) -> Result<Option<Row>, tokio_postgres::Error> {
        let statement = self.prepare_cached(sql).await?;
        self.query_opt(&statement, params).await
    }

    async fn query_one_cached(&self, sql: &str, params: Params<'_>) -> Result<Row, tokio_postgres::Error> {
        let statement = self.prepare_cached(sql).await?;
        self.query_one(&statement, params).await
    }

    async fn execute_cached(&self, sql: &str, params: Params<'_>) -> Result<u64, tokio_postgres::Error> {
        let statement = self.prepare_cached(sql).await?;
        self.execute(&statement, params).await
    }
}

impl<T: GenericClient> Cached for T {}

/// Statement parameters.
pub(crate) type Params<'a> = &'a [&'a (dyn tokio_postgres::types::ToSql + Sync)];

/// For this backend's own tests: a store on a fresh database (`name`) of the shared test cluster, and one of its
/// connections.
#[cfg(test)]
pub(crate) async fn test_store(name: &str) -> (PgStore, Object) {
    let cluster = kurir_testpg::TestCluster::shared()
        .unwrap_or_else(|err| panic!("PostgreSQL is needed for this test and none could be had: {err}"));
    let url = cluster.fresh_database(name).unwrap_or_else(|err| panic!("{err}"));
    let store = PgStore::open(&url).await.unwrap_or_else(|err| panic!("{err}"));
    let client = store.client().await.unwrap_or_else(|err| panic!("{err}"));
    (store, client)
}

/// An error with its causes, on one line (tokio-postgres's own message is only its kind).
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// Whether a driver error means the server cannot be reached now (retryable), as opposed to a refused statement.
fn is_unavailable(err: &tokio_postgres::Error) -> bool {
    if err.is_closed() {
        return true;
    }
    if let Some(code) = err.code() {
        let code = code.code();
        // Class 08: connection exceptions; 57P0x: shutdowns; 53300: too many connections; 40P01/40001: a deadlock
        // or serialization failure (the transaction was rolled back, the same call may succeed); 55P03: a lock not
        // available; 57014: a statement cancelled; 25006: a read-only server (a replica after a failover).
        return code.starts_with("08")
            || matches!(code, "57P01" | "57P02" | "57P03" | "53300" | "40P01" | "40001" | "55P03" | "57014" | "25006");
    }
    std::error::Error::source(err).is_some_and(|source| source.is::<std::io::Error>())
}

pub(crate) fn pg_error(err: tokio_postgres::Error) -> StoreError {
    if is_unavailable(&err) {
        // The causes are in the message (the driver's own text is only its kind), so they are not repeated
        // as a source.
        return StoreError::Unavailable { message: chain(&err), source: None };
    }
    if let Some(db) = err.as_db_error() {
        tracing::debug!(code = db.code().code(), message = db.message(), "PostgreSQL refused a statement");
    }
    StoreError::Backend(Arc::new(err))
}

fn pool_error(err: PoolError) -> StoreError {
    match err {
        PoolError::Backend(err) => pg_error(err),
        PoolError::Closed => StoreError::Closed,
        other => StoreError::Unavailable { message: chain(&other), source: None },
    }
}

mod store_impl {
    //! `Store` for `PgStore`: each method is one function of a module above.

    use async_trait::async_trait;
    use kurir_core::api_key::ApiKey;
    use kurir_core::backfill::Backfill;
    use kurir_core::callout::CalloutProvider;
    use kurir_core::circuit::{Circuit, CircuitPolicy};
    use kurir_core::delivery::{Attempt, Delivery};
    use kurir_core::endpoint::{Dialect, Endpoint};
    use kurir_core::event::Event;
    use kurir_core::id::{ApiKeyId, BackfillId, DeliveryId, EndpointId, EventId, TenantId};
    use kurir_core::source::{Source, SourceId};
    use kurir_core::tenant::Tenant;

    use super::{admin, claim, deliveries, events, outcomes, pg_error, queue, PgStore};
    use crate::{
        CalloutRecord, Claim, ClaimRequest, CustomEventType, DeliveryFilter, EventFilter, InboundRecord, Lease, NodeId,
        Outcome, Published, Receipt, Refusal, Result, Store,
    };

    #[async_trait]
    impl Store for PgStore {
        async fn register_node(&self, node: &NodeId) -> Result<()> {
            PgStore::register_node(self, node).await
        }
        fn on_due(&self, wake: crate::Wake) {
            self.listen_for_due(wake);
        }
        async fn ping(&self) -> Result<()> {
            self.client().await?.execute("SELECT 1", &[]).await.map_err(pg_error).map(|_| ())
        }
        async fn get_setting(&self, key: &str) -> Result<Option<Vec<u8>>> {
            admin::get_setting(self, key).await
        }
        async fn put_setting(&self, key: &str, value: Option<Vec<u8>>) -> Result<()> {
            admin::put_setting(self, key, value.as_deref()).await
        }
        async fn insert_setting(&self, key: &str, value: Vec<u8>) -> Result<bool> {
            admin::insert_setting(self, key, &value).await
        }
        async fn admin_token_hash(&self) -> Result<Option<[u8; 32]>> {
            admin::admin_token_hash(self).await
        }
        async fn set_admin_token_hash(&self, hash: [u8; 32]) -> Result<()> {
            admin::set_admin_token_hash(self, hash).await
        }
        async fn create_tenant(&self, tenant: Tenant) -> Result<()> {
            admin::create_tenant(self, &tenant).await
        }
        async fn get_tenant(&self, tenant: &TenantId) -> Result<Tenant> {
            admin::get_tenant(&self.client().await?, tenant).await
        }
        async fn update_tenant(&self, tenant: Tenant) -> Result<()> {
            admin::update_tenant(self, &tenant).await
        }
        async fn list_tenants(&self) -> Result<Vec<Tenant>> {
            admin::list_tenants(self).await
        }
        async fn create_api_key(&self, key: ApiKey) -> Result<()> {
            admin::create_api_key(self, &key).await
        }
        async fn list_api_keys(&self, tenant: &TenantId) -> Result<Vec<ApiKey>> {
            admin::list_api_keys(self, tenant).await
        }
        async fn revoke_api_key(&self, tenant: &TenantId, key: &ApiKeyId, now_ms: i64) -> Result<()> {
            admin::revoke_api_key(self, tenant, key, now_ms).await
        }
        async fn find_api_key(&self, key: &str) -> Result<Option<ApiKey>> {
            admin::find_api_key(self, key).await
        }
        async fn create_endpoint(&self, endpoint: Endpoint) -> Result<()> {
            admin::create_endpoint(self, &endpoint).await
        }
        async fn list_endpoints(&self, tenant: &TenantId) -> Result<Vec<Endpoint>> {
            admin::list_endpoints(self, tenant).await
        }
        async fn get_endpoint(&self, tenant: &TenantId, endpoint: &EndpointId) -> Result<Endpoint> {
            admin::get_endpoint(&self.client().await?, tenant, endpoint).await
        }
        async fn update_endpoint(&self, endpoint: Endpoint) -> Result<()> {
            admin::update_endpoint(self, &endpoint).await
        }
        async fn replace_owned_endpoints(
            &self,
            tenant: &TenantId,
            owner: &ApiKeyId,
            dialect: Dialect,
            endpoints: Vec<Endpoint>,
            now_ms: i64,
        ) -> Result<()> {
            admin::replace_owned_endpoints(self, tenant, owner, dialect, &endpoints, now_ms).await
        }
        async fn delete_endpoint(&self, tenant: &TenantId, endpoint: &EndpointId, now_ms: i64) -> Result<()> {
            admin::delete_endpoint(self, tenant, endpoint, now_ms).await
        }
        async fn create_event_type(&self, event_type: CustomEventType) -> Result<()> {
            admin::create_event_type(self, &event_type).await
        }
        async fn list_event_types(&self, tenant: &TenantId) -> Result<Vec<CustomEventType>> {
            admin::list_event_types(self, tenant).await
        }
        async fn get_event_type(&self, tenant: &TenantId, name: &str) -> Result<Option<CustomEventType>> {
            admin::get_event_type(self, tenant, name).await
        }
        async fn create_source(&self, source: Source) -> Result<()> {
            admin::create_source(self, &source).await
        }
        async fn list_sources(&self, tenant: &TenantId) -> Result<Vec<Source>> {
            admin::list_sources(self, tenant).await
        }
        async fn get_source(&self, tenant: &TenantId, source: &SourceId) -> Result<Source> {
            admin::get_source(self, tenant, source).await
        }
        async fn update_source(&self, source: Source) -> Result<()> {
            admin::update_source(self, &source).await
        }
        async fn delete_source(&self, tenant: &TenantId, source: &SourceId) -> Result<()> {
            admin::delete_source(self, tenant, source).await
        }
        async fn find_source(&self, source: &SourceId) -> Result<Option<Source>> {
            admin::find_source(self, source).await
        }
        async fn receive(&self, tenant: &TenantId, receipt: Receipt) -> Result<Published> {
            events::receive(self, tenant, &receipt).await
        }
        async fn list_inbound(&self, tenant: &TenantId, source: &SourceId, limit: u32) -> Result<Vec<InboundRecord>> {
            events::list_inbound(self, tenant, source, limit).await
        }
        async fn log_refusal(&self, refusal: Refusal) -> Result<()> {
            admin::log_refusal(self, &refusal).await
        }
        async fn list_refusals(&self, tenant: &TenantId, source: &SourceId, limit: u32) -> Result<Vec<Refusal>> {
            admin::list_refusals(self, tenant, source, limit).await
        }
        async fn put_callout_provider(&self, provider: CalloutProvider) -> Result<()> {
            admin::put_callout_provider(self, &provider).await
        }
        async fn get_callout_provider(&self, tenant: &TenantId, name: &str) -> Result<CalloutProvider> {
            admin::get_callout_provider(self, tenant, name).await
        }
        async fn list_callout_providers(&self, tenant: &TenantId) -> Result<Vec<CalloutProvider>> {
            admin::list_callout_providers(self, tenant).await
        }
        async fn delete_callout_provider(&self, tenant: &TenantId, name: &str) -> Result<()> {
            admin::delete_callout_provider(self, tenant, name).await
        }
        async fn log_callout(&self, record: CalloutRecord) -> Result<()> {
            admin::log_callout(self, &record).await
        }
        async fn list_callout_log(&self, tenant: &TenantId, name: &str, limit: u32) -> Result<Vec<CalloutRecord>> {
            admin::list_callout_log(self, tenant, name, limit).await
        }
        async fn publish(&self, tenant: &TenantId, events: Vec<Event>) -> Result<Vec<Published>> {
            events::publish(self, tenant, &events).await
        }
        async fn publish_to(&self, tenant: &TenantId, event: Event, endpoint: &EndpointId) -> Result<DeliveryId> {
            events::publish_to(self, tenant, &event, endpoint).await
        }
        async fn list_events(&self, tenant: &TenantId, filter: EventFilter) -> Result<Vec<Event>> {
            events::list(self, tenant, &filter).await
        }
        async fn get_event(&self, tenant: &TenantId, event: &EventId) -> Result<(Event, Vec<Delivery>)> {
            events::get(self, tenant, event).await
        }
        async fn list_deliveries(&self, tenant: &TenantId, filter: DeliveryFilter) -> Result<Vec<Delivery>> {
            deliveries::list(self, tenant, &filter).await
        }
        async fn get_delivery(&self, tenant: &TenantId, delivery: &DeliveryId) -> Result<Delivery> {
            deliveries::get(self, tenant, delivery).await
        }
        async fn list_attempts(&self, tenant: &TenantId, delivery: &DeliveryId) -> Result<Vec<Attempt>> {
            deliveries::attempts(self, tenant, delivery).await
        }
        async fn retry_delivery(&self, tenant: &TenantId, delivery: &DeliveryId, now_ms: i64) -> Result<Delivery> {
            deliveries::retry(self, tenant, delivery, now_ms).await
        }
        async fn attempt_stats(&self, tenant: &TenantId, since_minute: i64) -> Result<Vec<crate::EndpointMinute>> {
            deliveries::attempt_stats(self, tenant, since_minute).await
        }
        async fn endpoint_circuit(&self, tenant: &TenantId, endpoint: &EndpointId) -> Result<Circuit> {
            deliveries::circuit_of(self, tenant, endpoint).await
        }
        async fn resume_endpoint(&self, tenant: &TenantId, endpoint: &EndpointId, now_ms: i64) -> Result<u64> {
            deliveries::resume(self, tenant, endpoint, now_ms).await
        }
        async fn create_backfill(&self, backfill: Backfill) -> Result<()> {
            super::backfills::create(self, &backfill).await
        }
        async fn get_backfill(&self, tenant: &TenantId, id: &BackfillId) -> Result<Backfill> {
            super::backfills::get(self, tenant, id).await
        }
        async fn list_backfills(&self, tenant: &TenantId, endpoint: Option<&EndpointId>) -> Result<Vec<Backfill>> {
            super::backfills::list(self, tenant, endpoint).await
        }
        async fn cancel_backfill(&self, tenant: &TenantId, id: &BackfillId, now_ms: i64) -> Result<Backfill> {
            super::backfills::cancel(self, tenant, id, now_ms).await
        }
        async fn running_backfills(&self) -> Result<Vec<Backfill>> {
            super::backfills::running(self).await
        }
        async fn backfill_step(&self, id: &BackfillId, limit: u32, now_ms: i64) -> Result<Backfill> {
            super::backfills::step(self, id, limit, now_ms).await
        }
        async fn purge_history(&self, tenant: &TenantId, before_ms: i64, limit: u32) -> Result<u64> {
            super::retention::purge(self, tenant, before_ms, limit).await
        }
        async fn recover_endpoint(
            &self,
            tenant: &TenantId,
            endpoint: &EndpointId,
            since_ms: i64,
            now_ms: i64,
        ) -> Result<u64> {
            deliveries::recover(self, tenant, endpoint, since_ms, now_ms).await
        }
        async fn claim_due(&self, request: ClaimRequest) -> Result<Vec<Claim>> {
            claim::claim_due(self, &request).await
        }
        async fn record_outcomes(
            &self,
            outcomes: Vec<Outcome>,
            circuit: CircuitPolicy,
        ) -> Result<Vec<crate::EndpointChange>> {
            outcomes::record_outcomes(self, &outcomes, &circuit).await
        }
        async fn next_due_after(&self, now_ms: i64) -> Result<Option<i64>> {
            queue::next_due_after(self, now_ms).await
        }
        fn turns_are_costly(&self) -> bool {
            true
        }
        async fn dispatch_turn(&self, turn: crate::DispatchTurn) -> Result<crate::TurnTaken> {
            super::turn::dispatch_turn(self, turn).await
        }
        async fn queue_summary(&self, now_ms: i64) -> Result<crate::QueueSummary> {
            queue::summary(self, now_ms).await
        }
        async fn renew_leases(&self, node: &NodeId, leases: Vec<Lease>, now_ms: i64, lease_ms: i64) -> Result<u64> {
            queue::renew_leases(self, node, &leases, now_ms + lease_ms).await
        }
        async fn release_leases(&self, node: &NodeId, now_ms: i64) -> Result<u64> {
            queue::release_leases(self, node, now_ms).await
        }
    }
}
