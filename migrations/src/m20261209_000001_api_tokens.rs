//! Tokens for the REST API: personal ones, made by a person for themselves, and service ones,
//! made by an admin for an integration. Only a hash of each token is kept (SHA-256 of a random
//! 256-bit value: a fast hash is enough, nothing is guessed from it); its scopes are stored as
//! names separated by spaces, and a revoked token keeps its row (the account page lists it as
//! revoked) until its owner is erased.

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
                    .table(ApiTokens::Table)
                    .col(pk_auto(ApiTokens::Id))
                    .col(string(ApiTokens::Kind))
                    .col(integer(ApiTokens::OwnerId))
                    .col(string(ApiTokens::Name))
                    .col(string(ApiTokens::Scopes))
                    .col(string_uniq(ApiTokens::TokenHash))
                    .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_tokens_owner")
                            .from(ApiTokens::Table, ApiTokens::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_api_tokens_owner")
                    .table(ApiTokens::Table)
                    .col(ApiTokens::OwnerId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiTokens::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    Kind,
    OwnerId,
    Name,
    Scopes,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}
