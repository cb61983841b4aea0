//! The programme page, versioned like the guidelines: why the company asks (the vision), what
//! each person gains, and who does what, in English and French, written by editors. The
//! company's commitments are not stored: they are generated from the settings in force.

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
                    .table(ProgrammeVersions::Table)
                    .col(integer(ProgrammeVersions::Version).primary_key())
                    .col(text(ProgrammeVersions::VisionEn))
                    .col(text(ProgrammeVersions::VisionFr))
                    .col(text(ProgrammeVersions::GainsEn))
                    .col(text(ProgrammeVersions::GainsFr))
                    .col(text(ProgrammeVersions::RolesEn))
                    .col(text(ProgrammeVersions::RolesFr))
                    .col(integer_null(ProgrammeVersions::PublishedBy))
                    .col(timestamp_with_time_zone(ProgrammeVersions::PublishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_programme_by")
                            .from(ProgrammeVersions::Table, ProgrammeVersions::PublishedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ProgrammeVersions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ProgrammeVersions {
    Table,
    Version,
    VisionEn,
    VisionFr,
    GainsEn,
    GainsFr,
    RolesEn,
    RolesFr,
    PublishedBy,
    PublishedAt,
}
