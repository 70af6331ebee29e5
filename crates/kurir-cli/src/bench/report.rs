//! The figures a run reports, and how they are worked out from what the receivers saw: pure functions, tested
//! below, so that a number in BENCHMARKS.md means what its name says.

use serde::Serialize;

use super::receiver::Arrival;
use super::server::Usage;

/// Latency percentiles, in milliseconds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Serialize)]
pub struct Percentiles {
    #[serde(rename = "p50")]
    pub p50_ms: f64,
    #[serde(rename = "p90")]
    pub p90_ms: f64,
    #[serde(rename = "p99")]
    pub p99_ms: f64,
    #[serde(rename = "max")]
    pub max_ms: f64,
}

impl Percentiles {
    /// The percentiles of latencies in microseconds (nearest rank).
    pub fn of(latencies_us: &[u64]) -> Percentiles {
        let mut sorted = latencies_us.to_vec();
        sorted.sort_unstable();
        let at = |q: f64| -> f64 {
            if sorted.is_empty() {
                return 0.0;
            }
            let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            sorted[rank - 1] as f64 / 1_000.0
        };
        Percentiles { p50_ms: at(0.50), p90_ms: at(0.90), p99_ms: at(0.99), max_ms: at(1.0) }
    }

    /// The line people read.
    pub fn line(&self) -> String {
        format!(
            "p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.p50_ms, self.p90_ms, self.p99_ms, self.max_ms
        )
    }
}

/// `n` things in `elapsed`, a second (a zero duration counts as a nanosecond).
pub fn per_sec(n: u64, elapsed: std::time::Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64().max(1e-9)
}

/// Deliveries a second in the steady middle of a run: between the arrival of the 10th and the 90th percent of
/// the deliveries, leaving out the ramp at the start and the tail at the end. `None` with too few arrivals.
pub fn steady_rate(arrivals: &[Arrival]) -> Option<f64> {
    let mut times: Vec<u64> = arrivals.iter().map(|a| a.at_us).collect();
    times.sort_unstable();
    if times.len() < 10 {
        return None;
    }
    let (from, to) = (times.len() / 10, times.len() * 9 / 10);
    let span_us = times[to].checked_sub(times[from]).filter(|span| *span > 0)?;
    Some((to - from) as f64 / (span_us as f64 / 1e6))
}

/// The server's share of the run: CPU and memory of its processes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ServerFigures {
    /// CPU seconds (user and system) the server used during the run.
    pub cpu_secs: f64,
    /// Those CPU seconds per 1,000 deliveries.
    pub cpu_secs_per_1000_deliveries: f64,
    /// The server's peak resident memory, MiB (its whole life, start-up included).
    pub peak_rss_mib: f64,
}

impl ServerFigures {
    /// From the usage read before and after the run.
    pub fn between(before: Usage, after: Usage, deliveries: u64) -> ServerFigures {
        let cpu_secs = (after.cpu_secs - before.cpu_secs).max(0.0);
        ServerFigures {
            cpu_secs,
            cpu_secs_per_1000_deliveries: cpu_secs * 1_000.0 / deliveries.max(1) as f64,
            peak_rss_mib: after.peak_rss_bytes as f64 / (1024.0 * 1024.0),
        }
    }

    pub fn line(&self) -> String {
        format!(
            "{:.2} CPU s ({:.3} s per 1,000 deliveries), peak RSS {:.0} MiB",
            self.cpu_secs, self.cpu_secs_per_1000_deliveries, self.peak_rss_mib
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_by_nearest_rank() {
        let latencies: Vec<u64> = (1..=100).map(|n| n * 1_000).collect();
        let p = Percentiles::of(&latencies);
        assert_eq!((p.p50_ms, p.p90_ms, p.p99_ms, p.max_ms), (50.0, 90.0, 99.0, 100.0));
        assert_eq!(Percentiles::of(&[]), Percentiles::default());
    }

    #[test]
    fn the_steady_rate_leaves_out_the_ramp_and_the_tail() {
        // 100 arrivals: the first 10 trickle in over a second, then one every millisecond, then a slow tail.
        let mut times: Vec<u64> = (0..10).map(|n| n * 100_000).collect();
        times.extend((0..80).map(|n| 1_000_000 + n * 1_000));
        times.extend((0..10).map(|n| 2_000_000 + n * 500_000));
        let arrivals: Vec<Arrival> = times.iter().map(|&at_us| Arrival { at_us, latency_us: 0 }).collect();
        let rate = steady_rate(&arrivals).unwrap_or_default();
        // From the 10th arrival (1.000 s) to the 90th (2.000 s): 80 deliveries in one second.
        assert!((rate - 80.0).abs() < 1e-6, "{rate}");
        assert_eq!(steady_rate(&arrivals[..5]), None);
    }

    #[test]
    fn server_cpu_is_counted_per_thousand_deliveries() {
        let before = Usage { cpu_secs: 1.0, peak_rss_bytes: 10 << 20 };
        let after = Usage { cpu_secs: 4.0, peak_rss_bytes: 64 << 20 };
        let figures = ServerFigures::between(before, after, 20_000);
        assert_eq!(figures.cpu_secs, 3.0);
        assert!((figures.cpu_secs_per_1000_deliveries - 0.15).abs() < 1e-9);
        assert_eq!(figures.peak_rss_mib, 64.0);
    }
}
