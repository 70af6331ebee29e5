//! [`SealedStore`]: the one place secrets are sealed and opened, above every backend.
//!
//! It wraps any [`Store`] and passes every call through, sealing the secret fields of endpoints, sources and
//! call-out providers on the way in and opening them on the way out ([`crate::secrets`] says which fields).
//! Backends never hold the key, so a backend cannot forget to seal, and a copy of the database gives no
//! secret away.
//!
//! On opening, it checks that the key is the one the database's secrets were sealed with (a sealed check value
//! in the settings, written by the first node): a node started with another key refuses to start and says why,
//! instead of failing every delivery later.

use std::collections::HashMap;
use std::sync::Arc;

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

use crate::secrets::SecretBox;
use crate::{
    CalloutRecord, Claim, ClaimRequest, CustomEventType, DeliveryFilter, EventFilter, InboundRecord, Lease, NodeId,
    Outcome, Published, Receipt, Refusal, Result, Store, StoreError,
};

/// The place a secret setting is sealed for.
fn setting_place(key: &str) -> String {
    format!("settings/{key}")
}

/// The setting that says every row's secrets are sealed bound to their place (written after the one reseal).
const BOUND: &str = "secrets_bound_v2";

/// The setting that holds a sealed known text, to tell whether a key is the database's.
pub(crate) const KEY_CHECK: &str = "secret_key_check";
const KEY_CHECK_TEXT: &str = "kurir secret key check v1";

pub struct SealedStore {
    backend: Box<dyn Store>,
    secrets: SecretBox,
}

impl std::fmt::Debug for SealedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedStore").finish_non_exhaustive()
    }
}

impl SealedStore {
    /// Wraps `backend`, after checking that `secrets` opens what the database holds (the first node to open a
    /// database records its key's check value).
    pub async fn new(backend: Box<dyn Store>, secrets: SecretBox) -> Result<SealedStore> {
        let sealed_check = secrets.seal(KEY_CHECK_TEXT, &setting_place(KEY_CHECK))?.into_bytes();
        if !backend.insert_setting(KEY_CHECK, sealed_check).await? {
            let stored = backend.get_setting(KEY_CHECK).await?.unwrap_or_default();
            if !opens_check(&secrets, &stored) {
                return Err(StoreError::Config(
                    "the secret key is not the one this database's secrets were sealed with; every node of one \
                     database must be started with the same KURIR_SECRET_KEY"
                        .into(),
                ));
            }
        }
        let store = SealedStore { backend, secrets };
        if store.backend.get_setting(BOUND).await?.is_none() {
            let resealed = store.reseal().await?;
            if resealed > 0 {
                tracing::info!(
                    rows = resealed,
                    "secrets sealed by an older kurir were sealed again, bound to their place"
                );
            }
            store.backend.insert_setting(BOUND, b"1".to_vec()).await?;
        }
        Ok(store)
    }

    /// Seals again, bound to their tenant and field, the secrets of every row an older kurir wrote (unbound or
    /// unsealed). Run once per database, when the first node that binds opens it.
    async fn reseal(&self) -> Result<u64> {
        let mut resealed = 0;
        for tenant in self.backend.list_tenants().await? {
            for endpoint in self.backend.list_endpoints(&tenant.id).await? {
                if SecretBox::endpoint_is_legacy(&endpoint) {
                    let open = self.secrets.open_endpoint(endpoint)?;
                    self.backend.update_endpoint(self.secrets.seal_endpoint(open)?).await?;
                    resealed += 1;
                }
            }
            for source in self.backend.list_sources(&tenant.id).await? {
                if SecretBox::source_is_legacy(&source) {
                    let open = self.secrets.open_source(source)?;
                    self.backend.update_source(self.secrets.seal_source(open)?).await?;
                    resealed += 1;
                }
            }
            for provider in self.backend.list_callout_providers(&tenant.id).await? {
                if SecretBox::provider_is_legacy(&provider) {
                    let open = self.secrets.open_provider(provider)?;
                    self.backend.put_callout_provider(self.secrets.seal_provider(open)?).await?;
                    resealed += 1;
                }
            }
        }
        Ok(resealed)
    }

    /// Opens the claims' endpoint secrets. Claims of one endpoint share one Arc; each endpoint's secrets are opened
    /// once. An endpoint whose secrets do not open costs only its own claims: they are left out (their leases
    /// expire, and the next claim tries again), and the rest go out.
    fn open_claims(&self, claims: Vec<Claim>) -> Vec<Claim> {
        let mut opened: HashMap<EndpointId, Option<Arc<Endpoint>>> = HashMap::new();
        let mut sendable = Vec::with_capacity(claims.len());
        for mut claim in claims {
            let endpoint = opened
                .entry(claim.endpoint.id.clone())
                .or_insert_with(|| match self.secrets.open_endpoint(Endpoint::clone(&claim.endpoint)) {
                    Ok(endpoint) => Some(Arc::new(endpoint)),
                    Err(err) => {
                        tracing::error!(endpoint = %claim.endpoint.id, error = %err, "cannot open the endpoint's secrets; its deliveries wait");
                        None
                    }
                })
                .clone();
            if let Some(endpoint) = endpoint {
                claim.endpoint = endpoint;
                sendable.push(claim);
            }
        }
        sendable
    }

    fn map_all<T>(&self, items: Vec<T>, seal: impl Fn(&SecretBox, T) -> Result<T>) -> Result<Vec<T>> {
        items.into_iter().map(|item| seal(&self.secrets, item)).collect()
    }
}

/// Whether `secrets` opens a stored key check value.
pub(crate) fn opens_check(secrets: &SecretBox, stored: &[u8]) -> bool {
    let opened = std::str::from_utf8(stored).ok().and_then(|text| secrets.open(text, &setting_place(KEY_CHECK)).ok());
    opened.as_deref() == Some(KEY_CHECK_TEXT)
}

#[async_trait]
impl Store for SealedStore {
    async fn register_node(&self, node: &NodeId) -> Result<()> {
        self.backend.register_node(node).await
    }

    fn on_due(&self, wake: crate::Wake) {
        self.backend.on_due(wake);
    }

    async fn ping(&self) -> Result<()> {
        self.backend.ping().await
    }

    async fn get_setting(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.backend.get_setting(key).await
    }

    async fn insert_setting(&self, key: &str, value: Vec<u8>) -> Result<bool> {
        self.backend.insert_setting(key, value).await
    }

    async fn secret_setting(&self, key: &str, fresh: Vec<u8>) -> Result<Vec<u8>> {
        use base64::engine::general_purpose::STANDARD;
        use base64::Engine as _;
        let sealed = self.secrets.seal(&STANDARD.encode(&fresh), &setting_place(key))?.into_bytes();
        self.backend.insert_setting(key, sealed).await?;
        let stored = self.backend.get_setting(key).await?.unwrap_or_default();
        let text =
            std::str::from_utf8(&stored).map_err(|_| StoreError::corrupt("settings", format!("{key} is not text")))?;
        STANDARD
            .decode(self.secrets.open(text, &setting_place(key))?)
            .map_err(|err| StoreError::corrupt("settings", format!("{key}: {err}")))
    }

    async fn put_setting(&self, key: &str, value: Option<Vec<u8>>) -> Result<()> {
        self.backend.put_setting(key, value).await
    }

    async fn put_secret(&self, key: &str, value: Option<&str>) -> Result<()> {
        let sealed = value.map(|plain| self.secrets.seal(plain, &setting_place(key))).transpose()?;
        self.backend.put_setting(key, sealed.map(String::into_bytes)).await
    }

    async fn get_secret(&self, key: &str) -> Result<Option<String>> {
        let Some(stored) = self.backend.get_setting(key).await? else { return Ok(None) };
        let text =
            std::str::from_utf8(&stored).map_err(|_| StoreError::corrupt("settings", format!("{key} is not text")))?;
        self.secrets.open(text, &setting_place(key)).map(Some)
    }

    async fn admin_token_hash(&self) -> Result<Option<[u8; 32]>> {
        self.backend.admin_token_hash().await
    }

    async fn set_admin_token_hash(&self, hash: [u8; 32]) -> Result<()> {
        self.backend.set_admin_token_hash(hash).await
    }

    async fn create_tenant(&self, tenant: Tenant) -> Result<()> {
        self.backend.create_tenant(tenant).await
    }

    async fn get_tenant(&self, tenant: &TenantId) -> Result<Tenant> {
        self.backend.get_tenant(tenant).await
    }

    async fn update_tenant(&self, tenant: Tenant) -> Result<()> {
        self.backend.update_tenant(tenant).await
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        self.backend.list_tenants().await
    }

    async fn create_api_key(&self, key: ApiKey) -> Result<()> {
        self.backend.create_api_key(key).await
    }

    async fn list_api_keys(&self, tenant: &TenantId) -> Result<Vec<ApiKey>> {
        self.backend.list_api_keys(tenant).await
    }

    async fn revoke_api_key(&self, tenant: &TenantId, key: &ApiKeyId, now_ms: i64) -> Result<()> {
        self.backend.revoke_api_key(tenant, key, now_ms).await
    }

    async fn find_api_key(&self, key: &str) -> Result<Option<ApiKey>> {
        self.backend.find_api_key(key).await
    }

    async fn create_endpoint(&self, endpoint: Endpoint) -> Result<()> {
        self.backend.create_endpoint(self.secrets.seal_endpoint(endpoint)?).await
    }

    async fn list_endpoints(&self, tenant: &TenantId) -> Result<Vec<Endpoint>> {
        self.map_all(self.backend.list_endpoints(tenant).await?, SecretBox::open_endpoint)
    }

    async fn get_endpoint(&self, tenant: &TenantId, endpoint: &EndpointId) -> Result<Endpoint> {
        self.secrets.open_endpoint(self.backend.get_endpoint(tenant, endpoint).await?)
    }

    async fn update_endpoint(&self, endpoint: Endpoint) -> Result<()> {
        self.backend.update_endpoint(self.secrets.seal_endpoint(endpoint)?).await
    }

    async fn replace_owned_endpoints(
        &self,
        tenant: &TenantId,
        owner: &ApiKeyId,
        dialect: Dialect,
        endpoints: Vec<Endpoint>,
        now_ms: i64,
    ) -> Result<()> {
        let sealed = self.map_all(endpoints, SecretBox::seal_endpoint)?;
        self.backend.replace_owned_endpoints(tenant, owner, dialect, sealed, now_ms).await
    }

    async fn delete_endpoint(&self, tenant: &TenantId, endpoint: &EndpointId, now_ms: i64) -> Result<()> {
        self.backend.delete_endpoint(tenant, endpoint, now_ms).await
    }

    async fn create_event_type(&self, event_type: CustomEventType) -> Result<()> {
        self.backend.create_event_type(event_type).await
    }

    async fn list_event_types(&self, tenant: &TenantId) -> Result<Vec<CustomEventType>> {
        self.backend.list_event_types(tenant).await
    }

    async fn get_event_type(&self, tenant: &TenantId, name: &str) -> Result<Option<CustomEventType>> {
        self.backend.get_event_type(tenant, name).await
    }

    async fn create_source(&self, source: Source) -> Result<()> {
        self.backend.create_source(self.secrets.seal_source(source)?).await
    }

    async fn list_sources(&self, tenant: &TenantId) -> Result<Vec<Source>> {
        self.map_all(self.backend.list_sources(tenant).await?, SecretBox::open_source)
    }

    async fn get_source(&self, tenant: &TenantId, source: &SourceId) -> Result<Source> {
        self.secrets.open_source(self.backend.get_source(tenant, source).await?)
    }

    async fn update_source(&self, source: Source) -> Result<()> {
        self.backend.update_source(self.secrets.seal_source(source)?).await
    }

    async fn delete_source(&self, tenant: &TenantId, source: &SourceId) -> Result<()> {
        self.backend.delete_source(tenant, source).await
    }

    async fn find_source(&self, source: &SourceId) -> Result<Option<Source>> {
        self.backend.find_source(source).await?.map(|s| self.secrets.open_source(s)).transpose()
    }

    async fn receive(&self, tenant: &TenantId, receipt: Receipt) -> Result<Published> {
        self.backend.receive(tenant, receipt).await
    }

    async fn list_inbound(&self, tenant: &TenantId, source: &SourceId, limit: u32) -> Result<Vec<InboundRecord>> {
        self.backend.list_inbound(tenant, source, limit).await
    }

    async fn log_refusal(&self, refusal: Refusal) -> Result<()> {
        self.backend.log_refusal(refusal).await
    }

    async fn list_refusals(&self, tenant: &TenantId, source: &SourceId, limit: u32) -> Result<Vec<Refusal>> {
        self.backend.list_refusals(tenant, source, limit).await
    }

    async fn put_callout_provider(&self, provider: CalloutProvider) -> Result<()> {
        self.backend.put_callout_provider(self.secrets.seal_provider(provider)?).await
    }

    async fn get_callout_provider(&self, tenant: &TenantId, name: &str) -> Result<CalloutProvider> {
        self.secrets.open_provider(self.backend.get_callout_provider(tenant, name).await?)
    }

    async fn list_callout_providers(&self, tenant: &TenantId) -> Result<Vec<CalloutProvider>> {
        self.map_all(self.backend.list_callout_providers(tenant).await?, SecretBox::open_provider)
    }

    async fn delete_callout_provider(&self, tenant: &TenantId, name: &str) -> Result<()> {
        self.backend.delete_callout_provider(tenant, name).await
    }

    async fn log_callout(&self, record: CalloutRecord) -> Result<()> {
        self.backend.log_callout(record).await
    }

    async fn list_callout_log(&self, tenant: &TenantId, name: &str, limit: u32) -> Result<Vec<CalloutRecord>> {
        self.backend.list_callout_log(tenant, name, limit).await
    }

    async fn publish(&self, tenant: &TenantId, events: Vec<Event>) -> Result<Vec<Published>> {
        self.backend.publish(tenant, events).await
    }

    fn claims_in_publish(&self) -> bool {
        self.backend.claims_in_publish()
    }
    fn turns_are_costly(&self) -> bool {
        self.backend.turns_are_costly()
    }

    async fn publish_and_claim(
        &self,
        tenant: &TenantId,
        events: Vec<Event>,
        claim: ClaimRequest,
    ) -> Result<(Vec<Published>, Vec<Claim>)> {
        let (published, claims) = self.backend.publish_and_claim(tenant, events, claim).await?;
        Ok((published, self.open_claims(claims)))
    }

    async fn publish_to(&self, tenant: &TenantId, event: Event, endpoint: &EndpointId) -> Result<DeliveryId> {
        self.backend.publish_to(tenant, event, endpoint).await
    }

    async fn list_events(&self, tenant: &TenantId, filter: EventFilter) -> Result<Vec<Event>> {
        self.backend.list_events(tenant, filter).await
    }

    async fn get_event(&self, tenant: &TenantId, event: &EventId) -> Result<(Event, Vec<Delivery>)> {
        self.backend.get_event(tenant, event).await
    }

    async fn list_deliveries(&self, tenant: &TenantId, filter: DeliveryFilter) -> Result<Vec<Delivery>> {
        self.backend.list_deliveries(tenant, filter).await
    }

    async fn get_delivery(&self, tenant: &TenantId, delivery: &DeliveryId) -> Result<Delivery> {
        self.backend.get_delivery(tenant, delivery).await
    }

    async fn list_attempts(&self, tenant: &TenantId, delivery: &DeliveryId) -> Result<Vec<Attempt>> {
        self.backend.list_attempts(tenant, delivery).await
    }

    async fn retry_delivery(&self, tenant: &TenantId, delivery: &DeliveryId, now_ms: i64) -> Result<Delivery> {
        self.backend.retry_delivery(tenant, delivery, now_ms).await
    }

    async fn attempt_stats(&self, tenant: &TenantId, since_minute: i64) -> Result<Vec<crate::EndpointMinute>> {
        self.backend.attempt_stats(tenant, since_minute).await
    }

    async fn endpoint_circuit(&self, tenant: &TenantId, endpoint: &EndpointId) -> Result<Circuit> {
        self.backend.endpoint_circuit(tenant, endpoint).await
    }

    async fn resume_endpoint(&self, tenant: &TenantId, endpoint: &EndpointId, now_ms: i64) -> Result<u64> {
        self.backend.resume_endpoint(tenant, endpoint, now_ms).await
    }

    async fn create_backfill(&self, backfill: Backfill) -> Result<()> {
        self.backend.create_backfill(backfill).await
    }

    async fn get_backfill(&self, tenant: &TenantId, id: &BackfillId) -> Result<Backfill> {
        self.backend.get_backfill(tenant, id).await
    }

    async fn list_backfills(&self, tenant: &TenantId, endpoint: Option<&EndpointId>) -> Result<Vec<Backfill>> {
        self.backend.list_backfills(tenant, endpoint).await
    }

    async fn cancel_backfill(&self, tenant: &TenantId, id: &BackfillId, now_ms: i64) -> Result<Backfill> {
        self.backend.cancel_backfill(tenant, id, now_ms).await
    }

    async fn running_backfills(&self) -> Result<Vec<Backfill>> {
        self.backend.running_backfills().await
    }

    async fn backfill_step(&self, id: &BackfillId, limit: u32, now_ms: i64) -> Result<Backfill> {
        self.backend.backfill_step(id, limit, now_ms).await
    }

    async fn purge_history(&self, tenant: &TenantId, before_ms: i64, limit: u32) -> Result<u64> {
        self.backend.purge_history(tenant, before_ms, limit).await
    }

    async fn recover_endpoint(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointId,
        since_ms: i64,
        now_ms: i64,
    ) -> Result<u64> {
        self.backend.recover_endpoint(tenant, endpoint, since_ms, now_ms).await
    }

    async fn claim_due(&self, request: ClaimRequest) -> Result<Vec<Claim>> {
        let claims = self.backend.claim_due(request).await?;
        Ok(self.open_claims(claims))
    }

    async fn dispatch_turn(&self, turn: crate::DispatchTurn) -> Result<crate::TurnTaken> {
        let mut taken = self.backend.dispatch_turn(turn).await?;
        taken.claims = self.open_claims(std::mem::take(&mut taken.claims));
        Ok(taken)
    }

    async fn record_outcomes(
        &self,
        outcomes: Vec<Outcome>,
        circuit: CircuitPolicy,
    ) -> Result<Vec<crate::EndpointChange>> {
        self.backend.record_outcomes(outcomes, circuit).await
    }

    async fn next_due_after(&self, now_ms: i64) -> Result<Option<i64>> {
        self.backend.next_due_after(now_ms).await
    }

    async fn queue_summary(&self, now_ms: i64) -> Result<crate::QueueSummary> {
        self.backend.queue_summary(now_ms).await
    }

    async fn renew_leases(&self, node: &NodeId, leases: Vec<Lease>, now_ms: i64, lease_ms: i64) -> Result<u64> {
        self.backend.renew_leases(node, leases, now_ms, lease_ms).await
    }

    async fn release_leases(&self, node: &NodeId, now_ms: i64) -> Result<u64> {
        self.backend.release_leases(node, now_ms).await
    }
}
