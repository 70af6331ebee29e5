//! The one error type of kurir-store. It names no database crate: each backend turns its driver's errors into
//! these variants, so callers (the API, the engine) never depend on which database is behind the trait.

use std::sync::Arc;

/// A backend's own error, kept as the cause of [`StoreError::Backend`] and [`StoreError::Unavailable`].
pub type Cause = Arc<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The row does not exist for this tenant (another tenant's rows look exactly like missing ones).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The write clashes with what is there (a taken id, a delivery still in progress).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached, or lost the connection mid-call: nothing was written, and the same call
    /// may succeed later. The API answers 503 with `Retry-After`.
    #[error("the database is unavailable: {message}")]
    Unavailable { message: String, source: Option<Cause> },
    /// The database refused or failed a statement. Shared by every caller of a group commit that failed, hence
    /// the `Arc`.
    #[error("database error")]
    Backend(#[source] Cause),
    /// A stored value no longer parses (a corrupt or hand-edited row).
    #[error("corrupt row in {table}: {message}")]
    Corrupt { table: &'static str, message: String },
    /// The store is shutting down and takes no more work.
    #[error("store is closed")]
    Closed,
    /// Opening the data directory failed.
    #[error("cannot open the data directory")]
    Io(#[source] Arc<std::io::Error>),
    /// The store cannot be used with this configuration (a secret key that does not open its secrets, a
    /// database newer than this kurir).
    #[error("{0}")]
    Config(String),
}

impl StoreError {
    /// Whether the same call may succeed later without anything changing on the caller's side.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. } | StoreError::Closed)
    }

    pub(crate) fn corrupt(table: &'static str, message: impl std::fmt::Display) -> StoreError {
        StoreError::Corrupt { table, message: message.to_string() }
    }
}

impl From<std::io::Error> for StoreError {
    fn from(err: std::io::Error) -> Self {
        StoreError::Io(Arc::new(err))
    }
}
