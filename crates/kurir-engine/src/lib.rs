//! kurir's dispatcher: it claims due deliveries, sends them, and writes the outcomes back.
//!
//! # Layout
//!
//! - [`dispatcher`]: the loop. Woken in-process after every publish ([`Waker`]) and by every finished attempt, it
//!   takes turns: each writes the outcomes that are ready and leases due deliveries in one store call, hands each
//!   to a task bounded by a semaphore, and otherwise sleeps until the next due time.
//! - [`attempt`]: one HTTP try: encode with the endpoint's dialect, send, classify, decide the next step.
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
pub mod leases;
pub mod notices;
pub mod oauth;
pub mod outcomes;
pub mod retention;

use std::sync::Arc;

use tokio::sync::Notify;

pub use dispatcher::{run, EngineConfig};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    #[error("store failed")]
    Store(#[from] kurir_store::StoreError),
    #[error("cannot build the HTTP client")]
    Client(#[source] reqwest::Error),
}

/// Wakes the dispatcher: the API calls it after a publish so that new deliveries go out at once, without
/// waiting for a poll.
#[derive(Debug, Clone, Default)]
pub struct Waker(Arc<Notify>);

impl Waker {
    pub fn wake(&self) {
        self.0.notify_one();
    }

    pub(crate) async fn woken(&self) {
        self.0.notified().await;
    }
}

/// Wall-clock milliseconds since the Unix epoch: the time kurir stores.
pub fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}
