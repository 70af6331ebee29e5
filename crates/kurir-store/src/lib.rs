//! kurir's storage: the [`Store`] trait, the rules every backend keeps, and the embedded SQLite backend.
//!
//! # Layout
//!
//! - [`Store`]: every query kurir makes, grouped by concept, with the contract below. Every method that reads or
//!   changes a tenant's data takes the [`TenantId`] first, so another tenant's rows cannot be reached by mistake:
//!   they look missing. The few methods that work across tenants (authentication by key id, the dispatcher's
//!   claim) say why.
//! - [`open`]: opens the store a configuration names and wraps it in [`sealed::SealedStore`], which seals secret
//!   fields on the way in and opens them on the way out. Backends never see the secret key, so none can forget
//!   to seal.
//! - [`claiming`]: the backend-neutral parts of a claim (sharing a batch among endpoints), pure.
//! - [`sql`]: SQL fragments written from kurir-core's rules (which states are unfinished), shared by backends.
//! - [`postgres`]: several nodes on one PostgreSQL database; [`copy`] moves a SQLite store into one.
//! - [`sqlite`]: the embedded default. One writer thread owns the write connection and commits whatever is
//!   queued in one transaction and one fsync (group commit); readers use their own connections.
//!
//! # The contract
//!
//! Every backend keeps these rules, and keeps them when several kurir processes share one database:
//!
//! - **Durable answers.** A write that returned `Ok` is committed; a publish answered 2xx survives a crash.
//! - **Exclusive claims.** A claim leases a delivery only if, in the same statement that takes it, the delivery
//!   is still unfinished and due (pending, retrying, or in flight with an expired lease). Two claimers never
//!   hold the same delivery.
//! - **Fenced outcomes.** An outcome is written only while the claim's `lease_token` is the delivery's: a node
//!   whose lease expired and was taken over changes nothing.
//! - **Checked transitions.** A retry or recovery by hand moves a delivery only from the states that allow it
//!   ([`kurir_core::delivery::DeliveryState::RESENDABLE`]), checked in the `UPDATE` itself.
//! - **One first event per idempotency key.** Two publishes racing with the same `Idempotency-Key` both get
//!   the first event's id; neither fails.
//! - **Leases belong to nodes.** Each claim records the claiming [`NodeId`]; a node renews its own leases while
//!   attempts run and at start releases only those it owned or that have expired, never a live node's.
//! - **FIFO per (endpoint, ordering key) across nodes.** A delivery is not claimed while an earlier one (lower
//!   sequence) of the same endpoint and key is unfinished, on whatever node it is in flight.
//! - **A sick endpoint costs the healthy ones nothing.** The circuit breaker (kurir-core's rule) is stored per
//!   endpoint and shared by all nodes; a claim hands out nothing of an endpoint whose circuit holds it, one
//!   probe when its cooldown is over, and never more than the endpoint's in-flight limit counted across nodes.
//!   Claims pick endpoints first and share a batch among them, so one endpoint's backlog is never scanned for
//!   another's deliveries.
//! - **No secrets in the database.** Secret fields reach a backend already sealed ([`sealed`]).
//! - **Clear failures.** A database that cannot be reached answers [`StoreError::Unavailable`] (retryable),
//!   never a 2xx that was not kept.

mod backfills;
pub mod claiming;
mod codec;
pub mod copy;
pub mod error;
mod open;
pub mod postgres;
mod retention;
pub mod sealed;
pub mod secrets;
pub mod sql;
pub mod sqlite;
pub mod stats;

use async_trait::async_trait;
use kurir_core::api_key::ApiKey;
use kurir_core::backfill::Backfill;
use kurir_core::callout::CalloutProvider;
use kurir_core::circuit::{Circuit, CircuitPolicy};
use kurir_core::delivery::{Attempt, Delivery, DeliveryState, NextStep};
use kurir_core::endpoint::{Dialect, Endpoint};
use kurir_core::event::Event;
use kurir_core::id::{ApiKeyId, BackfillId, DeliveryId, EndpointId, EventId, TenantId};
use kurir_core::source::{Source, SourceId};
use kurir_core::tenant::Tenant;

pub use error::StoreError;
pub use open::{open, Database, StoreOptions};
pub use stats::EndpointMinute;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What [`Store::on_due`] calls.
pub type Wake = std::sync::Arc<dyn Fn() + Send + Sync>;

/// How long an `Idempotency-Key` is remembered.
pub const IDEMPOTENCY_WINDOW_MS: i64 = 24 * 3_600 * 1_000;

/// A tenant's own event type, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomEventType {
    pub tenant: TenantId,
    pub name: String,
    pub description: String,
    /// The JSON Schema as JSON text.
    pub schema: String,
    pub created_at_ms: i64,
}

/// What one publish wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub event_id: EventId,
    pub deliveries: u32,
    /// The deliveries it made, in endpoint order (the first publish's, for a repeated idempotency key).
    pub delivery_ids: Vec<DeliveryId>,
    /// True when the `Idempotency-Key` was seen within 24 h: nothing was written, and `event_id` is the first one.
    pub duplicate: bool,
}

/// Filters for the event list. Results are newest first; `before` is the cursor (an event id).
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub event_type: Option<String>,
    /// Events whose ordering key is this text (`product:4711`) or whose payload contains it (an entity id, a
    /// name): a scan of the tenant's events, newest first, that stops at a page of matches.
    pub text: Option<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub before: Option<EventId>,
    pub limit: u32,
}

/// Filters for the delivery list. Results are newest first; `before` is the cursor (a delivery id).
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub state: Option<DeliveryState>,
    pub endpoint: Option<EndpointId>,
    pub event_type: Option<String>,
    pub before: Option<DeliveryId>,
    pub limit: u32,
}

/// A delivery the dispatcher has leased, with what it needs to send it.
#[derive(Debug, Clone)]
pub struct Claim {
    pub delivery: Delivery,
    /// Fences the outcome: a write-back whose token no longer matches (the lease expired and someone else took
    /// the delivery) changes nothing.
    pub lease_token: i64,
    pub event: Event,
    /// Shared by every claim of the same endpoint in one batch.
    pub endpoint: std::sync::Arc<Endpoint>,
}

/// The result of one attempt, to be written back.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub tenant: TenantId,
    pub delivery_id: DeliveryId,
    pub endpoint_id: EndpointId,
    pub lease_token: i64,
    pub attempt: Attempt,
    pub next: NextStep,
    /// Set when the attempt showed the endpoint must stop (410 Gone): the endpoint is disabled with this reason.
    pub disable_endpoint: Option<String>,
    /// The delivery's event and its type, for the operational events an outcome may make.
    pub event_id: EventId,
    pub event_type: String,
}

impl Outcome {
    /// When the attempt ended.
    pub fn finished_at_ms(&self) -> i64 {
        self.attempt.started_at_ms + i64::from(self.attempt.duration_ms)
    }

    /// When the delivery is next looked at: its retry time, or when the attempt ended.
    pub fn next_attempt_at_ms(&self) -> i64 {
        match self.next {
            NextStep::RetryAt { due_ms } => due_ms,
            NextStep::Succeeded | NextStep::Dead => self.finished_at_ms(),
        }
    }
}

/// What writing outcomes did to an endpoint beyond its deliveries: it was disabled (410 Gone, or a failure streak
/// long enough) or it recovered. The engine tells the tenant with an operational event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointChange {
    pub tenant: TenantId,
    pub endpoint: EndpointId,
    pub change: kurir_core::circuit::CircuitChange,
    pub at_ms: i64,
}

/// The name of one kurir process among those sharing a database: leases record it, so a node renews and
/// releases its own and never another's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NodeId(String);

impl NodeId {
    /// Most characters in a node id.
    pub const MAX_LEN: usize = 64;

    /// The file in a data directory that keeps its node's id, locked while that node runs.
    pub const FILE: &'static str = "node.id";

    /// A node id of 1 to 64 letters, digits, `-`, `_`, `.` or `:`.
    pub fn new(text: impl Into<String>) -> Result<NodeId, StoreError> {
        let text = text.into();
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':');
        if text.is_empty() || text.len() > Self::MAX_LEN || !text.chars().all(allowed) {
            return Err(StoreError::Config(format!(
                "node id `{text}` must be 1 to {} letters, digits, '-', '_', '.' or ':'",
                Self::MAX_LEN
            )));
        }
        Ok(NodeId(text))
    }

    /// A fresh random node id (`node-` and 12 hex digits).
    pub fn random() -> NodeId {
        NodeId(format!("node-{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl ClaimRequest {
    /// Whether `claimed` deliveries fill this claim, so that more may be due right now (a limit of 0 claims
    /// nothing and is filled at once). The next due time is worth reading only when it is not.
    pub fn is_filled_by(&self, claimed: usize) -> bool {
        claimed >= self.limit as usize
    }
}

/// A turn's next due time as read ([`TurnTaken::next_due_ms`]), on every backend: a failed read is logged and
/// taken as none, since the turn's writes stand and the dispatcher looks at the store again within a second.
pub(crate) fn next_due_or_none(read: Result<Option<i64>>) -> Option<i64> {
    read.unwrap_or_else(|err| {
        tracing::error!(error = %err, "cannot read the next due time");
        None
    })
}

/// One turn of a node's dispatcher ([`Store::dispatch_turn`]): write back the outcomes of finished attempts, then
/// claim what is due.
#[derive(Debug, Clone)]
pub struct DispatchTurn {
    /// Shared, so that a turn the store refused can be taken again with the same outcomes without copying them.
    pub outcomes: std::sync::Arc<[Outcome]>,
    /// When a written outcome opens its endpoint's circuit.
    pub circuit: CircuitPolicy,
    /// What to claim after the outcomes are written; a limit of 0 claims nothing.
    pub claim: ClaimRequest,
    /// How long the backend may hold the turn so that it shares a commit with the next write (a publish) instead
    /// of paying for one of its own; `None` takes it at once. The dispatcher offers this at light load, for a turn
    /// woken by finished attempts when the last turn found nothing due ([`TurnTaken::nothing_due`]; see
    /// `kurir_engine`'s dispatcher). A backend whose writes do not share commits ignores it.
    pub may_wait: Option<std::time::Duration>,
}

/// What a [`DispatchTurn`] did.
#[derive(Debug, Default)]
pub struct TurnTaken {
    /// What writing the outcomes did to endpoints (as [`Store::record_outcomes`] returns).
    pub changes: Vec<EndpointChange>,
    pub claims: Vec<Claim>,
    /// When the claim took fewer than its limit: the earliest time after the claim's `now_ms` at which something
    /// may become due (as [`Store::next_due_after`]). `None` when nothing waits, or when the claim was filled
    /// (a limit of 0 included).
    pub next_due_ms: Option<i64>,
    /// Whether the claim found no endpoint with a delivery due (those whose circuit holds them aside): nothing
    /// waits to be claimed, not even behind an endpoint's in-flight limit. `false` when not known (no claim ran,
    /// or the backend does not tell).
    pub nothing_due: bool,
}

/// A lease a node holds: which delivery, and the token that fences its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lease {
    pub delivery_id: DeliveryId,
    pub lease_token: i64,
}

/// What one claim asks for.
#[derive(Debug, Clone)]
pub struct ClaimRequest {
    pub now_ms: i64,
    /// Most deliveries to lease.
    pub limit: u32,
    /// How long the lease lasts unless renewed.
    pub lease_ms: i64,
    /// How long an answered attempt's outcome may wait for the dispatcher to write it (a turn in progress and the
    /// next one): a lease this much older than its answer is not yet a sign that the attempt is stuck.
    pub outcome_lag_ms: i64,
    /// Who holds the leases.
    pub node: NodeId,
    /// Most attempts in flight to one endpoint, across every node.
    pub max_in_flight_per_endpoint: u32,
    /// Whether each endpoint's attempts at once follow its adaptive window under that limit (see
    /// `kurir_core::window`); off, every endpoint may have its whole limit from the start.
    pub adaptive_concurrency: bool,
    /// The circuit breaker's policy (when a held endpoint is probed, for how long a probe is out).
    pub circuit: CircuitPolicy,
}

/// One request received by a source, ready to be stored with the event it carries.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub source: SourceId,
    /// SHA-256 of what identifies the request (dialect, event type, query, body): a vendor's retry has the same.
    pub fingerprint: [u8; 32],
    pub event: Event,
    /// What the payload's schema check found, when it failed (lenient sources store and forward anyway).
    pub validation_error: Option<String>,
}

/// One row of a source's inbound log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundRecord {
    pub received_at_ms: i64,
    pub event_id: EventId,
    pub event_type: String,
    pub validation_error: Option<String>,
    /// True when this was a repeat of an earlier request within the duplicate window (nothing new was stored).
    pub duplicate: bool,
}

/// One request a source refused (bad credentials, a malformed body, an unknown event type), as its refusal log
/// keeps it: no body, so a stranger cannot store anything through it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub tenant: TenantId,
    pub source: SourceId,
    pub at_ms: i64,
    /// The HTTP status the sender got.
    pub status: u16,
    pub reason: String,
    /// The sender's address, when known.
    pub address: Option<String>,
}

/// What `/metrics` reports from the database: across tenants, and the same on every node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueSummary {
    /// Deliveries not finished: pending, retrying or in flight.
    pub unfinished: u64,
    /// The due time of the oldest delivery that is due and waiting (pending or retrying, not leased).
    pub oldest_due_ms: Option<i64>,
    /// Endpoints whose circuit breaker is open or probing.
    pub circuits_open: u64,
    pub endpoints_disabled: u64,
}

/// How many refusals a source's log keeps (the newest).
pub const REFUSALS_KEPT: u32 = 100;

/// One relayed call-out, as its log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalloutRecord {
    pub tenant: TenantId,
    pub name: String,
    pub at_ms: i64,
    pub duration_ms: u32,
    /// The provider's HTTP status, when it answered.
    pub status: Option<u16>,
    /// `ok`, `refused` (a documented 400), `bad_answer`, `timeout`, `unreachable`, `circuit_open`.
    pub outcome: String,
    pub error: Option<String>,
    /// The first 4 KiB of the request and of the answer.
    pub request: String,
    pub response: String,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Answers when the database does: `/readyz` asks this.
    async fn ping(&self) -> Result<()>;

    /// Reserves `node` for this process while it runs: a second live process with the same node id would release
    /// and renew the first one's leases, so it is refused (`Config`). SQLite leaves this to the data directory's
    /// locked `node.id` file.
    async fn register_node(&self, node: &NodeId) -> Result<()> {
        let _ = node;
        Ok(())
    }

    /// Calls `wake` whenever another process may have made deliveries due (a publish on another node), so its
    /// dispatcher need not wait for its poll. A backend shared by one process only may do nothing: that
    /// process's own writes wake its dispatcher directly.
    fn on_due(&self, wake: Wake) {
        let _ = wake;
    }

    // --- operator settings ---

    /// A named setting shared by every node (for example the secret key's check value).
    async fn get_setting(&self, key: &str) -> Result<Option<Vec<u8>>>;
    /// Stores a setting unless one of that name exists; returns whether this call stored it. Two nodes racing
    /// to store the same setting: exactly one wins, the other reads the winner's.
    async fn insert_setting(&self, key: &str, value: Vec<u8>) -> Result<bool>;
    /// A secret setting shared by every node (the dashboard's session key): the value stored under `key`, after
    /// storing `fresh` there when none was (the first node's value wins). [`sealed::SealedStore`] seals it like
    /// every secret; a backend on its own keeps it as given.
    async fn secret_setting(&self, key: &str, fresh: Vec<u8>) -> Result<Vec<u8>> {
        self.insert_setting(key, fresh).await?;
        Ok(self.get_setting(key).await?.unwrap_or_default())
    }
    /// Stores a setting, replacing any of that name; `None` removes it.
    async fn put_setting(&self, key: &str, value: Option<Vec<u8>>) -> Result<()>;
    /// Stores a secret text setting that changes (a ZORT configuration's keys); `None` removes it.
    /// [`sealed::SealedStore`] seals it like every secret; a backend on its own keeps it as given.
    async fn put_secret(&self, key: &str, value: Option<&str>) -> Result<()> {
        self.put_setting(key, value.map(|v| v.as_bytes().to_vec())).await
    }
    /// A secret text setting that [`Store::put_secret`] stored.
    async fn get_secret(&self, key: &str) -> Result<Option<String>> {
        let stored = self.get_setting(key).await?;
        stored
            .map(|bytes| {
                String::from_utf8(bytes).map_err(|_| StoreError::corrupt("settings", format!("{key} is not text")))
            })
            .transpose()
    }

    /// The SHA-256 of the admin token, once one was stored.
    async fn admin_token_hash(&self) -> Result<Option<[u8; 32]>>;
    async fn set_admin_token_hash(&self, hash: [u8; 32]) -> Result<()>;

    // --- tenants ---

    /// Fails with `Conflict` when the id is taken.
    async fn create_tenant(&self, tenant: Tenant) -> Result<()>;
    async fn get_tenant(&self, tenant: &TenantId) -> Result<Tenant>;
    /// Replaces a tenant's name and settings.
    async fn update_tenant(&self, tenant: Tenant) -> Result<()>;
    /// Every tenant: for the admin only.
    async fn list_tenants(&self) -> Result<Vec<Tenant>>;

    // --- API keys ---

    async fn create_api_key(&self, key: ApiKey) -> Result<()>;
    async fn list_api_keys(&self, tenant: &TenantId) -> Result<Vec<ApiKey>>;
    async fn revoke_api_key(&self, tenant: &TenantId, key: &ApiKeyId, now_ms: i64) -> Result<()>;
    /// Looks a key up by id alone. This is how a request's tenant is learned, so it cannot be tenant-scoped; the
    /// caller must compare the secret hash before trusting the key.
    async fn find_api_key(&self, key: &str) -> Result<Option<ApiKey>>;

    // --- endpoints ---

    async fn create_endpoint(&self, endpoint: Endpoint) -> Result<()>;
    async fn list_endpoints(&self, tenant: &TenantId) -> Result<Vec<Endpoint>>;
    async fn get_endpoint(&self, tenant: &TenantId, endpoint: &EndpointId) -> Result<Endpoint>;
    /// Replaces an endpoint's settings (found by its tenant and id).
    async fn update_endpoint(&self, endpoint: Endpoint) -> Result<()>;
    /// Makes `endpoints` the whole set of `dialect` endpoints that `owner` owns in one transaction: those given
    /// are created or replaced (by id), the others are deleted (their unfinished deliveries end dead). This is how
    /// ZORT's UpdateWebhook replaces a key's configuration without a half-applied state.
    async fn replace_owned_endpoints(
        &self,
        tenant: &TenantId,
        owner: &ApiKeyId,
        dialect: Dialect,
        endpoints: Vec<Endpoint>,
        now_ms: i64,
    ) -> Result<()>;
    /// Deletes an endpoint; its unfinished deliveries end dead.
    async fn delete_endpoint(&self, tenant: &TenantId, endpoint: &EndpointId, now_ms: i64) -> Result<()>;

    // --- custom event types ---

    async fn create_event_type(&self, event_type: CustomEventType) -> Result<()>;
    async fn list_event_types(&self, tenant: &TenantId) -> Result<Vec<CustomEventType>>;
    async fn get_event_type(&self, tenant: &TenantId, name: &str) -> Result<Option<CustomEventType>>;

    // --- sources (inbound) ---

    async fn create_source(&self, source: Source) -> Result<()>;
    async fn list_sources(&self, tenant: &TenantId) -> Result<Vec<Source>>;
    async fn get_source(&self, tenant: &TenantId, source: &SourceId) -> Result<Source>;
    /// Replaces a source's name, credentials and strictness (found by its tenant and id); its id, and so its URL,
    /// stays.
    async fn update_source(&self, source: Source) -> Result<()>;
    async fn delete_source(&self, tenant: &TenantId, source: &SourceId) -> Result<()>;
    /// Looks a source up by id alone: a vendor's request names only the source, whose random id is the secret.
    async fn find_source(&self, source: &SourceId) -> Result<Option<Source>>;
    /// Stores a received event with its deliveries and an inbound log row, unless the same request (by
    /// fingerprint) arrived within the duplicate window: then only the log row is added and the first event's
    /// id is returned.
    async fn receive(&self, tenant: &TenantId, receipt: Receipt) -> Result<Published>;
    async fn list_inbound(&self, tenant: &TenantId, source: &SourceId, limit: u32) -> Result<Vec<InboundRecord>>;
    /// Records a refused request, keeping only the newest `REFUSALS_KEPT` of its source.
    async fn log_refusal(&self, refusal: Refusal) -> Result<()>;
    /// A source's refusals, newest first.
    async fn list_refusals(&self, tenant: &TenantId, source: &SourceId, limit: u32) -> Result<Vec<Refusal>>;

    // --- call-outs ---

    /// Creates or replaces the provider of one call-out.
    async fn put_callout_provider(&self, provider: CalloutProvider) -> Result<()>;
    async fn get_callout_provider(&self, tenant: &TenantId, name: &str) -> Result<CalloutProvider>;
    async fn list_callout_providers(&self, tenant: &TenantId) -> Result<Vec<CalloutProvider>>;
    async fn delete_callout_provider(&self, tenant: &TenantId, name: &str) -> Result<()>;
    async fn log_callout(&self, record: CalloutRecord) -> Result<()>;
    /// The newest exchanges of one call-out first.
    async fn list_callout_log(&self, tenant: &TenantId, name: &str, limit: u32) -> Result<Vec<CalloutRecord>>;

    // --- events ---

    /// Stores events and one pending delivery per endpoint that wants each, all or nothing, durably before it
    /// returns. An event whose `idempotency_key` was used within 24 h writes nothing and returns the first id.
    async fn publish(&self, tenant: &TenantId, events: Vec<Event>) -> Result<Vec<Published>>;
    /// Stores an event with one delivery to `endpoint` alone, whatever its filters say ("Test Webhook").
    async fn publish_to(&self, tenant: &TenantId, event: Event, endpoint: &EndpointId) -> Result<DeliveryId>;
    /// Whether a dispatcher turn ([`Store::dispatch_turn`]) costs enough that a turn woken by one finished attempt
    /// should wait briefly for the others still running, so that they share it: on PostgreSQL a turn is a
    /// transaction of several round trips, ~14 ms at saturation, and the wait measured 6 % faster there. On
    /// SQLite a turn is one job for the writer thread, which publishes share, and waiting measured slower.
    fn turns_are_costly(&self) -> bool {
        false
    }
    /// Whether [`Store::publish_and_claim`] claims anything on this backend, so that a caller need not reserve
    /// room for claims that never come.
    fn claims_in_publish(&self) -> bool {
        false
    }
    /// [`Store::publish`], and in the same transaction a claim ([`Store::claim_due`], with every rule of it)
    /// limited to the endpoints the events were routed to, so that the publishing node sends them at once with no
    /// claim of its own. A backend may claim nothing (the default); whatever is not claimed here is due, and the
    /// dispatchers claim it as usual.
    async fn publish_and_claim(
        &self,
        tenant: &TenantId,
        events: Vec<Event>,
        claim: ClaimRequest,
    ) -> Result<(Vec<Published>, Vec<Claim>)> {
        let _ = claim;
        debug_assert!(!self.claims_in_publish(), "a backend that claims in publishes implements it");
        Ok((self.publish(tenant, events).await?, Vec::new()))
    }

    async fn list_events(&self, tenant: &TenantId, filter: EventFilter) -> Result<Vec<Event>>;
    async fn get_event(&self, tenant: &TenantId, event: &EventId) -> Result<(Event, Vec<Delivery>)>;

    // --- deliveries ---

    async fn list_deliveries(&self, tenant: &TenantId, filter: DeliveryFilter) -> Result<Vec<Delivery>>;
    async fn get_delivery(&self, tenant: &TenantId, delivery: &DeliveryId) -> Result<Delivery>;
    async fn list_attempts(&self, tenant: &TenantId, delivery: &DeliveryId) -> Result<Vec<Attempt>>;
    /// Sends a delivery now: a finished one (succeeded or dead) back to pending, a waiting one (pending,
    /// retrying) due at once. `Conflict` while it is in flight; the state is checked by the `UPDATE` that changes
    /// it.
    async fn retry_delivery(&self, tenant: &TenantId, delivery: &DeliveryId, now_ms: i64) -> Result<Delivery>;
    /// The endpoint's circuit breaker as the store keeps it (closed when it never failed).
    async fn endpoint_circuit(&self, tenant: &TenantId, endpoint: &EndpointId) -> Result<Circuit>;
    /// "The receiver is back": closes the endpoint's circuit and makes every delivery of it that waits (pending,
    /// retrying) due now. Returns how many were waiting.
    async fn resume_endpoint(&self, tenant: &TenantId, endpoint: &EndpointId, now_ms: i64) -> Result<u64>;
    /// The tenant's delivery statistics per endpoint and minute from `since_minute` (Unix minutes) on, oldest
    /// first. `record_outcomes` adds to them; they never scan the attempt log.
    async fn attempt_stats(&self, tenant: &TenantId, since_minute: i64) -> Result<Vec<EndpointMinute>>;
    /// Stores a new backfill (its endpoint must be the tenant's).
    async fn create_backfill(&self, backfill: Backfill) -> Result<()>;
    async fn get_backfill(&self, tenant: &TenantId, id: &BackfillId) -> Result<Backfill>;
    /// A tenant's backfills, newest first; of one endpoint when given.
    async fn list_backfills(&self, tenant: &TenantId, endpoint: Option<&EndpointId>) -> Result<Vec<Backfill>>;
    /// Stops a running backfill (what it queued is sent); a finished one is answered as it is.
    async fn cancel_backfill(&self, tenant: &TenantId, id: &BackfillId, now_ms: i64) -> Result<Backfill>;
    /// Every running backfill, of every tenant (the engine works them).
    async fn running_backfills(&self) -> Result<Vec<Backfill>>;
    /// One batch of a running backfill, in one write: up to `limit` of its tenant's next events in publish order,
    /// a pending delivery (due `now_ms`) to its endpoint for each of the wanted types, and the cursor moved. A
    /// batch shorter than `limit` ends it; a backfill whose endpoint is gone is cancelled. Returns it as it is now.
    async fn backfill_step(&self, id: &BackfillId, limit: u32, now_ms: i64) -> Result<Backfill>;
    /// Deletes one bounded batch of a tenant's history from before `before_ms`: up to `limit` events whose
    /// deliveries are all finished (with those deliveries and their attempts), and up to `limit` rows of each log
    /// (inbound requests, call-outs, delivery statistics). Returns how many rows went: 0 when nothing older is
    /// left. A delivery still pending keeps its event; each batch is one short write.
    async fn purge_history(&self, tenant: &TenantId, before_ms: i64, limit: u32) -> Result<u64>;
    /// Re-queues every dead delivery of an endpoint created since `since_ms`; returns how many.
    async fn recover_endpoint(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointId,
        since_ms: i64,
        now_ms: i64,
    ) -> Result<u64>;

    // --- the dispatcher (across tenants: one dispatcher serves them all) ---

    /// Leases up to `request.limit` due deliveries to `request.node` until `now + lease_ms`, endpoint by endpoint:
    /// nothing of an endpoint whose circuit holds it, one probe of an endpoint whose cooldown is over, and no
    /// more than the endpoint's in-flight limit across all nodes. A delivery with an ordering key is due only
    /// when no earlier delivery of the same endpoint and key is unfinished.
    async fn claim_due(&self, request: ClaimRequest) -> Result<Vec<Claim>>;
    /// Writes attempts back, with the deliveries' next states, in one transaction, feeds each sent attempt
    /// to its endpoint's circuit (`circuit` says when it opens) and adds it to the endpoint's statistics. Attempt rows are kept as the tenant's
    /// `attempt_log` mode says; the delivery's own state is always written.
    /// Returns what it did to endpoints: each endpoint disabled by this write (it was enabled before), and each
    /// whose open circuit closed.
    async fn record_outcomes(&self, outcomes: Vec<Outcome>, circuit: CircuitPolicy) -> Result<Vec<EndpointChange>>;
    /// One turn of the dispatcher: [`Store::record_outcomes`], then [`Store::claim_due`] (skipped for a limit of
    /// 0), then [`Store::next_due_after`] when the claim did not fill its limit. A backend that can does all of it
    /// in one transaction. Either way an error means that no outcome of the turn was written, so the turn can be
    /// taken again; a claim that fails after the outcomes were written is logged and claims nothing.
    async fn dispatch_turn(&self, turn: DispatchTurn) -> Result<TurnTaken> {
        let DispatchTurn { outcomes, circuit, claim, may_wait: _ } = turn;
        let changes =
            if outcomes.is_empty() { Vec::new() } else { self.record_outcomes(outcomes.to_vec(), circuit).await? };
        let (now_ms, limit) = (claim.now_ms, claim.limit);
        let claims = if limit == 0 {
            Vec::new()
        } else {
            self.claim_due(claim.clone()).await.unwrap_or_else(|err| {
                tracing::error!(error = %err, "cannot claim due deliveries");
                Vec::new()
            })
        };
        let next_due_ms =
            if claim.is_filled_by(claims.len()) { None } else { next_due_or_none(self.next_due_after(now_ms).await) };
        Ok(TurnTaken { changes, claims, next_due_ms, nothing_due: false })
    }
    /// The earliest time after `now_ms` at which something may become due (a retry, a lease expiring, an
    /// endpoint's circuit letting a probe out).
    async fn next_due_after(&self, now_ms: i64) -> Result<Option<i64>>;
    /// The queue and the endpoints' health at `now_ms`, for `/metrics`.
    async fn queue_summary(&self, now_ms: i64) -> Result<QueueSummary>;
    /// Extends to `now_ms + lease_ms` the leases of `node` named by `leases` (delivery and lease token): the
    /// attempts it is running, or whose outcome it has yet to write. Returns how many were extended. A live node
    /// calls it while its attempts run, so leases can be short and a dead node's deliveries are taken over soon;
    /// a lease the node no longer works on is not renewed, and expires.
    async fn renew_leases(&self, node: &NodeId, leases: Vec<Lease>, now_ms: i64, lease_ms: i64) -> Result<u64>;
    /// Makes due now every in-flight delivery whose lease `node` held or that has expired. A node calls it at
    /// start: whatever it had in flight when it stopped was never written back, so it is sent again (at least
    /// once). Another live node's leases are left alone.
    async fn release_leases(&self, node: &NodeId, now_ms: i64) -> Result<u64>;
}
