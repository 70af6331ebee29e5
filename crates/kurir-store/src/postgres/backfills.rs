//! Backfills on PostgreSQL: the rows, and one batch as one transaction that holds the backfill's row lock, so two
//! nodes never work the same batch.

use deadpool_postgres::GenericClient;
use kurir_core::backfill::{Backfill, BackfillState};
use kurir_core::id::{BackfillId, EndpointId, TenantId};
use tokio_postgres::Row as PgRow;

use super::admin::get_endpoint;
use super::events::DeliveryRows;
use super::{pg_error, rows, wakeups, Cached, PgStore};
use crate::backfills::{next_events_sql, sends, types_column, Row, COLUMNS, NO_END};
use crate::{Result, StoreError};

fn row(row: &PgRow) -> Result<Backfill> {
    const T: &str = "backfills";
    Row {
        id: rows::get(row, T, 0)?,
        tenant: rows::get(row, T, 1)?,
        endpoint: rows::get(row, T, 2)?,
        since_ms: rows::get(row, T, 3)?,
        until_ms: rows::get(row, T, 4)?,
        event_types: rows::get(row, T, 5)?,
        cursor: rows::get(row, T, 6)?,
        state: rows::get(row, T, 7)?,
        scanned: rows::get(row, T, 8)?,
        queued: rows::get(row, T, 9)?,
        created_at_ms: rows::get(row, T, 10)?,
        updated_at_ms: rows::get(row, T, 11)?,
    }
    .into_backfill()
}

pub(crate) async fn create(store: &PgStore, backfill: &Backfill) -> Result<()> {
    let client = store.client().await?;
    get_endpoint(&client, &backfill.tenant, &backfill.endpoint).await?;
    let sql = format!("INSERT INTO backfills ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)");
    client
        .execute_cached(
            &sql,
            &[
                &backfill.id.as_str(),
                &backfill.tenant.as_str(),
                &backfill.endpoint.as_str(),
                &backfill.since_ms,
                &backfill.until_ms,
                &types_column(backfill),
                &backfill.cursor,
                &backfill.state.as_str(),
                &(backfill.scanned as i64),
                &(backfill.queued as i64),
                &backfill.created_at_ms,
                &backfill.updated_at_ms,
            ],
        )
        .await
        .map_err(pg_error)?;
    Ok(())
}

async fn find(client: &impl GenericClient, id: &BackfillId, lock: bool) -> Result<Option<Backfill>> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let sql = format!("SELECT {COLUMNS} FROM backfills WHERE id = $1{lock}");
    client.query_opt_cached(&sql, &[&id.as_str()]).await.map_err(pg_error)?.map(|r| row(&r)).transpose()
}

pub(crate) async fn get(store: &PgStore, tenant: &TenantId, id: &BackfillId) -> Result<Backfill> {
    let client = store.client().await?;
    find(&client, id, false).await?.filter(|b| &b.tenant == tenant).ok_or(StoreError::NotFound("backfill"))
}

pub(crate) async fn list(store: &PgStore, tenant: &TenantId, endpoint: Option<&EndpointId>) -> Result<Vec<Backfill>> {
    let client = store.client().await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM backfills WHERE tenant_id = $1 AND ($2::text IS NULL OR endpoint_id = $2)
         ORDER BY id DESC LIMIT 100"
    );
    let found = client.query_cached(&sql, &[&tenant.as_str(), &endpoint.map(EndpointId::as_str)]).await;
    found.map_err(pg_error)?.iter().map(row).collect()
}

pub(crate) async fn running(store: &PgStore) -> Result<Vec<Backfill>> {
    let client = store.client().await?;
    let sql = format!("SELECT {COLUMNS} FROM backfills WHERE state = 'running' ORDER BY id");
    client.query_cached(&sql, &[]).await.map_err(pg_error)?.iter().map(row).collect()
}

async fn save(client: &impl GenericClient, backfill: &Backfill) -> Result<()> {
    client
        .execute_cached(
            "UPDATE backfills SET cursor = $2, state = $3, scanned = $4, queued = $5, updated_at = $6 WHERE id = $1",
            &[
                &backfill.id.as_str(),
                &backfill.cursor,
                &backfill.state.as_str(),
                &(backfill.scanned as i64),
                &(backfill.queued as i64),
                &backfill.updated_at_ms,
            ],
        )
        .await
        .map_err(pg_error)?;
    Ok(())
}

pub(crate) async fn cancel(store: &PgStore, tenant: &TenantId, id: &BackfillId, now_ms: i64) -> Result<Backfill> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    let mut backfill =
        find(&tx, id, true).await?.filter(|b| &b.tenant == tenant).ok_or(StoreError::NotFound("backfill"))?;
    if backfill.state == BackfillState::Running {
        backfill.state = BackfillState::Cancelled;
        backfill.updated_at_ms = now_ms;
        save(&tx, &backfill).await?;
    }
    tx.commit().await.map_err(pg_error)?;
    Ok(backfill)
}

pub(crate) async fn step(store: &PgStore, id: &BackfillId, limit: u32, now_ms: i64) -> Result<Backfill> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    let mut backfill = find(&tx, id, true).await?.ok_or(StoreError::NotFound("backfill"))?;
    if backfill.state != BackfillState::Running {
        return Ok(backfill);
    }
    let Ok(endpoint) = get_endpoint(&tx, &backfill.tenant, &backfill.endpoint).await else {
        backfill.state = BackfillState::Cancelled;
        backfill.updated_at_ms = now_ms;
        save(&tx, &backfill).await?;
        tx.commit().await.map_err(pg_error)?;
        return Ok(backfill);
    };
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] = [
        &backfill.tenant.as_str(),
        &backfill.cursor.unwrap_or(0),
        &backfill.since_ms,
        &backfill.until_ms.unwrap_or(NO_END),
        &i64::from(limit),
    ];
    let events = tx.query_cached(&next_events_sql('$'), &params).await.map_err(pg_error)?;
    let mut deliveries = DeliveryRows::default();
    let mut queued = 0;
    for event in &events {
        let (seq, id, event_type, key): (i64, &str, &str, Option<&str>) =
            (event.get(0), event.get(1), event.get(2), event.get(3));
        let origin: Option<&str> = event.get(4);
        if sends(&backfill, &endpoint, event_type, origin) {
            deliveries.push_later(&backfill.tenant, (seq, id, event_type, key), backfill.endpoint.as_str(), now_ms);
            queued += 1;
        }
    }
    deliveries.insert(&tx).await?;
    let last = events.last().map(|e| e.get::<_, i64>(0));
    backfill.advance(last, events.len() as u64, queued, limit, now_ms);
    save(&tx, &backfill).await?;
    if queued > 0 {
        tx.execute_cached(wakeups::NOTIFY, &[]).await.map_err(pg_error)?;
    }
    tx.commit().await.map_err(pg_error)?;
    Ok(backfill)
}
