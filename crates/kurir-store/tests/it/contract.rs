//! The store contract (see `kurir_store`'s crate docs), test by test, on every backend.

use std::collections::HashSet;
use std::sync::Arc;

use kurir_core::api_key::ApiKey;
use kurir_core::backfill::{Backfill, BackfillState};
use kurir_core::delivery::{AttemptErrorKind, DeliveryState, NextStep, SentRequest};
use kurir_core::event::Event;
use kurir_core::id::{ApiKeyId, EventId};
use kurir_core::tenant::Tenant;
use kurir_store::{
    Claim, ClaimRequest, DeliveryFilter, EventFilter, Lease, Refusal, StoreError, IDEMPOTENCY_WINDOW_MS, REFUSALS_KEPT,
};

use crate::backends::*;

async fn publish_makes_one_delivery_per_endpoint_and_claims_lease_them(backend: Backend) {
    let fx = fixture(backend).await;
    add_endpoint(fx.store.as_ref(), &fx.tenant, None).await;
    let published = publish(&fx, vec![event(&fx.tenant, None, NOW), event(&fx.tenant, None, NOW)]).await;
    let published = published.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(published.iter().map(|p| p.deliveries).collect::<Vec<_>>(), [2, 2]);

    let claims = claim(&fx, NOW).await;
    assert_eq!(claims.len(), 4);
    assert!(claims.iter().all(|c| c.event.payload == r#"{"id": 1}"#));
    assert!(claim(&fx, NOW).await.is_empty(), "leased deliveries are not claimed twice");
    assert_eq!(claim(&fx, NOW + LEASE).await.len(), 4, "an expired lease makes them due again");
}

async fn an_ordering_key_holds_later_deliveries_until_the_earlier_one_is_finished(backend: Backend) {
    let fx = fixture(backend).await;
    let events = vec![
        event(&fx.tenant, Some("product:1"), NOW),
        event(&fx.tenant, Some("product:1"), NOW),
        event(&fx.tenant, Some("product:2"), NOW),
    ];
    publish(&fx, events).await.unwrap_or_else(|e| panic!("{e}"));

    let first_round = claim(&fx, NOW).await;
    let keys: Vec<Option<&str>> = first_round.iter().map(|c| c.delivery.ordering_key.as_deref()).collect();
    assert_eq!(keys.len(), 2, "one per key: {keys:?}");
    let first = first_round.iter().find(|c| c.delivery.ordering_key.as_deref() == Some("product:1")).cloned();
    let first = first.unwrap_or_else(|| panic!("no product:1 claim"));

    let retry = outcome(&first, NextStep::RetryAt { due_ms: NOW + 1_000 }, first.lease_token);
    record(&fx, vec![retry]).await;
    assert!(claim(&fx, NOW + 10).await.is_empty(), "the second product:1 waits while the first is retrying");

    let again = claim(&fx, NOW + 1_000).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].delivery.id, first.delivery.id);
    let dead = outcome(&again[0], NextStep::Dead, again[0].lease_token);
    record(&fx, vec![dead]).await;
    let next = claim(&fx, NOW + 1_000).await;
    assert_eq!(next.len(), 1, "once the first is dead the second goes on");
    assert_eq!(next[0].delivery.ordering_key.as_deref(), Some("product:1"));
    assert_ne!(next[0].delivery.id, first.delivery.id);
}

async fn a_stale_lease_cannot_write_an_outcome(backend: Backend) {
    let fx = fixture(backend).await;
    publish(&fx, vec![event(&fx.tenant, None, NOW)]).await.unwrap_or_else(|e| panic!("{e}"));
    let claimed = claim(&fx, NOW).await;
    let stale = outcome(&claimed[0], NextStep::Succeeded, claimed[0].lease_token.wrapping_add(1));
    record(&fx, vec![stale]).await;
    assert_eq!(state_of(&fx, &claimed[0]).await, DeliveryState::InFlight);

    assert_eq!(fx.store.release_leases(&node("node-a"), NOW).await.unwrap_or_default(), 1);
    assert_eq!(state_of(&fx, &claimed[0]).await, DeliveryState::Pending);
    let fresh = outcome(&claimed[0], NextStep::Succeeded, claimed[0].lease_token);
    record(&fx, vec![fresh]).await;
    assert_eq!(state_of(&fx, &claimed[0]).await, DeliveryState::Pending, "a released lease is gone too");
}

async fn idempotency_keys_last_24_hours(backend: Backend) {
    let fx = fixture(backend).await;
    let keyed = |at| Event { idempotency_key: Some("order-1".into()), ..event(&fx.tenant, None, at) };
    let first = publish(&fx, vec![keyed(NOW)]).await.unwrap_or_else(|e| panic!("{e}"));
    let again = publish(&fx, vec![keyed(NOW + 1)]).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(again[0].duplicate);
    assert_eq!(again[0].event_id, first[0].event_id);
    assert_eq!(again[0].deliveries, 1);
    let later = publish(&fx, vec![keyed(NOW + IDEMPOTENCY_WINDOW_MS)]).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(!later[0].duplicate);
    assert_ne!(later[0].event_id, first[0].event_id);
}

async fn a_failing_batch_writes_nothing(backend: Backend) {
    let fx = fixture(backend).await;
    let one = event(&fx.tenant, None, NOW);
    let result = publish(&fx, vec![one.clone(), event(&fx.tenant, None, NOW), one]).await;
    assert!(result.is_err(), "a repeated event id must fail the batch");
    let deliveries =
        fx.store.list_deliveries(&fx.tenant, DeliveryFilter { limit: 10, ..DeliveryFilter::default() }).await;
    assert_eq!(deliveries.map(|d| d.len()).ok(), Some(0));
    assert!(claim(&fx, NOW).await.is_empty());
}

async fn queries_are_scoped_to_their_tenant(backend: Backend) {
    let fx = fixture(backend).await;
    let other = tenant_id("other");
    add_tenant(fx.store.as_ref(), other.clone(), "Other").await;
    assert!(matches!(fx.store.get_endpoint(&other, &fx.endpoint).await, Err(StoreError::NotFound(_))));
    assert!(matches!(fx.store.delete_endpoint(&other, &fx.endpoint, NOW).await, Err(StoreError::NotFound(_))));
    assert_eq!(fx.store.list_endpoints(&other).await.map(|e| e.len()).ok(), Some(0));
    let published = publish(&fx, vec![event(&fx.tenant, None, NOW)]).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(fx.store.get_event(&other, &published[0].event_id).await, Err(StoreError::NotFound(_))));
    assert!(matches!(
        fx.store
            .create_tenant(Tenant {
                id: other,
                name: "x".into(),
                created_at_ms: NOW,
                attempt_log: Default::default(),
                publish_rate: None,
                retention_days: None,
                zort_signature_headers: true,
            })
            .await,
        Err(StoreError::Conflict(_))
    ));
}

async fn loop_suppression_skips_the_owners_endpoint(backend: Backend) {
    let fx = fixture(backend).await;
    let owner = ApiKey {
        id: ApiKeyId::generate(NOW as u64, rand_u128()),
        tenant: fx.tenant.clone(),
        name: "pos".into(),
        secret_hash: [0; 32],
        created_at_ms: NOW,
        revoked_at_ms: None,
    };
    fx.store.create_api_key(owner.clone()).await.unwrap_or_else(|e| panic!("{e}"));
    add_endpoint(fx.store.as_ref(), &fx.tenant, Some(owner.id.clone())).await;
    let mine = Event { origin_key: Some(owner.id.clone()), ..event(&fx.tenant, None, NOW) };
    let published = publish(&fx, vec![mine, event(&fx.tenant, None, NOW)]).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(published.iter().map(|p| p.deliveries).collect::<Vec<_>>(), [1, 2]);
}

async fn concurrent_publishes_share_commits_and_all_land(backend: Backend) {
    let fx = Arc::new(fixture(backend).await);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let fx = Arc::clone(&fx);
        tasks.spawn(async move { publish(&fx, vec![event(&fx.tenant, None, NOW)]).await.map(|p| p.len()) });
    }
    let mut published = 0;
    while let Some(result) = tasks.join_next().await {
        published += result.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(published, 200);
    let events = fx.store.list_events(&fx.tenant, kurir_store::EventFilter { limit: 250, ..Default::default() }).await;
    assert_eq!(events.map(|e| e.len()).ok(), Some(200));
}

async fn two_claimers_never_lease_the_same_delivery(backend: Backend) {
    let fx = fixture(backend).await;
    for _ in 0..4 {
        add_endpoint(fx.store.as_ref(), &fx.tenant, None).await;
    }
    publish_many(&fx, 100, None).await;
    // A second handle on the same database, as a second process has.
    let other = fx.db.handle().await;
    let mut racers = tokio::task::JoinSet::new();
    for (store, name) in [(Arc::clone(&fx.store), "node-a"), (other, "node-b")] {
        racers.spawn(async move {
            let mut mine = Vec::new();
            loop {
                let claims = store.claim_due(claim_request(NOW, 7, name)).await.unwrap_or_else(|e| panic!("{e}"));
                if claims.is_empty() {
                    return mine;
                }
                mine.extend(claims.into_iter().map(|c| c.delivery.id));
                tokio::task::yield_now().await;
            }
        });
    }
    let mut seen = HashSet::new();
    let mut total = 0;
    while let Some(mine) = racers.join_next().await {
        let mine = mine.unwrap_or_else(|e| panic!("{e}"));
        total += mine.len();
        seen.extend(mine);
    }
    assert_eq!(total, 500, "every delivery claimed exactly once");
    assert_eq!(seen.len(), 500, "no delivery claimed by both");
}

async fn a_held_endpoint_gets_nothing_and_costs_the_others_nothing(backend: Backend) {
    let fx = fixture(backend).await;
    let healthy = add_endpoint(fx.store.as_ref(), &fx.tenant, None).await;
    publish_many(&fx, 10, None).await;
    // Three failures of the fixture's endpoint open its circuit (POLICY.failure_threshold).
    let first = fx.store.claim_due(claim_request(NOW, 6, "node-a")).await.unwrap_or_else(|e| panic!("{e}"));
    let sick: Vec<_> = first.iter().filter(|c| c.endpoint.id == fx.endpoint).take(3).collect();
    assert_eq!(sick.len(), 3, "an equal share each: {}", first.len());
    let retry = NextStep::RetryAt { due_ms: NOW + 1 };
    record(&fx, sick.iter().map(|c| outcome(c, retry, c.lease_token)).collect()).await;

    let later = claim(&fx, NOW + 100).await;
    assert!(later.iter().all(|c| c.endpoint.id == healthy), "nothing of the held endpoint is handed out");
    assert_eq!(later.len(), 7, "the healthy endpoint's remaining deliveries");
    let cooldown_end = NOW + 3 + POLICY.base_cooldown_ms;
    let next = fx.store.next_due_after(NOW + 100).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(next, Some(cooldown_end), "the dispatcher wakes when the circuit lets a probe out");

    let probe = claim(&fx, cooldown_end).await;
    assert_eq!(probe.len(), 1, "one probe after the cooldown");
    assert_eq!(probe[0].endpoint.id, fx.endpoint);
    assert!(claim(&fx, cooldown_end + 1).await.is_empty(), "nothing more while the probe is out");
    record(&fx, vec![outcome(&probe[0], NextStep::Succeeded, probe[0].lease_token)]).await;
    assert_eq!(claim(&fx, cooldown_end + 2).await.len(), 9, "a successful probe closes the circuit");
}

async fn a_publish_claims_only_what_a_claim_may_and_leaves_the_rest_due(backend: Backend) {
    let fx = fixture(backend).await;
    let healthy = add_endpoint(fx.store.as_ref(), &fx.tenant, None).await;
    publish_many(&fx, 3, None).await;
    // Three failures open the fixture's endpoint's circuit; the healthy endpoint's first three succeed.
    let first = claim(&fx, NOW).await;
    let step = |c: &Claim| {
        if c.endpoint.id == fx.endpoint {
            NextStep::RetryAt { due_ms: NOW + 1 }
        } else {
            NextStep::Succeeded
        }
    };
    record(&fx, first.iter().map(|c| outcome(c, step(c), c.lease_token)).collect()).await;

    let later = NOW + 100;
    let events = vec![event(&fx.tenant, None, later), event(&fx.tenant, None, later)];
    let (published, own) = fx
        .store
        .publish_and_claim(&fx.tenant, events, claim_request(later, 1, "node-a"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let made: HashSet<_> = published.iter().flat_map(|p| p.delivery_ids.clone()).collect();
    assert_eq!(made.len(), 4);
    assert!(own.len() <= 1, "no more than the limit: {}", own.len());
    if matches!(backend, Backend::Sqlite) {
        assert_eq!(own.len(), 1, "SQLite claims in the publish's transaction");
    }
    assert!(own.iter().all(|c| c.endpoint.id == healthy), "nothing of the held endpoint");
    assert!(own.iter().all(|c| made.contains(&c.delivery.id) && c.event.tenant == fx.tenant));

    let rest = claim(&fx, later).await;
    let own_ids: HashSet<_> = own.iter().map(|c| c.delivery.id.clone()).collect();
    assert!(rest.iter().all(|c| !own_ids.contains(&c.delivery.id)), "what the publish claimed is not claimed again");
    let healthy_made = made.len() - 2;
    assert_eq!(own.len() + rest.len(), healthy_made, "the healthy endpoint's new deliveries, each claimed once");
}

async fn the_in_flight_limit_holds_across_claimers(backend: Backend) {
    let fx = fixture(backend).await;
    publish_many(&fx, 10, None).await;
    let other = fx.db.handle().await;
    let limited = |name| ClaimRequest { max_in_flight_per_endpoint: 3, ..claim_request(NOW, 100, name) };
    let first = fx.store.claim_due(limited("node-a")).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.len(), 3);
    let second = other.claim_due(limited("node-b")).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(second.is_empty(), "the limit counts the other node's attempts too");
    record(&fx, vec![outcome(&first[0], NextStep::Succeeded, first[0].lease_token)]).await;
    let third = other.claim_due(limited("node-b")).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(third.len(), 1, "a finished attempt frees one place");
}

async fn each_endpoints_window_starts_low_grows_while_used_and_halves_on_overload(backend: Backend) {
    let fx = fixture(backend).await;
    publish_many(&fx, 40, None).await;
    let adaptive = ClaimRequest { adaptive_concurrency: true, ..claim_request(NOW, 100, "node-a") };
    let claim_adaptive = || async { fx.store.claim_due(adaptive.clone()).await.unwrap_or_else(|e| panic!("{e}")) };
    let answered = |claim: &kurir_store::Claim, status: u16, kind: Option<AttemptErrorKind>| {
        let next = if status == 200 { NextStep::Succeeded } else { NextStep::RetryAt { due_ms: NOW + 1_000_000 } };
        let mut answered = outcome(claim, next, claim.lease_token);
        (answered.attempt.status, answered.attempt.error_kind) = (Some(status), kind);
        answered
    };
    let first = claim_adaptive().await;
    assert_eq!(first.len(), 4, "a new endpoint starts with four at once");
    record(&fx, first.iter().map(|c| answered(c, 200, None)).collect()).await;
    let second = claim_adaptive().await;
    assert_eq!(second.len(), 8, "four fast answers to a full window double it");
    let mut answers: Vec<_> = second.iter().skip(1).map(|c| answered(c, 200, None)).collect();
    answers.insert(0, answered(&second[0], 503, Some(AttemptErrorKind::Status)));
    record(&fx, answers).await;
    let third = claim_adaptive().await;
    assert_eq!(third.len(), 5, "a 503 halved it to four, and four fast answers after that added one");
    let fixed = fx.store.claim_due(claim_request(NOW, 100, "node-a")).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fixed.len(), 40 - 4 - 8 - 5, "without the window, all the rest (the 503 waits for its retry)");
}

async fn a_window_does_not_grow_beside_an_attempt_that_is_stuck(backend: Backend) {
    let fx = fixture(backend).await;
    publish_many(&fx, 40, None).await;
    let at = |now_ms| ClaimRequest { adaptive_concurrency: true, ..claim_request(now_ms, 100, "node-a") };
    let fx = &fx;
    let claim_at = |now_ms| async move { fx.store.claim_due(at(now_ms)).await.unwrap_or_else(|e| panic!("{e}")) };
    let fast = |claim: &kurir_store::Claim, started_at_ms| {
        let mut answered = outcome(claim, NextStep::Succeeded, claim.lease_token);
        (answered.attempt.status, answered.attempt.started_at_ms) = (Some(200), started_at_ms);
        answered
    };
    let first = claim_at(NOW).await;
    assert_eq!(first.len(), 4);
    record(fx, first.iter().take(3).map(|c| fast(c, NOW)).collect()).await;
    // The fourth has been out for two seconds (its lease was taken at NOW): stuck, next to 3 ms answers.
    let second = claim_at(NOW + 2_000).await;
    assert_eq!(second.len(), 6, "three fast answers grew the window to seven, one of them still out");
    record(fx, second.iter().map(|c| fast(c, NOW + 2_000)).collect()).await;
    let third = claim_at(NOW + 2_000).await;
    assert_eq!(third.len(), 6, "the six fast answers beside the stuck one did not grow it (else 12 more)");
}

async fn another_nodes_old_lease_does_not_hold_this_nodes_window(backend: Backend) {
    let fx = fixture(backend).await;
    publish_many(&fx, 40, None).await;
    let fx = &fx;
    let claim_as = |node, now_ms| async move {
        let request = ClaimRequest { adaptive_concurrency: true, ..claim_request(now_ms, 100, node) };
        fx.store.claim_due(request).await.unwrap_or_else(|e| panic!("{e}"))
    };
    let fast = |claim: &kurir_store::Claim, started_at_ms| {
        let mut answered = outcome(claim, NextStep::Succeeded, claim.lease_token);
        (answered.attempt.status, answered.attempt.started_at_ms) = (Some(200), started_at_ms);
        answered
    };
    let first = claim_as("node-a", NOW).await;
    record(fx, first.iter().take(3).map(|c| fast(c, NOW)).collect()).await;
    // Node a's fourth lease is two seconds old; node b cannot tell its age (another lease length, another clock).
    let second = claim_as("node-b", NOW + 2_000).await;
    assert_eq!(second.len(), 6);
    record(fx, second.iter().map(|c| fast(c, NOW + 2_000)).collect()).await;
    let third = claim_as("node-b", NOW + 2_000).await;
    assert_eq!(third.len(), 12, "node b's fast answers grew the window to 13, node a's lease still out");
}

async fn a_retry_by_hand_checks_the_state_it_changes(backend: Backend) {
    let fx = fixture(backend).await;
    publish_many(&fx, 1, None).await;
    let claimed = claim(&fx, NOW).await;
    let id = &claimed[0].delivery.id;
    let refused = fx.store.retry_delivery(&fx.tenant, id, NOW).await;
    assert!(matches!(refused, Err(StoreError::Conflict(_))), "in flight: {refused:?}");
    assert_eq!(state_of(&fx, &claimed[0]).await, DeliveryState::InFlight, "nothing changed");
    record(&fx, vec![outcome(&claimed[0], NextStep::Dead, claimed[0].lease_token)]).await;
    let retried = fx.store.retry_delivery(&fx.tenant, id, NOW + 5).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((retried.state, retried.next_attempt_at_ms), (DeliveryState::Pending, NOW + 5));
    let sooner = fx.store.retry_delivery(&fx.tenant, id, NOW + 6).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((sooner.state, sooner.next_attempt_at_ms), (DeliveryState::Pending, NOW + 6), "a waiting one: due now");
    let again = claim(&fx, NOW + 6).await;
    assert_eq!(again.len(), 1, "and claimed");
    let missing = fx.store.retry_delivery(&tenant_id("other"), id, NOW).await;
    assert!(matches!(missing, Err(StoreError::NotFound(_))), "{missing:?}");
}

async fn racing_publishes_with_one_idempotency_key_get_the_first_event(backend: Backend) {
    let fx = Arc::new(fixture(backend).await);
    let other = fx.db.handle().await;
    let mut racers = tokio::task::JoinSet::new();
    for index in 0..20 {
        let store = if index % 2 == 0 { Arc::clone(&fx.store) } else { Arc::clone(&other) };
        let event = Event { idempotency_key: Some("order-7".into()), ..event(&fx.tenant, None, NOW) };
        let tenant = fx.tenant.clone();
        racers.spawn(async move { store.publish(&tenant, vec![event]).await });
    }
    let mut answers = Vec::new();
    while let Some(answer) = racers.join_next().await {
        let mut published = answer.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("never an error: {e}"));
        answers.push(published.remove(0));
    }
    let firsts: HashSet<_> = answers.iter().map(|p| p.event_id.clone()).collect();
    assert_eq!(firsts.len(), 1, "every publish answers the same event");
    assert_eq!(answers.iter().filter(|p| !p.duplicate).count(), 1, "exactly one wrote it");
    assert_eq!(claim(&fx, NOW).await.len(), 1, "and one delivery was made");
}

async fn leases_belong_to_their_node(backend: Backend) {
    let fx = fixture(backend).await;
    publish_many(&fx, 3, None).await;
    let claimed = claim(&fx, NOW).await;
    assert_eq!(claimed.len(), 3);
    let store = &fx.store;
    let ok = |r: Result<u64, StoreError>| r.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ok(store.release_leases(&node("node-b"), NOW + 1).await), 0, "another live node's leases stay");
    let held: Vec<Lease> =
        claimed.iter().map(|c| Lease { delivery_id: c.delivery.id.clone(), lease_token: c.lease_token }).collect();
    let by_b = store.renew_leases(&node("node-b"), held.clone(), NOW + LEASE - 1, LEASE).await;
    assert_eq!(ok(by_b), 0, "a node renews only its own leases");
    let two = held[..2].to_vec();
    assert_eq!(ok(store.renew_leases(&node("node-a"), two, NOW + LEASE - 1, LEASE).await), 2);
    let expired = claim(&fx, NOW + LEASE).await;
    assert_eq!(expired.len(), 1, "the lease the node no longer works on was not renewed, and expired");
    assert_eq!(expired[0].delivery.id, claimed[2].delivery.id);
    let again = store.renew_leases(&node("node-a"), held[..2].to_vec(), NOW + LEASE, LEASE).await;
    assert_eq!(ok(again), 2);
    assert_eq!(ok(store.release_leases(&node("node-b"), NOW + 3 * LEASE).await), 3, "expired leases are released");
    let again = fx.store.claim_due(claim_request(NOW + 3 * LEASE, 100, "node-b")).await;
    assert_eq!(again.map(|c| c.len()).ok(), Some(3));
    assert_eq!(ok(store.release_leases(&node("node-b"), NOW + 3 * LEASE + 1).await), 3, "a node releases its own");
    assert_eq!(state_of(&fx, &claimed[0]).await, DeliveryState::Pending);
}

async fn a_store_answers_ping_and_refuses_another_secret_key(backend: Backend) {
    let fx = fixture(backend).await;
    fx.store.ping().await.unwrap_or_else(|e| panic!("{e}"));
    let other_key = "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=";
    let refused = kurir_store::open(&fx.db.options(other_key)).await.map(|_| ());
    match refused {
        Err(StoreError::Config(message)) => assert!(message.contains("KURIR_SECRET_KEY"), "{message}"),
        other => panic!("a node with another key must refuse to start: {other:?}"),
    }
}

async fn resuming_an_endpoint_closes_its_circuit_and_sends_what_waits(backend: Backend) {
    let fx = fixture(backend).await;
    publish_many(&fx, 5, None).await;
    let claimed = claim(&fx, NOW).await;
    let later = NextStep::RetryAt { due_ms: NOW + 3_600_000 };
    let (retrying, in_flight) = claimed.split_at(3);
    record(&fx, retrying.iter().map(|c| outcome(c, later, c.lease_token)).collect()).await;
    publish_many(&fx, 2, None).await;
    assert!(claim(&fx, NOW + 5_000).await.is_empty(), "held by the circuit (its cooldown) and by their retry times");
    let resumed = fx.store.resume_endpoint(&fx.tenant, &fx.endpoint, NOW + 20_000).await;
    assert_eq!(resumed.ok(), Some(5), "3 retrying and 2 pending wait; the 2 in flight do not");
    let moved = fx.store.get_delivery(&fx.tenant, &retrying[0].delivery.id).await.map(|d| d.next_attempt_at_ms);
    assert_eq!(moved.ok(), Some(NOW + 20_000), "a retry that waited is due now");
    let filter = DeliveryFilter { state: Some(DeliveryState::Pending), limit: 10, ..DeliveryFilter::default() };
    let pending = fx.store.list_deliveries(&fx.tenant, filter).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pending.len(), 2);
    assert!(
        pending.iter().all(|d| (d.next_attempt_at_ms, d.updated_at_ms) == (NOW, NOW)),
        "due already: left as they were, not rewritten"
    );
    let again = claim(&fx, NOW + 20_000).await;
    assert_eq!(again.len(), 5, "the circuit is closed and every waiting one is due");
    assert!(again.iter().all(|c| in_flight.iter().all(|f| f.delivery.id != c.delivery.id)), "in flight stay leased");
    let missing = fx.store.resume_endpoint(&tenant_id("other"), &fx.endpoint, NOW).await;
    assert!(matches!(missing, Err(StoreError::NotFound(_))), "{missing:?}");
}

async fn a_sources_refusal_log_keeps_the_newest(backend: Backend) {
    use kurir_core::source::{Source, SourceId, SourceVerify};
    let fx = fixture(backend).await;
    let source = Source {
        id: SourceId::from_random([3; 18]),
        tenant: fx.tenant.clone(),
        name: "pos".into(),
        verify: SourceVerify::Dealpos { api_key: Some("k".into()) },
        strict: false,
        created_at_ms: NOW,
    };
    fx.store.create_source(source.clone()).await.unwrap_or_else(|e| panic!("{e}"));
    for n in 0..(REFUSALS_KEPT as i64 + 5) {
        let refusal = Refusal {
            tenant: fx.tenant.clone(),
            source: source.id.clone(),
            at_ms: NOW + n,
            status: 401,
            reason: format!("refusal {n}"),
            address: Some("127.0.0.1".into()),
        };
        fx.store.log_refusal(refusal).await.unwrap_or_else(|e| panic!("{e}"));
    }
    let kept = fx.store.list_refusals(&fx.tenant, &source.id, 1_000).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(kept.len(), REFUSALS_KEPT as usize, "only the newest are kept");
    assert_eq!(kept[0].at_ms, NOW + REFUSALS_KEPT as i64 + 4, "newest first");
    let other = fx.store.list_refusals(&tenant_id("other"), &source.id, 10).await.map(|r| r.len());
    assert_eq!(other.ok(), Some(0), "scoped to the tenant");
}

async fn the_attempt_log_keeps_the_request_and_the_response_headers(backend: Backend) {
    let fx = fixture(backend).await;
    publish_many(&fx, 2, None).await;
    let claims = claim(&fx, NOW).await;
    let mut logged = outcome(&claims[0], NextStep::Succeeded, claims[0].lease_token);
    let request = SentRequest {
        method: "POST".into(),
        url: "https://example.com/hooks/ADDPRODUCT?x=1".into(),
        headers: vec![("content-type".into(), "application/json".into()), ("key1".into(), "••••••".into())],
        body: r#"{"id": 1, "name": "Ünïcode"}"#.into(),
    };
    logged.attempt.request = Some(request.clone());
    logged.attempt.response_headers = vec![("server".into(), "test".into()), ("x-a".into(), "1".into())];
    let bare = outcome(&claims[1], NextStep::Succeeded, claims[1].lease_token);
    record(&fx, vec![logged.clone(), bare.clone()]).await;
    let read = |id| fx.store.list_attempts(&fx.tenant, id);
    let attempts = read(&claims[0].delivery.id).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attempts, vec![logged.attempt], "read back as written");
    let attempts = read(&claims[1].delivery.id).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((attempts[0].request.as_ref(), attempts[0].response_headers.len()), (None, 0), "none is none");
}

async fn outcomes_add_up_in_the_statistics_per_endpoint_and_minute(backend: Backend) {
    let fx = fixture(backend).await;
    publish_many(&fx, 3, None).await;
    let claims = claim(&fx, NOW).await;
    let mut slow = outcome(&claims[0], NextStep::Succeeded, claims[0].lease_token);
    slow.attempt.duration_ms = 400;
    let failed = outcome(&claims[1], NextStep::RetryAt { due_ms: NOW + 60_000 }, claims[1].lease_token);
    record(&fx, vec![slow, failed]).await;
    let mut next_minute = outcome(&claims[2], NextStep::Succeeded, claims[2].lease_token);
    next_minute.attempt.started_at_ms = NOW + 60_000;
    record(&fx, vec![next_minute]).await;
    let minute = kurir_core::stats::minute_of(NOW);
    let stats = fx.store.attempt_stats(&fx.tenant, minute).await.unwrap_or_else(|e| panic!("{e}"));
    let shown: Vec<(i64, u64, u64, Option<u32>)> = stats
        .iter()
        .map(|s| (s.minute - minute, s.tally.succeeded, s.tally.failed, s.tally.latency_quantile(1.0)))
        .collect();
    assert_eq!(shown, vec![(0, 1, 1, Some(500)), (1, 1, 0, Some(5))], "two minutes, oldest first");
    assert!(stats.iter().all(|s| s.endpoint_id == fx.endpoint));
    let later = fx.store.attempt_stats(&fx.tenant, minute + 2).await.map(|s| s.len());
    assert_eq!(later.ok(), Some(0), "since a later minute: none");
    let other = fx.store.attempt_stats(&tenant_id("other"), minute).await.map(|s| s.len());
    assert_eq!(other.ok(), Some(0), "scoped to the tenant");
}

async fn events_are_found_by_ordering_key_or_payload_text(backend: Backend) {
    let fx = fixture(backend).await;
    let mut shirt = event(&fx.tenant, Some("product:4711"), NOW);
    shirt.payload = r#"{"id": 4711, "name": "Batik shirt"}"#.into();
    let plain = event(&fx.tenant, Some("product:1"), NOW);
    publish(&fx, vec![shirt.clone(), plain]).await.unwrap_or_else(|e| panic!("{e}"));
    let found = |text: &str| {
        let filter = EventFilter { text: Some(text.to_owned()), limit: 10, ..EventFilter::default() };
        fx.store.list_events(&fx.tenant, filter)
    };
    for text in ["product:4711", "Batik", "4711"] {
        let ids: Vec<_> = found(text).await.unwrap_or_else(|e| panic!("{e}")).into_iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![shirt.id.clone()], "searching {text}");
    }
    assert_eq!(found("100%_").await.map(|e| e.len()).ok(), Some(0), "wildcards are plain text");
}

/// The event list is newest published first and its cursor is an event's id, whatever order the ids sort in (two
/// ids of one millisecond sort by their random part).
async fn events_are_listed_newest_published_first_a_page_at_a_time(backend: Backend) {
    let fx = fixture(backend).await;
    let made = |random| Event { id: EventId::generate(NOW as u64, random), ..event(&fx.tenant, None, NOW) };
    let (first, second, third) = (made(3), made(2), made(1));
    for one in [&first, &second, &third] {
        publish(&fx, vec![one.clone()]).await.unwrap_or_else(|e| panic!("{e}"));
    }
    let page = |before: Option<EventId>| {
        fx.store.list_events(&fx.tenant, EventFilter { before, limit: 2, ..EventFilter::default() })
    };
    let ids = |events: Vec<Event>| events.into_iter().map(|e| e.id).collect::<Vec<_>>();
    let newest = ids(page(None).await.unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(newest, [third.id, second.id.clone()]);
    let older = ids(page(Some(second.id)).await.unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(older, [first.id]);
}

async fn the_queue_summary_counts_what_waits_and_what_is_sick(backend: Backend) {
    let fx = fixture(backend).await;
    publish_many(&fx, 3, None).await;
    let summary = fx.store.queue_summary(NOW + 10).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((summary.unfinished, summary.oldest_due_ms), (3, Some(NOW)));
    assert_eq!((summary.circuits_open, summary.endpoints_disabled), (0, 0));
    let claims = claim(&fx, NOW).await;
    let dead: Vec<_> = claims.iter().map(|c| outcome(c, NextStep::Dead, c.lease_token)).collect();
    record(&fx, dead).await;
    let summary = fx.store.queue_summary(NOW + 10).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((summary.unfinished, summary.oldest_due_ms), (0, None), "finished deliveries leave the queue");
}

const DAY: i64 = 86_400_000;

/// Whether an event of the fixture's tenant is no longer stored.
async fn gone(fx: &Fixture, id: &kurir_core::id::EventId) -> bool {
    matches!(fx.store.get_event(&fx.tenant, id).await, Err(StoreError::NotFound(_)))
}

async fn retention_purges_old_finished_history_in_batches_and_keeps_what_is_pending(backend: Backend) {
    let fx = fixture(backend).await;
    add_endpoint(fx.store.as_ref(), &fx.tenant, None).await;
    let old = [event(&fx.tenant, None, NOW - 10 * DAY), event(&fx.tenant, None, NOW - 10 * DAY)];
    let old_pending = event(&fx.tenant, None, NOW - 10 * DAY);
    let recent = event(&fx.tenant, None, NOW);
    let events = vec![old[0].clone(), old[1].clone(), old_pending.clone(), recent.clone()];
    publish(&fx, events).await.unwrap_or_else(|e| panic!("{e}"));
    let other = tenant_id("other");
    add_tenant(fx.store.as_ref(), other.clone(), "Other").await;
    let elsewhere = event(&other, None, NOW - 10 * DAY);
    fx.store.publish(&other, vec![elsewhere.clone()]).await.unwrap_or_else(|e| panic!("{e}"));
    // The two old ones finish (one dead, one sent); the old pending one and the recent one are still trying.
    let claims = claim(&fx, NOW).await;
    let outcomes = claims
        .iter()
        .map(|c| {
            let next = if c.event.id == old[0].id {
                NextStep::Dead
            } else if c.event.id == old[1].id {
                NextStep::Succeeded
            } else {
                NextStep::RetryAt { due_ms: NOW + DAY }
            };
            outcome(c, next, c.lease_token)
        })
        .collect();
    record(&fx, outcomes).await;
    let old_delivery = claims.iter().find(|c| c.event.id == old[0].id).map(|c| c.delivery.id.clone());
    let old_delivery = old_delivery.unwrap_or_else(|| panic!("no claim of the old event"));

    let cutoff = NOW - DAY;
    let first = fx.store.purge_history(&fx.tenant, cutoff, 1).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(first >= 3, "one event, its delivery and its attempt: {first}");
    assert!(gone(&fx, &old[0].id).await ^ gone(&fx, &old[1].id).await, "a batch of one takes one event");
    while fx.store.purge_history(&fx.tenant, cutoff, 1).await.unwrap_or_else(|e| panic!("{e}")) > 0 {}
    assert!(gone(&fx, &old[0].id).await && gone(&fx, &old[1].id).await, "finished and old: purged");
    assert!(!gone(&fx, &old_pending.id).await, "a delivery still pending keeps its event");
    assert!(!gone(&fx, &recent.id).await, "recent history stays");
    let attempts = fx.store.list_attempts(&fx.tenant, &old_delivery).await.unwrap_or_default();
    assert!(attempts.is_empty(), "its attempts went with it");
    assert!(fx.store.get_event(&other, &elsewhere.id).await.is_ok(), "another tenant's history is its own");
    assert_eq!(fx.store.purge_history(&fx.tenant, cutoff, 100).await.ok(), Some(0), "nothing left to purge");
}

/// A large backlog is purged in batches: a publish made meanwhile is answered before the purge is over, not
/// after it (the writer is never held for the whole backlog).
async fn purging_a_large_backlog_does_not_hold_up_publishing(backend: Backend) {
    let fx = fixture(backend).await;
    // A tenant without endpoints: its events have no deliveries to wait for, so all of them may go.
    let archive = tenant_id("archive");
    add_tenant(fx.store.as_ref(), archive.clone(), "Archive").await;
    for _ in 0..30 {
        let batch = (0..1_000).map(|_| event(&archive, None, NOW - 10 * DAY)).collect();
        fx.store.publish(&archive, batch).await.unwrap_or_else(|e| panic!("{e}"));
    }
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let purge = tokio::spawn({
        let (store, tenant, done) = (Arc::clone(&fx.store), archive.clone(), Arc::clone(&done));
        async move {
            let mut purged = 0;
            loop {
                let gone = store.purge_history(&tenant, NOW - DAY, 500).await.unwrap_or_else(|e| panic!("{e}"));
                if gone == 0 {
                    break;
                }
                purged += gone;
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            purged
        }
    });
    tokio::task::yield_now().await;
    fx.store.publish(&archive, vec![event(&archive, None, NOW)]).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(!done.load(std::sync::atomic::Ordering::SeqCst), "the publish waited for the whole purge");
    assert_eq!(purge.await.ok(), Some(30_000), "every old event went");
    let left = fx.store.list_events(&archive, EventFilter { limit: 10, ..Default::default() }).await;
    assert_eq!(left.map(|e| e.len()).ok(), Some(1), "the new one stayed");
}

fn new_backfill(fx: &Fixture, endpoint: &kurir_core::id::EndpointId, types: Option<Vec<String>>) -> Backfill {
    Backfill {
        id: kurir_core::id::BackfillId::generate(NOW as u64, rand_u128()),
        tenant: fx.tenant.clone(),
        endpoint: endpoint.clone(),
        since_ms: NOW - 1_000,
        until_ms: None,
        event_types: types,
        cursor: None,
        state: BackfillState::Running,
        scanned: 0,
        queued: 0,
        created_at_ms: NOW,
        updated_at_ms: NOW,
    }
}

async fn a_backfill_sends_past_events_in_publish_order_a_batch_at_a_time(backend: Backend) {
    let fx = fixture(backend).await;
    let mut before = event(&fx.tenant, Some("product:1"), NOW - 5_000);
    before.event_type = "ADDPRODUCT".into();
    let mut events = vec![before];
    for (n, kind) in ["ADDPRODUCT", "ADDORDER", "ADDPRODUCT", "ADDORDER", "ADDPRODUCT"].iter().enumerate() {
        let mut e = event(&fx.tenant, Some(if *kind == "ADDPRODUCT" { "product:1" } else { "order:1" }), NOW);
        e.event_type = (*kind).into();
        e.payload = format!(r#"{{"n": {n}}}"#);
        events.push(e);
    }
    // One batch: the ids of one millisecond do not sort in publish order, the backfill must not care.
    publish(&fx, events.clone()).await.unwrap_or_else(|e| panic!("{e}"));
    let target = add_endpoint(fx.store.as_ref(), &fx.tenant, None).await;

    let backfill = new_backfill(&fx, &target, Some(vec!["ADDPRODUCT".into()]));
    fx.store.create_backfill(backfill.clone()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fx.store.running_backfills().await.map(|b| b.len()).ok(), Some(1));
    let first = fx.store.backfill_step(&backfill.id, 2, NOW).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((first.scanned, first.queued, first.state), (2, 1, BackfillState::Running), "one batch of two");
    let mut last = first;
    while last.state == BackfillState::Running {
        last = fx.store.backfill_step(&backfill.id, 2, NOW).await.unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!((last.scanned, last.queued, last.state), (5, 3, BackfillState::Done), "the older event is not sent");
    assert_eq!(fx.store.get_backfill(&fx.tenant, &backfill.id).await.ok(), Some(last.clone()));
    assert!(fx.store.running_backfills().await.unwrap_or_default().is_empty());

    let filter = DeliveryFilter { endpoint: Some(target.clone()), limit: 10, ..Default::default() };
    let made = fx.store.list_deliveries(&fx.tenant, filter).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(made.len(), 3);
    assert!(made.iter().all(|d| d.event_type == "ADDPRODUCT" && d.next_attempt_at_ms == NOW));
    // FIFO per ordering key: of the three product:1 deliveries only the first published goes out first.
    let claims: Vec<_> = claim(&fx, NOW).await.into_iter().filter(|c| c.endpoint.id == target).collect();
    assert_eq!(claims.len(), 1, "{claims:?}");
    assert_eq!(claims[0].event.id, events[1].id, "the first published product event goes first");

    // A cancelled backfill queues nothing more; another tenant cannot see it.
    let stopped = new_backfill(&fx, &target, None);
    fx.store.create_backfill(stopped.clone()).await.unwrap_or_else(|e| panic!("{e}"));
    let cancelled = fx.store.cancel_backfill(&fx.tenant, &stopped.id, NOW).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cancelled.state, BackfillState::Cancelled);
    let after = fx.store.backfill_step(&stopped.id, 10, NOW).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((after.queued, after.state), (0, BackfillState::Cancelled));
    let listed = fx.store.list_backfills(&fx.tenant, Some(&target)).await.unwrap_or_default();
    assert_eq!(listed.iter().map(|b| b.id.clone()).collect::<Vec<_>>(), [stopped.id.clone(), backfill.id.clone()]);
    let other = tenant_id("other");
    add_tenant(fx.store.as_ref(), other.clone(), "Other").await;
    assert!(matches!(fx.store.get_backfill(&other, &backfill.id).await, Err(StoreError::NotFound(_))));
    let mut elsewhere = new_backfill(&fx, &target, None);
    elsewhere.tenant = other;
    assert!(fx.store.create_backfill(elsewhere).await.is_err(), "the endpoint must be the tenant's own");
}

async fn an_endpoints_own_in_flight_limit_holds_below_the_servers(backend: Backend) {
    let fx = fixture(backend).await;
    let mut endpoint = fx.store.get_endpoint(&fx.tenant, &fx.endpoint).await.unwrap_or_else(|e| panic!("{e}"));
    endpoint.max_in_flight = Some(2);
    fx.store.update_endpoint(endpoint).await.unwrap_or_else(|e| panic!("{e}"));
    publish_many(&fx, 5, None).await;
    assert_eq!(claim(&fx, NOW).await.len(), 2, "its own limit, not the server's 1,000");
    assert!(claim(&fx, NOW + 1).await.is_empty(), "two in flight: no room");
    let stored = fx.store.get_endpoint(&fx.tenant, &fx.endpoint).await.map(|e| e.max_in_flight);
    assert_eq!(stored.ok(), Some(Some(2)), "the setting is stored");
}

async fn an_endpoints_own_circuit_settings_replace_the_servers(backend: Backend) {
    let fx = fixture(backend).await;
    let mut touchy = fx.store.get_endpoint(&fx.tenant, &fx.endpoint).await.unwrap_or_else(|e| panic!("{e}"));
    touchy.circuit = kurir_core::circuit::CircuitOverrides { failures: Some(1), cooldown_ms: Some(2_000) };
    fx.store.update_endpoint(touchy).await.unwrap_or_else(|e| panic!("{e}"));
    let patient = add_endpoint(fx.store.as_ref(), &fx.tenant, None).await;
    publish_many(&fx, 2, None).await;
    let claims = claim(&fx, NOW).await;
    assert_eq!(claims.len(), 4);
    // Two failures each: the touchy endpoint's circuit opens at its own threshold, the other's (3) does not.
    let outcomes = claims.iter().map(|c| outcome(c, NextStep::RetryAt { due_ms: NOW }, c.lease_token)).collect();
    record(&fx, outcomes).await;
    let touchy_circuit = fx.store.endpoint_circuit(&fx.tenant, &fx.endpoint).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(touchy_circuit.held_until(NOW + 10), Some(NOW + 2_000 + 3), "its own threshold and cooldown");
    let patient_circuit = fx.store.endpoint_circuit(&fx.tenant, &patient).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(!patient_circuit.is_open(), "the server's threshold (3) for the other");
    let again = claim(&fx, NOW + 10).await;
    assert!(again.iter().all(|c| c.endpoint.id == patient), "the open circuit holds the touchy endpoint's retry");
}

async fn an_endpoints_rate_limit_queues_what_is_over_it_and_lets_it_go_in_time(backend: Backend) {
    let fx = fixture(backend).await;
    let mut endpoint = fx.store.get_endpoint(&fx.tenant, &fx.endpoint).await.unwrap_or_else(|e| panic!("{e}"));
    endpoint.rate_limit = kurir_core::rate::RateLimit::new(2, 1_000).ok();
    fx.store.update_endpoint(endpoint).await.unwrap_or_else(|e| panic!("{e}"));
    publish_many(&fx, 5, None).await;
    assert_eq!(claim(&fx, NOW).await.len(), 2, "a burst of two");
    assert!(claim(&fx, NOW + 100).await.is_empty(), "then the endpoint waits");
    let next = fx.store.next_due_after(NOW + 100).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(next, Some(NOW + 500), "the dispatcher is told when the next one may go");
    assert_eq!(claim(&fx, NOW + 500).await.len(), 1, "one interval later, one more");
    assert_eq!(claim(&fx, NOW + 1_500).await.len(), 2, "after a second, a burst again");
    let waiting = fx.store.queue_summary(NOW + 1_500).await.map(|s| s.unfinished).unwrap_or_default();
    assert_eq!(waiting, 5, "nothing is dropped: the rest wait or are in flight");
}

async fn dead_deliveries_are_recovered_since_a_time_and_deleting_an_endpoint_ends_what_waits(backend: Backend) {
    let fx = fixture(backend).await;
    publish_many(&fx, 3, None).await;
    let claims = claim(&fx, NOW).await;
    assert_eq!(claims.len(), 3);
    record(&fx, vec![outcome(&claims[0], NextStep::Dead, claims[0].lease_token)]).await;
    assert_eq!(state_of(&fx, &claims[0]).await, DeliveryState::Dead);
    let none = fx.store.recover_endpoint(&fx.tenant, &fx.endpoint, NOW + 1, NOW + 2).await;
    assert_eq!(none.unwrap_or_else(|e| panic!("{e}")), 0, "nothing died after its creation time");
    // An endpoint's deliveries in one state, as the dashboard filters them (each state has its own index path).
    let listed = |state: DeliveryState| {
        let filter = DeliveryFilter {
            state: Some(state),
            endpoint: Some(fx.endpoint.clone()),
            event_type: None,
            before: None,
            limit: 10,
        };
        fx.store.list_deliveries(&fx.tenant, filter)
    };
    let dead = listed(DeliveryState::Dead).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(dead.iter().map(|d| &d.id).collect::<Vec<_>>(), [&claims[0].delivery.id]);
    let in_flight = listed(DeliveryState::InFlight).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(in_flight.len(), 2, "newest first, the two still leased");
    assert!(in_flight.iter().all(|d| d.state == DeliveryState::InFlight));
    let recovered = fx.store.recover_endpoint(&fx.tenant, &fx.endpoint, NOW, NOW + 2).await;
    assert_eq!(recovered.unwrap_or_else(|e| panic!("{e}")), 1);
    assert_eq!(state_of(&fx, &claims[0]).await, DeliveryState::Pending);
    let pending = listed(DeliveryState::Pending).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pending.iter().map(|d| &d.id).collect::<Vec<_>>(), [&claims[0].delivery.id]);

    fx.store.delete_endpoint(&fx.tenant, &fx.endpoint, NOW + 3).await.unwrap_or_else(|e| panic!("{e}"));
    for claim in &claims {
        assert_eq!(state_of(&fx, claim).await, DeliveryState::Dead, "nothing waits for a deleted endpoint");
    }
    assert!(fx.store.next_due_after(NOW).await.unwrap_or_else(|e| panic!("{e}")).is_none());
}

crate::on_every_backend!(
    dead_deliveries_are_recovered_since_a_time_and_deleting_an_endpoint_ends_what_waits,
    an_endpoints_rate_limit_queues_what_is_over_it_and_lets_it_go_in_time,
    an_endpoints_own_circuit_settings_replace_the_servers,
    an_endpoints_own_in_flight_limit_holds_below_the_servers,
    a_backfill_sends_past_events_in_publish_order_a_batch_at_a_time,
    retention_purges_old_finished_history_in_batches_and_keeps_what_is_pending,
    purging_a_large_backlog_does_not_hold_up_publishing,
    the_queue_summary_counts_what_waits_and_what_is_sick,
    events_are_found_by_ordering_key_or_payload_text,
    events_are_listed_newest_published_first_a_page_at_a_time,
    outcomes_add_up_in_the_statistics_per_endpoint_and_minute,
    the_attempt_log_keeps_the_request_and_the_response_headers,
    publish_makes_one_delivery_per_endpoint_and_claims_lease_them,
    an_ordering_key_holds_later_deliveries_until_the_earlier_one_is_finished,
    a_stale_lease_cannot_write_an_outcome,
    idempotency_keys_last_24_hours,
    a_failing_batch_writes_nothing,
    queries_are_scoped_to_their_tenant,
    loop_suppression_skips_the_owners_endpoint,
    concurrent_publishes_share_commits_and_all_land,
    two_claimers_never_lease_the_same_delivery,
    a_held_endpoint_gets_nothing_and_costs_the_others_nothing,
    a_publish_claims_only_what_a_claim_may_and_leaves_the_rest_due,
    the_in_flight_limit_holds_across_claimers,
    each_endpoints_window_starts_low_grows_while_used_and_halves_on_overload,
    a_window_does_not_grow_beside_an_attempt_that_is_stuck,
    another_nodes_old_lease_does_not_hold_this_nodes_window,
    a_retry_by_hand_checks_the_state_it_changes,
    racing_publishes_with_one_idempotency_key_get_the_first_event,
    leases_belong_to_their_node,
    resuming_an_endpoint_closes_its_circuit_and_sends_what_waits,
    a_sources_refusal_log_keeps_the_newest,
    a_store_answers_ping_and_refuses_another_secret_key,
);
