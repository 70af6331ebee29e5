//! The one error type of kurir-wire.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// A secret is not `whsec_` followed by base64 of at least 16 bytes.
    #[error("invalid signing secret: {0}")]
    InvalidSecret(&'static str),
    /// A required header is absent or not text.
    #[error("missing header `{0}`")]
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not a whole number of seconds.
    #[error("invalid webhook-timestamp")]
    InvalidTimestamp,
    /// The timestamp is further from now than the tolerance allows (replay protection).
    #[error("webhook-timestamp is too old")]
    TimestampTooOld,
    #[error("webhook-timestamp is in the future")]
    TimestampTooNew,
    /// No signature in `webhook-signature` matches any of the secrets.
    #[error("no matching signature")]
    InvalidSignature,
    /// A `zort` endpoint without its three keys (the API refuses to save one, so only a damaged row gets here).
    #[error("the endpoint has no ZORT keys")]
    MissingZortKeys,
    /// The endpoint URL does not parse once `{event}` is filled in.
    #[error("invalid endpoint URL")]
    InvalidUrl,
    /// A received request's credentials do not match the source's.
    #[error("credentials do not match")]
    BadCredentials,
    /// A received body is not what the dialect carries (no `payload` field, not JSON).
    #[error("{0}")]
    MalformedPayload(String),
    /// The event's creation time cannot be written as RFC 3339.
    #[error("event time out of range")]
    TimeOutOfRange,
}

/// kurir-verify's errors (secrets, signatures, bodies) as this crate's.
impl From<kurir_verify::VerifyError> for WireError {
    fn from(err: kurir_verify::VerifyError) -> Self {
        use kurir_verify::VerifyError as V;
        match err {
            V::InvalidSecret(why) => WireError::InvalidSecret(why),
            V::MissingHeader(name) => WireError::MissingHeader(name),
            V::InvalidTimestamp => WireError::InvalidTimestamp,
            V::TimestampTooOld => WireError::TimestampTooOld,
            V::TimestampTooNew => WireError::TimestampTooNew,
            V::InvalidSignature => WireError::InvalidSignature,
            V::Malformed(message) => WireError::MalformedPayload(message),
            other => WireError::MalformedPayload(other.to_string()),
        }
    }
}
