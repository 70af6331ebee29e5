//! Tenants: one merchant or store. Every other row belongs to exactly one tenant.

use crate::id::TenantId;
use crate::CoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub created_at_ms: i64,
}

/// Checks a tenant's display name: 1–200 characters, not blank.
pub fn validate_name(name: &str) -> Result<(), CoreError> {
    if name.trim().is_empty() || name.chars().count() > 200 {
        return Err(CoreError::invalid("name", "must be 1-200 characters and not blank"));
    }
    Ok(())
}
