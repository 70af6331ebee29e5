//! Endpoints.

use kurir_core::endpoint::{Dialect, Endpoint};
use kurir_core::id::{ApiKeyId, EndpointId, TenantId};
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection};

use super::rows::{self, collect, ENDPOINT_COLUMNS};
use super::tenants::get_tenant;
use crate::StoreError;

/// An endpoint's values in the order of `ENDPOINT_COLUMNS`, shared by the insert and the update.
fn values(endpoint: &Endpoint) -> [SqlValue; 23] {
    let (event_types, headers, secrets, schedule) = rows::endpoint_json(endpoint);
    [
        endpoint.id.as_str().to_owned().into(),
        endpoint.tenant.as_str().to_owned().into(),
        endpoint.url.clone().into(),
        endpoint.dialect.as_str().to_owned().into(),
        endpoint.description.clone().into(),
        event_types.into(),
        headers.into(),
        secrets.into(),
        schedule.into(),
        i64::from(endpoint.timeout_ms).into(),
        i64::from(endpoint.enabled).into(),
        endpoint.disabled_reason.clone().into(),
        endpoint.owner_key.as_ref().map(|k| k.as_str().to_owned()).into(),
        endpoint.created_at_ms.into(),
        endpoint.updated_at_ms.into(),
        rows::zort_keys_json(endpoint.zort_keys.as_ref()).into(),
        i64::from(endpoint.signature_headers).into(),
        rows::auth_json(endpoint.auth.as_ref()).into(),
        endpoint.max_in_flight.map(i64::from).into(),
        endpoint.circuit.failures.map(i64::from).into(),
        endpoint.circuit.cooldown_ms.map(i64::from).into(),
        endpoint.rate_limit.map(|r| i64::from(r.count)).into(),
        endpoint.rate_limit.map(|r| r.period_ms).into(),
    ]
}

pub(crate) fn create(conn: &Connection, endpoint: &Endpoint) -> Result<(), StoreError> {
    get_tenant(conn, &endpoint.tenant)?;
    let mut insert = conn.prepare_cached(&format!(
        "INSERT INTO endpoints ({ENDPOINT_COLUMNS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)"
    ))?;
    insert.execute(params_from_iter(values(endpoint)))?;
    conn.prepare_cached("INSERT INTO endpoint_health (endpoint_id) VALUES (?1) ON CONFLICT (endpoint_id) DO NOTHING")?
        .execute([endpoint.id.as_str()])?;
    Ok(())
}

pub(crate) fn list(conn: &Connection, tenant: &TenantId) -> Result<Vec<Endpoint>, StoreError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {ENDPOINT_COLUMNS} FROM endpoints WHERE tenant_id = ?1 ORDER BY id"))?;
    collect(&mut stmt, [tenant.as_str()], rows::endpoint)
}

pub(crate) fn get(conn: &Connection, tenant: &TenantId, id: &EndpointId) -> Result<Endpoint, StoreError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {ENDPOINT_COLUMNS} FROM endpoints WHERE tenant_id = ?1 AND id = ?2"))?;
    collect(&mut stmt, params![tenant.as_str(), id.as_str()], rows::endpoint)?
        .pop()
        .ok_or(StoreError::NotFound("endpoint"))
}

pub(crate) fn update(conn: &Connection, endpoint: &Endpoint) -> Result<(), StoreError> {
    // The numbers are the positions in `values`; the creation time (?14) is never changed.
    let mut update = conn.prepare_cached(
        "UPDATE endpoints SET url = ?3, dialect = ?4, description = ?5, event_types = ?6, headers = ?7, secrets = ?8,
                retry_schedule = ?9, timeout_ms = ?10, enabled = ?11, disabled_reason = ?12, owner_key = ?13,
                updated_at = ?15, zort_keys = ?16, signature_headers = ?17, auth = ?18, max_in_flight = ?19,
                circuit_failures = ?20, circuit_cooldown_ms = ?21, rate_count = ?22, rate_period_ms = ?23
         WHERE id = ?1 AND tenant_id = ?2",
    )?;
    if update.execute(params_from_iter(values(endpoint)))? == 0 {
        return Err(StoreError::NotFound("endpoint"));
    }
    Ok(())
}

pub(crate) fn delete(conn: &Connection, tenant: &TenantId, id: &EndpointId, now_ms: i64) -> Result<(), StoreError> {
    let changed =
        conn.execute("DELETE FROM endpoints WHERE tenant_id = ?1 AND id = ?2", params![tenant.as_str(), id.as_str()])?;
    if changed == 0 {
        return Err(StoreError::NotFound("endpoint"));
    }
    conn.execute("DELETE FROM endpoint_health WHERE endpoint_id = ?1", [id.as_str()])?;
    // Unfinished deliveries would otherwise stay due forever with nowhere to go.
    conn.execute(
        &format!(
            "UPDATE deliveries INDEXED BY deliveries_queue
             SET state = 'dead', last_error = 'endpoint deleted', lease_token = NULL, lease_owner = NULL, updated_at = ?3
             WHERE tenant_id = ?1 AND endpoint_id = ?2 AND {}",
            crate::sql::unfinished("")
        ),
        params![tenant.as_str(), id.as_str(), now_ms],
    )?;
    Ok(())
}

pub(crate) fn replace_owned(
    conn: &Connection,
    tenant: &TenantId,
    owner: &ApiKeyId,
    dialect: Dialect,
    keep: &[Endpoint],
    now_ms: i64,
) -> Result<(), StoreError> {
    let owned: Vec<String> = {
        let mut stmt = conn.prepare_cached(
            "SELECT id FROM endpoints WHERE tenant_id = ?1 AND owner_key = ?2 AND dialect = ?3 ORDER BY id",
        )?;
        collect(&mut stmt, params![tenant.as_str(), owner.as_str(), dialect.as_str()], |row| Ok(row.get(0)?))?
    };
    for id in owned.iter().filter(|id| !keep.iter().any(|e| e.id.as_str() == id.as_str())) {
        delete(conn, tenant, &rows::parse("endpoints", id.clone())?, now_ms)?;
    }
    for endpoint in keep {
        if owned.iter().any(|id| id == endpoint.id.as_str()) {
            update(conn, endpoint)?;
        } else {
            create(conn, endpoint)?;
        }
    }
    Ok(())
}

/// Disables an enabled endpoint with a reason; false when it was disabled (or gone) already.
pub(crate) fn disable(
    conn: &Connection,
    tenant: &TenantId,
    id: &EndpointId,
    reason: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE endpoints SET enabled = 0, disabled_reason = ?3, updated_at = ?4
         WHERE tenant_id = ?1 AND id = ?2 AND enabled = 1",
        )?
        .execute(params![tenant.as_str(), id.as_str(), reason, now_ms])?;
    Ok(changed > 0)
}

/// What publishing needs to know of an endpoint to decide whether it wants an event.
pub(crate) struct Route {
    pub id: String,
    pub event_types: Option<Vec<String>>,
    pub owner_key: Option<String>,
}

impl Route {
    pub(crate) fn receives(&self, event: &kurir_core::event::Event) -> bool {
        kurir_core::endpoint::receives(&self.id, self.event_types.as_deref(), self.owner_key.as_deref(), event)
    }
}

/// The enabled endpoints of a tenant, as routes.
pub(crate) fn routes(conn: &Connection, tenant: &TenantId) -> Result<Vec<Route>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, event_types, owner_key FROM endpoints WHERE tenant_id = ?1 AND enabled = 1 ORDER BY id",
    )?;
    collect(&mut stmt, [tenant.as_str()], |row| {
        let types: Option<String> = row.get(1)?;
        Ok(Route { id: row.get(0)?, event_types: rows::decode_event_types(types)?, owner_key: row.get(2)? })
    })
}
