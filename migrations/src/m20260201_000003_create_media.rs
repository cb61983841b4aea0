//! Images attached to content items, stored in the database (already stripped of metadata) so
//! that every process serves them and a backup of the database holds everything.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20260101_000001_create_users::Users;
use crate::m20260201_000001_create_editorial::ContentItems;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Media::Table)
                    .col(pk_auto(Media::Id))
                    .col(integer(Media::ItemId))
                    .col(string(Media::ContentType))
                    .col(blob(Media::Data))
                    .col(string(Media::Alt))
                    .col(integer(Media::Size))
                    .col(integer_null(Media::UploadedBy))
                    .col(timestamp_with_time_zone(Media::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_media_item")
                            .from(Media::Table, Media::ItemId)
                            .to(ContentItems::Table, ContentItems::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_media_uploaded_by")
                            .from(Media::Table, Media::UploadedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Media::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Media {
    Table,
    Id,
    ItemId,
    ContentType,
    Data,
    Alt,
    Size,
    UploadedBy,
    CreatedAt,
}
