//! Verify and decode the webhooks kurir sends, in your own Rust service.
//!
//! kurir signs every delivery the [Standard Webhooks](https://www.standardwebhooks.com/) way (`webhook-id`,
//! `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`), in each of its dialects: `standard`, and
//! (unless the endpoint turns them off) `dealpos` and `zort`, whose bodies are what DealPOS and ZORT themselves
//! send. This crate checks those signatures and turns a request into a [`Webhook`]: its event type (the catalog's
//! name, such as `productCreated` or `ADDPRODUCT`), its payload and what else the dialect carries.
//!
//! It does no I/O, starts no runtime and needs no HTTP client: hand it the request's target, headers and body from
//! whatever server you use, and the time.
//!
//! # Verify, then decode
//!
//! ```
//! use kurir_verify::{decode, verify_request, Request, WebhookSecret};
//!
//! // The endpoint's secret, as kurir showed it when the endpoint was made.
//! let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
//! # let body = br#"{"type":"productCreated","timestamp":"2026-11-24T08:00:00Z","data":{"ID":"p-1"}}"#;
//! # let now = 1_795_000_000;
//! # let signature = kurir_verify::sign(&secret, "evt_01", now, body);
//! # let timestamp = now.to_string();
//! let headers = [
//!     ("webhook-id", "evt_01"),
//!     ("webhook-timestamp", timestamp.as_str()),
//!     ("webhook-signature", signature.as_str()),
//! ];
//! let request = Request { target: "/hooks", headers: &headers, body };
//!
//! verify_request(&request, &[secret], now)?; // seconds since the Unix epoch, from your clock
//! let webhook = decode(&request)?;
//! assert_eq!(webhook.event_type, "productCreated");
//! assert_eq!(webhook.payload["ID"], "p-1");
//! # Ok::<(), kurir_verify::VerifyError>(())
//! ```
//!
//! # During a secret rotation
//!
//! After a rotation kurir signs with the new secret and the previous one for 24 hours: `webhook-signature` then
//! holds two signatures, and a request is good when any signature matches any secret you give. Give both while
//! you switch over.
//!
//! ```
//! use kurir_verify::{signature_header, verify_request, Request, VerifyError, WebhookSecret};
//!
//! let old = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
//! let new = WebhookSecret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")?;
//! let body = br#"{"ID":"p-1"}"#;
//! let header = signature_header([&new, &old], "evt_02", 1_795_000_000, body);
//! let headers = [("webhook-id", "evt_02"), ("webhook-timestamp", "1795000000"), ("webhook-signature", header.as_str())];
//! let request = Request { target: "/hooks/productCreated", headers: &headers, body };
//!
//! assert_eq!(verify_request(&request, &[old.clone()], 1_795_000_000), Ok(()));
//! assert_eq!(verify_request(&request, &[new], 1_795_000_000), Ok(()));
//! // Ten minutes later the request is refused: a captured one cannot be replayed.
//! assert_eq!(verify_request(&request, &[old], 1_795_000_600), Err(VerifyError::TimestampTooOld));
//! # Ok::<(), kurir_verify::VerifyError>(())
//! ```
//!
//! # Ed25519 (`v1a`)
//!
//! An endpoint can sign with an ed25519 key instead of a shared secret: kurir then shows you only its public key
//! (`whpk_…`), and a leak on your side cannot forge deliveries. Verify with a [`PublicKey`], or with
//! [`VerifyKey`]s when you hold keys of both kinds (during a switch from one to the other):
//!
//! ```
//! use kurir_verify::{signature_header, verify_request, PublicKey, Request, SigningKey, VerifyKey, WebhookSecret};
//!
//! # let signing = SigningKey::from_seed([7; 32]);
//! # let old = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
//! # let body = br#"{"ID":"p-1"}"#;
//! # let header = format!("{} {}", signature_header([&old], "evt_03", 1_795_000_000, body),
//! #     signature_header([&signing], "evt_03", 1_795_000_000, body));
//! # let public_text = signing.public_key().expose();
//! let public = PublicKey::parse(&public_text)?; // "whpk_…", from the endpoint's secret route
//! let headers = [("webhook-id", "evt_03"), ("webhook-timestamp", "1795000000"), ("webhook-signature", header.as_str())];
//! let request = Request { target: "/hooks", headers: &headers, body };
//! assert_eq!(verify_request(&request, &[public.clone()], 1_795_000_000), Ok(()));
//! let both = [VerifyKey::from(old), VerifyKey::from(public)];
//! assert_eq!(verify_request(&request, &both, 1_795_000_000), Ok(()));
//! # Ok::<(), kurir_verify::VerifyError>(())
//! ```
//!
//! # DealPOS and ZORT
//!
//! A DealPOS body is the payload itself and DealPOS names the event type only by the URL it posts to (one per
//! type): [`decode`] takes the last segment of the path (an endpoint URL made from `https://you/hooks/{event}`);
//! with any other URL, call [`decode_dealpos`] with the type your route stands for. A ZORT request names its
//! trigger in `?method=` and sends the payload as the form field `payload`:
//!
//! ```
//! use kurir_verify::{decode, Dialect, Request};
//!
//! let headers = [("content-type", "application/x-www-form-urlencoded")];
//! let body = b"payload=%7B%22id%22%3A7%2C%22number%22%3A%22SO-7%22%7D";
//! let request = Request { target: "/zort?method=UPDATEORDERPAYMENT&id=7&paymentstatus=Paid", headers: &headers, body };
//! let webhook = decode(&request)?;
//! assert_eq!((webhook.dialect, webhook.event_type.as_str()), (Dialect::Zort, "UPDATEORDERPAYMENT"));
//! assert_eq!(webhook.payload["number"], "SO-7");
//! assert_eq!(webhook.params[1], ("paymentstatus".to_owned(), "Paid".to_owned()));
//! # Ok::<(), kurir_verify::VerifyError>(())
//! ```

pub mod decode;
pub mod error;
pub mod events;
pub mod keys;
pub mod secret;
pub mod signature;

pub use decode::{decode, decode_dealpos, decode_standard, decode_zort, Dialect, Request, Webhook};
pub use error::VerifyError;
pub use events::CatalogEvent;
pub use keys::{PublicKey, SignKey, SigningKey, VerifyKey};
pub use secret::WebhookSecret;
pub use signature::{sign, signature_header, verify, SignedHeaders, Signs, Verifies, TOLERANCE_SECS};

/// Verifies a request's Standard Webhooks signature against any of `secrets`, at `now_secs` (seconds since the
/// Unix epoch): the signed headers must be there, the timestamp within [`TOLERANCE_SECS`] of `now_secs`, and one
/// of the signatures must match one of the keys ([`WebhookSecret`]s for `v1`, [`PublicKey`]s for `v1a`, or
/// [`VerifyKey`]s of either kind) over the body exactly as received.
pub fn verify_request<K: Verifies>(request: &Request<'_>, secrets: &[K], now_secs: i64) -> Result<(), VerifyError> {
    let headers = SignedHeaders {
        id: request.header(signature::HEADER_ID),
        timestamp: request.header(signature::HEADER_TIMESTAMP),
        signature: request.header(signature::HEADER_SIGNATURE),
    };
    verify(secrets, headers, request.body, now_secs)
}
