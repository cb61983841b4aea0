//! An index of shares by item and state: the hub's "shared by N colleagues" and the names of
//! those who chose to show them read the published shares of the 20 items of a page. Without
//! it, SQLite walked every published share (`idx_shares_due` by state) and looked each one up,
//! on every view of the hub: work that grows with the organisation's whole history.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_shares_item")
                    .table(Shares::Table)
                    .col(Shares::ItemId)
                    .col(Shares::State)
                    .col(Shares::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_shares_item")
                    .table(Shares::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Shares {
    Table,
    ItemId,
    State,
    UserId,
}
