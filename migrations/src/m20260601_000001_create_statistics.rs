//! Statistics: a daily roll-up of what the platform itself did for each person (shares it
//! published, clicks on its own links), the day each share was published, and the anonymous
//! "not for me" answers to content items.
//!
//! `activity_daily` is the pre-aggregated table the dashboards read: one row per day, person,
//! item and network, kept up to date when a share is published and when clicks are flushed. A
//! day is a number of days since 1970-01-01 (UTC), so SQLite and PostgreSQL group and compare it
//! the same way. Rows keep the person's id because every figure shown goes through the minimum
//! group size, which counts distinct people; they go with the person on erasure.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Shares::Table)
                    .add_column(timestamp_with_time_zone_null(Shares::PublishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE shares SET published_at = updated_at WHERE state = 'published'",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ActivityDaily::Table)
                    .col(integer(ActivityDaily::Day))
                    .col(integer(ActivityDaily::UserId))
                    .col(integer(ActivityDaily::ItemId))
                    .col(string(ActivityDaily::Network))
                    .col(big_integer(ActivityDaily::Shares).default(0))
                    .col(big_integer(ActivityDaily::Humans).default(0))
                    .col(big_integer(ActivityDaily::Robots).default(0))
                    .primary_key(
                        Index::create()
                            .col(ActivityDaily::Day)
                            .col(ActivityDaily::UserId)
                            .col(ActivityDaily::ItemId)
                            .col(ActivityDaily::Network),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_activity_daily_user")
                            .from(ActivityDaily::Table, ActivityDaily::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_activity_daily_user", ActivityDaily::UserId),
            ("idx_activity_daily_item", ActivityDaily::ItemId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ActivityDaily::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        // What was published before this table existed, with the clicks on its links.
        let connection = manager.get_connection();
        let day = |column: &str| match manager.get_database_backend() {
            sea_orm::DbBackend::Postgres => {
                format!("CAST(FLOOR(EXTRACT(EPOCH FROM {column}) / 86400) AS INTEGER)")
            }
            _ => format!("CAST(julianday({column}) - 2440587.5 AS INTEGER)"),
        };
        connection
            .execute_unprepared(&format!(
                "INSERT INTO activity_daily (day, user_id, item_id, network, shares, humans, robots) \
                 SELECT {}, user_id, COALESCE(item_id, 0), network, COUNT(*), 0, 0 FROM shares \
                 WHERE state = 'published' GROUP BY 1, 2, 3, 4",
                day("published_at")
            ))
            .await?;
        connection
            .execute_unprepared(&format!(
                "INSERT INTO activity_daily (day, user_id, item_id, network, shares, humans, robots) \
                 SELECT {}, s.user_id, COALESCE(s.item_id, 0), s.network, 0, SUM(c.humans), SUM(c.robots) \
                 FROM click_counts c JOIN tracked_links l ON l.id = c.link_id JOIN shares s ON s.id = l.share_id \
                 WHERE 1 = 1 GROUP BY 1, 2, 3, 4 \
                 ON CONFLICT (day, user_id, item_id, network) DO UPDATE SET \
                 humans = activity_daily.humans + excluded.humans, robots = activity_daily.robots + excluded.robots",
                day("c.hour")
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ItemPasses::Table)
                    .col(integer(ItemPasses::ItemId))
                    .col(integer(ItemPasses::UserId))
                    .col(string(ItemPasses::Reason))
                    .col(timestamp_with_time_zone(ItemPasses::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ItemPasses::ItemId)
                            .col(ItemPasses::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_item_passes_user")
                            .from(ItemPasses::Table, ItemPasses::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_item_passes_item")
                            .from(ItemPasses::Table, ItemPasses::ItemId)
                            .to(ContentItems::Table, ContentItems::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ItemPasses::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ActivityDaily::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Shares::Table)
                    .drop_column(Shares::PublishedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Shares {
    Table,
    PublishedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ContentItems {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ActivityDaily {
    Table,
    Day,
    UserId,
    ItemId,
    Network,
    Shares,
    Humans,
    Robots,
}

#[derive(DeriveIden)]
enum ItemPasses {
    Table,
    ItemId,
    UserId,
    Reason,
    CreatedAt,
}
