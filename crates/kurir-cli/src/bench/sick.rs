//! `kurir bench --sick-endpoints N`: does a sick endpoint cost the healthy ones anything? And `--paced`: the same
//! measurement with no sick endpoint, for the latency of a paced load on its own.
//!
//! N endpoints that answer 500 at once start with a backlog (`--sick-backlog` deliveries each), so their circuits
//! open and their deliveries wait. Then one healthy endpoint is added, and events are published one by one at
//! `--rate` for `--duration-secs`, each to every endpoint. Each event carries the time it was published; the
//! healthy receiver records how long it took to arrive. Reported: p50, p90, p99 and max, and how many arrived.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _};
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use serde_json::{json, Value};

use super::ceiling::Ceiling;
use super::report::{Percentiles, ServerFigures};
use super::server::Servers;
use super::{add_endpoint, call, http_client, remove_endpoints};
use crate::cli::BenchArgs;

/// Publish-to-arrival latencies at the healthy receiver, in microseconds.
#[derive(Default)]
struct Latencies(Mutex<Vec<u64>>);

fn now_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}

async fn receive(State(latencies): State<Arc<Latencies>>, uri: Uri, body: axum::body::Bytes) -> StatusCode {
    if uri.path().starts_with("/sick") {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let sent = serde_json::from_slice::<Value>(&body).ok().and_then(|v| v["data"]["sent_at_us"].as_u64());
    if let (Some(sent), Ok(mut seen)) = (sent, latencies.0.lock()) {
        seen.push(now_us().saturating_sub(sent));
    }
    StatusCode::OK
}

pub async fn run(args: &BenchArgs, data_dir: &std::path::Path, ceiling: Option<Ceiling>) -> anyhow::Result<()> {
    anyhow::ensure!(args.rate > 0 && args.duration_secs > 0, "--rate and --duration-secs must be positive");
    let latencies = Arc::new(Latencies::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let receiver = format!("http://{}", listener.local_addr()?);
    let app = axum::Router::new().fallback(receive).with_state(Arc::clone(&latencies));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let servers = Servers::start(args, data_dir).await?;
    let base = servers.bases[0].clone();
    let client = http_client()?;
    let tenant = format!("bench-{:08x}", rand::random::<u32>());
    let admin = servers.admin_token.clone();
    call(&client, format!("{base}/v1/tenants"), &admin, json!({"id": tenant, "name": "Bench"})).await?;
    let key = call(&client, format!("{base}/v1/tenants/{tenant}/api-keys"), &admin, json!({"name": "bench"})).await?;
    let token = key["token"].as_str().context("no token in the API key answer")?.to_owned();
    let events = format!("{base}/v1/tenants/{tenant}/events");
    let mut endpoints = Vec::new();
    for n in 0..args.sick_endpoints {
        endpoints.push(add_endpoint(&client, &base, &tenant, &token, &format!("{receiver}/sick{n}")).await?);
    }
    let backlog = if args.sick_endpoints > 0 { args.sick_backlog } else { 0 };
    if backlog > 0 {
        eprintln!("backlog: {backlog} deliveries for each of {} sick endpoint(s)", args.sick_endpoints);
    }
    let mut queued = 0;
    while queued < backlog {
        let batch: Vec<Value> = (0..1_000.min(backlog - queued))
            .map(|n| json!({"type": "ADDPRODUCT", "payload": {"id": queued + n}}))
            .collect();
        queued += batch.len() as u64;
        call(&client, format!("{events}/batch"), &token, json!({"events": batch})).await?;
    }
    endpoints.push(add_endpoint(&client, &base, &tenant, &token, &format!("{receiver}/ok")).await?);
    if backlog > 0 {
        // Let the sick endpoints' circuits open before measuring.
        tokio::time::sleep(Duration::from_secs(3)).await;
    }

    let total = u64::from(args.rate) * args.duration_secs;
    eprintln!(
        "publishing {total} events at {} events/s to the healthy endpoint and {} sick one(s)",
        args.rate, args.sick_endpoints
    );
    let before = servers.usage();
    let started = Instant::now();
    let every = Duration::from_secs_f64(1.0 / f64::from(args.rate));
    let mut publishes = tokio::task::JoinSet::new();
    for n in 0..total {
        let due = started + every.mul_f64(n as f64);
        tokio::time::sleep_until(due.into()).await;
        let (client, events, token) = (client.clone(), events.clone(), token.clone());
        publishes.spawn(async move {
            let body = json!({"type": "ADDPRODUCT", "payload": {"id": n, "sent_at_us": now_us()}});
            call(&client, events, &token, body).await.map(|_| ())
        });
    }
    while let Some(joined) = publishes.join_next().await {
        joined.context("a publisher panicked")??;
    }
    let deadline = Instant::now() + Duration::from_secs(args.timeout_secs);
    let arrived = loop {
        let arrived = latencies.0.lock().map(|l| l.len() as u64).unwrap_or(0);
        if arrived >= total || Instant::now() > deadline {
            break arrived;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // Per healthy delivery (one per event published): the sick endpoints' deliveries are written but mostly held,
    // so counting them would make the server look cheaper than it is per event.
    let server = before.zip(servers.usage()).map(|(before, after)| ServerFigures::between(before, after, total));
    remove_endpoints(&client, &base, &tenant, &token, &endpoints).await;
    servers.stop().await?;
    let seen = latencies.0.lock().map(|l| l.clone()).unwrap_or_default();
    if seen.is_empty() {
        bail!("no delivery reached the healthy endpoint");
    }
    let latency = Percentiles::of(&seen);
    if args.json {
        let figures = json!({
            "healthy_deliveries": arrived,
            "expected": total,
            "rate": args.rate,
            "latency_ms": latency,
            "server": server,
            "ceiling": ceiling,
        });
        println!("{figures}");
    } else {
        println!("healthy deliveries      {arrived} of {total}");
        println!("latency p50             {:.1} ms", latency.p50_ms);
        println!("latency p90             {:.1} ms", latency.p90_ms);
        println!("latency p99             {:.1} ms", latency.p99_ms);
        println!("latency max             {:.1} ms", latency.max_ms);
        match server {
            Some(server) => println!("server                  {}", server.line()),
            None => println!("server                  not measured (give --server-pid with --url)"),
        }
        if let Some(ceiling) = ceiling {
            println!("ceiling                 fsync {:.2} ms (a durable publish waits at least one)", ceiling.fsync_ms);
        }
    }
    if arrived < total {
        bail!("only {arrived} of {total} healthy deliveries arrived within {} s", args.timeout_secs);
    }
    Ok(())
}
