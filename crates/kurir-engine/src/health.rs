//! Per-endpoint health as the dispatcher sees it: the circuit breaker (kurir-core's rule) and how many attempts
//! are in flight. Both keep a sick or slow endpoint from taking the capacity that healthy ones need.
//!
//! Shared between the dispatcher (which admits) and the attempt tasks (which report), behind a std mutex: every
//! critical section is a map lookup, never held across an await.

use std::collections::HashMap;
use std::sync::Mutex;

use kurir_core::circuit::{Admission, Circuit, CircuitPolicy};
use kurir_core::id::EndpointId;

/// How long a delivery waits when its endpoint is at its in-flight limit.
pub const BUSY_HOLD_MS: i64 = 250;

#[derive(Default)]
struct EndpointHealth {
    circuit: Circuit,
    in_flight: u32,
}

pub struct Health {
    policy: CircuitPolicy,
    max_in_flight_per_endpoint: u32,
    endpoints: Mutex<HashMap<EndpointId, EndpointHealth>>,
}

impl Health {
    pub fn new(policy: CircuitPolicy, max_in_flight_per_endpoint: u32) -> Self {
        Health { policy, max_in_flight_per_endpoint, endpoints: Mutex::new(HashMap::new()) }
    }

    /// Whether a due delivery of `endpoint` may be sent now; counts it as in flight when it may.
    pub fn admit(&self, endpoint: &EndpointId, now_ms: i64) -> Admission {
        let Ok(mut endpoints) = self.endpoints.lock() else { return Admission::Send };
        let health = endpoints.entry(endpoint.clone()).or_default();
        if health.in_flight >= self.max_in_flight_per_endpoint {
            return Admission::Hold { until_ms: now_ms + BUSY_HOLD_MS };
        }
        let admission = health.circuit.admit(now_ms, &self.policy);
        if !matches!(admission, Admission::Hold { .. }) {
            health.in_flight += 1;
        }
        admission
    }

    /// The endpoints that have as many attempts in flight as they may: the next claim skips them.
    pub fn saturated(&self) -> Vec<EndpointId> {
        let Ok(endpoints) = self.endpoints.lock() else { return Vec::new() };
        endpoints
            .iter()
            .filter(|(_, health)| health.in_flight >= self.max_in_flight_per_endpoint)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Records a finished attempt. `success` is `None` when nothing was sent (the endpoint was disabled).
    pub fn finished(&self, endpoint: &EndpointId, success: Option<bool>, now_ms: i64) {
        let Ok(mut endpoints) = self.endpoints.lock() else { return };
        let Some(health) = endpoints.get_mut(endpoint) else { return };
        health.in_flight = health.in_flight.saturating_sub(1);
        if let Some(success) = success {
            if health.circuit.record(success, now_ms, &self.policy) {
                tracing::warn!(%endpoint, "circuit opened: the endpoint keeps failing; its deliveries are held and probed");
            }
        }
        // Forget endpoints with nothing to remember, so the map stays as small as the set of active endpoints.
        if health.in_flight == 0 && health.circuit == Circuit::default() {
            endpoints.remove(endpoint);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_in_flight_per_endpoint_and_forgets_idle_ones() {
        let health = Health::new(CircuitPolicy::default(), 2);
        let endpoint = EndpointId::generate(1, 1);
        let other = EndpointId::generate(1, 2);
        assert_eq!(health.admit(&endpoint, 0), Admission::Send);
        assert_eq!(health.admit(&endpoint, 0), Admission::Send);
        assert_eq!(health.admit(&endpoint, 0), Admission::Hold { until_ms: BUSY_HOLD_MS });
        assert_eq!(health.saturated(), vec![endpoint.clone()]);
        assert_eq!(health.admit(&other, 0), Admission::Send, "another endpoint is not affected");
        health.finished(&endpoint, Some(true), 1);
        assert_eq!(health.admit(&endpoint, 1), Admission::Send);
        health.finished(&endpoint, Some(true), 2);
        health.finished(&endpoint, Some(true), 2);
        assert!(health.endpoints.lock().map(|e| !e.contains_key(&endpoint)).unwrap_or(false));
    }

    #[test]
    fn failures_open_the_circuit() {
        let policy = CircuitPolicy { failure_threshold: 2, ..CircuitPolicy::default() };
        let health = Health::new(policy, 10);
        let endpoint = EndpointId::generate(1, 1);
        for now in [0, 1] {
            assert_eq!(health.admit(&endpoint, now), Admission::Send);
            health.finished(&endpoint, Some(false), now);
        }
        assert_eq!(health.admit(&endpoint, 2), Admission::Hold { until_ms: 1 + policy.base_cooldown_ms });
    }
}
