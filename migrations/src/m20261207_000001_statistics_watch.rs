//! What the analysts' dashboard is made of, watched too, so that each process can keep it
//! between views (see `chorus_server::memo`): campaigns (the filter's menu and the tables'
//! labels) move the content generation; the daily roll-up (`activity_daily`: shares as they are
//! published, clicks as they are counted, rows erased or expired) moves the activity
//! generation. And an index of the audit log by viewer: every view reads the viewer's own
//! recent entries (the difference guard's memory), which was a walk of the whole log.

use sea_orm_migration::prelude::*;

use crate::m20261206_000002_cache_generation::{ACTIVITY, CONTENT, unwatch, watch};

#[derive(DeriveMigrationName)]
pub struct Migration;

const WATCHED: &[(&str, Option<&str>, &str)] = &[
    ("campaigns", None, CONTENT),
    ("activity_daily", None, ACTIVITY),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        watch(manager, WATCHED).await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_actor")
                    .table(AuditLog::Table)
                    .col(AuditLog::ActorId)
                    .col(AuditLog::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_audit_actor")
                    .table(AuditLog::Table)
                    .to_owned(),
            )
            .await?;
        unwatch(manager, WATCHED).await
    }
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    ActorId,
}
