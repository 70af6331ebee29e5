//! The SQLite store against a real database file in a temp dir.

use std::collections::BTreeMap;
use std::sync::Arc;

use kurir_core::api_key::ApiKey;
use kurir_core::delivery::{Attempt, DeliveryState, NextStep};
use kurir_core::endpoint::{Dialect, Endpoint, DEFAULT_TIMEOUT_MS};
use kurir_core::event::Event;
use kurir_core::id::{ApiKeyId, AttemptId, EndpointId, EventId, TenantId};
use kurir_core::tenant::Tenant;
use kurir_store::sqlite::SqliteStore;
use kurir_store::{Claim, DeliveryFilter, Outcome, Store, StoreError, IDEMPOTENCY_WINDOW_MS};

const NOW: i64 = 1_800_000_000_000;
const LEASE: i64 = 60_000;

struct Fixture {
    store: Arc<SqliteStore>,
    tenant: TenantId,
    endpoint: EndpointId,
    _dir: tempfile::TempDir,
}

fn tenant_id(text: &str) -> TenantId {
    text.parse().unwrap_or_else(|err| panic!("{err}"))
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap_or_else(|err| panic!("{err}")));
    let tenant = tenant_id("acme");
    add_tenant(&store, tenant.clone(), "Acme").await;
    let endpoint = add_endpoint(&store, &tenant, None).await;
    Fixture { store, tenant, endpoint, _dir: dir }
}

async fn add_tenant(store: &SqliteStore, id: TenantId, name: &str) {
    let tenant = Tenant { id, name: name.into(), created_at_ms: NOW, attempt_log: Default::default() };
    store.create_tenant(tenant).await.unwrap_or_else(|e| panic!("{e}"));
}

async fn add_endpoint(store: &SqliteStore, tenant: &TenantId, owner: Option<ApiKeyId>) -> EndpointId {
    let endpoint = sample_endpoint(tenant, owner);
    let id = endpoint.id.clone();
    store.create_endpoint(endpoint).await.unwrap_or_else(|e| panic!("{e}"));
    id
}

fn sample_endpoint(tenant: &TenantId, owner: Option<ApiKeyId>) -> Endpoint {
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
        created_at_ms: NOW,
        updated_at_ms: NOW,
    }
}

fn rand_u128() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    u128::from(NEXT.fetch_add(1, Ordering::Relaxed))
}

fn event(tenant: &TenantId, key: Option<&str>, created_at_ms: i64) -> Event {
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
    }
}

fn outcome(claim: &Claim, next: NextStep, lease_token: i64) -> Outcome {
    Outcome {
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
        },
        next,
        disable_endpoint: None,
    }
}

async fn publish(fx: &Fixture, events: Vec<Event>) -> Result<Vec<kurir_store::Published>, StoreError> {
    fx.store.publish(&fx.tenant, events).await
}

async fn claim(fx: &Fixture, now: i64) -> Vec<Claim> {
    fx.store.claim_due(now, 100, LEASE, vec![]).await.unwrap_or_else(|e| panic!("{e}"))
}

async fn state_of(fx: &Fixture, claim: &Claim) -> DeliveryState {
    fx.store.get_delivery(&fx.tenant, &claim.delivery.id).await.map(|d| d.state).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn publish_makes_one_delivery_per_endpoint_and_claims_lease_them() {
    let fx = fixture().await;
    add_endpoint(&fx.store, &fx.tenant, None).await;
    let published = publish(&fx, vec![event(&fx.tenant, None, NOW), event(&fx.tenant, None, NOW)]).await;
    let published = published.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(published.iter().map(|p| p.deliveries).collect::<Vec<_>>(), [2, 2]);

    let claims = claim(&fx, NOW).await;
    assert_eq!(claims.len(), 4);
    assert!(claims.iter().all(|c| c.event.payload == r#"{"id": 1}"#));
    assert!(claim(&fx, NOW).await.is_empty(), "leased deliveries are not claimed twice");
    assert_eq!(claim(&fx, NOW + LEASE).await.len(), 4, "an expired lease makes them due again");
    let skipped = fx.store.claim_due(NOW + 2 * LEASE, 100, LEASE, vec![fx.endpoint.clone()]).await;
    let skipped = skipped.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(skipped.len(), 2, "only the other endpoint's deliveries");
    assert!(skipped.iter().all(|c| c.endpoint.id != fx.endpoint));
}

#[tokio::test]
async fn an_ordering_key_holds_later_deliveries_until_the_earlier_one_is_finished() {
    let fx = fixture().await;
    let events = vec![
        event(&fx.tenant, Some("product:1"), NOW),
        event(&fx.tenant, Some("product:1"), NOW),
        event(&fx.tenant, Some("product:2"), NOW),
    ];
    publish(&fx, events).await.unwrap_or_else(|e| panic!("{e}"));

    let first_round = claim(&fx, NOW).await;
    let keys: Vec<Option<&str>> = first_round.iter().map(|c| c.delivery.ordering_key.as_deref()).collect();
    assert_eq!(keys.len(), 2, "one per key: {keys:?}");
    let first = first_round.iter().find(|c| c.delivery.ordering_key.as_deref() == Some("product:1")).cloned();
    let first = first.unwrap_or_else(|| panic!("no product:1 claim"));

    let retry = outcome(&first, NextStep::RetryAt { due_ms: NOW + 1_000 }, first.lease_token);
    fx.store.record_outcomes(vec![retry]).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(claim(&fx, NOW + 10).await.is_empty(), "the second product:1 waits while the first is retrying");

    let again = claim(&fx, NOW + 1_000).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].delivery.id, first.delivery.id);
    let dead = outcome(&again[0], NextStep::Dead, again[0].lease_token);
    fx.store.record_outcomes(vec![dead]).await.unwrap_or_else(|e| panic!("{e}"));
    let next = claim(&fx, NOW + 1_000).await;
    assert_eq!(next.len(), 1, "once the first is dead the second goes on");
    assert_eq!(next[0].delivery.ordering_key.as_deref(), Some("product:1"));
    assert_ne!(next[0].delivery.id, first.delivery.id);
}

#[tokio::test]
async fn a_stale_lease_cannot_write_an_outcome() {
    let fx = fixture().await;
    publish(&fx, vec![event(&fx.tenant, None, NOW)]).await.unwrap_or_else(|e| panic!("{e}"));
    let claimed = claim(&fx, NOW).await;
    let stale = outcome(&claimed[0], NextStep::Succeeded, claimed[0].lease_token.wrapping_add(1));
    fx.store.record_outcomes(vec![stale]).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(state_of(&fx, &claimed[0]).await, DeliveryState::InFlight);

    assert_eq!(fx.store.release_leases(NOW).await.unwrap_or_default(), 1);
    assert_eq!(state_of(&fx, &claimed[0]).await, DeliveryState::Pending);
    let fresh = outcome(&claimed[0], NextStep::Succeeded, claimed[0].lease_token);
    fx.store.record_outcomes(vec![fresh]).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(state_of(&fx, &claimed[0]).await, DeliveryState::Pending, "a released lease is gone too");
}

#[tokio::test]
async fn idempotency_keys_last_24_hours() {
    let fx = fixture().await;
    let keyed = |at| Event { idempotency_key: Some("order-1".into()), ..event(&fx.tenant, None, at) };
    let first = publish(&fx, vec![keyed(NOW)]).await.unwrap_or_else(|e| panic!("{e}"));
    let again = publish(&fx, vec![keyed(NOW + 1)]).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(again[0].duplicate);
    assert_eq!(again[0].event_id, first[0].event_id);
    assert_eq!(again[0].deliveries, 1);
    let later = publish(&fx, vec![keyed(NOW + IDEMPOTENCY_WINDOW_MS)]).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(!later[0].duplicate);
    assert_ne!(later[0].event_id, first[0].event_id);
}

#[tokio::test]
async fn a_failing_batch_writes_nothing() {
    let fx = fixture().await;
    let one = event(&fx.tenant, None, NOW);
    let result = publish(&fx, vec![one.clone(), event(&fx.tenant, None, NOW), one]).await;
    assert!(result.is_err(), "a repeated event id must fail the batch");
    let deliveries =
        fx.store.list_deliveries(&fx.tenant, DeliveryFilter { limit: 10, ..DeliveryFilter::default() }).await;
    assert_eq!(deliveries.map(|d| d.len()).ok(), Some(0));
    assert!(claim(&fx, NOW).await.is_empty());
}

#[tokio::test]
async fn queries_are_scoped_to_their_tenant() {
    let fx = fixture().await;
    let other = tenant_id("other");
    add_tenant(&fx.store, other.clone(), "Other").await;
    assert!(matches!(fx.store.get_endpoint(&other, &fx.endpoint).await, Err(StoreError::NotFound(_))));
    assert!(matches!(fx.store.delete_endpoint(&other, &fx.endpoint, NOW).await, Err(StoreError::NotFound(_))));
    assert_eq!(fx.store.list_endpoints(&other).await.map(|e| e.len()).ok(), Some(0));
    let published = publish(&fx, vec![event(&fx.tenant, None, NOW)]).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(fx.store.get_event(&other, &published[0].event_id).await, Err(StoreError::NotFound(_))));
    assert!(matches!(
        fx.store
            .create_tenant(Tenant { id: other, name: "x".into(), created_at_ms: NOW, attempt_log: Default::default() })
            .await,
        Err(StoreError::Conflict(_))
    ));
}

#[tokio::test]
async fn loop_suppression_skips_the_owners_endpoint() {
    let fx = fixture().await;
    let owner = ApiKey {
        id: ApiKeyId::generate(NOW as u64, rand_u128()),
        tenant: fx.tenant.clone(),
        name: "pos".into(),
        secret_hash: [0; 32],
        created_at_ms: NOW,
        revoked_at_ms: None,
    };
    fx.store.create_api_key(owner.clone()).await.unwrap_or_else(|e| panic!("{e}"));
    add_endpoint(&fx.store, &fx.tenant, Some(owner.id.clone())).await;
    let mine = Event { origin_key: Some(owner.id.clone()), ..event(&fx.tenant, None, NOW) };
    let published = publish(&fx, vec![mine, event(&fx.tenant, None, NOW)]).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(published.iter().map(|p| p.deliveries).collect::<Vec<_>>(), [1, 2]);
}

#[tokio::test]
async fn concurrent_publishes_share_commits_and_all_land() {
    let fx = Arc::new(fixture().await);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let fx = Arc::clone(&fx);
        tasks.spawn(async move { publish(&fx, vec![event(&fx.tenant, None, NOW)]).await.map(|p| p.len()) });
    }
    let mut published = 0;
    while let Some(result) = tasks.join_next().await {
        published += result.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(published, 200);
    let events = fx.store.list_events(&fx.tenant, kurir_store::EventFilter { limit: 250, ..Default::default() }).await;
    assert_eq!(events.map(|e| e.len()).ok(), Some(200));
}

#[tokio::test]
async fn data_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    {
        let store = SqliteStore::open(dir.path()).unwrap_or_else(|err| panic!("{err}"));
        add_tenant(&store, tenant_id("acme"), "Acme").await;
    }
    let reopened = SqliteStore::open(dir.path()).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(reopened.get_tenant(&tenant_id("acme")).await.map(|t| t.name).ok().as_deref(), Some("Acme"));
}

#[tokio::test]
async fn secrets_are_sealed_at_rest() {
    use kurir_core::endpoint::{EndpointAuth, SigningSecret, ZortKeys};
    use kurir_store::secrets::SecretBox;

    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let tenant = tenant_id("acme");
    let secret_values =
        ["whsec_SEALEDSIGNINGSECRET0000000000", "header-value-HUSH", "zort-key-HUSH", "oauth-client-HUSH"];
    let mut endpoint = sample_endpoint(&tenant, None);
    endpoint.secrets = vec![SigningSecret { secret: secret_values[0].into(), expires_at_ms: None }];
    endpoint.headers = BTreeMap::from([("X-Api-Key".to_owned(), secret_values[1].to_owned())]);
    endpoint.zort_keys = Some(ZortKeys { key1: secret_values[2].into(), key2: "b".into(), key3: "c".into() });
    endpoint.auth = Some(EndpointAuth::OAuth2 {
        token_url: "https://auth.example.com/token".into(),
        client_id: "kurir".into(),
        client_secret: secret_values[3].into(),
        scope: None,
    });
    {
        let store = SqliteStore::open(dir.path()).unwrap_or_else(|err| panic!("{err}"));
        add_tenant(&store, tenant.clone(), "Acme").await;
        store.create_endpoint(endpoint.clone()).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            store.get_endpoint(&tenant, &endpoint.id).await.ok(),
            Some(endpoint.clone()),
            "read back in the clear"
        );
    }
    let mut database = Vec::new();
    for file in ["kurir.db", "kurir.db-wal"] {
        database.extend(std::fs::read(dir.path().join(file)).unwrap_or_default());
    }
    for value in secret_values {
        assert!(!database.windows(value.len()).any(|w| w == value.as_bytes()), "{value} is in the database file");
    }
    let other_key = SqliteStore::open_with(dir.path(), SecretBox::new([9; 32])).unwrap_or_else(|err| panic!("{err}"));
    let refused = other_key.get_endpoint(&tenant, &endpoint.id).await;
    assert!(matches!(refused, Err(StoreError::Corrupt { .. })), "another key cannot open the secrets");
}
