//! Notifications in a person's own chat, and the digest by email or chat: what each person
//! chose per way (`chat_events`, `chat_announcements`, `chat_digest`, and `email_digest`, on for
//! rows that exist so a digest already chosen keeps going by email), where their chat is
//! (`chat_service`: `slack`, `teams` or `matrix`; `chat_address`: their own webhook address or
//! Matrix ID, sealed; `chat_room`: the Matrix room Chorus opened with them), and on each message
//! the way it goes (`via`) and, for a digest, where its period began (`window_start`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one change at a time.
        for column in [
            boolean(NotificationPrefs::EmailDigest)
                .default(true)
                .to_owned(),
            boolean(NotificationPrefs::ChatEvents)
                .default(false)
                .to_owned(),
            boolean(NotificationPrefs::ChatAnnouncements)
                .default(false)
                .to_owned(),
            boolean(NotificationPrefs::ChatDigest)
                .default(false)
                .to_owned(),
            string_null(NotificationPrefs::ChatService),
            text_null(NotificationPrefs::ChatAddress),
            string_null(NotificationPrefs::ChatRoom),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(NotificationPrefs::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            string(NotificationJobs::Via).default("email").to_owned(),
            timestamp_with_time_zone_null(NotificationJobs::WindowStart),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(NotificationJobs::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [NotificationJobs::Via, NotificationJobs::WindowStart] {
            manager
                .alter_table(
                    Table::alter()
                        .table(NotificationJobs::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            NotificationPrefs::EmailDigest,
            NotificationPrefs::ChatEvents,
            NotificationPrefs::ChatAnnouncements,
            NotificationPrefs::ChatDigest,
            NotificationPrefs::ChatService,
            NotificationPrefs::ChatAddress,
            NotificationPrefs::ChatRoom,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(NotificationPrefs::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum NotificationPrefs {
    Table,
    EmailDigest,
    ChatEvents,
    ChatAnnouncements,
    ChatDigest,
    ChatService,
    ChatAddress,
    ChatRoom,
}

#[derive(DeriveIden)]
enum NotificationJobs {
    Table,
    Via,
    WindowStart,
}
