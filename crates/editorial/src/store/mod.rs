//! The editorial crate's tables: entities and queries. Rules live outside this module.

pub mod columns;
pub mod entities;
pub mod feeds;
pub mod group;
pub mod items;
pub mod leases;
pub mod media;
pub mod settings;
pub mod topics;

pub use columns::NetworkColumn;

use sea_orm::{DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait};

/// Begins a transaction that will write. On SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`): a transaction that reads before it writes would otherwise fail at once with
/// "database is locked" when another connection committed in between (waiting cannot help a
/// stale snapshot), where this one waits its turn. PostgreSQL ignores the mode.
///
/// # Errors
/// Database failure.
pub async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}
pub use items::{ItemRecord, Revision};
