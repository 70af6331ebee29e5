//! The throughput mode: `--events` published as fast as `--publishers` can, each delivered to every endpoint.
//! With `--receivers-down` the receivers refuse while the events are published and come up afterwards, so the
//! run measures how fast a backlog drains.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

use super::ceiling::Ceiling;
use super::receiver::{self, Arrivals};
use super::report::{per_sec, steady_rate, Percentiles, ServerFigures};
use super::server::Servers;
use super::{call, free_loopback_address, http_client, payload, remove_endpoints, setup};
use crate::cli::BenchArgs;

pub(super) async fn run(args: &BenchArgs, data_dir: &Path, ceiling: Option<Ceiling>) -> anyhow::Result<()> {
    let arrivals = Arc::new(Arrivals::new(args.events));
    let servers = Servers::start(args, data_dir).await?;
    // Reserved after the nodes listen, so that no node can be given the receivers' port.
    let receivers = free_loopback_address()?;
    if !args.receivers_down {
        receiver::start_on(receivers, Arc::clone(&arrivals)).await?;
    }
    let tenant = Tenant::set_up(args, &servers, receivers).await?;
    let expected = args.events * u64::from(args.endpoints);
    eprintln!(
        "publishing {} events of {} bytes ({} per call, {} publishers) to {} endpoint(s) on {}",
        args.events,
        args.payload_bytes,
        args.batch,
        args.publishers,
        args.endpoints,
        place(args, data_dir)
    );
    let before = servers.usage();
    let measured = measure(args, &servers, &tenant, &arrivals, receivers).await;
    let server = before.zip(servers.usage()).map(|(before, after)| ServerFigures::between(before, after, expected));
    remove_endpoints(&tenant.client, &tenant.base, &tenant.id, &tenant.token, &tenant.endpoints).await;
    servers.stop().await?;
    let report = Report::of(args, &arrivals, measured?, server, ceiling);
    match args.json {
        true => println!("{}", report.json(args)),
        false => report.print(args),
    }
    Ok(())
}

/// Where the run goes, in words.
fn place(args: &BenchArgs, data_dir: &Path) -> String {
    match (&args.url, &args.database_url) {
        (Some(url), _) => format!("the server at {url}"),
        (None, Some(_)) => format!("PostgreSQL, {} node(s)", args.nodes),
        (None, None) => format!("SQLite in {}", data_dir.display()),
    }
}

/// The run's tenant on the first node: its key and its endpoints.
struct Tenant {
    client: reqwest::Client,
    base: String,
    id: String,
    token: String,
    endpoints: Vec<String>,
}

impl Tenant {
    async fn set_up(args: &BenchArgs, servers: &Servers, receivers: SocketAddr) -> anyhow::Result<Tenant> {
        let client = http_client()?;
        let base = servers.bases[0].clone();
        let id = format!("bench-{:08x}", rand::random::<u32>());
        let receiver_url = format!("http://{receivers}");
        let (token, endpoints) =
            setup(&client, &base, &id, &servers.admin_token, &receiver_url, args.endpoints).await?;
        Ok(Tenant { client, base, id, token, endpoints })
    }
}

/// When the run published and, with `--receivers-down`, when the receivers came back (in their clock).
struct Measured {
    started: Instant,
    published: Duration,
    resumed_us: Option<u64>,
}

/// Publishes every event, brings the receivers up if they were down, and waits until every delivery arrived,
/// within `--timeout-secs`.
async fn measure(
    args: &BenchArgs,
    servers: &Servers,
    tenant: &Tenant,
    arrivals: &Arc<Arrivals>,
    receivers: SocketAddr,
) -> anyhow::Result<Measured> {
    let expected = args.events * u64::from(args.endpoints);
    let progress = Progress::new(args, expected);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.timeout_secs);
    let published = publish_all(args, servers, tenant, arrivals, &progress, deadline).await;
    let published = match published {
        Ok(()) => started.elapsed(),
        Err(err) => {
            progress.done();
            return Err(err);
        }
    };
    let resumed_us = match args.receivers_down {
        true => Some(bring_receivers_up(tenant, receivers, arrivals).await?),
        false => None,
    };
    let deadline = deadline.max(Instant::now() + Duration::from_secs(args.timeout_secs / 2));
    while arrivals.count.load(Ordering::Relaxed) < expected || arrivals.distinct() < expected {
        if Instant::now() > deadline {
            progress.done();
            bail!("only {} of {expected} deliveries arrived within {} s", arrivals.distinct(), args.timeout_secs);
        }
        progress.show(args.events, arrivals.distinct());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    progress.done();
    Ok(Measured { started, published, resumed_us })
}

/// Runs `--publishers` publishers until every event is published, or fails at `deadline`.
async fn publish_all(
    args: &BenchArgs,
    servers: &Servers,
    tenant: &Tenant,
    arrivals: &Arc<Arrivals>,
    progress: &Progress,
    deadline: Instant,
) -> anyhow::Result<()> {
    let next = Arc::new(AtomicU64::new(0));
    let mut publishers = tokio::task::JoinSet::new();
    for index in 0..args.publishers {
        let publisher = Publisher {
            client: tenant.client.clone(),
            base: format!("{}/v1/tenants/{}", servers.bases[index as usize % servers.bases.len()], tenant.id),
            token: tenant.token.clone(),
            next: Arc::clone(&next),
            arrivals: Arc::clone(arrivals),
            events: args.events,
            batch: u64::from(args.batch),
            payload_bytes: args.payload_bytes,
        };
        publishers.spawn(async move { publisher.run().await });
    }
    while !publishers.is_empty() {
        if Instant::now() > deadline {
            publishers.abort_all();
            bail!("publishing did not finish within {} s (--timeout-secs)", args.timeout_secs);
        }
        tokio::select! {
            joined = publishers.join_next() => {
                if let Some(joined) = joined {
                    joined.context("a publisher panicked")??;
                }
            }
            _ = tokio::time::sleep(Duration::from_millis(100)) => {
                progress.show(next.load(Ordering::Relaxed).min(args.events), arrivals.distinct());
            }
        }
    }
    Ok(())
}

/// Starts the receivers that were down while the events were published, and resumes each endpoint (as an
/// operator does after an outage: its circuit closes and what waits is due now). Returns when, in the receivers'
/// clock.
async fn bring_receivers_up(tenant: &Tenant, receivers: SocketAddr, arrivals: &Arc<Arrivals>) -> anyhow::Result<u64> {
    receiver::start_on(receivers, Arc::clone(arrivals)).await?;
    let resumed = arrivals.now_us();
    for id in &tenant.endpoints {
        let url = format!("{}/v1/tenants/{}/endpoints/{id}/resume", tenant.base, tenant.id);
        call(&tenant.client, url, &tenant.token, json!({})).await?;
    }
    eprintln!("the receivers are up and the endpoints resumed: draining the backlog");
    Ok(resumed)
}

/// The figures of a throughput run.
struct Report {
    expected: u64,
    published: Duration,
    delivered: Duration,
    deliveries_per_sec: f64,
    steady: Option<f64>,
    drain: Option<Duration>,
    latency: Percentiles,
    duplicates: u64,
    missing: u64,
    server: Option<ServerFigures>,
    ceiling: Option<Ceiling>,
}

impl Report {
    fn of(
        args: &BenchArgs,
        arrivals: &Arrivals,
        measured: Measured,
        server: Option<ServerFigures>,
        ceiling: Option<Ceiling>,
    ) -> Report {
        let expected = args.events * u64::from(args.endpoints);
        let firsts = arrivals.firsts();
        let last_us = firsts.iter().map(|a| a.at_us).max().unwrap_or(0);
        let delivered =
            Duration::from_micros(last_us).saturating_sub(measured.started.duration_since(arrivals.epoch()));
        let distinct = arrivals.distinct();
        Report {
            expected,
            published: measured.published,
            delivered,
            deliveries_per_sec: per_sec(expected, delivered),
            steady: steady_rate(&firsts),
            // With the receivers down while publishing: how fast the backlog went once they were up.
            drain: measured.resumed_us.map(|resumed| Duration::from_micros(last_us.saturating_sub(resumed))),
            latency: Percentiles::of(&firsts.iter().map(|a| a.latency_us).collect::<Vec<_>>()),
            duplicates: arrivals.count.load(Ordering::Relaxed).saturating_sub(distinct),
            missing: expected.saturating_sub(distinct),
            server,
            ceiling,
        }
    }

    fn drain_per_sec(&self) -> Option<f64> {
        self.drain.map(|drain| per_sec(self.expected, drain))
    }

    fn json(&self, args: &BenchArgs) -> Value {
        json!({
            "events": args.events,
            "endpoints": args.endpoints,
            "batch": args.batch,
            "publishers": args.publishers,
            "payload_bytes": args.payload_bytes,
            "deliveries": self.expected,
            "publish_secs": self.published.as_secs_f64(),
            "events_per_sec": per_sec(args.events, self.published),
            "end_to_end_secs": self.delivered.as_secs_f64(),
            "deliveries_per_sec": self.deliveries_per_sec,
            "steady_deliveries_per_sec": self.steady,
            "drain_secs": self.drain.map(|d| d.as_secs_f64()),
            "drain_deliveries_per_sec": self.drain_per_sec(),
            "latency_ms": self.latency,
            "duplicates": self.duplicates,
            "missing": self.missing,
            "server": self.server,
            "ceiling": self.ceiling,
        })
    }

    fn print(&self, args: &BenchArgs) {
        println!("events published        {}", args.events);
        println!("deliveries              {}", self.expected);
        println!(
            "publish phase           {:.2} s  ({:.0} events/s accepted, durable)",
            self.published.as_secs_f64(),
            per_sec(args.events, self.published)
        );
        println!(
            "first publish → last    {:.2} s  ({:.0} deliveries/s end to end)",
            self.delivered.as_secs_f64(),
            self.deliveries_per_sec
        );
        if let Some(steady) = self.steady {
            println!("steady middle           {steady:.0} deliveries/s (from the 10th to the 90th percent to arrive)");
        }
        if let (Some(drain), Some(rate)) = (self.drain, self.drain_per_sec()) {
            println!(
                "backlog drained in      {:.2} s  ({rate:.0} deliveries/s after the receivers came up)",
                drain.as_secs_f64()
            );
        }
        println!("publish → delivery      {}", self.latency.line());
        println!("duplicates, missing     {}, {}", self.duplicates, self.missing);
        match &self.server {
            Some(server) => println!("server                  {}", server.line()),
            None => println!("server                  not measured (give --server-pid with --url)"),
        }
        if let Some(ceiling) = &self.ceiling {
            println!(
                "ceiling                 {:.0} HTTP deliveries/s ({:.0} % reached), {:.0} events/s published to a \
                 null server, fsync {:.2} ms, {:.0} durable SQLite rows/s",
                ceiling.deliveries_per_sec,
                100.0 * self.deliveries_per_sec / ceiling.deliveries_per_sec.max(1e-9),
                ceiling.events_per_sec,
                ceiling.fsync_ms,
                ceiling.durable_rows_per_sec
            );
        }
    }
}

/// One of the publishers: takes the next events and publishes them, until all are.
struct Publisher {
    client: reqwest::Client,
    base: String,
    token: String,
    next: Arc<AtomicU64>,
    arrivals: Arc<Arrivals>,
    events: u64,
    batch: u64,
    payload_bytes: usize,
}

impl Publisher {
    async fn run(self) -> anyhow::Result<()> {
        loop {
            let first = self.next.fetch_add(self.batch, Ordering::Relaxed);
            if first >= self.events {
                return Ok(());
            }
            let last = (first + self.batch).min(self.events);
            self.arrivals.publishing(first, last);
            let event = |n| json!({"type": "ADDPRODUCT", "payload": payload(n, self.payload_bytes)});
            if self.batch == 1 {
                call(&self.client, format!("{}/events", self.base), &self.token, event(first)).await?;
            } else {
                let items: Vec<Value> = (first..last).map(event).collect();
                let url = format!("{}/events/batch", self.base);
                call(&self.client, url, &self.token, json!({"events": items})).await?;
            }
        }
    }
}

/// A progress bar on the terminal while a run goes (none with `--json` or when stderr is not a terminal).
struct Progress(indicatif::ProgressBar);

impl Progress {
    fn new(args: &BenchArgs, deliveries: u64) -> Progress {
        let bar = match args.json {
            true => indicatif::ProgressBar::hidden(),
            false => {
                indicatif::ProgressBar::with_draw_target(Some(deliveries), indicatif::ProgressDrawTarget::stderr())
            }
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} delivered, {msg} [{elapsed}]")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Progress(bar)
    }

    fn show(&self, published: u64, delivered: u64) {
        self.0.set_message(format!("{published} published"));
        self.0.set_position(delivered);
    }

    fn done(&self) {
        self.0.finish_and_clear();
    }
}
