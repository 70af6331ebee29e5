//! `kurir bench --ceiling`: what this machine does with no kurir in between, measured in the same run so that
//! kurir's figures can be read as a fraction of it. Three ceilings, each the part of kurir's work that the
//! machine bounds:
//!
//! - **deliveries**: the bench's HTTP client posting delivery-sized bodies straight to a receiver on loopback,
//!   as many in flight as kurir may have for one endpoint (a delivery cannot cost less than its HTTP request);
//! - **publishes**: the publishers posting their requests to a receiver that answers 202 at once;
//! - **the disk**: one fsync (a durable publish cannot wait less), and SQLite rows inserted with
//!   `synchronous=FULL` in transactions of 100 (a durable event cannot cost less than its row).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{json, Value};

use super::report::per_sec;
use super::{http_client, payload};
use crate::cli::BenchArgs;

/// Requests in flight for the delivery ceiling. 256 was kurir's default in-flight limit for one endpoint until it
/// became 512 (session 14); the ceiling stays at 256 so that ceilings compare across sessions, and because 512 at
/// once is slower on loopback (single publishes' ceiling 63,124–64,364/s against 66,522–74,930/s), while kurir
/// itself keeps only rate × answer time requests out at once (about twenty in these runs).
const DELIVERY_CONCURRENCY: usize = 256;

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Ceiling {
    /// HTTP requests a second, delivery-sized bodies, bench client to a loopback receiver.
    pub deliveries_per_sec: f64,
    /// Events a second the publishers send to a receiver that stores nothing.
    pub events_per_sec: f64,
    /// The median of 200 fsyncs of a 4 KiB write in the data directory, milliseconds.
    pub fsync_ms: f64,
    /// SQLite rows a second with every transaction (100 rows) fsynced, in the data directory.
    pub durable_rows_per_sec: f64,
}

pub async fn measure(args: &BenchArgs, data_dir: &Path) -> anyhow::Result<Ceiling> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let app = axum::Router::new().fallback(|| async { StatusCode::ACCEPTED });
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let requests = (args.events * u64::from(args.endpoints)).clamp(1_000, 100_000);
    let size = args.payload_bytes;
    let deliveries_per_sec = post_many(&url, requests, DELIVERY_CONCURRENCY, 1, size).await?;
    let batch = u64::from(args.batch);
    let calls = args.events.div_ceil(batch).clamp(10, 10_000);
    let events_per_sec = post_many(&url, calls, args.publishers as usize, batch, size).await? * batch as f64;
    server.abort();
    let dir = data_dir.to_owned();
    let (fsync_ms, durable_rows_per_sec) = tokio::task::spawn_blocking(move || {
        Ok::<_, anyhow::Error>((fsync_ms(&dir)?, durable_rows_per_sec(&dir, size)?))
    })
    .await??;
    Ok(Ceiling { deliveries_per_sec, events_per_sec, fsync_ms, durable_rows_per_sec })
}

/// Posts `count` requests of `events` payloads each, `concurrency` at a time; returns requests a second.
async fn post_many(url: &str, count: u64, concurrency: usize, events: u64, size: usize) -> anyhow::Result<f64> {
    let client = http_client()?;
    let body = if events == 1 {
        json!({"type": "ADDPRODUCT", "payload": payload(1, size)}).to_string()
    } else {
        let items: Vec<Value> =
            (0..events).map(|n| json!({"type": "ADDPRODUCT", "payload": payload(n, size)})).collect();
        json!({"events": items}).to_string()
    };
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (client, url, body, next) = (client.clone(), url.to_owned(), body.clone(), Arc::clone(&next));
        senders.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < count {
                let response = client.post(&url).header("content-type", "application/json").body(body.clone());
                response.send().await?.error_for_status()?;
            }
            Ok::<_, reqwest::Error>(())
        });
    }
    while let Some(joined) = senders.join_next().await {
        joined.context("a ceiling sender panicked")?.context("the ceiling receiver")?;
    }
    Ok(per_sec(count, started.elapsed()))
}

fn fsync_ms(dir: &Path) -> anyhow::Result<f64> {
    use std::io::Write as _;
    let path = dir.join("ceiling.fsync");
    let mut file = std::fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    let block = [7u8; 4096];
    let mut took: Vec<Duration> = Vec::with_capacity(200);
    for _ in 0..200 {
        file.write_all(&block)?;
        let started = Instant::now();
        file.sync_data()?;
        took.push(started.elapsed());
    }
    drop(file);
    std::fs::remove_file(&path)?;
    took.sort_unstable();
    Ok(took[took.len() / 2].as_secs_f64() * 1_000.0)
}

fn durable_rows_per_sec(dir: &Path, size: usize) -> anyhow::Result<f64> {
    let path = dir.join("ceiling.db");
    // What an interrupted run left would make the table exist already.
    remove_ceiling_db(dir);
    let mut conn = rusqlite::Connection::open(&path)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
         CREATE TABLE rows (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL);",
    )?;
    let body = payload(1, size).to_string();
    let (rows, per_commit) = (20_000u64, 100u64);
    let started = Instant::now();
    for commit in 0..rows / per_commit {
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached("INSERT INTO rows (id, body) VALUES (?1, ?2)")?;
            for n in 0..per_commit {
                insert.execute(rusqlite::params![format!("row_{commit}_{n}"), body])?;
            }
        }
        tx.commit()?;
    }
    let rate = per_sec(rows, started.elapsed());
    drop(conn);
    remove_ceiling_db(dir);
    Ok(rate)
}

fn remove_ceiling_db(dir: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        // Absent is fine: nothing to remove.
        let _ = std::fs::remove_file(dir.join(format!("ceiling.db{suffix}")));
    }
}
