//! Settings, tenants, API keys, event types, endpoints, sources and call-out providers: the configuration rows.

use deadpool_postgres::GenericClient;
use kurir_core::api_key::ApiKey;
use kurir_core::callout::CalloutProvider;
use kurir_core::endpoint::{Dialect, Endpoint};
use kurir_core::id::{ApiKeyId, EndpointId, TenantId};
use kurir_core::source::{Source, SourceId};
use kurir_core::tenant::Tenant;
use tokio_postgres::types::ToSql;

use super::rows::{self, all};
use super::{pg_error, queue, Cached, PgStore};
use crate::codec::{auth_json, endpoint_json, verify_json, zort_keys_json};
use crate::{CalloutRecord, CustomEventType, Refusal, Result, StoreError, REFUSALS_KEPT};

const ADMIN_TOKEN_HASH: &str = "admin_token_sha256";

pub(crate) async fn get_setting(store: &PgStore, key: &str) -> Result<Option<Vec<u8>>> {
    let client = store.client().await?;
    let row = client.query_opt_cached("SELECT value FROM settings WHERE key = $1", &[&key]).await.map_err(pg_error)?;
    row.map(|row| rows::get(&row, "settings", 0)).transpose()
}

pub(crate) async fn insert_setting(store: &PgStore, key: &str, value: &[u8]) -> Result<bool> {
    let client = store.client().await?;
    let inserted = client
        .execute_cached(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            &[&key, &value],
        )
        .await
        .map_err(pg_error)?;
    Ok(inserted == 1)
}

pub(crate) async fn put_setting(store: &PgStore, key: &str, value: Option<&[u8]>) -> Result<()> {
    let client = store.client().await?;
    let done = match value {
        Some(value) => {
            client
                .execute_cached(
                    "INSERT INTO settings (key, value) VALUES ($1, $2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    &[&key, &value],
                )
                .await
        }
        None => client.execute_cached("DELETE FROM settings WHERE key = $1", &[&key]).await,
    };
    done.map_err(pg_error)?;
    Ok(())
}

pub(crate) async fn admin_token_hash(store: &PgStore) -> Result<Option<[u8; 32]>> {
    get_setting(store, ADMIN_TOKEN_HASH)
        .await?
        .map(|bytes| {
            <[u8; 32]>::try_from(bytes.as_slice())
                .map_err(|_| StoreError::corrupt("settings", "admin token hash is not 32 bytes"))
        })
        .transpose()
}

pub(crate) async fn set_admin_token_hash(store: &PgStore, hash: [u8; 32]) -> Result<()> {
    let client = store.client().await?;
    client
        .execute_cached(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&ADMIN_TOKEN_HASH, &hash.as_slice()],
        )
        .await
        .map_err(pg_error)?;
    Ok(())
}

/// Runs one statement; `NotFound(what)` when it changed no row.
async fn change(
    client: &impl GenericClient,
    what: &'static str,
    sql: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<()> {
    match client.execute_cached(sql, args).await.map_err(pg_error)? {
        0 => Err(StoreError::NotFound(what)),
        _ => Ok(()),
    }
}

/// A tenant's publish rate and retention as the columns hold them.
fn rate(tenant: &Tenant) -> Option<i64> {
    tenant.publish_rate.map(i64::from)
}

fn retention(tenant: &Tenant) -> Option<i64> {
    tenant.retention_days.map(i64::from)
}

pub(crate) async fn create_tenant(store: &PgStore, tenant: &Tenant) -> Result<()> {
    let client = store.client().await?;
    let inserted = client
        .execute_cached(
            "INSERT INTO tenants (id, name, created_at, attempt_log, publish_rate, retention_days, zort_signature_headers)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
            &[
                &tenant.id.as_str(),
                &tenant.name,
                &tenant.created_at_ms,
                &tenant.attempt_log.as_str(),
                &rate(tenant),
                &retention(tenant),
                &tenant.zort_signature_headers,
            ],
        )
        .await
        .map_err(pg_error)?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!("tenant `{}` already exists", tenant.id)));
    }
    Ok(())
}

pub(crate) async fn get_tenant(client: &impl GenericClient, tenant: &TenantId) -> Result<Tenant> {
    let sql = format!("SELECT {} FROM tenants WHERE id = $1", rows::TENANT_COLUMNS);
    let row = client.query_opt_cached(&sql, &[&tenant.as_str()]).await.map_err(pg_error)?;
    row.map(|row| rows::tenant(&row)).transpose()?.ok_or(StoreError::NotFound("tenant"))
}

pub(crate) async fn update_tenant(store: &PgStore, tenant: &Tenant) -> Result<()> {
    let client = store.client().await?;
    let sql = "UPDATE tenants SET name = $2, attempt_log = $3, publish_rate = $4, retention_days = $5,
                      zort_signature_headers = $6 WHERE id = $1";
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 6] = [
        &tenant.id.as_str(),
        &tenant.name,
        &tenant.attempt_log.as_str(),
        &rate(tenant),
        &retention(tenant),
        &tenant.zort_signature_headers,
    ];
    change(&client, "tenant", sql, &params).await
}

pub(crate) async fn list_tenants(store: &PgStore) -> Result<Vec<Tenant>> {
    let client = store.client().await?;
    let sql = format!("SELECT {} FROM tenants ORDER BY id", rows::TENANT_COLUMNS);
    all(client.query_cached(&sql, &[]).await.map_err(pg_error)?, rows::tenant)
}

pub(crate) async fn create_api_key(store: &PgStore, key: &ApiKey) -> Result<()> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    get_tenant(&tx, &key.tenant).await?;
    tx.execute_cached(
        &format!("INSERT INTO api_keys ({}) VALUES ($1, $2, $3, $4, $5, $6)", rows::KEY_COLUMNS),
        &[
            &key.id.as_str(),
            &key.tenant.as_str(),
            &key.name,
            &key.secret_hash.as_slice(),
            &key.created_at_ms,
            &key.revoked_at_ms,
        ],
    )
    .await
    .map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)
}

pub(crate) async fn list_api_keys(store: &PgStore, tenant: &TenantId) -> Result<Vec<ApiKey>> {
    let client = store.client().await?;
    let sql = format!("SELECT {} FROM api_keys WHERE tenant_id = $1 ORDER BY id", rows::KEY_COLUMNS);
    all(client.query_cached(&sql, &[&tenant.as_str()]).await.map_err(pg_error)?, rows::api_key)
}

pub(crate) async fn revoke_api_key(store: &PgStore, tenant: &TenantId, key: &ApiKeyId, now_ms: i64) -> Result<()> {
    let client = store.client().await?;
    let sql = "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE tenant_id = $1 AND id = $2";
    change(&client, "api key", sql, &[&tenant.as_str(), &key.as_str(), &now_ms]).await
}

pub(crate) async fn find_api_key(store: &PgStore, key: &str) -> Result<Option<ApiKey>> {
    let client = store.client().await?;
    let sql = format!("SELECT {} FROM api_keys WHERE id = $1", rows::KEY_COLUMNS);
    client.query_opt_cached(&sql, &[&key]).await.map_err(pg_error)?.map(|row| rows::api_key(&row)).transpose()
}

pub(crate) async fn create_event_type(store: &PgStore, event_type: &CustomEventType) -> Result<()> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    get_tenant(&tx, &event_type.tenant).await?;
    let inserted = tx
        .execute_cached(
            "INSERT INTO event_types (tenant_id, name, description, schema, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant_id, name) DO NOTHING",
            &[
                &event_type.tenant.as_str(),
                &event_type.name,
                &event_type.description,
                &event_type.schema,
                &event_type.created_at_ms,
            ],
        )
        .await
        .map_err(pg_error)?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!("event type `{}` already exists", event_type.name)));
    }
    tx.commit().await.map_err(pg_error)
}

pub(crate) async fn list_event_types(store: &PgStore, tenant: &TenantId) -> Result<Vec<CustomEventType>> {
    let client = store.client().await?;
    let sql = format!("SELECT {} FROM event_types WHERE tenant_id = $1 ORDER BY name", rows::EVENT_TYPE_COLUMNS);
    all(client.query_cached(&sql, &[&tenant.as_str()]).await.map_err(pg_error)?, rows::event_type)
}

pub(crate) async fn get_event_type(store: &PgStore, tenant: &TenantId, name: &str) -> Result<Option<CustomEventType>> {
    let client = store.client().await?;
    let sql = format!("SELECT {} FROM event_types WHERE tenant_id = $1 AND name = $2", rows::EVENT_TYPE_COLUMNS);
    client
        .query_opt_cached(&sql, &[&tenant.as_str(), &name])
        .await
        .map_err(pg_error)?
        .map(|r| rows::event_type(&r))
        .transpose()
}

// --- endpoints ---

/// An endpoint's values in the order of `ENDPOINT_COLUMNS`, shared by the insert and the update.
fn endpoint_values(endpoint: &Endpoint) -> Vec<Box<dyn ToSql + Sync + Send>> {
    let (event_types, headers, secrets, schedule) = endpoint_json(endpoint);
    vec![
        Box::new(endpoint.id.as_str().to_owned()),
        Box::new(endpoint.tenant.as_str().to_owned()),
        Box::new(endpoint.url.clone()),
        Box::new(endpoint.dialect.as_str().to_owned()),
        Box::new(endpoint.description.clone()),
        Box::new(event_types),
        Box::new(headers),
        Box::new(secrets),
        Box::new(schedule),
        Box::new(i64::from(endpoint.timeout_ms)),
        Box::new(endpoint.enabled),
        Box::new(endpoint.disabled_reason.clone()),
        Box::new(endpoint.owner_key.as_ref().map(|k| k.as_str().to_owned())),
        Box::new(endpoint.created_at_ms),
        Box::new(endpoint.updated_at_ms),
        Box::new(zort_keys_json(endpoint.zort_keys.as_ref())),
        Box::new(endpoint.signature_headers),
        Box::new(auth_json(endpoint.auth.as_ref())),
        Box::new(endpoint.max_in_flight.map(i64::from)),
        Box::new(endpoint.circuit.failures.map(i64::from)),
        Box::new(endpoint.circuit.cooldown_ms.map(i64::from)),
        Box::new(endpoint.rate_limit.map(|r| i64::from(r.count))),
        Box::new(endpoint.rate_limit.map(|r| r.period_ms)),
    ]
}

/// The position of `created_at` in `endpoint_values`: an update leaves it out (it never changes).
const CREATED_AT: usize = 13;

fn as_params(values: &[Box<dyn ToSql + Sync + Send>]) -> Vec<&(dyn ToSql + Sync)> {
    values.iter().map(|value| value.as_ref() as &(dyn ToSql + Sync)).collect()
}

async fn insert_endpoint(client: &impl GenericClient, endpoint: &Endpoint) -> Result<()> {
    let placeholders: Vec<String> = (1..=23).map(|n| format!("${n}")).collect();
    let sql = format!("INSERT INTO endpoints ({}) VALUES ({})", rows::ENDPOINT_COLUMNS, placeholders.join(", "));
    let values = endpoint_values(endpoint);
    client.execute_cached(&sql, &as_params(&values)).await.map_err(pg_error)?;
    client
        .execute_cached(
            "INSERT INTO endpoint_health (endpoint_id) VALUES ($1) ON CONFLICT DO NOTHING",
            &[&endpoint.id.as_str()],
        )
        .await
        .map_err(pg_error)?;
    Ok(())
}

async fn update_endpoint_row(client: &impl GenericClient, endpoint: &Endpoint) -> Result<()> {
    // The numbers are the positions in `endpoint_values` without `created_at`.
    let sql = "UPDATE endpoints SET url = $3, dialect = $4, description = $5, event_types = $6, headers = $7,
                      secrets = $8, retry_schedule = $9, timeout_ms = $10, enabled = $11, disabled_reason = $12,
                      owner_key = $13, updated_at = $14, zort_keys = $15, signature_headers = $16, auth = $17,
                      max_in_flight = $18, circuit_failures = $19, circuit_cooldown_ms = $20, rate_count = $21,
                      rate_period_ms = $22
               WHERE id = $1 AND tenant_id = $2";
    let mut values = endpoint_values(endpoint);
    values.remove(CREATED_AT);
    change(client, "endpoint", sql, &as_params(&values)).await
}

pub(crate) async fn create_endpoint(store: &PgStore, endpoint: &Endpoint) -> Result<()> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    get_tenant(&tx, &endpoint.tenant).await?;
    insert_endpoint(&tx, endpoint).await?;
    tx.commit().await.map_err(pg_error)
}

pub(crate) async fn list_endpoints(store: &PgStore, tenant: &TenantId) -> Result<Vec<Endpoint>> {
    let client = store.client().await?;
    let sql = format!("SELECT {} FROM endpoints WHERE tenant_id = $1 ORDER BY id", rows::ENDPOINT_COLUMNS);
    all(client.query_cached(&sql, &[&tenant.as_str()]).await.map_err(pg_error)?, rows::endpoint)
}

pub(crate) async fn get_endpoint(client: &impl GenericClient, tenant: &TenantId, id: &EndpointId) -> Result<Endpoint> {
    let sql = format!("SELECT {} FROM endpoints WHERE tenant_id = $1 AND id = $2", rows::ENDPOINT_COLUMNS);
    let row = client.query_opt_cached(&sql, &[&tenant.as_str(), &id.as_str()]).await.map_err(pg_error)?;
    row.map(|row| rows::endpoint(&row)).transpose()?.ok_or(StoreError::NotFound("endpoint"))
}

pub(crate) async fn update_endpoint(store: &PgStore, endpoint: &Endpoint) -> Result<()> {
    let client = store.client().await?;
    update_endpoint_row(&client, endpoint).await
}

async fn delete_endpoint_in(
    client: &impl GenericClient,
    tenant: &TenantId,
    id: &EndpointId,
    now_ms: i64,
) -> Result<()> {
    get_endpoint(client, tenant, id).await?;
    // Rows are taken in the order outcome writes take them (queue, deliveries, circuit, endpoint), so the two
    // never deadlock. Unfinished deliveries would otherwise stay due forever with nowhere to go.
    queue::end_endpoint(client, id.as_str(), now_ms).await?;
    client
        .execute_cached("DELETE FROM endpoint_health WHERE endpoint_id = $1", &[&id.as_str()])
        .await
        .map_err(pg_error)?;
    let sql = "DELETE FROM endpoints WHERE tenant_id = $1 AND id = $2";
    change(client, "endpoint", sql, &[&tenant.as_str(), &id.as_str()]).await
}

pub(crate) async fn delete_endpoint(store: &PgStore, tenant: &TenantId, id: &EndpointId, now_ms: i64) -> Result<()> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    delete_endpoint_in(&tx, tenant, id, now_ms).await?;
    tx.commit().await.map_err(pg_error)
}

pub(crate) async fn replace_owned_endpoints(
    store: &PgStore,
    tenant: &TenantId,
    owner: &ApiKeyId,
    dialect: Dialect,
    keep: &[Endpoint],
    now_ms: i64,
) -> Result<()> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    // Lock the tenant's row, so two replacements of one key's configuration run one after the other.
    tx.query_opt_cached("SELECT id FROM tenants WHERE id = $1 FOR NO KEY UPDATE", &[&tenant.as_str()])
        .await
        .map_err(pg_error)?;
    let owned: Vec<String> = tx
        .query_cached(
            "SELECT id FROM endpoints WHERE tenant_id = $1 AND owner_key = $2 AND dialect = $3 ORDER BY id",
            &[&tenant.as_str(), &owner.as_str(), &dialect.as_str()],
        )
        .await
        .map_err(pg_error)?
        .iter()
        .map(|row| rows::get(row, "endpoints", 0))
        .collect::<Result<_>>()?;
    for id in owned.iter().filter(|id| !keep.iter().any(|e| e.id.as_str() == id.as_str())) {
        delete_endpoint_in(&tx, tenant, &crate::codec::parse("endpoints", id.clone())?, now_ms).await?;
    }
    for endpoint in keep {
        if owned.iter().any(|id| id == endpoint.id.as_str()) {
            update_endpoint_row(&tx, endpoint).await?;
        } else {
            get_tenant(&tx, &endpoint.tenant).await?;
            insert_endpoint(&tx, endpoint).await?;
        }
    }
    tx.commit().await.map_err(pg_error)
}

// --- sources ---

pub(crate) async fn create_source(store: &PgStore, source: &Source) -> Result<()> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    get_tenant(&tx, &source.tenant).await?;
    tx.execute_cached(
        &format!("INSERT INTO sources ({}) VALUES ($1, $2, $3, $4, $5, $6)", rows::SOURCE_COLUMNS),
        &[
            &source.id.as_str(),
            &source.tenant.as_str(),
            &source.name,
            &verify_json(&source.verify),
            &source.strict,
            &source.created_at_ms,
        ],
    )
    .await
    .map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)
}

pub(crate) async fn list_sources(store: &PgStore, tenant: &TenantId) -> Result<Vec<Source>> {
    let client = store.client().await?;
    let sql = format!("SELECT {} FROM sources WHERE tenant_id = $1 ORDER BY created_at, id", rows::SOURCE_COLUMNS);
    all(client.query_cached(&sql, &[&tenant.as_str()]).await.map_err(pg_error)?, rows::source)
}

pub(crate) async fn get_source(store: &PgStore, tenant: &TenantId, id: &SourceId) -> Result<Source> {
    let client = store.client().await?;
    let sql = format!("SELECT {} FROM sources WHERE tenant_id = $1 AND id = $2", rows::SOURCE_COLUMNS);
    let row = client.query_opt_cached(&sql, &[&tenant.as_str(), &id.as_str()]).await.map_err(pg_error)?;
    row.map(|row| rows::source(&row)).transpose()?.ok_or(StoreError::NotFound("source"))
}

pub(crate) async fn update_source(store: &PgStore, source: &Source) -> Result<()> {
    let client = store.client().await?;
    let sql = "UPDATE sources SET name = $3, verify = $4, strict = $5 WHERE tenant_id = $1 AND id = $2";
    let verify = verify_json(&source.verify);
    change(
        &client,
        "source",
        sql,
        &[&source.tenant.as_str(), &source.id.as_str(), &source.name, &verify, &source.strict],
    )
    .await
}

pub(crate) async fn delete_source(store: &PgStore, tenant: &TenantId, id: &SourceId) -> Result<()> {
    let client = store.client().await?;
    let sql = "DELETE FROM sources WHERE tenant_id = $1 AND id = $2";
    change(&client, "source", sql, &[&tenant.as_str(), &id.as_str()]).await
}

pub(crate) async fn find_source(store: &PgStore, id: &SourceId) -> Result<Option<Source>> {
    let client = store.client().await?;
    let sql = format!("SELECT {} FROM sources WHERE id = $1", rows::SOURCE_COLUMNS);
    client.query_opt_cached(&sql, &[&id.as_str()]).await.map_err(pg_error)?.map(|row| rows::source(&row)).transpose()
}

// --- call-outs ---

pub(crate) async fn put_callout_provider(store: &PgStore, provider: &CalloutProvider) -> Result<()> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    get_tenant(&tx, &provider.tenant).await?;
    tx.execute_cached(
        &format!(
            "INSERT INTO callout_providers ({}) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (tenant_id, name) DO UPDATE SET url = excluded.url, timeout_ms = excluded.timeout_ms,
                 headers = excluded.headers, updated_at = excluded.updated_at",
            rows::PROVIDER_COLUMNS
        ),
        &[
            &provider.tenant.as_str(),
            &provider.name,
            &provider.url,
            &i64::from(provider.timeout_ms),
            &serde_json::json!(provider.headers).to_string(),
            &provider.updated_at_ms,
        ],
    )
    .await
    .map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)
}

pub(crate) async fn get_callout_provider(store: &PgStore, tenant: &TenantId, name: &str) -> Result<CalloutProvider> {
    let client = store.client().await?;
    let sql = format!("SELECT {} FROM callout_providers WHERE tenant_id = $1 AND name = $2", rows::PROVIDER_COLUMNS);
    let row = client.query_opt_cached(&sql, &[&tenant.as_str(), &name]).await.map_err(pg_error)?;
    row.map(|row| rows::provider(&row)).transpose()?.ok_or(StoreError::NotFound("call-out provider"))
}

pub(crate) async fn list_callout_providers(store: &PgStore, tenant: &TenantId) -> Result<Vec<CalloutProvider>> {
    let client = store.client().await?;
    let sql = format!("SELECT {} FROM callout_providers WHERE tenant_id = $1 ORDER BY name", rows::PROVIDER_COLUMNS);
    all(client.query_cached(&sql, &[&tenant.as_str()]).await.map_err(pg_error)?, rows::provider)
}

pub(crate) async fn delete_callout_provider(store: &PgStore, tenant: &TenantId, name: &str) -> Result<()> {
    let client = store.client().await?;
    let sql = "DELETE FROM callout_providers WHERE tenant_id = $1 AND name = $2";
    change(&client, "call-out provider", sql, &[&tenant.as_str(), &name]).await
}

pub(crate) async fn log_callout(store: &PgStore, record: &CalloutRecord) -> Result<()> {
    let client = store.client().await?;
    client
        .execute_cached(
            &format!(
                "INSERT INTO callout_log ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                rows::CALLOUT_LOG_COLUMNS
            ),
            &[
                &record.tenant.as_str(),
                &record.name,
                &record.at_ms,
                &i64::from(record.duration_ms),
                &record.status.map(i64::from),
                &record.outcome,
                &record.error,
                &record.request,
                &record.response,
            ],
        )
        .await
        .map_err(pg_error)?;
    Ok(())
}

pub(crate) async fn list_callout_log(
    store: &PgStore,
    tenant: &TenantId,
    name: &str,
    limit: u32,
) -> Result<Vec<CalloutRecord>> {
    let client = store.client().await?;
    let sql = format!(
        "SELECT {} FROM callout_log WHERE tenant_id = $1 AND name = $2 ORDER BY seq DESC LIMIT $3",
        rows::CALLOUT_LOG_COLUMNS
    );
    all(
        client.query_cached(&sql, &[&tenant.as_str(), &name, &i64::from(limit)]).await.map_err(pg_error)?,
        rows::callout_record,
    )
}

// --- refused inbound requests ---

pub(crate) async fn log_refusal(store: &PgStore, refusal: &Refusal) -> Result<()> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    tx.execute_cached(
        "INSERT INTO inbound_refusals (tenant_id, source_id, at, status, reason, address) VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &refusal.tenant.as_str(),
            &refusal.source.as_str(),
            &refusal.at_ms,
            &i64::from(refusal.status),
            &refusal.reason,
            &refusal.address,
        ],
    )
    .await
    .map_err(pg_error)?;
    // Only the newest are kept: a stranger hammering a source's URL cannot grow the database.
    tx.execute_cached(
        "DELETE FROM inbound_refusals WHERE source_id = $1 AND seq <= (
             SELECT seq FROM inbound_refusals WHERE source_id = $1 ORDER BY seq DESC LIMIT 1 OFFSET $2)",
        &[&refusal.source.as_str(), &i64::from(REFUSALS_KEPT)],
    )
    .await
    .map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)
}

pub(crate) async fn list_refusals(
    store: &PgStore,
    tenant: &TenantId,
    source: &SourceId,
    limit: u32,
) -> Result<Vec<Refusal>> {
    let client = store.client().await?;
    let rows = client
        .query_cached(
            "SELECT tenant_id, source_id, at, status, reason, address FROM inbound_refusals
             WHERE tenant_id = $1 AND source_id = $2 ORDER BY seq DESC LIMIT $3",
            &[&tenant.as_str(), &source.as_str(), &i64::from(limit)],
        )
        .await
        .map_err(pg_error)?;
    all(rows, |row| {
        const T: &str = "inbound_refusals";
        let status: i64 = rows::get(row, T, 3)?;
        Ok(Refusal {
            tenant: crate::codec::parse(T, rows::get(row, T, 0)?)?,
            source: crate::codec::parse(T, rows::get(row, T, 1)?)?,
            at_ms: rows::get(row, T, 2)?,
            status: u16::try_from(status).map_err(|_| StoreError::corrupt(T, "status out of range"))?,
            reason: rows::get(row, T, 4)?,
            address: rows::get(row, T, 5)?,
        })
    })
}
