//! What every handler can reach.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kurir_core::catalog::{Catalog, EventType};
use kurir_core::id::TenantId;
use kurir_engine::Waker;
use kurir_store::Store;

use crate::error::ApiError;

/// Settings the API needs from the operator.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// SHA-256 of the admin token.
    pub admin_token_hash: [u8; 32],
    /// Lets endpoints point at private and loopback addresses.
    pub allow_private_targets: bool,
    /// The address vendors reach kurir at, for the URLs of sources (`https://hooks.example.com`).
    pub public_url: String,
    /// The server's in-flight limit per endpoint (`--endpoint-max-in-flight`), to show each endpoint's.
    pub max_in_flight_per_endpoint: u32,
    /// Whether endpoints' windows adapt (not with `--fixed-concurrency`), to show each endpoint's.
    pub adaptive_concurrency: bool,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            admin_token_hash: [0; 32],
            allow_private_targets: false,
            public_url: String::new(),
            max_in_flight_per_endpoint: kurir_engine::dispatcher::DEFAULT_MAX_IN_FLIGHT_PER_ENDPOINT,
            adaptive_concurrency: true,
        }
    }
}

impl ApiConfig {
    /// How many attempts at once `endpoint`, whose circuit carries its window, is allowed now: the rule a claim
    /// applies, so that the API and the dashboard show what the dispatcher does.
    pub fn concurrency_now(
        &self,
        endpoint: &kurir_core::endpoint::Endpoint,
        circuit: &kurir_core::circuit::Circuit,
    ) -> u32 {
        let limit = kurir_store::claiming::Limit::new(
            endpoint.max_in_flight,
            self.max_in_flight_per_endpoint,
            self.adaptive_concurrency,
        );
        limit.now(circuit)
    }
}

/// Compiled custom event types, by (tenant, name).
type CustomTypeCache = Arc<Mutex<HashMap<(TenantId, String), Arc<EventType>>>>;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub catalog: Arc<Catalog>,
    /// Wakes the dispatcher after a publish, so deliveries go out without waiting for a poll.
    pub waker: Waker,
    pub config: Arc<ApiConfig>,
    /// The HTTP client for call-outs (SSRF-guarded like the engine's).
    pub http: reqwest::Client,
    pub callout_circuits: Arc<crate::callouts::CalloutCircuits>,
    /// How many refused inbound requests each source may have recorded a minute.
    pub refusals: Arc<crate::refusals::RefusalLimiter>,
    /// Failed authentications per address (bearer tokens, ZORT's headers, the dashboard's sign-in).
    pub auth_failures: Arc<crate::throttle::FailureThrottle<std::net::IpAddr>>,
    /// Failed verifications per source and address (inbound requests).
    pub source_failures: Arc<crate::throttle::FailureThrottle<(String, std::net::IpAddr)>>,
    /// Where publishes and inbound requests are counted, and what `/metrics` encodes.
    pub metrics: Arc<kurir_metrics::Metrics>,
    /// Compiled schemas of tenants' own event types. Custom types cannot be changed once made, so entries
    /// never go stale.
    custom_types: CustomTypeCache,
    /// The tenants' publish allowances, and their rates as last read.
    pub publish_limits: Arc<crate::publish_limit::PublishLimits>,
    pub publish_rates: Arc<crate::publish_limit::RateCache>,
    /// API keys verified lately (see [`crate::key_cache`]).
    pub api_keys: Arc<crate::key_cache::KeyCache>,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        catalog: Arc<Catalog>,
        waker: Waker,
        config: ApiConfig,
        http: reqwest::Client,
    ) -> Self {
        AppState {
            store,
            catalog,
            waker,
            config: Arc::new(config),
            http,
            callout_circuits: Arc::default(),
            refusals: Arc::default(),
            metrics: Arc::default(),
            auth_failures: Arc::default(),
            source_failures: Arc::default(),
            custom_types: Arc::default(),
            publish_limits: Arc::default(),
            publish_rates: Arc::default(),
            api_keys: Arc::default(),
        }
    }

    /// Takes `events` from the tenant's publish allowance, or answers why not: 429 with `Retry-After` when its
    /// rate is used up, 422 when `events` is more than its rate allows at once.
    pub async fn admit_publish(&self, tenant: &TenantId, events: u32) -> Result<(), ApiError> {
        let rate = match self.publish_rates.fresh(tenant) {
            Some(rate) => rate,
            None => {
                let rate = self.store.get_tenant(tenant).await?.publish_rate;
                self.publish_rates.remember(tenant, rate);
                rate
            }
        };
        match self.publish_limits.take(tenant, rate, events) {
            Ok(()) => Ok(()),
            Err(crate::publish_limit::Refusal::Wait { secs }) => Err(ApiError::rate_limited(
                format!(
                    "tenant {tenant} may publish {} events a second; try again in {secs} s",
                    rate.unwrap_or_default()
                ),
                secs,
            )),
            Err(crate::publish_limit::Refusal::TooMany { rate }) => Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "over_rate_limit",
                format!(
                    "{events} events at once are more than tenant {tenant}'s {rate} a second; send smaller batches"
                ),
            )
            .with_field("events")),
        }
    }

    /// This state, counting into `metrics` (the process's one registry, shared with the store and the engine).
    pub fn with_metrics(mut self, metrics: Arc<kurir_metrics::Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// The event type `name` as `tenant` sees it: a built-in one, or the tenant's own.
    /// An event type a tenant or a sender may publish: any but kurir's own operational ones (422).
    pub async fn publishable_type(&self, tenant: &TenantId, name: &str) -> Result<Option<Arc<EventType>>, ApiError> {
        if kurir_core::operational::is_operational(name) {
            return Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "reserved_event_type",
                format!("`{name}` is one of kurir's own operational events; only kurir publishes them"),
            )
            .with_field("type"));
        }
        self.event_type(tenant, name).await
    }

    pub async fn event_type(&self, tenant: &TenantId, name: &str) -> Result<Option<Arc<EventType>>, ApiError> {
        if let Some(builtin) = self.catalog.get(name) {
            return Ok(Some(Arc::clone(builtin)));
        }
        let key = (tenant.clone(), name.to_owned());
        if let Some(cached) = self.custom_types.lock().ok().and_then(|cache| cache.get(&key).cloned()) {
            return Ok(Some(cached));
        }
        let Some(stored) = self.store.get_event_type(tenant, name).await? else {
            return Ok(None);
        };
        let schema = serde_json::from_str(&stored.schema).map_err(|err| ApiError::internal(&err))?;
        let compiled = Arc::new(
            EventType::custom(&stored.name, schema, stored.description).map_err(|err| ApiError::internal(&err))?,
        );
        if let Ok(mut cache) = self.custom_types.lock() {
            cache.insert(key, Arc::clone(&compiled));
        }
        Ok(Some(compiled))
    }
}
