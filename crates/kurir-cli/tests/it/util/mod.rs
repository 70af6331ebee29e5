//! Test helpers: [`Kurir`] runs the real binary, [`Receiver`] is a webhook receiver on 127.0.0.1 that records
//! every request and answers what the test scripts, [`Api`] calls kurir's REST API and checks every answer
//! against the OpenAPI document ([`contract`]).

pub mod browser;
pub mod contract;
mod kurir;
mod receiver;

use std::future::Future;
use std::time::{Duration, Instant};

pub use kurir::{Kurir, Options, Tenant, ADMIN_TOKEN, SECRET_KEY};
pub use receiver::{Received, Receiver, Reply};

/// The event ids (`webhook-id`) of some requests a receiver got.
pub fn event_ids(requests: &[Received]) -> std::collections::HashSet<String> {
    requests.iter().filter_map(|r| r.header("webhook-id").map(str::to_owned)).collect()
}

/// Polls `check` every 25 ms until it returns `Some`, or panics after `timeout` saying what was awaited.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
