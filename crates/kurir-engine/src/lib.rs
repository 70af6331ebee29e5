//! kurir's dispatcher: it claims due deliveries, sends them, and writes the outcomes back.
//!
//! # Layout
//!
//! - [`dispatcher`]: the loop. Woken in-process after a publish that left deliveries due ([`Waker`]) and by every
//!   finished attempt, it takes turns: each writes the outcomes that are ready and leases due deliveries in one store call, hands each
//!   to a task bounded by a semaphore, and otherwise sleeps until the next due time.
//! - [`attempt`]: one HTTP try: encode with the endpoint's dialect, send, classify, decide the next step.
//! - [`lane`]: where attempts start, whoever claimed them; [`publish`] claims a publish's deliveries in its own
//!   transaction and starts them there, sparing the dispatcher a claim.
//! - [`client`]: the one pooled HTTP client, whose DNS resolver refuses private addresses (SSRF).
//! - [`leases`]: the leases this node works on, which a renewer keeps alive.
//! - [`oauth`]: OAuth 2.0 client-credentials tokens for endpoints that need them, cached per endpoint.
//! - [`outcomes`]: the batch of outcomes waiting for the next turn, and when a batch the store refused is given up.
//! - [`backfills`]: a task that works the running backfills, one bounded batch at a time.
//! - [`retention`]: a task that purges each tenant's history older than its retention, in small batches.
//! - [`notices`]: after a write, kurir's operational events (failing and dead deliveries, disabled and recovered
//!   endpoints) published, by a task of their own, to the tenants' endpoints that ask for them.
//!
//! # Design
//!
//! No database transaction or connection is held across an HTTP call: a claim is a short write that leases rows,
//! the send happens outside the store, and the outcome is another short write fenced by the lease token. A
//! process that dies mid-send loses nothing: its leases expire (or are released when it starts again) and the
//! delivery is sent again — at least once. The circuit breaker and the per-endpoint in-flight limit live in the
//! store, so they hold for an endpoint as a whole when several nodes share a database. Retry maths and failure classification are kurir-core's pure
//! functions; this crate only supplies the clock and the randomness.

pub mod attempt;
pub mod backfills;
pub mod client;
pub mod dispatcher;
pub mod lane;
pub mod leases;
pub mod notices;
pub mod oauth;
pub mod outcomes;
pub mod retention;

use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

pub use dispatcher::{run, EngineConfig};
pub use lane::publish;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    #[error("store failed")]
    Store(#[from] kurir_store::StoreError),
    #[error("cannot build the HTTP client")]
    Client(#[source] reqwest::Error),
    #[error("cannot set up TLS for the HTTP client: {0}")]
    Tls(String),
}

/// The line from the rest of the process to its dispatcher: the API wakes it after a publish so that new
/// deliveries go out at once, without waiting for a poll, and [`publish`] starts the deliveries a publish claimed
/// for itself on the dispatcher's [`lane::Lane`] while one runs.
#[derive(Clone, Default)]
pub struct Waker {
    notify: Arc<Notify>,
    lane: Arc<Mutex<Option<Arc<lane::Lane>>>>,
}

impl std::fmt::Debug for Waker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waker").field("dispatching", &self.lane().is_some()).finish()
    }
}

impl Waker {
    pub fn wake(&self) {
        self.notify.notify_one();
    }

    pub(crate) async fn woken(&self) {
        self.notify.notified().await;
    }

    /// The running dispatcher's lane, if one runs in this process.
    pub(crate) fn lane(&self) -> Option<Arc<lane::Lane>> {
        self.lane.lock().ok().and_then(|lane| lane.clone())
    }

    /// Opens (`Some`) or closes (`None`) the lane publishes start attempts on.
    pub(crate) fn set_lane(&self, lane: Option<Arc<lane::Lane>>) {
        if let Ok(mut slot) = self.lane.lock() {
            *slot = lane;
        }
    }
}

/// Wall-clock milliseconds since the Unix epoch: the time kurir stores.
pub fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}
