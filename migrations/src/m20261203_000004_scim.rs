//! Provisioning with SCIM 2.0: the tokens an identity provider presents (only their SHA-256
//! hash is kept), the groups it pushes and who is in them, and on each person the identifiers
//! the provider knows them by (`externalId`, and `userName` when it is not their email).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20260101_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [Scim::ScimExternalId, Scim::ScimUserName] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(string_null(column))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ScimTokens::Table)
                    .col(pk_auto(ScimTokens::Id))
                    .col(string(ScimTokens::Name))
                    .col(string_uniq(ScimTokens::TokenHash))
                    .col(timestamp_with_time_zone(ScimTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(ScimTokens::LastUsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ScimGroups::Table)
                    .col(pk_auto(ScimGroups::Id))
                    .col(string_uniq(ScimGroups::DisplayName))
                    .col(string_null(ScimGroups::ExternalId))
                    .col(timestamp_with_time_zone(ScimGroups::CreatedAt))
                    .col(timestamp_with_time_zone(ScimGroups::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ScimGroupMembers::Table)
                    .col(integer(ScimGroupMembers::GroupId))
                    .col(integer(ScimGroupMembers::UserId))
                    .primary_key(
                        Index::create()
                            .col(ScimGroupMembers::GroupId)
                            .col(ScimGroupMembers::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_scim_members_group")
                            .from(ScimGroupMembers::Table, ScimGroupMembers::GroupId)
                            .to(ScimGroups::Table, ScimGroups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_scim_members_user")
                            .from(ScimGroupMembers::Table, ScimGroupMembers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_scim_members_user")
                    .table(ScimGroupMembers::Table)
                    .col(ScimGroupMembers::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ScimGroupMembers::Table.into_iden(),
            ScimGroups::Table.into_iden(),
            ScimTokens::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [Scim::ScimUserName, Scim::ScimExternalId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Scim {
    ScimExternalId,
    ScimUserName,
}

#[derive(DeriveIden)]
enum ScimTokens {
    Table,
    Id,
    Name,
    TokenHash,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum ScimGroups {
    Table,
    Id,
    DisplayName,
    ExternalId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ScimGroupMembers {
    Table,
    GroupId,
    UserId,
}
