//! Per-tenant publish rate limits: a tenant whose `publish_rate` is set may publish that many events a second,
//! in bursts of up to as many; beyond it a publish is answered 429 with `Retry-After` and nothing is kept. The
//! arithmetic is governor's (GCRA), one limiter per tenant, made again when its rate changes.
//!
//! Each node counts the publishes it takes: behind a load balancer over several nodes, a tenant may reach its rate
//! on each. The rate itself is read from the store at most every few seconds per tenant ([`RateCache`]), so a
//! change made on another node applies within that time, and at once on the node that made it.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use kurir_core::id::TenantId;

/// How long a tenant's rate, once read, is used without reading it again.
pub const RATE_FRESH_FOR: Duration = Duration::from_secs(5);

/// Why a publish may not go now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Over the rate: try again in this many seconds.
    Wait { secs: u64 },
    /// More events at once than the rate ever allows in one go.
    TooMany { rate: u32 },
}

/// The tenants' limiters.
#[derive(Default)]
pub struct PublishLimits {
    limiters: Mutex<HashMap<TenantId, (u32, Arc<DefaultDirectRateLimiter>)>>,
    clock: DefaultClock,
}

impl PublishLimits {
    /// Takes `events` from the tenant's allowance at `rate` events a second (`None`: no limit).
    pub fn take(&self, tenant: &TenantId, rate: Option<u32>, events: u32) -> Result<(), Refusal> {
        let Some(rate) = rate.and_then(NonZeroU32::new) else { return Ok(()) };
        let Some(events) = NonZeroU32::new(events) else { return Ok(()) };
        let limiter = {
            let Ok(mut limiters) = self.limiters.lock() else { return Ok(()) };
            let entry = limiters.entry(tenant.clone()).or_insert_with(|| (rate.get(), limiter(rate)));
            if entry.0 != rate.get() {
                *entry = (rate.get(), limiter(rate));
            }
            Arc::clone(&entry.1)
        };
        match limiter.check_n(events) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Err(Refusal::Wait { secs: wait.as_secs_f64().ceil().max(1.0) as u64 })
            }
            Err(_) => Err(Refusal::TooMany { rate: rate.get() }),
        }
    }
}

fn limiter(rate: NonZeroU32) -> Arc<DefaultDirectRateLimiter> {
    Arc::new(RateLimiter::direct(Quota::per_second(rate)))
}

/// The tenants' rates as last read, each for [`RATE_FRESH_FOR`].
#[derive(Default)]
pub struct RateCache(Mutex<HashMap<TenantId, (Option<u32>, Instant)>>);

impl RateCache {
    /// The rate read for `tenant` less than [`RATE_FRESH_FOR`] ago, if any.
    pub fn fresh(&self, tenant: &TenantId) -> Option<Option<u32>> {
        let cache = self.0.lock().ok()?;
        cache.get(tenant).filter(|(_, read_at)| read_at.elapsed() < RATE_FRESH_FOR).map(|(rate, _)| *rate)
    }

    pub fn remember(&self, tenant: &TenantId, rate: Option<u32>) {
        if let Ok(mut cache) = self.0.lock() {
            cache.insert(tenant.clone(), (rate, Instant::now()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_the_rate_passes_then_the_next_waits_and_a_batch_larger_than_the_rate_never_passes() {
        let limits = PublishLimits::default();
        let acme: TenantId = "acme".parse().unwrap_or_else(|_| unreachable!());
        assert_eq!(limits.take(&acme, None, 1_000_000), Ok(()), "no limit");
        assert_eq!(limits.take(&acme, Some(10), 6), Ok(()));
        assert_eq!(limits.take(&acme, Some(10), 4), Ok(()));
        assert_eq!(limits.take(&acme, Some(10), 1), Err(Refusal::Wait { secs: 1 }));
        assert_eq!(limits.take(&acme, Some(10), 11), Err(Refusal::TooMany { rate: 10 }));
        // A new rate starts a new allowance.
        assert_eq!(limits.take(&acme, Some(20), 20), Ok(()));
        let other: TenantId = "other".parse().unwrap_or_else(|_| unreachable!());
        assert_eq!(limits.take(&other, Some(10), 10), Ok(()), "each tenant has its own");
    }

    #[test]
    fn a_rate_read_is_used_for_a_while() {
        let cache = RateCache::default();
        let acme: TenantId = "acme".parse().unwrap_or_else(|_| unreachable!());
        assert_eq!(cache.fresh(&acme), None);
        cache.remember(&acme, Some(5));
        assert_eq!(cache.fresh(&acme), Some(Some(5)));
    }
}
