//! Shares: the durable publishing queue. Each row carries its own state, due time, lease,
//! attempt count and idempotency key, so there is no second record that can fall out of step.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20260101_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Shares::Table)
                    .col(pk_auto(Shares::Id))
                    .col(integer(Shares::UserId))
                    .col(integer_null(Shares::ItemId))
                    .col(integer_null(Shares::AccountId))
                    .col(string(Shares::Network))
                    .col(text(Shares::Text))
                    .col(string_null(Shares::Link))
                    .col(string_null(Shares::LinkTitle))
                    .col(string_null(Shares::Language))
                    .col(string(Shares::State))
                    .col(timestamp_with_time_zone(Shares::ScheduledAt))
                    .col(timestamp_with_time_zone(Shares::NextAttemptAt))
                    .col(integer(Shares::Attempts).default(0))
                    .col(string(Shares::IdempotencyKey))
                    .col(string_null(Shares::LeaseOwner))
                    .col(timestamp_with_time_zone_null(Shares::LeaseUntil))
                    .col(string_null(Shares::ExternalId))
                    .col(string_null(Shares::ExternalUrl))
                    .col(text_null(Shares::LastError))
                    .col(timestamp_with_time_zone(Shares::CreatedAt))
                    .col(timestamp_with_time_zone(Shares::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_shares_user")
                            .from(Shares::Table, Shares::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
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
            .create_index(
                Index::create()
                    .name("idx_shares_user")
                    .table(Shares::Table)
                    .col(Shares::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Shares::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Shares {
    Table,
    Id,
    UserId,
    ItemId,
    AccountId,
    Network,
    Text,
    Link,
    LinkTitle,
    Language,
    State,
    ScheduledAt,
    NextAttemptAt,
    Attempts,
    IdempotencyKey,
    LeaseOwner,
    LeaseUntil,
    ExternalId,
    ExternalUrl,
    LastError,
    CreatedAt,
    UpdatedAt,
}
