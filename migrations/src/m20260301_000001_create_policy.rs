//! Policy tables: versioned guidelines, consent receipts, each person's visibility choices,
//! and the audit log (who viewed which statistics, including whom).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20260101_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn user_fk(
    name: &str,
    table: impl IntoIden,
    column: impl IntoIden,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(Users::Table, Users::Id)
        .on_delete(on_delete)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(GuidelineVersions::Table)
                    .col(integer(GuidelineVersions::Version).primary_key())
                    .col(text(GuidelineVersions::BodyEn))
                    .col(text(GuidelineVersions::BodyFr))
                    .col(integer_null(GuidelineVersions::PublishedBy))
                    .col(timestamp_with_time_zone(GuidelineVersions::PublishedAt))
                    .foreign_key(&mut user_fk(
                        "fk_guidelines_by",
                        GuidelineVersions::Table,
                        GuidelineVersions::PublishedBy,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Consents::Table)
                    .col(pk_auto(Consents::Id))
                    .col(integer(Consents::UserId))
                    .col(integer(Consents::Version))
                    .col(timestamp_with_time_zone(Consents::AcceptedAt))
                    .col(timestamp_with_time_zone_null(Consents::WithdrawnAt))
                    .foreign_key(&mut user_fk(
                        "fk_consents_user",
                        Consents::Table,
                        Consents::UserId,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_consents_user")
                    .table(Consents::Table)
                    .col(Consents::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(VisibilityChoices::Table)
                    .col(integer(VisibilityChoices::UserId).primary_key())
                    .col(boolean(VisibilityChoices::BeNamedInStatistics).default(false))
                    .col(boolean(VisibilityChoices::ShowNameOnSharedContent).default(false))
                    .col(timestamp_with_time_zone(VisibilityChoices::UpdatedAt))
                    .foreign_key(&mut user_fk(
                        "fk_visibility_user",
                        VisibilityChoices::Table,
                        VisibilityChoices::UserId,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(pk_auto(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .col(integer_null(AuditLog::ActorId))
                    .col(string(AuditLog::Action))
                    .col(text(AuditLog::Detail))
                    .col(text(AuditLog::People).default(","))
                    .foreign_key(&mut user_fk(
                        "fk_audit_actor",
                        AuditLog::Table,
                        AuditLog::ActorId,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditLog::Table.into_iden(),
            VisibilityChoices::Table.into_iden(),
            Consents::Table.into_iden(),
            GuidelineVersions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum GuidelineVersions {
    Table,
    Version,
    BodyEn,
    BodyFr,
    PublishedBy,
    PublishedAt,
}

#[derive(DeriveIden)]
enum Consents {
    Table,
    Id,
    UserId,
    Version,
    AcceptedAt,
    WithdrawnAt,
}

#[derive(DeriveIden)]
enum VisibilityChoices {
    Table,
    UserId,
    BeNamedInStatistics,
    ShowNameOnSharedContent,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorId,
    Action,
    Detail,
    People,
}
