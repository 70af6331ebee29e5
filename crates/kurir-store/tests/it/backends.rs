//! The backends the suite runs on, and the fixtures every test starts from.

use std::collections::BTreeMap;
use std::sync::Arc;

use kurir_core::circuit::CircuitPolicy;
use kurir_core::delivery::{Attempt, DeliveryState, NextStep};
use kurir_core::endpoint::{Dialect, Endpoint, DEFAULT_TIMEOUT_MS};
use kurir_core::event::Event;
use kurir_core::id::{ApiKeyId, AttemptId, EndpointId, EventId, TenantId};
use kurir_core::tenant::Tenant;
use kurir_store::{Claim, ClaimRequest, Database, NodeId, Outcome, Store, StoreError, StoreOptions};

pub const NOW: i64 = 1_800_000_000_000;
pub const LEASE: i64 = 60_000;
/// The secret key every test store is opened with (base64 of 32 bytes of 7).
pub const SECRET_KEY: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
pub const POLICY: CircuitPolicy = CircuitPolicy {
    failure_threshold: 3,
    base_cooldown_ms: 10_000,
    max_cooldown_ms: 60_000,
    probe_hold_ms: 5_000,
    disable_after_ms: 0,
    disable_min_attempts: 0,
};

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One database, opened as kurir opens it. `handle()` opens it again, as a second process would.
pub struct TestDb {
    database: Database,
    dir: tempfile::TempDir,
}

impl TestDb {
    /// A fresh database. For PostgreSQL, a new database in this test process's throwaway cluster (or on the
    /// server `KURIR_TEST_DATABASE_URL` names); where neither can be had, the test fails and says why.
    pub fn new(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let database = match backend {
            Backend::Sqlite => Database::Sqlite { data_dir: dir.path().to_owned() },
            Backend::Postgres => {
                let cluster = kurir_testpg::TestCluster::shared()
                    .unwrap_or_else(|err| panic!("PostgreSQL is needed for this test and none could be had: {err}"));
                let url = cluster.fresh_database("store").unwrap_or_else(|err| panic!("{err}"));
                Database::Postgres { url }
            }
        };
        TestDb { database, dir }
    }

    pub fn options(&self, secret_key: &str) -> StoreOptions {
        StoreOptions { database: self.database.clone(), secret_key: Some(secret_key.to_owned()), metrics: None }
    }

    pub async fn handle(&self) -> Arc<dyn Store> {
        kurir_store::open(&self.options(SECRET_KEY)).await.unwrap_or_else(|err| panic!("{err}"))
    }

    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

/// A store with one tenant (`acme`) and one endpoint.
pub struct Fixture {
    pub db: TestDb,
    pub store: Arc<dyn Store>,
    pub tenant: TenantId,
    pub endpoint: EndpointId,
}

pub fn tenant_id(text: &str) -> TenantId {
    text.parse().unwrap_or_else(|err| panic!("{err}"))
}

pub async fn fixture(backend: Backend) -> Fixture {
    let db = TestDb::new(backend);
    let store = db.handle().await;
    let tenant = tenant_id("acme");
    add_tenant(store.as_ref(), tenant.clone(), "Acme").await;
    let endpoint = add_endpoint(store.as_ref(), &tenant, None).await;
    Fixture { db, store, tenant, endpoint }
}

pub async fn add_tenant(store: &dyn Store, id: TenantId, name: &str) {
    let tenant = Tenant {
        id,
        name: name.into(),
        created_at_ms: NOW,
        attempt_log: Default::default(),
        publish_rate: None,
        retention_days: None,
        zort_signature_headers: true,
    };
    store.create_tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
}

pub async fn add_endpoint(store: &dyn Store, tenant: &TenantId, owner: Option<ApiKeyId>) -> EndpointId {
    let endpoint = sample_endpoint(tenant, owner);
    let id = endpoint.id.clone();
    store.create_endpoint(endpoint).await.unwrap_or_else(|e| panic!("{e}"));
    id
}

pub fn sample_endpoint(tenant: &TenantId, owner: Option<ApiKeyId>) -> Endpoint {
    Endpoint {
        id: EndpointId::generate(NOW as u64, rand_u128()),
        tenant: tenant.clone(),
        url: "https://example.com/{event}".into(),
        dialect: Dialect::Standard,
        description: String::new(),
        event_types: None,
        headers: BTreeMap::new(),
        secrets: vec![],
        retry_schedule: None,
        timeout_ms: DEFAULT_TIMEOUT_MS,
        enabled: true,
        disabled_reason: None,
        owner_key: owner,
        zort_keys: None,
        signature_headers: true,
        auth: None,
        max_in_flight: None,
        circuit: Default::default(),
        rate_limit: None,
        created_at_ms: NOW,
        updated_at_ms: NOW,
    }
}

pub fn rand_u128() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    u128::from(NEXT.fetch_add(1, Ordering::Relaxed))
}

pub fn event(tenant: &TenantId, key: Option<&str>, created_at_ms: i64) -> Event {
    Event {
        id: EventId::generate(created_at_ms as u64, rand_u128()),
        tenant: tenant.clone(),
        event_type: "ADDPRODUCT".into(),
        payload: r#"{"id": 1}"#.into(),
        ordering_key: key.map(str::to_owned),
        origin_key: None,
        idempotency_key: None,
        params: None,
        created_at_ms,
        subject_endpoint: None,
    }
}

pub fn outcome(claim: &Claim, next: NextStep, lease_token: i64) -> Outcome {
    Outcome {
        event_id: claim.delivery.event_id.clone(),
        event_type: claim.delivery.event_type.clone(),
        tenant: claim.delivery.tenant.clone(),
        delivery_id: claim.delivery.id.clone(),
        endpoint_id: claim.endpoint.id.clone(),
        lease_token,
        attempt: Attempt {
            id: AttemptId::generate(NOW as u64, rand_u128()),
            tenant: claim.delivery.tenant.clone(),
            delivery_id: claim.delivery.id.clone(),
            attempt_no: claim.delivery.attempts + 1,
            started_at_ms: NOW,
            duration_ms: 3,
            status: Some(500),
            error_kind: None,
            error: None,
            response_excerpt: String::new(),
            request: None,
            response_headers: Vec::new(),
        },
        next,
        disable_endpoint: None,
    }
}

pub fn node(name: &str) -> NodeId {
    NodeId::new(name).unwrap_or_else(|err| panic!("{err}"))
}

pub fn claim_request(now: i64, limit: u32, node_name: &str) -> ClaimRequest {
    ClaimRequest {
        now_ms: now,
        limit,
        lease_ms: LEASE,
        outcome_lag_ms: 0,
        node: node(node_name),
        max_in_flight_per_endpoint: 1_000,
        // The contract's claims see every due delivery; the window has its own test.
        adaptive_concurrency: false,
        circuit: POLICY,
    }
}

pub async fn publish(fx: &Fixture, events: Vec<Event>) -> Result<Vec<kurir_store::Published>, StoreError> {
    fx.store.publish(&fx.tenant, events).await
}

pub async fn claim(fx: &Fixture, now: i64) -> Vec<Claim> {
    fx.store.claim_due(claim_request(now, 100, "node-a")).await.unwrap_or_else(|e| panic!("{e}"))
}

pub async fn record(fx: &Fixture, outcomes: Vec<Outcome>) {
    fx.store.record_outcomes(outcomes, POLICY).await.unwrap_or_else(|e| panic!("{e}"));
}

pub async fn state_of(fx: &Fixture, claim: &Claim) -> DeliveryState {
    fx.store.get_delivery(&fx.tenant, &claim.delivery.id).await.map(|d| d.state).unwrap_or_else(|e| panic!("{e}"))
}

/// Writes `count` events for the fixture's tenant.
pub async fn publish_many(fx: &Fixture, count: usize, key: Option<&str>) {
    let events = (0..count).map(|_| event(&fx.tenant, key, NOW)).collect();
    publish(fx, events).await.unwrap_or_else(|e| panic!("{e}"));
}

/// Runs one test body on every backend: `on_every_backend!(name)` makes `on_sqlite::name` and
/// `on_postgres::name` from `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        $crate::on_backend!(on_sqlite, Sqlite, $($name),*);
        $crate::on_backend!(on_postgres, Postgres, $($name),*);
    };
}

#[macro_export]
macro_rules! on_backend {
    ($module:ident, $backend:ident, $($name:ident),*) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::backends::Backend::$backend).await
                }
            )*
        }
    };
}
