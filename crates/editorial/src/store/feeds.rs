//! Queries on curated feeds and the entries already imported from them.

use chorus_policy::{FeedId, ItemId, UserId};
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, ConnectionTrait, EntityTrait as _,
    QueryFilter as _, QueryOrder as _, SqlErr,
};

use super::entities::{feed, feed_entry};
use crate::error::EditorialError;

pub use feed::Model as Feed;

/// Every feed, by title.
///
/// # Errors
/// Database failure.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<Feed>, EditorialError> {
    Ok(feed::Entity::find()
        .order_by_asc(feed::Column::Title)
        .all(db)
        .await?)
}

/// One feed.
///
/// # Errors
/// [`EditorialError::NotFound`] or database failure.
pub async fn get(db: &impl ConnectionTrait, id: FeedId) -> Result<Feed, EditorialError> {
    let id = id.get();
    feed::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(EditorialError::NotFound)
}

/// Adds a feed.
///
/// # Errors
/// [`EditorialError::NameTaken`] when the address is already followed.
pub async fn add(
    db: &impl ConnectionTrait,
    url: &str,
    title: &str,
    language: &str,
    added_by: UserId,
) -> Result<Feed, EditorialError> {
    let added_by = added_by.get();
    feed::ActiveModel {
        url: Set(url.to_owned()),
        title: Set(title.to_owned()),
        language: Set(language.to_owned()),
        added_by: Set(Some(added_by)),
        created_at: Set(Utc::now()),
        last_polled_at: Set(None),
        last_error: Set(None),
        entries_imported: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => EditorialError::NameTaken,
        _ => EditorialError::Db(e),
    })
}

/// Removes a feed (drafts already imported stay).
///
/// # Errors
/// [`EditorialError::NotFound`] or database failure.
pub async fn remove(db: &impl ConnectionTrait, id: FeedId) -> Result<(), EditorialError> {
    let id = id.get();
    let result = feed::Entity::delete_by_id(id).exec(db).await?;
    if result.rows_affected == 0 {
        return Err(EditorialError::NotFound);
    }
    Ok(())
}

/// Records the outcome of a poll.
///
/// # Errors
/// Database failure.
pub async fn record_poll(
    db: &impl ConnectionTrait,
    id: FeedId,
    error: Option<String>,
    imported: i32,
) -> Result<(), EditorialError> {
    let row = get(db, id).await?;
    let total = row.entries_imported + imported;
    let mut active: feed::ActiveModel = row.into();
    active.last_polled_at = Set(Some(Utc::now()));
    active.last_error = Set(error);
    active.entries_imported = Set(total);
    active.update(db).await?;
    Ok(())
}

/// Claims an entry for import; `false` when it was seen before (by this or another process).
///
/// # Errors
/// Database failure.
pub async fn claim_entry(
    db: &impl ConnectionTrait,
    feed_id: FeedId,
    guid: &str,
) -> Result<bool, EditorialError> {
    let feed_id = feed_id.get();
    let inserted = feed_entry::Entity::insert(feed_entry::ActiveModel {
        feed_id: Set(feed_id),
        guid: Set(guid.to_owned()),
        item_id: Set(None),
        seen_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([feed_entry::Column::FeedId, feed_entry::Column::Guid])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(inserted == 1)
}

/// Links an imported entry to the draft it became.
///
/// # Errors
/// Database failure.
pub async fn link_entry(
    db: &impl ConnectionTrait,
    feed_id: FeedId,
    guid: &str,
    item_id: ItemId,
) -> Result<(), EditorialError> {
    let feed_id = feed_id.get();
    let item_id = item_id.get();
    feed_entry::Entity::update_many()
        .col_expr(
            feed_entry::Column::ItemId,
            sea_orm::sea_query::Expr::value(item_id),
        )
        .filter(feed_entry::Column::FeedId.eq(feed_id))
        .filter(feed_entry::Column::Guid.eq(guid))
        .exec(db)
        .await?;
    Ok(())
}
