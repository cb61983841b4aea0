//! An index of shares by account and state: a worker claims a share only when no other share
//! of its account is being sent or waits before it, one account's posts going one at a time;
//! each claim looks that up for every share it considers.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_shares_account")
                    .table(Shares::Table)
                    .col(Shares::AccountId)
                    .col(Shares::State)
                    .col(Shares::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_shares_account")
                    .table(Shares::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Shares {
    Table,
    AccountId,
    State,
    NextAttemptAt,
}
