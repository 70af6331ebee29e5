//! API keys verified lately, so that a publish does not read its key from the database every time (a read on a
//! blocking thread per request was 7 % of the server's CPU with single publishes).
//!
//! An entry is used for [`FRESH_FOR`] after it was read. A key revoked through this process is forgotten at once,
//! so it stops working at once here; one revoked through another node sharing the database (PostgreSQL) stops
//! working here within [`FRESH_FOR`]. Only keys that exist are kept, so unknown key ids cannot fill the cache.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kurir_core::api_key::ApiKey;

/// How long a key read from the database is trusted without reading it again.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// Most keys kept; past that, the cache starts again empty.
const MAX_KEYS: usize = 10_000;

#[derive(Debug, Default)]
pub struct KeyCache(Mutex<Keys>);

#[derive(Debug, Default)]
struct Keys {
    read: HashMap<String, (ApiKey, Instant)>,
    /// Counts revocations: a key read before one is not kept, since it may be the one revoked (a request that
    /// read it while it was still active must not bring it back after [`KeyCache::forget`]).
    revocations: u64,
}

/// When a key was read, in [`KeyCache::reading`]'s terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading(u64);

impl KeyCache {
    /// Call before reading a key from the database; hand the answer to [`KeyCache::remember`].
    pub fn reading(&self) -> Reading {
        Reading(self.0.lock().map(|keys| keys.revocations).unwrap_or(u64::MAX))
    }

    /// The key `key_id` as read within [`FRESH_FOR`] before `now`.
    pub fn get(&self, key_id: &str, now: Instant) -> Option<ApiKey> {
        let keys = self.0.lock().ok()?;
        let (key, read_at) = keys.read.get(key_id)?;
        (now.saturating_duration_since(*read_at) < FRESH_FOR).then(|| key.clone())
    }

    /// Keeps `key`, read from the database at `now` after `reading`, unless a key was revoked since.
    pub fn remember(&self, key: ApiKey, reading: Reading, now: Instant) {
        let Ok(mut keys) = self.0.lock() else { return };
        if keys.revocations != reading.0 {
            return;
        }
        if keys.read.len() >= MAX_KEYS {
            keys.read.retain(|_, (_, read_at)| now.saturating_duration_since(*read_at) < FRESH_FOR);
            if keys.read.len() >= MAX_KEYS {
                keys.read.clear();
            }
        }
        keys.read.insert(key.id.to_string(), (key, now));
    }

    /// Drops `key_id` (it was revoked here), so that the next request reads it again.
    pub fn forget(&self, key_id: &str) {
        if let Ok(mut keys) = self.0.lock() {
            keys.read.remove(key_id);
            keys.revocations += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kurir_core::id::ApiKeyId;

    fn key() -> ApiKey {
        ApiKey {
            id: ApiKeyId::generate(1, 1),
            tenant: "acme".parse().unwrap_or_else(|e| panic!("{e:?}")),
            name: "k".into(),
            secret_hash: [7; 32],
            created_at_ms: 1,
            revoked_at_ms: None,
        }
    }

    #[test]
    fn a_key_is_used_while_fresh_then_read_again() {
        let (cache, start, key) = (KeyCache::default(), Instant::now(), key());
        let id = key.id.to_string();
        assert!(cache.get(&id, start).is_none());
        cache.remember(key.clone(), cache.reading(), start);
        assert_eq!(cache.get(&id, start + FRESH_FOR / 2), Some(key));
        assert!(cache.get(&id, start + FRESH_FOR).is_none(), "stale after FRESH_FOR");
    }

    #[test]
    fn a_forgotten_key_is_read_again_at_once() {
        let (cache, now, key) = (KeyCache::default(), Instant::now(), key());
        let id = key.id.to_string();
        cache.remember(key, cache.reading(), now);
        cache.forget(&id);
        assert!(cache.get(&id, now).is_none());
    }

    #[test]
    fn a_key_read_before_a_revocation_is_not_kept() {
        let (cache, now, key) = (KeyCache::default(), Instant::now(), key());
        let id = key.id.to_string();
        let reading = cache.reading(); // a request reads the key while it is still active…
        cache.forget(&id); // …the key is revoked meanwhile…
        cache.remember(key, reading, now); // …and the request's answer comes back
        assert!(cache.get(&id, now).is_none(), "the revoked key must be read again");
    }
}
