//! Backfills: every event of a tenant from a time (optionally until a time, optionally of some types) sent to one
//! endpoint, whether or not it was delivered before: what a merchant needs when a new integration starts, or a
//! receiver lost its data. (Recovering only what died is `recover`.)
//!
//! A backfill walks the tenant's events in publish order (the store's sequence, not the ids, which do not order
//! the events of one millisecond), a bounded batch at a time, each batch one write that
//! makes the deliveries and moves the cursor, so it survives a restart and deliveries with one ordering key keep
//! their order. It can be cancelled; what it already queued is sent.

use crate::id::{BackfillId, EndpointId, TenantId};
use crate::CoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackfillState {
    Running,
    Done,
    Cancelled,
}

impl BackfillState {
    pub fn as_str(self) -> &'static str {
        match self {
            BackfillState::Running => "running",
            BackfillState::Done => "done",
            BackfillState::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Result<Self, CoreError> {
        match text {
            "running" => Ok(BackfillState::Running),
            "done" => Ok(BackfillState::Done),
            "cancelled" => Ok(BackfillState::Cancelled),
            other => Err(CoreError::invalid("state", format!("`{other}` is not a backfill state"))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backfill {
    pub id: BackfillId,
    pub tenant: TenantId,
    pub endpoint: EndpointId,
    /// Events published at or after this time…
    pub since_ms: i64,
    /// …and before this one, when given.
    pub until_ms: Option<i64>,
    /// Only these types, when given.
    pub event_types: Option<Vec<String>>,
    /// The store's publish-order number of the last event looked at; the next batch starts after it.
    pub cursor: Option<i64>,
    pub state: BackfillState,
    /// Events looked at, and deliveries made (the events of the wanted types).
    pub scanned: u64,
    pub queued: u64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl Backfill {
    /// Whether an event of `event_type` is sent by this backfill.
    pub fn wants(&self, event_type: &str) -> bool {
        self.event_types.as_ref().is_none_or(|types| types.iter().any(|t| t == event_type))
    }

    /// Checks the range: `until` after `since`.
    pub fn validate_range(since_ms: i64, until_ms: Option<i64>) -> Result<(), CoreError> {
        match until_ms {
            Some(until) if until <= since_ms => Err(CoreError::invalid("until", "must be after `since`")),
            _ => Ok(()),
        }
    }

    /// The batch just written at `now_ms`: `scanned` events looked at, the last being `last`, `queued` of them
    /// sent; a batch shorter than `limit` was the last.
    pub fn advance(&mut self, last: Option<i64>, scanned: u64, queued: u64, limit: u32, now_ms: i64) {
        if last.is_some() {
            self.cursor = last;
        }
        self.scanned += scanned;
        self.queued += queued;
        if scanned < u64::from(limit) {
            self.state = BackfillState::Done;
        }
        self.updated_at_ms = now_ms;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backfill(types: Option<Vec<String>>) -> Backfill {
        Backfill {
            id: BackfillId::generate(0, 0),
            tenant: "acme".parse().unwrap_or_else(|_| unreachable!()),
            endpoint: EndpointId::generate(0, 0),
            since_ms: 0,
            until_ms: None,
            event_types: types,
            cursor: None,
            state: BackfillState::Running,
            scanned: 0,
            queued: 0,
            created_at_ms: 0,
            updated_at_ms: 0,
        }
    }

    #[test]
    fn batches_move_the_cursor_and_a_short_one_ends_it() {
        let mut b = backfill(Some(vec!["ADDPRODUCT".into()]));
        assert!(b.wants("ADDPRODUCT") && !b.wants("ADDORDER") && backfill(None).wants("ADDORDER"));
        b.advance(Some(2), 100, 40, 100, 5);
        assert_eq!((b.cursor, b.scanned, b.queued, b.state), (Some(2), 100, 40, BackfillState::Running));
        b.advance(None, 0, 0, 100, 6);
        assert_eq!((b.cursor, b.state, b.updated_at_ms), (Some(2), BackfillState::Done, 6));
        assert!(Backfill::validate_range(10, Some(10)).is_err() && Backfill::validate_range(10, None).is_ok());
        assert_eq!(BackfillState::parse("cancelled").ok(), Some(BackfillState::Cancelled));
    }
}
