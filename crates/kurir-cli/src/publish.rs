//! `kurir publish`: one event from a JSON file (or standard input), or `--batch`: many, from JSON lines, sent in
//! batches of up to 1,000 (the API's limit) with a progress bar and a count at the end.

use std::io::{BufRead, Read};

use anyhow::{anyhow, Context};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

use crate::cli::PublishArgs;
use crate::client::ApiClient;

/// The API's largest batch.
const BATCH: usize = 1_000;

pub async fn run(args: PublishArgs) -> anyhow::Result<()> {
    let client = ApiClient::new(&args.server)?;
    match (&args.batch, &args.event_type, &args.payload) {
        (Some(file), _, _) => publish_batch(&client, &args, file).await,
        (None, Some(event_type), Some(payload)) => publish_one(&client, &args, event_type, payload).await,
        _ => Err(anyhow!("give TYPE and --payload FILE, or --batch FILE")),
    }
}

/// A file's text, or standard input's for `-`.
fn read_input(name: &str) -> anyhow::Result<String> {
    if name == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("cannot read standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(name).with_context(|| format!("cannot read {name}"))
}

async fn publish_one(client: &ApiClient, args: &PublishArgs, event_type: &str, payload: &str) -> anyhow::Result<()> {
    let text = read_input(payload)?;
    let payload: Value =
        serde_json::from_str(&text).map_err(|err| anyhow!("--payload {payload} is not JSON: {err}"))?;
    let tenant = client.tenant(args.tenant.as_deref()).await?;
    let body = json!({"type": event_type, "payload": payload});
    let published = match &args.idempotency_key {
        Some(key) => client.post_with_key(&format!("/v1/tenants/{tenant}/events"), &body, key).await?,
        None => client.post(&format!("/v1/tenants/{tenant}/events"), &body).await?,
    };
    if args.json {
        println!("{published}");
        return Ok(());
    }
    let deliveries = published["deliveries"].as_u64().unwrap_or(0);
    let plural = if deliveries == 1 { "delivery" } else { "deliveries" };
    println!("published {} ({event_type}): {deliveries} {plural}", published["id"].as_str().unwrap_or("?"));
    if let Some(why) = published["no_deliveries"].as_str() {
        println!("  no delivery: {why}");
    }
    Ok(())
}

/// The events of a JSON-lines text: each line `{"type", "payload", ...}`; blank lines skipped. A line that is not
/// such an object is refused with its number, before anything is sent.
fn parse_lines(text: &str) -> anyhow::Result<Vec<Value>> {
    let mut events = Vec::new();
    for (index, line) in text.as_bytes().lines().enumerate() {
        let line = line.context("cannot read the batch")?;
        if line.trim().is_empty() {
            continue;
        }
        let event: Value = serde_json::from_str(&line).map_err(|err| anyhow!("line {}: not JSON: {err}", index + 1))?;
        if !event["type"].is_string() || event.get("payload").is_none() {
            return Err(anyhow!("line {}: must be an object with \"type\" and \"payload\"", index + 1));
        }
        events.push(event);
    }
    Ok(events)
}

async fn publish_batch(client: &ApiClient, args: &PublishArgs, file: &str) -> anyhow::Result<()> {
    let events = parse_lines(&read_input(file)?)?;
    let tenant = client.tenant(args.tenant.as_deref()).await?;
    let bar = ProgressBar::new(events.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} events {per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut deliveries = 0;
    for (index, chunk) in events.chunks(BATCH).enumerate() {
        let path = format!("/v1/tenants/{tenant}/events/batch");
        let answer = client.post(&path, &json!({"events": chunk})).await.map_err(|err| {
            let first = index * BATCH + 1;
            anyhow!("events {first}-{} (lines of the batch) were not published: {err}", first + chunk.len() - 1)
        })?;
        deliveries +=
            answer["events"].as_array().into_iter().flatten().filter_map(|e| e["deliveries"].as_u64()).sum::<u64>();
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    if args.json {
        println!("{}", json!({"published": events.len(), "deliveries": deliveries}));
    } else {
        println!("published {} events: {deliveries} deliveries", events.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_lines_are_events_and_bad_ones_are_named() {
        let events = parse_lines("{\"type\":\"a\",\"payload\":{}}\n\n{\"type\":\"b\",\"payload\":1}\n");
        assert_eq!(events.map(|e| e.len()).ok(), Some(2));
        let broken = parse_lines("{\"type\":\"a\",\"payload\":{}}\n{oops").err().map(|e| e.to_string());
        assert!(broken.is_some_and(|e| e.starts_with("line 2: not JSON")));
        let shapeless = parse_lines("{\"payload\":{}}").err().map(|e| e.to_string());
        assert!(shapeless.is_some_and(|e| e.contains("\"type\" and \"payload\"")));
    }
}
