//! Opening the store a configuration names: the backend, wrapped in [`SealedStore`] with the secret key.

use std::path::PathBuf;
use std::sync::Arc;

use crate::postgres::PgStore;
use crate::sealed::SealedStore;
use crate::secrets::SecretBox;
use crate::sqlite::SqliteStore;
use crate::{Result, Store, StoreError};

/// Which database holds kurir's data.
#[derive(Debug, Clone)]
pub enum Database {
    /// The embedded default: `kurir.db` in a data directory.
    Sqlite { data_dir: PathBuf },
    /// A PostgreSQL database (`postgres://user:password@host:port/database`) that several nodes may share.
    Postgres { url: String },
}

#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub database: Database,
    /// The key that seals secrets at rest, base64 of 32 bytes (`KURIR_SECRET_KEY`). With SQLite it may be left
    /// out: `secret.key` in the data directory is used, and made on first use. With PostgreSQL it is required:
    /// every node of one database must seal with the same key.
    pub secret_key: Option<String>,
    /// Where the SQLite writer records its group commits (`/metrics`); `None` records nothing.
    pub metrics: Option<Arc<kurir_metrics::Metrics>>,
}

/// Opens the database, brings its schema up to date and checks the secret key against it.
pub async fn open(options: &StoreOptions) -> Result<Arc<dyn Store>> {
    let given_key = options.secret_key.as_deref().map(SecretBox::from_base64).transpose()?;
    let (backend, secrets): (Box<dyn Store>, SecretBox) = match &options.database {
        Database::Sqlite { data_dir } => {
            let secrets = match given_key {
                Some(secrets) => secrets,
                None => {
                    std::fs::create_dir_all(data_dir)?;
                    SecretBox::from_data_dir(data_dir)?
                }
            };
            (Box::new(SqliteStore::open_with_metrics(data_dir, options.metrics.clone())?), secrets)
        }
        Database::Postgres { url } => {
            // The database first: a wrong URL is the likelier mistake, and its message names the host.
            let backend = PgStore::open(url).await?;
            let secrets = given_key.ok_or_else(|| {
                StoreError::Config(
                    "KURIR_SECRET_KEY (--secret-key) is required with PostgreSQL: every node of one database must \
                     seal secrets with the same key (make one with `head -c 32 /dev/urandom | base64`)"
                        .into(),
                )
            })?;
            (Box::new(backend), secrets)
        }
    };
    Ok(Arc::new(SealedStore::new(backend, secrets).await?))
}
