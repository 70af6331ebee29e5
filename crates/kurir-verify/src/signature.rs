//! Standard Webhooks signatures over `{id}.{timestamp}.{body}`: `v1,<base64 HMAC-SHA256>` with a `whsec_` secret,
//! or `v1a,<base64 ed25519>` with a `whsk_` key (verified with its `whpk_` public key).
//!
//! During a secret rotation a request carries one signature per live secret, separated by spaces; a receiver
//! accepts it when any one matches. Verification rejects timestamps more than five minutes away from `now`, so a
//! captured request cannot be replayed later.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::keys::{PublicKey, SignKey, SigningKey, VerifyKey};
use crate::{VerifyError, WebhookSecret};

pub const HEADER_ID: &str = "webhook-id";
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
pub const HEADER_SIGNATURE: &str = "webhook-signature";

/// How far a timestamp may be from the verifier's clock.
pub const TOLERANCE_SECS: i64 = 5 * 60;

/// What is signed: `{id}.{timestamp}.{body}`.
fn signed_content(msg_id: &str, timestamp_secs: i64, body: &[u8]) -> Vec<u8> {
    let mut content = format!("{msg_id}.{timestamp_secs}.").into_bytes();
    content.extend_from_slice(body);
    content
}

/// A key that signs: an HMAC secret (`v1`) or an ed25519 key (`v1a`).
pub trait Signs {
    /// The `v1,…` or `v1a,…` signature of one message.
    fn signature(&self, msg_id: &str, timestamp_secs: i64, body: &[u8]) -> String;
}

impl Signs for WebhookSecret {
    fn signature(&self, msg_id: &str, timestamp_secs: i64, body: &[u8]) -> String {
        sign(self, msg_id, timestamp_secs, body)
    }
}

impl Signs for SigningKey {
    fn signature(&self, msg_id: &str, timestamp_secs: i64, body: &[u8]) -> String {
        format!("v1a,{}", STANDARD.encode(self.sign(&signed_content(msg_id, timestamp_secs, body))))
    }
}

impl Signs for SignKey {
    fn signature(&self, msg_id: &str, timestamp_secs: i64, body: &[u8]) -> String {
        match self {
            SignKey::Secret(secret) => secret.signature(msg_id, timestamp_secs, body),
            SignKey::Ed25519(key) => key.signature(msg_id, timestamp_secs, body),
        }
    }
}

/// A key that verifies: an HMAC secret (`v1` signatures) or an ed25519 public key (`v1a`).
pub trait Verifies {
    /// Whether `signature` (decoded from base64), offered as `version`, signs `content`.
    fn verifies(&self, version: &str, content: &[u8], signature: &[u8]) -> bool;
}

impl Verifies for WebhookSecret {
    fn verifies(&self, version: &str, content: &[u8], signature: &[u8]) -> bool {
        version == "v1" && bool::from(signature.ct_eq(&mac(self, content)))
    }
}

impl Verifies for PublicKey {
    fn verifies(&self, version: &str, content: &[u8], signature: &[u8]) -> bool {
        version == "v1a" && PublicKey::verifies(self, content, signature)
    }
}

impl Verifies for VerifyKey {
    fn verifies(&self, version: &str, content: &[u8], signature: &[u8]) -> bool {
        match self {
            VerifyKey::Secret(secret) => secret.verifies(version, content, signature),
            VerifyKey::Public(key) => Verifies::verifies(key, version, content, signature),
        }
    }
}

/// The `v1,…` signature of one message under one secret.
pub fn sign(secret: &WebhookSecret, msg_id: &str, timestamp_secs: i64, body: &[u8]) -> String {
    format!("v1,{}", STANDARD.encode(mac(secret, &signed_content(msg_id, timestamp_secs, body))))
}

/// The whole `webhook-signature` value: one signature per key, space-separated.
pub fn signature_header<'a, K: Signs + 'a>(
    keys: impl IntoIterator<Item = &'a K>,
    msg_id: &str,
    timestamp_secs: i64,
    body: &[u8],
) -> String {
    let signatures: Vec<String> = keys.into_iter().map(|k| k.signature(msg_id, timestamp_secs, body)).collect();
    signatures.join(" ")
}

/// kurir's three signature headers for one attempt: `webhook-id` (the event id), `webhook-timestamp` and
/// `webhook-signature` over `body`. Every dialect can carry them, so any receiver can verify what it got.
pub fn headers<K: Signs>(keys: &[K], msg_id: &str, now_ms: i64, body: &[u8]) -> [(String, String); 3] {
    let now_secs = now_ms.div_euclid(1000);
    [
        (HEADER_ID.to_owned(), msg_id.to_owned()),
        (HEADER_TIMESTAMP.to_owned(), now_secs.to_string()),
        (HEADER_SIGNATURE.to_owned(), signature_header(keys, msg_id, now_secs, body)),
    ]
}

fn mac(secret: &WebhookSecret, content: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail; the fallback keeps the function total.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.key()) else {
        return [0; 32];
    };
    mac.update(content);
    mac.finalize().into_bytes().into()
}

/// The three headers a receiver reads, already taken out of whatever header map it uses.
#[derive(Debug, Clone, Copy)]
pub struct SignedHeaders<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// Verifies a received request against any of `keys` (HMAC secrets, ed25519 public keys, or [`VerifyKey`]s) at
/// time `now_secs`.
pub fn verify<'a, K: Verifies + 'a>(
    keys: impl IntoIterator<Item = &'a K>,
    headers: SignedHeaders<'_>,
    body: &[u8],
    now_secs: i64,
) -> Result<(), VerifyError> {
    let id = headers.id.ok_or(VerifyError::MissingHeader(HEADER_ID))?;
    let timestamp = headers.timestamp.ok_or(VerifyError::MissingHeader(HEADER_TIMESTAMP))?;
    let signature = headers.signature.ok_or(VerifyError::MissingHeader(HEADER_SIGNATURE))?;
    let timestamp_secs: i64 = timestamp.trim().parse().map_err(|_| VerifyError::InvalidTimestamp)?;
    if now_secs - timestamp_secs > TOLERANCE_SECS {
        return Err(VerifyError::TimestampTooOld);
    }
    if timestamp_secs - now_secs > TOLERANCE_SECS {
        return Err(VerifyError::TimestampTooNew);
    }
    let offered: Vec<(&str, Vec<u8>)> = signature
        .split(' ')
        .filter_map(|part| part.split_once(','))
        .filter_map(|(version, encoded)| STANDARD.decode(encoded).ok().map(|bytes| (version, bytes)))
        .collect();
    let content = signed_content(id, timestamp_secs, body);
    for key in keys {
        if offered.iter().any(|(version, candidate)| key.verifies(version, &content, candidate)) {
            return Ok(());
        }
    }
    Err(VerifyError::InvalidSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The known-answer vector of the standard-webhooks repository (libraries/rust, `test_sign`).
    const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const MSG_ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    const TIMESTAMP: i64 = 1_649_367_553;
    const BODY: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;
    const SIGNATURE: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

    fn secret() -> WebhookSecret {
        WebhookSecret::parse(SECRET).unwrap_or_else(|err| panic!("vector secret must parse: {err}"))
    }

    fn headers<'a>(signature: &'a str, timestamp: &'a str) -> SignedHeaders<'a> {
        SignedHeaders { id: Some(MSG_ID), timestamp: Some(timestamp), signature: Some(signature) }
    }

    #[test]
    fn ed25519_signs_v1a_verified_by_the_public_key_only() {
        let key = SigningKey::from_seed([42; 32]);
        let header = signature_header([&key], MSG_ID, TIMESTAMP, BODY);
        assert!(header.starts_with("v1a,") && header.len() == 4 + 88, "{header}");
        let public = key.public_key();
        assert_eq!(verify([&public], headers(&header, "1649367553"), BODY, TIMESTAMP), Ok(()));
        let other = SigningKey::from_seed([43; 32]).public_key();
        assert_eq!(
            verify([&other], headers(&header, "1649367553"), BODY, TIMESTAMP),
            Err(VerifyError::InvalidSignature)
        );
        assert_eq!(
            verify([&public], headers(&header, "1649367553"), b"tampered", TIMESTAMP),
            Err(VerifyError::InvalidSignature)
        );
        // A v1a signature is no HMAC, and a v1 one no ed25519 signature, whatever the bytes.
        let v1_bytes = header.replacen("v1a,", "v1,", 1);
        assert_eq!(
            verify([&secret()], headers(&v1_bytes, "1649367553"), BODY, TIMESTAMP),
            Err(VerifyError::InvalidSignature)
        );
        // During a switch from HMAC to ed25519 both go out; either kind of key verifies.
        let both = format!("{SIGNATURE} {header}");
        for key in [VerifyKey::Secret(secret()), VerifyKey::Public(public)] {
            assert_eq!(verify([&key], headers(&both, "1649367553"), BODY, TIMESTAMP), Ok(()));
        }
        assert_eq!(
            signature_header([&SignKey::Ed25519(key.clone())], MSG_ID, TIMESTAMP, BODY),
            signature_header([&key], MSG_ID, TIMESTAMP, BODY),
            "ed25519 signatures are deterministic"
        );
    }

    #[test]
    fn known_answer() {
        assert_eq!(sign(&secret(), MSG_ID, TIMESTAMP, BODY), SIGNATURE);
    }

    #[test]
    fn verification() {
        let ts = TIMESTAMP.to_string();
        let check = |signature: &str, body: &[u8], now: i64| verify([&secret()], headers(signature, &ts), body, now);
        assert_eq!(check(SIGNATURE, BODY, TIMESTAMP), Ok(()));
        assert_eq!(check(&format!("v1,bm9wZQ== {SIGNATURE}"), BODY, TIMESTAMP), Ok(()));
        // The standard-webhooks repository's wrong signature for the same message (`test_no_verify`).
        let wrong = "v1,R3PTzyfHASBKHH98a7yexTwaJ4yNIcGhFQc1yuN+BPU=";
        assert_eq!(check(wrong, BODY, TIMESTAMP), Err(VerifyError::InvalidSignature));
        assert_eq!(check("v1,", BODY, TIMESTAMP), Err(VerifyError::InvalidSignature));
        assert_eq!(check(&SIGNATURE.replace("v1", "v2"), BODY, TIMESTAMP), Err(VerifyError::InvalidSignature));
        assert_eq!(check(SIGNATURE, b"{}", TIMESTAMP), Err(VerifyError::InvalidSignature));
        assert_eq!(check(SIGNATURE, BODY, TIMESTAMP + TOLERANCE_SECS + 1), Err(VerifyError::TimestampTooOld));
        assert_eq!(check(SIGNATURE, BODY, TIMESTAMP - TOLERANCE_SECS - 1), Err(VerifyError::TimestampTooNew));
        let missing = SignedHeaders { id: None, timestamp: Some(&ts), signature: Some(SIGNATURE) };
        assert_eq!(verify([&secret()], missing, BODY, TIMESTAMP), Err(VerifyError::MissingHeader(HEADER_ID)));
    }

    #[test]
    fn rotation_signs_with_every_live_secret() {
        let new = WebhookSecret::from_random([1; 24]);
        let header = signature_header([&new, &secret()], MSG_ID, TIMESTAMP, BODY);
        assert_eq!(header.split(' ').count(), 2);
        assert!(header.ends_with(SIGNATURE));
        let ts = TIMESTAMP.to_string();
        assert_eq!(verify([&new], headers(&header, &ts), BODY, TIMESTAMP), Ok(()));
        assert_eq!(verify([&secret()], headers(&header, &ts), BODY, TIMESTAMP), Ok(()));
    }
}
