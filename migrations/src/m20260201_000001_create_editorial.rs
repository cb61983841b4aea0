//! Editorial tables: topics, campaigns, content items with their topics, suggested copy per
//! network, revisions, review comments, approvals, topic follows and organisation settings.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20260101_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Topics::Table)
                    .col(pk_auto(Topics::Id))
                    .col(string_uniq(Topics::Slug))
                    .col(string(Topics::Name))
                    .col(timestamp_with_time_zone(Topics::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Campaigns::Table)
                    .col(pk_auto(Campaigns::Id))
                    .col(string_uniq(Campaigns::Name))
                    .col(text(Campaigns::Description).default(""))
                    .col(boolean(Campaigns::Archived).default(false))
                    .col(timestamp_with_time_zone(Campaigns::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContentItems::Table)
                    .col(pk_auto(ContentItems::Id))
                    .col(string(ContentItems::Title))
                    .col(text(ContentItems::BodyMd))
                    .col(text(ContentItems::WhyMd))
                    .col(string_null(ContentItems::LinkUrl))
                    .col(string_null(ContentItems::PreviewTitle))
                    .col(text_null(ContentItems::PreviewDescription))
                    .col(string_null(ContentItems::PreviewImageUrl))
                    .col(string(ContentItems::Language))
                    .col(integer_null(ContentItems::CampaignId))
                    .col(string(ContentItems::State))
                    .col(timestamp_with_time_zone_null(ContentItems::AvailableFrom))
                    .col(timestamp_with_time_zone_null(ContentItems::AvailableUntil))
                    .col(integer_null(ContentItems::AuthorId))
                    .col(integer_null(ContentItems::UpdatedBy))
                    .col(integer(ContentItems::Version))
                    .col(timestamp_with_time_zone(ContentItems::CreatedAt))
                    .col(timestamp_with_time_zone(ContentItems::UpdatedAt))
                    .col(timestamp_with_time_zone_null(ContentItems::PublishedAt))
                    .foreign_key(&mut fk(
                        "fk_items_campaign",
                        (ContentItems::Table, ContentItems::CampaignId),
                        (Campaigns::Table, Campaigns::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_items_author",
                        (ContentItems::Table, ContentItems::AuthorId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        "fk_items_updated_by",
                        (ContentItems::Table, ContentItems::UpdatedBy),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_items_state_published")
                    .table(ContentItems::Table)
                    .col(ContentItems::State)
                    .col(ContentItems::PublishedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContentItemTopics::Table)
                    .col(integer(ContentItemTopics::ItemId))
                    .col(integer(ContentItemTopics::TopicId))
                    .primary_key(
                        Index::create()
                            .col(ContentItemTopics::ItemId)
                            .col(ContentItemTopics::TopicId),
                    )
                    .foreign_key(&mut fk(
                        "fk_item_topics_item",
                        (ContentItemTopics::Table, ContentItemTopics::ItemId),
                        (ContentItems::Table, ContentItems::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_item_topics_topic",
                        (ContentItemTopics::Table, ContentItemTopics::TopicId),
                        (Topics::Table, Topics::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NetworkCopy::Table)
                    .col(integer(NetworkCopy::ItemId))
                    .col(string(NetworkCopy::Network))
                    .col(text(NetworkCopy::Text))
                    .primary_key(
                        Index::create()
                            .col(NetworkCopy::ItemId)
                            .col(NetworkCopy::Network),
                    )
                    .foreign_key(&mut fk(
                        "fk_copy_item",
                        (NetworkCopy::Table, NetworkCopy::ItemId),
                        (ContentItems::Table, ContentItems::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContentRevisions::Table)
                    .col(pk_auto(ContentRevisions::Id))
                    .col(integer(ContentRevisions::ItemId))
                    .col(integer(ContentRevisions::Version))
                    .col(integer_null(ContentRevisions::AuthorId))
                    .col(string(ContentRevisions::Summary))
                    .col(text(ContentRevisions::Snapshot))
                    .col(timestamp_with_time_zone(ContentRevisions::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_revisions_item",
                        (ContentRevisions::Table, ContentRevisions::ItemId),
                        (ContentItems::Table, ContentItems::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_revisions_author",
                        (ContentRevisions::Table, ContentRevisions::AuthorId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_revisions_item_version")
                    .table(ContentRevisions::Table)
                    .col(ContentRevisions::ItemId)
                    .col(ContentRevisions::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReviewComments::Table)
                    .col(pk_auto(ReviewComments::Id))
                    .col(integer(ReviewComments::ItemId))
                    .col(integer_null(ReviewComments::AuthorId))
                    .col(text(ReviewComments::Body))
                    .col(timestamp_with_time_zone(ReviewComments::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_comments_item",
                        (ReviewComments::Table, ReviewComments::ItemId),
                        (ContentItems::Table, ContentItems::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_comments_author",
                        (ReviewComments::Table, ReviewComments::AuthorId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TopicFollows::Table)
                    .col(integer(TopicFollows::UserId))
                    .col(integer(TopicFollows::TopicId))
                    .primary_key(
                        Index::create()
                            .col(TopicFollows::UserId)
                            .col(TopicFollows::TopicId),
                    )
                    .foreign_key(&mut fk(
                        "fk_follows_user",
                        (TopicFollows::Table, TopicFollows::UserId),
                        (Users::Table, Users::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_follows_topic",
                        (TopicFollows::Table, TopicFollows::TopicId),
                        (Topics::Table, Topics::Id),
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrgSettings::Table)
                    .col(string(OrgSettings::Key).primary_key())
                    .col(text(OrgSettings::Value))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OrgSettings::Table.into_iden(),
            TopicFollows::Table.into_iden(),
            ReviewComments::Table.into_iden(),
            ContentRevisions::Table.into_iden(),
            NetworkCopy::Table.into_iden(),
            ContentItemTopics::Table.into_iden(),
            ContentItems::Table.into_iden(),
            Campaigns::Table.into_iden(),
            Topics::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum Topics {
    Table,
    Id,
    Slug,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Campaigns {
    Table,
    Id,
    Name,
    Description,
    Archived,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum ContentItems {
    Table,
    Id,
    Title,
    BodyMd,
    WhyMd,
    LinkUrl,
    PreviewTitle,
    PreviewDescription,
    PreviewImageUrl,
    Language,
    CampaignId,
    State,
    AvailableFrom,
    AvailableUntil,
    AuthorId,
    UpdatedBy,
    Version,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
}

#[derive(DeriveIden)]
enum ContentItemTopics {
    Table,
    ItemId,
    TopicId,
}

#[derive(DeriveIden)]
enum NetworkCopy {
    Table,
    ItemId,
    Network,
    Text,
}

#[derive(DeriveIden)]
enum ContentRevisions {
    Table,
    Id,
    ItemId,
    Version,
    AuthorId,
    Summary,
    Snapshot,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ReviewComments {
    Table,
    Id,
    ItemId,
    AuthorId,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TopicFollows {
    Table,
    UserId,
    TopicId,
}

#[derive(DeriveIden)]
enum OrgSettings {
    Table,
    Key,
    Value,
}
