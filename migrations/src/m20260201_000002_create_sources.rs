//! Where drafts come from besides editors: curated feeds (with the entries already seen) and
//! ambassadors' suggestions; and task leases, so that one process at a time runs each
//! periodic task.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20260101_000001_create_users::Users;
use crate::m20260201_000001_create_editorial::ContentItems;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ContentItems::Table)
                    .add_column(string_null(Alias::new("origin")))
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(ContentItems::Table)
                    .add_column(integer_null(Alias::new("suggested_by")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Feeds::Table)
                    .col(pk_auto(Feeds::Id))
                    .col(string_uniq(Feeds::Url))
                    .col(string(Feeds::Title))
                    .col(string(Feeds::Language).default("en"))
                    .col(integer_null(Feeds::AddedBy))
                    .col(timestamp_with_time_zone(Feeds::CreatedAt))
                    .col(timestamp_with_time_zone_null(Feeds::LastPolledAt))
                    .col(text_null(Feeds::LastError))
                    .col(integer(Feeds::EntriesImported).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_feeds_added_by")
                            .from(Feeds::Table, Feeds::AddedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FeedEntries::Table)
                    .col(integer(FeedEntries::FeedId))
                    .col(string(FeedEntries::Guid))
                    .col(integer_null(FeedEntries::ItemId))
                    .col(timestamp_with_time_zone(FeedEntries::SeenAt))
                    .primary_key(
                        Index::create()
                            .col(FeedEntries::FeedId)
                            .col(FeedEntries::Guid),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_feed_entries_feed")
                            .from(FeedEntries::Table, FeedEntries::FeedId)
                            .to(Feeds::Table, Feeds::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TaskLeases::Table)
                    .col(string(TaskLeases::Name).primary_key())
                    .col(string(TaskLeases::Holder))
                    .col(timestamp_with_time_zone(TaskLeases::ExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TaskLeases::Table.into_iden(),
            FeedEntries::Table.into_iden(),
            Feeds::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in ["suggested_by", "origin"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ContentItems::Table)
                        .drop_column(Alias::new(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Feeds {
    Table,
    Id,
    Url,
    Title,
    Language,
    AddedBy,
    CreatedAt,
    LastPolledAt,
    LastError,
    EntriesImported,
}

#[derive(DeriveIden)]
enum FeedEntries {
    Table,
    FeedId,
    Guid,
    ItemId,
    SeenAt,
}

#[derive(DeriveIden)]
enum TaskLeases {
    Table,
    Name,
    Holder,
    ExpiresAt,
}
