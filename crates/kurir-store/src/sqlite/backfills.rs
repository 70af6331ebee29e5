//! Backfills on SQLite: the rows, and one batch as one job of the writer thread.

use kurir_core::backfill::{Backfill, BackfillState};
use kurir_core::id::{BackfillId, DeliveryId, EndpointId, TenantId};
use rusqlite::{params, Connection, OptionalExtension};

use super::endpoints;
use crate::backfills::{next_events_sql, sends, types_column, Row, COLUMNS, NO_END};
use crate::StoreError;

fn row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        id: row.get(0)?,
        tenant: row.get(1)?,
        endpoint: row.get(2)?,
        since_ms: row.get(3)?,
        until_ms: row.get(4)?,
        event_types: row.get(5)?,
        cursor: row.get(6)?,
        state: row.get(7)?,
        scanned: row.get(8)?,
        queued: row.get(9)?,
        created_at_ms: row.get(10)?,
        updated_at_ms: row.get(11)?,
    })
}

pub(crate) fn create(conn: &Connection, backfill: &Backfill) -> Result<(), StoreError> {
    endpoints::get(conn, &backfill.tenant, &backfill.endpoint)?;
    conn.prepare_cached(&format!(
        "INSERT INTO backfills ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
    ))?
    .execute(params![
        backfill.id.as_str(),
        backfill.tenant.as_str(),
        backfill.endpoint.as_str(),
        backfill.since_ms,
        backfill.until_ms,
        types_column(backfill),
        backfill.cursor,
        backfill.state.as_str(),
        backfill.scanned as i64,
        backfill.queued as i64,
        backfill.created_at_ms,
        backfill.updated_at_ms,
    ])?;
    Ok(())
}

fn find(conn: &Connection, id: &BackfillId) -> Result<Option<Backfill>, StoreError> {
    let found = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM backfills WHERE id = ?1"))?
        .query_row([id.as_str()], row)
        .optional()?;
    found.map(Row::into_backfill).transpose()
}

pub(crate) fn get(conn: &Connection, tenant: &TenantId, id: &BackfillId) -> Result<Backfill, StoreError> {
    find(conn, id)?.filter(|b| &b.tenant == tenant).ok_or(StoreError::NotFound("backfill"))
}

pub(crate) fn list(
    conn: &Connection,
    tenant: &TenantId,
    endpoint: Option<&EndpointId>,
) -> Result<Vec<Backfill>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM backfills WHERE tenant_id = ?1 AND (?2 IS NULL OR endpoint_id = ?2)
         ORDER BY id DESC LIMIT 100"
    ))?;
    let rows = stmt.query_map(params![tenant.as_str(), endpoint.map(EndpointId::as_str)], row)?;
    rows.map(|r| r.map_err(StoreError::from).and_then(Row::into_backfill)).collect()
}

pub(crate) fn running(conn: &Connection) -> Result<Vec<Backfill>, StoreError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM backfills WHERE state = 'running' ORDER BY id"))?;
    let rows = stmt.query_map([], row)?;
    rows.map(|r| r.map_err(StoreError::from).and_then(Row::into_backfill)).collect()
}

fn save(conn: &Connection, backfill: &Backfill) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE backfills SET cursor = ?2, state = ?3, scanned = ?4, queued = ?5, updated_at = ?6 WHERE id = ?1",
    )?
    .execute(params![
        backfill.id.as_str(),
        backfill.cursor,
        backfill.state.as_str(),
        backfill.scanned as i64,
        backfill.queued as i64,
        backfill.updated_at_ms,
    ])?;
    Ok(())
}

pub(crate) fn cancel(
    conn: &Connection,
    tenant: &TenantId,
    id: &BackfillId,
    now_ms: i64,
) -> Result<Backfill, StoreError> {
    let mut backfill = get(conn, tenant, id)?;
    if backfill.state == BackfillState::Running {
        backfill.state = BackfillState::Cancelled;
        backfill.updated_at_ms = now_ms;
        save(conn, &backfill)?;
    }
    Ok(backfill)
}

pub(crate) fn step(conn: &Connection, id: &BackfillId, limit: u32, now_ms: i64) -> Result<Backfill, StoreError> {
    let mut backfill = find(conn, id)?.ok_or(StoreError::NotFound("backfill"))?;
    if backfill.state != BackfillState::Running {
        return Ok(backfill);
    }
    let Ok(endpoint) = endpoints::get(conn, &backfill.tenant, &backfill.endpoint) else {
        backfill.state = BackfillState::Cancelled;
        backfill.updated_at_ms = now_ms;
        save(conn, &backfill)?;
        return Ok(backfill);
    };
    type Found = (i64, String, String, Option<String>, Option<String>);
    let events: Vec<Found> = conn
        .prepare_cached(&next_events_sql('?'))?
        .query_map(
            params![
                backfill.tenant.as_str(),
                backfill.cursor.unwrap_or(0),
                backfill.since_ms,
                backfill.until_ms.unwrap_or(NO_END),
                limit
            ],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?
        .collect::<Result<_, _>>()?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO deliveries (id, tenant_id, event_seq, event_id, endpoint_id, event_type, ordering_key, state,
                                 next_attempt_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?8, ?8)",
    )?;
    let mut queued = 0;
    for (seq, event_id, event_type, ordering_key, _) in
        events.iter().filter(|e| sends(&backfill, &endpoint, &e.2, e.4.as_deref()))
    {
        let id = DeliveryId::generate(now_ms.max(0) as u64, rand::random());
        let endpoint = backfill.endpoint.as_str();
        insert.execute(params![
            id.as_str(),
            backfill.tenant.as_str(),
            seq,
            event_id,
            endpoint,
            event_type,
            ordering_key,
            now_ms
        ])?;
        queued += 1;
    }
    backfill.advance(events.last().map(|e| e.0), events.len() as u64, queued, limit, now_ms);
    save(conn, &backfill)?;
    Ok(backfill)
}
