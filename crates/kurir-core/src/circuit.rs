//! The per-endpoint circuit breaker. An endpoint that keeps failing is probed, not hammered: after
//! `failure_threshold` failures in a row its circuit opens and its deliveries are held (not attempted, not
//! counted as attempts) for a cooldown; then one delivery goes through as a probe. A probe that succeeds closes
//! the circuit; one that fails opens it again for twice as long, up to `max_cooldown_ms`. Held deliveries take no
//! worker capacity from healthy endpoints.
//!
//! The circuit also counts the failure streak (since when every attempt has failed, and how many): an endpoint
//! whose streak lasts `disable_after_ms` and `disable_min_attempts` attempts is disabled ([`Circuit::change`]),
//! and one whose open circuit closes again has recovered. Both become kurir's operational events.
//!
//! The circuit is shared by every kurir node of one database: the store keeps it per endpoint as the text of
//! [`Circuit::encode`], applies [`Circuit::admit`] when it claims and [`Circuit::record`] when it writes outcomes,
//! and filters on [`Circuit::held_until`] in SQL. A probe carries a deadline, so a probe lost with its node is
//! replaced instead of holding the endpoint forever.
//!
//! The circuit also carries the endpoint's adaptive concurrency [`Window`]: both are what kurir has learned
//! from the endpoint's answers, kept, claimed on and fed at the same places.
//!
//! Pure: the caller passes the time.

use crate::window::Window;
use crate::CoreError;

/// When to open, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CircuitPolicy {
    pub failure_threshold: u32,
    pub base_cooldown_ms: i64,
    pub max_cooldown_ms: i64,
    /// How long a probe may be out before another is sent (the node that sent it may have died).
    pub probe_hold_ms: i64,
    /// An endpoint whose every attempt has failed for this long (and at least `disable_min_attempts` times) is
    /// disabled; 0 never disables.
    pub disable_after_ms: i64,
    pub disable_min_attempts: u32,
}

/// An endpoint's own circuit settings, over the server's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CircuitOverrides {
    /// Failures in a row that open its circuit.
    pub failures: Option<u32>,
    /// How long its open circuit first holds deliveries.
    pub cooldown_ms: Option<u32>,
}

impl CircuitOverrides {
    /// Checks them: 1 to 100 failures, a cooldown of 1 s to 1 h.
    pub fn validate(&self) -> Result<(), CoreError> {
        if self.failures.is_some_and(|n| !(1..=100).contains(&n)) {
            return Err(CoreError::invalid("circuit_failures", "must be between 1 and 100, or null"));
        }
        if self.cooldown_ms.is_some_and(|ms| !(1_000..=3_600_000).contains(&ms)) {
            return Err(CoreError::invalid("circuit_cooldown_ms", "must be between 1000 and 3600000 ms, or null"));
        }
        Ok(())
    }
}

impl CircuitPolicy {
    /// The policy for one endpoint: the server's, with the endpoint's own settings over it. The longest cooldown
    /// is never below the first.
    pub fn for_endpoint(&self, own: &CircuitOverrides) -> CircuitPolicy {
        let base_cooldown_ms = own.cooldown_ms.map_or(self.base_cooldown_ms, i64::from);
        CircuitPolicy {
            failure_threshold: own.failures.unwrap_or(self.failure_threshold),
            base_cooldown_ms,
            max_cooldown_ms: self.max_cooldown_ms.max(base_cooldown_ms),
            ..*self
        }
    }
}

/// Five days of nothing but failures, as the best webhook services do.
pub const DEFAULT_DISABLE_AFTER_MS: i64 = 5 * 24 * 3_600_000;
pub const DEFAULT_DISABLE_MIN_ATTEMPTS: u32 = 10;

impl Default for CircuitPolicy {
    fn default() -> Self {
        CircuitPolicy {
            failure_threshold: 5,
            base_cooldown_ms: 30_000,
            max_cooldown_ms: 600_000,
            probe_hold_ms: 60_000,
            disable_after_ms: DEFAULT_DISABLE_AFTER_MS,
            disable_min_attempts: DEFAULT_DISABLE_MIN_ATTEMPTS,
        }
    }
}

/// Every attempt since `since_ms` has failed; `attempts` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Streak {
    pub since_ms: i64,
    pub attempts: u32,
}

/// What writing a batch of attempts did to an endpoint, beyond its circuit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CircuitChange {
    /// Its open circuit closed: the endpoint answers again after `failed_attempts` failures in a row.
    Recovered { failed_attempts: u32 },
    /// Its failure streak is long enough to disable it, for this reason.
    Disable { reason: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        consecutive_failures: u32,
    },
    Open {
        until_ms: i64,
        cooldown_ms: i64,
    },
    /// One probe is out until `probe_until_ms`; everything else waits for its answer.
    HalfOpen {
        cooldown_ms: i64,
        probe_until_ms: i64,
    },
}

/// What to do with a delivery that is due now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Send,
    /// Send it as the probe of an open circuit.
    Probe,
    /// Do not send; the delivery is due again at `until_ms`.
    Hold {
        until_ms: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Circuit {
    state: State,
    streak: Option<Streak>,
    window: Window,
}

impl Default for Circuit {
    fn default() -> Self {
        Circuit { state: State::Closed { consecutive_failures: 0 }, streak: None, window: Window::default() }
    }
}

impl Circuit {
    pub fn is_open(&self) -> bool {
        !matches!(self.state, State::Closed { .. })
    }

    /// `closed` (deliveries go out), `open` (they wait for the cooldown) or `probing` (one probe is out).
    pub fn state_name(&self) -> &'static str {
        match self.state {
            State::Closed { .. } => "closed",
            State::Open { .. } => "open",
            State::HalfOpen { .. } => "probing",
        }
    }

    /// Failures in a row while closed (the circuit opens at the policy's threshold).
    pub fn consecutive_failures(&self) -> u32 {
        match self.state {
            State::Closed { consecutive_failures } => consecutive_failures,
            State::Open { .. } | State::HalfOpen { .. } => 0,
        }
    }

    /// The endpoint's adaptive concurrency window.
    pub fn window(&self) -> &Window {
        &self.window
    }

    pub fn window_mut(&mut self) -> &mut Window {
        &mut self.window
    }

    /// The failures in a row, whatever the state; `None` after a success.
    pub fn streak(&self) -> Option<Streak> {
        self.streak
    }

    /// What a batch of attempts did, from the circuit `before` it to this one at `now_ms`: the endpoint recovered
    /// (an open circuit closed), or its streak has grown long enough to disable it.
    pub fn change(&self, before: &Circuit, now_ms: i64, policy: &CircuitPolicy) -> Option<CircuitChange> {
        if before.is_open() && !self.is_open() {
            let failed_attempts = before.streak.map_or(0, |s| s.attempts);
            return Some(CircuitChange::Recovered { failed_attempts });
        }
        let streak = self.streak?;
        let long_enough = policy.disable_after_ms > 0
            && streak.attempts >= policy.disable_min_attempts
            && now_ms - streak.since_ms >= policy.disable_after_ms;
        long_enough.then(|| CircuitChange::Disable {
            reason: format!(
                "every attempt failed for {} ({} attempts); re-enable it when the receiver is back",
                span(now_ms - streak.since_ms),
                streak.attempts
            ),
        })
    }

    /// Until when the endpoint's deliveries wait without being looked at (`None` when they may go now).
    pub fn held_until(&self, now_ms: i64) -> Option<i64> {
        let until_ms = match self.state {
            State::Closed { .. } => return None,
            State::Open { until_ms, .. } => until_ms,
            State::HalfOpen { probe_until_ms, .. } => probe_until_ms,
        };
        (until_ms > now_ms).then_some(until_ms)
    }

    /// Decides about one due delivery at `now_ms`.
    pub fn admit(&mut self, now_ms: i64, policy: &CircuitPolicy) -> Admission {
        match self.state {
            State::Closed { .. } => Admission::Send,
            State::Open { until_ms, cooldown_ms } if now_ms >= until_ms => self.probe(cooldown_ms, now_ms, policy),
            State::Open { until_ms, .. } => Admission::Hold { until_ms },
            // The probe's answer never came (its node died, or it is slower than the hold): send another.
            State::HalfOpen { cooldown_ms, probe_until_ms } if now_ms >= probe_until_ms => {
                self.probe(cooldown_ms, now_ms, policy)
            }
            State::HalfOpen { probe_until_ms, .. } => Admission::Hold { until_ms: probe_until_ms },
        }
    }

    fn probe(&mut self, cooldown_ms: i64, now_ms: i64, policy: &CircuitPolicy) -> Admission {
        self.state = State::HalfOpen { cooldown_ms, probe_until_ms: now_ms + policy.probe_hold_ms };
        Admission::Probe
    }

    /// The circuit as one line of text, for the store: `closed <failures>`, `open <until> <cooldown>` or
    /// `half <cooldown> <probe until>`, then ` streak <since> <attempts>` while attempts fail, then ` window …`
    /// (see [`Window::encode`]) once the window has left its start.
    pub fn encode(&self) -> String {
        let circuit = self.encode_circuit();
        if self.window == Window::default() {
            return circuit;
        }
        format!("{circuit} window {}", self.window.encode())
    }

    fn encode_circuit(&self) -> String {
        let state = match self.state {
            State::Closed { consecutive_failures } => format!("closed {consecutive_failures}"),
            State::Open { until_ms, cooldown_ms } => format!("open {until_ms} {cooldown_ms}"),
            State::HalfOpen { cooldown_ms, probe_until_ms } => format!("half {cooldown_ms} {probe_until_ms}"),
        };
        match self.streak {
            Some(Streak { since_ms, attempts }) => format!("{state} streak {since_ms} {attempts}"),
            None => state,
        }
    }

    /// Reads what [`Circuit::encode`] wrote (also without a streak or a window, as kurir wrote it before it had
    /// them).
    pub fn decode(text: &str) -> Result<Circuit, CoreError> {
        let (text, window) = match text.split_once(" window ") {
            Some((circuit, window)) => (circuit, Window::decode(window)?),
            None => (text, Window::default()),
        };
        let invalid = || CoreError::invalid("circuit", format!("`{text}` is not a circuit state"));
        let (text, streak) = match text.split_once(" streak ") {
            Some((state, streak)) => {
                let (since, attempts) = streak.split_once(' ').ok_or_else(invalid)?;
                let streak = Streak {
                    since_ms: since.parse().map_err(|_| invalid())?,
                    attempts: attempts.parse().map_err(|_| invalid())?,
                };
                (state, Some(streak))
            }
            None => (text, None),
        };
        let mut words = text.split(' ');
        let kind = words.next().ok_or_else(invalid)?;
        let numbers = words.map(|word| word.parse::<i64>().map_err(|_| invalid())).collect::<Result<Vec<_>, _>>()?;
        let state = match (kind, numbers.as_slice()) {
            ("closed", [failures]) => {
                State::Closed { consecutive_failures: u32::try_from(*failures).map_err(|_| invalid())? }
            }
            ("open", [until_ms, cooldown_ms]) => State::Open { until_ms: *until_ms, cooldown_ms: *cooldown_ms },
            ("half", [cooldown_ms, probe_until_ms]) => {
                State::HalfOpen { cooldown_ms: *cooldown_ms, probe_until_ms: *probe_until_ms }
            }
            _ => return Err(invalid()),
        };
        Ok(Circuit { state, streak, window })
    }

    /// Records an attempt's result. Returns true when this result opened the circuit.
    pub fn record(&mut self, success: bool, now_ms: i64, policy: &CircuitPolicy) -> bool {
        self.streak = match (success, self.streak) {
            (true, _) => None,
            (false, None) => Some(Streak { since_ms: now_ms, attempts: 1 }),
            (false, Some(streak)) => Some(Streak { attempts: streak.attempts.saturating_add(1), ..streak }),
        };
        let (next, opened) = match (self.state, success) {
            (_, true) => (State::Closed { consecutive_failures: 0 }, false),
            (State::Closed { consecutive_failures }, false) if consecutive_failures + 1 >= policy.failure_threshold => {
                (State::Open { until_ms: now_ms + policy.base_cooldown_ms, cooldown_ms: policy.base_cooldown_ms }, true)
            }
            (State::Closed { consecutive_failures }, false) => {
                (State::Closed { consecutive_failures: consecutive_failures + 1 }, false)
            }
            (State::HalfOpen { cooldown_ms, .. }, false) => {
                let longer = (cooldown_ms * 2).min(policy.max_cooldown_ms);
                (State::Open { until_ms: now_ms + longer, cooldown_ms: longer }, true)
            }
            // A late failure of an attempt sent before the circuit opened changes nothing.
            (open @ State::Open { .. }, false) => (open, false),
        };
        self.state = next;
        opened
    }
}

/// A duration in words: `5 days`, `3 hours`, `12 minutes`, `40 seconds`.
fn span(ms: i64) -> String {
    let secs = ms.max(0) / 1_000;
    let (n, unit) = match secs {
        s if s >= 2 * 86_400 => (s / 86_400, "days"),
        s if s >= 2 * 3_600 => (s / 3_600, "hours"),
        s if s >= 120 => (s / 60, "minutes"),
        s => (s, "seconds"),
    };
    format!("{n} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: CircuitPolicy = CircuitPolicy {
        failure_threshold: 3,
        base_cooldown_ms: 1_000,
        max_cooldown_ms: 3_000,
        probe_hold_ms: 100,
        disable_after_ms: 10_000,
        disable_min_attempts: 4,
    };

    #[test]
    fn an_endpoints_own_settings_replace_the_servers() {
        let own = CircuitOverrides { failures: Some(1), cooldown_ms: Some(5_000) };
        let policy = POLICY.for_endpoint(&own);
        assert_eq!((policy.failure_threshold, policy.base_cooldown_ms, policy.max_cooldown_ms), (1, 5_000, 5_000));
        assert_eq!(POLICY.for_endpoint(&CircuitOverrides::default()), POLICY);
        let mut circuit = Circuit::default();
        assert!(circuit.record(false, 0, &policy), "one failure opens it");
        assert!(CircuitOverrides { failures: Some(0), cooldown_ms: None }.validate().is_err());
        assert!(CircuitOverrides { failures: None, cooldown_ms: Some(10) }.validate().is_err());
        assert!(own.validate().is_ok());
    }

    #[test]
    fn a_long_failure_streak_disables_and_a_closed_circuit_recovers() {
        let mut circuit = Circuit::default();
        for at in [0, 1_000, 2_000] {
            circuit.record(false, at, &POLICY);
        }
        let open = circuit;
        assert_eq!(open.streak(), Some(Streak { since_ms: 0, attempts: 3 }));
        assert_eq!(open.change(&Circuit::default(), 20_000, &POLICY), None, "long, but only 3 attempts");
        circuit.record(false, 9_000, &POLICY);
        assert_eq!(circuit.change(&open, 9_000, &POLICY), None, "4 attempts, but 9 s");
        let disable = circuit.change(&open, 12_000, &POLICY);
        assert!(matches!(disable, Some(CircuitChange::Disable { ref reason }) if reason.contains("4 attempts")));
        let before = circuit;
        circuit.record(true, 13_000, &POLICY);
        assert_eq!(circuit.streak(), None);
        assert_eq!(circuit.change(&before, 13_000, &POLICY), Some(CircuitChange::Recovered { failed_attempts: 4 }));
        let never = CircuitPolicy { disable_after_ms: 0, ..POLICY };
        assert_eq!(before.change(&open, i64::MAX / 2, &never), None, "0 never disables");
    }

    #[test]
    fn the_streak_survives_the_text_and_old_texts_still_read() {
        let mut circuit = Circuit::default();
        circuit.record(false, 5, &POLICY);
        let text = circuit.encode();
        assert_eq!(text, "closed 1 streak 5 1");
        assert_eq!(Circuit::decode(&text).ok(), Some(circuit));
        assert_eq!(Circuit::decode("closed 0").ok(), Some(Circuit::default()));
        assert!(Circuit::decode("closed 1 streak x").is_err());
    }

    #[test]
    fn the_window_survives_the_text() {
        let mut circuit = Circuit::default();
        circuit.record(false, 5, &POLICY);
        circuit.window_mut().record(crate::window::Signal::Overloaded, 5, 7);
        let text = circuit.encode();
        assert_eq!(text, "closed 1 streak 5 1 window 2 2 0 7 0 - 0 4");
        assert_eq!(Circuit::decode(&text).ok(), Some(circuit));
        assert!(Circuit::decode("closed 0 window 0 - 0 0 0 - 0 4").is_err());
    }

    #[test]
    fn opens_after_consecutive_failures_and_probes_after_the_cooldown() {
        let mut circuit = Circuit::default();
        assert!(!circuit.record(false, 0, &POLICY));
        assert!(!circuit.record(false, 0, &POLICY));
        assert_eq!(circuit.admit(0, &POLICY), Admission::Send);
        assert!(circuit.record(false, 10, &POLICY), "the third failure opens it");
        assert_eq!(circuit.admit(500, &POLICY), Admission::Hold { until_ms: 1_010 });
        assert_eq!(circuit.held_until(500), Some(1_010));
        assert_eq!(circuit.admit(1_010, &POLICY), Admission::Probe);
        assert_eq!(circuit.admit(1_020, &POLICY), Admission::Hold { until_ms: 1_110 }, "one probe at a time");
        assert_eq!(circuit.held_until(1_020), Some(1_110));
        circuit.record(true, 1_050, &POLICY);
        assert_eq!(circuit.admit(1_060, &POLICY), Admission::Send);
        assert!(!circuit.is_open());
    }

    #[test]
    fn a_failed_probe_doubles_the_cooldown_up_to_the_cap() {
        let mut circuit = Circuit::default();
        for _ in 0..3 {
            circuit.record(false, 0, &POLICY);
        }
        assert_eq!(circuit.admit(1_000, &POLICY), Admission::Probe);
        assert!(circuit.record(false, 1_000, &POLICY));
        assert_eq!(circuit.admit(1_500, &POLICY), Admission::Hold { until_ms: 3_000 });
        assert_eq!(circuit.admit(3_000, &POLICY), Admission::Probe);
        circuit.record(false, 3_000, &POLICY);
        assert_eq!(circuit.admit(3_001, &POLICY), Admission::Hold { until_ms: 6_000 }, "capped at 3 s");
    }

    #[test]
    fn a_lost_probe_is_replaced_after_the_probe_hold() {
        let mut circuit = Circuit::default();
        for _ in 0..3 {
            circuit.record(false, 0, &POLICY);
        }
        assert_eq!(circuit.admit(1_000, &POLICY), Admission::Probe);
        assert_eq!(circuit.admit(1_099, &POLICY), Admission::Hold { until_ms: 1_100 });
        assert_eq!(circuit.admit(1_100, &POLICY), Admission::Probe, "no answer within the hold: probe again");
    }

    #[test]
    fn encodes_every_state_and_refuses_garbage() {
        let mut circuit = Circuit::default();
        let mut seen = vec![circuit];
        circuit.record(false, 0, &POLICY);
        seen.push(circuit);
        for _ in 0..2 {
            circuit.record(false, 5, &POLICY);
        }
        seen.push(circuit);
        circuit.admit(2_000, &POLICY);
        seen.push(circuit);
        for state in seen {
            assert_eq!(Circuit::decode(&state.encode()).ok(), Some(state), "{}", state.encode());
        }
        assert_eq!(Circuit::default().held_until(0), None);
        for bad in ["", "closed", "open 1", "half x 2", "closed -1", "shut 1"] {
            assert!(Circuit::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_success_resets_the_count() {
        let mut circuit = Circuit::default();
        circuit.record(false, 0, &POLICY);
        circuit.record(false, 0, &POLICY);
        circuit.record(true, 0, &POLICY);
        circuit.record(false, 0, &POLICY);
        circuit.record(false, 0, &POLICY);
        assert_eq!(circuit.admit(0, &POLICY), Admission::Send);
    }
}
