//! When each person last signed in, for the admins' table of accounts (an account nobody uses
//! any more, or a new one never used). Shown to admins only, and in the person's own export.

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
                    .add_column(timestamp_with_time_zone_null(LastSignIn::LastSignInAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(LastSignIn::LastSignInAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum LastSignIn {
    LastSignInAt,
}
