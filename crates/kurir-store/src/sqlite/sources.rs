//! Sources and the inbound log.

use kurir_core::id::TenantId;
use kurir_core::source::{Source, SourceId, DUPLICATE_WINDOW_MS};
use rusqlite::{params, Connection, OptionalExtension};

use super::events::publish_one;
use super::rows::{collect, decode_verify, parse, verify_json};
use super::tenants::get_tenant;
use crate::{InboundRecord, Published, Receipt, Refusal, StoreError, REFUSALS_KEPT};

const COLUMNS: &str = "id, tenant_id, name, verify, strict, created_at";

fn row(row: &rusqlite::Row<'_>) -> Result<Source, StoreError> {
    let verify: String = row.get(3)?;
    Ok(Source {
        id: parse("sources", row.get(0)?)?,
        tenant: parse("sources", row.get(1)?)?,
        name: row.get(2)?,
        verify: decode_verify(&verify)?,
        strict: row.get(4)?,
        created_at_ms: row.get(5)?,
    })
}

pub(crate) fn create(conn: &Connection, source: &Source) -> Result<(), StoreError> {
    get_tenant(conn, &source.tenant)?;
    conn.execute(
        &format!("INSERT INTO sources ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
        params![
            source.id.as_str(),
            source.tenant.as_str(),
            source.name,
            verify_json(&source.verify),
            source.strict,
            source.created_at_ms
        ],
    )?;
    Ok(())
}

pub(crate) fn list(conn: &Connection, tenant: &TenantId) -> Result<Vec<Source>, StoreError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM sources WHERE tenant_id = ?1 ORDER BY created_at, id"))?;
    collect(&mut stmt, [tenant.as_str()], row)
}

pub(crate) fn get(conn: &Connection, tenant: &TenantId, id: &SourceId) -> Result<Source, StoreError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM sources WHERE tenant_id = ?1 AND id = ?2"))?;
    collect(&mut stmt, params![tenant.as_str(), id.as_str()], row)?.pop().ok_or(StoreError::NotFound("source"))
}

pub(crate) fn find(conn: &Connection, id: &SourceId) -> Result<Option<Source>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM sources WHERE id = ?1"))?;
    Ok(collect(&mut stmt, [id.as_str()], row)?.pop())
}

pub(crate) fn update(conn: &Connection, source: &Source) -> Result<(), StoreError> {
    let changed = conn.execute(
        "UPDATE sources SET name = ?3, verify = ?4, strict = ?5 WHERE tenant_id = ?1 AND id = ?2",
        params![source.tenant.as_str(), source.id.as_str(), source.name, verify_json(&source.verify), source.strict],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound("source"));
    }
    Ok(())
}

pub(crate) fn delete(conn: &Connection, tenant: &TenantId, id: &SourceId) -> Result<(), StoreError> {
    let changed =
        conn.execute("DELETE FROM sources WHERE tenant_id = ?1 AND id = ?2", params![tenant.as_str(), id.as_str()])?;
    if changed == 0 {
        return Err(StoreError::NotFound("source"));
    }
    Ok(())
}

pub(crate) fn receive(conn: &Connection, tenant: &TenantId, receipt: &Receipt) -> Result<Published, StoreError> {
    let event = &receipt.event;
    let earlier: Option<String> = conn
        .prepare_cached(
            "SELECT event_id FROM inbound WHERE source_id = ?1 AND fingerprint = ?2 AND received_at > ?3 AND duplicate = 0
             ORDER BY seq LIMIT 1",
        )?
        .query_row(
            params![receipt.source.as_str(), receipt.fingerprint.as_slice(), event.created_at_ms - DUPLICATE_WINDOW_MS],
            |row| row.get(0),
        )
        .optional()?;
    let published = match earlier {
        Some(first) => {
            Published { event_id: parse("inbound", first)?, deliveries: 0, delivery_ids: Vec::new(), duplicate: true }
        }
        None => {
            get_tenant(conn, tenant)?;
            let routes = super::endpoints::routes(conn, tenant)?;
            publish_one(conn, &routes, event)?
        }
    };
    conn.execute(
        "INSERT INTO inbound (tenant_id, source_id, fingerprint, received_at, event_id, event_type, validation_error, duplicate)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            tenant.as_str(),
            receipt.source.as_str(),
            receipt.fingerprint.as_slice(),
            event.created_at_ms,
            published.event_id.as_str(),
            event.event_type,
            receipt.validation_error,
            published.duplicate,
        ],
    )?;
    Ok(published)
}

pub(crate) fn list_inbound(
    conn: &Connection,
    tenant: &TenantId,
    source: &SourceId,
    limit: u32,
) -> Result<Vec<InboundRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT received_at, event_id, event_type, validation_error, duplicate FROM inbound
         WHERE tenant_id = ?1 AND source_id = ?2 ORDER BY seq DESC LIMIT ?3",
    )?;
    collect(&mut stmt, params![tenant.as_str(), source.as_str(), limit], |row| {
        Ok(InboundRecord {
            received_at_ms: row.get(0)?,
            event_id: parse("inbound", row.get(1)?)?,
            event_type: row.get(2)?,
            validation_error: row.get(3)?,
            duplicate: row.get(4)?,
        })
    })
}

pub(crate) fn log_refusal(conn: &Connection, refusal: &Refusal) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO inbound_refusals (tenant_id, source_id, at, status, reason, address) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        refusal.tenant.as_str(),
        refusal.source.as_str(),
        refusal.at_ms,
        refusal.status,
        refusal.reason,
        refusal.address
    ])?;
    // Only the newest are kept: a stranger hammering a source's URL cannot grow the database.
    conn.prepare_cached(
        "DELETE FROM inbound_refusals WHERE source_id = ?1 AND seq <= (
             SELECT seq FROM inbound_refusals WHERE source_id = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
    )?
    .execute(params![refusal.source.as_str(), REFUSALS_KEPT])?;
    Ok(())
}

pub(crate) fn list_refusals(
    conn: &Connection,
    tenant: &TenantId,
    source: &SourceId,
    limit: u32,
) -> Result<Vec<Refusal>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT tenant_id, source_id, at, status, reason, address FROM inbound_refusals
         WHERE tenant_id = ?1 AND source_id = ?2 ORDER BY seq DESC LIMIT ?3",
    )?;
    collect(&mut stmt, params![tenant.as_str(), source.as_str(), limit], |row| {
        Ok(Refusal {
            tenant: parse("inbound_refusals", row.get(0)?)?,
            source: parse("inbound_refusals", row.get(1)?)?,
            at_ms: row.get(2)?,
            status: row.get(3)?,
            reason: row.get(4)?,
            address: row.get(5)?,
        })
    })
}
