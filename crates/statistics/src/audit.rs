//! The audit of views: every view and export of statistics is written with who looked, the
//! filter, and the people whose activity it included. Each person reads the entries that
//! concern them on their transparency page; the difference guard reads a viewer's own recent
//! entries ([`crate::Memory`]); erasing a person takes them out of every entry.

use crate::StatisticsError;
use chorus_editorial::store::group::GroupCommit;
use chorus_policy::UserId;
use chrono::Utc;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbErr, EntityTrait as _, QueryFilter as _, QueryOrder as _,
};

use crate::Filter;

/// `audit_log`: who viewed what; `people` lists the ids a view included (",3,7,").
pub mod entry {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub at: ChronoDateTimeUtc,
        pub actor_id: Option<i32>,
        pub action: String,
        pub detail: String,
        pub people: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use entry::Model as AuditEntry;

/// The audit log's writer. Every view is written before it is shown, and a database commits
/// one transaction at a time to its disk (SQLite has one writer; each commit waits for the
/// disk): views recorded at the same moment are written together, in one transaction, by the
/// first of them to reach the writer, and each waits until its own entry is committed. Under 8
/// viewers at once on SQLite, commits one by one were the dashboard's bound (p99 0.3 s)
/// ([`GroupCommit`]).
#[derive(Debug, Default)]
pub struct Log {
    group: GroupCommit<Vec<entry::ActiveModel>, ()>,
}

/// One view to write: `action` (one of [`crate::VIEW_ACTIONS`]) with `filter`, which included
/// the activity of `people`.
#[derive(Debug, Clone)]
pub struct Viewed {
    /// What was done.
    pub action: &'static str,
    /// The filter.
    pub filter: Filter,
    /// Everyone behind a figure of it.
    pub people: Vec<UserId>,
}

impl Log {
    /// Writes views to the audit log, all by `viewer`. Returns once they are committed.
    ///
    /// # Errors
    /// Database failure.
    pub async fn record(
        &self,
        db: &DatabaseConnection,
        viewer: UserId,
        views: &[Viewed],
    ) -> Result<(), StatisticsError> {
        let mut entries = Vec::with_capacity(views.len());
        for view in views {
            let detail = serde_json::to_string(&view.filter)?;
            let mut list = String::from(",");
            for id in &view.people {
                list.push_str(&id.to_string());
                list.push(',');
            }
            entries.push(entry::ActiveModel {
                at: Set(Utc::now()),
                actor_id: Set(Some(viewer.get())),
                action: Set(view.action.to_owned()),
                detail: Set(detail),
                people: Set(list),
                ..Default::default()
            });
        }
        Ok(self.group.write(db, entries, write).await?)
    }
}

/// Writes the entries of views recorded together, in their transaction.
async fn write(
    txn: DatabaseTransaction,
    batch: Vec<Vec<entry::ActiveModel>>,
) -> Result<(DatabaseTransaction, Vec<()>), DbErr> {
    let written = vec![(); batch.len()];
    let entries: Vec<_> = batch.into_iter().flatten().collect();
    if !entries.is_empty() {
        entry::Entity::insert_many(entries).exec(&txn).await?;
    }
    Ok((txn, written))
}

/// The audit entries that concern one person, newest first.
///
/// # Errors
/// Database failure.
pub async fn concerning(
    db: &impl ConnectionTrait,
    user: UserId,
) -> Result<Vec<AuditEntry>, StatisticsError> {
    let user_id = user.get();
    Ok(entry::Entity::find()
        .filter(entry::Column::People.contains(format!(",{user_id},")))
        .order_by_desc(entry::Column::Id)
        .all(db)
        .await?)
}

/// Takes an erased person out of every entry (the entries stay: someone did look).
///
/// # Errors
/// Database failure.
pub async fn forget(db: &impl ConnectionTrait, user: UserId) -> Result<(), StatisticsError> {
    let user_id = user.get();
    entry::Entity::update_many()
        .col_expr(
            entry::Column::People,
            Func::cust("REPLACE")
                .arg(Expr::col(entry::Column::People))
                .arg(format!(",{user_id},"))
                .arg(",")
                .into(),
        )
        .filter(entry::Column::People.contains(format!(",{user_id},")))
        .exec(db)
        .await?;
    Ok(())
}
