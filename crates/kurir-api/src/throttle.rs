//! Slowing down guessing: after a burst of failed authentications from one address (or, for an inbound source,
//! from one address at that source), every request from it is answered 429 with `Retry-After` until the burst
//! has refilled, valid credentials included, so a guesser cannot tell a hit from a miss meanwhile.
//!
//! The rate is governor's (a keyed GCRA limiter that only failures draw on); this module remembers, per key, until
//! when it is held.

use std::collections::HashMap;
use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Failures allowed in a burst, and how fast the allowance comes back.
pub const BURST: u32 = 20;
pub const REFILL_EVERY: Duration = Duration::from_secs(3);

pub struct FailureThrottle<K: Hash + Eq + Clone> {
    failures: DefaultKeyedRateLimiter<K>,
    held: Mutex<HashMap<K, Instant>>,
    clock: DefaultClock,
}

impl<K: Hash + Eq + Clone> Default for FailureThrottle<K> {
    fn default() -> Self {
        Self::new(BURST, REFILL_EVERY)
    }
}

impl<K: Hash + Eq + Clone> FailureThrottle<K> {
    pub fn new(burst: u32, refill_every: Duration) -> Self {
        let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(refill_every).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN));
        FailureThrottle {
            failures: RateLimiter::keyed(quota.allow_burst(burst)),
            held: Mutex::new(HashMap::new()),
            clock: DefaultClock::default(),
        }
    }

    /// `Err(seconds to wait)` while `key` is held after too many failures.
    pub fn check(&self, key: &K) -> Result<(), u64> {
        let Ok(mut held) = self.held.lock() else { return Ok(()) };
        let now = Instant::now();
        match held.get(key) {
            Some(until) if *until > now => Err((*until - now).as_secs().max(1)),
            Some(_) => {
                held.remove(key);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Counts a failed authentication of `key`; past the burst, holds the key until the allowance refills.
    pub fn failed(&self, key: K) {
        if let Err(not_until) = self.failures.check_key(&key) {
            let wait = not_until.wait_time_from(self.clock.now());
            if let Ok(mut held) = self.held.lock() {
                held.insert(key, Instant::now() + wait);
                // Forget keys that have been quiet long enough, so the tables stay small.
                held.retain(|_, until| *until > Instant::now());
            }
            self.failures.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_failures_holds_the_key_and_only_that_key() {
        let throttle: FailureThrottle<&str> = FailureThrottle::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert_eq!(throttle.check(&"a"), Ok(()));
            throttle.failed("a");
        }
        assert_eq!(throttle.check(&"a"), Ok(()), "the burst itself is allowed");
        throttle.failed("a");
        let wait = throttle.check(&"a").err();
        assert!(wait.is_some_and(|secs| (1..=60).contains(&secs)), "{wait:?}");
        assert_eq!(throttle.check(&"b"), Ok(()), "another key is not held");
    }

    #[test]
    fn a_hold_ends_when_the_allowance_refills() {
        let throttle: FailureThrottle<u8> = FailureThrottle::new(1, Duration::from_millis(50));
        throttle.failed(1);
        throttle.failed(1);
        assert!(throttle.check(&1).is_err());
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(throttle.check(&1), Ok(()));
    }
}
