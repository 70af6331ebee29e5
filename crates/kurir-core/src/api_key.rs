//! API keys: a tenant's credentials. The bearer token is `<key id>.<secret>`; only a hash of the secret is kept.

use crate::id::{ApiKeyId, TenantId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub tenant: TenantId,
    pub name: String,
    /// SHA-256 of the secret. Secrets are 256-bit random values, so a fast hash is enough (DESIGN.md).
    pub secret_hash: [u8; 32],
    pub created_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
}

impl ApiKey {
    /// Whether the key still works (it has not been revoked).
    pub fn is_active(&self) -> bool {
        self.revoked_at_ms.is_none()
    }
}

/// A bearer token split into its two halves. Parsing checks shape only; the store decides whether it is known.
#[derive(PartialEq, Eq)]
pub struct ApiToken<'a> {
    pub key_id: &'a str,
    pub secret: &'a str,
}

impl<'a> ApiToken<'a> {
    /// Splits `key_….secret`. Returns `None` for anything that is not an API key token (such as the admin token).
    pub fn parse(token: &'a str) -> Option<Self> {
        let (key_id, secret) = token.split_once('.')?;
        if !key_id.starts_with(ApiKeyId::PREFIX) || secret.is_empty() {
            return None;
        }
        Some(ApiToken { key_id, secret })
    }
}

// The secret never reaches Debug output or logs.
impl std::fmt::Debug for ApiToken<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiToken").field("key_id", &self.key_id).field("secret", &"<redacted>").finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_key_tokens_only() {
        let token = ApiToken::parse("key_01ABC.s3cret").map(|t| (t.key_id, t.secret));
        assert_eq!(token, Some(("key_01ABC", "s3cret")));
        assert!(ApiToken::parse("admin-token-without-dot").is_none());
        assert!(ApiToken::parse("key_01ABC.").is_none());
        assert!(ApiToken::parse("other.secret").is_none());
    }

    #[test]
    fn debug_redacts_the_secret() {
        let token = ApiToken::parse("key_1.hunter2").map(|t| format!("{t:?}")).unwrap_or_default();
        assert!(!token.contains("hunter2"), "{token}");
    }
}
