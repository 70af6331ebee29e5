//! The management commands over the REST API: `kurir endpoints`, `kurir deliveries`, `kurir events tail` and
//! `kurir replay`. Text for people by default, the API's JSON with `--json`; failures as one line (see `client`).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde_json::{json, Value};

use crate::cli::{DeliveriesCommand, EndpointsCommand, EventsCommand, ManageArgs, ReplayArgs};
use crate::client::ApiClient;

/// How often `events tail` asks for news.
const TAIL_POLL: Duration = Duration::from_secs(1);
/// Most events `events tail` keeps watching for delivery outcomes.
const TAIL_WATCHED: usize = 200;

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("-")
}

fn print_json_or(json: bool, value: &Value, human: impl FnOnce()) {
    if json {
        println!("{value}");
    } else {
        human();
    }
}

pub async fn endpoints(args: ManageArgs<EndpointsCommand>) -> anyhow::Result<()> {
    let client = ApiClient::new(&args.server)?;
    let tenant = client.tenant(args.tenant.as_deref()).await?;
    let base = format!("/v1/tenants/{tenant}/endpoints");
    match args.command {
        EndpointsCommand::List => {
            let listed = client.get(&base).await?;
            print_json_or(args.json, &listed, || {
                for e in listed["data"].as_array().into_iter().flatten() {
                    let state = if e["enabled"] == true { "enabled" } else { "disabled" };
                    println!("{}  {state:<8}  {:<8}  {}", text(&e["id"]), text(&e["dialect"]), text(&e["url"]));
                }
            });
        }
        EndpointsCommand::Show { id } => {
            let shown = client.get(&format!("{base}/{id}")).await?;
            print_json_or(args.json, &shown, || {
                println!("{}", serde_json::to_string_pretty(&shown).unwrap_or_default())
            });
        }
        EndpointsCommand::Create { url, dialect, events, description } => {
            let mut body = json!({"url": url, "dialect": dialect});
            if !events.is_empty() {
                body["event_types"] = json!(events);
            }
            if let Some(description) = description {
                body["description"] = json!(description);
            }
            let made = client.post(&base, &body).await?;
            print_json_or(args.json, &made, || {
                println!("created {} -> {}", text(&made["id"]), text(&made["url"]));
                println!("signing secret (shown once): {}", text(&made["secret"]));
            });
        }
        EndpointsCommand::Disable { id } => set_enabled(&client, &base, &id, false, args.json).await?,
        EndpointsCommand::Enable { id } => set_enabled(&client, &base, &id, true, args.json).await?,
        EndpointsCommand::RotateSecret { id } => {
            let rotated = client.post(&format!("{base}/{id}/rotate-secret"), &json!({})).await?;
            print_json_or(args.json, &rotated, || {
                println!("new signing secret: {}", text(&rotated["secret"]));
                println!("the previous one signs beside it until {}", text(&rotated["previous_expires_at"]));
            });
        }
    }
    Ok(())
}

async fn set_enabled(client: &ApiClient, base: &str, id: &str, enabled: bool, json: bool) -> anyhow::Result<()> {
    let changed = client.patch(&format!("{base}/{id}"), &json!({"enabled": enabled})).await?;
    print_json_or(json, &changed, || println!("{id} {}", if enabled { "enabled" } else { "disabled" }));
    Ok(())
}

pub async fn deliveries(args: ManageArgs<DeliveriesCommand>) -> anyhow::Result<()> {
    let client = ApiClient::new(&args.server)?;
    let tenant = client.tenant(args.tenant.as_deref()).await?;
    match args.command {
        DeliveriesCommand::List { state, endpoint, event_type, limit } => {
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.append_pair("limit", &limit.to_string());
            for (name, value) in [("state", state), ("endpoint", endpoint), ("event_type", event_type)] {
                if let Some(value) = value {
                    query.append_pair(name, &value);
                }
            }
            let listed = client.get(&format!("/v1/tenants/{tenant}/deliveries?{}", query.finish())).await?;
            print_json_or(args.json, &listed, || {
                for d in listed["data"].as_array().into_iter().flatten() {
                    println!("{}", delivery_line(d));
                }
            });
        }
        DeliveriesCommand::Retry { id } => {
            let retried = client.post(&format!("/v1/tenants/{tenant}/deliveries/{id}/retry"), &json!({})).await?;
            print_json_or(args.json, &retried, || println!("{id} will be sent again now"));
        }
    }
    Ok(())
}

/// A delivery as one line: id, state, attempts, last answer, type, endpoint.
fn delivery_line(d: &Value) -> String {
    let answer = match (&d["last_status"], &d["last_error"]) {
        (Value::Number(status), _) => format!("HTTP {status}"),
        (_, Value::String(error)) => error.clone(),
        _ => "-".to_owned(),
    };
    format!(
        "{}  {:<9}  {} attempt(s)  {answer}  {}  -> {}",
        text(&d["id"]),
        text(&d["state"]),
        d["attempts"],
        text(&d["event_type"]),
        text(&d["endpoint_id"])
    )
}

pub async fn events(args: ManageArgs<EventsCommand>) -> anyhow::Result<()> {
    let client = ApiClient::new(&args.server)?;
    let tenant = client.tenant(args.tenant.as_deref()).await?;
    let EventsCommand::Tail { event_type, max } = args.command;
    let mut tail = Tail { client, tenant, event_type, json: args.json, newest: None, watched: BTreeMap::new() };
    tail.newest = tail.latest(1).await?.first().and_then(|e| e["id"].as_str()).map(str::to_owned);
    eprintln!("kurir events tail: following {}'s events; Ctrl-C stops", tail.tenant);
    let mut printed = 0_u64;
    loop {
        printed += tail.new_events().await?;
        tail.delivery_changes().await?;
        if max.is_some_and(|max| printed >= max) && tail.watched.is_empty() {
            return Ok(());
        }
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = tokio::time::sleep(TAIL_POLL) => {}
        }
    }
}

/// `events tail`'s state: the newest event seen, and the events whose deliveries are not all finished.
struct Tail {
    client: ApiClient,
    tenant: String,
    event_type: Option<String>,
    json: bool,
    newest: Option<String>,
    /// Event id → each delivery's last printed state.
    watched: BTreeMap<String, HashMap<String, String>>,
}

impl Tail {
    async fn latest(&self, limit: u32) -> anyhow::Result<Vec<Value>> {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("limit", &limit.to_string());
        if let Some(event_type) = &self.event_type {
            query.append_pair("type", event_type);
        }
        let listed = self.client.get(&format!("/v1/tenants/{}/events?{}", self.tenant, query.finish())).await?;
        Ok(listed["data"].as_array().cloned().unwrap_or_default())
    }

    /// Prints the events newer than the newest seen, oldest first; how many.
    async fn new_events(&mut self) -> anyhow::Result<u64> {
        let mut fresh: Vec<Value> = self
            .latest(100)
            .await?
            .into_iter()
            .filter(|e| self.newest.as_deref().is_none_or(|newest| text(&e["id"]) > newest))
            .collect();
        fresh.reverse();
        for event in &fresh {
            let id = text(&event["id"]).to_owned();
            print_json_or(self.json, &json!({"event": event}), || {
                println!("{}  {id}  {}", text(&event["created_at"]), text(&event["type"]));
            });
            if self.watched.len() < TAIL_WATCHED {
                self.watched.insert(id.clone(), HashMap::new());
            }
            self.newest = Some(id);
        }
        Ok(fresh.len() as u64)
    }

    /// Prints each watched delivery whose state changed; stops watching events whose deliveries all finished.
    async fn delivery_changes(&mut self) -> anyhow::Result<()> {
        let ids: Vec<String> = self.watched.keys().cloned().collect();
        for id in ids {
            let event = self.client.get(&format!("/v1/tenants/{}/events/{id}", self.tenant)).await?;
            let deliveries = event["deliveries"].as_array().cloned().unwrap_or_default();
            let seen = self.watched.entry(id.clone()).or_default();
            for delivery in &deliveries {
                let (delivery_id, state) = (text(&delivery["id"]).to_owned(), text(&delivery["state"]).to_owned());
                if seen.get(&delivery_id) != Some(&state) {
                    print_json_or(self.json, &json!({"delivery": delivery}), || {
                        println!("  {}", delivery_line(delivery));
                    });
                    seen.insert(delivery_id, state);
                }
            }
            let finished = deliveries.iter().all(|d| matches!(text(&d["state"]), "succeeded" | "dead"));
            if finished {
                self.watched.remove(&id);
            }
        }
        Ok(())
    }
}

/// `kurir replay`: a backfill of every event since a time (or, with `--dead-only`, a recover of what died),
/// followed until it is done with a progress line, then counted.
pub async fn replay(args: ReplayArgs) -> anyhow::Result<()> {
    let client = ApiClient::new(&args.server)?;
    let tenant = client.tenant(args.tenant.as_deref()).await?;
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.enable_steady_tick(Duration::from_millis(100));
    if args.dead_only {
        spinner.set_message(format!("recovering the dead deliveries of {} since {}", args.endpoint, args.since));
        let path = format!("/v1/tenants/{tenant}/endpoints/{}/recover", args.endpoint);
        let recovered = client.post(&path, &json!({"since": args.since})).await;
        spinner.finish_and_clear();
        println!("{} dead deliveries of {} go out again", recovered?["recovered"], args.endpoint);
        return Ok(());
    }
    let mut body = json!({"since": args.since, "until": args.until});
    if !args.event_types.is_empty() {
        body["event_types"] = json!(args.event_types);
    }
    let path = format!("/v1/tenants/{tenant}/endpoints/{}/backfills", args.endpoint);
    let started = client.post(&path, &body).await;
    let mut backfill = match started {
        Ok(backfill) => backfill,
        Err(err) => {
            spinner.finish_and_clear();
            return Err(err);
        }
    };
    let id = text(&backfill["id"]).to_owned();
    while backfill["state"] == "running" {
        spinner.set_message(format!("{id}: {} events looked at, {} queued", backfill["scanned"], backfill["queued"]));
        tokio::time::sleep(Duration::from_millis(200)).await;
        backfill = client.get(&format!("/v1/tenants/{tenant}/backfills/{id}")).await?;
    }
    spinner.finish_and_clear();
    println!(
        "{id} {}: {} events sent again to {} ({} looked at)",
        text(&backfill["state"]),
        backfill["queued"],
        args.endpoint,
        backfill["scanned"]
    );
    Ok(())
}
