//! A dispatcher's turn on PostgreSQL ([`crate::Store::dispatch_turn`]): the finished attempts' outcomes and a
//! claim in one transaction, then the next due time, on one connection, where three transactions took twice the
//! round trips. The time a delivery stays leased after its attempt ended is mostly the turn that writes its outcome,
//! and an endpoint's in-flight limit counts those leases: shorter turns are more deliveries a second.
//!
//! The order is the one that never waits in a cycle with another node's turn: outcomes (which may wait for an
//! endpoint's `endpoint_health` row to change its circuit), then the claim (which skips locked rows), then the
//! statistics rows, which every turn takes last and holds only until the commit.

use super::{claim, outcomes, pg_error, queue, PgStore, DISPATCH_SETTINGS};
use crate::{DispatchTurn, Result, TurnTaken};

pub(crate) async fn dispatch_turn(store: &PgStore, turn: DispatchTurn) -> Result<TurnTaken> {
    // Each turn is a transaction on a connection of its own: there is no later write to share a commit with.
    let DispatchTurn { outcomes, circuit, claim: request, may_wait: _ } = turn;
    let mut client = store.dispatch_client().await?;
    let mut tx = client.transaction().await.map_err(pg_error)?;
    tx.batch_execute(DISPATCH_SETTINGS).await.map_err(pg_error)?;
    let changes = if outcomes.is_empty() { Vec::new() } else { outcomes::write(&tx, &outcomes, &circuit).await? };
    let claims = if request.limit == 0 { Vec::new() } else { claim_beside(&mut tx, &request).await? };
    if !outcomes.is_empty() {
        outcomes::add_stats(&tx, &outcomes).await?;
    }
    tx.commit().await.map_err(pg_error)?;
    store.queue_vacuum.changed((outcomes.len() + claims.len()) as u64, &store.pool);
    // After the commit, outside the transaction: a statement that failed inside it would abort the transaction,
    // and PostgreSQL would then answer the `COMMIT` with a rollback that the driver does not report as an error.
    let next_due_ms = if request.is_filled_by(claims.len()) {
        None
    } else {
        crate::next_due_or_none(queue::next_due(&client, request.now_ms).await)
    };
    // Only SQLite's turns can wait for company (`DispatchTurn::may_wait`), so this one does not tell.
    Ok(TurnTaken { changes, claims, next_due_ms, nothing_due: false })
}

/// The claim, in a savepoint: if it fails, the outcomes before it are still written (and nothing is claimed).
/// A connection that is gone fails the whole turn, which the dispatcher retries.
async fn claim_beside(
    tx: &mut deadpool_postgres::Transaction<'_>,
    request: &crate::ClaimRequest,
) -> Result<Vec<crate::Claim>> {
    let savepoint = tx.savepoint("claim").await.map_err(pg_error)?;
    match claim::claim(&savepoint, request).await {
        Ok(claims) => {
            savepoint.commit().await.map_err(pg_error)?;
            Ok(claims)
        }
        Err(err) => {
            tracing::error!(error = %err, "cannot claim due deliveries");
            savepoint.rollback().await.map_err(pg_error)?;
            Ok(Vec::new())
        }
    }
}
