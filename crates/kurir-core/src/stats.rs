//! Delivery statistics: per endpoint and minute, how many attempts succeeded and failed, and a histogram of how
//! long they took. The store adds each batch of outcomes to them as it writes the outcomes (so charts and health
//! never scan the attempt log); the dashboard reads percentiles and success rates from them.

/// The upper bounds (inclusive, in ms) of the latency histogram's buckets; the last bucket holds the rest.
pub const LATENCY_BOUNDS_MS: [u32; 13] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];

/// How many buckets the histogram has.
pub const BUCKETS: usize = LATENCY_BOUNDS_MS.len() + 1;

/// One minute is the statistics' resolution.
pub const MINUTE_MS: i64 = 60_000;

/// The bucket an attempt of `duration_ms` falls in.
pub fn bucket_of(duration_ms: u32) -> usize {
    LATENCY_BOUNDS_MS.iter().position(|bound| duration_ms <= *bound).unwrap_or(LATENCY_BOUNDS_MS.len())
}

/// The minute (Unix milliseconds / 60,000) a time falls in.
pub fn minute_of(unix_ms: i64) -> i64 {
    unix_ms.div_euclid(MINUTE_MS)
}

/// The attempts of one endpoint in one minute (or, merged, of any span).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub succeeded: u64,
    pub failed: u64,
    pub latency: [u64; BUCKETS],
}

impl Tally {
    /// Counts one sent attempt.
    pub fn add(&mut self, succeeded: bool, duration_ms: u32) {
        if succeeded {
            self.succeeded += 1;
        } else {
            self.failed += 1;
        }
        self.latency[bucket_of(duration_ms)] += 1;
    }

    pub fn merge(&mut self, other: &Tally) {
        self.succeeded += other.succeeded;
        self.failed += other.failed;
        for (mine, theirs) in self.latency.iter_mut().zip(other.latency) {
            *mine += theirs;
        }
    }

    pub fn total(&self) -> u64 {
        self.succeeded + self.failed
    }

    /// The share of attempts that succeeded, 0.0 to 1.0; `None` without attempts.
    pub fn success_rate(&self) -> Option<f64> {
        (self.total() > 0).then(|| self.succeeded as f64 / self.total() as f64)
    }

    /// The `q`-quantile (0.0 to 1.0) of the latency, as the upper bound of the bucket it falls in (so "p99 ≤ 25
    /// ms"); `None` without attempts, and `u32::MAX` when it lies beyond the last bound.
    pub fn latency_quantile(&self, q: f64) -> Option<u32> {
        let count: u64 = self.latency.iter().sum();
        if count == 0 {
            return None;
        }
        // The rank of the quantile, 1-based: the smallest bucket whose running count reaches it.
        let rank = ((q.clamp(0.0, 1.0) * count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (bucket, n) in self.latency.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(LATENCY_BOUNDS_MS.get(bucket).copied().unwrap_or(u32::MAX));
            }
        }
        Some(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_fall_in_the_first_bucket_that_holds_them() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(1), 0);
        assert_eq!(bucket_of(2), 1);
        assert_eq!(bucket_of(26), 5);
        assert_eq!(bucket_of(10_000), 12);
        assert_eq!(bucket_of(10_001), 13);
    }

    #[test]
    fn minutes_count_from_the_epoch_and_floor_before_it() {
        assert_eq!(minute_of(119_999), 1);
        assert_eq!(minute_of(120_000), 2);
        assert_eq!(minute_of(-1), -1);
    }

    #[test]
    fn quantiles_are_the_bound_of_their_bucket() {
        let mut tally = Tally::default();
        for _ in 0..98 {
            tally.add(true, 3);
        }
        tally.add(false, 400);
        tally.add(false, 20_000);
        assert_eq!(tally.latency_quantile(0.5), Some(5));
        assert_eq!(tally.latency_quantile(0.98), Some(5));
        assert_eq!(tally.latency_quantile(0.99), Some(500));
        assert_eq!(tally.latency_quantile(1.0), Some(u32::MAX));
        assert_eq!(Tally::default().latency_quantile(0.5), None);
    }

    #[test]
    fn tallies_merge_and_give_a_success_rate() {
        let mut a = Tally::default();
        a.add(true, 1);
        let mut b = Tally::default();
        b.add(false, 1);
        b.add(false, 7_000);
        a.merge(&b);
        assert_eq!((a.succeeded, a.failed, a.total()), (1, 2, 3));
        assert_eq!(a.latency[0], 2);
        assert_eq!(a.success_rate().map(|r| (r * 3.0).round()), Some(1.0));
        assert_eq!(Tally::default().success_rate(), None);
    }
}
