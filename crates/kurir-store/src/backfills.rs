//! Backfills' SQL and rows, written once for both backends (numbered placeholders: `?1` for SQLite, `$1` for
//! PostgreSQL).

use kurir_core::backfill::{Backfill, BackfillState};
use kurir_core::endpoint::{subscribes, Endpoint};

use crate::StoreError;

/// The columns of a backfill row, in the order [`Row`] takes them.
pub(crate) const COLUMNS: &str =
    "id, tenant_id, endpoint_id, since_ms, until_ms, event_types, cursor, state, scanned, queued, created_at, updated_at";

/// The next batch of a tenant's (`{p}1`) events after the sequence number `{p}2`, published in
/// [`{p}3`, `{p}4`), in publish order, at most `{p}5`.
pub(crate) fn next_events_sql(p: char) -> String {
    format!(
        "SELECT seq, id, event_type, ordering_key, origin_key FROM events
         WHERE tenant_id = {p}1 AND seq > {p}2 AND created_at >= {p}3 AND created_at < {p}4
         ORDER BY seq LIMIT {p}5"
    )
}

/// Whether a backfill sends an event of `event_type` published with `origin` to its endpoint: a type it asks for,
/// and one the endpoint subscribes to (its filter, and not its owner key's own events), as publishing decides.
pub(crate) fn sends(backfill: &Backfill, endpoint: &Endpoint, event_type: &str, origin: Option<&str>) -> bool {
    let owner = endpoint.owner_key.as_ref().map(|k| k.as_str());
    backfill.wants(event_type) && subscribes(endpoint.event_types.as_deref(), owner, event_type, origin)
}

/// The end of a backfill without `until`: later than any event.
pub(crate) const NO_END: i64 = i64::MAX;

/// A backfill row as both backends read it (every number as i64, the types as JSON text).
pub(crate) struct Row {
    pub id: String,
    pub tenant: String,
    pub endpoint: String,
    pub since_ms: i64,
    pub until_ms: Option<i64>,
    pub event_types: Option<String>,
    pub cursor: Option<i64>,
    pub state: String,
    pub scanned: i64,
    pub queued: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl Row {
    pub(crate) fn into_backfill(self) -> Result<Backfill, StoreError> {
        const T: &str = "backfills";
        Ok(Backfill {
            id: crate::codec::parse(T, self.id)?,
            tenant: crate::codec::parse(T, self.tenant)?,
            endpoint: crate::codec::parse(T, self.endpoint)?,
            since_ms: self.since_ms,
            until_ms: self.until_ms,
            event_types: crate::codec::decode_event_types(self.event_types)?,
            cursor: self.cursor,
            state: BackfillState::parse(&self.state).map_err(|err| StoreError::corrupt(T, err))?,
            scanned: self.scanned.max(0) as u64,
            queued: self.queued.max(0) as u64,
            created_at_ms: self.created_at_ms,
            updated_at_ms: self.updated_at_ms,
        })
    }
}

/// The event types of a backfill as its column holds them.
pub(crate) fn types_column(backfill: &Backfill) -> Option<String> {
    backfill.event_types.as_ref().map(|types| serde_json::Value::from(types.clone()).to_string())
}
