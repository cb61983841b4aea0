//! The image a person posts with a share: one of the item's images, or their own upload (checked
//! and stripped of its metadata like an editor's), with a description. It is chosen once for
//! all the accounts ticked, checked against each network's rules before anything is queued,
//! stored with each share (an item's image by reference, an upload by its bytes), given to the
//! connector when the share goes, and served at an unguessable address only while the share
//! waits to go, for Threads, which takes images by address.

use chorus_editorial::media::{self, CleanImage};
use chorus_editorial::store::media as item_media;
use chorus_policy::{ItemId, MediaId, Network, ShareId};
use chrono::Utc;
use sea_orm::{ActiveModelTrait as _, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait as _};

use crate::AmbassadorError;
use crate::connectors::PostImage;
use crate::connectors::images::{self, ImageFacts, ImageProblem};
use crate::shares::ShareState;
use crate::store::entities::{share, share_image};

/// What the person chose, before it is looked at.
#[derive(Debug, Clone)]
pub enum ImageChoice {
    /// One of the item's images (its id in `media`), with the editors' description.
    Item(i32),
    /// Their own upload, already cleaned, with the description they wrote.
    Own {
        /// The image without its metadata.
        image: CleanImage,
        /// Its description.
        alt: String,
    },
}

/// An image chosen and read: where its bytes are, and what the networks' rules look at.
#[derive(Debug, Clone)]
pub struct ChosenImage {
    /// The item's image id, or `None` for an upload.
    media_id: Option<i32>,
    /// The upload's bytes.
    data: Option<Vec<u8>>,
    /// Its media type.
    pub mime: String,
    /// Its size in bytes.
    pub size: usize,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Its description.
    pub alt: String,
}

impl ChosenImage {
    /// What the networks' rules look at.
    #[must_use]
    pub fn facts(&self) -> ImageFacts<'_> {
        ImageFacts {
            mime: &self.mime,
            size: self.size,
            width: self.width,
            height: self.height,
            alt: &self.alt,
        }
    }

    /// Checks it against `network`'s rules.
    ///
    /// # Errors
    /// [`AmbassadorError::Image`] with the problem.
    pub fn check(&self, network: Network) -> Result<(), AmbassadorError> {
        images::check(network, self.facts())
            .map_err(|problem| AmbassadorError::Image { network, problem })
    }
}

/// Reads a choice: an item's image must be one of `item_id`'s; an upload's size in pixels must
/// be readable; a description must be there (each network's own length is checked when
/// queuing).
///
/// # Errors
/// [`AmbassadorError::NotFound`] for an image of another item (or none);
/// [`AmbassadorError::Image`] for a description missing or too long or a damaged upload (the
/// network named is the first one the person ticked); database failure.
pub async fn read(
    db: &impl ConnectionTrait,
    item_id: ItemId,
    choice: ImageChoice,
    network: Network,
) -> Result<ChosenImage, AmbassadorError> {
    let item_id = item_id.get();
    let chosen = match choice {
        ImageChoice::Item(media_id) => {
            let row = item_media::get(db, MediaId(media_id))
                .await
                .map_err(|_| AmbassadorError::NotFound)?;
            if row.item_id != item_id {
                return Err(AmbassadorError::NotFound);
            }
            let (width, height) = media::dimensions(&row.data).unwrap_or((0, 0));
            ChosenImage {
                media_id: Some(row.id),
                size: row.data.len(),
                data: None,
                mime: row.content_type,
                width,
                height,
                alt: row.alt,
            }
        }
        ImageChoice::Own { image, alt } => {
            let (width, height) = media::dimensions(&image.bytes).unwrap_or((0, 0));
            ChosenImage {
                media_id: None,
                size: image.bytes.len(),
                mime: image.content_type.to_owned(),
                data: Some(image.bytes),
                width,
                height,
                alt: alt.trim().to_owned(),
            }
        }
    };
    let problem = if chosen.alt.is_empty() {
        Some(ImageProblem::NoAlt)
    } else if chosen.width == 0 {
        Some(ImageProblem::NoDimensions)
    } else {
        None
    };
    match problem {
        Some(problem) => Err(AmbassadorError::Image { network, problem }),
        None => Ok(chosen),
    }
}

/// Stores the image of a new share, with a fresh unguessable token for its public address.
pub(crate) async fn attach(
    db: &impl ConnectionTrait,
    share_id: i32,
    image: &ChosenImage,
) -> Result<(), DbErr> {
    share_image::ActiveModel {
        share_id: Set(share_id),
        media_id: Set(image.media_id),
        data: Set(image.data.clone()),
        content_type: Set(image.mime.clone()),
        alt: Set(image.alt.clone()),
        size: Set(i32::try_from(image.size).unwrap_or(i32::MAX)),
        width: Set(i32::try_from(image.width).unwrap_or(i32::MAX)),
        height: Set(i32::try_from(image.height).unwrap_or(i32::MAX)),
        token: Set(crate::shares::random_hex()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Why a share fails when the item's image chosen for it is gone.
const REMOVED: &str = "the item’s image chosen for this post was removed by the editors";

/// The image of a share, as the connector takes it, with its public address under
/// `public_base`: `Ok(None)` for a share without one; `Err(why)` when it was chosen but is gone
/// (the editors removed the item's image), so the share fails rather than going without it.
///
/// # Errors
/// The reason, in words, when the image is gone or cannot be read.
pub async fn of_share(
    db: &impl ConnectionTrait,
    share_id: ShareId,
    public_base: &str,
) -> Result<Option<PostImage>, String> {
    let share_id = share_id.get();
    let Some(row) = share_image::Entity::find_by_id(share_id)
        .one(db)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let bytes = match (row.data, row.media_id) {
        (Some(bytes), _) => bytes,
        (None, Some(media_id)) => {
            item_media::get(db, MediaId(media_id))
                .await
                .map_err(|_| REMOVED.to_owned())?
                .data
        }
        (None, None) => return Err(REMOVED.into()),
    };
    Ok(Some(PostImage {
        bytes,
        mime: row.content_type,
        alt: row.alt,
        width: u32::try_from(row.width).unwrap_or(0),
        height: u32::try_from(row.height).unwrap_or(0),
        public_url: Some(format!("{public_base}/share-images/{}", row.token)),
    }))
}

/// The image at a public address (its type and bytes), only while its share waits to go or is
/// going; `None` otherwise, and for an unknown token.
///
/// # Errors
/// Database failure.
pub async fn public(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<(String, Vec<u8>)>, DbErr> {
    use sea_orm::{ColumnTrait as _, QueryFilter as _};
    let Some(row) = share_image::Entity::find()
        .filter(share_image::Column::Token.eq(token))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let waiting = share::Entity::find_by_id(row.share_id)
        .one(db)
        .await?
        .is_some_and(|s| matches!(s.state, ShareState::Scheduled | ShareState::Sending));
    if !waiting {
        return Ok(None);
    }
    let bytes = match (row.data, row.media_id) {
        (Some(bytes), _) => bytes,
        (None, Some(media_id)) => match item_media::get(db, MediaId(media_id)).await {
            Ok(media) => media.data,
            Err(_) => return Ok(None),
        },
        (None, None) => return Ok(None),
    };
    Ok(Some((row.content_type, bytes)))
}

/// What the person's export says of a share's image: its description, type and size (not
/// the bytes).
///
/// # Errors
/// Database failure.
pub async fn described(
    db: &impl ConnectionTrait,
    share_ids: &[ShareId],
) -> Result<std::collections::HashMap<ShareId, serde_json::Value>, DbErr> {
    use sea_orm::{ColumnTrait as _, QueryFilter as _};
    Ok(share_image::Entity::find()
        .filter(share_image::Column::ShareId.is_in(share_ids.iter().map(|id| id.get())))
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            (
                ShareId(row.share_id),
                serde_json::json!({
                    "own_upload": row.data.is_some(),
                    "item_image": row.media_id,
                    "alt": row.alt,
                    "content_type": row.content_type,
                    "bytes": row.size,
                    "width": row.width,
                    "height": row.height,
                }),
            )
        })
        .collect())
}
