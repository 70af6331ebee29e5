//! The SQLite schema and its migrations. `PRAGMA user_version` records how many migrations ran; each start runs
//! the missing ones in one transaction, so a database is never left half-migrated.

use rusqlite::Connection;

use crate::StoreError;

/// Each entry is one migration; append, never edit a released one.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    secret_hash BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX api_keys_tenant ON api_keys(tenant_id);

CREATE TABLE endpoints (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    url             TEXT NOT NULL,
    dialect         TEXT NOT NULL,
    description     TEXT NOT NULL,
    event_types     TEXT,             -- JSON array, NULL = every type
    headers         TEXT NOT NULL,    -- JSON object
    secrets         TEXT NOT NULL,    -- JSON array of {secret, expires_at_ms}
    retry_schedule  TEXT,             -- JSON array of seconds, NULL = default
    timeout_ms      INTEGER NOT NULL,
    enabled         INTEGER NOT NULL,
    disabled_reason TEXT,
    owner_key       TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX endpoints_tenant ON endpoints(tenant_id);

CREATE TABLE event_types (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    schema      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE events (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    tenant_id       TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    ordering_key    TEXT,
    origin_key      TEXT,
    idempotency_key TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX events_tenant ON events(tenant_id, id);
CREATE UNIQUE INDEX events_idempotency ON events(tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE deliveries (
    seq             INTEGER PRIMARY KEY,  -- publish order: ordering keys compare it
    id              TEXT NOT NULL UNIQUE,
    tenant_id       TEXT NOT NULL,
    event_seq       INTEGER NOT NULL REFERENCES events(seq),
    event_id        TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    ordering_key    TEXT,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,     -- due time; the lease's end while in flight
    lease_token     INTEGER,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX deliveries_due ON deliveries(next_attempt_at)
    WHERE state IN ('pending', 'retrying', 'in_flight');
CREATE INDEX deliveries_ordering ON deliveries(endpoint_id, ordering_key, seq)
    WHERE ordering_key IS NOT NULL AND state IN ('pending', 'retrying', 'in_flight');
CREATE INDEX deliveries_tenant ON deliveries(tenant_id, seq);
CREATE INDEX deliveries_event ON deliveries(event_id);
CREATE INDEX deliveries_endpoint ON deliveries(endpoint_id, state, created_at);

CREATE TABLE attempts (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    tenant_id   TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    attempt_no  INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    status      INTEGER,
    error_kind  TEXT,
    error       TEXT,
    response    TEXT NOT NULL
);
CREATE INDEX attempts_delivery ON attempts(delivery_id, seq);
"#,
    // 2: the dealpos and zort dialects.
    r#"
ALTER TABLE endpoints ADD COLUMN zort_keys TEXT;  -- JSON {key1, key2, key3}
ALTER TABLE endpoints ADD COLUMN signature_headers INTEGER NOT NULL DEFAULT 1;
ALTER TABLE events ADD COLUMN params TEXT;        -- JSON {id, number, paymentstatus}
"#,
    // 3: inbound sources and their log.
    r#"
CREATE TABLE sources (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    name       TEXT NOT NULL,
    verify     TEXT NOT NULL,  -- JSON, by dialect
    strict     INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX sources_tenant ON sources(tenant_id);

CREATE TABLE inbound (
    seq              INTEGER PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    source_id        TEXT NOT NULL,
    fingerprint      BLOB NOT NULL,
    received_at      INTEGER NOT NULL,
    event_id         TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    validation_error TEXT,
    duplicate        INTEGER NOT NULL
);
CREATE INDEX inbound_fingerprint ON inbound(source_id, fingerprint, received_at);
CREATE INDEX inbound_source ON inbound(tenant_id, source_id, seq);
"#,
    // 4: DealPOS's webhook-log modes, per tenant.
    r#"
ALTER TABLE tenants ADD COLUMN attempt_log TEXT NOT NULL DEFAULT 'full';
"#,
    // 5: OAuth 2.0 client credentials towards endpoints.
    r#"
ALTER TABLE endpoints ADD COLUMN auth TEXT;  -- JSON {oauth2: {token_url, client_id, client_secret, scope}}
"#,
    // 6: the loyalty call-outs.
    r#"
CREATE TABLE callout_providers (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    name       TEXT NOT NULL,
    url        TEXT NOT NULL,
    timeout_ms INTEGER NOT NULL,
    headers    TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE callout_log (
    seq         INTEGER PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    name        TEXT NOT NULL,
    at          INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    status      INTEGER,
    outcome     TEXT NOT NULL,
    error       TEXT,
    request     TEXT NOT NULL,
    response    TEXT NOT NULL
);
CREATE INDEX callout_log_name ON callout_log(tenant_id, name, seq);
"#,
    // 7: the store contract for many processes: leases name their node; claims go endpoint by endpoint, with
    // each endpoint's circuit breaker stored and shared.
    r#"
ALTER TABLE deliveries ADD COLUMN lease_owner TEXT;
CREATE TABLE endpoint_health (
    endpoint_id TEXT PRIMARY KEY,
    circuit     TEXT NOT NULL DEFAULT 'closed 0',  -- kurir-core's Circuit::encode
    held_until  INTEGER NOT NULL DEFAULT 0         -- Circuit::held_until, 0 when not held
);
INSERT INTO endpoint_health (endpoint_id) SELECT id FROM endpoints;
CREATE INDEX endpoint_health_held ON endpoint_health(held_until) WHERE held_until > 0;
CREATE INDEX deliveries_queue ON deliveries(endpoint_id, next_attempt_at)
    WHERE state IN ('pending', 'retrying', 'in_flight');
CREATE INDEX deliveries_in_flight ON deliveries(endpoint_id, next_attempt_at) WHERE state = 'in_flight';
CREATE INDEX deliveries_lease_owner ON deliveries(lease_owner) WHERE state = 'in_flight';
"#,
    // 8: refused inbound requests (no body), the newest of each source.
    r#"
CREATE TABLE inbound_refusals (
    seq       INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    at        INTEGER NOT NULL,
    status    INTEGER NOT NULL,
    reason    TEXT NOT NULL,
    address   TEXT
);
CREATE INDEX inbound_refusals_source ON inbound_refusals(source_id, seq);
"#,
    // 9: the attempt log keeps the request as sent (secrets masked) and the response's headers.
    r#"
ALTER TABLE attempts ADD COLUMN request TEXT;
ALTER TABLE attempts ADD COLUMN response_headers TEXT;
"#,
    // 10: delivery statistics per endpoint and minute (kurir-core's stats: 14 latency buckets), added to as
    // outcomes are written, so charts and health never scan the attempt log.
    r#"
CREATE TABLE attempt_stats (
    tenant_id   TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    minute      INTEGER NOT NULL,
    succeeded   INTEGER NOT NULL, failed INTEGER NOT NULL,
    lat_0 INTEGER NOT NULL, lat_1 INTEGER NOT NULL, lat_2 INTEGER NOT NULL, lat_3 INTEGER NOT NULL,
    lat_4 INTEGER NOT NULL, lat_5 INTEGER NOT NULL, lat_6 INTEGER NOT NULL, lat_7 INTEGER NOT NULL,
    lat_8 INTEGER NOT NULL, lat_9 INTEGER NOT NULL, lat_10 INTEGER NOT NULL, lat_11 INTEGER NOT NULL,
    lat_12 INTEGER NOT NULL, lat_13 INTEGER NOT NULL,
    PRIMARY KEY (endpoint_id, minute)
);
CREATE INDEX attempt_stats_tenant ON attempt_stats(tenant_id, minute);
"#,
    // 11: a tenant's publish rate limit (events a second; NULL: none).
    "ALTER TABLE tenants ADD COLUMN publish_rate INTEGER;",
    // 12: how many days a tenant's history is kept (NULL: the server's default).
    "ALTER TABLE tenants ADD COLUMN retention_days INTEGER;",
    // 13: backfills, and the index they walk a tenant's events by in publish order.
    r#"
CREATE TABLE backfills (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    endpoint_id TEXT NOT NULL,
    since_ms    INTEGER NOT NULL,
    until_ms    INTEGER,
    event_types TEXT,
    cursor      INTEGER,
    state       TEXT NOT NULL,
    scanned     INTEGER NOT NULL,
    queued      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX backfills_tenant ON backfills(tenant_id, id);
CREATE INDEX backfills_running ON backfills(state) WHERE state = 'running';
CREATE INDEX events_tenant_seq ON events(tenant_id, seq);
"#,
    // 14: whether UpdateWebhook's endpoints carry kurir's signature headers beside ZORT's own.
    "ALTER TABLE tenants ADD COLUMN zort_signature_headers INTEGER NOT NULL DEFAULT 1;",
    // 15: an endpoint's own in-flight limit (NULL: the server's).
    "ALTER TABLE endpoints ADD COLUMN max_in_flight INTEGER;",
    // 16: an endpoint's own circuit settings (NULL: the server's).
    "ALTER TABLE endpoints ADD COLUMN circuit_failures INTEGER; ALTER TABLE endpoints ADD COLUMN circuit_cooldown_ms INTEGER;",
    // 17: an endpoint's own rate limit, and its state (the next delivery's theoretical time, and until when the
    // endpoint waits for it).
    r#"
ALTER TABLE endpoints ADD COLUMN rate_count INTEGER;
ALTER TABLE endpoints ADD COLUMN rate_period_ms INTEGER;
ALTER TABLE endpoint_health ADD COLUMN rate_tat INTEGER NOT NULL DEFAULT 0;
ALTER TABLE endpoint_health ADD COLUMN rate_until INTEGER NOT NULL DEFAULT 0;
CREATE INDEX endpoint_health_rate ON endpoint_health(rate_until) WHERE rate_until > 0;
"#,
    // 18: fewer index entries to write per delivery (issue 16). A delivery changes state three times; each change
    // rewrote its entries in every index keyed or filtered by state. The dispatcher's reads all go through
    // `deliveries_queue` and `deliveries_in_flight` now; an endpoint's log is listed by `seq`; a recovery finds
    // the dead ones in an index that only they enter.
    r#"
DROP INDEX deliveries_due;
DROP INDEX deliveries_lease_owner;
DROP INDEX deliveries_endpoint;
CREATE INDEX deliveries_by_endpoint ON deliveries(endpoint_id, seq);
CREATE INDEX deliveries_dead ON deliveries(endpoint_id, created_at) WHERE state = 'dead';
"#,
    // 19: deleting an event checks that no delivery still references it (the foreign key), and without an index
    // on the referencing column that check read every delivery: retention deleting 200 events from a store of
    // 1,260,000 deliveries held the writer for 24 s (issue 16: a tail that grows with the store).
    "CREATE INDEX deliveries_event_seq ON deliveries(event_seq);",
    // 20: an event's deliveries are read by `event_seq` (migration 19's index) everywhere, so the index by
    // `event_id` only cost every publish an entry.
    "DROP INDEX deliveries_event;",
    // 21: retention deletes a tenant's log rows older than its cutoff; with no index by tenant and time it read
    // the tenant's whole inbound and call-out logs on every pass, even when nothing was old enough (0.27 s of
    // the writer for 1,000,000 inbound rows, every five minutes, growing with the log).
    r#"
CREATE INDEX inbound_received ON inbound(tenant_id, received_at);
CREATE INDEX callout_log_at ON callout_log(tenant_id, at);
"#,
    // 22: the partial indexes of unfinished deliveries say so with comparisons, not `state IN (...)`, which SQLite
    // evaluated through a temporary b-tree built for every insert and update of a delivery (see
    // `sql::unfinished`, whose text these conditions are).
    r#"
DROP INDEX deliveries_queue;
CREATE INDEX deliveries_queue ON deliveries(endpoint_id, next_attempt_at)
    WHERE (state = 'pending' OR state = 'retrying' OR state = 'in_flight');
DROP INDEX deliveries_ordering;
CREATE INDEX deliveries_ordering ON deliveries(endpoint_id, ordering_key, seq)
    WHERE ordering_key IS NOT NULL AND (state = 'pending' OR state = 'retrying' OR state = 'in_flight');
"#,
    // 23: the event list goes by `seq` (publish order) through `events_tenant_seq`, so the index by tenant and id
    // only cost every publish an entry (about a fifteenth of the pages a paced publish writes).
    "DROP INDEX events_tenant;",
    // 24: an attempt's id is not unique-indexed: nothing reads an attempt by its id (they are read by delivery),
    // and the index cost every outcome a b-tree (7 % of the CPU per event at 1,000 events/s). (PostgreSQL keeps
    // its index, which stops a batch retried after a lost `COMMIT` answer; SQLite's commits answer in-process.)
    // SQLite drops a column's UNIQUE only by copying the table: a one-time cost at the upgrade, in the migration's
    // transaction (13 s for 1,248,000 attempts on the benchmark machine); the file keeps the old table's pages as
    // free pages, which later writes reuse.
    r#"
CREATE TABLE attempts_new (
    seq              INTEGER PRIMARY KEY,
    id               TEXT NOT NULL,
    tenant_id        TEXT NOT NULL,
    delivery_id      TEXT NOT NULL,
    attempt_no       INTEGER NOT NULL,
    started_at       INTEGER NOT NULL,
    duration_ms      INTEGER NOT NULL,
    status           INTEGER,
    error_kind       TEXT,
    error            TEXT,
    response         TEXT NOT NULL,
    request          TEXT,
    response_headers TEXT
);
INSERT INTO attempts_new (seq, id, tenant_id, delivery_id, attempt_no, started_at, duration_ms, status, error_kind,
                          error, response, request, response_headers)
    SELECT seq, id, tenant_id, delivery_id, attempt_no, started_at, duration_ms, status, error_kind, error,
           response, request, response_headers
    FROM attempts;
DROP TABLE attempts;
ALTER TABLE attempts_new RENAME TO attempts;
CREATE INDEX attempts_delivery ON attempts(delivery_id, seq);
"#,
];

/// The schema version a fully migrated database has.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to the current schema.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let applied: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if applied > MIGRATIONS.len() as i64 {
        return Err(StoreError::Config(format!(
            "the database has schema version {applied}, newer than this kurir knows ({}); run a newer kurir",
            MIGRATIONS.len()
        )));
    }
    let tx = conn.transaction()?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
    }
    tx.commit()?;
    if applied < MIGRATIONS.len() as i64 {
        // A migration that copies a table (24) grows the WAL to the table's size, and SQLite keeps a WAL file at
        // its largest until told otherwise.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The steps of `sql`'s query plan, its parameters unbound.
    fn query_plan(conn: &Connection, sql: &str) -> Result<Vec<String>, StoreError> {
        explained(conn, "EXPLAIN QUERY PLAN", sql, 3)
    }

    /// Column `column` of each row `how` (`EXPLAIN`, `EXPLAIN QUERY PLAN`) says of `sql`, its parameters unbound.
    fn explained(conn: &Connection, how: &str, sql: &str, column: usize) -> Result<Vec<String>, StoreError> {
        let mut explain = conn.prepare(&format!("{how} {sql}"))?;
        let unbound = vec![rusqlite::types::Null; explain.parameter_count()];
        let rows = explain.query_map(rusqlite::params_from_iter(unbound), |row| row.get(column))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The first column of each index of `table` that is not partial (a partial index cannot answer a foreign
    /// key's check); an index on an expression has none.
    fn leading_columns(conn: &Connection, table: &str) -> Result<Vec<String>, StoreError> {
        let mut firsts = Vec::new();
        let indexes: Vec<String> = conn
            .prepare(&format!("SELECT name FROM pragma_index_list('{table}') WHERE partial = 0"))?
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        for index in indexes {
            let first: Option<String> =
                conn.query_row(&format!("SELECT name FROM pragma_index_info('{index}') WHERE seqno = 0"), [], |row| {
                    row.get(0)
                })?;
            firsts.extend(first);
        }
        Ok(firsts)
    }

    /// Deleting or changing a referenced row makes SQLite look for the rows that reference it; without an index
    /// leading with the referencing column, that is a read of the whole referencing table per row.
    #[test]
    fn every_foreign_key_has_an_index_on_its_column() -> Result<(), StoreError> {
        let mut conn = Connection::open_in_memory()?;
        conn.pragma_update(None, "foreign_keys", true)?;
        migrate(&mut conn)?;
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")?
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        let mut checked = 0;
        for table in &tables {
            let keys: Vec<String> = conn
                .prepare(&format!("PRAGMA foreign_key_list({table})"))?
                .query_map([], |row| row.get(3))?
                .collect::<Result<_, _>>()?;
            let indexed = leading_columns(&conn, table)?;
            for column in keys {
                assert!(indexed.contains(&column), "{table}.{column} references another table but leads no index");
                checked += 1;
            }
        }
        assert!(checked >= 7, "the schema's foreign keys were found ({checked})");
        // The foreign key's check, and the statements that read or purge an event's deliveries.
        let expired = crate::retention::expired_events_sql('?');
        let mut statements =
            vec!["DELETE FROM events WHERE seq = 1", &expired, &super::super::events::EVENT_DELIVERIES_SQL];
        statements.push(super::super::events::REMEMBERED_DELIVERIES_SQL);
        statements.extend(super::super::retention::PURGE_EVENT_SQL);
        for sql in statements {
            let plan = query_plan(&conn, sql)?;
            // A step on `deliveries`, by name or by the alias `d` (`expired_events_sql`).
            let on_deliveries = |step: &&String| {
                ["SCAN deliveries", "SEARCH deliveries", "SCAN d ", "SEARCH d "].iter().any(|s| step.starts_with(s))
            };
            let mut reads = plan.iter().filter(on_deliveries).peekable();
            assert!(reads.peek().is_some(), "{sql} reads deliveries: {plan:?}");
            assert!(reads.all(|step| step.contains("deliveries_event_seq (event_seq=?)")), "{sql}: {plan:?}");
        }
        Ok(())
    }

    /// How many temporary b-trees a run of `sql` builds (`OpenEphemeral`): each is a b-tree, a pager and a page
    /// cache set up and torn down again, on every run of the statement.
    fn temporary_btrees(conn: &Connection, sql: &str) -> Result<usize, StoreError> {
        let opcodes = explained(conn, "EXPLAIN", sql, 1)?;
        Ok(opcodes.iter().filter(|opcode| *opcode == "OpenEphemeral").count())
    }

    /// The partial indexes of unfinished deliveries are declared with `sql::unfinished`'s text (a query uses them
    /// only if its condition contains theirs), and keeping them up to date costs a delivery's insert and its
    /// changes of state no temporary b-tree (`state IN (...)` of three values built one per index and row).
    #[test]
    fn unfinished_deliveries_are_indexed_without_temporary_btrees() -> Result<(), StoreError> {
        let mut conn = Connection::open_in_memory()?;
        migrate(&mut conn)?;
        for index in ["deliveries_queue", "deliveries_ordering"] {
            let declared: String =
                conn.query_row("SELECT sql FROM sqlite_master WHERE name = ?1", [index], |row| row.get(0))?;
            assert!(declared.contains(&crate::sql::unfinished("")), "{index}: {declared}");
        }
        let insert =
            "INSERT INTO deliveries (id, tenant_id, event_seq, event_id, endpoint_id, event_type, ordering_key,
                          state, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        let change_state = "UPDATE deliveries SET state = ?1, next_attempt_at = ?2 WHERE seq = ?3";
        for sql in [insert, change_state] {
            assert_eq!(temporary_btrees(&conn, sql)?, 0, "{sql}");
        }
        // The check can fail: the old declaration's list does build them.
        conn.execute_batch(
            "DROP INDEX deliveries_queue;
             CREATE INDEX deliveries_queue ON deliveries(endpoint_id, next_attempt_at)
                 WHERE state IN ('pending', 'retrying', 'in_flight');",
        )?;
        assert!(temporary_btrees(&conn, change_state)? > 0);
        Ok(())
    }

    /// Migration 24 copies the attempts into a table without the unique index on their id, every column and the
    /// `seq` order kept, and the next attempt still follows the last.
    #[test]
    fn attempts_keep_every_column_without_a_unique_index_on_their_id() -> Result<(), StoreError> {
        let mut conn = Connection::open_in_memory()?;
        for sql in &MIGRATIONS[..23] {
            conn.execute_batch(sql)?;
        }
        conn.pragma_update(None, "user_version", 23)?;
        let columns = crate::sql::ATTEMPT_COLUMNS;
        let values = "?1, 't', 'd', ?2, 5, 6, 200, 'timeout', 'slow', 'ok', '{}', '[]'";
        let insert = format!("INSERT INTO attempts ({columns}, seq) VALUES ({values}, ?3)");
        for (id, attempt_no, seq) in [("att_a", 1, 7), ("att_b", 2, 9)] {
            conn.execute(&insert, rusqlite::params![id, attempt_no, seq])?;
        }
        let every_column = format!(
            "SELECT seq || '|' || quote({}) FROM attempts ORDER BY seq",
            columns.replace(", ", ") || '|' || quote(")
        );
        let read = |conn: &Connection| -> Result<Vec<String>, StoreError> {
            Ok(conn.prepare(&every_column)?.query_map([], |row| row.get(0))?.collect::<Result<_, _>>()?)
        };
        let before = read(&conn)?;
        migrate(&mut conn)?;
        assert_eq!((before.len(), read(&conn)?), (2, before));
        let unique: i64 =
            conn.query_row("SELECT COUNT(*) FROM pragma_index_list('attempts') WHERE \"unique\"", [], |r| r.get(0))?;
        assert_eq!(unique, 0, "no unique index on attempts");
        let plan =
            query_plan(&conn, "SELECT seq FROM attempts WHERE tenant_id = ?1 AND delivery_id = ?2 ORDER BY seq")?;
        assert!(plan.iter().any(|step| step.contains("attempts_delivery")), "{plan:?}");
        conn.execute(&format!("INSERT INTO attempts ({columns}) VALUES ({values})"), rusqlite::params!["att_c", 3])?;
        let last: i64 = conn.query_row("SELECT seq FROM attempts WHERE id = 'att_c'", [], |r| r.get(0))?;
        assert_eq!(last, 10, "after the last seq");
        Ok(())
    }

    /// Retention finds a tenant's old events by tenant and `seq`, below a bound it seeks by id, without sorting.
    #[test]
    fn retention_finds_old_events_by_tenant_and_seq() -> Result<(), StoreError> {
        let mut conn = Connection::open_in_memory()?;
        migrate(&mut conn)?;
        let plan = query_plan(&conn, &crate::retention::expired_events_sql('?'))?;
        let on_events: Vec<&String> =
            plan.iter().filter(|step| step.contains(" e USING") || step.contains(" b USING")).collect();
        assert!(on_events.iter().any(|step| step.contains("events_tenant_seq (tenant_id=? AND seq<?)")), "{plan:?}");
        assert!(on_events.iter().any(|step| step.contains("(id>?)")), "the bound is one seek by id: {plan:?}");
        assert!(!plan.iter().any(|step| step.contains("TEMP B-TREE")), "{plan:?}");
        Ok(())
    }

    /// Retention's bounded deletes of the logs find old rows by tenant and time, not by reading the tenant's log.
    #[test]
    fn retention_finds_old_log_rows_by_tenant_and_time() -> Result<(), StoreError> {
        let mut conn = Connection::open_in_memory()?;
        migrate(&mut conn)?;
        for (sql, _) in crate::retention::log_deletes('?') {
            let plan = query_plan(&conn, &sql)?;
            // The inner select's step: by tenant, and by time within it (`tenant_id=? AND at<?`).
            let by_tenant: Vec<&String> = plan.iter().filter(|step| step.contains("tenant_id=?")).collect();
            assert!(!by_tenant.is_empty(), "{sql}: {plan:?}");
            assert!(by_tenant.iter().all(|step| step.contains("<?)")), "{sql}: {plan:?}");
        }
        Ok(())
    }
}
