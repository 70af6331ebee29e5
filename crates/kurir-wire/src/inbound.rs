//! Receiving: checking a vendor's credentials and reading its body. Pure: the API hands in header values and
//! bytes; nothing here touches a socket.
//!
//! - ZORT sends `key1`, `key2`, `key3` and `Authorization: Basic {key1}` (literally), and its body is a form field
//!   `payload` holding JSON. Its docs do not state the encoding, so a raw JSON body and `{"payload": ...}` are
//!   accepted too (multipart is unpacked by the caller).
//! - DealPOS may send `X-API-Key` or an `Authorization: Bearer` token; its body is the bare entity JSON.

use kurir_core::endpoint::ZortKeys;
use subtle::ConstantTimeEq;

use crate::WireError;

fn same(given: Option<&str>, expected: &str) -> bool {
    given.is_some_and(|given| bool::from(given.as_bytes().ct_eq(expected.as_bytes())))
}

/// The credential headers of a ZORT request.
#[derive(Debug, Clone, Copy, Default)]
pub struct ZortCredentials<'a> {
    pub key1: Option<&'a str>,
    pub key2: Option<&'a str>,
    pub key3: Option<&'a str>,
    pub authorization: Option<&'a str>,
}

/// All three key headers must match; an `Authorization` header, when sent, must be `Basic {key1}`.
pub fn verify_zort(keys: &ZortKeys, given: ZortCredentials<'_>) -> Result<(), WireError> {
    let keys_match = same(given.key1, &keys.key1) & same(given.key2, &keys.key2) & same(given.key3, &keys.key3);
    let authorization_ok = given.authorization.is_none_or(|value| same(Some(value), &format!("Basic {}", keys.key1)));
    if keys_match && authorization_ok {
        Ok(())
    } else {
        Err(WireError::BadCredentials)
    }
}

/// With an API key set, `X-API-Key: <key>` or `Authorization: Bearer <key>` must carry it.
pub fn verify_dealpos(
    api_key: Option<&str>,
    x_api_key: Option<&str>,
    authorization: Option<&str>,
) -> Result<(), WireError> {
    let Some(expected) = api_key else { return Ok(()) };
    let bearer = authorization.and_then(|value| value.strip_prefix("Bearer ")).map(str::trim);
    if same(x_api_key.map(str::trim), expected) || same(bearer, expected) {
        Ok(())
    } else {
        Err(WireError::BadCredentials)
    }
}

/// ZORT's body shapes are read by kurir-verify, so kurir reads them exactly as an integrator's service does.
pub use kurir_verify::decode::{checked_json, zort_payload};

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> ZortKeys {
        ZortKeys { key1: "k1".into(), key2: "k2".into(), key3: "k3".into() }
    }

    fn creds<'a>(key1: &'a str, authorization: Option<&'a str>) -> ZortCredentials<'a> {
        ZortCredentials { key1: Some(key1), key2: Some("k2"), key3: Some("k3"), authorization }
    }

    #[test]
    fn zort_credentials() {
        assert_eq!(verify_zort(&keys(), creds("k1", Some("Basic k1"))), Ok(()));
        assert_eq!(verify_zort(&keys(), creds("k1", None)), Ok(()));
        assert_eq!(verify_zort(&keys(), creds("k1", Some("Basic azE="))), Err(WireError::BadCredentials), "not base64");
        assert_eq!(verify_zort(&keys(), creds("nope", Some("Basic nope"))), Err(WireError::BadCredentials));
        let missing = ZortCredentials { key3: None, ..creds("k1", None) };
        assert_eq!(verify_zort(&keys(), missing), Err(WireError::BadCredentials));
    }

    #[test]
    fn dealpos_credentials() {
        assert_eq!(verify_dealpos(None, None, None), Ok(()));
        assert_eq!(verify_dealpos(Some("s3"), Some("s3"), None), Ok(()));
        assert_eq!(verify_dealpos(Some("s3"), None, Some("Bearer s3")), Ok(()));
        assert_eq!(verify_dealpos(Some("s3"), None, Some("Basic s3")), Err(WireError::BadCredentials));
        assert_eq!(verify_dealpos(Some("s3"), None, None), Err(WireError::BadCredentials));
    }
}
