//! Notifications, each person's choice: what they turned on (`notification_prefs`, nothing by
//! default), the messages to send (`notification_jobs`: one row per message, unique by its
//! dedupe key so two workers never queue it twice, claimed with a lease like shares), and the
//! editors' announcements of published items (`announcements`: one per item at most).

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
                    .table(NotificationPrefs::Table)
                    .col(integer(NotificationPrefs::UserId).primary_key())
                    .col(boolean(NotificationPrefs::EmailEvents).default(false))
                    .col(boolean(NotificationPrefs::EmailAnnouncements).default(false))
                    .col(string(NotificationPrefs::Digest).default("never"))
                    .col(timestamp_with_time_zone_null(
                        NotificationPrefs::DigestSentAt,
                    ))
                    .col(timestamp_with_time_zone(NotificationPrefs::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notification_prefs_user")
                            .from(NotificationPrefs::Table, NotificationPrefs::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NotificationJobs::Table)
                    .col(pk_auto(NotificationJobs::Id))
                    .col(integer(NotificationJobs::UserId))
                    .col(string(NotificationJobs::Kind))
                    .col(integer_null(NotificationJobs::RefId))
                    .col(string_uniq(NotificationJobs::Dedupe))
                    .col(string(NotificationJobs::State))
                    .col(integer(NotificationJobs::Attempts).default(0))
                    .col(timestamp_with_time_zone(NotificationJobs::NextAttemptAt))
                    .col(string_null(NotificationJobs::LeaseOwner))
                    .col(timestamp_with_time_zone_null(NotificationJobs::LeaseUntil))
                    .col(text_null(NotificationJobs::LastError))
                    .col(timestamp_with_time_zone(NotificationJobs::CreatedAt))
                    .col(timestamp_with_time_zone_null(NotificationJobs::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notification_jobs_user")
                            .from(NotificationJobs::Table, NotificationJobs::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Announcements::Table)
                    .col(integer(Announcements::ItemId).primary_key())
                    .col(integer_null(Announcements::AuthorId))
                    .col(text(Announcements::Message))
                    .col(integer(Announcements::Recipients))
                    .col(timestamp_with_time_zone(Announcements::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_announcements_item")
                            .from(Announcements::Table, Announcements::ItemId)
                            .to(ContentItems::Table, ContentItems::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_announcements_author")
                            .from(Announcements::Table, Announcements::AuthorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notification_jobs_due")
                    .table(NotificationJobs::Table)
                    .col(NotificationJobs::State)
                    .col(NotificationJobs::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Announcements::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(NotificationJobs::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(NotificationPrefs::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum NotificationPrefs {
    Table,
    UserId,
    EmailEvents,
    EmailAnnouncements,
    Digest,
    DigestSentAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Announcements {
    Table,
    ItemId,
    AuthorId,
    Message,
    Recipients,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ContentItems {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum NotificationJobs {
    Table,
    Id,
    UserId,
    Kind,
    RefId,
    Dedupe,
    State,
    Attempts,
    NextAttemptAt,
    LeaseOwner,
    LeaseUntil,
    LastError,
    CreatedAt,
    SentAt,
}
