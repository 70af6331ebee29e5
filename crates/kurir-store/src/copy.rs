//! Moving up: copying a whole SQLite store into PostgreSQL (`kurir store copy`).
//!
//! Rows are copied as they are stored, table by table, in an order that keeps references valid: sealed
//! secrets stay sealed (and open with the same secret key), sequence numbers are kept (so publish order, which
//! ordering keys compare, is kept), and deliveries keep their states and attempts. Every insert is
//! `ON CONFLICT DO NOTHING`, so a second run after an interruption finishes the job without duplicating a row.
//! At the end each table's rows are counted on both sides, and the unfinished deliveries are queued.

use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use tokio_postgres::types::ToSql;

use crate::postgres::{pg_error, PgStore};
use crate::sealed::{opens_check, KEY_CHECK};
use crate::secrets::SecretBox;
use crate::{Result, StoreError};

/// How a column is typed in PostgreSQL (SQLite stores flags as 0/1 integers).
#[derive(Clone, Copy)]
enum Kind {
    Int,
    Text,
    Blob,
    Bool,
}

use Kind::{Blob, Bool, Int, Text};

/// One table: its name, its columns, and whether its `seq` is an identity whose counter must be moved on.
struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Kind)],
    identity: bool,
}

/// Every table, parents before children.
const TABLES: &[Table] = &[
    Table { name: "settings", columns: &[("key", Text), ("value", Blob)], identity: false },
    Table {
        name: "tenants",
        columns: &[
            ("id", Text),
            ("name", Text),
            ("created_at", Int),
            ("attempt_log", Text),
            ("publish_rate", Int),
            ("retention_days", Int),
            ("zort_signature_headers", Bool),
        ],
        identity: false,
    },
    Table {
        name: "api_keys",
        columns: &[
            ("id", Text),
            ("tenant_id", Text),
            ("name", Text),
            ("secret_hash", Blob),
            ("created_at", Int),
            ("revoked_at", Int),
        ],
        identity: false,
    },
    Table {
        name: "endpoints",
        columns: &[
            ("id", Text),
            ("tenant_id", Text),
            ("url", Text),
            ("dialect", Text),
            ("description", Text),
            ("event_types", Text),
            ("headers", Text),
            ("secrets", Text),
            ("retry_schedule", Text),
            ("timeout_ms", Int),
            ("enabled", Bool),
            ("disabled_reason", Text),
            ("owner_key", Text),
            ("created_at", Int),
            ("updated_at", Int),
            ("zort_keys", Text),
            ("signature_headers", Bool),
            ("auth", Text),
            ("max_in_flight", Int),
            ("circuit_failures", Int),
            ("circuit_cooldown_ms", Int),
            ("rate_count", Int),
            ("rate_period_ms", Int),
        ],
        identity: false,
    },
    Table {
        name: "endpoint_health",
        columns: &[
            ("endpoint_id", Text),
            ("circuit", Text),
            ("held_until", Int),
            ("rate_tat", Int),
            ("rate_until", Int),
        ],
        identity: false,
    },
    Table {
        name: "event_types",
        columns: &[("tenant_id", Text), ("name", Text), ("description", Text), ("schema", Text), ("created_at", Int)],
        identity: false,
    },
    Table {
        name: "sources",
        columns: &[
            ("id", Text),
            ("tenant_id", Text),
            ("name", Text),
            ("verify", Text),
            ("strict", Bool),
            ("created_at", Int),
        ],
        identity: false,
    },
    Table {
        name: "callout_providers",
        columns: &[
            ("tenant_id", Text),
            ("name", Text),
            ("url", Text),
            ("timeout_ms", Int),
            ("headers", Text),
            ("updated_at", Int),
        ],
        identity: false,
    },
    Table {
        name: "backfills",
        columns: &[
            ("id", Text),
            ("tenant_id", Text),
            ("endpoint_id", Text),
            ("since_ms", Int),
            ("until_ms", Int),
            ("event_types", Text),
            ("cursor", Int),
            ("state", Text),
            ("scanned", Int),
            ("queued", Int),
            ("created_at", Int),
            ("updated_at", Int),
        ],
        identity: false,
    },
    Table {
        name: "events",
        columns: &[
            ("seq", Int),
            ("id", Text),
            ("tenant_id", Text),
            ("event_type", Text),
            ("payload", Text),
            ("ordering_key", Text),
            ("origin_key", Text),
            ("idempotency_key", Text),
            ("created_at", Int),
            ("params", Text),
        ],
        identity: true,
    },
    Table {
        name: "deliveries",
        columns: &[
            ("seq", Int),
            ("id", Text),
            ("tenant_id", Text),
            ("event_seq", Int),
            ("event_id", Text),
            ("endpoint_id", Text),
            ("event_type", Text),
            ("ordering_key", Text),
            ("state", Text),
            ("attempts", Int),
            ("next_attempt_at", Int),
            ("lease_token", Int),
            ("lease_owner", Text),
            ("last_status", Int),
            ("last_error", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
        identity: true,
    },
    Table {
        name: "attempts",
        columns: &[
            ("seq", Int),
            ("id", Text),
            ("tenant_id", Text),
            ("delivery_id", Text),
            ("attempt_no", Int),
            ("started_at", Int),
            ("duration_ms", Int),
            ("status", Int),
            ("error_kind", Text),
            ("error", Text),
            ("response", Text),
            ("request", Text),
            ("response_headers", Text),
        ],
        identity: true,
    },
    Table {
        name: "attempt_stats",
        columns: &[
            ("tenant_id", Text),
            ("endpoint_id", Text),
            ("minute", Int),
            ("succeeded", Int),
            ("failed", Int),
            ("lat_0", Int),
            ("lat_1", Int),
            ("lat_2", Int),
            ("lat_3", Int),
            ("lat_4", Int),
            ("lat_5", Int),
            ("lat_6", Int),
            ("lat_7", Int),
            ("lat_8", Int),
            ("lat_9", Int),
            ("lat_10", Int),
            ("lat_11", Int),
            ("lat_12", Int),
            ("lat_13", Int),
        ],
        identity: false,
    },
    Table {
        name: "inbound",
        columns: &[
            ("seq", Int),
            ("tenant_id", Text),
            ("source_id", Text),
            ("fingerprint", Blob),
            ("received_at", Int),
            ("event_id", Text),
            ("event_type", Text),
            ("validation_error", Text),
            ("duplicate", Bool),
        ],
        identity: true,
    },
    Table {
        name: "inbound_refusals",
        columns: &[
            ("seq", Int),
            ("tenant_id", Text),
            ("source_id", Text),
            ("at", Int),
            ("status", Int),
            ("reason", Text),
            ("address", Text),
        ],
        identity: true,
    },
    Table {
        name: "callout_log",
        columns: &[
            ("seq", Int),
            ("tenant_id", Text),
            ("name", Text),
            ("at", Int),
            ("duration_ms", Int),
            ("status", Int),
            ("outcome", Text),
            ("error", Text),
            ("request", Text),
            ("response", Text),
        ],
        identity: true,
    },
];

/// Rows per read and per insert statement.
const BATCH: usize = 500;

/// How far a copy is, for a progress bar.
#[derive(Debug, Clone)]
pub struct Progress {
    pub table: &'static str,
    pub copied: u64,
    pub total: u64,
}

/// One table's count check: rows in SQLite and in PostgreSQL after the copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    pub table: &'static str,
    pub source: u64,
    pub target: u64,
}

/// Every table's rows in `data_dir`'s SQLite store, before anything is copied (for a progress bar's length).
pub fn source_counts(data_dir: &Path) -> Result<Vec<(&'static str, u64)>> {
    let conn = open_source(data_dir)?;
    TABLES.iter().map(|table| Ok((table.name, count_sqlite(&conn, table.name)?))).collect()
}

/// Copies `data_dir`'s SQLite store into the PostgreSQL database at `url` (migrated first). `secrets` is the key
/// the store was sealed with; it must open the target's check value too, if the target has one. A target that
/// already holds tenants or events is refused unless `resume` (finishing an interrupted copy). Returns the
/// count check; a table whose target holds fewer rows than its source is an error.
pub async fn sqlite_to_postgres(
    data_dir: &Path,
    url: &str,
    secrets: &SecretBox,
    resume: bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<TableCount>> {
    let source = open_source(data_dir)?;
    let target = PgStore::open(url).await?;
    let mut client = target.client().await?;
    if !resume {
        let held = count_postgres(&client, "tenants").await? + count_postgres(&client, "events").await?;
        if held > 0 {
            return Err(StoreError::Config(
                "the target database already holds data; to finish a copy that was interrupted, run it again \
                 with --resume (rows already there are skipped)"
                    .into(),
            ));
        }
    }
    check_the_key(secrets, &source, &client).await?;
    for table in TABLES {
        copy_table(&source, &mut client, table, progress).await?;
    }
    // PostgreSQL keeps unfinished deliveries in its queue table too; build it from the copied rows.
    crate::postgres::queue::enqueue_unfinished(&client).await?;
    let mut counts = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let source = count_sqlite(&source, table.name)?;
        let target = count_postgres(&client, table.name).await?;
        counts.push(TableCount { table: table.name, source, target });
    }
    let short: Vec<String> = counts
        .iter()
        .filter(|c| c.target < c.source)
        .map(|c| format!("{} ({} of {})", c.table, c.target, c.source))
        .collect();
    if !short.is_empty() {
        return Err(StoreError::Config(format!("rows are missing after the copy: {}", short.join(", "))));
    }
    Ok(counts)
}

fn open_source(data_dir: &Path) -> Result<Connection> {
    let path = data_dir.join("kurir.db");
    if !path.exists() {
        return Err(StoreError::Config(format!("there is no kurir store at {}", path.display())));
    }
    refuse_a_running_kurir(data_dir)?;
    let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version < crate::sqlite::SCHEMA_VERSION {
        return Err(StoreError::Config(format!(
            "the store at {} has schema version {version}; start this kurir on it once (it migrates) and copy again",
            path.display()
        )));
    }
    Ok(conn)
}

/// A running kurir holds its data directory's `node.id` locked; copying under it would miss what it writes.
fn refuse_a_running_kurir(data_dir: &Path) -> Result<()> {
    let Ok(file) = std::fs::File::open(data_dir.join(crate::NodeId::FILE)) else { return Ok(()) };
    match file.try_lock_shared() {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Config(format!(
            "a kurir is running on {}; stop it before copying its store",
            data_dir.display()
        ))),
        Err(std::fs::TryLockError::Error(err)) => Err(err.into()),
    }
}

/// The key must open the source's secrets, and the target's too when a node already sealed with one there:
/// otherwise the copied secrets would not open with the key the nodes run with.
async fn check_the_key(secrets: &SecretBox, source: &Connection, client: &tokio_postgres::Client) -> Result<()> {
    let ours: Option<Vec<u8>> =
        source.query_row("SELECT value FROM settings WHERE key = ?1", [KEY_CHECK], |row| row.get(0)).optional()?;
    if ours.is_some_and(|ours| !opens_check(secrets, &ours)) {
        return Err(StoreError::Config(
            "the secret key is not the one this SQLite store was sealed with (set KURIR_SECRET_KEY to it)".into(),
        ));
    }
    let row = client.query_opt("SELECT value FROM settings WHERE key = $1", &[&KEY_CHECK]).await.map_err(pg_error)?;
    let theirs: Option<Vec<u8>> = row.map(|row| row.get(0));
    if theirs.is_some_and(|theirs| !opens_check(secrets, &theirs)) {
        return Err(StoreError::Config(
            "the target database was started with another secret key: the copied secrets would not open there; \
             copy into a fresh database"
                .into(),
        ));
    }
    Ok(())
}

fn count_sqlite(conn: &Connection, table: &str) -> Result<u64> {
    let count: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |row| row.get(0))?;
    Ok(u64::try_from(count).unwrap_or(0))
}

async fn count_postgres(client: &tokio_postgres::Client, table: &str) -> Result<u64> {
    let row = client.query_one(&format!("SELECT COUNT(*) FROM {table}"), &[]).await.map_err(pg_error)?;
    let count: i64 = row.get(0);
    Ok(u64::try_from(count).unwrap_or(0))
}

/// One SQLite value, typed for PostgreSQL.
#[derive(Debug)]
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Blob(Option<Vec<u8>>),
    Bool(Option<bool>),
}

impl Value {
    fn read(value: ValueRef<'_>, kind: Kind, table: &'static str, column: &str) -> Result<Value> {
        let wrong = || StoreError::corrupt(table, format!("column {column} holds an unexpected type"));
        Ok(match (kind, value) {
            (Int, ValueRef::Null) => Value::Int(None),
            (Int, ValueRef::Integer(n)) => Value::Int(Some(n)),
            (Bool, ValueRef::Null) => Value::Bool(None),
            (Bool, ValueRef::Integer(n)) => Value::Bool(Some(n != 0)),
            (Text, ValueRef::Null) => Value::Text(None),
            (Text, ValueRef::Text(bytes)) => Value::Text(Some(String::from_utf8(bytes.to_vec()).map_err(|_| wrong())?)),
            (Blob, ValueRef::Null) => Value::Blob(None),
            (Blob, ValueRef::Blob(bytes)) => Value::Blob(Some(bytes.to_vec())),
            _ => return Err(wrong()),
        })
    }

    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Value::Int(v) => v,
            Value::Text(v) => v,
            Value::Blob(v) => v,
            Value::Bool(v) => v,
        }
    }
}

async fn copy_table(
    source: &Connection,
    client: &mut deadpool_postgres::Object,
    table: &Table,
    progress: &mut dyn FnMut(Progress),
) -> Result<()> {
    let total = count_sqlite(source, table.name)?;
    let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
    let select =
        format!("SELECT rowid, {} FROM {} WHERE rowid > ?1 ORDER BY rowid LIMIT ?2", names.join(", "), table.name);
    let mut after = 0i64;
    let mut copied = 0u64;
    progress(Progress { table: table.name, copied, total });
    loop {
        let (rows, last) = read_batch(source, &select, table, after)?;
        let Some(last) = last else { break };
        after = last;
        insert_batch(client, table, &names, &rows).await?;
        copied += rows.len() as u64;
        progress(Progress { table: table.name, copied, total });
    }
    if table.identity {
        // Rows came with their own seq; the identity's counter must start after them.
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{0}', 'seq'), GREATEST((SELECT MAX(seq) FROM {0}), 1))",
            table.name
        );
        client.execute(&sql, &[]).await.map_err(pg_error)?;
    }
    Ok(())
}

/// Up to `BATCH` rows after `rowid` `after`, and the last rowid read.
fn read_batch(source: &Connection, select: &str, table: &Table, after: i64) -> Result<(Vec<Vec<Value>>, Option<i64>)> {
    let mut stmt = source.prepare_cached(select)?;
    let mut rows = stmt.query(rusqlite::params![after, BATCH as i64])?;
    let mut batch = Vec::new();
    let mut last = None;
    while let Some(row) = rows.next()? {
        last = Some(row.get::<_, i64>(0)?);
        let mut values = Vec::with_capacity(table.columns.len());
        for (index, (name, kind)) in table.columns.iter().enumerate() {
            values.push(Value::read(row.get_ref(index + 1)?, *kind, table.name, name)?);
        }
        batch.push(values);
    }
    Ok((batch, last))
}

async fn insert_batch(
    client: &mut deadpool_postgres::Object,
    table: &Table,
    names: &[&str],
    rows: &[Vec<Value>],
) -> Result<()> {
    let width = names.len();
    let placeholders: Vec<String> = (0..rows.len())
        .map(|row| {
            let cells: Vec<String> = (1..=width).map(|column| format!("${}", row * width + column)).collect();
            format!("({})", cells.join(", "))
        })
        .collect();
    let overriding = if table.identity { " OVERRIDING SYSTEM VALUE" } else { "" };
    let sql = format!(
        "INSERT INTO {} ({}){overriding} VALUES {} ON CONFLICT DO NOTHING",
        table.name,
        names.join(", "),
        placeholders.join(", ")
    );
    let params: Vec<&(dyn ToSql + Sync)> = rows.iter().flat_map(|row| row.iter().map(Value::as_sql)).collect();
    let tx = client.transaction().await.map_err(pg_error)?;
    tx.execute(&sql, &params).await.map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)
}
