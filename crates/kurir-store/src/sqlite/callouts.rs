//! Call-out providers and the call-out log.

use kurir_core::callout::CalloutProvider;
use kurir_core::id::TenantId;
use rusqlite::{params, Connection};

use super::rows::{collect, parse};
use super::tenants::get_tenant;
use crate::{CalloutRecord, StoreError};

const COLUMNS: &str = "tenant_id, name, url, timeout_ms, headers, updated_at";

fn provider_row(row: &rusqlite::Row<'_>) -> Result<CalloutProvider, StoreError> {
    let headers: String = row.get(4)?;
    Ok(CalloutProvider {
        tenant: parse("callout_providers", row.get(0)?)?,
        name: row.get(1)?,
        url: row.get(2)?,
        timeout_ms: row.get(3)?,
        headers: serde_json::from_str(&headers)
            .map_err(|err| StoreError::Corrupt { table: "callout_providers", message: err.to_string() })?,
        updated_at_ms: row.get(5)?,
    })
}

pub(crate) fn put(conn: &Connection, provider: &CalloutProvider) -> Result<(), StoreError> {
    get_tenant(conn, &provider.tenant)?;
    conn.execute(
        &format!(
            "INSERT INTO callout_providers ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (tenant_id, name) DO UPDATE SET url = excluded.url, timeout_ms = excluded.timeout_ms,
                 headers = excluded.headers, updated_at = excluded.updated_at"
        ),
        params![
            provider.tenant.as_str(),
            provider.name,
            provider.url,
            provider.timeout_ms,
            serde_json::json!(provider.headers).to_string(),
            provider.updated_at_ms
        ],
    )?;
    Ok(())
}

pub(crate) fn get(conn: &Connection, tenant: &TenantId, name: &str) -> Result<CalloutProvider, StoreError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM callout_providers WHERE tenant_id = ?1 AND name = ?2"))?;
    collect(&mut stmt, params![tenant.as_str(), name], provider_row)?
        .pop()
        .ok_or(StoreError::NotFound("call-out provider"))
}

pub(crate) fn list(conn: &Connection, tenant: &TenantId) -> Result<Vec<CalloutProvider>, StoreError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM callout_providers WHERE tenant_id = ?1 ORDER BY name"))?;
    collect(&mut stmt, [tenant.as_str()], provider_row)
}

pub(crate) fn delete(conn: &Connection, tenant: &TenantId, name: &str) -> Result<(), StoreError> {
    let changed = conn
        .execute("DELETE FROM callout_providers WHERE tenant_id = ?1 AND name = ?2", params![tenant.as_str(), name])?;
    if changed == 0 {
        return Err(StoreError::NotFound("call-out provider"));
    }
    Ok(())
}

pub(crate) fn log(conn: &Connection, record: &CalloutRecord) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO callout_log (tenant_id, name, at, duration_ms, status, outcome, error, request, response)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        record.tenant.as_str(),
        record.name,
        record.at_ms,
        record.duration_ms,
        record.status,
        record.outcome,
        record.error,
        record.request,
        record.response,
    ])?;
    Ok(())
}

pub(crate) fn list_log(
    conn: &Connection,
    tenant: &TenantId,
    name: &str,
    limit: u32,
) -> Result<Vec<CalloutRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT tenant_id, name, at, duration_ms, status, outcome, error, request, response FROM callout_log
         WHERE tenant_id = ?1 AND name = ?2 ORDER BY seq DESC LIMIT ?3",
    )?;
    collect(&mut stmt, params![tenant.as_str(), name, limit], |row| {
        Ok(CalloutRecord {
            tenant: parse("callout_log", row.get(0)?)?,
            name: row.get(1)?,
            at_ms: row.get(2)?,
            duration_ms: row.get(3)?,
            status: row.get(4)?,
            outcome: row.get(5)?,
            error: row.get(6)?,
            request: row.get(7)?,
            response: row.get(8)?,
        })
    })
}
