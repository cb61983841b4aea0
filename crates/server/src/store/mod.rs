//! The server's own tables: accounts, sessions and sign-in throttling. Entities and queries live
//! here so that handlers never hold sea-orm code.

pub mod api_tokens;
pub mod entities;
pub mod passes;
pub mod policy;
pub mod queue;
pub mod sealed;
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
    /// The statistics' part of a store operation failed (erasing a person from the audit log).
    #[error(transparent)]
    Statistics(#[from] chorus_statistics::StatisticsError),
}

/// Connects to the database (see [`migrate`] for the schema).
///
/// # Errors
/// Fails when the database cannot be reached or a migration fails.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = sqlite_file(url) {
        keep_private(&path).map_err(|e| {
            DbErr::Custom(format!(
                "the database file {} cannot be made private: {e}",
                path.display()
            ))
        })?;
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if url.starts_with("sqlite") { 8 } else { 16 })
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        // Erased data must not linger in free pages of the SQLite file.
        .map_sqlx_sqlite_opts(|opts| opts.pragma("secure_delete", "ON"))
        // PostgreSQL compiles a query whose estimated cost passes `jit_above_cost`: reading
        // two days of the statistics' roll-up (100,000 rows at ten times `bench scale`) spent
        // 28 ms compiling for 38 ms of work, on every dashboard view after a click. Chorus's
        // queries are short; none gains from it.
        .map_sqlx_postgres_opts(|opts| opts.options([("jit", "off")]));
    Database::connect(options).await
}

/// The file of a SQLite URL (`sqlite://chorus.db?mode=rwc`), if it names one.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

/// The database holds people's data: its file is readable by its owner only (0600), created
/// so before SQLite opens it, and tightened when an older Chorus left it readable by others.
/// SQLite gives its `-wal` and `-shm` files the main file's permissions.
fn keep_private(path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            // A file owned by someone else (a shared group setup) is left as it is, said once.
            if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
                tracing::warn!(path = %path.display(), error = %e, "the database file could not be made private (0600)");
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
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
