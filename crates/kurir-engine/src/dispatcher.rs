//! The dispatcher loop.
//!
//! ```text
//!          ┌──── an attempt finished, a publish woke it, or the next due time came ────┐
//!          ▼                                                                           │
//!   one turn (one store write): the finished attempts' outcomes, then a claim          │
//!   of due deliveries (≤ free permits) ──▶ spawn attempts ──▶ outcomes ────────────────┘
//!          │ claim not full
//!          ▼
//!   sleep until the next due time the turn found (or 1 s, an outcome, a wake, or shutdown)
//! ```
//!
//! Concurrency is bounded by a semaphore, so a flood of due deliveries is leased no faster than it can be sent.
//! Which endpoints may have deliveries handed out (circuit breaker, per-endpoint in-flight limit) is decided by
//! the store's claim, for the endpoint as a whole across every node sharing the database; a delivery that is
//! claimed is sent. Writing outcomes and claiming share a turn because an outcome is what frees room for the
//! next claim, and one store write per turn is one hand-off to the writer and one commit instead of three. A
//! publish in this process claims its own deliveries when it can ([`crate::lane::publish`]); the dispatcher
//! claims the rest. A second task renews this node's leases while its attempts run; a third publishes notices
//! ([`crate::notices`]).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kurir_core::catalog::Catalog;
use kurir_core::circuit::CircuitPolicy;
use kurir_store::{DispatchTurn, EndpointChange, NodeId, Store};
use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::lane::{Finished, Lane, Reservation};
use crate::leases::Leases;
use crate::notices::Teller;
use crate::oauth::TokenCache;
use crate::outcomes::{Batch, Refused};
use crate::{attempt, client, now_ms, EngineError, Waker};

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Lets endpoints reach private and loopback addresses (tests, on-premises receivers).
    pub allow_private_targets: bool,
    /// Attempts in flight at once, across all endpoints.
    pub max_in_flight: usize,
    /// Most deliveries leased by one claim.
    pub claim_batch: u32,
    /// This process's name in the leases it takes.
    pub node: NodeId,
    /// How long a claim owns a delivery unless renewed. The node renews its leases every third of this while
    /// attempts run, so an attempt may take longer than the lease; a dead node's deliveries are sent by another
    /// node once this much time has passed.
    pub lease_ms: i64,
    /// How long in-flight attempts may take to finish at shutdown before they are abandoned (and later resent).
    pub shutdown_grace: Duration,
    /// Most attempts in flight to one endpoint across all nodes, so that a slow one cannot take every permit (every
    /// node must be given the same value: each checks its own against the count of all).
    pub max_in_flight_per_endpoint: u32,
    /// Whether each endpoint's attempts at once follow its adaptive window (`kurir_core::window`) under that
    /// limit, or may use all of it from the start.
    pub adaptive_concurrency: bool,
    pub circuit: CircuitPolicy,
    /// Where attempts and outcome writes are counted (`/metrics`); `None` counts nothing.
    pub metrics: Option<Arc<kurir_metrics::Metrics>>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            allow_private_targets: false,
            max_in_flight: 1_024,
            claim_batch: 256,
            node: NodeId::random(),
            lease_ms: 30_000,
            shutdown_grace: Duration::from_secs(10),
            max_in_flight_per_endpoint: DEFAULT_MAX_IN_FLIGHT_PER_ENDPOINT,
            adaptive_concurrency: true,
            circuit: CircuitPolicy::default(),
            metrics: None,
        }
    }
}

/// Most attempts in flight to one endpoint unless the operator says otherwise (`kurir serve
/// --endpoint-max-in-flight`); an endpoint's own `max_in_flight` may only lower it, and its adaptive window decides
/// how much of it a receiver gets. An answered attempt still counts against the limit until a turn writes its
/// outcome, and a turn takes 10–14 ms on PostgreSQL: with 256, one endpoint's limit was mostly taken by answered
/// attempts, and it got 10,500–10,700 deliveries a second end to end there; with 512, 11,400–11,900 (BENCHMARKS.md,
/// session 14). A fast receiver still has only rate × answer time requests out at once (about twenty there). With
/// `--fixed-concurrency` a slow endpoint may hold this many of a node's permits ([`EngineConfig::max_in_flight`],
/// 1,024): half of them.
pub const DEFAULT_MAX_IN_FLIGHT_PER_ENDPOINT: u32 = 512;

/// The longest the dispatcher sleeps without looking at the store: a safety net, not the hot path.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// The longest a turn woken by a finished attempt waits for the attempts still running ([`Dispatcher::linger`]).
const LINGER_CAP: Duration = Duration::from_millis(5);

/// How long a quiet turn may wait in the store for a publish to share a commit with ([`may_wait`]).
/// At 1,000 events a second one comes within a millisecond.
const SHARE_A_COMMIT_WITHIN: Duration = Duration::from_millis(2);

/// Runs the engine until `shutdown` is cancelled, then lets in-flight attempts finish within the grace period.
pub async fn run(
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    config: EngineConfig,
    waker: Waker,
    shutdown: CancellationToken,
) -> Result<(), EngineError> {
    let client = client::build(config.allow_private_targets, config.max_in_flight_per_endpoint as usize)?;
    let context = Arc::new(attempt::Context {
        sender: client::sender(config.allow_private_targets, config.max_in_flight_per_endpoint as usize)?,
        client,
        catalog,
        tokens: TokenCache::default(),
        allow_private_targets: config.allow_private_targets,
        metrics: config.metrics.clone(),
    });
    // Another node's publish wakes this dispatcher too (where the store can tell).
    store.on_due({
        let waker = waker.clone();
        Arc::new(move || waker.wake())
    });
    let released = store.release_leases(&config.node, now_ms()).await?;
    if released > 0 {
        tracing::info!(
            released,
            "resuming deliveries that were in flight when this node stopped or whose lease expired"
        );
    }
    let (outcome_tx, mut outcome_rx) = mpsc::channel(config.max_in_flight.max(1));
    let leases = Arc::new(Leases::default());
    let (teller, teller_task) = Teller::start(Arc::clone(&store), waker.clone());
    // The renewer outlives the drain and the last outcome write, so no lease expires while it is still used.
    let renewer_stop = CancellationToken::new();
    let renewer = tokio::spawn(renew_leases(
        Arc::clone(&store),
        config.node.clone(),
        Arc::clone(&leases),
        config.lease_ms,
        renewer_stop.clone(),
    ));
    let lane = Arc::new(Lane {
        permits: Arc::new(Semaphore::new(config.max_in_flight)),
        reserved: Arc::default(),
        outcome_lag_ms: AtomicI64::default(),
        context,
        leases,
        outcome_tx,
        attempts: TaskTracker::new(),
        abandon: CancellationToken::new(),
        config,
    });
    let open = OpenLane::open(&waker, &lane);
    let lingers = store.turns_are_costly();
    let mut dispatcher = Dispatcher {
        store,
        lane: Arc::clone(&lane),
        teller,
        unwritten: None,
        lingers,
        last_turn: Duration::ZERO,
        nothing_due: false,
        next_due_ms: None,
    };

    let mut arrived = None;
    while !shutdown.is_cancelled() {
        match dispatcher.turn(arrived.take(), &mut outcome_rx).await {
            Next::Now => {}
            // In this order: a wake or a due time that came with a finished attempt is what ended the sleep, so
            // that the turn claims at once (see `may_wait`); the outcome is taken from the channel by the turn.
            Next::Sleep(sleep) => tokio::select! {
                biased;
                () = shutdown.cancelled() => {}
                () = waker.woken() => {}
                () = tokio::time::sleep(sleep) => {}
                Some(outcome) = outcome_rx.recv() => arrived = Some(outcome),
            },
            Next::Pause(pause) => tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = shutdown.cancelled() => {}
            },
        }
    }

    // No publish starts attempts from here on, but those that reserved permits already are waited for.
    drop(open);
    drain(&lane).await;
    dispatcher.write_the_rest(arrived, &mut outcome_rx).await;
    drop(dispatcher); // the teller: it tells what it holds and stops
    let _ = teller_task.await;
    renewer_stop.cancel();
    let _ = renewer.await;
    Ok(())
}

/// Renews the leases this node works on every third of the lease until stopped, so that long attempts keep
/// theirs and leases can stay short.
async fn renew_leases(
    store: Arc<dyn Store>,
    node: NodeId,
    leases: Arc<Leases>,
    lease_ms: i64,
    stop: CancellationToken,
) {
    let every = Duration::from_millis(u64::try_from(lease_ms / 3).unwrap_or(1_000).max(100));
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = stop.cancelled() => return,
        }
        if let Err(err) = store.renew_leases(&node, leases.held(), now_ms(), lease_ms).await {
            tracing::error!(error = %err, "cannot renew leases; another node may send these deliveries again");
        }
    }
}

/// The lane open to this process's publishes while the dispatcher runs; closed when dropped, also if the
/// dispatcher's task ends early (a panic), so that no publish starts attempts whose outcomes nobody reads.
struct OpenLane {
    waker: Waker,
    lane: Arc<Lane>,
}

impl OpenLane {
    fn open(waker: &Waker, lane: &Arc<Lane>) -> OpenLane {
        waker.set_lane(Some(Arc::clone(lane)));
        OpenLane { waker: waker.clone(), lane: Arc::clone(lane) }
    }
}

impl Drop for OpenLane {
    fn drop(&mut self) {
        self.waker.set_lane(None);
        self.lane.permits.close(); // refuses every later reservation
    }
}

/// What the loop does after a turn.
enum Next {
    /// Take another turn at once: the claim was full, or a refused batch was given up.
    Now,
    /// Sleep at most this long; a finished attempt, a wake or shutdown ends it sooner.
    Sleep(Duration),
    /// The store refused the outcomes: wait this long before trying them again, whatever happens meanwhile.
    Pause(Duration),
}

/// What the dispatcher's turns need.
struct Dispatcher {
    store: Arc<dyn Store>,
    /// Where its claims start (shared with this process's publishes).
    lane: Arc<Lane>,
    teller: Teller,
    /// The outcomes of the turn under way, or those the store refused, kept for the next turn.
    unwritten: Option<Batch>,
    /// Whether a turn woken by a finished attempt waits for the others running ([`Dispatcher::linger`]).
    lingers: bool,
    /// How long the last turn's store call took.
    last_turn: Duration,
    /// Whether the last turn's claim found nothing due ([`kurir_store::TurnTaken::nothing_due`]).
    nothing_due: bool,
    /// The last turn's next due time, if it read one.
    next_due_ms: Option<i64>,
}

impl Dispatcher {
    /// One turn: writes the outcomes that are ready (with `arrived`, one the loop already took off the channel)
    /// and claims as many due deliveries as it could reserve permits for, in one store call; starts an attempt
    /// for each claim. A turn with `arrived` is one that nothing but finished attempts woke (the loop's sleep
    /// prefers a wake and a due time to them).
    async fn turn(&mut self, arrived: Option<Finished>, outcomes: &mut mpsc::Receiver<Finished>) -> Next {
        let only_outcomes_woke = arrived.is_some();
        match arrived {
            Some(first) if self.lingers && self.unwritten.is_none() => {
                let taken = self.linger(first, outcomes).await;
                self.unwritten = Batch::ready(taken, outcomes);
            }
            arrived => self.gather(arrived, outcomes),
        }
        let reserved = self.lane.reserve(self.lane.config.claim_batch as usize);
        let free = reserved.as_ref().map_or(0, Reservation::count);
        if free == 0 && self.unwritten.is_none() {
            return Next::Sleep(IDLE_POLL); // every permit is out: the next finished attempt ends the sleep
        }
        let started = Instant::now();
        let patience = may_wait(only_outcomes_woke, self.nothing_due, self.lane.in_flight(), until(self.next_due_ms));
        let turn = DispatchTurn { may_wait: patience, ..self.turn_claiming(free) };
        match self.store.dispatch_turn(turn).await {
            Ok(taken) => {
                self.last_turn = started.elapsed();
                self.lane.outcome_lag_ms.store(outcome_lag_ms(self.last_turn), Ordering::Relaxed);
                // Started before the notices are handed on, which may wait for room.
                let claimed = taken.claims.len();
                (self.nothing_due, self.next_due_ms) = (taken.nothing_due, taken.next_due_ms);
                if let Some(reservation) = reserved {
                    self.lane.start(taken.claims, reservation);
                }
                if let Some(batch) = self.unwritten.take() {
                    self.written(batch, taken.changes, started).await;
                }
                if claimed > 0 && claimed == free as usize {
                    return Next::Now; // more may be due right now
                }
                Next::Sleep(until(taken.next_due_ms))
            }
            Err(err) => self.refused(&err),
        }
    }

    /// A turn woken by a finished attempt (`first`) waits while others are still running, up to half as long
    /// as the last turn took (at most [`LINGER_CAP`]), taking their outcomes as they come, so that one turn
    /// writes them all. When turns are long (a database over the network), an outcome that just missed a turn
    /// would otherwise keep its lease, and its endpoint's in-flight room, through the whole next turn. At light
    /// load nothing else is running and the turn starts at once; when turns are short, so is the wait. Only
    /// where the store says its turns are costly ([`Store::turns_are_costly`]).
    async fn linger(&self, first: Finished, outcomes: &mut mpsc::Receiver<Finished>) -> Vec<Finished> {
        let mut taken = vec![first];
        let deadline = tokio::time::Instant::now() + (self.last_turn / 2).min(LINGER_CAP);
        // Permits taken are the attempts running, the outcomes in the channel, and those taken here.
        while self.lane.in_flight() > outcomes.len() + taken.len() && taken.len() < crate::outcomes::MAX_BATCH {
            match tokio::time::timeout_at(deadline, outcomes.recv()).await {
                Ok(Some(finished)) => taken.push(finished),
                _ => break,
            }
        }
        taken
    }

    /// A turn of the outcomes waiting (if any) and a claim of up to `limit` deliveries.
    fn turn_claiming(&self, limit: u32) -> DispatchTurn {
        DispatchTurn {
            outcomes: self.unwritten.as_ref().map_or_else(|| Arc::from([]), Batch::outcomes),
            circuit: self.lane.config.circuit,
            claim: self.lane.claim_request(limit),
            may_wait: None,
        }
    }

    /// After a batch was written: its leases are no longer this node's to renew, and its notices are told.
    async fn written(&self, batch: Batch, changes: Vec<EndpointChange>, started: Instant) {
        if let Some(metrics) = &self.lane.config.metrics {
            metrics.outcomes_written(batch.len(), started.elapsed());
        }
        self.lane.leases.release(&batch.leases());
        self.teller.written(batch.outcomes(), changes).await;
    }

    /// The store refused a turn: its outcomes wait and are tried again, or are given up after a while.
    fn refused(&mut self, err: &kurir_store::StoreError) -> Next {
        let Some(batch) = &mut self.unwritten else {
            tracing::error!(error = %err, "cannot claim due deliveries");
            return Next::Sleep(IDLE_POLL);
        };
        match batch.refused(Instant::now()) {
            Refused::RetryAfter(pause) => {
                tracing::warn!(error = %err, count = batch.len(), "cannot write attempt outcomes yet; trying again");
                Next::Pause(pause)
            }
            Refused::GiveUp => {
                tracing::error!(error = %err, count = batch.len(), "giving up writing attempt outcomes; their deliveries will be sent again");
                self.lane.leases.release(&batch.leases());
                self.unwritten = None;
                Next::Now
            }
        }
    }

    /// At shutdown, after the drain: writes every outcome still waiting, claiming nothing, until each batch is
    /// written or given up.
    async fn write_the_rest(&mut self, arrived: Option<Finished>, outcomes: &mut mpsc::Receiver<Finished>) {
        self.gather(arrived, outcomes);
        while self.unwritten.is_some() {
            let started = Instant::now();
            match self.store.dispatch_turn(self.turn_claiming(0)).await {
                Ok(taken) => {
                    if let Some(batch) = self.unwritten.take() {
                        self.written(batch, taken.changes, started).await;
                    }
                }
                Err(err) => {
                    if let Next::Pause(pause) = self.refused(&err) {
                        tokio::time::sleep(pause).await;
                    }
                }
            }
            self.gather(None, outcomes);
        }
    }

    /// Adds `arrived` (an outcome the loop already took off the channel) to the outcomes waiting; when none wait,
    /// takes what the channel holds now as the next batch.
    fn gather(&mut self, arrived: Option<Finished>, outcomes: &mut mpsc::Receiver<Finished>) {
        match (&mut self.unwritten, arrived) {
            (None, arrived) => self.unwritten = Batch::ready(arrived, outcomes),
            (Some(batch), Some(arrived)) => batch.push(arrived),
            (Some(_), None) => {}
        }
    }
}

/// Whether a turn may wait in the store to share a commit with the next publish, and how long. Only a turn that
/// finished attempts alone woke (so it carries their outcomes, and no publish or due time asked for a claim), when
/// the last turn's claim found nothing due (not even behind an endpoint's in-flight limit) and few attempts are in
/// flight, so that this process's publishes claim their own deliveries. Then a turn's own commit is most of its
/// cost, and the wait delays no delivery: the outcomes' deliveries were sent, and only their leases are held a
/// little longer. It waits no longer than until the next due time (`until_next_due`).
fn may_wait(
    only_outcomes_woke: bool,
    nothing_due: bool,
    in_flight: usize,
    until_next_due: Duration,
) -> Option<Duration> {
    let light = in_flight < crate::lane::PUBLISHES_CLAIM_BELOW_IN_FLIGHT;
    let patience = SHARE_A_COMMIT_WITHIN.min(until_next_due);
    (only_outcomes_woke && nothing_due && light && !patience.is_zero()).then_some(patience)
}

/// How long an answered attempt's outcome may wait to be written when turns take `last_turn`: the linger before
/// a turn, the turn under way when it was answered, and the next one, which writes it. A claim does not count a
/// lease as stuck for that long (kurir-core `window`).
fn outcome_lag_ms(last_turn: Duration) -> i64 {
    i64::try_from((last_turn * 2 + LINGER_CAP).as_millis()).unwrap_or(i64::MAX)
}

/// How long to sleep before the next due time, at most [`IDLE_POLL`].
fn until(next_due_ms: Option<i64>) -> Duration {
    next_due_ms
        .map_or(IDLE_POLL, |due_ms| Duration::from_millis(u64::try_from(due_ms - now_ms()).unwrap_or(0)).min(IDLE_POLL))
}

/// Waits for in-flight attempts, up to the shutdown grace; what is still running then is abandoned and will be
/// resent.
async fn drain(lane: &Lane) {
    lane.attempts.close();
    if lane.attempts.is_empty() {
        return;
    }
    tracing::info!(in_flight = lane.attempts.len(), "waiting for in-flight attempts to finish");
    if tokio::time::timeout(lane.config.shutdown_grace, lane.attempts.wait()).await.is_err() {
        tracing::warn!(
            abandoned = lane.attempts.len(),
            "shutdown grace ran out; the rest will be resent at next start"
        );
        lane.abandon.cancel();
        lane.attempts.wait().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_may_wait_two_turns_and_a_linger() {
        assert_eq!(outcome_lag_ms(Duration::ZERO), 5);
        assert_eq!(outcome_lag_ms(Duration::from_millis(150)), 305, "slow turns: a lease is not stuck for 305 ms");
    }

    #[test]
    fn only_a_turn_of_outcomes_with_nothing_due_at_light_load_may_wait_for_a_publish() {
        let (light, later) = (crate::lane::PUBLISHES_CLAIM_BELOW_IN_FLIGHT - 1, IDLE_POLL);
        assert_eq!(may_wait(true, true, light, later), Some(SHARE_A_COMMIT_WITHIN));
        assert_eq!(may_wait(false, true, light, later), None, "a publish or a due time woke it: it claims at once");
        assert_eq!(may_wait(true, false, light, later), None, "something was due at the last claim");
        assert_eq!(may_wait(true, true, light + 1, later), None, "under load");
        let soon = Duration::from_millis(1);
        assert_eq!(may_wait(true, true, light, soon), Some(soon), "no longer than until the next due time");
        assert_eq!(may_wait(true, true, light, Duration::ZERO), None, "something is due now");
    }
}
