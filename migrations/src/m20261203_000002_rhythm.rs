//! Each person's rhythm: their quiet hours (`HH:MM` to `HH:MM` in their time zone) and daily cap,
//! kept with what they said in the welcome step (erased with them); and, on a share the rhythm
//! moved, why (`quiet_hours` or `daily_cap`), so the person is told when and why it will go.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one change at a time.
        for column in [
            string_null(Onboarding::QuietFrom),
            string_null(Onboarding::QuietUntil),
            integer_null(Onboarding::DailyCap),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Onboarding::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Shares::Table)
                    .add_column(string_null(Shares::HeldBy))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Shares::Table)
                    .drop_column(Shares::HeldBy)
                    .to_owned(),
            )
            .await?;
        for column in [
            Onboarding::QuietFrom,
            Onboarding::QuietUntil,
            Onboarding::DailyCap,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Onboarding::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Onboarding {
    Table,
    QuietFrom,
    QuietUntil,
    DailyCap,
}

#[derive(DeriveIden)]
enum Shares {
    Table,
    HeldBy,
}
