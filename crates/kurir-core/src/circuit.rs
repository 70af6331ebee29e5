//! The per-endpoint circuit breaker. An endpoint that keeps failing is probed, not hammered: after
//! `failure_threshold` failures in a row its circuit opens and its deliveries are held (not attempted, not
//! counted as attempts) for a cooldown; then one delivery goes through as a probe. A probe that succeeds closes
//! the circuit; one that fails opens it again for twice as long, up to `max_cooldown_ms`. Held deliveries take no
//! worker capacity from healthy endpoints.
//!
//! Pure: the caller passes the time.

/// When to open, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CircuitPolicy {
    pub failure_threshold: u32,
    pub base_cooldown_ms: i64,
    pub max_cooldown_ms: i64,
    /// How long deliveries wait while a probe is out.
    pub probe_hold_ms: i64,
}

impl Default for CircuitPolicy {
    fn default() -> Self {
        CircuitPolicy { failure_threshold: 5, base_cooldown_ms: 30_000, max_cooldown_ms: 600_000, probe_hold_ms: 2_000 }
    }
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
    /// One probe is out; everything else waits for its answer.
    HalfOpen {
        cooldown_ms: i64,
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
}

impl Default for Circuit {
    fn default() -> Self {
        Circuit { state: State::Closed { consecutive_failures: 0 } }
    }
}

impl Circuit {
    pub fn is_open(&self) -> bool {
        !matches!(self.state, State::Closed { .. })
    }

    /// Decides about one due delivery at `now_ms`.
    pub fn admit(&mut self, now_ms: i64, policy: &CircuitPolicy) -> Admission {
        match self.state {
            State::Closed { .. } => Admission::Send,
            State::Open { until_ms, cooldown_ms } if now_ms >= until_ms => {
                self.state = State::HalfOpen { cooldown_ms };
                Admission::Probe
            }
            State::Open { until_ms, .. } => Admission::Hold { until_ms },
            State::HalfOpen { .. } => Admission::Hold { until_ms: now_ms + policy.probe_hold_ms },
        }
    }

    /// Records an attempt's result. Returns true when this result opened the circuit.
    pub fn record(&mut self, success: bool, now_ms: i64, policy: &CircuitPolicy) -> bool {
        let (next, opened) = match (self.state, success) {
            (_, true) => (State::Closed { consecutive_failures: 0 }, false),
            (State::Closed { consecutive_failures }, false) if consecutive_failures + 1 >= policy.failure_threshold => {
                (State::Open { until_ms: now_ms + policy.base_cooldown_ms, cooldown_ms: policy.base_cooldown_ms }, true)
            }
            (State::Closed { consecutive_failures }, false) => {
                (State::Closed { consecutive_failures: consecutive_failures + 1 }, false)
            }
            (State::HalfOpen { cooldown_ms }, false) => {
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

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: CircuitPolicy =
        CircuitPolicy { failure_threshold: 3, base_cooldown_ms: 1_000, max_cooldown_ms: 3_000, probe_hold_ms: 100 };

    #[test]
    fn opens_after_consecutive_failures_and_probes_after_the_cooldown() {
        let mut circuit = Circuit::default();
        assert!(!circuit.record(false, 0, &POLICY));
        assert!(!circuit.record(false, 0, &POLICY));
        assert_eq!(circuit.admit(0, &POLICY), Admission::Send);
        assert!(circuit.record(false, 10, &POLICY), "the third failure opens it");
        assert_eq!(circuit.admit(500, &POLICY), Admission::Hold { until_ms: 1_010 });
        assert_eq!(circuit.admit(1_010, &POLICY), Admission::Probe);
        assert_eq!(circuit.admit(1_020, &POLICY), Admission::Hold { until_ms: 1_120 }, "one probe at a time");
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
