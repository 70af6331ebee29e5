//! Settings, tenants, API keys and tenants' own event types.

use kurir_core::api_key::ApiKey;
use kurir_core::id::{ApiKeyId, TenantId};
use kurir_core::tenant::{AttemptLog, Tenant};
use rusqlite::{params, Connection, OptionalExtension};

use super::rows::{collect, parse};
use crate::{CustomEventType, StoreError};

const ADMIN_TOKEN_HASH: &str = "admin_token_sha256";

pub(crate) fn admin_token_hash(conn: &Connection) -> Result<Option<[u8; 32]>, StoreError> {
    let value: Option<Vec<u8>> =
        conn.query_row("SELECT value FROM settings WHERE key = ?1", [ADMIN_TOKEN_HASH], |row| row.get(0)).optional()?;
    value
        .map(|bytes| {
            <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| StoreError::Corrupt {
                table: "settings",
                message: "admin token hash is not 32 bytes".into(),
            })
        })
        .transpose()
}

pub(crate) fn set_admin_token_hash(conn: &Connection, hash: [u8; 32]) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![ADMIN_TOKEN_HASH, hash.as_slice()],
    )?;
    Ok(())
}

pub(crate) fn get_setting(conn: &Connection, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |row| row.get(0)).optional()?)
}

pub(crate) fn insert_setting(conn: &Connection, key: &str, value: &[u8]) -> Result<bool, StoreError> {
    let inserted = conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
        params![key, value],
    )?;
    Ok(inserted == 1)
}

pub(crate) fn put_setting(conn: &Connection, key: &str, value: Option<&[u8]>) -> Result<(), StoreError> {
    match value {
        Some(value) => conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?,
        None => conn.execute("DELETE FROM settings WHERE key = ?1", [key])?,
    };
    Ok(())
}

pub(crate) fn create_tenant(conn: &Connection, tenant: &Tenant) -> Result<(), StoreError> {
    let inserted = conn.execute(
        "INSERT INTO tenants (id, name, created_at, attempt_log, publish_rate, retention_days, zort_signature_headers)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING",
        params![
            tenant.id.as_str(),
            tenant.name,
            tenant.created_at_ms,
            tenant.attempt_log.as_str(),
            tenant.publish_rate,
            tenant.retention_days,
            tenant.zort_signature_headers
        ],
    )?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!("tenant `{}` already exists", tenant.id)));
    }
    Ok(())
}

fn tenant_row(row: &rusqlite::Row<'_>) -> Result<Tenant, StoreError> {
    let mode: String = row.get(3)?;
    Ok(Tenant {
        id: parse("tenants", row.get(0)?)?,
        name: row.get(1)?,
        created_at_ms: row.get(2)?,
        attempt_log: AttemptLog::parse(&mode)
            .map_err(|err| StoreError::Corrupt { table: "tenants", message: err.to_string() })?,
        publish_rate: row.get(4)?,
        retention_days: row.get(5)?,
        zort_signature_headers: row.get(6)?,
    })
}

pub(crate) fn update_tenant(conn: &Connection, tenant: &Tenant) -> Result<(), StoreError> {
    let changed = conn.execute(
        "UPDATE tenants SET name = ?2, attempt_log = ?3, publish_rate = ?4, retention_days = ?5,
                zort_signature_headers = ?6
         WHERE id = ?1",
        params![
            tenant.id.as_str(),
            tenant.name,
            tenant.attempt_log.as_str(),
            tenant.publish_rate,
            tenant.retention_days,
            tenant.zort_signature_headers
        ],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound("tenant"));
    }
    Ok(())
}

pub(crate) fn get_tenant(conn: &Connection, tenant: &TenantId) -> Result<Tenant, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, created_at, attempt_log, publish_rate, retention_days, zort_signature_headers FROM tenants WHERE id = ?1",
    )?;
    collect(&mut stmt, [tenant.as_str()], tenant_row)?.pop().ok_or(StoreError::NotFound("tenant"))
}

pub(crate) fn list_tenants(conn: &Connection) -> Result<Vec<Tenant>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, created_at, attempt_log, publish_rate, retention_days, zort_signature_headers FROM tenants ORDER BY id",
    )?;
    collect(&mut stmt, [], tenant_row)
}

pub(crate) fn create_api_key(conn: &Connection, key: &ApiKey) -> Result<(), StoreError> {
    get_tenant(conn, &key.tenant)?;
    conn.execute(
        "INSERT INTO api_keys (id, tenant_id, name, secret_hash, created_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![key.id.as_str(), key.tenant.as_str(), key.name, key.secret_hash.as_slice(), key.created_at_ms, key.revoked_at_ms],
    )?;
    Ok(())
}

const KEY_COLUMNS: &str = "id, tenant_id, name, secret_hash, created_at, revoked_at";

fn key_row(row: &rusqlite::Row<'_>) -> Result<ApiKey, StoreError> {
    let hash: Vec<u8> = row.get(3)?;
    Ok(ApiKey {
        id: parse("api_keys", row.get(0)?)?,
        tenant: parse("api_keys", row.get(1)?)?,
        name: row.get(2)?,
        secret_hash: <[u8; 32]>::try_from(hash.as_slice())
            .map_err(|_| StoreError::Corrupt { table: "api_keys", message: "secret hash is not 32 bytes".into() })?,
        created_at_ms: row.get(4)?,
        revoked_at_ms: row.get(5)?,
    })
}

pub(crate) fn list_api_keys(conn: &Connection, tenant: &TenantId) -> Result<Vec<ApiKey>, StoreError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE tenant_id = ?1 ORDER BY id"))?;
    collect(&mut stmt, [tenant.as_str()], key_row)
}

pub(crate) fn revoke_api_key(
    conn: &Connection,
    tenant: &TenantId,
    key: &ApiKeyId,
    now_ms: i64,
) -> Result<(), StoreError> {
    let changed = conn.execute(
        "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?3) WHERE tenant_id = ?1 AND id = ?2",
        params![tenant.as_str(), key.as_str(), now_ms],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound("api key"));
    }
    Ok(())
}

pub(crate) fn find_api_key(conn: &Connection, key: &str) -> Result<Option<ApiKey>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = ?1"))?;
    Ok(collect(&mut stmt, [key], key_row)?.pop())
}

pub(crate) fn create_event_type(conn: &Connection, event_type: &CustomEventType) -> Result<(), StoreError> {
    get_tenant(conn, &event_type.tenant)?;
    let inserted = conn.execute(
        "INSERT INTO event_types (tenant_id, name, description, schema, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (tenant_id, name) DO NOTHING",
        params![
            event_type.tenant.as_str(),
            event_type.name,
            event_type.description,
            event_type.schema,
            event_type.created_at_ms
        ],
    )?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!("event type `{}` already exists", event_type.name)));
    }
    Ok(())
}

fn event_type_row(row: &rusqlite::Row<'_>) -> Result<CustomEventType, StoreError> {
    Ok(CustomEventType {
        tenant: parse("event_types", row.get(0)?)?,
        name: row.get(1)?,
        description: row.get(2)?,
        schema: row.get(3)?,
        created_at_ms: row.get(4)?,
    })
}

pub(crate) fn list_event_types(conn: &Connection, tenant: &TenantId) -> Result<Vec<CustomEventType>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT tenant_id, name, description, schema, created_at FROM event_types WHERE tenant_id = ?1 ORDER BY name",
    )?;
    collect(&mut stmt, [tenant.as_str()], event_type_row)
}

pub(crate) fn get_event_type(
    conn: &Connection,
    tenant: &TenantId,
    name: &str,
) -> Result<Option<CustomEventType>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT tenant_id, name, description, schema, created_at FROM event_types WHERE tenant_id = ?1 AND name = ?2",
    )?;
    Ok(collect(&mut stmt, params![tenant.as_str(), name], event_type_row)?.pop())
}
