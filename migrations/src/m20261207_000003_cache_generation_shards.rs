//! The cache generations in sixteen rows on PostgreSQL: every commit that wrote a watched row
//! moved the one row, which ordered those commits one after another, each waiting for the one
//! before to reach the disk (two workers sending a campaign spent their time waiting on it,
//! `bench publish`). Now a transaction moves the row its transaction id falls on, and readers
//! add the rows up: the sums still move on at every write, never back. SQLite has one writer
//! at a time and keeps one row.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::m20261206_000002_cache_generation::CONTENT;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Rows of the counters on PostgreSQL.
const SHARDS: i32 = 16;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "INSERT INTO cache_generation (id, content, activity) \
             SELECT n, 0, 0 FROM generate_series(2, {SHARDS}) AS n"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "CREATE OR REPLACE FUNCTION chorus_bump_cache_generation() RETURNS trigger AS $$ \
             BEGIN IF TG_ARGV[0] = '{CONTENT}' THEN \
             UPDATE cache_generation SET content = content + 1 \
             WHERE id = 1 + (txid_current() % {SHARDS}); \
             ELSE UPDATE cache_generation SET activity = activity + 1 \
             WHERE id = 1 + (txid_current() % {SHARDS}); \
             END IF; RETURN NULL; END $$ LANGUAGE plpgsql"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE OR REPLACE FUNCTION chorus_bump_cache_generation() RETURNS trigger AS $$ \
             BEGIN IF TG_ARGV[0] = '{CONTENT}' THEN \
             UPDATE cache_generation SET content = content + 1 WHERE id = 1; \
             ELSE UPDATE cache_generation SET activity = activity + 1 WHERE id = 1; \
             END IF; RETURN NULL; END $$ LANGUAGE plpgsql"
        ))
        .await?;
        db.execute_unprepared(
            "UPDATE cache_generation SET \
             content = (SELECT SUM(content) FROM cache_generation), \
             activity = (SELECT SUM(activity) FROM cache_generation) WHERE id = 1",
        )
        .await?;
        db.execute_unprepared("DELETE FROM cache_generation WHERE id <> 1")
            .await?;
        Ok(())
    }
}
