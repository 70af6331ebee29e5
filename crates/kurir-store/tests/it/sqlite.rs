//! What only the SQLite backend has: a file on disk.

use std::collections::BTreeMap;

use kurir_store::secrets::SecretBox;
use kurir_store::sqlite::SqliteStore;
use kurir_store::Store;

use crate::backends::*;

#[tokio::test]
async fn data_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    {
        let store = SqliteStore::open(dir.path()).unwrap_or_else(|err| panic!("{err}"));
        add_tenant(&store, tenant_id("acme"), "Acme").await;
    }
    let reopened = SqliteStore::open(dir.path()).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(reopened.get_tenant(&tenant_id("acme")).await.map(|t| t.name).ok().as_deref(), Some("Acme"));
}

/// Everything the database holds on disk: the main file after a checkpoint moved the write-ahead log into it,
/// and whatever log is left. Fails when the file is missing or empty, so a search of it can never pass vacuously.
fn database_bytes(dir: &std::path::Path) -> Vec<u8> {
    let path = dir.join("kurir.db");
    let conn = rusqlite::Connection::open(&path).unwrap_or_else(|err| panic!("{err}"));
    let _: (i64, i64, i64) = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap_or_else(|err| panic!("checkpoint: {err}"));
    drop(conn);
    let mut bytes = std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    assert!(bytes.len() > 4096, "the database file is empty");
    if let Ok(log) = std::fs::read(dir.join("kurir.db-wal")) {
        bytes.extend(log);
    }
    bytes
}

#[tokio::test]
async fn secrets_are_sealed_at_rest() {
    use kurir_core::endpoint::{EndpointAuth, SigningSecret, ZortKeys};
    let db = TestDb::new(Backend::Sqlite);
    let tenant = tenant_id("acme");
    let secret_values =
        ["whsec_SEALEDSIGNINGSECRET0000000000", "header-value-HUSH", "zort-key-HUSH", "oauth-client-HUSH"];
    let mut endpoint = sample_endpoint(&tenant, None);
    endpoint.secrets = vec![SigningSecret { secret: secret_values[0].into(), expires_at_ms: None }];
    endpoint.headers = BTreeMap::from([("X-Api-Key".to_owned(), secret_values[1].to_owned())]);
    endpoint.zort_keys = Some(ZortKeys { key1: secret_values[2].into(), key2: "b".into(), key3: "c".into() });
    endpoint.auth = Some(EndpointAuth::OAuth2 {
        token_url: "https://auth.example.com/token".into(),
        client_id: "kurir".into(),
        client_secret: secret_values[3].into(),
        scope: None,
    });
    {
        let store = db.handle().await;
        add_tenant(store.as_ref(), tenant.clone(), "Acme").await;
        store.create_endpoint(endpoint.clone()).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            store.get_endpoint(&tenant, &endpoint.id).await.ok(),
            Some(endpoint.clone()),
            "read back in the clear"
        );
    }
    let session_key = b"session-key-HUSH-0123456789abcdef".to_vec();
    {
        let store = db.handle().await;
        let kept = store.secret_setting("test.secret", session_key.clone()).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(kept, session_key, "the first value is stored");
        let again = store.secret_setting("test.secret", b"another".to_vec()).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again, session_key, "and kept: every node reads the first one");
    }
    {
        // A secret that changes (a ZORT configuration's keys): sealed too, replaced, removed.
        let store = db.handle().await;
        store.put_secret("test.changing", Some("changing-secret-HUSH")).await.unwrap_or_else(|e| panic!("{e}"));
        store.put_secret("test.changing", Some("changed-secret-HUSH")).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(store.get_secret("test.changing").await.ok().flatten().as_deref(), Some("changed-secret-HUSH"));
        store.put_secret("test.gone", Some("x")).await.unwrap_or_else(|e| panic!("{e}"));
        store.put_secret("test.gone", None).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(store.get_secret("test.gone").await.ok(), Some(None));
    }
    let other_secrets =
        ["source-key-HUSH", "whsec_SOURCESECRET000000000000000", "source-zort-HUSH", "callout-header-HUSH"];
    {
        use kurir_core::callout::CalloutProvider;
        use kurir_core::source::{Source, SourceId, SourceVerify};
        let store = db.handle().await;
        let verifies = [
            SourceVerify::Dealpos { api_key: Some(other_secrets[0].into()) },
            SourceVerify::Standard { secrets: vec![other_secrets[1].into()] },
            SourceVerify::Zort(ZortKeys { key1: other_secrets[2].into(), key2: "b".into(), key3: "c".into() }),
        ];
        for (n, verify) in verifies.into_iter().enumerate() {
            let id = SourceId::from_random([n as u8; 18]);
            let source =
                Source { id, tenant: tenant.clone(), name: format!("s{n}"), verify, strict: false, created_at_ms: NOW };
            store.create_source(source).await.unwrap_or_else(|e| panic!("{e}"));
        }
        let provider = CalloutProvider {
            tenant: tenant.clone(),
            name: "fetchLoyaltyPoints".into(),
            url: "https://loyalty.example.com/points".into(),
            timeout_ms: 5_000,
            headers: BTreeMap::from([("X-Key".to_owned(), other_secrets[3].to_owned())]),
            updated_at_ms: NOW,
        };
        store.put_callout_provider(provider).await.unwrap_or_else(|e| panic!("{e}"));
    }
    let database = database_bytes(db.dir());
    let url = endpoint.url.as_bytes();
    assert!(database.windows(url.len()).any(|w| w == url), "what was written is in the bytes searched");
    for value in secret_values.into_iter().chain(other_secrets).chain([
        "session-key-HUSH",
        "changed-secret-HUSH",
        "changing-secret-HUSH",
    ]) {
        assert!(!database.windows(value.len()).any(|w| w == value.as_bytes()), "{value} is in the database file");
    }
    // Below the sealing layer the row holds only sealed text, which opens with the key.
    let raw = SqliteStore::open(db.dir()).unwrap_or_else(|err| panic!("{err}"));
    let stored = raw.get_endpoint(&tenant, &endpoint.id).await.unwrap_or_else(|e| panic!("{e}"));
    let secrets = SecretBox::from_base64(SECRET_KEY).unwrap_or_else(|e| panic!("{e}"));
    assert!(stored.secrets[0].secret.starts_with("enc2:"));
    assert_eq!(
        secrets.open(&stored.secrets[0].secret, "acme/endpoints.secrets").ok().as_deref(),
        Some(secret_values[0])
    );
    assert!(secrets.open(&stored.secrets[0].secret, "other/endpoints.secrets").is_err(), "bound to its tenant");
}

/// Secrets written by a kurir before sealed values were bound (unbound `enc1:`, or unsealed) are sealed again,
/// bound, when a store is first opened; and a bound value copied into another tenant's row does not open there.
#[tokio::test]
async fn old_secrets_are_bound_on_opening_and_a_value_moved_to_another_tenant_does_not_open() {
    use kurir_core::endpoint::SigningSecret;
    let db = TestDb::new(Backend::Sqlite);
    let (acme, evil) = (tenant_id("acme"), tenant_id("evil"));
    let secrets = SecretBox::from_base64(SECRET_KEY).unwrap_or_else(|e| panic!("{e}"));
    let mut old = sample_endpoint(&acme, None);
    {
        // As an older kurir wrote it: its signing secret sealed unbound, a header value not sealed at all.
        let raw = SqliteStore::open(db.dir()).unwrap_or_else(|err| panic!("{err}"));
        add_tenant(&raw, acme.clone(), "Acme").await;
        add_tenant(&raw, evil.clone(), "Evil").await;
        let unbound = secrets.seal_unbound("whsec_OLDSECRET00000000000000000").unwrap_or_else(|e| panic!("{e}"));
        old.secrets = vec![SigningSecret { secret: unbound, expires_at_ms: None }];
        old.headers = BTreeMap::from([("X-Key".to_owned(), "old-plain-HUSH".to_owned())]);
        raw.create_endpoint(old.clone()).await.unwrap_or_else(|e| panic!("{e}"));
    }
    let store = db.handle().await;
    let read = store.get_endpoint(&acme, &old.id).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(read.secrets[0].secret, "whsec_OLDSECRET00000000000000000");
    assert_eq!(read.headers.get("X-Key").map(String::as_str), Some("old-plain-HUSH"));
    let raw = SqliteStore::open(db.dir()).unwrap_or_else(|err| panic!("{err}"));
    let stored = raw.get_endpoint(&acme, &old.id).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(stored.secrets[0].secret.starts_with("enc2:"), "sealed again, bound: {}", stored.secrets[0].secret);
    assert!(stored.headers.get("X-Key").is_some_and(|v| v.starts_with("enc2:")), "and the plain value sealed");

    // A sealed value lifted from acme's row into evil's does not open there.
    let mut theirs = sample_endpoint(&evil, None);
    store.create_endpoint(theirs.clone()).await.unwrap_or_else(|e| panic!("{e}"));
    theirs.secrets = stored.secrets.clone();
    raw.update_endpoint(theirs.clone()).await.unwrap_or_else(|e| panic!("{e}"));
    let lifted = store.get_endpoint(&evil, &theirs.id).await;
    assert!(lifted.as_ref().is_err_and(|e| e.to_string().contains("evil/endpoints.secrets")), "{lifted:?}");
}

fn log_length(dir: &std::path::Path) -> u64 {
    std::fs::metadata(dir.join("kurir.db-wal")).map(|m| m.len()).unwrap_or_else(|err| panic!("the WAL: {err}"))
}

/// What a power failure may do now that claims and outcomes commit without an fsync: the write-ahead log loses
/// what was written after its last fsync. The test makes that happen to a copy of the files (the log cut back to
/// its length after the synced publish) and opens the copy: the event is there, and its delivery, whose claim and
/// success were lost, is due and is claimed again, so it is sent a second time (at-least-once), never lost.
#[tokio::test]
async fn a_power_failure_may_lose_claims_and_outcomes_but_not_a_publish() {
    use kurir_core::delivery::{DeliveryState, NextStep};
    let fx = fixture(Backend::Sqlite).await;
    let published = publish(&fx, vec![event(&fx.tenant, None, NOW)]).await.unwrap_or_else(|e| panic!("{e}"));
    let synced_length = log_length(fx.db.dir());
    let claims = claim(&fx, NOW).await;
    assert_eq!(claims.len(), 1);
    record(&fx, vec![outcome(&claims[0], NextStep::Succeeded, claims[0].lease_token)]).await;
    assert_eq!(state_of(&fx, &claims[0]).await, DeliveryState::Succeeded);
    assert!(log_length(fx.db.dir()) > synced_length, "the claim and the outcome went to the log after the publish");

    let after_failure = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::copy(fx.db.dir().join("kurir.db"), after_failure.path().join("kurir.db"))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut log = std::fs::read(fx.db.dir().join("kurir.db-wal")).unwrap_or_else(|e| panic!("{e}"));
    log.truncate(synced_length as usize);
    std::fs::write(after_failure.path().join("kurir.db-wal"), log).unwrap_or_else(|e| panic!("{e}"));

    let reopened = SqliteStore::open(after_failure.path()).unwrap_or_else(|e| panic!("{e}"));
    let (event, deliveries) =
        reopened.get_event(&fx.tenant, &published[0].event_id).await.unwrap_or_else(|e| panic!("the publish: {e}"));
    assert_eq!(event.id, published[0].event_id);
    assert_eq!(deliveries.iter().map(|d| d.state).collect::<Vec<_>>(), [DeliveryState::Pending]);
    let again = reopened.claim_due(claim_request(NOW + 1, 100, "node-a")).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.iter().map(|c| &c.delivery.id).collect::<Vec<_>>(), [&claims[0].delivery.id]);
}

#[tokio::test]
async fn a_turn_says_when_nothing_is_due_not_even_behind_an_endpoints_in_flight_limit() {
    let fx = fixture(Backend::Sqlite).await;
    let turn = |limit, per_endpoint| kurir_store::DispatchTurn {
        outcomes: std::sync::Arc::from([]),
        circuit: kurir_core::circuit::CircuitPolicy::default(),
        claim: kurir_store::ClaimRequest {
            max_in_flight_per_endpoint: per_endpoint,
            ..claim_request(NOW, limit, "node-a")
        },
        may_wait: None,
    };
    let take = |limit, per_endpoint| {
        let store = std::sync::Arc::clone(&fx.store);
        async move { store.dispatch_turn(turn(limit, per_endpoint)).await.unwrap_or_else(|e| panic!("{e}")) }
    };
    assert!(take(10, 10).await.nothing_due, "an empty queue");
    publish_many(&fx, 2, None).await;
    assert!(!take(0, 10).await.nothing_due, "no claim ran, so the turn does not know");
    let first = take(10, 1).await;
    assert_eq!((first.claims.len(), first.nothing_due), (1, false), "two were due");
    let held = take(10, 1).await;
    assert_eq!((held.claims.len(), held.nothing_due), (0, false), "one waits behind the in-flight limit");
    assert_eq!(take(10, 10).await.claims.len(), 1);
    assert!(take(10, 10).await.nothing_due, "both are leased: neither is due until its lease runs out");
}

/// A turn's claim that fails (here: a due delivery whose event is gone) claims nothing, and the turn's outcomes
/// are written all the same (the claim runs in a savepoint of its own).
#[tokio::test]
async fn a_claim_that_fails_in_a_turn_leaves_the_turns_outcomes_written() {
    use kurir_core::delivery::{DeliveryState, NextStep};
    let fx = fixture(Backend::Sqlite).await;
    publish_many(&fx, 2, None).await;
    let first = fx.store.claim_due(claim_request(NOW, 1, "node-a")).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.len(), 1);
    let conn = rusqlite::Connection::open(fx.db.dir().join("kurir.db")).unwrap_or_else(|e| panic!("{e}"));
    // Without foreign keys on this connection, the event goes and its pending delivery stays.
    conn.pragma_update(None, "foreign_keys", false).unwrap_or_else(|e| panic!("{e}"));
    let removed = conn
        .execute("DELETE FROM events WHERE seq IN (SELECT event_seq FROM deliveries WHERE state = 'pending')", [])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(removed, 1);

    let turn = kurir_store::DispatchTurn {
        outcomes: std::sync::Arc::from([outcome(&first[0], NextStep::Succeeded, first[0].lease_token)]),
        circuit: kurir_core::circuit::CircuitPolicy::default(),
        claim: claim_request(NOW, 10, "node-a"),
        may_wait: None,
    };
    let taken = fx.store.dispatch_turn(turn).await.unwrap_or_else(|e| panic!("the turn stands: {e}"));
    assert!(taken.claims.is_empty(), "the claim failed: {} claimed", taken.claims.len());
    assert_eq!(state_of(&fx, &first[0]).await, DeliveryState::Succeeded, "the outcome was written");
    let (state, leased): (String, bool) = conn
        .query_row(
            "SELECT state, lease_token IS NOT NULL FROM deliveries WHERE event_seq NOT IN (SELECT seq FROM events)",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((state.as_str(), leased), ("pending", false), "the failed claim's lease was undone");
}
