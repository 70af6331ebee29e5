//! Publishing and reading events.

use kurir_core::delivery::Delivery;
use kurir_core::event::Event;
use kurir_core::id::{DeliveryId, EndpointId, EventId, TenantId};
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection};

use super::endpoints::{routes, Route};
use super::rows::{self, collect, DELIVERY_COLUMNS, EVENT_COLUMNS};
use super::tenants::get_tenant;
use crate::{EventFilter, Published, StoreError, IDEMPOTENCY_WINDOW_MS};

/// Writes `events` and their deliveries. Runs inside one writer job, so the whole batch commits or none of it.
pub(crate) fn publish(conn: &Connection, tenant: &TenantId, events: &[Event]) -> Result<Vec<Published>, StoreError> {
    publish_routed(conn, tenant, events).map(|(published, _)| published)
}

/// [`publish`], and the endpoints the events were routed to (each once).
pub(crate) fn publish_routed(
    conn: &Connection,
    tenant: &TenantId,
    events: &[Event],
) -> Result<(Vec<Published>, Vec<String>), StoreError> {
    get_tenant(conn, tenant)?;
    let routes = routes(conn, tenant)?;
    let published = events.iter().map(|event| publish_one(conn, &routes, event)).collect::<Result<Vec<_>, _>>()?;
    let routed = routes.iter().filter(|route| events.iter().any(|event| route.receives(event)));
    Ok((published, routed.map(|route| route.id.clone()).collect()))
}

pub(crate) fn publish_one(conn: &Connection, routes: &[Route], event: &Event) -> Result<Published, StoreError> {
    if let Some(key) = &event.idempotency_key {
        release_expired_key(conn, event, key)?;
    }
    // The unique index on (tenant, idempotency key) decides who was first, in the insert itself: a publish
    // that loses the race reads the winner's event instead of failing.
    let Some(event_seq) = insert_event(conn, event)? else {
        let key = event.idempotency_key.as_deref().unwrap_or_default();
        return remembered_publish(conn, event, key);
    };
    let mut delivery_ids = Vec::new();
    for route in routes.iter().filter(|route| route.receives(event)) {
        delivery_ids.push(insert_delivery(conn, event, event_seq, &route.id)?);
    }
    let deliveries = delivery_ids.len() as u32;
    Ok(Published { event_id: event.id.clone(), deliveries, delivery_ids, duplicate: false })
}

pub(crate) fn publish_to(
    conn: &Connection,
    tenant: &TenantId,
    event: &Event,
    endpoint: &EndpointId,
) -> Result<DeliveryId, StoreError> {
    super::endpoints::get(conn, tenant, endpoint)?;
    let event_seq = insert_event(conn, event)?
        .ok_or_else(|| StoreError::Conflict("an event with this idempotency key exists".into()))?;
    insert_delivery(conn, event, event_seq, endpoint.as_str())
}

/// Inserts an event; `None` when its idempotency key is taken (nothing was written).
fn insert_event(conn: &Connection, event: &Event) -> Result<Option<i64>, StoreError> {
    let mut insert_event = conn.prepare_cached(&format!(
        "INSERT INTO events ({EVENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING"
    ))?;
    let inserted = insert_event.execute(params![
        event.id.as_str(),
        event.tenant.as_str(),
        event.event_type,
        event.payload,
        event.ordering_key,
        event.origin_key.as_ref().map(|k| k.as_str()),
        event.idempotency_key,
        event.created_at_ms,
        rows::params_json(event.params.as_ref()),
    ])?;
    Ok((inserted == 1).then(|| conn.last_insert_rowid()))
}

fn insert_delivery(conn: &Connection, event: &Event, event_seq: i64, endpoint: &str) -> Result<DeliveryId, StoreError> {
    let mut insert_delivery = conn.prepare_cached(
        "INSERT INTO deliveries (id, tenant_id, event_seq, event_id, endpoint_id, event_type, ordering_key, state,
                                 next_attempt_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?8, ?8)",
    )?;
    let id = DeliveryId::generate(event.created_at_ms.max(0) as u64, rand::random());
    insert_delivery.execute(params![
        id.as_str(),
        event.tenant.as_str(),
        event_seq,
        event.id.as_str(),
        endpoint,
        event.event_type,
        event.ordering_key,
        event.created_at_ms,
    ])?;
    Ok(id)
}

/// Frees an idempotency key whose first use is older than the window, so that this publish can take it.
fn release_expired_key(conn: &Connection, event: &Event, key: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE events SET idempotency_key = NULL WHERE tenant_id = ?1 AND idempotency_key = ?2 AND created_at <= ?3",
    )?
    .execute(params![event.tenant.as_str(), key, event.created_at_ms - IDEMPOTENCY_WINDOW_MS])?;
    Ok(())
}

/// The deliveries of the event `?1` (by `seq`), in publish order.
pub(super) const REMEMBERED_DELIVERIES_SQL: &str = "SELECT id FROM deliveries WHERE event_seq = ?1 ORDER BY seq";

/// A tenant's (`?1`) deliveries of the event with id `?2`, in publish order.
pub(super) static EVENT_DELIVERIES_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {DELIVERY_COLUMNS} FROM deliveries
         WHERE tenant_id = ?1 AND event_seq = (SELECT seq FROM events WHERE id = ?2) ORDER BY seq"
    )
});

/// The first publish with this idempotency key, which holds it.
fn remembered_publish(conn: &Connection, event: &Event, key: &str) -> Result<Published, StoreError> {
    let (seq, id): (i64, String) = conn
        .prepare_cached("SELECT seq, id FROM events WHERE tenant_id = ?1 AND idempotency_key = ?2")?
        .query_row(params![event.tenant.as_str(), key], |row| Ok((row.get(0)?, row.get(1)?)))?;
    let mut stmt = conn.prepare_cached(REMEMBERED_DELIVERIES_SQL)?;
    let delivery_ids: Vec<DeliveryId> =
        collect(&mut stmt, params![seq], |row| rows::parse("deliveries", row.get::<_, String>(0)?))?;
    let deliveries = delivery_ids.len() as u32;
    Ok(Published { event_id: rows::parse("events", id)?, deliveries, delivery_ids, duplicate: true })
}

/// A page of the tenant's events, newest published first (by `seq`); the cursor `before` is one of the tenant's
/// event ids (one that retention has purged since ends the list).
pub(crate) fn list(conn: &Connection, tenant: &TenantId, filter: &EventFilter) -> Result<Vec<Event>, StoreError> {
    let mut sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE tenant_id = ?");
    let mut args = vec![SqlValue::from(tenant.as_str().to_owned())];
    if let Some(event_type) = &filter.event_type {
        sql.push_str(" AND event_type = ?");
        args.push(event_type.clone().into());
    }
    if let Some(since) = filter.since_ms {
        sql.push_str(" AND created_at >= ?");
        args.push(since.into());
    }
    if let Some(until) = filter.until_ms {
        sql.push_str(" AND created_at < ?");
        args.push(until.into());
    }
    if let Some(text) = &filter.text {
        sql.push_str(" AND (ordering_key = ? OR instr(payload, ?) > 0)");
        args.push(text.clone().into());
        args.push(text.clone().into());
    }
    if let Some(before) = &filter.before {
        sql.push_str(" AND seq < (SELECT seq FROM events WHERE tenant_id = ? AND id = ?)");
        args.push(tenant.as_str().to_owned().into());
        args.push(before.as_str().to_owned().into());
    }
    sql.push_str(" ORDER BY seq DESC LIMIT ?");
    args.push(i64::from(filter.limit).into());
    let mut stmt = conn.prepare_cached(&sql)?;
    collect(&mut stmt, params_from_iter(args), rows::event)
}

pub(crate) fn get(conn: &Connection, tenant: &TenantId, id: &EventId) -> Result<(Event, Vec<Delivery>), StoreError> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE tenant_id = ?1 AND id = ?2"))?;
    let event = collect(&mut stmt, params![tenant.as_str(), id.as_str()], rows::event)?
        .pop()
        .ok_or(StoreError::NotFound("event"))?;
    let mut stmt = conn.prepare_cached(&EVENT_DELIVERIES_SQL)?;
    let deliveries = collect(&mut stmt, params![tenant.as_str(), id.as_str()], rows::delivery)?;
    Ok((event, deliveries))
}
