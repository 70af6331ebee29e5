//! The bench's receivers: HTTP on 127.0.0.1 that answers 200 at once and records each delivery's arrival, so
//! that the run can count duplicates and missing deliveries and time each one from its publish.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context as _;
use axum::extract::State;
use axum::http::StatusCode;

/// What the receivers saw.
pub struct Arrivals {
    pub count: AtomicU64,
    /// Each (endpoint path, event number) seen, to tell duplicates from firsts.
    seen: Mutex<HashSet<(String, u64)>>,
    /// When event `n` was handed to the API, in microseconds since `epoch` (0: not yet).
    published_us: Vec<AtomicU64>,
    /// Each first arrival: when (µs since `epoch`) and how long after its publish.
    firsts: Mutex<Vec<Arrival>>,
    epoch: Instant,
}

#[derive(Debug, Clone, Copy)]
pub struct Arrival {
    pub at_us: u64,
    pub latency_us: u64,
}

impl Arrivals {
    pub fn new(events: u64) -> Self {
        Arrivals {
            count: AtomicU64::new(0),
            seen: Mutex::new(HashSet::new()),
            published_us: (0..events).map(|_| AtomicU64::new(0)).collect(),
            firsts: Mutex::new(Vec::new()),
            epoch: Instant::now(),
        }
    }

    /// The instant arrival times count from.
    pub fn epoch(&self) -> Instant {
        self.epoch
    }

    /// Microseconds since the receivers started.
    pub fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// Notes that events `first..last` are being published now.
    pub fn publishing(&self, first: u64, last: u64) {
        let now = self.now_us().max(1);
        for n in first..last {
            if let Some(at) = self.published_us.get(n as usize) {
                at.store(now, Ordering::Relaxed);
            }
        }
    }

    /// Deliveries seen once, however often they came.
    pub fn distinct(&self) -> u64 {
        self.seen.lock().map(|seen| seen.len() as u64).unwrap_or(0)
    }

    /// Every first arrival so far, in arrival order.
    pub fn firsts(&self) -> Vec<Arrival> {
        self.firsts.lock().map(|firsts| firsts.clone()).unwrap_or_default()
    }

    fn record(&self, path: &str, body: &[u8]) {
        let at_us = self.now_us();
        self.count.fetch_add(1, Ordering::Relaxed);
        let Some(n) = event_number(body) else { return };
        let first = self.seen.lock().map(|mut seen| seen.insert((path.to_owned(), n))).unwrap_or(false);
        let sent = self.published_us.get(n as usize).map_or(0, |t| t.load(Ordering::Relaxed));
        if first && sent > 0 {
            if let Ok(mut firsts) = self.firsts.lock() {
                firsts.push(Arrival { at_us, latency_us: at_us.saturating_sub(sent) });
            }
        }
    }
}

async fn receive(State(arrivals): State<Arc<Arrivals>>, uri: axum::http::Uri, body: axum::body::Bytes) -> StatusCode {
    arrivals.record(uri.path(), &body);
    StatusCode::OK
}

/// Starts the receivers at `address` (until then, connections to it are refused, as to a receiver that is down).
/// Each endpoint gets its own path under `http://{address}`.
pub async fn start_on(address: SocketAddr, arrivals: Arc<Arrivals>) -> anyhow::Result<()> {
    let listener =
        tokio::net::TcpListener::bind(address).await.with_context(|| format!("cannot listen on {address}"))?;
    let app = axum::Router::new().fallback(receive).with_state(arrivals);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(())
}

/// The bench's event number in a delivered body: the payload's `"id"`, found without parsing the whole body.
pub fn event_number(body: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(body).ok()?;
    let at = text.find("\"id\":")? + 5;
    let digits: String = text[at..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}
