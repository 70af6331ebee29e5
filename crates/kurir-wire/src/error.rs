//! The one error type of kurir-wire.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// A secret, a signature or a received body, as kurir-verify judged it (its message, unchanged).
    #[error(transparent)]
    Verify(#[from] kurir_verify::VerifyError),
    /// A `zort` endpoint without its three keys (the API refuses to save one, so only a damaged row gets here).
    #[error("the endpoint has no ZORT keys")]
    MissingZortKeys,
    /// The endpoint URL does not parse once `{event}` is filled in.
    #[error("invalid endpoint URL")]
    InvalidUrl,
    /// A received request's credentials do not match the source's.
    #[error("credentials do not match")]
    BadCredentials,
    /// The event's creation time cannot be written as RFC 3339.
    #[error("event time out of range")]
    TimeOutOfRange,
}
