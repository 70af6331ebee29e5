//! When to try a failed delivery again.
//!
//! A schedule is the list of waits after each failed attempt: the default one makes 8 attempts in all, spread over
//! about 28 hours, so a receiver that is down for a day still gets everything. Each wait is jittered by ±20 % so
//! that the deliveries of one outage do not come back all at once. The jitter sample is an argument: this module
//! draws no randomness and reads no clock.

use crate::CoreError;

/// The waits, in seconds, after the 1st, 2nd, … failed attempt (DESIGN.md's default schedule).
pub const DEFAULT_SCHEDULE_SECS: [u32; 7] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];

/// DealPOS's own behaviour: one retry after 7 s.
pub const DEALPOS_SCHEDULE_SECS: [u32; 1] = [7];

/// How far a wait may move either way.
pub const JITTER_FRACTION: f64 = 0.2;

/// The longest `Retry-After` that kurir honours; a receiver cannot park a delivery for longer than this.
pub const RETRY_AFTER_CAP_SECS: u64 = 3_600;

/// Schedules may have at most this many retries, each at most a week.
const MAX_RETRIES: usize = 50;
const MAX_WAIT_SECS: u32 = 7 * 24 * 3_600;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule {
    waits_secs: Vec<u32>,
    rule: RetryRule,
    /// The preset this schedule came from, if any (`dealpos`), so it reads back by name.
    preset: Option<&'static str>,
}

/// Which failures are retried at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryRule {
    /// kurir's rule: every failure (any non-2xx, timeouts, refused connections).
    AnyFailure,
    /// DealPOS's rule: 5xx, 408 and 429, and a timeout (which DealPOS logs as its own 408); no other 4xx, and no
    /// connection failure ("retry will only happen when we receive response from the server").
    DealPos,
}

/// Why an attempt failed, as far as the retry rule cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureCause {
    Status(u16),
    Timeout,
    /// No response at all: refused, reset, DNS, TLS, blocked.
    NoResponse,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        RetrySchedule { waits_secs: DEFAULT_SCHEDULE_SECS.to_vec(), rule: RetryRule::AnyFailure, preset: None }
    }
}

impl RetrySchedule {
    /// A custom schedule. An empty list means "never retry": one attempt only.
    pub fn new(waits_secs: Vec<u32>) -> Result<Self, CoreError> {
        if waits_secs.len() > MAX_RETRIES {
            return Err(CoreError::invalid("retry_schedule", format!("may hold at most {MAX_RETRIES} waits")));
        }
        if let Some(index) = waits_secs.iter().position(|&wait| wait > MAX_WAIT_SECS) {
            return Err(CoreError::invalid(
                format!("retry_schedule[{index}]"),
                format!("must be at most {MAX_WAIT_SECS} seconds (one week)"),
            ));
        }
        Ok(RetrySchedule { waits_secs, rule: RetryRule::AnyFailure, preset: None })
    }

    /// A named preset: `default`, or `dealpos` (DealPOS's own delivery rules: one retry after 7 s, on 5xx, 408,
    /// 429 and timeouts only).
    pub fn preset(name: &str) -> Option<Self> {
        match name {
            "default" => Some(RetrySchedule { preset: Some("default"), ..Self::default() }),
            "dealpos" => Some(RetrySchedule {
                waits_secs: DEALPOS_SCHEDULE_SECS.to_vec(),
                rule: RetryRule::DealPos,
                preset: Some("dealpos"),
            }),
            _ => None,
        }
    }

    pub fn preset_name(&self) -> Option<&'static str> {
        self.preset
    }

    /// Whether a failure of this cause is retried at all under this schedule's rule.
    pub fn retries(&self, cause: FailureCause) -> bool {
        match self.rule {
            RetryRule::AnyFailure => true,
            RetryRule::DealPos => match cause {
                FailureCause::Status(status) => status >= 500 || status == 408 || status == 429,
                FailureCause::Timeout => true,
                FailureCause::NoResponse => false,
            },
        }
    }

    pub fn waits_secs(&self) -> &[u32] {
        &self.waits_secs
    }

    /// Attempts in all, the first one included.
    pub fn max_attempts(&self) -> u32 {
        self.waits_secs.len() as u32 + 1
    }

    /// The wait in milliseconds after `attempts_made` failed attempts, or `None` when the schedule is used up.
    /// `jitter` is a sample in [-1, 1]; it moves the wait by up to ±20 %.
    pub fn wait_after_ms(&self, attempts_made: u32, jitter: f64) -> Option<u64> {
        let index = usize::try_from(attempts_made.checked_sub(1)?).ok()?;
        let base_ms = f64::from(*self.waits_secs.get(index)?) * 1000.0;
        let factor = 1.0 + JITTER_FRACTION * jitter.clamp(-1.0, 1.0);
        Some((base_ms * factor).round() as u64)
    }
}

/// Reads a `Retry-After` header as the seconds to wait from `now_ms`: a number of seconds (`120`), or an HTTP date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`, and the two obsolete forms RFC 9110 says to accept); a date already past is
/// 0. Capped at [`RETRY_AFTER_CAP_SECS`]. Anything else is `None`: the schedule applies.
pub fn parse_retry_after_secs(value: &str, now_ms: i64) -> Option<u64> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs.min(RETRY_AFTER_CAP_SECS));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let at_secs = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    let now_secs = u64::try_from(now_ms.max(0) / 1000).unwrap_or(0);
    Some(at_secs.saturating_sub(now_secs).min(RETRY_AFTER_CAP_SECS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(schedule: &RetrySchedule, attempts_made: u32, jitter: f64, expected_ms: Option<u64>) {
        assert_eq!(
            schedule.wait_after_ms(attempts_made, jitter),
            expected_ms,
            "after {attempts_made}, jitter {jitter}"
        );
    }

    #[test]
    fn default_schedule_has_eight_attempts() {
        let schedule = RetrySchedule::default();
        assert_eq!(schedule.max_attempts(), 8);
        check(&schedule, 1, 0.0, Some(5_000));
        check(&schedule, 2, 0.0, Some(300_000));
        check(&schedule, 7, 0.0, Some(36_000_000));
        check(&schedule, 8, 0.0, None);
        check(&schedule, 0, 0.0, None);
    }

    #[test]
    fn jitter_moves_at_most_twenty_percent() {
        let schedule = RetrySchedule::default();
        check(&schedule, 1, 1.0, Some(6_000));
        check(&schedule, 1, -1.0, Some(4_000));
        check(&schedule, 1, 5.0, Some(6_000));
        check(&schedule, 2, 0.5, Some(330_000));
    }

    #[test]
    fn presets_and_custom_schedules() {
        let dealpos = RetrySchedule::preset("dealpos");
        assert_eq!(dealpos.as_ref().map(RetrySchedule::max_attempts), Some(2));
        assert!(RetrySchedule::preset("nope").is_none());
        assert_eq!(RetrySchedule::new(vec![]).map(|s| s.max_attempts()), Ok(1));
        let err = RetrySchedule::new(vec![1, MAX_WAIT_SECS + 1]).err().and_then(|e| e.field().map(str::to_owned));
        assert_eq!(err.as_deref(), Some("retry_schedule[1]"));
    }

    #[test]
    fn the_dealpos_rule_retries_only_what_dealpos_retries() {
        let dealpos = RetrySchedule::preset("dealpos").unwrap_or_default();
        assert_eq!(dealpos.preset_name(), Some("dealpos"));
        for (cause, retried) in [
            (FailureCause::Status(500), true),
            (FailureCause::Status(503), true),
            (FailureCause::Status(408), true),
            (FailureCause::Status(429), true),
            (FailureCause::Timeout, true),
            (FailureCause::Status(400), false),
            (FailureCause::Status(404), false),
            (FailureCause::NoResponse, false),
        ] {
            assert_eq!(dealpos.retries(cause), retried, "{cause:?}");
            assert!(RetrySchedule::default().retries(cause), "kurir's own rule retries {cause:?}");
        }
    }

    #[test]
    fn retry_after_is_capped() {
        assert_eq!(parse_retry_after_secs(" 3 ", 0), Some(3));
        assert_eq!(parse_retry_after_secs("999999", 0), Some(RETRY_AFTER_CAP_SECS));
    }

    #[test]
    fn retry_after_may_be_an_http_date() {
        // 2015-10-21T07:28:00Z is 1445412480.
        let now_ms = 1_445_412_480_000 - 90_000;
        assert_eq!(parse_retry_after_secs("Wed, 21 Oct 2015 07:28:00 GMT", now_ms), Some(90));
        assert_eq!(parse_retry_after_secs("Wednesday, 21-Oct-15 07:28:00 GMT", now_ms), Some(90), "RFC 850");
        assert_eq!(parse_retry_after_secs("Wed Oct 21 07:28:00 2015", now_ms), Some(90), "asctime");
        assert_eq!(parse_retry_after_secs("Wed, 21 Oct 2015 07:28:00 GMT", now_ms + 200_000), Some(0), "past");
        assert_eq!(parse_retry_after_secs("Wed, 21 Oct 2015 07:28:00 GMT", 0), Some(RETRY_AFTER_CAP_SECS), "capped");
        assert_eq!(parse_retry_after_secs("soon", now_ms), None);
        assert_eq!(parse_retry_after_secs("-5", now_ms), None);
    }
}
