//! An endpoint's own rate limit: at most `count` deliveries per `period`, in bursts of up to `count`, enforced
//! for the endpoint as a whole (the store keeps its state, and every node's claim reads and moves it). Beyond
//! it deliveries wait in the queue; none is dropped.
//!
//! The arithmetic is GCRA: one number per endpoint, the theoretical arrival time (`tat`) of the next delivery;
//! each delivery sent moves it one interval (`period / count`) on. Pure: the caller passes the time.

use crate::CoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub count: u32,
    pub period_ms: i64,
}

impl RateLimit {
    pub const SECOND: i64 = 1_000;
    pub const MINUTE: i64 = 60_000;

    /// Checks a limit: 1 to 100,000 deliveries a second or a minute.
    pub fn new(count: u32, period_ms: i64) -> Result<RateLimit, CoreError> {
        if ![Self::SECOND, Self::MINUTE].contains(&period_ms) {
            return Err(CoreError::invalid("rate_limit.per", "must be `second` or `minute`"));
        }
        if !(1..=100_000).contains(&count) {
            return Err(CoreError::invalid("rate_limit.count", "must be between 1 and 100000"));
        }
        Ok(RateLimit { count, period_ms })
    }

    /// The time between two deliveries at the steady rate, in microseconds (so 3 a second is exact enough).
    fn interval_us(&self) -> i64 {
        self.period_ms * 1_000 / i64::from(self.count.max(1))
    }

    /// How many may go at `now_ms`, given the endpoint's `tat_ms`: up to a burst of `count`.
    pub fn room(&self, tat_ms: i64, now_ms: i64) -> u32 {
        let interval = self.interval_us();
        let tolerance = self.period_ms * 1_000 - interval;
        let ahead = (tat_ms.max(now_ms) - now_ms) * 1_000;
        if ahead > tolerance {
            return 0;
        }
        let room = (tolerance - ahead) / interval + 1;
        u32::try_from(room).unwrap_or(u32::MAX).min(self.count)
    }

    /// The `tat` after `sent` deliveries at `now_ms`.
    pub fn after(&self, tat_ms: i64, now_ms: i64, sent: u32) -> i64 {
        let start_us = tat_ms.max(now_ms) * 1_000;
        (start_us + i64::from(sent) * self.interval_us()).div_euclid(1_000)
    }

    /// When the next delivery may go, if not at `now_ms`.
    pub fn held_until(&self, tat_ms: i64, now_ms: i64) -> Option<i64> {
        if self.room(tat_ms, now_ms) > 0 {
            return None;
        }
        let tolerance_ms = (self.period_ms * 1_000 - self.interval_us()).div_euclid(1_000);
        Some((tat_ms - tolerance_ms).max(now_ms + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_count_then_one_per_interval() {
        let limit = RateLimit::new(10, RateLimit::SECOND).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(limit.room(0, 1_000), 10, "an idle endpoint may take a whole burst");
        let tat = limit.after(0, 1_000, 10);
        assert_eq!(tat, 2_000);
        assert_eq!(limit.room(tat, 1_000), 0);
        assert_eq!(limit.held_until(tat, 1_000), Some(1_100), "the next one after one interval");
        assert_eq!(limit.room(tat, 1_100), 1);
        assert_eq!(limit.room(tat, 1_500), 5);
        assert_eq!(limit.room(tat, 5_000), 10, "never more than a burst");
        assert_eq!(limit.held_until(tat, 1_100), None);
    }

    #[test]
    fn a_slow_limit_per_minute_and_bad_limits() {
        let limit = RateLimit::new(2, RateLimit::MINUTE).unwrap_or_else(|e| panic!("{e}"));
        let tat = limit.after(0, 0, 2);
        assert_eq!((limit.room(tat, 0), limit.held_until(tat, 0)), (0, Some(30_000)));
        assert!(RateLimit::new(0, RateLimit::SECOND).is_err());
        assert!(RateLimit::new(5, 7_000).is_err());
    }
}
