//! A delivery is one event for one endpoint. Its life is a small state machine:
//!
//! ```text
//! pending ──claim──▶ in_flight ──2xx──▶ succeeded
//!                       │
//!                       ├──failure, schedule not used up──▶ retrying ──due──▶ in_flight …
//!                       └──failure, schedule used up, or 410 Gone──▶ dead
//! ```
//!
//! A delivery that is not in flight can be sent now by hand (retry): a finished one goes back to `pending`, a waiting
//! one becomes due at once. Recovering an endpoint puts its dead deliveries back to `pending`.

use crate::id::{AttemptId, DeliveryId, EndpointId, EventId, TenantId};
use crate::retry::{FailureCause, RetrySchedule, RETRY_AFTER_CAP_SECS};

/// One event for one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: DeliveryId,
    pub tenant: TenantId,
    pub event_id: EventId,
    pub endpoint_id: EndpointId,
    pub event_type: String,
    pub ordering_key: Option<String>,
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the dispatcher next looks at it: the due time while pending or retrying, the lease's end in flight.
    pub next_attempt_at_ms: i64,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// Why an attempt failed before or instead of an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptErrorKind {
    /// No complete response within the endpoint's timeout.
    Timeout,
    /// No connection: refused, reset, DNS failure, TLS failure.
    Connect,
    /// A response that was not 2xx (redirects included).
    Status,
    /// The target resolved to an address the SSRF rule forbids.
    Blocked,
    /// The request could not be built (for example a stored secret that no longer parses).
    Encode,
    /// The endpoint was disabled before the delivery went out; nothing was sent.
    Disabled,
    /// No token could be had from the endpoint's OAuth token URL; nothing was sent.
    Auth,
}

impl AttemptErrorKind {
    pub const ALL: [AttemptErrorKind; 7] = [
        AttemptErrorKind::Timeout,
        AttemptErrorKind::Connect,
        AttemptErrorKind::Status,
        AttemptErrorKind::Blocked,
        AttemptErrorKind::Encode,
        AttemptErrorKind::Disabled,
        AttemptErrorKind::Auth,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttemptErrorKind::Timeout => "timeout",
            AttemptErrorKind::Connect => "connect",
            AttemptErrorKind::Status => "status",
            AttemptErrorKind::Blocked => "blocked",
            AttemptErrorKind::Encode => "encode",
            AttemptErrorKind::Disabled => "disabled",
            AttemptErrorKind::Auth => "auth",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// One HTTP try of a delivery, as the attempt log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub id: AttemptId,
    pub tenant: TenantId,
    pub delivery_id: DeliveryId,
    /// 1 for the first attempt.
    pub attempt_no: u32,
    pub started_at_ms: i64,
    pub duration_ms: u32,
    pub status: Option<u16>,
    pub error_kind: Option<AttemptErrorKind>,
    /// What went wrong, in words (`connection refused`, `timed out after 15000 ms`).
    pub error: Option<String>,
    /// The first 4 KiB of the response body.
    pub response_excerpt: String,
    /// The request as it went out, secrets masked; absent when none was made (the endpoint was disabled, the
    /// request could not be encoded) or for attempts logged before kurir kept requests.
    pub request: Option<SentRequest>,
    /// The response's headers, in order (`set-cookie` values masked); empty without a response.
    pub response_headers: Vec<(String, String)>,
}

/// An attempt's request as the attempt log keeps it: what a receiver's developer needs to see what kurir sent,
/// without the secrets (see kurir-wire's `loggable`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentRequest {
    pub method: String,
    pub url: String,
    /// Lower-case names, in the order sent; secret values replaced by [`MASKED`].
    pub headers: Vec<(String, String)>,
    /// The body's first [`REQUEST_BODY_LOGGED_BYTES`], as text.
    pub body: String,
}

/// What a masked header value shows instead of the secret.
pub const MASKED: &str = "••••••";

/// How much of a request body the attempt log keeps.
pub const REQUEST_BODY_LOGGED_BYTES: usize = 16 * 1024;

impl Attempt {
    /// Whether a request went out (an endpoint disabled before the send made none): only those tell the circuit
    /// breaker anything about the endpoint.
    pub fn was_sent(&self) -> bool {
        self.error_kind != Some(AttemptErrorKind::Disabled)
    }
}

/// How much of a response body the attempt log keeps.
pub const RESPONSE_EXCERPT_BYTES: usize = 4 * 1024;

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

    /// The states of a delivery that is not finished: it is waiting, or being sent. A later delivery with the
    /// same ordering key waits while an earlier one is in one of these, and the dispatcher only looks at these.
    pub const UNFINISHED: [DeliveryState; 3] =
        [DeliveryState::Pending, DeliveryState::Retrying, DeliveryState::InFlight];

    /// The states from which a delivery may be sent again by hand ("send it now"): any but in flight. A finished
    /// one is sent again (receivers lose data too); a waiting one stops waiting.
    pub const RESENDABLE: [DeliveryState; 4] =
        [DeliveryState::Pending, DeliveryState::Retrying, DeliveryState::Succeeded, DeliveryState::Dead];

    /// Whether a later delivery with the same ordering key must still wait for this one.
    pub fn blocks_successors(self) -> bool {
        Self::UNFINISHED.contains(&self)
    }

    /// Whether a delivery in this state may be sent again by hand.
    pub fn resendable(self) -> bool {
        Self::RESENDABLE.contains(&self)
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
    Failure { retry_after_secs: Option<u64>, cause: FailureCause },
}

impl Verdict {
    /// Classifies an HTTP status. `retry_after_secs` is honoured only on 429 and 503, as RFC 9110 intends.
    pub fn for_status(status: u16, retry_after_secs: Option<u64>) -> Self {
        match status {
            200..=299 => Verdict::Success,
            410 => Verdict::Gone,
            429 | 503 => Verdict::Failure {
                retry_after_secs: retry_after_secs.map(|s| s.min(RETRY_AFTER_CAP_SECS)),
                cause: FailureCause::Status(status),
            },
            _ => Verdict::Failure { retry_after_secs: None, cause: FailureCause::Status(status) },
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
        Verdict::Failure { cause, .. } if !schedule.retries(cause) => return NextStep::Dead,
        Verdict::Failure { retry_after_secs, .. } => retry_after_secs,
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
        let failure = Verdict::Failure { retry_after_secs: None, cause: FailureCause::Status(500) };
        check(Verdict::Success, 1, NextStep::Succeeded);
        check(Verdict::Success, 3, NextStep::Succeeded);
        check(failure, 1, NextStep::RetryAt { due_ms: 6_000 });
        check(failure, 2, NextStep::RetryAt { due_ms: 61_000 });
        check(failure, 3, NextStep::Dead);
        check(Verdict::Gone, 1, NextStep::Dead);
        let throttled = Verdict::Failure { retry_after_secs: Some(2), cause: FailureCause::Status(429) };
        check(throttled, 1, NextStep::RetryAt { due_ms: 3_000 });
        check(throttled, 3, NextStep::Dead);
    }

    #[test]
    fn statuses() {
        assert_eq!(Verdict::for_status(204, None), Verdict::Success);
        let status = |s| FailureCause::Status(s);
        assert_eq!(Verdict::for_status(301, None), Verdict::Failure { retry_after_secs: None, cause: status(301) });
        assert_eq!(Verdict::for_status(410, None), Verdict::Gone);
        assert_eq!(
            Verdict::for_status(429, Some(9)),
            Verdict::Failure { retry_after_secs: Some(9), cause: status(429) }
        );
        assert_eq!(Verdict::for_status(500, Some(9)), Verdict::Failure { retry_after_secs: None, cause: status(500) });
        assert_eq!(
            Verdict::for_status(503, Some(1_000_000)),
            Verdict::Failure { retry_after_secs: Some(RETRY_AFTER_CAP_SECS), cause: status(503) }
        );
    }

    #[test]
    fn the_dealpos_preset_gives_up_on_what_dealpos_does_not_retry() {
        let dealpos = RetrySchedule::preset("dealpos").unwrap_or_default();
        let next = |cause| next_step(Verdict::Failure { retry_after_secs: None, cause }, 1, &dealpos, 0, 0.0);
        assert_eq!(next(FailureCause::Status(502)), NextStep::RetryAt { due_ms: 7_000 });
        assert_eq!(next(FailureCause::Timeout), NextStep::RetryAt { due_ms: 7_000 });
        assert_eq!(next(FailureCause::Status(400)), NextStep::Dead);
        assert_eq!(next(FailureCause::NoResponse), NextStep::Dead);
    }

    #[test]
    fn state_names_round_trip() {
        for state in DeliveryState::ALL {
            assert_eq!(DeliveryState::parse(state.as_str()), Some(state));
        }
        assert_eq!(DeliveryState::parse("done"), None);
    }
}
