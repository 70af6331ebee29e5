//! What can be wrong with a webhook as received.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A secret is not `whsec_` followed by base64 of 16 to 64 bytes.
    #[error("invalid signing secret: {0}")]
    InvalidSecret(&'static str),
    /// A required header is absent (or not text).
    #[error("missing header `{0}`")]
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not a whole number of seconds.
    #[error("invalid webhook-timestamp")]
    InvalidTimestamp,
    /// The timestamp is older than the tolerance allows: a replay, or a clock far behind.
    #[error("webhook-timestamp is too old")]
    TimestampTooOld,
    /// The timestamp is further ahead than the tolerance allows.
    #[error("webhook-timestamp is in the future")]
    TimestampTooNew,
    /// No signature in `webhook-signature` matches any of the secrets.
    #[error("no matching signature")]
    InvalidSignature,
    /// The body is not what the dialect carries (not JSON, no `payload` field, no `type`).
    #[error("{0}")]
    Malformed(String),
    /// The payload of a catalog type does not fit that type (see [`crate::Webhook::event`]).
    #[error("the {event_type} payload does not fit its type: {message}")]
    Payload { event_type: String, message: String },
}
