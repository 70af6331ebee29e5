//! Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
//!
//! During a secret rotation a request carries one signature per live secret, separated by spaces; a receiver
//! accepts it when any one matches. Verification rejects timestamps more than five minutes away from `now`, so a
//! captured request cannot be replayed later.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::{VerifyError, WebhookSecret};

pub const HEADER_ID: &str = "webhook-id";
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
pub const HEADER_SIGNATURE: &str = "webhook-signature";

/// How far a timestamp may be from the verifier's clock.
pub const TOLERANCE_SECS: i64 = 5 * 60;

/// The `v1,…` signature of one message under one secret.
pub fn sign(secret: &WebhookSecret, msg_id: &str, timestamp_secs: i64, body: &[u8]) -> String {
    format!("v1,{}", STANDARD.encode(mac(secret, msg_id, timestamp_secs, body)))
}

/// The whole `webhook-signature` value: one signature per secret, space-separated.
pub fn signature_header<'a>(
    secrets: impl IntoIterator<Item = &'a WebhookSecret>,
    msg_id: &str,
    timestamp_secs: i64,
    body: &[u8],
) -> String {
    let signatures: Vec<String> = secrets.into_iter().map(|s| sign(s, msg_id, timestamp_secs, body)).collect();
    signatures.join(" ")
}

/// kurir's three signature headers for one attempt: `webhook-id` (the event id), `webhook-timestamp` and
/// `webhook-signature` over `body`. Every dialect can carry them, so any receiver can verify what it got.
pub fn headers(secrets: &[WebhookSecret], msg_id: &str, now_ms: i64, body: &[u8]) -> [(String, String); 3] {
    let now_secs = now_ms.div_euclid(1000);
    [
        (HEADER_ID.to_owned(), msg_id.to_owned()),
        (HEADER_TIMESTAMP.to_owned(), now_secs.to_string()),
        (HEADER_SIGNATURE.to_owned(), signature_header(secrets, msg_id, now_secs, body)),
    ]
}

fn mac(secret: &WebhookSecret, msg_id: &str, timestamp_secs: i64, body: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail; the fallback keeps the function total.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.key()) else {
        return [0; 32];
    };
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp_secs.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// The three headers a receiver reads, already taken out of whatever header map it uses.
#[derive(Debug, Clone, Copy)]
pub struct SignedHeaders<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// Verifies a received request against any of `secrets` at time `now_secs`.
pub fn verify<'a>(
    secrets: impl IntoIterator<Item = &'a WebhookSecret>,
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
    let offered: Vec<Vec<u8>> = signature
        .split(' ')
        .filter_map(|part| part.split_once(','))
        .filter(|(version, _)| *version == "v1")
        .filter_map(|(_, encoded)| STANDARD.decode(encoded).ok())
        .collect();
    for secret in secrets {
        let expected = mac(secret, id, timestamp_secs, body);
        if offered.iter().any(|candidate| bool::from(candidate.as_slice().ct_eq(&expected))) {
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
