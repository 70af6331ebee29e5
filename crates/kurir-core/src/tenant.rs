//! Tenants: one merchant or store. Every other row belongs to exactly one tenant.

use crate::id::TenantId;
use crate::CoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    /// Which attempts the attempt log keeps (DealPOS's webhook-log modes).
    pub attempt_log: AttemptLog,
    pub created_at_ms: i64,
    /// Events a second the tenant may publish (a burst of as many); `None`: no limit.
    pub publish_rate: Option<u32>,
}

/// The most events a second a limit may allow.
pub const MAX_PUBLISH_RATE: u32 = 1_000_000;

/// Checks a publish rate limit: 1 to 1,000,000 events a second.
pub fn validate_publish_rate(rate: u32) -> Result<(), CoreError> {
    if !(1..=MAX_PUBLISH_RATE).contains(&rate) {
        return Err(CoreError::invalid("publish_rate", "must be between 1 and 1000000 events a second, or null"));
    }
    Ok(())
}

/// DealPOS's webhook-log modes: Full keeps every attempt, Error only failed ones, None nothing. A delivery's own
/// state, attempt count and last status are kept whatever the mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AttemptLog {
    #[default]
    Full,
    Errors,
    None,
}

impl AttemptLog {
    pub const ALL: [AttemptLog; 3] = [AttemptLog::Full, AttemptLog::Errors, AttemptLog::None];

    pub fn as_str(self) -> &'static str {
        match self {
            AttemptLog::Full => "full",
            AttemptLog::Errors => "errors",
            AttemptLog::None => "none",
        }
    }

    pub fn parse(text: &str) -> Result<Self, CoreError> {
        Self::ALL
            .into_iter()
            .find(|mode| mode.as_str() == text)
            .ok_or_else(|| CoreError::invalid("attempt_log", "must be one of full, errors, none"))
    }

    /// Whether an attempt that did (or did not) succeed is kept.
    pub fn keeps(self, success: bool) -> bool {
        match self {
            AttemptLog::Full => true,
            AttemptLog::Errors => !success,
            AttemptLog::None => false,
        }
    }
}

/// Checks a tenant's display name: 1–200 characters, not blank.
pub fn validate_name(name: &str) -> Result<(), CoreError> {
    if name.trim().is_empty() || name.chars().count() > 200 {
        return Err(CoreError::invalid("name", "must be 1-200 characters and not blank"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempt_log_modes() {
        let kept = |mode: AttemptLog| (mode.keeps(true), mode.keeps(false));
        assert_eq!(kept(AttemptLog::Full), (true, true));
        assert_eq!(kept(AttemptLog::Errors), (false, true));
        assert_eq!(kept(AttemptLog::None), (false, false));
        for mode in AttemptLog::ALL {
            assert_eq!(AttemptLog::parse(mode.as_str()), Ok(mode));
        }
        assert!(AttemptLog::parse("verbose").is_err());
    }
}
