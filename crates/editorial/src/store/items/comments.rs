//! Review comments editors leave on an item while it is in review.

use chorus_policy::{ItemId, UserId};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, ConnectionTrait, EntityTrait as _,
    QueryFilter as _, QueryOrder as _,
};

use crate::error::EditorialError;
use crate::store::entities::review_comment;

/// A review comment.
#[derive(Debug, Clone)]
pub struct Comment {
    /// Who wrote it.
    pub author_id: Option<UserId>,
    /// The text.
    pub body: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Adds a review comment.
///
/// # Errors
/// Database failure.
pub async fn add_comment(
    db: &impl ConnectionTrait,
    id: ItemId,
    author: UserId,
    body: &str,
) -> Result<(), EditorialError> {
    let id = id.get();
    let author = author.get();
    review_comment::ActiveModel {
        item_id: Set(id),
        author_id: Set(Some(author)),
        body: Set(body.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The item's review comments, oldest first.
///
/// # Errors
/// Database failure.
pub async fn comments(
    db: &impl ConnectionTrait,
    id: ItemId,
) -> Result<Vec<Comment>, EditorialError> {
    let id = id.get();
    Ok(review_comment::Entity::find()
        .filter(review_comment::Column::ItemId.eq(id))
        .order_by_asc(review_comment::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| Comment {
            author_id: row.author_id.map(UserId),
            body: row.body,
            created_at: row.created_at,
        })
        .collect())
}
