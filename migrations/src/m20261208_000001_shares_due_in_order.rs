//! The due-shares index in the order workers claim them (`next_attempt_at`, then `id`).
//! Without `id` in it, shares falling due at one instant (a campaign at 9:00) had to be read
//! and checked all before the first of them could be taken: `EXPLAIN ANALYZE` of one claim of
//! 64 shares, 7,700 scheduled, read 57,000 buffers in 128 ms. In that order, a claim reads its
//! shares from the index and stops when it has enough.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_shares_due_in_order")
                    .table(Shares::Table)
                    .col(Shares::State)
                    .col(Shares::NextAttemptAt)
                    .col(Shares::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS idx_shares_due")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_shares_due")
                    .table(Shares::Table)
                    .col(Shares::State)
                    .col(Shares::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS idx_shares_due_in_order")
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Shares {
    Table,
    Id,
    State,
    NextAttemptAt,
}
