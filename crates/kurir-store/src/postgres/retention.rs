//! Retention on PostgreSQL: one purge batch in one short transaction; the expired events go in three set-wise
//! deletes.

use kurir_core::id::TenantId;

use super::{pg_error, PgStore};
use crate::retention::{event_id_boundary, expired_events_sql, log_deletes};
use crate::Result;

pub(crate) async fn purge(store: &PgStore, tenant: &TenantId, before_ms: i64, limit: u32) -> Result<u64> {
    let mut client = store.client().await?;
    let tx = client.transaction().await.map_err(pg_error)?;
    let limit = i64::from(limit);
    let expired: Vec<i64> = tx
        .query(&expired_events_sql('$'), &[&tenant.as_str(), &event_id_boundary(before_ms), &limit])
        .await
        .map_err(pg_error)?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let mut gone = 0;
    if !expired.is_empty() {
        // Children first: deliveries reference their event.
        for sql in [
            "DELETE FROM attempts WHERE delivery_id = ANY(ARRAY(SELECT id FROM deliveries WHERE event_seq = ANY($1)))",
            "DELETE FROM deliveries WHERE event_seq = ANY($1)",
            "DELETE FROM events WHERE seq = ANY($1)",
        ] {
            gone += tx.execute(sql, &[&expired]).await.map_err(pg_error)?;
        }
    }
    for (sql, unit) in log_deletes('$') {
        gone += tx.execute(&sql, &[&tenant.as_str(), &unit.of(before_ms), &limit]).await.map_err(pg_error)?;
    }
    tx.commit().await.map_err(pg_error)?;
    Ok(gone)
}
