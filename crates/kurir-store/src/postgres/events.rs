//! Publishing, receiving and reading events.

use std::collections::HashMap;

use deadpool_postgres::GenericClient;
use kurir_core::delivery::Delivery;
use kurir_core::event::Event;
use kurir_core::id::{DeliveryId, EndpointId, EventId, TenantId};
use kurir_core::source::{SourceId, DUPLICATE_WINDOW_MS};
use tokio_postgres::types::ToSql;

use super::admin::{get_endpoint, get_tenant};
use super::rows::{self, all};
use super::{pg_error, wakeups, Cached, PgStore, FLUSH_WAIT};
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
        .query_cached(
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
    tx.batch_execute(FLUSH_WAIT).await.map_err(pg_error)?;
    get_tenant(&tx, tenant).await?;
    let routes = routes(&tx, tenant).await?;
    let published = publish_all(&tx, &routes, events).await?;
    tx.execute_cached(wakeups::NOTIFY, &[]).await.map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)?;
    Ok(published)
}

/// Writes events and their deliveries in a few set-wise statements, whatever the batch size: expired
/// idempotency keys are released, the events inserted (a taken key skips its event, and the first event is
/// answered instead), and every delivery inserted in publish order, so `seq` keeps that order for ordering keys.
async fn publish_all(client: &impl GenericClient, routes: &[Route], events: &[Event]) -> Result<Vec<Published>> {
    release_expired_keys(client, events).await?;
    let inserted = insert_events(client, events).await?;
    let mut deliveries = DeliveryRows::default();
    let mut published = Vec::with_capacity(events.len());
    for event in events {
        let Some(event_seq) = inserted.get(event.id.as_str()).copied() else {
            published.push(remembered_publish(client, event).await?);
            continue;
        };
        let mut delivery_ids = Vec::new();
        for route in routes {
            if kurir_core::endpoint::receives(
                &route.id,
                route.event_types.as_deref(),
                route.owner_key.as_deref(),
                event,
            ) {
                delivery_ids.push(deliveries.push(event, event_seq, &route.id));
            }
        }
        let count = delivery_ids.len() as u32;
        published.push(Published { event_id: event.id.clone(), deliveries: count, delivery_ids, duplicate: false });
    }
    deliveries.insert(client).await?;
    Ok(published)
}

async fn release_expired_keys(client: &impl GenericClient, events: &[Event]) -> Result<()> {
    let keyed: Vec<&Event> = events.iter().filter(|e| e.idempotency_key.is_some()).collect();
    if keyed.is_empty() {
        return Ok(());
    }
    let tenants: Vec<&str> = keyed.iter().map(|e| e.tenant.as_str()).collect();
    let keys: Vec<&str> = keyed.iter().filter_map(|e| e.idempotency_key.as_deref()).collect();
    let cutoffs: Vec<i64> = keyed.iter().map(|e| e.created_at_ms - IDEMPOTENCY_WINDOW_MS).collect();
    client
        .execute_cached(
            "UPDATE events e SET idempotency_key = NULL
             FROM UNNEST($1::text[], $2::text[], $3::int8[]) AS k(tenant_id, key, cutoff)
             WHERE e.tenant_id = k.tenant_id AND e.idempotency_key = k.key AND e.created_at <= k.cutoff",
            &[&tenants, &keys, &cutoffs],
        )
        .await
        .map_err(pg_error)?;
    Ok(())
}

/// Inserts the events whose idempotency key is free (in order); returns the `seq` of each inserted one by id.
async fn insert_events(client: &impl GenericClient, events: &[Event]) -> Result<HashMap<String, i64>> {
    let column = |f: &dyn Fn(&Event) -> Option<String>| events.iter().map(f).collect::<Vec<_>>();
    let ids = column(&|e| Some(e.id.as_str().to_owned()));
    let tenants = column(&|e| Some(e.tenant.as_str().to_owned()));
    let types = column(&|e| Some(e.event_type.clone()));
    let payloads = column(&|e| Some(e.payload.clone()));
    let ordering = column(&|e| e.ordering_key.clone());
    let origins = column(&|e| e.origin_key.as_ref().map(|k| k.as_str().to_owned()));
    let keys = column(&|e| e.idempotency_key.clone());
    let params = column(&|e| params_json(e.params.as_ref()));
    let created: Vec<i64> = events.iter().map(|e| e.created_at_ms).collect();
    let rows = client
        .query_cached(
            &format!(
                "INSERT INTO events ({})
                 SELECT id, tenant_id, event_type, payload, ordering_key, origin_key, idempotency_key, created_at, params
                 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                             $8::int8[], $9::text[])
                      WITH ORDINALITY AS e(id, tenant_id, event_type, payload, ordering_key, origin_key,
                                           idempotency_key, created_at, params, ord)
                 ORDER BY ord
                 ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                 RETURNING id, seq",
                rows::EVENT_COLUMNS
            ),
            &[&ids, &tenants, &types, &payloads, &ordering, &origins, &keys, &created, &params],
        )
        .await
        .map_err(pg_error)?;
    rows.iter().map(|row| Ok((rows::get(row, "events", 0)?, rows::get(row, "events", 1)?))).collect()
}

/// Deliveries to insert, as columns.
#[derive(Default)]
pub(crate) struct DeliveryRows {
    ids: Vec<String>,
    tenants: Vec<String>,
    event_seqs: Vec<i64>,
    event_ids: Vec<String>,
    endpoints: Vec<String>,
    types: Vec<String>,
    ordering: Vec<Option<String>>,
    created: Vec<i64>,
}

impl DeliveryRows {
    fn push(&mut self, event: &Event, event_seq: i64, endpoint: &str) -> DeliveryId {
        let id = DeliveryId::generate(event.created_at_ms.max(0) as u64, rand::random());
        self.ids.push(id.as_str().to_owned());
        self.tenants.push(event.tenant.as_str().to_owned());
        self.event_seqs.push(event_seq);
        self.event_ids.push(event.id.as_str().to_owned());
        self.endpoints.push(endpoint.to_owned());
        self.types.push(event.event_type.clone());
        self.ordering.push(event.ordering_key.clone());
        self.created.push(event.created_at_ms);
        id
    }

    /// A delivery made later than its event (a backfill's): due, and made, at `now_ms`.
    pub(crate) fn push_later(
        &mut self,
        tenant: &TenantId,
        event: (i64, &str, &str, Option<&str>),
        endpoint: &str,
        now_ms: i64,
    ) {
        let (event_seq, event_id, event_type, ordering_key) = event;
        self.ids.push(DeliveryId::generate(now_ms.max(0) as u64, rand::random()).as_str().to_owned());
        self.tenants.push(tenant.as_str().to_owned());
        self.event_seqs.push(event_seq);
        self.event_ids.push(event_id.to_owned());
        self.endpoints.push(endpoint.to_owned());
        self.types.push(event_type.to_owned());
        self.ordering.push(ordering_key.map(str::to_owned));
        self.created.push(now_ms);
    }

    pub(crate) async fn insert(&self, client: &impl GenericClient) -> Result<()> {
        if self.ids.is_empty() {
            return Ok(());
        }
        // The record and its queue row, in one statement.
        client
            .execute_cached(
                "WITH inserted AS (
                     INSERT INTO deliveries (id, tenant_id, event_seq, event_id, endpoint_id, event_type, ordering_key,
                                             state, next_attempt_at, created_at, updated_at)
                     SELECT id, tenant_id, event_seq, event_id, endpoint_id, event_type, ordering_key, 'pending',
                            created_at, created_at, created_at
                     FROM UNNEST($1::text[], $2::text[], $3::int8[], $4::text[], $5::text[], $6::text[], $7::text[],
                                 $8::int8[])
                          WITH ORDINALITY AS d(id, tenant_id, event_seq, event_id, endpoint_id, event_type,
                                               ordering_key, created_at, ord)
                     ORDER BY ord
                     RETURNING seq, endpoint_id, ordering_key, next_attempt_at)
                 INSERT INTO delivery_queue (seq, endpoint_id, ordering_key, next_attempt_at)
                 SELECT seq, endpoint_id, ordering_key, next_attempt_at FROM inserted",
                &[
                    &self.ids,
                    &self.tenants,
                    &self.event_seqs,
                    &self.event_ids,
                    &self.endpoints,
                    &self.types,
                    &self.ordering,
                    &self.created,
                ],
            )
            .await
            .map_err(pg_error)?;
        Ok(())
    }
}

async fn remembered_publish(client: &impl GenericClient, event: &Event) -> Result<Published> {
    let key = event.idempotency_key.as_deref().unwrap_or_default();
    let row = client
        .query_one_cached(
            "SELECT e.id, ARRAY(SELECT d.id FROM deliveries d WHERE d.event_seq = e.seq ORDER BY d.seq)
             FROM events e WHERE e.tenant_id = $1 AND e.idempotency_key = $2",
            &[&event.tenant.as_str(), &key],
        )
        .await
        .map_err(pg_error)?;
    let ids: Vec<String> = rows::get(&row, "events", 1)?;
    let delivery_ids = ids.into_iter().map(|id| parse("deliveries", id)).collect::<Result<Vec<DeliveryId>>>()?;
    Ok(Published {
        event_id: parse("events", rows::get(&row, "events", 0)?)?,
        deliveries: delivery_ids.len() as u32,
        delivery_ids,
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
    tx.batch_execute(FLUSH_WAIT).await.map_err(pg_error)?;
    get_endpoint(&tx, tenant, endpoint).await?;
    let inserted = insert_events(&tx, std::slice::from_ref(event)).await?;
    let event_seq = inserted
        .get(event.id.as_str())
        .copied()
        .ok_or_else(|| StoreError::Conflict("an event with this idempotency key exists".into()))?;
    let mut rows = DeliveryRows::default();
    let id = rows.push(event, event_seq, endpoint.as_str());
    rows.insert(&tx).await?;
    tx.execute_cached(wakeups::NOTIFY, &[]).await.map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)?;
    Ok(id)
}

/// A page of the tenant's events, newest published first (by `seq`); the cursor `before` is one of the tenant's
/// event ids (one that retention has purged since ends the list).
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
    if let Some(text) = &filter.text {
        args.push(text);
        sql.push_str(&format!(" AND (ordering_key = ${0} OR strpos(payload, ${0}) > 0)", args.len()));
    }
    if let Some(before) = &before {
        args.push(before);
        sql.push_str(&format!(" AND seq < (SELECT seq FROM events WHERE tenant_id = $1 AND id = ${})", args.len()));
    }
    args.push(&limit);
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${}", args.len()));
    let client = store.client().await?;
    all(client.query_cached(&sql, &args).await.map_err(pg_error)?, rows::event)
}

pub(crate) async fn get(store: &PgStore, tenant: &TenantId, id: &EventId) -> Result<(Event, Vec<Delivery>)> {
    let client = store.client().await?;
    let sql = format!("SELECT {} FROM events WHERE tenant_id = $1 AND id = $2", rows::EVENT_COLUMNS);
    let row = client.query_opt_cached(&sql, &[&tenant.as_str(), &id.as_str()]).await.map_err(pg_error)?;
    let event = row.map(|row| rows::event(&row)).transpose()?.ok_or(StoreError::NotFound("event"))?;
    let sql = format!(
        "SELECT {} FROM deliveries
         WHERE tenant_id = $1 AND event_seq = (SELECT seq FROM events WHERE id = $2) ORDER BY seq",
        rows::DELIVERY_COLUMNS
    );
    let deliveries =
        all(client.query_cached(&sql, &[&tenant.as_str(), &id.as_str()]).await.map_err(pg_error)?, rows::delivery)?;
    Ok((event, deliveries))
}

pub(crate) async fn receive(store: &PgStore, tenant: &TenantId, receipt: &Receipt) -> Result<Published> {
    let event = &receipt.event;
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    tx.batch_execute(FLUSH_WAIT).await.map_err(pg_error)?;
    // Two nodes receiving the same vendor request at once: the second waits here, then finds the first's row.
    let fingerprint: String = receipt.fingerprint.iter().map(|b| format!("{b:02x}")).collect();
    tx.execute_cached(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[&format!("{}:{fingerprint}", receipt.source.as_str())],
    )
    .await
    .map_err(pg_error)?;
    let earlier = tx
        .query_opt_cached(
            "SELECT event_id FROM inbound
             WHERE source_id = $1 AND fingerprint = $2 AND received_at > $3 AND NOT duplicate
             ORDER BY seq LIMIT 1",
            &[&receipt.source.as_str(), &receipt.fingerprint.as_slice(), &(event.created_at_ms - DUPLICATE_WINDOW_MS)],
        )
        .await
        .map_err(pg_error)?;
    let published = match earlier {
        Some(row) => Published {
            event_id: parse("inbound", rows::get(&row, "inbound", 0)?)?,
            deliveries: 0,
            delivery_ids: Vec::new(),
            duplicate: true,
        },
        None => {
            get_tenant(&tx, tenant).await?;
            let routes = routes(&tx, tenant).await?;
            publish_all(&tx, &routes, std::slice::from_ref(event)).await?.remove(0)
        }
    };
    tx.execute_cached(
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
    tx.execute_cached(wakeups::NOTIFY, &[]).await.map_err(pg_error)?;
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
        .query_cached(
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
