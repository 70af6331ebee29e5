//! Signing secrets in the Standard Webhooks form: `whsec_` + base64 of the key bytes.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::VerifyError;

pub const PREFIX: &str = "whsec_";

/// Key bytes of a signing secret. `Debug` redacts them, so a secret cannot leak into logs by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret {
    key: Vec<u8>,
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

impl WebhookSecret {
    /// Parses `whsec_<base64>`. Keys must be 16–64 bytes: shorter is guessable, longer is not the standard's shape.
    pub fn parse(text: &str) -> Result<Self, VerifyError> {
        let encoded = text.strip_prefix(PREFIX).ok_or(VerifyError::InvalidSecret("must start with whsec_"))?;
        let key = STANDARD.decode(encoded).map_err(|_| VerifyError::InvalidSecret("is not valid base64"))?;
        if !(16..=64).contains(&key.len()) {
            return Err(VerifyError::InvalidSecret("must hold 16 to 64 bytes"));
        }
        Ok(WebhookSecret { key })
    }

    /// A new secret from 24 random bytes supplied by the caller (this crate draws no randomness).
    pub fn from_random(bytes: [u8; 24]) -> Self {
        WebhookSecret { key: bytes.to_vec() }
    }

    /// The `whsec_…` text shown to the tenant once and stored encrypted.
    pub fn expose(&self) -> String {
        format!("{PREFIX}{}", STANDARD.encode(&self.key))
    }

    /// The key bytes (what HMAC signs with).
    pub fn key(&self) -> &[u8] {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_expose_round_trip() {
        let secret = WebhookSecret::from_random([7; 24]);
        assert_eq!(WebhookSecret::parse(&secret.expose()), Ok(secret.clone()));
        assert_eq!(format!("{secret:?}"), "WebhookSecret(<redacted>)");
    }

    #[test]
    fn bad_secrets() {
        assert_eq!(WebhookSecret::parse("abc"), Err(VerifyError::InvalidSecret("must start with whsec_")));
        assert_eq!(WebhookSecret::parse("whsec_!!!"), Err(VerifyError::InvalidSecret("is not valid base64")));
        assert_eq!(WebhookSecret::parse("whsec_AAAA"), Err(VerifyError::InvalidSecret("must hold 16 to 64 bytes")));
    }
}
