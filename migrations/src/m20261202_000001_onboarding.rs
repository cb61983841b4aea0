//! Onboarding: what a new ambassador told Chorus in the welcome step (the networks they use,
//! their time zone) and when they finished it, so the welcome is shown once and can be
//! revisited. One row per person, erased with them.

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
                    .table(Onboarding::Table)
                    .col(integer(Onboarding::UserId).primary_key())
                    .col(timestamp_with_time_zone_null(Onboarding::WelcomedAt))
                    .col(string_null(Onboarding::Networks))
                    .col(string_null(Onboarding::TimeZone))
                    .col(timestamp_with_time_zone(Onboarding::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_onboarding_user")
                            .from(Onboarding::Table, Onboarding::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Onboarding::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Onboarding {
    Table,
    UserId,
    WelcomedAt,
    Networks,
    TimeZone,
    UpdatedAt,
}
