//! Queries on content items, their topics and copy, revisions and review comments.
//!
//! Every save is a compare-and-set on the item's `version`: two editors saving the same item
//! get a conflict, never a silent overwrite. Every change, including workflow moves, writes a
//! revision (who, when, what changed, and a full snapshot that can be restored).

use std::collections::BTreeMap;

use chorus_policy::{CampaignId, ItemId, Network, TopicId, UserId};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, ConnectionTrait, DatabaseConnection,
    EntityTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect,
};

use super::entities::{content_item, content_item_topic, content_revision, network_copy};
use crate::content::{FieldError, ItemInput};
use crate::error::EditorialError;
use crate::workflow::State;

mod comments;

pub use comments::{Comment, add_comment, comments};

/// A content item with everything an editor sees.
#[derive(Debug, Clone)]
pub struct ItemRecord {
    /// Id.
    pub id: ItemId,
    /// Workflow state.
    pub state: State,
    /// Version, for conflict detection.
    pub version: i32,
    /// Who created it.
    pub author_id: Option<UserId>,
    /// Who made the current version.
    pub updated_by: Option<UserId>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Last published to the hub.
    pub published_at: Option<DateTime<Utc>>,
    /// The content.
    pub input: ItemInput,
}

/// One revision in an item's history.
#[derive(Debug, Clone)]
pub struct Revision {
    /// The version this revision made.
    pub version: i32,
    /// Who.
    pub author_id: Option<UserId>,
    /// What changed, as field names or a workflow move.
    pub summary: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// The item as it was after this revision.
    pub snapshot: ItemInput,
}

fn input_of(
    item: &content_item::Model,
    topic_ids: Vec<TopicId>,
    copy: BTreeMap<Network, String>,
) -> ItemInput {
    ItemInput {
        title: item.title.clone(),
        body_md: item.body_md.clone(),
        why_md: item.why_md.clone(),
        link_url: item.link_url.clone(),
        preview_title: item.preview_title.clone(),
        preview_description: item.preview_description.clone(),
        preview_image_url: item.preview_image_url.clone(),
        language: item.language.clone(),
        campaign_id: item.campaign_id.map(CampaignId),
        topic_ids,
        available_from: item.available_from,
        available_until: item.available_until,
        copy,
    }
}

/// Loads the topics and copy of `item` into a record.
async fn record_of(
    db: &impl ConnectionTrait,
    item: content_item::Model,
) -> Result<ItemRecord, EditorialError> {
    records_of(db, vec![item])
        .await?
        .pop()
        .ok_or(EditorialError::NotFound)
}

/// Loads the topics and copy of `items` into records, in the same order, with two queries
/// whatever their number (a page of the hub is one list, not one item at a time).
///
/// # Errors
/// Database failure.
pub async fn records_of(
    db: &impl ConnectionTrait,
    items: Vec<content_item::Model>,
) -> Result<Vec<ItemRecord>, EditorialError> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i32> = items.iter().map(|item| item.id).collect();
    let mut topic_ids: std::collections::HashMap<i32, Vec<TopicId>> =
        std::collections::HashMap::new();
    for row in content_item_topic::Entity::find()
        .filter(content_item_topic::Column::ItemId.is_in(ids.iter().copied()))
        .order_by_asc(content_item_topic::Column::TopicId)
        .all(db)
        .await?
    {
        topic_ids
            .entry(row.item_id)
            .or_default()
            .push(TopicId(row.topic_id));
    }
    let mut copies: std::collections::HashMap<i32, BTreeMap<Network, String>> =
        std::collections::HashMap::new();
    for row in network_copy::Entity::find()
        .filter(network_copy::Column::ItemId.is_in(ids))
        .all(db)
        .await?
    {
        copies
            .entry(row.item_id)
            .or_default()
            .insert(row.network.get(), row.text);
    }
    Ok(items
        .into_iter()
        .map(|item| {
            let topics = topic_ids.remove(&item.id).unwrap_or_default();
            let copy = copies.remove(&item.id).unwrap_or_default();
            ItemRecord {
                id: ItemId(item.id),
                state: item.state,
                version: item.version,
                author_id: item.author_id.map(UserId),
                updated_by: item.updated_by.map(UserId),
                created_at: item.created_at,
                updated_at: item.updated_at,
                published_at: item.published_at,
                input: input_of(&item, topics, copy),
            }
        })
        .collect())
}

/// The item with this id.
///
/// # Errors
/// [`EditorialError::NotFound`] or database failure.
pub async fn get(db: &impl ConnectionTrait, id: ItemId) -> Result<ItemRecord, EditorialError> {
    let id = id.get();
    let item = content_item::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(EditorialError::NotFound)?;
    record_of(db, item).await
}

/// The titles of these items, by id (an item that no longer exists is left out).
///
/// # Errors
/// Database failure.
pub async fn titles(
    db: &impl ConnectionTrait,
    ids: &[ItemId],
) -> Result<std::collections::HashMap<ItemId, String>, EditorialError> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Ok(content_item::Entity::find()
        .select_only()
        .column(content_item::Column::Id)
        .column(content_item::Column::Title)
        .filter(content_item::Column::Id.is_in(ids.iter().map(|id| id.get())))
        .into_tuple::<(i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, title)| (ItemId(id), title))
        .collect())
}

/// Items for the editors' list, newest change first, optionally in one state.
///
/// # Errors
/// Database failure.
pub async fn list(
    db: &impl ConnectionTrait,
    state: Option<State>,
) -> Result<Vec<content_item::Model>, EditorialError> {
    let mut query = content_item::Entity::find().order_by_desc(content_item::Column::UpdatedAt);
    if let Some(state) = state {
        query = query.filter(content_item::Column::State.eq(state.as_str()));
    }
    Ok(query.all(db).await?)
}

/// Up to `limit` items with ids below `before` (all when `None`), newest first, optionally in
/// one state: a page of the API's list, read by keyset (no page is skipped or repeated when
/// items are added meanwhile).
///
/// # Errors
/// Database failure.
pub async fn page(
    db: &impl ConnectionTrait,
    state: Option<State>,
    before: Option<ItemId>,
    limit: u64,
) -> Result<Vec<ItemRecord>, EditorialError> {
    let mut query = content_item::Entity::find().order_by_desc(content_item::Column::Id);
    if let Some(state) = state {
        query = query.filter(content_item::Column::State.eq(state.as_str()));
    }
    if let Some(before) = before {
        query = query.filter(content_item::Column::Id.lt(before.get()));
    }
    let rows = query.limit(limit).all(db).await?;
    records_of(db, rows).await
}

async fn write_relations(
    db: &impl ConnectionTrait,
    id: i32,
    input: &ItemInput,
) -> Result<(), EditorialError> {
    content_item_topic::Entity::delete_many()
        .filter(content_item_topic::Column::ItemId.eq(id))
        .exec(db)
        .await?;
    for topic_id in &input.topic_ids {
        content_item_topic::ActiveModel {
            item_id: Set(id),
            topic_id: Set(topic_id.get()),
        }
        .insert(db)
        .await?;
    }
    network_copy::Entity::delete_many()
        .filter(network_copy::Column::ItemId.eq(id))
        .exec(db)
        .await?;
    for (network, text) in &input.copy {
        network_copy::ActiveModel {
            item_id: Set(id),
            network: Set((*network).into()),
            text: Set(text.clone()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

async fn write_revision(
    db: &impl ConnectionTrait,
    id: i32,
    version: i32,
    author: impl Into<Option<i32>>,
    summary: &str,
    input: &ItemInput,
) -> Result<(), EditorialError> {
    let snapshot =
        serde_json::to_string(input).map_err(|_| EditorialError::BadRevision(version))?;
    content_revision::ActiveModel {
        item_id: Set(id),
        version: Set(version),
        author_id: Set(author.into()),
        summary: Set(summary.to_owned()),
        snapshot: Set(snapshot),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Where a draft came from, when not from an editor's own hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Written by an editor.
    Editor,
    /// Imported from a curated feed.
    Feed,
    /// Suggested by an ambassador.
    Suggestion,
}

impl Origin {
    fn stored(self) -> Option<&'static str> {
        match self {
            Origin::Editor => None,
            Origin::Feed => Some("feed"),
            Origin::Suggestion => Some("suggestion"),
        }
    }
}

/// Creates a draft; its first revision says "created".
///
/// # Errors
/// Database failure.
pub async fn create(
    db: &DatabaseConnection,
    input: &ItemInput,
    author: UserId,
) -> Result<ItemId, EditorialError> {
    let txn = crate::store::begin_write(db).await?;
    check_references(&txn, input).await?;
    let id = insert(&txn, input, Some(author), Origin::Editor, None).await?;
    txn.commit().await?;
    Ok(id)
}

/// The campaign and topics an item names must exist: a form that names one deleted meanwhile
/// (or a forged id) is the form's error, shown next to its field, not a database failure.
async fn check_references(
    txn: &impl ConnectionTrait,
    input: &ItemInput,
) -> Result<(), EditorialError> {
    use super::entities::{campaign, topic};
    let mut errors = Vec::new();
    if let Some(id) = input.campaign_id
        && campaign::Entity::find_by_id(id.get())
            .one(txn)
            .await?
            .is_none()
    {
        errors.push(FieldError::new("campaign", "editor.error_campaign"));
    }
    if !input.topic_ids.is_empty() {
        let found = topic::Entity::find()
            .filter(topic::Column::Id.is_in(input.topic_ids.iter().map(|id| id.get())))
            .all(txn)
            .await?
            .len();
        if found != input.topic_ids.len() {
            errors.push(FieldError::new("topics", "editor.error_topic"));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(EditorialError::Invalid(errors))
    }
}

/// Creates a draft from a feed or a suggestion, inside the caller's transaction.
///
/// # Errors
/// Database failure.
pub async fn insert(
    txn: &impl ConnectionTrait,
    input: &ItemInput,
    author: Option<UserId>,
    origin: Origin,
    suggested_by: Option<UserId>,
) -> Result<ItemId, EditorialError> {
    let (author, suggested_by) = (author.map(UserId::get), suggested_by.map(UserId::get));
    let now = Utc::now();
    let item = content_item::ActiveModel {
        title: Set(input.title.clone()),
        body_md: Set(input.body_md.clone()),
        why_md: Set(input.why_md.clone()),
        link_url: Set(input.link_url.clone()),
        preview_title: Set(input.preview_title.clone()),
        preview_description: Set(input.preview_description.clone()),
        preview_image_url: Set(input.preview_image_url.clone()),
        language: Set(input.language.clone()),
        campaign_id: Set(input.campaign_id.map(CampaignId::get)),
        state: Set(State::Draft),
        available_from: Set(input.available_from),
        available_until: Set(input.available_until),
        author_id: Set(author),
        updated_by: Set(author),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        published_at: Set(None),
        origin: Set(origin.stored().map(str::to_owned)),
        suggested_by: Set(suggested_by),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    write_relations(txn, item.id, input).await?;
    let summary = match origin {
        Origin::Editor => "created",
        Origin::Feed => "imported from a feed",
        Origin::Suggestion => "suggested by an ambassador",
    };
    write_revision(txn, item.id, 1, author, summary, input).await?;
    Ok(ItemId(item.id))
}

/// The items one person suggested, newest first.
///
/// # Errors
/// Database failure.
pub async fn suggested_by(
    db: &impl ConnectionTrait,
    user_id: UserId,
) -> Result<Vec<content_item::Model>, EditorialError> {
    let user_id = user_id.get();
    Ok(content_item::Entity::find()
        .filter(content_item::Column::SuggestedBy.eq(user_id))
        .order_by_desc(content_item::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Applies `update` only if the item is still at `expected_version`; otherwise reports the
/// version now stored (the caller's transaction is dropped, so nothing is written).
async fn compare_and_set(
    txn: &impl ConnectionTrait,
    id: i32,
    expected_version: i32,
    update: sea_orm::UpdateMany<content_item::Entity>,
) -> Result<(), EditorialError> {
    let updated = update
        .filter(content_item::Column::Id.eq(id))
        .filter(content_item::Column::Version.eq(expected_version))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        let current = content_item::Entity::find_by_id(id)
            .one(txn)
            .await?
            .ok_or(EditorialError::NotFound)?;
        return Err(EditorialError::Conflict {
            current_version: current.version,
        });
    }
    Ok(())
}

/// Saves new content over `expected_version`, moving to `state`.
///
/// # Errors
/// [`EditorialError::Conflict`] when the item changed since `expected_version` was read.
pub async fn update(
    db: &DatabaseConnection,
    id: ItemId,
    expected_version: i32,
    input: &ItemInput,
    state: State,
    editor: UserId,
    summary: &str,
) -> Result<i32, EditorialError> {
    let id = id.get();
    let editor = editor.get();
    let txn = crate::store::begin_write(db).await?;
    check_references(&txn, input).await?;
    let new_version = expected_version + 1;
    let update = content_item::Entity::update_many()
        .col_expr(
            content_item::Column::Title,
            Expr::value(input.title.clone()),
        )
        .col_expr(
            content_item::Column::BodyMd,
            Expr::value(input.body_md.clone()),
        )
        .col_expr(
            content_item::Column::WhyMd,
            Expr::value(input.why_md.clone()),
        )
        .col_expr(
            content_item::Column::LinkUrl,
            Expr::value(input.link_url.clone()),
        )
        .col_expr(
            content_item::Column::PreviewTitle,
            Expr::value(input.preview_title.clone()),
        )
        .col_expr(
            content_item::Column::PreviewDescription,
            Expr::value(input.preview_description.clone()),
        )
        .col_expr(
            content_item::Column::PreviewImageUrl,
            Expr::value(input.preview_image_url.clone()),
        )
        .col_expr(
            content_item::Column::Language,
            Expr::value(input.language.clone()),
        )
        .col_expr(
            content_item::Column::CampaignId,
            Expr::value(input.campaign_id.map(CampaignId::get)),
        )
        .col_expr(
            content_item::Column::AvailableFrom,
            Expr::value(input.available_from),
        )
        .col_expr(
            content_item::Column::AvailableUntil,
            Expr::value(input.available_until),
        )
        .col_expr(content_item::Column::State, Expr::value(state.as_str()))
        .col_expr(content_item::Column::UpdatedBy, Expr::value(editor))
        .col_expr(content_item::Column::Version, Expr::value(new_version))
        .col_expr(content_item::Column::UpdatedAt, Expr::value(Utc::now()));
    compare_and_set(&txn, id, expected_version, update).await?;
    write_relations(&txn, id, input).await?;
    write_revision(&txn, id, new_version, editor, summary, input).await?;
    txn.commit().await?;
    Ok(new_version)
}

/// Moves an item to `state` (a workflow action), over `expected_version`.
///
/// # Errors
/// [`EditorialError::Conflict`] when the item changed since `expected_version` was read.
pub async fn set_state(
    db: &DatabaseConnection,
    id: ItemId,
    expected_version: i32,
    state: State,
    actor: UserId,
    summary: &str,
) -> Result<i32, EditorialError> {
    let id = id.get();
    let actor = actor.get();
    let txn = crate::store::begin_write(db).await?;
    let new_version = expected_version + 1;
    let mut update = content_item::Entity::update_many()
        .col_expr(content_item::Column::State, Expr::value(state.as_str()))
        .col_expr(content_item::Column::Version, Expr::value(new_version))
        .col_expr(content_item::Column::UpdatedAt, Expr::value(Utc::now()));
    if state == State::Published {
        update = update.col_expr(content_item::Column::PublishedAt, Expr::value(Utc::now()));
    }
    compare_and_set(&txn, id, expected_version, update).await?;
    let record = get(&txn, ItemId(id)).await?;
    write_revision(&txn, id, new_version, actor, summary, &record.input).await?;
    txn.commit().await?;
    Ok(new_version)
}

/// The item's history, newest first.
///
/// # Errors
/// Database failure, or a snapshot that cannot be read.
pub async fn revisions(
    db: &impl ConnectionTrait,
    id: ItemId,
) -> Result<Vec<Revision>, EditorialError> {
    let id = id.get();
    content_revision::Entity::find()
        .filter(content_revision::Column::ItemId.eq(id))
        .order_by_desc(content_revision::Column::Version)
        .all(db)
        .await?
        .into_iter()
        .map(revision_of)
        .collect()
}

/// One revision.
///
/// # Errors
/// [`EditorialError::NotFound`], database failure, or an unreadable snapshot.
pub async fn revision(
    db: &impl ConnectionTrait,
    id: ItemId,
    version: i32,
) -> Result<Revision, EditorialError> {
    let id = id.get();
    let row = content_revision::Entity::find()
        .filter(content_revision::Column::ItemId.eq(id))
        .filter(content_revision::Column::Version.eq(version))
        .one(db)
        .await?
        .ok_or(EditorialError::NotFound)?;
    revision_of(row)
}

fn revision_of(row: content_revision::Model) -> Result<Revision, EditorialError> {
    let snapshot = serde_json::from_str(&row.snapshot)
        .map_err(|_| EditorialError::BadRevision(row.version))?;
    Ok(Revision {
        version: row.version,
        author_id: row.author_id.map(UserId),
        summary: row.summary,
        created_at: row.created_at,
        snapshot,
    })
}
