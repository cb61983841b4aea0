//! Tracked links: one opaque short code per share, and click counts per link and hour (humans
//! and robots apart). No address, cookie or user agent is stored.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TrackedLinks::Table)
                    .col(pk_auto(TrackedLinks::Id))
                    .col(string_uniq(TrackedLinks::Code))
                    .col(integer_null(TrackedLinks::ShareId))
                    .col(text(TrackedLinks::TargetUrl))
                    .col(timestamp_with_time_zone(TrackedLinks::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClickCounts::Table)
                    .col(integer(ClickCounts::LinkId))
                    .col(timestamp_with_time_zone(ClickCounts::Hour))
                    .col(big_integer(ClickCounts::Humans).default(0))
                    .col(big_integer(ClickCounts::Robots).default(0))
                    .primary_key(
                        Index::create()
                            .col(ClickCounts::LinkId)
                            .col(ClickCounts::Hour),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_click_counts_link")
                            .from(ClickCounts::Table, ClickCounts::LinkId)
                            .to(TrackedLinks::Table, TrackedLinks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ClickCounts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(TrackedLinks::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum TrackedLinks {
    Table,
    Id,
    Code,
    ShareId,
    TargetUrl,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ClickCounts {
    Table,
    LinkId,
    Hour,
    Humans,
    Robots,
}
