//! The PostgreSQL schema and its migrations. `kurir_schema` records how many ran; each start (and `kurir
//! migrate`) runs the missing ones in one transaction, under an advisory lock, so two nodes starting together
//! do not race and a database is never left half-migrated.
//!
//! The tables are SQLite's, column for column (see `sqlite/schema.rs`), in PostgreSQL's types: numbers are
//! `BIGINT`, flags `BOOLEAN`, blobs `BYTEA`, structured fields JSON text written by `codec`.

use tokio_postgres::Client;

use super::pg_error;
use crate::StoreError;

/// Held while migrating: "kurir_mg".
const MIGRATION_LOCK: i64 = 0x6b75_7269_725f_6d67;

/// Each entry is one migration; append, never edit a released one.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    attempt_log TEXT NOT NULL DEFAULT 'full'
);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    secret_hash BYTEA NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX api_keys_tenant ON api_keys(tenant_id);

CREATE TABLE endpoints (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id),
    url               TEXT NOT NULL,
    dialect           TEXT NOT NULL,
    description       TEXT NOT NULL,
    event_types       TEXT,
    headers           TEXT NOT NULL,
    secrets           TEXT NOT NULL,
    retry_schedule    TEXT,
    timeout_ms        BIGINT NOT NULL,
    enabled           BOOLEAN NOT NULL,
    disabled_reason   TEXT,
    owner_key         TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    zort_keys         TEXT,
    signature_headers BOOLEAN NOT NULL DEFAULT TRUE,
    auth              TEXT
);
CREATE INDEX endpoints_tenant ON endpoints(tenant_id);

CREATE TABLE endpoint_health (
    endpoint_id TEXT PRIMARY KEY,
    circuit     TEXT NOT NULL DEFAULT 'closed 0',
    held_until  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX endpoint_health_held ON endpoint_health(held_until) WHERE held_until > 0;

CREATE TABLE event_types (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    schema      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE events (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    tenant_id       TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    ordering_key    TEXT,
    origin_key      TEXT,
    idempotency_key TEXT,
    created_at      BIGINT NOT NULL,
    params          TEXT
);
CREATE INDEX events_tenant ON events(tenant_id, id);
CREATE UNIQUE INDEX events_idempotency ON events(tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE deliveries (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    tenant_id       TEXT NOT NULL,
    event_seq       BIGINT NOT NULL REFERENCES events(seq),
    event_id        TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    ordering_key    TEXT,
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_token     BIGINT,
    lease_owner     TEXT,
    last_status     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE state IN ('pending', 'retrying', 'in_flight');
CREATE INDEX deliveries_queue ON deliveries(endpoint_id, next_attempt_at)
    WHERE state IN ('pending', 'retrying', 'in_flight');
CREATE INDEX deliveries_ordering ON deliveries(endpoint_id, ordering_key, seq)
    WHERE ordering_key IS NOT NULL AND state IN ('pending', 'retrying', 'in_flight');
CREATE INDEX deliveries_in_flight ON deliveries(endpoint_id, next_attempt_at) WHERE state = 'in_flight';
CREATE INDEX deliveries_lease_owner ON deliveries(lease_owner) WHERE state = 'in_flight';
CREATE INDEX deliveries_tenant ON deliveries(tenant_id, seq);
CREATE INDEX deliveries_event ON deliveries(event_id);
CREATE INDEX deliveries_endpoint ON deliveries(endpoint_id, state, created_at);

CREATE TABLE attempts (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    tenant_id   TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    attempt_no  BIGINT NOT NULL,
    started_at  BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    status      BIGINT,
    error_kind  TEXT,
    error       TEXT,
    response    TEXT NOT NULL
);
CREATE INDEX attempts_delivery ON attempts(delivery_id, seq);

CREATE TABLE sources (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    name       TEXT NOT NULL,
    verify     TEXT NOT NULL,
    strict     BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sources_tenant ON sources(tenant_id);

CREATE TABLE inbound (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    source_id        TEXT NOT NULL,
    fingerprint      BYTEA NOT NULL,
    received_at      BIGINT NOT NULL,
    event_id         TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    validation_error TEXT,
    duplicate        BOOLEAN NOT NULL
);
CREATE INDEX inbound_fingerprint ON inbound(source_id, fingerprint, received_at);
CREATE INDEX inbound_source ON inbound(tenant_id, source_id, seq);

CREATE TABLE callout_providers (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    name       TEXT NOT NULL,
    url        TEXT NOT NULL,
    timeout_ms BIGINT NOT NULL,
    headers    TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE callout_log (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    name        TEXT NOT NULL,
    at          BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    status      BIGINT,
    outcome     TEXT NOT NULL,
    error       TEXT,
    request     TEXT NOT NULL,
    response    TEXT NOT NULL
);
CREATE INDEX callout_log_name ON callout_log(tenant_id, name, seq);
"#,
    // 2: the queue apart from the log (see `queue.rs`): claims and outcomes work on a small table of unfinished
    // deliveries; `deliveries` loses the indexes on its state, so its updates are in place (HOT).
    r#"
CREATE TABLE delivery_queue (
    seq             BIGINT PRIMARY KEY,          -- deliveries.seq: publish order, which ordering keys compare
    endpoint_id     TEXT NOT NULL,
    ordering_key    TEXT,
    next_attempt_at BIGINT NOT NULL,             -- due time; the lease's end while leased
    leased          BOOLEAN NOT NULL DEFAULT FALSE,
    lease_token     BIGINT,
    lease_owner     TEXT
) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
        autovacuum_vacuum_cost_delay = 0);
CREATE INDEX delivery_queue_due ON delivery_queue(endpoint_id, next_attempt_at);
CREATE INDEX delivery_queue_next ON delivery_queue(next_attempt_at);
CREATE INDEX delivery_queue_ordering ON delivery_queue(endpoint_id, ordering_key, seq) WHERE ordering_key IS NOT NULL;
CREATE INDEX delivery_queue_owner ON delivery_queue(lease_owner) WHERE leased;
INSERT INTO delivery_queue (seq, endpoint_id, ordering_key, next_attempt_at, leased, lease_token, lease_owner)
    SELECT seq, endpoint_id, ordering_key, next_attempt_at, state = 'in_flight', lease_token, lease_owner
    FROM deliveries WHERE state IN ('pending', 'retrying', 'in_flight');
DROP INDEX deliveries_due;
DROP INDEX deliveries_queue;
DROP INDEX deliveries_ordering;
DROP INDEX deliveries_in_flight;
DROP INDEX deliveries_lease_owner;
DROP INDEX deliveries_endpoint;
CREATE INDEX deliveries_endpoint ON deliveries(endpoint_id, created_at);
ALTER TABLE deliveries SET (fillfactor = 80);
"#,
    // 3: refused inbound requests (no body), the newest of each source.
    r#"
CREATE TABLE inbound_refusals (
    seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    at        BIGINT NOT NULL,
    status    BIGINT NOT NULL,
    reason    TEXT NOT NULL,
    address   TEXT
);
CREATE INDEX inbound_refusals_source ON inbound_refusals(source_id, seq);
"#,
    // 4: the attempt log keeps the request as sent (secrets masked) and the response's headers.
    r#"
ALTER TABLE attempts ADD COLUMN request TEXT;
ALTER TABLE attempts ADD COLUMN response_headers TEXT;
"#,
    // 5: delivery statistics per endpoint and minute (kurir-core's stats: 14 latency buckets), added to as
    // outcomes are written, so charts and health never scan the attempt log.
    r#"
CREATE TABLE attempt_stats (
    tenant_id   TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    minute      BIGINT NOT NULL,
    succeeded   BIGINT NOT NULL, failed BIGINT NOT NULL,
    lat_0 BIGINT NOT NULL, lat_1 BIGINT NOT NULL, lat_2 BIGINT NOT NULL, lat_3 BIGINT NOT NULL,
    lat_4 BIGINT NOT NULL, lat_5 BIGINT NOT NULL, lat_6 BIGINT NOT NULL, lat_7 BIGINT NOT NULL,
    lat_8 BIGINT NOT NULL, lat_9 BIGINT NOT NULL, lat_10 BIGINT NOT NULL, lat_11 BIGINT NOT NULL,
    lat_12 BIGINT NOT NULL, lat_13 BIGINT NOT NULL,
    PRIMARY KEY (endpoint_id, minute)
);
CREATE INDEX attempt_stats_tenant ON attempt_stats(tenant_id, minute);
"#,
    // 6: a tenant's publish rate limit (events a second; NULL: none).
    "ALTER TABLE tenants ADD COLUMN publish_rate BIGINT;",
    // 7: how many days a tenant's history is kept (NULL: the server's default).
    "ALTER TABLE tenants ADD COLUMN retention_days BIGINT;",
    // 8: backfills, and the index they walk a tenant's events by in publish order.
    r#"
CREATE TABLE backfills (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    endpoint_id TEXT NOT NULL,
    since_ms    BIGINT NOT NULL,
    until_ms    BIGINT,
    event_types TEXT,
    cursor      BIGINT,
    state       TEXT NOT NULL,
    scanned     BIGINT NOT NULL,
    queued      BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX backfills_tenant ON backfills(tenant_id, id);
CREATE INDEX backfills_running ON backfills(state) WHERE state = 'running';
CREATE INDEX events_tenant_seq ON events(tenant_id, seq);
"#,
    // 9: whether UpdateWebhook's endpoints carry kurir's signature headers beside ZORT's own.
    "ALTER TABLE tenants ADD COLUMN zort_signature_headers BOOLEAN NOT NULL DEFAULT TRUE;",
    // 10: an endpoint's own in-flight limit (NULL: the server's).
    "ALTER TABLE endpoints ADD COLUMN max_in_flight BIGINT;",
    // 11: an endpoint's own circuit settings (NULL: the server's).
    "ALTER TABLE endpoints ADD COLUMN circuit_failures BIGINT, ADD COLUMN circuit_cooldown_ms BIGINT;",
    // 12: an endpoint's own rate limit, and its state (the next delivery's theoretical time, and until when the
    // endpoint waits for it).
    r#"
ALTER TABLE endpoints ADD COLUMN rate_count BIGINT, ADD COLUMN rate_period_ms BIGINT;
ALTER TABLE endpoint_health ADD COLUMN rate_tat BIGINT NOT NULL DEFAULT 0,
                            ADD COLUMN rate_until BIGINT NOT NULL DEFAULT 0;
CREATE INDEX endpoint_health_rate ON endpoint_health(rate_until) WHERE rate_until > 0;
"#,
    // 13: a claim counts an endpoint's leased rows in an index of exactly those (issue 16). Once PostgreSQL
    // planned the count generically (after five uses of the statement), it walked `delivery_queue_owner`, every
    // node's leases, filtering by endpoint. The new index also serves what the old one did: releasing a node's
    // leases reads only leased rows.
    r#"
DROP INDEX delivery_queue_owner;
CREATE INDEX delivery_queue_leased ON delivery_queue(endpoint_id, next_attempt_at) WHERE leased;
"#,
    // 14: more room in each page of `deliveries` for the new versions of its rows (issue 16). A delivery's record is
    // updated twice (leased, then its outcome), never in an indexed column, so each new version can stay in its
    // page as a heap-only tuple and add nothing to the five indexes, but only if the page has room. Pages filled
    // to 80 % (migration 2) made 54 % of those updates write an entry in every index; to 70 %, 41 %; to 50 %,
    // none. The table takes about 1.6 times the space. Only pages written from now on keep half free (existing
    // ones until the table is rewritten). The change takes a lock that waits behind a vacuum of the table (see
    // `run_missing` for how long).
    "ALTER TABLE deliveries SET (fillfactor = 50);",
    // 15: deleting an event checks that no delivery still references it (the foreign key), and without an index
    // on the referencing column each check reads all of `deliveries`: retention's purge slowed with the store.
    // Built in the migration's transaction, which blocks writes to `deliveries` while it runs (seconds for
    // millions of rows).
    "CREATE INDEX deliveries_event_seq ON deliveries(event_seq);",
    // 16: an event's deliveries are read by `event_seq` (migration 15's index) everywhere, so the index by
    // `event_id` only cost every publish an entry. Dropping it waits for every running statement on the table.
    // Nodes still running an older kurir read an event's deliveries by `event_id`, by a scan now, until they are
    // upgraded too.
    "DROP INDEX deliveries_event;",
    // 17: retention deletes a tenant's log rows older than its cutoff; with no index by tenant and time it read
    // the tenant's whole inbound and call-out logs on every pass, even when nothing was old enough.
    r#"
CREATE INDEX inbound_received ON inbound(tenant_id, received_at);
CREATE INDEX callout_log_at ON callout_log(tenant_id, at);
"#,
    // 18: the event list goes by `seq` through `events_tenant_seq`, so the index by tenant and id only cost every
    // publish an entry. Nodes still running an older kurir list events by a scan of the tenant's, until upgraded.
    "DROP INDEX events_tenant;",
];

/// Brings the database up to the current schema, holding the migration lock meanwhile.
pub(crate) async fn migrate(client: &mut Client) -> Result<(), StoreError> {
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK]).await.map_err(pg_error)?;
    let result = run_missing(client).await;
    let unlocked = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]).await.map_err(pg_error);
    result.and(unlocked.map(|_| ()))
}

async fn run_missing(client: &mut Client) -> Result<(), StoreError> {
    client
        .batch_execute("CREATE TABLE IF NOT EXISTS kurir_schema (version BIGINT NOT NULL)")
        .await
        .map_err(pg_error)?;
    let applied: i64 =
        client.query_one("SELECT COALESCE(MAX(version), 0) FROM kurir_schema", &[]).await.map_err(pg_error)?.get(0);
    if applied > MIGRATIONS.len() as i64 {
        return Err(StoreError::Config(format!(
            "the database has schema version {applied}, newer than this kurir knows ({}); run a newer kurir",
            MIGRATIONS.len()
        )));
    }
    let tx = client.transaction().await.map_err(pg_error)?;
    // A migration that changes a table waits for the statements using it, and behind a vacuum of it (an
    // anti-wraparound one is never cancelled), while every other node waits for the migration lock: a bounded
    // wait fails the start with PostgreSQL's lock timeout error, to be tried again, rather than hanging it.
    tx.batch_execute("SET LOCAL lock_timeout = '30s'").await.map_err(pg_error)?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied as usize) {
        tx.batch_execute(sql).await.map_err(pg_error)?;
        tx.execute("INSERT INTO kurir_schema (version) VALUES ($1)", &[&(index as i64 + 1)]).await.map_err(pg_error)?;
    }
    tx.commit().await.map_err(pg_error)
}

#[cfg(test)]
mod tests {
    /// Deleting a referenced row makes PostgreSQL look for the rows that reference it; without an index leading
    /// with the referencing column, that is a read of the whole referencing table per row.
    #[tokio::test]
    async fn every_foreign_key_has_an_index_on_its_column() {
        let (_store, client) = super::super::test_store("foreign_keys").await;
        let rows = client
            .query(
                "SELECT c.conrelid::regclass::text, a.attname,
                        EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1]
                                                          AND i.indpred IS NULL AND i.indisvalid)
                 FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                 WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace",
                &[],
            )
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        assert!(rows.len() >= 7, "the schema's foreign keys were found ({})", rows.len());
        for row in rows {
            let (table, column, indexed): (String, String, bool) = (row.get(0), row.get(1), row.get(2));
            assert!(indexed, "{table}.{column} references another table but leads no index");
        }
    }
}
