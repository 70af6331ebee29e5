//! The outcomes waiting to be written back, and what happens when the store refuses them.
//!
//! The dispatcher writes outcomes in its own turns ([`kurir_store::Store::dispatch_turn`]): every outcome that
//! finished since the previous turn goes into the next one, so a thousand deliveries finishing at once cost a few
//! commits, not a thousand. A batch the store refuses is kept and tried again with a growing pause (the database
//! may be away), for up to a minute; then it is given up and its leases let go, so they expire and the
//! deliveries are sent again (at least once).

use std::sync::Arc;
use std::time::{Duration, Instant};

use kurir_store::{Lease, Outcome};
use tokio::sync::mpsc;

use crate::lane::Finished;

/// Most outcomes in one turn.
pub const MAX_BATCH: usize = 1_024;

/// How long a batch is tried before it is given up.
const GIVE_UP_AFTER: Duration = Duration::from_secs(60);

/// The first pause after a refused write; it doubles up to [`LONGEST_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(100);
const LONGEST_PAUSE: Duration = Duration::from_secs(5);

/// A batch of outcomes on its way to the store, with its retry state.
#[derive(Debug)]
pub struct Batch {
    outcomes: Arc<[Outcome]>,
    first_refused: Option<Instant>,
    pause: Duration,
}

/// What to do after the store refused a batch.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Wait this long, then try the same batch again.
    RetryAfter(Duration),
    /// Stop trying: the leases are let go and the deliveries will be sent again.
    GiveUp,
}

impl Batch {
    /// `first` (outcomes already taken off the channel) and what the channel holds now, up to [`MAX_BATCH`],
    /// without waiting; `None` when there is nothing. Taking an outcome gives its attempt's permit back.
    pub(crate) fn ready(
        first: impl IntoIterator<Item = Finished>,
        outcomes: &mut mpsc::Receiver<Finished>,
    ) -> Option<Batch> {
        let mut taken: Vec<Outcome> = first.into_iter().map(|f| f.outcome).collect();
        while taken.len() < MAX_BATCH {
            match outcomes.try_recv() {
                Ok(finished) => taken.push(finished.outcome),
                Err(_) => break,
            }
        }
        (!taken.is_empty()).then(|| Batch::of(taken))
    }

    /// Adds an outcome that finished while this batch waited to be tried again (a copy, but only then).
    pub(crate) fn push(&mut self, finished: Finished) {
        self.outcomes = self.outcomes.iter().cloned().chain(std::iter::once(finished.outcome)).collect();
    }

    pub fn of(outcomes: Vec<Outcome>) -> Batch {
        Batch { outcomes: outcomes.into(), first_refused: None, pause: FIRST_PAUSE }
    }

    /// The outcomes, to hand to the store (a cheap copy of a shared slice).
    pub fn outcomes(&self) -> Arc<[Outcome]> {
        Arc::clone(&self.outcomes)
    }

    pub fn len(&self) -> usize {
        self.outcomes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.outcomes.is_empty()
    }

    /// The leases the batch's attempts held, released once it is written or given up.
    pub fn leases(&self) -> Vec<Lease> {
        self.outcomes.iter().map(|o| Lease { delivery_id: o.delivery_id.clone(), lease_token: o.lease_token }).collect()
    }

    /// The store refused the batch at `now`: how long to wait before trying again, or to give it up.
    pub fn refused(&mut self, now: Instant) -> Refused {
        let first = *self.first_refused.get_or_insert(now);
        if now.duration_since(first) >= GIVE_UP_AFTER {
            return Refused::GiveUp;
        }
        let pause = self.pause;
        self.pause = (self.pause * 2).min(LONGEST_PAUSE);
        Refused::RetryAfter(pause)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_batch_waits_longer_each_time_then_is_given_up_after_a_minute() {
        let mut batch = Batch::of(Vec::new());
        let start = Instant::now();
        let pauses: Vec<Refused> = (0..7).map(|_| batch.refused(start)).collect();
        let expected =
            [100, 200, 400, 800, 1_600, 3_200, 5_000].map(|ms| Refused::RetryAfter(Duration::from_millis(ms)));
        assert_eq!(pauses, expected);
        assert_eq!(batch.refused(start + Duration::from_secs(59)), Refused::RetryAfter(LONGEST_PAUSE));
        assert_eq!(batch.refused(start + GIVE_UP_AFTER), Refused::GiveUp);
    }

    #[tokio::test]
    async fn a_ready_batch_takes_what_is_queued_without_waiting() {
        let (_tx, mut rx) = mpsc::channel::<Finished>(4);
        assert!(Batch::ready(None, &mut rx).is_none(), "an empty channel makes no batch");
    }
}
