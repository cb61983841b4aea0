//! The server's own tables: accounts, sessions and sign-in throttling. Entities and queries live
//! here so that handlers never hold sea-orm code.

pub mod entities;
pub mod passes;
pub mod policy;
pub mod sessions;
pub mod throttle;
pub mod users;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use std::time::Duration;

/// Errors from the server's store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    /// An account with this email exists already.
    #[error("an account with this email exists already")]
    EmailTaken,
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
}

/// Connects to the database (see [`migrate`] for the schema).
///
/// # Errors
/// Fails when the database cannot be reached or a migration fails.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if url.starts_with("sqlite") { 8 } else { 16 })
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        // Erased data must not linger in free pages of the SQLite file.
        .map_sqlx_sqlite_opts(|opts| opts.pragma("secure_delete", "ON"));
    Database::connect(options).await
}

/// Applies every pending migration.
///
/// # Errors
/// Fails when a migration fails.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    use chorus_migrations::MigratorTrait as _;
    chorus_migrations::Migrator::up(db, None).await
}

/// The URL with any password replaced, for messages and logs.
#[must_use]
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}
