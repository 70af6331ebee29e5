//! SQL written from kurir-core's rules, shared by every backend, so that a rule lives once, in Rust, and the SQL
//! that applies it is generated from it rather than typed out again in each backend.

use kurir_core::delivery::DeliveryState;

/// A state list for `IN (...)`: `'pending', 'retrying', 'in_flight'`.
pub fn state_list(states: &[DeliveryState]) -> String {
    states.iter().map(|state| format!("'{}'", state.as_str())).collect::<Vec<_>>().join(", ")
}

/// `(state = 'pending' OR ...)`, one comparison per unfinished state, for a table alias (`""` for none): the
/// deliveries the dispatcher looks at and that hold back their ordered successors.
///
/// Not `state IN (...)`: SQLite evaluates an `IN` list of more than two values through a temporary b-tree that it
/// builds on every run of the statement, and this condition is the predicate of SQLite's partial indexes on
/// `deliveries`, evaluated for the old and the new row of every insert and update. That was six temporary
/// b-trees for one outcome's update (about a twentieth of the writer's time at 1,000 events/s). SQLite's
/// indexes are declared with this very text, since a query uses a partial index only when its condition
/// contains the index's own; PostgreSQL proves either form from the other.
pub fn unfinished(alias: &str) -> String {
    let dot = if alias.is_empty() { "" } else { "." };
    let each: Vec<String> =
        DeliveryState::UNFINISHED.iter().map(|state| format!("{alias}{dot}state = '{}'", state.as_str())).collect();
    format!("({})", each.join(" OR "))
}

/// `state IN (<the states a delivery may be sent again from by hand>)`.
pub fn resendable() -> String {
    format!("state IN ({})", state_list(&DeliveryState::RESENDABLE))
}

/// The SQL condition for a circuit that is not closed (kurir-core's `Circuit::encode` writes the state first).
pub const CIRCUIT_NOT_CLOSED: &str = "circuit NOT LIKE 'closed%'";

/// The columns of an attempt row, in the order both backends' row readers take them.
pub const ATTEMPT_COLUMNS: &str =
    "id, tenant_id, delivery_id, attempt_no, started_at, duration_ms, status, error_kind, \
                                   error, response, request, response_headers";

/// The state a delivery sent again by hand takes: a finished one starts over as pending, a waiting one keeps its
/// state (it is only due sooner).
pub const RESENT_STATE: &str = "CASE WHEN state IN ('succeeded', 'dead') THEN 'pending' ELSE state END";

/// The state a leased delivery goes back to when its lease is given up without an attempt: pending if it was
/// never tried, retrying otherwise.
pub const UNLEASED_STATE: &str = "CASE WHEN attempts = 0 THEN 'pending' ELSE 'retrying' END";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_follow_the_core_rules() {
        assert_eq!(unfinished("d"), "(d.state = 'pending' OR d.state = 'retrying' OR d.state = 'in_flight')");
        assert_eq!(unfinished(""), "(state = 'pending' OR state = 'retrying' OR state = 'in_flight')");
        assert_eq!(resendable(), "state IN ('pending', 'retrying', 'succeeded', 'dead')");
        for state in DeliveryState::ALL {
            assert_eq!(unfinished("").contains(&format!("'{}'", state.as_str())), state.blocks_successors());
            assert_eq!(resendable().contains(&format!("'{}'", state.as_str())), state.resendable());
        }
    }
}
