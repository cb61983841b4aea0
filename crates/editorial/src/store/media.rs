//! Queries on `media`.

use chorus_policy::{ItemId, MediaId, UserId};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, ConnectionTrait, EntityTrait as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _,
};

use super::entities::media;
use crate::error::EditorialError;
use crate::media::CleanImage;

pub use media::Model as MediaRow;

/// An image's description, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaInfo {
    /// Id (its URL is `/media/{id}`).
    pub id: MediaId,
    /// Alternative text.
    pub alt: String,
    /// Content type.
    pub content_type: String,
    /// Size in bytes.
    pub size: i32,
}

/// Stores a cleaned image for an item.
///
/// # Errors
/// Database failure.
pub async fn insert(
    db: &impl ConnectionTrait,
    item_id: ItemId,
    image: CleanImage,
    alt: &str,
    by: UserId,
) -> Result<MediaId, EditorialError> {
    let item_id = item_id.get();
    let by = by.get();
    let size = i32::try_from(image.bytes.len()).unwrap_or(i32::MAX);
    let row = media::ActiveModel {
        item_id: Set(item_id),
        content_type: Set(image.content_type.to_owned()),
        data: Set(image.bytes),
        alt: Set(alt.to_owned()),
        size: Set(size),
        uploaded_by: Set(Some(by)),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(MediaId(row.id))
}

/// The first (oldest) image of each of `items` that has one, as (id, alt text): one query
/// for a page of cards.
///
/// # Errors
/// Database failure.
pub async fn first_of_items(
    db: &impl ConnectionTrait,
    items: &[ItemId],
) -> Result<std::collections::HashMap<ItemId, (MediaId, String)>, EditorialError> {
    let rows: Vec<(i32, i32, String)> = media::Entity::find()
        .select_only()
        .columns([media::Column::ItemId, media::Column::Id, media::Column::Alt])
        .filter(media::Column::ItemId.is_in(items.iter().map(|id| id.get())))
        .order_by_asc(media::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut first = std::collections::HashMap::new();
    for (item, id, alt) in rows {
        first.entry(ItemId(item)).or_insert((MediaId(id), alt));
    }
    Ok(first)
}

/// The images of an item, oldest first, without their bytes.
///
/// # Errors
/// Database failure.
pub async fn for_item(
    db: &impl ConnectionTrait,
    item_id: ItemId,
) -> Result<Vec<MediaInfo>, EditorialError> {
    let item_id = item_id.get();
    Ok(media::Entity::find()
        .select_only()
        .columns([
            media::Column::Id,
            media::Column::Alt,
            media::Column::ContentType,
            media::Column::Size,
        ])
        .filter(media::Column::ItemId.eq(item_id))
        .order_by_asc(media::Column::Id)
        .into_tuple::<(i32, String, String, i32)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, alt, content_type, size)| MediaInfo {
            id: MediaId(id),
            alt,
            content_type,
            size,
        })
        .collect())
}

/// One image with its bytes.
///
/// # Errors
/// [`EditorialError::NotFound`] or database failure.
pub async fn get(db: &impl ConnectionTrait, id: MediaId) -> Result<MediaRow, EditorialError> {
    let id = id.get();
    media::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(EditorialError::NotFound)
}

/// Removes an image of an item.
///
/// # Errors
/// [`EditorialError::NotFound`] or database failure.
pub async fn delete(
    db: &impl ConnectionTrait,
    item_id: ItemId,
    id: MediaId,
) -> Result<(), EditorialError> {
    let item_id = item_id.get();
    let id = id.get();
    let result = media::Entity::delete_many()
        .filter(media::Column::Id.eq(id))
        .filter(media::Column::ItemId.eq(item_id))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(EditorialError::NotFound);
    }
    Ok(())
}
