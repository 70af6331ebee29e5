//! The embedded SQLite store: kurir's default, a single file in the data directory.
//!
//! # Design
//!
//! - **Durability.** WAL journal. A publish or a management write is fsynced (`synchronous=FULL`) before the
//!   writer answers, so what was answered 2xx survives `kill -9` and power loss. The dispatcher's claims, outcomes
//!   and lease renewals commit without an fsync of their own (`writer::Durability` says why that is safe).
//! - **One writer.** [`writer`] owns the only write connection and group-commits everything queued (publishes,
//!   claims, outcomes) in one transaction, with one fsync when any of it needs one.
//! - **Many readers.** Reads run on a small pool of read-only connections on blocking threads; WAL lets them read
//!   while the writer writes.

mod backfills;
mod callouts;
mod checkpoints;
mod deliveries;
mod endpoints;
mod events;
mod outcomes;
mod rows;
mod schema;
pub use schema::SCHEMA_VERSION;
mod retention;
mod sources;
mod tenants;
mod values;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use kurir_core::api_key::ApiKey;
use kurir_core::backfill::Backfill;
use kurir_core::callout::CalloutProvider;
use kurir_core::delivery::{Attempt, Delivery};
use kurir_core::endpoint::{Dialect, Endpoint};
use kurir_core::event::Event;
use kurir_core::id::{ApiKeyId, BackfillId, DeliveryId, EndpointId, EventId, TenantId};
use kurir_core::source::{Source, SourceId};
use kurir_core::tenant::Tenant;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

use crate::{
    CalloutRecord, Claim, ClaimRequest, CustomEventType, DeliveryFilter, EventFilter, InboundRecord, Lease, NodeId,
    Outcome, Published, Receipt, Refusal, Result, Store, StoreError,
};
use kurir_core::circuit::{Circuit, CircuitPolicy};
use writer::{Durability, WriterHandle};

/// How SQLite's errors reach callers: a database that stays locked beyond the busy timeout (another process
/// holds the write lock) is unavailable, and retryable; anything else is the backend's failure.
impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        let busy = matches!(
            err.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        if busy {
            return StoreError::Unavailable {
                message: "the SQLite database is locked".into(),
                source: Some(Arc::new(err)),
            };
        }
        StoreError::Backend(Arc::new(err))
    }
}

/// How many read connections run at once.
const READERS: usize = 4;

/// Prepared statements kept per connection. rusqlite keeps 16 by default; the writer's hot path (publish, claim,
/// outcomes, statistics) uses more than that, and a statement evicted is parsed again on its next use.
const STATEMENT_CACHE: usize = 256;

/// What every connection of the store (the writer and each reader) is set up with.
///
/// The query planner stability guarantee (QPSG) is on. Without it, a statement whose plan could depend on a bound
/// value (a range like `next_attempt_at <= ?`, with the bundled SQLite built with STAT4) is marked to be compiled
/// again whenever that value is bound anew: every cached dispatcher statement was parsed and planned again on
/// every use, a fifth of the writer's time at 1,000 events/s. kurir's plans do not depend on bound values (the
/// dispatcher's queries name their index, and partial-index conditions are written as literals), so nothing is
/// lost.
fn configure(conn: &Connection) -> Result<()> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

/// A claim made in the same job as other writes (outcomes, a publish), in a savepoint of its own: a claim that
/// fails is logged and claims nothing, and the other writes stand, as [`Store::dispatch_turn`] promises. A claim
/// that did not run (a limit of 0, or a failure) says nothing about what is due.
fn claim_beside(conn: &Connection, claim: &ClaimRequest, only: Option<&[String]>) -> Result<deliveries::Claimed> {
    if claim.limit == 0 {
        return Ok(deliveries::Claimed::default());
    }
    conn.prepare_cached("SAVEPOINT claim")?.execute([])?;
    match deliveries::claim_due_among(conn, claim, only) {
        Ok(claimed) => {
            conn.prepare_cached("RELEASE claim")?.execute([])?;
            Ok(claimed)
        }
        Err(err) => {
            tracing::error!(error = %err, "cannot claim due deliveries; the rest of the write stands");
            conn.execute_batch("ROLLBACK TO claim; RELEASE claim")?;
            Ok(deliveries::Claimed::default())
        }
    }
}

pub struct SqliteStore {
    path: PathBuf,
    writer: WriterHandle,
    /// Idle read connections; the semaphore bounds how many are in use.
    readers: Arc<Mutex<Vec<Connection>>>,
    reader_permits: Semaphore,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (or creates) `kurir.db` in `data_dir` and brings its schema up to date. Secret fields are stored as
    /// they are given: [`crate::open`] wraps this store in [`crate::sealed::SealedStore`], which seals them.
    pub fn open(data_dir: &Path) -> Result<Self> {
        Self::open_with_metrics(data_dir, None)
    }

    /// [`SqliteStore::open`], with the writer's group commits recorded in `metrics`.
    pub fn open_with_metrics(data_dir: &Path, metrics: Option<Arc<kurir_metrics::Metrics>>) -> Result<Self> {
        std::fs::create_dir_all(data_dir)?;
        let path = data_dir.join("kurir.db");
        let mut conn = Connection::open(&path)?;
        configure(&conn)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;",
        )?;
        schema::migrate(&mut conn)?;
        checkpoints::start(&path, &mut conn)?;
        let writer = WriterHandle::spawn(conn, metrics)?;
        Ok(SqliteStore {
            path,
            writer,
            readers: Arc::new(Mutex::new(Vec::new())),
            reader_permits: Semaphore::new(READERS),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn open_reader(path: &Path) -> Result<Connection> {
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA query_only = ON;")?;
        configure(&conn)?;
        Ok(conn)
    }

    /// Runs `work` on a read connection on a blocking thread.
    async fn read<R, F>(&self, work: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
    {
        let _permit = self.reader_permits.acquire().await.map_err(|_| StoreError::Closed)?;
        let readers = Arc::clone(&self.readers);
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let idle = readers.lock().map_err(|_| StoreError::Closed)?.pop();
            let conn = match idle {
                Some(conn) => conn,
                None => Self::open_reader(&path)?,
            };
            let result = work(&conn);
            if let Ok(mut idle) = readers.lock() {
                idle.push(conn);
            }
            result
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }

    async fn write<R, F>(&self, work: F) -> Result<R>
    where
        R: Send + 'static,
        F: Fn(&Connection) -> Result<R> + Send + 'static,
    {
        self.writer.write(Durability::Synced, work).await
    }

    /// [`SqliteStore::write`] for a statement over every delivery of an endpoint (see [`writer::Size::Bulk`]).
    async fn write_bulk<R, F>(&self, work: F) -> Result<R>
    where
        R: Send + 'static,
        F: Fn(&Connection) -> Result<R> + Send + 'static,
    {
        self.writer.write_sized(Durability::Synced, writer::Size::Bulk, work).await
    }

    /// [`SqliteStore::write`] for the dispatcher's own bookkeeping, committed without an fsync of its own (see
    /// [`Durability::Relaxed`] for why losing the last of these is safe).
    async fn write_relaxed<R, F>(&self, work: F) -> Result<R>
    where
        R: Send + 'static,
        F: Fn(&Connection) -> Result<R> + Send + 'static,
    {
        self.writer.write(Durability::Relaxed, work).await
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<()> {
        self.read(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?)).await
    }

    async fn get_setting(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let key = key.to_owned();
        self.read(move |c| tenants::get_setting(c, &key)).await
    }

    async fn put_setting(&self, key: &str, value: Option<Vec<u8>>) -> Result<()> {
        let key = key.to_owned();
        self.write(move |c| tenants::put_setting(c, &key, value.as_deref())).await
    }

    async fn insert_setting(&self, key: &str, value: Vec<u8>) -> Result<bool> {
        let key = key.to_owned();
        self.write(move |c| tenants::insert_setting(c, &key, &value)).await
    }

    async fn admin_token_hash(&self) -> Result<Option<[u8; 32]>> {
        self.read(tenants::admin_token_hash).await
    }

    async fn set_admin_token_hash(&self, hash: [u8; 32]) -> Result<()> {
        self.write(move |c| tenants::set_admin_token_hash(c, hash)).await
    }

    async fn create_tenant(&self, tenant: Tenant) -> Result<()> {
        self.write(move |c| tenants::create_tenant(c, &tenant)).await
    }

    async fn get_tenant(&self, tenant: &TenantId) -> Result<Tenant> {
        let tenant = tenant.clone();
        self.read(move |c| tenants::get_tenant(c, &tenant)).await
    }

    async fn update_tenant(&self, tenant: Tenant) -> Result<()> {
        self.write(move |c| tenants::update_tenant(c, &tenant)).await
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        self.read(tenants::list_tenants).await
    }

    async fn create_api_key(&self, key: ApiKey) -> Result<()> {
        self.write(move |c| tenants::create_api_key(c, &key)).await
    }

    async fn list_api_keys(&self, tenant: &TenantId) -> Result<Vec<ApiKey>> {
        let tenant = tenant.clone();
        self.read(move |c| tenants::list_api_keys(c, &tenant)).await
    }

    async fn revoke_api_key(&self, tenant: &TenantId, key: &ApiKeyId, now_ms: i64) -> Result<()> {
        let (tenant, key) = (tenant.clone(), key.clone());
        self.write(move |c| tenants::revoke_api_key(c, &tenant, &key, now_ms)).await
    }

    async fn find_api_key(&self, key: &str) -> Result<Option<ApiKey>> {
        let key = key.to_owned();
        self.read(move |c| tenants::find_api_key(c, &key)).await
    }

    async fn create_endpoint(&self, endpoint: Endpoint) -> Result<()> {
        self.write(move |c| endpoints::create(c, &endpoint)).await
    }

    async fn list_endpoints(&self, tenant: &TenantId) -> Result<Vec<Endpoint>> {
        let tenant = tenant.clone();
        self.read(move |c| endpoints::list(c, &tenant)).await
    }

    async fn get_endpoint(&self, tenant: &TenantId, endpoint: &EndpointId) -> Result<Endpoint> {
        let (tenant, endpoint) = (tenant.clone(), endpoint.clone());
        self.read(move |c| endpoints::get(c, &tenant, &endpoint)).await
    }

    async fn update_endpoint(&self, endpoint: Endpoint) -> Result<()> {
        self.write(move |c| endpoints::update(c, &endpoint)).await
    }

    async fn replace_owned_endpoints(
        &self,
        tenant: &TenantId,
        owner: &ApiKeyId,
        dialect: Dialect,
        endpoints: Vec<Endpoint>,
        now_ms: i64,
    ) -> Result<()> {
        let (tenant, owner) = (tenant.clone(), owner.clone());
        self.write_bulk(move |c| endpoints::replace_owned(c, &tenant, &owner, dialect, &endpoints, now_ms)).await
    }

    async fn delete_endpoint(&self, tenant: &TenantId, endpoint: &EndpointId, now_ms: i64) -> Result<()> {
        let (tenant, endpoint) = (tenant.clone(), endpoint.clone());
        self.write_bulk(move |c| endpoints::delete(c, &tenant, &endpoint, now_ms)).await
    }

    async fn create_event_type(&self, event_type: CustomEventType) -> Result<()> {
        self.write(move |c| tenants::create_event_type(c, &event_type)).await
    }

    async fn list_event_types(&self, tenant: &TenantId) -> Result<Vec<CustomEventType>> {
        let tenant = tenant.clone();
        self.read(move |c| tenants::list_event_types(c, &tenant)).await
    }

    async fn get_event_type(&self, tenant: &TenantId, name: &str) -> Result<Option<CustomEventType>> {
        let (tenant, name) = (tenant.clone(), name.to_owned());
        self.read(move |c| tenants::get_event_type(c, &tenant, &name)).await
    }

    async fn create_source(&self, source: Source) -> Result<()> {
        self.write(move |c| sources::create(c, &source)).await
    }

    async fn list_sources(&self, tenant: &TenantId) -> Result<Vec<Source>> {
        let tenant = tenant.clone();
        self.read(move |c| sources::list(c, &tenant)).await
    }

    async fn get_source(&self, tenant: &TenantId, source: &SourceId) -> Result<Source> {
        let (tenant, source) = (tenant.clone(), source.clone());
        self.read(move |c| sources::get(c, &tenant, &source)).await
    }

    async fn update_source(&self, source: Source) -> Result<()> {
        self.write(move |c| sources::update(c, &source)).await
    }

    async fn delete_source(&self, tenant: &TenantId, source: &SourceId) -> Result<()> {
        let (tenant, source) = (tenant.clone(), source.clone());
        self.write(move |c| sources::delete(c, &tenant, &source)).await
    }

    async fn find_source(&self, source: &SourceId) -> Result<Option<Source>> {
        let source = source.clone();
        self.read(move |c| sources::find(c, &source)).await
    }

    async fn receive(&self, tenant: &TenantId, receipt: Receipt) -> Result<Published> {
        let tenant = tenant.clone();
        self.write(move |c| sources::receive(c, &tenant, &receipt)).await
    }

    async fn list_inbound(&self, tenant: &TenantId, source: &SourceId, limit: u32) -> Result<Vec<InboundRecord>> {
        let (tenant, source) = (tenant.clone(), source.clone());
        self.read(move |c| sources::list_inbound(c, &tenant, &source, limit)).await
    }

    async fn log_refusal(&self, refusal: Refusal) -> Result<()> {
        self.write(move |c| sources::log_refusal(c, &refusal)).await
    }

    async fn list_refusals(&self, tenant: &TenantId, source: &SourceId, limit: u32) -> Result<Vec<Refusal>> {
        let (tenant, source) = (tenant.clone(), source.clone());
        self.read(move |c| sources::list_refusals(c, &tenant, &source, limit)).await
    }

    async fn put_callout_provider(&self, provider: CalloutProvider) -> Result<()> {
        self.write(move |c| callouts::put(c, &provider)).await
    }

    async fn get_callout_provider(&self, tenant: &TenantId, name: &str) -> Result<CalloutProvider> {
        let (tenant, name) = (tenant.clone(), name.to_owned());
        self.read(move |c| callouts::get(c, &tenant, &name)).await
    }

    async fn list_callout_providers(&self, tenant: &TenantId) -> Result<Vec<CalloutProvider>> {
        let tenant = tenant.clone();
        self.read(move |c| callouts::list(c, &tenant)).await
    }

    async fn delete_callout_provider(&self, tenant: &TenantId, name: &str) -> Result<()> {
        let (tenant, name) = (tenant.clone(), name.to_owned());
        self.write(move |c| callouts::delete(c, &tenant, &name)).await
    }

    async fn log_callout(&self, record: CalloutRecord) -> Result<()> {
        self.write(move |c| callouts::log(c, &record)).await
    }

    async fn list_callout_log(&self, tenant: &TenantId, name: &str, limit: u32) -> Result<Vec<CalloutRecord>> {
        let (tenant, name) = (tenant.clone(), name.to_owned());
        self.read(move |c| callouts::list_log(c, &tenant, &name, limit)).await
    }

    async fn publish(&self, tenant: &TenantId, events: Vec<Event>) -> Result<Vec<Published>> {
        let tenant = tenant.clone();
        self.write(move |c| events::publish(c, &tenant, &events)).await
    }

    fn claims_in_publish(&self) -> bool {
        true
    }

    async fn publish_and_claim(
        &self,
        tenant: &TenantId,
        events: Vec<Event>,
        claim: ClaimRequest,
    ) -> Result<(Vec<Published>, Vec<Claim>)> {
        let tenant = tenant.clone();
        // One synced job: the claim's leases commit with the publish, under its fsync.
        self.write(move |c| {
            let (published, routed) = events::publish_routed(c, &tenant, &events)?;
            let claims = claim_beside(c, &claim, Some(&routed))?.claims;
            Ok((published, claims))
        })
        .await
    }

    async fn publish_to(&self, tenant: &TenantId, event: Event, endpoint: &EndpointId) -> Result<DeliveryId> {
        let (tenant, endpoint) = (tenant.clone(), endpoint.clone());
        self.write(move |c| events::publish_to(c, &tenant, &event, &endpoint)).await
    }

    async fn list_events(&self, tenant: &TenantId, filter: EventFilter) -> Result<Vec<Event>> {
        let tenant = tenant.clone();
        self.read(move |c| events::list(c, &tenant, &filter)).await
    }

    async fn get_event(&self, tenant: &TenantId, event: &EventId) -> Result<(Event, Vec<Delivery>)> {
        let (tenant, event) = (tenant.clone(), event.clone());
        self.read(move |c| events::get(c, &tenant, &event)).await
    }

    async fn list_deliveries(&self, tenant: &TenantId, filter: DeliveryFilter) -> Result<Vec<Delivery>> {
        let tenant = tenant.clone();
        self.read(move |c| deliveries::list(c, &tenant, &filter)).await
    }

    async fn get_delivery(&self, tenant: &TenantId, delivery: &DeliveryId) -> Result<Delivery> {
        let (tenant, delivery) = (tenant.clone(), delivery.clone());
        self.read(move |c| deliveries::get(c, &tenant, &delivery)).await
    }

    async fn list_attempts(&self, tenant: &TenantId, delivery: &DeliveryId) -> Result<Vec<Attempt>> {
        let (tenant, delivery) = (tenant.clone(), delivery.clone());
        self.read(move |c| deliveries::attempts(c, &tenant, &delivery)).await
    }

    async fn retry_delivery(&self, tenant: &TenantId, delivery: &DeliveryId, now_ms: i64) -> Result<Delivery> {
        let (tenant, delivery) = (tenant.clone(), delivery.clone());
        self.write(move |c| deliveries::retry(c, &tenant, &delivery, now_ms)).await
    }

    async fn attempt_stats(&self, tenant: &TenantId, since_minute: i64) -> Result<Vec<crate::EndpointMinute>> {
        let tenant = tenant.clone();
        self.read(move |c| deliveries::attempt_stats(c, &tenant, since_minute)).await
    }

    async fn endpoint_circuit(&self, tenant: &TenantId, endpoint: &EndpointId) -> Result<Circuit> {
        let (tenant, endpoint) = (tenant.clone(), endpoint.clone());
        self.read(move |c| deliveries::circuit_of(c, &tenant, &endpoint)).await
    }

    async fn resume_endpoint(&self, tenant: &TenantId, endpoint: &EndpointId, now_ms: i64) -> Result<u64> {
        let (tenant, endpoint) = (tenant.clone(), endpoint.clone());
        self.write_bulk(move |c| deliveries::resume(c, &tenant, &endpoint, now_ms)).await
    }

    async fn create_backfill(&self, backfill: Backfill) -> Result<()> {
        self.write(move |c| backfills::create(c, &backfill)).await
    }

    async fn get_backfill(&self, tenant: &TenantId, id: &BackfillId) -> Result<Backfill> {
        let (tenant, id) = (tenant.clone(), id.clone());
        self.read(move |c| backfills::get(c, &tenant, &id)).await
    }

    async fn list_backfills(&self, tenant: &TenantId, endpoint: Option<&EndpointId>) -> Result<Vec<Backfill>> {
        let (tenant, endpoint) = (tenant.clone(), endpoint.cloned());
        self.read(move |c| backfills::list(c, &tenant, endpoint.as_ref())).await
    }

    async fn cancel_backfill(&self, tenant: &TenantId, id: &BackfillId, now_ms: i64) -> Result<Backfill> {
        let (tenant, id) = (tenant.clone(), id.clone());
        self.write(move |c| backfills::cancel(c, &tenant, &id, now_ms)).await
    }

    async fn running_backfills(&self) -> Result<Vec<Backfill>> {
        self.read(backfills::running).await
    }

    async fn backfill_step(&self, id: &BackfillId, limit: u32, now_ms: i64) -> Result<Backfill> {
        let id = id.clone();
        self.write(move |c| backfills::step(c, &id, limit, now_ms)).await
    }

    async fn purge_history(&self, tenant: &TenantId, before_ms: i64, limit: u32) -> Result<u64> {
        let tenant = tenant.clone();
        self.write(move |c| retention::purge(c, &tenant, before_ms, limit)).await
    }

    async fn recover_endpoint(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointId,
        since_ms: i64,
        now_ms: i64,
    ) -> Result<u64> {
        let (tenant, endpoint) = (tenant.clone(), endpoint.clone());
        self.write_bulk(move |c| deliveries::recover(c, &tenant, &endpoint, since_ms, now_ms)).await
    }

    async fn claim_due(&self, request: ClaimRequest) -> Result<Vec<Claim>> {
        self.write_relaxed(move |c| deliveries::claim_due(c, &request)).await
    }

    async fn record_outcomes(
        &self,
        outcomes: Vec<Outcome>,
        circuit: CircuitPolicy,
    ) -> Result<Vec<crate::EndpointChange>> {
        self.write_relaxed(move |c| outcomes::record_outcomes(c, &outcomes, &circuit)).await
    }

    async fn dispatch_turn(&self, turn: crate::DispatchTurn) -> Result<crate::TurnTaken> {
        let crate::DispatchTurn { outcomes, circuit, claim, may_wait } = turn;
        // One writer job: the outcomes, the claim and the next due time share a transaction, so a turn costs one
        // hand-off to the writer thread and one commit, and fails or succeeds as a whole. A turn that may wait
        // does so in the writer's queue, where the next publish takes it into its own transaction.
        let work = move |c: &Connection| {
            let changes =
                if outcomes.is_empty() { Vec::new() } else { outcomes::record_outcomes(c, &outcomes, &circuit)? };
            let deliveries::Claimed { claims, nothing_due } = claim_beside(c, &claim, None)?;
            let next_due_ms = if claim.is_filled_by(claims.len()) {
                None
            } else {
                crate::next_due_or_none(deliveries::next_due_after(c, claim.now_ms))
            };
            Ok(crate::TurnTaken { changes, claims, next_due_ms, nothing_due })
        };
        match may_wait {
            Some(patience) => self.writer.write_patiently(patience, work).await,
            None => self.write_relaxed(work).await,
        }
    }

    async fn next_due_after(&self, now_ms: i64) -> Result<Option<i64>> {
        self.read(move |c| deliveries::next_due_after(c, now_ms)).await
    }

    async fn queue_summary(&self, now_ms: i64) -> Result<crate::QueueSummary> {
        self.read(move |c| deliveries::queue_summary(c, now_ms)).await
    }

    async fn renew_leases(&self, node: &NodeId, leases: Vec<Lease>, now_ms: i64, lease_ms: i64) -> Result<u64> {
        let node = node.clone();
        self.write_relaxed(move |c| deliveries::renew_leases(c, &node, &leases, now_ms + lease_ms)).await
    }

    async fn release_leases(&self, node: &NodeId, now_ms: i64) -> Result<u64> {
        let node = node.clone();
        self.write(move |c| deliveries::release_leases(c, &node, now_ms)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kurir_core::circuit::CircuitPolicy;
    use rusqlite::StatementStatus;

    /// How many times the dispatcher's cached statements were compiled again over a few turns at different times.
    fn recompiles(configured: bool) -> i32 {
        let mut conn = Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        if configured {
            configure(&conn).unwrap_or_else(|e| panic!("{e}"));
        }
        schema::migrate(&mut conn).unwrap_or_else(|e| panic!("{e}"));
        let node = NodeId::new("node-a").unwrap_or_else(|e| panic!("{e}"));
        for now_ms in [1_000, 2_000, 3_000] {
            let request = ClaimRequest {
                now_ms,
                limit: 10,
                lease_ms: 30_000,
                outcome_lag_ms: 0,
                node: node.clone(),
                max_in_flight_per_endpoint: 10,
                adaptive_concurrency: true,
                circuit: CircuitPolicy::default(),
            };
            // The writer moves its sub-journals between memory and files (`writer::Size`) between transactions.
            let temp_store = if now_ms == 2_000 { "FILE" } else { "MEMORY" };
            conn.pragma_update(None, "temp_store", temp_store).unwrap_or_else(|e| panic!("{e}"));
            deliveries::claim_due(&conn, &request).unwrap_or_else(|e| panic!("{e}"));
            deliveries::next_due_after(&conn, now_ms).unwrap_or_else(|e| panic!("{e}"));
        }
        [&*deliveries::READY_SQL, &*deliveries::NEXT_DUE_SQL]
            .iter()
            .map(|sql| {
                let stmt = conn.prepare_cached(sql).unwrap_or_else(|e| panic!("{e}"));
                stmt.get_status(StatementStatus::RePrepare)
            })
            .sum()
    }

    #[test]
    fn binding_a_new_time_does_not_compile_the_dispatchers_statements_again() {
        assert!(recompiles(false) > 0, "an unconfigured connection recompiles them (else this test sees nothing)");
        assert_eq!(recompiles(true), 0);
    }
}
