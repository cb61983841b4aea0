//! Single sign-on with OpenID Connect: each person's subject at the company's identity
//! provider (`issuer|sub`, set at their first sign-in through it), and the sign-ins in progress
//! (state, nonce and PKCE verifier, for ten minutes at most).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20260101_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(string_null(Sso::OidcSubject))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_oidc_subject")
                    .table(Users::Table)
                    .col(Sso::OidcSubject)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OidcLogins::Table)
                    .col(string(OidcLogins::State).primary_key())
                    .col(string(OidcLogins::Nonce))
                    .col(string(OidcLogins::PkceVerifier))
                    .col(string_null(OidcLogins::Next))
                    .col(timestamp_with_time_zone(OidcLogins::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OidcLogins::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_users_oidc_subject")
                    .table(Users::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Sso::OidcSubject)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Sso {
    OidcSubject,
}

#[derive(DeriveIden)]
enum OidcLogins {
    Table,
    State,
    Nonce,
    PkceVerifier,
    Next,
    CreatedAt,
}
