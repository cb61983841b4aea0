//! The image a person chose for a share (`share_images`, at most one per share): one of the
//! item's images (`media_id`, its bytes not copied; set to null if the editors remove it, and
//! the share then fails with that reason), or their own upload (`data`, metadata already
//! stripped), with its description, type, size in bytes and pixels, and the unguessable `token`
//! of the address Chorus serves it at while the share waits (Threads fetches images by URL).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ShareImages::Table)
                    .col(integer(ShareImages::ShareId).primary_key())
                    .col(integer_null(ShareImages::MediaId))
                    .col(blob_null(ShareImages::Data))
                    .col(string(ShareImages::ContentType))
                    .col(text(ShareImages::Alt))
                    .col(integer(ShareImages::Size))
                    .col(integer(ShareImages::Width))
                    .col(integer(ShareImages::Height))
                    .col(string_uniq(ShareImages::Token))
                    .col(timestamp_with_time_zone(ShareImages::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_share_images_share")
                            .from(ShareImages::Table, ShareImages::ShareId)
                            .to(Shares::Table, Shares::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_share_images_media")
                            .from(ShareImages::Table, ShareImages::MediaId)
                            .to(Media::Table, Media::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ShareImages::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ShareImages {
    Table,
    ShareId,
    MediaId,
    Data,
    ContentType,
    Alt,
    Size,
    Width,
    Height,
    Token,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Shares {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Media {
    Table,
    Id,
}
