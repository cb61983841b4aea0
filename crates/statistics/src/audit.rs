//! The audit of views: every view and export of statistics is written with who looked, the
//! filter, and the people whose activity it included. Each person reads the entries that
//! concern them on their transparency page; the difference guard reads a viewer's own recent
//! entries ([`crate::Memory`]); erasing a person takes them out of every entry.

use chorus_policy::UserId;
use chrono::Utc;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, ConnectionTrait, DbErr,
    EntityTrait as _, QueryFilter as _, QueryOrder as _,
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

/// SQLite has one writer: concurrent audit inserts would wait in its busy handler, which sleeps
/// 25 to 100 ms between tries. Written one after the other here, they wait only for each other:
/// under 8 viewers at once, a dashboard p99 of about 0.2 s became 0.1 s (`bench pages`).
static SQLITE_AUDIT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Writes a view to the audit log: `viewer` did `action` (one of [`crate::VIEW_ACTIONS`]) with
/// `filter`, and it included the activity of `people`.
///
/// # Errors
/// Database failure.
pub async fn record_view(
    db: &impl ConnectionTrait,
    viewer: UserId,
    action: &str,
    filter: &Filter,
    people: &[UserId],
) -> Result<(), DbErr> {
    let detail = serde_json::to_string(filter).map_err(|e| DbErr::Json(e.to_string()))?;
    let mut list = String::from(",");
    for id in people {
        list.push_str(&id.to_string());
        list.push(',');
    }
    let entry = entry::ActiveModel {
        at: Set(Utc::now()),
        actor_id: Set(Some(viewer.get())),
        action: Set(action.to_owned()),
        detail: Set(detail),
        people: Set(list),
        ..Default::default()
    };
    let _one_writer = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => Some(SQLITE_AUDIT.lock().await),
        _ => None,
    };
    entry.insert(db).await?;
    Ok(())
}

/// The audit entries that concern one person, newest first.
///
/// # Errors
/// Database failure.
pub async fn concerning(db: &impl ConnectionTrait, user: UserId) -> Result<Vec<AuditEntry>, DbErr> {
    let user_id = user.get();
    entry::Entity::find()
        .filter(entry::Column::People.contains(format!(",{user_id},")))
        .order_by_desc(entry::Column::Id)
        .all(db)
        .await
}

/// Takes an erased person out of every entry (the entries stay: someone did look).
///
/// # Errors
/// Database failure.
pub async fn forget(db: &impl ConnectionTrait, user: UserId) -> Result<(), DbErr> {
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
