//! Connected accounts on the networks (tokens sealed with AES-256-GCM), the networks' client
//! credentials (per instance for Mastodon), and the short-lived OAuth states.

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
                    .table(NetworkApps::Table)
                    .col(pk_auto(NetworkApps::Id))
                    .col(string(NetworkApps::Network))
                    .col(string(NetworkApps::Instance))
                    .col(string(NetworkApps::ClientId))
                    .col(text(NetworkApps::ClientSecret))
                    .col(timestamp_with_time_zone(NetworkApps::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_network_apps_unique")
                    .table(NetworkApps::Table)
                    .col(NetworkApps::Network)
                    .col(NetworkApps::Instance)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OauthStates::Table)
                    .col(string(OauthStates::State).primary_key())
                    .col(integer(OauthStates::UserId))
                    .col(string(OauthStates::SessionHash))
                    .col(string(OauthStates::Network))
                    .col(string(OauthStates::Instance))
                    .col(string(OauthStates::PkceVerifier))
                    .col(timestamp_with_time_zone(OauthStates::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oauth_states_user")
                            .from(OauthStates::Table, OauthStates::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConnectedAccounts::Table)
                    .col(pk_auto(ConnectedAccounts::Id))
                    .col(integer(ConnectedAccounts::UserId))
                    .col(string(ConnectedAccounts::Network))
                    .col(string(ConnectedAccounts::Instance))
                    .col(string(ConnectedAccounts::ExternalId))
                    .col(string(ConnectedAccounts::Handle))
                    .col(string(ConnectedAccounts::DisplayName))
                    .col(string_null(ConnectedAccounts::ProfileUrl))
                    .col(text(ConnectedAccounts::AccessToken))
                    .col(text_null(ConnectedAccounts::RefreshToken))
                    .col(timestamp_with_time_zone_null(ConnectedAccounts::ExpiresAt))
                    .col(string(ConnectedAccounts::Scopes))
                    .col(boolean(ConnectedAccounts::NeedsReconnect).default(false))
                    .col(timestamp_with_time_zone(ConnectedAccounts::CreatedAt))
                    .col(timestamp_with_time_zone(ConnectedAccounts::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_connected_accounts_user")
                            .from(ConnectedAccounts::Table, ConnectedAccounts::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_connected_accounts_unique")
                    .table(ConnectedAccounts::Table)
                    .col(ConnectedAccounts::UserId)
                    .col(ConnectedAccounts::Network)
                    .col(ConnectedAccounts::Instance)
                    .col(ConnectedAccounts::ExternalId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ConnectedAccounts::Table.into_iden(),
            OauthStates::Table.into_iden(),
            NetworkApps::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum NetworkApps {
    Table,
    Id,
    Network,
    Instance,
    ClientId,
    ClientSecret,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OauthStates {
    Table,
    State,
    UserId,
    SessionHash,
    Network,
    Instance,
    PkceVerifier,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ConnectedAccounts {
    Table,
    Id,
    UserId,
    Network,
    Instance,
    ExternalId,
    Handle,
    DisplayName,
    ProfileUrl,
    AccessToken,
    RefreshToken,
    ExpiresAt,
    Scopes,
    NeedsReconnect,
    CreatedAt,
    UpdatedAt,
}
