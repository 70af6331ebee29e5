//! `kurir bench`: what kurir does on this machine, end to end.
//!
//! The bench starts `kurir serve` as a child process on a fresh SQLite file in a temp dir (WAL,
//! `synchronous=FULL`: every accepted event is on disk before its 202), or nodes on a PostgreSQL database
//! (`--database-url`, `--nodes`), or measures a server already running at `--url`. Its receivers on 127.0.0.1
//! answer 200 at once and record each arrival; its publishers call the real HTTP API. Reported: publish rate,
//! deliveries a second end to end and in the steady middle, publish-to-delivery latency, the server's CPU seconds
//! per 1,000 deliveries and peak memory, duplicates and missing; with `--ceiling`, the same run's ceiling (what
//! the machine does with no kurir in between). Traffic goes only to loopback; the run is bounded by `--events`
//! and `--timeout-secs`.
//!
//! Modules: `throughput` (the default mode, and `--receivers-down`), `sick` (the latency modes: `--paced`,
//! `--sick-endpoints`), `server` (the nodes and their CPU and memory), `receiver` (arrivals), `report` (the
//! figures) and `ceiling`. This file holds what they share: the HTTP client and the calls that set a run up.

use std::time::Duration;

use anyhow::Context as _;
use serde_json::{json, Value};

use crate::cli::BenchArgs;

mod ceiling;
mod receiver;
mod report;
mod server;
mod sick;
mod throughput;

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    crate::serve::init_logging("warn");
    anyhow::ensure!(
        args.events > 0 && args.endpoints > 0 && args.batch > 0 && args.publishers > 0,
        "--events, --endpoints, --batch and --publishers must be positive"
    );
    anyhow::ensure!(args.batch <= 1_000, "--batch is at most 1000 (the batch API's limit)");
    anyhow::ensure!((64..=1_000_000).contains(&args.payload_bytes), "--payload-bytes must be between 64 and 1000000");
    let temp = tempfile::tempdir().context("cannot make a temp dir")?;
    let data_dir = args.data_dir.clone().unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let ceiling = match args.ceiling {
        true => {
            eprintln!("measuring the ceiling: the same traffic and disk with no kurir in between");
            Some(ceiling::measure(&args, &data_dir).await?)
        }
        false => None,
    };
    if args.sick_endpoints > 0 || args.paced {
        return sick::run(&args, &data_dir, ceiling).await;
    }
    throughput::run(&args, &data_dir, ceiling).await
}

/// An address on 127.0.0.1 that was free a moment ago, for a node or the receivers to listen on later.
fn free_loopback_address() -> anyhow::Result<std::net::SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("cannot find a free port on 127.0.0.1")?;
    Ok(listener.local_addr()?)
}

/// The bench's HTTP client. Every request has a time limit, so a server that accepts and never answers ends the
/// run with an error instead of holding it forever.
pub(crate) fn http_client() -> anyhow::Result<reqwest::Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(256)
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
        .build()?)
}

async fn call(client: &reqwest::Client, url: String, token: &str, body: Value) -> anyhow::Result<Value> {
    let response = client
        .post(&url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    let status = response.status();
    let text = response.text().await?;
    anyhow::ensure!(status.is_success(), "POST {url} answered {status}: {text}");
    serde_json::from_str(&text).with_context(|| format!("POST {url} answered something that is not JSON: {text}"))
}

/// Creates the tenant, a key and the endpoints; returns the key's token and the endpoints' ids.
async fn setup(
    client: &reqwest::Client,
    base: &str,
    tenant: &str,
    admin: &str,
    receiver: &str,
    endpoints: u32,
) -> anyhow::Result<(String, Vec<String>)> {
    call(client, format!("{base}/v1/tenants"), admin, json!({"id": tenant, "name": "Bench"})).await?;
    let key = call(client, format!("{base}/v1/tenants/{tenant}/api-keys"), admin, json!({"name": "bench"})).await?;
    let token = key["token"].as_str().context("no token in the API key answer")?.to_owned();
    let mut ids = Vec::new();
    for n in 0..endpoints {
        ids.push(add_endpoint(client, base, tenant, &token, &format!("{receiver}/e{n}")).await?);
    }
    Ok((token, ids))
}

async fn add_endpoint(
    client: &reqwest::Client,
    base: &str,
    tenant: &str,
    token: &str,
    url: &str,
) -> anyhow::Result<String> {
    let endpoint =
        call(client, format!("{base}/v1/tenants/{tenant}/endpoints"), token, json!({"url": url})).await.context(
            "the server must allow private targets (kurir serve --allow-private-targets) for the bench's receivers",
        )?;
    Ok(endpoint["id"].as_str().context("no id in the endpoint answer")?.to_owned())
}

/// Deletes the run's endpoints, so that a database shared by several runs holds no work for receivers that are
/// gone (their unfinished deliveries end dead).
async fn remove_endpoints(client: &reqwest::Client, base: &str, tenant: &str, token: &str, endpoints: &[String]) {
    for id in endpoints {
        let url = format!("{base}/v1/tenants/{tenant}/endpoints/{id}");
        if let Err(err) = client.delete(&url).bearer_auth(token).send().await {
            eprintln!("cannot delete the bench endpoint {id}: {err}");
        }
    }
}

/// A ZORT-style product payload of about `bytes` bytes of JSON (at least about 200: the product's fields).
fn payload(n: u64, bytes: usize) -> Value {
    let mut product = json!({"id": n, "sku": format!("SKU-{n:08}"), "name": format!("Product {n}"),
        "sellprice": "20.00", "purchaseprice": "10.00", "unittext": "Piece", "weight": "500",
        "barcode": "8850000000000", "category": "bench"});
    let size = product.to_string().len();
    if bytes > size + 17 {
        product["description"] = Value::String("x".repeat(bytes - size - 17));
    }
    product
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_number_is_found_in_a_delivered_body_and_payloads_have_the_size_asked() {
        let body = br#"{"type":"ADDPRODUCT","timestamp":"x","data":{"barcode":"1","id":4711,"name":"P"}}"#;
        assert_eq!(receiver::event_number(body), Some(4711));
        assert_eq!(receiver::event_number(b"{}"), None);
        for bytes in [256, 1_000, 10_000] {
            let size = payload(12, bytes).to_string().len();
            assert!(size.abs_diff(bytes) <= 4, "{bytes} asked, {size} made");
        }
        assert_eq!(payload(12, 64)["id"], 12, "a size below the product's fields keeps them");
    }
}
