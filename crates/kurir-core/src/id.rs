//! Identifiers. Every kurir-made id is a type prefix and a ULID (`evt_01J…`): the prefix tells a reader what an id
//! names, and ULIDs sort by creation time (to the millisecond; lists go by the store's publish order).
//!
//! Ids are made from a time and a random number handed in by the caller, so this module stays pure.

use std::fmt;
use std::str::FromStr;

use crate::CoreError;

/// Declares a prefixed id type. One line per type keeps the list of ids readable in one place.
macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A new id for something made at `unix_ms`, with 80 bits of `random` to tell apart ids of the
            /// same millisecond.
            pub fn generate(unix_ms: u64, random: u128) -> Self {
                let ulid = ulid::Ulid::from_parts(unix_ms, random);
                $name(format!("{}{}", $prefix, ulid))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = CoreError;

            fn from_str(text: &str) -> Result<Self, CoreError> {
                let rest = text.strip_prefix($prefix).ok_or_else(|| {
                    CoreError::invalid("id", format!("must start with `{}`", $prefix))
                })?;
                ulid::Ulid::from_string(rest)
                    .map_err(|_| CoreError::invalid("id", format!("`{text}` is not a valid id")))?;
                Ok($name(text.to_owned()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

prefixed_id!(
    /// An event: one published or received occurrence.
    EventId, "evt_"
);
prefixed_id!(
    /// An endpoint: one subscriber URL.
    EndpointId, "ep_"
);
prefixed_id!(
    /// A delivery: one event for one endpoint.
    DeliveryId, "dlv_"
);
prefixed_id!(
    /// An attempt: one HTTP try of a delivery.
    AttemptId, "atm_"
);
prefixed_id!(
    /// A backfill: a tenant's past events sent again to one endpoint.
    BackfillId, "bfl_"
);

prefixed_id!(
    /// An API key's public half. Tokens are `<key id>.<secret>`; a key id never holds a dot.
    ApiKeyId, "key_"
);

/// A tenant (one merchant or store) is named by its operator: `acme`, a ZORT `storename`, a DealPOS subdomain.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TenantId(String);

impl TenantId {
    pub const MAX_LEN: usize = 64;

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for TenantId {
    type Err = CoreError;

    /// 1–64 characters of ASCII letters, digits, `-`, `_` and `.`, starting with a letter or digit: safe in a URL
    /// path and a header (ZORT sends it as `storename`).
    fn from_str(text: &str) -> Result<Self, CoreError> {
        let rule = "must be 1-64 characters of letters, digits, '-', '_' or '.', starting with a letter or digit";
        let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        let starts_well = text.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        if text.len() > Self::MAX_LEN || !starts_well || !text.chars().all(valid_char) {
            return Err(CoreError::invalid("id", rule));
        }
        Ok(TenantId(text.to_owned()))
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_round_trip_and_sort_by_time() {
        let early = EventId::generate(1_700_000_000_000, 7);
        let late = EventId::generate(1_700_000_000_001, 1);
        assert!(early.as_str().starts_with("evt_"));
        assert_eq!(early.as_str().len(), 4 + 26);
        assert!(early < late);
        assert_eq!(early.as_str().parse::<EventId>(), Ok(early.clone()));
    }

    #[test]
    fn parsing_checks_prefix_and_body() {
        let endpoint = EndpointId::generate(1, 1);
        assert!(endpoint.as_str().parse::<EventId>().is_err());
        assert!("evt_not-a-ulid".parse::<EventId>().is_err());
        assert!("".parse::<DeliveryId>().is_err());
    }

    #[test]
    fn tenant_ids() {
        for good in ["acme", "a", "store-01", "nelsenlim.dealpos.net", "A_b"] {
            assert!(good.parse::<TenantId>().is_ok(), "{good}");
        }
        let too_long = "a".repeat(65);
        for bad in ["", "-acme", "acme store", "acme/x", "ákme", too_long.as_str()] {
            assert!(bad.parse::<TenantId>().is_err(), "{bad}");
        }
    }
}
