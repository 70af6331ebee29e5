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
    /// Days its history (events, deliveries, attempts, logs) is kept; `None`: the server's default.
    pub retention_days: Option<u32>,
    /// Whether the endpoints ZORT's UpdateWebhook makes for it carry kurir's `webhook-*` signature headers beside
    /// ZORT's own (true, the default) or only ZORT's headers, exactly as ZORT sends them.
    pub zort_signature_headers: bool,
}

/// How long history is kept unless the server or the tenant says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;
/// The longest a tenant's retention may be (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3_650;

/// Checks a tenant's retention: 1 to 3650 days.
pub fn validate_retention_days(days: u32) -> Result<(), CoreError> {
    if !(1..=MAX_RETENTION_DAYS).contains(&days) {
        return Err(CoreError::invalid("retention_days", "must be between 1 and 3650 days, or null for the default"));
    }
    Ok(())
}

/// Until when a tenant's history is purged at `now_ms`: its own retention, else the server's default (0 keeps
/// everything, `None` here).
pub fn history_cutoff(now_ms: i64, tenant_days: Option<u32>, default_days: u32) -> Option<i64> {
    let days = tenant_days.unwrap_or(default_days);
    (days > 0).then(|| now_ms - i64::from(days) * 86_400_000)
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
    fn history_is_kept_for_the_tenants_days_else_the_default_and_0_keeps_it_all() {
        let day = 86_400_000;
        assert_eq!(history_cutoff(100 * day, Some(7), 30), Some(93 * day));
        assert_eq!(history_cutoff(100 * day, None, 30), Some(70 * day));
        assert_eq!(history_cutoff(100 * day, None, 0), None);
        assert_eq!(history_cutoff(100 * day, Some(1), 0), Some(99 * day), "a tenant's own retention applies anyway");
        assert!(validate_retention_days(0).is_err() && validate_retention_days(3_651).is_err());
        assert!(validate_retention_days(90).is_ok());
    }

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
