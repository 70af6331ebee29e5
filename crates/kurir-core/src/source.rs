//! Sources: inbound URLs that a vendor posts to. A source has a dialect (how to read what arrives) and the
//! vendor's credentials to check. Its id is random and unguessable (144 bits), so the URL is itself a secret on
//! top of the vendor's keys.

use crate::endpoint::{Dialect, ZortKeys};
use crate::id::TenantId;
use crate::CoreError;

/// `src_` and 24 URL-safe base64 characters (144 random bits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceId(String);

impl SourceId {
    pub const PREFIX: &'static str = "src_";
    const BODY_LEN: usize = 24;

    /// A new id from 18 random bytes supplied by the caller.
    pub fn from_random(bytes: [u8; 18]) -> Self {
        const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut body = String::with_capacity(Self::BODY_LEN);
        for chunk in bytes.chunks(3) {
            let n = (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8) | u32::from(chunk[2]);
            for shift in [18, 12, 6, 0] {
                body.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            }
        }
        SourceId(format!("{}{body}", Self::PREFIX))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for SourceId {
    type Err = CoreError;

    fn from_str(text: &str) -> Result<Self, CoreError> {
        let body = text.strip_prefix(Self::PREFIX).unwrap_or_default();
        let valid =
            body.len() == Self::BODY_LEN && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(CoreError::invalid("id", "is not a source id"));
        }
        Ok(SourceId(text.to_owned()))
    }
}

impl std::fmt::Display for SourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a source checks on every request, by dialect.
#[derive(Clone, PartialEq, Eq)]
pub enum SourceVerify {
    /// ZORT: the `key1`..`key3` headers (and `Authorization: Basic {key1}` when sent).
    Zort(ZortKeys),
    /// DealPOS: `X-API-Key` or `Authorization: Bearer` must equal the key, when one is set.
    Dealpos { api_key: Option<String> },
    /// Standard Webhooks: the signature must match one of these `whsec_` secrets.
    Standard { secrets: Vec<String> },
}

impl std::fmt::Debug for SourceVerify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            SourceVerify::Zort(_) => "Zort",
            SourceVerify::Dealpos { .. } => "Dealpos",
            SourceVerify::Standard { .. } => "Standard",
        };
        write!(f, "SourceVerify::{kind}(<redacted>)")
    }
}

impl SourceVerify {
    pub fn dialect(&self) -> Dialect {
        match self {
            SourceVerify::Zort(_) => Dialect::Zort,
            SourceVerify::Dealpos { .. } => Dialect::Dealpos,
            SourceVerify::Standard { .. } => Dialect::Standard,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub id: SourceId,
    pub tenant: TenantId,
    pub name: String,
    pub verify: SourceVerify,
    /// Strict sources refuse a payload that breaks its schema (400); lenient ones store it with the failures
    /// noted and forward it.
    pub strict: bool,
    pub created_at_ms: i64,
}

/// How long a vendor's retry of the same request is recognised as one.
pub const DUPLICATE_WINDOW_MS: i64 = 10 * 60 * 1_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_long_random_and_round_trip() {
        let id = SourceId::from_random([0xab; 18]);
        assert!(id.as_str().starts_with("src_"));
        assert_eq!(id.as_str().len(), 4 + 24);
        assert_eq!(id.as_str().parse::<SourceId>(), Ok(id.clone()));
        assert_ne!(SourceId::from_random([1; 18]), SourceId::from_random([2; 18]));
        for bad in ["src_short", "evt_AAAAAAAAAAAAAAAAAAAAAAAA", "src_AAAAAAAAAAAAAAAAAAAAAAA!"] {
            assert!(bad.parse::<SourceId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn verify_settings_do_not_leak_into_debug() {
        let verify = SourceVerify::Dealpos { api_key: Some("hunter2".into()) };
        assert!(!format!("{verify:?}").contains("hunter2"));
        assert_eq!(verify.dialect(), Dialect::Dealpos);
    }
}
