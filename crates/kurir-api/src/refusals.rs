//! Refused inbound requests: what a source refused (bad credentials, a malformed body, an unknown event type) is
//! kept in a bounded log per source, so a merchant can answer "DealPOS says it sent it". A stranger cannot fill
//! the database with it: nothing of the body is kept, the store keeps only the newest of each source, and at most
//! `PER_MINUTE` refusals a minute are recorded per source; the rest are only counted in the server log.

use std::collections::HashMap;
use std::sync::Mutex;

use kurir_core::source::SourceId;

/// Most refusals recorded per source and minute.
pub const PER_MINUTE: u32 = 10;

const WINDOW_MS: i64 = 60_000;

/// Fixed one-minute windows per source.
#[derive(Debug, Default)]
pub struct RefusalLimiter(Mutex<HashMap<SourceId, (i64, u32)>>);

impl RefusalLimiter {
    /// Whether a refusal of `source` at `now_ms` may be recorded.
    pub fn admit(&self, source: &SourceId, now_ms: i64) -> bool {
        let Ok(mut windows) = self.0.lock() else { return false };
        // Forget windows long past, so the map stays as small as the set of sources refusing now.
        if windows.len() > 10_000 {
            windows.retain(|_, (start, _)| now_ms - *start < WINDOW_MS);
        }
        let (start, count) = windows.entry(source.clone()).or_insert((now_ms, 0));
        if now_ms - *start >= WINDOW_MS {
            (*start, *count) = (now_ms, 0);
        }
        *count += 1;
        *count <= PER_MINUTE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_per_minute_per_source() {
        let limiter = RefusalLimiter::default();
        let (one, two) = (SourceId::from_random([1; 18]), SourceId::from_random([2; 18]));
        let admitted = (0..25).filter(|n| limiter.admit(&one, 1_000 + n)).count();
        assert_eq!(admitted, PER_MINUTE as usize);
        assert!(limiter.admit(&two, 1_030), "another source has its own window");
        assert!(limiter.admit(&one, 1_000 + WINDOW_MS), "a new minute, a new window");
    }
}
