//! Bluesky over atproto OAuth: a pending authorisation keeps the account's new DPoP key
//! (sealed), the DID, PDS, authorization server and client id it started with until the
//! callback; a connected account keeps its DPoP key (sealed), its authorization server and the
//! client id its tokens were issued to, which refreshes need. Accounts without a key keep
//! using bearer tokens (app passwords, every other network).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// SQLite takes one column per `ALTER TABLE`.
async fn add(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: ColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).add_column(column).to_owned())
        .await
}

async fn drop(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: impl IntoIden,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).drop_column(column).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add(manager, OauthStates::Table, text_null(OauthStates::DpopKey)).await?;
        add(
            manager,
            OauthStates::Table,
            string_null(OauthStates::AccountDid),
        )
        .await?;
        add(
            manager,
            OauthStates::Table,
            string_null(OauthStates::PdsUrl),
        )
        .await?;
        add(
            manager,
            OauthStates::Table,
            string_null(OauthStates::Issuer),
        )
        .await?;
        add(
            manager,
            OauthStates::Table,
            text_null(OauthStates::ClientId),
        )
        .await?;
        add(
            manager,
            ConnectedAccounts::Table,
            text_null(ConnectedAccounts::DpopKey),
        )
        .await?;
        add(
            manager,
            ConnectedAccounts::Table,
            string_null(ConnectedAccounts::OauthIssuer),
        )
        .await?;
        add(
            manager,
            ConnectedAccounts::Table,
            text_null(ConnectedAccounts::OauthClientId),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(
            manager,
            ConnectedAccounts::Table,
            ConnectedAccounts::OauthClientId,
        )
        .await?;
        drop(
            manager,
            ConnectedAccounts::Table,
            ConnectedAccounts::OauthIssuer,
        )
        .await?;
        drop(
            manager,
            ConnectedAccounts::Table,
            ConnectedAccounts::DpopKey,
        )
        .await?;
        drop(manager, OauthStates::Table, OauthStates::ClientId).await?;
        drop(manager, OauthStates::Table, OauthStates::Issuer).await?;
        drop(manager, OauthStates::Table, OauthStates::PdsUrl).await?;
        drop(manager, OauthStates::Table, OauthStates::AccountDid).await?;
        drop(manager, OauthStates::Table, OauthStates::DpopKey).await
    }
}

#[derive(DeriveIden)]
enum OauthStates {
    Table,
    DpopKey,
    AccountDid,
    PdsUrl,
    Issuer,
    ClientId,
}

#[derive(DeriveIden)]
enum ConnectedAccounts {
    Table,
    DpopKey,
    OauthIssuer,
    OauthClientId,
}
