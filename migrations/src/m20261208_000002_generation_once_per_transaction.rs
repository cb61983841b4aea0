//! A cache generation moves once per transaction on PostgreSQL, not once per row written: the
//! trigger marks the transaction (a setting local to it) and does nothing for the rows after
//! the first. A worker's claim of 64 shares moved the counters 128 times, and each share sent
//! moved them three times more; every move left a dead row version that readers and the next
//! moves walked past (`heap_hot_search_buffer` was the database's first cost in `bench
//! publish`). What a reader sees does not change: a transaction's writes become visible
//! together, and one move at its commit says as much as many. A rolled-back subtransaction
//! undoes its mark with its move. SQLite keeps its per-row triggers (one writer at a time).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Rows of the counters on PostgreSQL (`m20261207_000003_cache_generation_shards`).
const SHARDS: i32 = 16;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE OR REPLACE FUNCTION chorus_bump_cache_generation() RETURNS trigger AS $$ \
                 DECLARE mark text := 'chorus.moved_' || TG_ARGV[0]; \
                 BEGIN \
                 IF current_setting(mark, true) = 'yes' THEN RETURN NULL; END IF; \
                 PERFORM set_config(mark, 'yes', true); \
                 IF TG_ARGV[0] = 'content' THEN \
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
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE OR REPLACE FUNCTION chorus_bump_cache_generation() RETURNS trigger AS $$ \
                 BEGIN IF TG_ARGV[0] = 'content' THEN \
                 UPDATE cache_generation SET content = content + 1 \
                 WHERE id = 1 + (txid_current() % {SHARDS}); \
                 ELSE UPDATE cache_generation SET activity = activity + 1 \
                 WHERE id = 1 + (txid_current() % {SHARDS}); \
                 END IF; RETURN NULL; END $$ LANGUAGE plpgsql"
            ))
            .await?;
        Ok(())
    }
}
