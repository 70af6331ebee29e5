//! Deliveries and attempts as a tenant sees them: list, read, and send again by hand (which puts a delivery back
//! in the queue).

use deadpool_postgres::GenericClient;
use kurir_core::circuit::Circuit;
use kurir_core::delivery::{Attempt, Delivery};
use kurir_core::id::{DeliveryId, EndpointId, TenantId};
use tokio_postgres::types::ToSql;

use super::admin::get_endpoint;
use super::rows::{self, all};
use super::{pg_error, queue, wakeups, Cached, PgStore};
use crate::{sql, DeliveryFilter, Result, StoreError};

pub(crate) async fn list(store: &PgStore, tenant: &TenantId, filter: &DeliveryFilter) -> Result<Vec<Delivery>> {
    let mut sql = format!("SELECT {} FROM deliveries WHERE tenant_id = $1", rows::DELIVERY_COLUMNS);
    let tenant = tenant.as_str().to_owned();
    let state = filter.state.map(|s| s.as_str().to_owned());
    let endpoint = filter.endpoint.as_ref().map(|e| e.as_str().to_owned());
    let before = filter.before.as_ref().map(|b| b.as_str().to_owned());
    let limit = i64::from(filter.limit);
    let mut args: Vec<&(dyn ToSql + Sync)> = vec![&tenant];
    for (column, value) in [("state", &state), ("endpoint_id", &endpoint), ("event_type", &filter.event_type)] {
        if let Some(value) = value {
            args.push(value);
            sql.push_str(&format!(" AND {column} = ${}", args.len()));
        }
    }
    if let Some(before) = &before {
        args.push(before);
        sql.push_str(&format!(" AND seq < (SELECT seq FROM deliveries WHERE id = ${})", args.len()));
    }
    args.push(&limit);
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${}", args.len()));
    let client = store.client().await?;
    all(client.query_cached(&sql, &args).await.map_err(pg_error)?, rows::delivery)
}

async fn get_in(client: &impl GenericClient, tenant: &TenantId, id: &DeliveryId) -> Result<Delivery> {
    let sql = format!("SELECT {} FROM deliveries WHERE tenant_id = $1 AND id = $2", rows::DELIVERY_COLUMNS);
    let row = client.query_opt_cached(&sql, &[&tenant.as_str(), &id.as_str()]).await.map_err(pg_error)?;
    row.map(|row| rows::delivery(&row)).transpose()?.ok_or(StoreError::NotFound("delivery"))
}

pub(crate) async fn get(store: &PgStore, tenant: &TenantId, id: &DeliveryId) -> Result<Delivery> {
    get_in(&store.client().await?, tenant, id).await
}

pub(crate) async fn attempts(store: &PgStore, tenant: &TenantId, id: &DeliveryId) -> Result<Vec<Attempt>> {
    let client = store.client().await?;
    get_in(&client, tenant, id).await?;
    let sql = format!(
        "SELECT {} FROM attempts WHERE tenant_id = $1 AND delivery_id = $2 ORDER BY seq",
        rows::ATTEMPT_COLUMNS
    );
    all(client.query_cached(&sql, &[&tenant.as_str(), &id.as_str()]).await.map_err(pg_error)?, rows::attempt)
}

pub(crate) async fn retry(store: &PgStore, tenant: &TenantId, id: &DeliveryId, now_ms: i64) -> Result<Delivery> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    // Its queue row first, if it has one: claims, outcomes and resumes take a queue row before its record, and a
    // transaction that took them the other way round could deadlock with them.
    tx.query_cached(
        "SELECT 1 FROM delivery_queue q JOIN deliveries d ON d.seq = q.seq
         WHERE d.tenant_id = $1 AND d.id = $2 FOR UPDATE OF q",
        &[&tenant.as_str(), &id.as_str()],
    )
    .await
    .map_err(pg_error)?;
    let sql = format!(
        "UPDATE deliveries SET state = {}, next_attempt_at = $3, updated_at = $3
         WHERE tenant_id = $1 AND id = $2 AND {}
         RETURNING seq",
        sql::RESENT_STATE,
        sql::resendable()
    );
    let requeued = seqs(tx.query_cached(&sql, &[&tenant.as_str(), &id.as_str(), &now_ms]).await.map_err(pg_error)?)?;
    queue::enqueue_due(&tx, &requeued, now_ms).await?;
    if !requeued.is_empty() {
        tx.execute_cached(wakeups::NOTIFY, &[]).await.map_err(pg_error)?;
    }
    let current = get_in(&tx, tenant, id).await?;
    tx.commit().await.map_err(pg_error)?;
    if requeued.is_empty() {
        return Err(StoreError::Conflict(format!("delivery is still {}", current.state.as_str())));
    }
    Ok(current)
}

/// The tenant's statistics since a minute (see `crate::stats`).
pub(crate) async fn attempt_stats(
    store: &PgStore,
    tenant: &TenantId,
    since_minute: i64,
) -> Result<Vec<crate::EndpointMinute>> {
    const T: &str = "attempt_stats";
    let client = store.client().await?;
    let found = client
        .query_cached(&crate::stats::select_sql('$'), &[&tenant.as_str(), &since_minute])
        .await
        .map_err(pg_error)?;
    let width = crate::stats::count_columns().len();
    let mut out = Vec::with_capacity(found.len());
    for row in &found {
        let counts = (0..width).map(|i| rows::get::<i64>(row, T, 2 + i)).collect::<Result<Vec<i64>>>()?;
        out.push(crate::EndpointMinute {
            endpoint_id: crate::codec::parse(T, rows::get(row, T, 0)?)?,
            minute: rows::get(row, T, 1)?,
            tally: crate::stats::from_counts(&counts),
        });
    }
    Ok(out)
}

pub(crate) async fn circuit_of(store: &PgStore, tenant: &TenantId, endpoint: &EndpointId) -> Result<Circuit> {
    let client = store.client().await?;
    get_endpoint(&client, tenant, endpoint).await?;
    let row = client
        .query_opt_cached("SELECT circuit FROM endpoint_health WHERE endpoint_id = $1", &[&endpoint.as_str()])
        .await
        .map_err(pg_error)?;
    match row {
        Some(row) => {
            let text: String = rows::get(&row, "endpoint_health", 0)?;
            crate::codec::decode_circuit(&text)
        }
        None => Ok(Circuit::default()),
    }
}

pub(crate) async fn resume(store: &PgStore, tenant: &TenantId, endpoint: &EndpointId, now_ms: i64) -> Result<u64> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    get_endpoint(&tx, tenant, endpoint).await?;
    // Only what waits for a later time moves; a backlog that is due already stays as it is (rewriting every
    // waiting row took seconds per million, before the drain could start). The queue holds every unfinished
    // delivery, so it finds them without reading the endpoint's finished ones.
    let rows = tx
        .query_cached(
            "UPDATE delivery_queue SET next_attempt_at = $2
             WHERE endpoint_id = $1 AND NOT leased AND next_attempt_at > $2
             RETURNING seq",
            &[&endpoint.as_str(), &now_ms],
        )
        .await
        .map_err(pg_error)?;
    let moved = seqs(rows)?;
    // The endpoint is the tenant's (read above), and so are its deliveries; the tenant is checked again anyway.
    tx.execute_cached(
        "UPDATE deliveries SET next_attempt_at = $2, updated_at = $2 WHERE seq = ANY($1) AND tenant_id = $3",
        &[&moved, &now_ms, &tenant.as_str()],
    )
    .await
    .map_err(pg_error)?;
    // Queue rows, then records, then the circuit: the order in which outcome writes and endpoint deletions take
    // them, so that a resume deadlocks with neither.
    super::outcomes::write_circuit(&tx, endpoint.as_str(), &Circuit::default(), now_ms).await?;
    // Counted in the queue, which holds only unfinished deliveries: all of the endpoint's rows, less those leased.
    let row = tx
        .query_one_cached(
            "SELECT (SELECT COUNT(*) FROM delivery_queue WHERE endpoint_id = $1)
                  - (SELECT COUNT(*) FROM delivery_queue WHERE endpoint_id = $1 AND leased)",
            &[&endpoint.as_str()],
        )
        .await
        .map_err(pg_error)?;
    let waiting: i64 = rows::get(&row, "delivery_queue", 0)?;
    tx.execute_cached(wakeups::NOTIFY, &[]).await.map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)?;
    Ok(waiting.max(0) as u64)
}

pub(crate) async fn recover(
    store: &PgStore,
    tenant: &TenantId,
    endpoint: &EndpointId,
    since_ms: i64,
    now_ms: i64,
) -> Result<u64> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    get_endpoint(&tx, tenant, endpoint).await?;
    let rows = tx
        .query_cached(
            "UPDATE deliveries SET state = 'pending', next_attempt_at = $4, updated_at = $4
             WHERE tenant_id = $1 AND endpoint_id = $2 AND state = 'dead' AND created_at >= $3
             RETURNING seq",
            &[&tenant.as_str(), &endpoint.as_str(), &since_ms, &now_ms],
        )
        .await
        .map_err(pg_error)?;
    let requeued = seqs(rows)?;
    queue::enqueue_due(&tx, &requeued, now_ms).await?;
    if !requeued.is_empty() {
        tx.execute_cached(wakeups::NOTIFY, &[]).await.map_err(pg_error)?;
    }
    tx.commit().await.map_err(pg_error)?;
    Ok(requeued.len() as u64)
}

/// The `seq` column of rows.
fn seqs(rows: Vec<tokio_postgres::Row>) -> Result<Vec<i64>> {
    rows.iter().map(|row| rows::get(row, "deliveries", 0)).collect()
}
