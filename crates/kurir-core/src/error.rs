//! The one error type of kurir-core: an input that breaks one of kurir's rules.

/// What went wrong, with the part of the input to blame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    /// A value broke a rule. `field` names it in the dotted form the API reports
    /// (`payload.Variants[0].UnitPrice`, `url`), `message` says which rule.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// A catalog file (embedded or a tenant's own type) is not a usable event type.
    #[error("event type {name}: {message}")]
    Catalog { name: String, message: String },
}

impl CoreError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        CoreError::Invalid { field: field.into(), message: message.into() }
    }

    /// The field to blame, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            CoreError::Invalid { field, .. } => Some(field),
            CoreError::Catalog { .. } => None,
        }
    }

    /// The rule that was broken, without the field (for answers that report the field separately).
    pub fn into_message(self) -> String {
        match self {
            CoreError::Invalid { message, .. } => message,
            other => other.to_string(),
        }
    }

    /// Renames the field when it is `from` (a rule checked on one name, reported under another).
    pub fn rename(self, from: &str, to: &str) -> Self {
        match self {
            CoreError::Invalid { field, message } if field == from => {
                CoreError::Invalid { field: to.to_owned(), message }
            }
            other => other,
        }
    }

    /// Prefixes the field with the name of the object that holds it (`url` inside `endpoint` → `endpoint.url`).
    pub fn within(self, parent: &str) -> Self {
        match self {
            CoreError::Invalid { field, message } => CoreError::Invalid { field: format!("{parent}.{field}"), message },
            other => other,
        }
    }
}
