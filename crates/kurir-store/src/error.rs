//! The one error type of kurir-store.

use std::sync::Arc;

#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The row does not exist for this tenant (another tenant's rows look exactly like missing ones).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The write clashes with what is there (a taken id, a delivery still in progress).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database failed. Shared by every caller of a group commit that failed, hence the `Arc`.
    #[error("database error")]
    Database(#[source] Arc<rusqlite::Error>),
    /// A stored value no longer parses (a corrupt or hand-edited row).
    #[error("corrupt row in {table}: {message}")]
    Corrupt { table: &'static str, message: String },
    /// The store is shutting down and takes no more work.
    #[error("store is closed")]
    Closed,
    /// Opening the data directory failed.
    #[error("cannot open the data directory")]
    Io(#[source] Arc<std::io::Error>),
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        StoreError::Database(Arc::new(err))
    }
}

impl From<std::io::Error> for StoreError {
    fn from(err: std::io::Error) -> Self {
        StoreError::Io(Arc::new(err))
    }
}
