//! Retention: every few minutes each tenant's history older than its retention (its own `retention_days`, or
//! the server's default) is purged in small batches, with a pause between them, so the store's writer serves
//! publishes and outcomes in between and a large backlog drains without stalling them (the store contract's
//! `purge_history`). Every node may run it: a batch deletes what is there, and two nodes only share the work.

use std::sync::Arc;
use std::time::Duration;

use kurir_core::tenant::history_cutoff;
use kurir_store::{Store, StoreError};
use tokio_util::sync::CancellationToken;

/// How retention runs.
#[derive(Debug, Clone, Copy)]
pub struct RetentionConfig {
    /// Days of history kept for tenants without their own retention; 0 keeps everything.
    pub default_days: u32,
    /// How often a pass over every tenant starts.
    pub every: Duration,
    /// Rows of each kind in one batch (one short write).
    pub batch: u32,
    /// The pause between two batches, the writer's time for everything else.
    pub pause: Duration,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            default_days: kurir_core::tenant::DEFAULT_RETENTION_DAYS,
            every: Duration::from_secs(300),
            batch: 500,
            pause: Duration::from_millis(20),
        }
    }
}

/// Purges on a schedule until `shutdown`; the first pass starts at once.
pub async fn run(store: Arc<dyn Store>, config: RetentionConfig, shutdown: CancellationToken) {
    loop {
        match purge_all(store.as_ref(), &config, crate::now_ms(), &shutdown).await {
            Ok(0) => {}
            Ok(rows) => tracing::info!(rows, "retention purged old history"),
            Err(err) => tracing::warn!(error = %err, "retention could not purge; trying again on the next pass"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(config.every) => {}
        }
    }
}

/// One pass over every tenant at `now_ms`: how many rows went.
pub async fn purge_all(
    store: &dyn Store,
    config: &RetentionConfig,
    now_ms: i64,
    shutdown: &CancellationToken,
) -> Result<u64, StoreError> {
    let mut total = 0;
    for tenant in store.list_tenants().await? {
        let Some(cutoff) = history_cutoff(now_ms, tenant.retention_days, config.default_days) else { continue };
        loop {
            let gone = store.purge_history(&tenant.id, cutoff, config.batch).await?;
            total += gone;
            if gone == 0 || shutdown.is_cancelled() {
                break;
            }
            tokio::time::sleep(config.pause).await;
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kurir_core::event::Event;
    use kurir_core::id::{EventId, TenantId};
    use kurir_core::tenant::Tenant;
    use kurir_store::{Database, StoreOptions};

    const NOW: i64 = 1_800_000_000_000;
    const DAY: i64 = 86_400_000;

    fn event(tenant: &TenantId, n: u128, at_ms: i64) -> Event {
        Event {
            id: EventId::generate(at_ms as u64, n),
            tenant: tenant.clone(),
            event_type: "ADDPRODUCT".into(),
            payload: format!(r#"{{"id": {n}}}"#),
            ordering_key: None,
            origin_key: None,
            idempotency_key: None,
            params: None,
            created_at_ms: at_ms,
            subject_endpoint: None,
        }
    }

    /// A real SQLite store with three tenants: one on the default, one keeping 60 days, one keeping 2.
    #[tokio::test]
    async fn a_pass_purges_each_tenant_by_its_own_retention_or_the_default() {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let options = StoreOptions {
            database: Database::Sqlite { data_dir: dir.path().to_owned() },
            secret_key: Some("BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=".into()),
            metrics: None,
        };
        let store = kurir_store::open(&options).await.unwrap_or_else(|err| panic!("{err}"));
        let mut tenants = Vec::new();
        for (id, days) in [("plain", None), ("keeper", Some(60)), ("brief", Some(2))] {
            let tenant: TenantId = id.parse().unwrap_or_else(|_| unreachable!());
            let row = Tenant {
                id: tenant.clone(),
                name: id.into(),
                created_at_ms: NOW,
                attempt_log: Default::default(),
                publish_rate: None,
                retention_days: days,
                zort_signature_headers: true,
            };
            store.create_tenant(row).await.unwrap_or_else(|err| panic!("{err}"));
            tenants.push(tenant);
        }
        // Published in time order, as events are (retention relies on publish order following the ids' time).
        let mut n = 0;
        for age in [40 * DAY, 10 * DAY, 0] {
            for tenant in &tenants {
                n += 1;
                store.publish(tenant, vec![event(tenant, n, NOW - age)]).await.unwrap_or_else(|err| panic!("{err}"));
            }
        }
        let config = RetentionConfig { default_days: 30, batch: 1, pause: Duration::ZERO, ..Default::default() };
        let purged = purge_all(store.as_ref(), &config, NOW, &CancellationToken::new()).await;
        assert_eq!(purged.ok(), Some(3), "one event of the default tenant, two of the brief one, none of the keeper");
        for (id, left) in [("plain", 2), ("keeper", 3), ("brief", 1)] {
            let tenant: TenantId = id.parse().unwrap_or_else(|_| unreachable!());
            let events = store.list_events(&tenant, kurir_store::EventFilter { limit: 10, ..Default::default() }).await;
            assert_eq!(events.map(|e| e.len()).ok(), Some(left), "{id}");
        }
        let keep_all = RetentionConfig { default_days: 0, ..config };
        let none = purge_all(store.as_ref(), &keep_all, NOW + 100 * DAY, &CancellationToken::new()).await;
        assert_eq!(none.ok(), Some(4), "0 keeps the default tenant's 2; the keeper's 3 and the brief one's 1 go");
    }
}
