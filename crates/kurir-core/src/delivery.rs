//! A delivery is one event for one endpoint. Its life is a small state machine:
//!
//! ```text
//! pending ──claim──▶ in_flight ──2xx──▶ succeeded
//!                       │
//!                       ├──failure, schedule not used up──▶ retrying ──due──▶ in_flight …
//!                       └──failure, schedule used up, or 410 Gone──▶ dead
//! ```
//!
//! A dead delivery can be sent again by hand (retry, recover), which puts it back to `pending`.

use crate::retry::{RetrySchedule, RETRY_AFTER_CAP_SECS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    Pending,
    InFlight,
    Succeeded,
    Retrying,
    Dead,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 5] = [
        DeliveryState::Pending,
        DeliveryState::InFlight,
        DeliveryState::Succeeded,
        DeliveryState::Retrying,
        DeliveryState::Dead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::InFlight => "in_flight",
            DeliveryState::Succeeded => "succeeded",
            DeliveryState::Retrying => "retrying",
            DeliveryState::Dead => "dead",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }

    /// Whether a later delivery with the same ordering key must still wait for this one.
    pub fn blocks_successors(self) -> bool {
        matches!(self, DeliveryState::Pending | DeliveryState::InFlight | DeliveryState::Retrying)
    }
}

/// What one attempt's outcome means for the delivery, before the schedule is consulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Any 2xx within the timeout.
    Success,
    /// The receiver said the endpoint is gone for good (410): stop, and disable the endpoint.
    Gone,
    /// Anything else: a non-2xx status (redirects included), a timeout, a refused connection. `retry_after_secs`
    /// is the receiver's own `Retry-After` on a 429 or 503, already capped.
    Failure { retry_after_secs: Option<u64> },
}

impl Verdict {
    /// Classifies an HTTP status. `retry_after_secs` is honoured only on 429 and 503, as RFC 9110 intends.
    pub fn for_status(status: u16, retry_after_secs: Option<u64>) -> Self {
        match status {
            200..=299 => Verdict::Success,
            410 => Verdict::Gone,
            429 | 503 => Verdict::Failure { retry_after_secs: retry_after_secs.map(|s| s.min(RETRY_AFTER_CAP_SECS)) },
            _ => Verdict::Failure { retry_after_secs: None },
        }
    }
}

/// Where a delivery goes after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    Succeeded,
    RetryAt { due_ms: i64 },
    Dead,
}

impl NextStep {
    pub fn state(self) -> DeliveryState {
        match self {
            NextStep::Succeeded => DeliveryState::Succeeded,
            NextStep::RetryAt { .. } => DeliveryState::Retrying,
            NextStep::Dead => DeliveryState::Dead,
        }
    }
}

/// The transition after attempt number `attempts_made` (1 for the first) ended with `verdict` at `now_ms`.
/// `jitter` is a sample in [-1, 1]. A receiver's `Retry-After` replaces the scheduled wait but never extends the
/// schedule: the number of attempts stays bounded.
pub fn next_step(verdict: Verdict, attempts_made: u32, schedule: &RetrySchedule, now_ms: i64, jitter: f64) -> NextStep {
    let retry_after_secs = match verdict {
        Verdict::Success => return NextStep::Succeeded,
        Verdict::Gone => return NextStep::Dead,
        Verdict::Failure { retry_after_secs } => retry_after_secs,
    };
    let Some(scheduled_ms) = schedule.wait_after_ms(attempts_made, jitter) else {
        return NextStep::Dead;
    };
    let wait_ms = retry_after_secs.map_or(scheduled_ms, |secs| secs * 1000);
    NextStep::RetryAt { due_ms: now_ms.saturating_add(i64::try_from(wait_ms).unwrap_or(i64::MAX)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(verdict: Verdict, attempts_made: u32, expected: NextStep) {
        let schedule = RetrySchedule::new(vec![5, 60]).unwrap_or_default();
        assert_eq!(
            next_step(verdict, attempts_made, &schedule, 1_000, 0.0),
            expected,
            "{verdict:?} after {attempts_made}"
        );
    }

    #[test]
    fn transitions() {
        let failure = Verdict::Failure { retry_after_secs: None };
        check(Verdict::Success, 1, NextStep::Succeeded);
        check(Verdict::Success, 3, NextStep::Succeeded);
        check(failure, 1, NextStep::RetryAt { due_ms: 6_000 });
        check(failure, 2, NextStep::RetryAt { due_ms: 61_000 });
        check(failure, 3, NextStep::Dead);
        check(Verdict::Gone, 1, NextStep::Dead);
        check(Verdict::Failure { retry_after_secs: Some(2) }, 1, NextStep::RetryAt { due_ms: 3_000 });
        check(Verdict::Failure { retry_after_secs: Some(2) }, 3, NextStep::Dead);
    }

    #[test]
    fn statuses() {
        assert_eq!(Verdict::for_status(204, None), Verdict::Success);
        assert_eq!(Verdict::for_status(301, None), Verdict::Failure { retry_after_secs: None });
        assert_eq!(Verdict::for_status(410, None), Verdict::Gone);
        assert_eq!(Verdict::for_status(429, Some(9)), Verdict::Failure { retry_after_secs: Some(9) });
        assert_eq!(Verdict::for_status(500, Some(9)), Verdict::Failure { retry_after_secs: None });
        assert_eq!(
            Verdict::for_status(503, Some(1_000_000)),
            Verdict::Failure { retry_after_secs: Some(RETRY_AFTER_CAP_SECS) }
        );
    }

    #[test]
    fn state_names_round_trip() {
        for state in DeliveryState::ALL {
            assert_eq!(DeliveryState::parse(state.as_str()), Some(state));
        }
        assert_eq!(DeliveryState::parse("done"), None);
    }
}
