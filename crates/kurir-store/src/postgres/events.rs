//! Publishing, receiving and reading events.

use kurir_core::delivery::Delivery;
use kurir_core::event::Event;
use kurir_core::id::{DeliveryId, EndpointId, EventId, TenantId};
use kurir_core::source::{SourceId, DUPLICATE_WINDOW_MS};
use tokio_postgres::types::ToSql;
use tokio_postgres::GenericClient;

use super::admin::{get_endpoint, get_tenant};
use super::rows::{self, all};
use super::{pg_error, wakeups, PgStore};
use crate::codec::{params_json, parse};
use crate::{EventFilter, InboundRecord, Published, Receipt, Result, StoreError, IDEMPOTENCY_WINDOW_MS};

/// What publishing needs to know of an endpoint to decide whether it wants an event.
struct Route {
    id: String,
    event_types: Option<Vec<String>>,
    owner_key: Option<String>,
}

async fn routes(client: &impl GenericClient, tenant: &TenantId) -> Result<Vec<Route>> {
    let rows = client
        .query(
            "SELECT id, event_types, owner_key FROM endpoints WHERE tenant_id = $1 AND enabled ORDER BY id",
            &[&tenant.as_str()],
        )
        .await
        .map_err(pg_error)?;
    rows.iter()
        .map(|row| {
            Ok(Route {
                id: rows::get(row, "endpoints", 0)?,
                event_types: crate::codec::decode_event_types(rows::get(row, "endpoints", 1)?)?,
                owner_key: rows::get(row, "endpoints", 2)?,
            })
        })
        .collect()
}

pub(crate) async fn publish(store: &PgStore, tenant: &TenantId, events: &[Event]) -> Result<Vec<Published>> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    get_tenant(&*tx, tenant).await?;
    let routes = routes(&*tx, tenant).await?;
    let mut published = Vec::with_capacity(events.len());
    for event in events {
        published.push(publish_one(&*tx, &routes, event).await?);
    }
    tx.execute(wakeups::NOTIFY, &[]).await.map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)?;
    Ok(published)
}

async fn publish_one(client: &impl GenericClient, routes: &[Route], event: &Event) -> Result<Published> {
    if let Some(key) = &event.idempotency_key {
        client
            .execute(
                "UPDATE events SET idempotency_key = NULL
                 WHERE tenant_id = $1 AND idempotency_key = $2 AND created_at <= $3",
                &[&event.tenant.as_str(), key, &(event.created_at_ms - IDEMPOTENCY_WINDOW_MS)],
            )
            .await
            .map_err(pg_error)?;
    }
    // The unique index decides who was first, in the insert itself; a racing publish waits for the winner's
    // commit and then reads its event.
    let Some(event_seq) = insert_event(client, event).await? else {
        return remembered_publish(client, event).await;
    };
    let origin = event.origin_key.as_ref().map(|k| k.as_str());
    let mut deliveries = 0;
    for route in routes {
        let wants = kurir_core::endpoint::subscribes(
            route.event_types.as_deref(),
            route.owner_key.as_deref(),
            &event.event_type,
            origin,
        );
        if wants {
            insert_delivery(client, event, event_seq, &route.id).await?;
            deliveries += 1;
        }
    }
    Ok(Published { event_id: event.id.clone(), deliveries, duplicate: false })
}

async fn insert_event(client: &impl GenericClient, event: &Event) -> Result<Option<i64>> {
    let row = client
        .query_opt(
            &format!(
                "INSERT INTO events ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                 RETURNING seq",
                rows::EVENT_COLUMNS
            ),
            &[
                &event.id.as_str(),
                &event.tenant.as_str(),
                &event.event_type,
                &event.payload,
                &event.ordering_key,
                &event.origin_key.as_ref().map(|k| k.as_str()),
                &event.idempotency_key,
                &event.created_at_ms,
                &params_json(event.params.as_ref()),
            ],
        )
        .await
        .map_err(pg_error)?;
    row.map(|row| rows::get(&row, "events", 0)).transpose()
}

async fn insert_delivery(
    client: &impl GenericClient,
    event: &Event,
    event_seq: i64,
    endpoint: &str,
) -> Result<DeliveryId> {
    let id = DeliveryId::generate(event.created_at_ms.max(0) as u64, rand::random());
    client
        .execute(
            "INSERT INTO deliveries (id, tenant_id, event_seq, event_id, endpoint_id, event_type, ordering_key, state,
                                     next_attempt_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8, $8)",
            &[
                &id.as_str(),
                &event.tenant.as_str(),
                &event_seq,
                &event.id.as_str(),
                &endpoint,
                &event.event_type,
                &event.ordering_key,
                &event.created_at_ms,
            ],
        )
        .await
        .map_err(pg_error)?;
    Ok(id)
}

async fn remembered_publish(client: &impl GenericClient, event: &Event) -> Result<Published> {
    let key = event.idempotency_key.as_deref().unwrap_or_default();
    let row = client
        .query_one(
            "SELECT e.id, (SELECT COUNT(*) FROM deliveries d WHERE d.event_seq = e.seq)
             FROM events e WHERE e.tenant_id = $1 AND e.idempotency_key = $2",
            &[&event.tenant.as_str(), &key],
        )
        .await
        .map_err(pg_error)?;
    let deliveries: i64 = rows::get(&row, "events", 1)?;
    Ok(Published {
        event_id: parse("events", rows::get(&row, "events", 0)?)?,
        deliveries: u32::try_from(deliveries).unwrap_or(u32::MAX),
        duplicate: true,
    })
}

pub(crate) async fn publish_to(
    store: &PgStore,
    tenant: &TenantId,
    event: &Event,
    endpoint: &EndpointId,
) -> Result<DeliveryId> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    get_endpoint(&*tx, tenant, endpoint).await?;
    let event_seq = insert_event(&*tx, event)
        .await?
        .ok_or_else(|| StoreError::Conflict("an event with this idempotency key exists".into()))?;
    let id = insert_delivery(&*tx, event, event_seq, endpoint.as_str()).await?;
    tx.execute(wakeups::NOTIFY, &[]).await.map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)?;
    Ok(id)
}

pub(crate) async fn list(store: &PgStore, tenant: &TenantId, filter: &EventFilter) -> Result<Vec<Event>> {
    let mut sql = format!("SELECT {} FROM events WHERE tenant_id = $1", rows::EVENT_COLUMNS);
    let tenant = tenant.as_str().to_owned();
    let before = filter.before.as_ref().map(|b| b.as_str().to_owned());
    let limit = i64::from(filter.limit);
    let mut args: Vec<&(dyn ToSql + Sync)> = vec![&tenant];
    if let Some(event_type) = &filter.event_type {
        args.push(event_type);
        sql.push_str(&format!(" AND event_type = ${}", args.len()));
    }
    if let Some(since) = &filter.since_ms {
        args.push(since);
        sql.push_str(&format!(" AND created_at >= ${}", args.len()));
    }
    if let Some(until) = &filter.until_ms {
        args.push(until);
        sql.push_str(&format!(" AND created_at < ${}", args.len()));
    }
    if let Some(before) = &before {
        args.push(before);
        sql.push_str(&format!(" AND id < ${}", args.len()));
    }
    args.push(&limit);
    sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", args.len()));
    let client = store.client().await?;
    all(client.query(&sql, &args).await.map_err(pg_error)?, rows::event)
}

pub(crate) async fn get(store: &PgStore, tenant: &TenantId, id: &EventId) -> Result<(Event, Vec<Delivery>)> {
    let client = store.client().await?;
    let sql = format!("SELECT {} FROM events WHERE tenant_id = $1 AND id = $2", rows::EVENT_COLUMNS);
    let row = client.query_opt(&sql, &[&tenant.as_str(), &id.as_str()]).await.map_err(pg_error)?;
    let event = row.map(|row| rows::event(&row)).transpose()?.ok_or(StoreError::NotFound("event"))?;
    let sql = format!(
        "SELECT {} FROM deliveries WHERE tenant_id = $1 AND event_id = $2 ORDER BY seq",
        rows::DELIVERY_COLUMNS
    );
    let deliveries =
        all(client.query(&sql, &[&tenant.as_str(), &id.as_str()]).await.map_err(pg_error)?, rows::delivery)?;
    Ok((event, deliveries))
}

pub(crate) async fn receive(store: &PgStore, tenant: &TenantId, receipt: &Receipt) -> Result<Published> {
    let event = &receipt.event;
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    let earlier = tx
        .query_opt(
            "SELECT event_id FROM inbound
             WHERE source_id = $1 AND fingerprint = $2 AND received_at > $3 AND NOT duplicate
             ORDER BY seq LIMIT 1",
            &[&receipt.source.as_str(), &receipt.fingerprint.as_slice(), &(event.created_at_ms - DUPLICATE_WINDOW_MS)],
        )
        .await
        .map_err(pg_error)?;
    let published = match earlier {
        Some(row) => {
            Published { event_id: parse("inbound", rows::get(&row, "inbound", 0)?)?, deliveries: 0, duplicate: true }
        }
        None => {
            get_tenant(&*tx, tenant).await?;
            let routes = routes(&*tx, tenant).await?;
            publish_one(&*tx, &routes, event).await?
        }
    };
    tx.execute(
        "INSERT INTO inbound (tenant_id, source_id, fingerprint, received_at, event_id, event_type, validation_error,
                              duplicate)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &tenant.as_str(),
            &receipt.source.as_str(),
            &receipt.fingerprint.as_slice(),
            &event.created_at_ms,
            &published.event_id.as_str(),
            &event.event_type,
            &receipt.validation_error,
            &published.duplicate,
        ],
    )
    .await
    .map_err(pg_error)?;
    tx.execute(wakeups::NOTIFY, &[]).await.map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)?;
    Ok(published)
}

pub(crate) async fn list_inbound(
    store: &PgStore,
    tenant: &TenantId,
    source: &SourceId,
    limit: u32,
) -> Result<Vec<InboundRecord>> {
    let client = store.client().await?;
    let rows = client
        .query(
            "SELECT received_at, event_id, event_type, validation_error, duplicate FROM inbound
             WHERE tenant_id = $1 AND source_id = $2 ORDER BY seq DESC LIMIT $3",
            &[&tenant.as_str(), &source.as_str(), &i64::from(limit)],
        )
        .await
        .map_err(pg_error)?;
    all(rows, |row| {
        const T: &str = "inbound";
        Ok(InboundRecord {
            received_at_ms: rows::get(row, T, 0)?,
            event_id: parse(T, rows::get(row, T, 1)?)?,
            event_type: rows::get(row, T, 2)?,
            validation_error: rows::get(row, T, 3)?,
            duplicate: rows::get(row, T, 4)?,
        })
    })
}
