//! The parts of a claim that are the same on every backend, as pure functions: whether an endpoint may have
//! deliveries handed out now and how many (its circuit and its in-flight count), and how one batch is shared
//! among the endpoints that have work due.
//!
//! A claim goes endpoint by endpoint: the backend lists the endpoints with something due, asks [`gate`] how many
//! each may take, shares the batch with [`shares`], and leases that many of each endpoint's oldest due
//! deliveries. An endpoint with a backlog it cannot send (held by its circuit, or at its limit) is skipped
//! before any of its deliveries are read, so it costs the others nothing.

use kurir_core::circuit::{Admission, Circuit, CircuitPolicy};
use kurir_core::delivery::NextStep;
use kurir_core::rate::RateLimit;
use kurir_core::window::Signal;

use crate::{ClaimRequest, Outcome};

/// An endpoint's rate limit and its stored state (the next delivery's theoretical time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub limit: RateLimit,
    pub tat_ms: i64,
}

impl Rate {
    /// The rate of an endpoint with these stored values, if it has a limit.
    pub fn of(limit: Option<RateLimit>, tat_ms: i64) -> Option<Rate> {
        limit.map(|limit| Rate { limit, tat_ms })
    }

    /// The state to store after `taken` deliveries were leased at `now_ms`: the new `tat`, and until when the
    /// endpoint waits for its next one (0: it need not).
    pub fn after(&self, taken: u32, now_ms: i64) -> (i64, i64) {
        let tat = self.limit.after(self.tat_ms, now_ms, taken);
        (tat, self.limit.held_until(tat, now_ms).unwrap_or(0))
    }
}

/// An endpoint's attempts in flight on every node, as its leases in the store show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InFlight {
    pub count: u32,
    /// How long the oldest of this node's has been out beyond the time its outcome may wait to be written, in
    /// milliseconds (0 when none is).
    pub longest_ms: i64,
}

impl InFlight {
    /// From the store's count of an endpoint's live leases on every node, and the earliest end among this node's
    /// (its own only: another node's lease ends by that node's lease length and clock), in a claim asking for
    /// `request`. A lease ends `lease_ms` after it was taken or last renewed (a renewed one looks younger than it
    /// is, which only makes the window slower to call it stuck), and its outcome may wait `outcome_lag_ms` to be
    /// written after the answer.
    pub fn of(count: i64, earliest_own_end_ms: Option<i64>, request: &ClaimRequest) -> InFlight {
        let taken_at = earliest_own_end_ms.map(|end| end.saturating_sub(request.lease_ms));
        let out_ms = |at: i64| request.now_ms.saturating_sub(at).saturating_sub(request.outcome_lag_ms).max(0);
        InFlight { count: u32::try_from(count.max(0)).unwrap_or(u32::MAX), longest_ms: taken_at.map_or(0, out_ms) }
    }
}

/// What a claim may do with one endpoint's due deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    /// How many may be leased now.
    pub room: u32,
    /// The circuit to store if at least one is leased (a probe moves it to half-open).
    pub circuit: Circuit,
    in_flight: InFlight,
    ceiling: u32,
}

impl Gate {
    /// The circuit to store after `taken` deliveries were leased: the gated one, with its window told how full
    /// the lease made it and how long its oldest attempt has been out.
    pub fn after(&self, taken: u32) -> Circuit {
        let mut circuit = self.circuit;
        let out = self.in_flight.count.saturating_add(taken);
        circuit.window_mut().leased(out, self.ceiling, self.in_flight.longest_ms);
        circuit
    }
}

/// Feeds one written outcome to its endpoint's circuit and window, when the attempt went out. Returns true when
/// it opened the circuit.
pub fn feed(circuit: &mut Circuit, outcome: &Outcome, policy: &CircuitPolicy) -> bool {
    let attempt = &outcome.attempt;
    if !attempt.was_sent() {
        return false;
    }
    let finished_at = outcome.finished_at_ms();
    circuit.window_mut().record(Signal::of(attempt), attempt.started_at_ms, finished_at);
    circuit.record(outcome.next == NextStep::Succeeded, finished_at, policy)
}

/// How many attempts one endpoint may have in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Its own limit when it has one, never above the server's.
    pub ceiling: u32,
    /// Whether its adaptive window bounds it below the ceiling.
    pub adaptive: bool,
}

impl Limit {
    /// The limit of an endpoint with its own `max_in_flight`, in a claim asking for `request`.
    pub fn of(endpoint_limit: Option<u32>, request: &ClaimRequest) -> Limit {
        Limit::new(endpoint_limit, request.max_in_flight_per_endpoint, request.adaptive_concurrency)
    }

    /// The limit of an endpoint with its own `max_in_flight` on a server with `server_limit` per endpoint, whose
    /// windows are `adaptive` (or not, with `--fixed-concurrency`).
    pub fn new(endpoint_limit: Option<u32>, server_limit: u32, adaptive: bool) -> Limit {
        Limit { ceiling: ceiling(endpoint_limit, server_limit), adaptive }
    }

    /// The attempts at once allowed now, for an endpoint with this circuit (which carries its window).
    pub fn now(&self, circuit: &Circuit) -> u32 {
        if self.adaptive {
            circuit.window().limit(self.ceiling)
        } else {
            self.ceiling
        }
    }
}

/// The in-flight limit of one endpoint: its own when it has one, never above the server's.
pub fn ceiling(endpoint_limit: Option<u32>, server_limit: u32) -> u32 {
    endpoint_limit.map_or(server_limit, |own| own.min(server_limit))
}

/// How many deliveries an endpoint may have leased now, given its circuit, its concurrency window under
/// `max_in_flight`, and how many of its attempts are in flight on every node.
pub fn gate(
    mut circuit: Circuit,
    in_flight: InFlight,
    limit: Limit,
    now_ms: i64,
    policy: &CircuitPolicy,
    rate: Option<Rate>,
) -> Gate {
    let room = match circuit.admit(now_ms, policy) {
        Admission::Send => limit.now(&circuit).saturating_sub(in_flight.count),
        Admission::Probe => 1,
        Admission::Hold { .. } => 0,
    };
    let room = rate.map_or(room, |rate| room.min(rate.limit.room(rate.tat_ms, now_ms)));
    Gate { room, circuit, in_flight, ceiling: limit.ceiling }
}

/// Shares `limit` among endpoints with `rooms` free places each: an equal share first, then what some could
/// not use goes to the others, in order. The caller shuffles the endpoints so that, when the batch is smaller
/// than the number of endpoints, none is always last.
pub fn shares(rooms: &[u32], limit: u32) -> Vec<u32> {
    let mut taken = vec![0u32; rooms.len()];
    let mut left = limit;
    loop {
        let open = rooms.iter().zip(&taken).filter(|(room, took)| took < room).count() as u32;
        if left == 0 || open == 0 {
            return taken;
        }
        let share = (left / open).max(1);
        for (room, took) in rooms.iter().zip(taken.iter_mut()) {
            let give = share.min(room - *took).min(left);
            *took += give;
            left -= give;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kurir_core::window::Window;

    fn adaptive(ceiling: u32) -> Limit {
        Limit { ceiling, adaptive: true }
    }

    /// `count` attempts out, none for long.
    fn out(count: u32) -> InFlight {
        InFlight { count, longest_ms: 0 }
    }

    #[test]
    fn a_rate_limit_lowers_the_room_and_says_until_when_the_endpoint_waits() {
        let limit = RateLimit::new(2, RateLimit::SECOND).unwrap_or_else(|e| panic!("{e}"));
        let idle = Rate::of(Some(limit), 0);
        assert_eq!(gate(Circuit::default(), out(0), adaptive(256), 1_000, &POLICY, idle).room, 2);
        let (tat, until) = idle.map(|r| r.after(2, 1_000)).unwrap_or_default();
        assert_eq!((tat, until), (2_000, 1_500));
        assert_eq!(gate(Circuit::default(), out(0), adaptive(256), 1_000, &POLICY, Rate::of(Some(limit), tat)).room, 0);
        assert_eq!(Rate::of(None, 0), None);
    }

    #[test]
    fn an_endpoints_own_limit_lowers_the_servers_never_raises_it() {
        assert_eq!(ceiling(None, 256), 256);
        assert_eq!(ceiling(Some(4), 256), 4);
        assert_eq!(ceiling(Some(1_000), 256), 256);
    }

    const POLICY: CircuitPolicy = CircuitPolicy {
        failure_threshold: 2,
        base_cooldown_ms: 1_000,
        max_cooldown_ms: 8_000,
        probe_hold_ms: 500,
        disable_after_ms: 0,
        disable_min_attempts: 0,
    };

    #[test]
    fn shares_are_fair_and_use_the_whole_batch() {
        let check = |rooms: &[u32], limit, expected: &[u32]| assert_eq!(shares(rooms, limit), expected, "{rooms:?}");
        check(&[100, 100], 10, &[5, 5]);
        check(&[2, 100, 100], 10, &[2, 4, 4]);
        check(&[1, 1], 10, &[1, 1]);
        check(&[5, 5, 5], 2, &[1, 1, 0]);
        check(&[0, 7], 5, &[0, 5]);
        check(&[], 5, &[]);
        check(&[3, 9], 0, &[0, 0]);
        for (rooms, limit) in [(vec![3u32, 50, 7, 0, 1], 40u32), (vec![1_000; 7], 256), (vec![2; 300], 256)] {
            let given = shares(&rooms, limit);
            let total: u32 = given.iter().sum();
            assert_eq!(total, limit.min(rooms.iter().sum()), "{rooms:?} {limit}");
            assert!(given.iter().zip(&rooms).all(|(g, r)| g <= r));
        }
    }

    /// A circuit whose window has grown to at least `limit`.
    fn grown(limit: u32) -> Circuit {
        let mut circuit = Circuit::default();
        let mut at = 0;
        while circuit.window().limit(u32::MAX) < limit {
            at += Window::ROUND_MS;
            let window = circuit.window_mut();
            window.leased(window.limit(u32::MAX), u32::MAX, 0);
            window.record(Signal::Fast { duration_ms: 1 }, at, at);
        }
        circuit
    }

    #[test]
    fn the_window_bounds_the_room_and_learns_how_full_a_lease_made_it() {
        let fresh = gate(Circuit::default(), out(0), adaptive(256), 0, &POLICY, None);
        assert_eq!(fresh.room, Window::START, "a new endpoint starts low");
        assert_eq!(gate(Circuit::default(), out(0), adaptive(2), 0, &POLICY, None).room, 2, "never above its ceiling");
        let fixed = Limit { ceiling: 256, adaptive: false };
        assert_eq!(gate(Circuit::default(), out(0), fixed, 0, &POLICY, None).room, 256, "the whole limit when fixed");
        let mut circuit = fresh.after(Window::START);
        circuit.window_mut().record(Signal::Fast { duration_ms: 1 }, 0, 1);
        assert_eq!(
            gate(circuit, out(0), adaptive(256), 0, &POLICY, None).room,
            Window::START + 1,
            "a full window grows"
        );
        let mut idle = fresh.after(1);
        idle.window_mut().record(Signal::Fast { duration_ms: 1 }, 0, 1);
        assert_eq!(
            gate(idle, out(0), adaptive(256), 0, &POLICY, None).room,
            Window::START,
            "one of four out: it does not"
        );
    }

    #[test]
    fn in_flight_tells_how_long_the_oldest_lease_is_out() {
        let request = ClaimRequest {
            now_ms: 100_000,
            limit: 256,
            lease_ms: 60_000,
            outcome_lag_ms: 0,
            node: crate::NodeId::new("node-a").unwrap_or_else(|e| panic!("{e}")),
            max_in_flight_per_endpoint: 256,
            adaptive_concurrency: true,
            circuit: POLICY,
        };
        assert_eq!(InFlight::of(3, Some(159_500), &request), InFlight { count: 3, longest_ms: 500 });
        assert_eq!(InFlight::of(0, None, &request), InFlight::default());
        assert_eq!(InFlight::of(1, Some(170_000), &request).longest_ms, 0, "a lease renewed beyond its length");
        let lagging = ClaimRequest { outcome_lag_ms: 300, ..request };
        assert_eq!(InFlight::of(3, Some(159_500), &lagging).longest_ms, 200, "beyond what its outcome may wait");
        assert_eq!(InFlight::of(3, Some(159_900), &lagging).longest_ms, 0);
    }

    #[test]
    fn a_lease_beside_a_stuck_attempt_does_not_grow_the_window() {
        let mut circuit = grown(8);
        let limit = circuit.window().limit(u32::MAX);
        let stuck = InFlight { count: limit - 1, longest_ms: 2_000 };
        let gated = gate(circuit, stuck, adaptive(256), 0, &POLICY, None);
        assert_eq!(gated.room, 1);
        circuit = gated.after(1);
        circuit.window_mut().record(Signal::Fast { duration_ms: 1 }, 10_000, 10_001);
        assert_eq!(circuit.window().limit(u32::MAX), limit, "paused while one attempt is stuck");
        let gated = gate(circuit, out(limit - 1), adaptive(256), 0, &POLICY, None);
        circuit = gated.after(1);
        circuit.window_mut().record(Signal::Fast { duration_ms: 1 }, 10_000, 10_001);
        assert_eq!(circuit.window().limit(u32::MAX), limit + 1, "none stuck: it grows");
    }

    #[test]
    fn the_gate_follows_the_circuit_and_the_limit() {
        let closed = grown(10);
        assert_eq!(gate(closed, out(3), adaptive(10), 0, &POLICY, None).room, 7);
        assert_eq!(
            gate(closed, out(12), adaptive(10), 0, &POLICY, None).room,
            0,
            "over the limit after a lowered setting"
        );
        let mut open = grown(10);
        open.record(false, 0, &POLICY);
        open.record(false, 0, &POLICY);
        assert_eq!(gate(open, out(0), adaptive(10), 999, &POLICY, None).room, 0, "held during the cooldown");
        let probe = gate(open, out(4), adaptive(10), 1_000, &POLICY, None);
        assert_eq!(probe.room, 1, "one probe when the cooldown is over");
        assert_eq!(probe.circuit.held_until(1_000), Some(1_500), "then held while the probe is out");
        assert_eq!(gate(probe.circuit, out(0), adaptive(10), 1_200, &POLICY, None).room, 0);
    }
}
