//! Queries on topics, campaigns and topic follows.

use chorus_policy::{CampaignId, TopicId, UserId};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, ConnectionTrait, EntityTrait as _,
    QueryFilter as _, QueryOrder as _, SqlErr,
};

use super::entities::{campaign, topic, topic_follow};
use crate::error::EditorialError;

pub use campaign::Model as Campaign;
pub use topic::Model as Topic;

/// A URL-friendly form of a name: lower-case letters and digits joined by hyphens.
#[must_use]
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

fn taken(e: sea_orm::DbErr) -> EditorialError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => EditorialError::NameTaken,
        _ => EditorialError::Db(e),
    }
}

/// Every topic, by name.
///
/// # Errors
/// Database failure.
pub async fn topics(db: &impl ConnectionTrait) -> Result<Vec<Topic>, EditorialError> {
    Ok(topic::Entity::find()
        .order_by_asc(topic::Column::Name)
        .all(db)
        .await?)
}

/// Creates a topic.
///
/// # Errors
/// [`EditorialError::NameTaken`], or `Invalid` for an empty name.
pub async fn create_topic(db: &impl ConnectionTrait, name: &str) -> Result<Topic, EditorialError> {
    let (name, slug) = topic_name(name)?;
    topic::ActiveModel {
        slug: Set(slug),
        name: Set(name.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(taken)
}

/// The name of a topic, checked: 1 to 80 characters that give a slug.
fn topic_name(name: &str) -> Result<(&str, String), EditorialError> {
    let name = name.trim();
    let slug = slugify(name);
    if slug.is_empty() || name.chars().count() > 80 || name.contains('\0') {
        return Err(EditorialError::Invalid(vec![crate::content::FieldError {
            field: "name".into(),
            message_key: "editor.error_topic_name",
        }]));
    }
    Ok((name, slug))
}

/// Renames a topic (its items and followers keep it).
///
/// # Errors
/// [`EditorialError::NotFound`], [`EditorialError::NameTaken`], or `Invalid` for a bad name.
pub async fn rename_topic(
    db: &impl ConnectionTrait,
    id: TopicId,
    name: &str,
) -> Result<Topic, EditorialError> {
    let (name, slug) = topic_name(name)?;
    let row = topic::Entity::find_by_id(id.get())
        .one(db)
        .await?
        .ok_or(EditorialError::NotFound)?;
    let mut active: topic::ActiveModel = row.into();
    active.name = Set(name.to_owned());
    active.slug = Set(slug);
    active.update(db).await.map_err(taken)
}

/// Removes a topic (items lose it; follows end).
///
/// # Errors
/// [`EditorialError::NotFound`] or database failure.
pub async fn delete_topic(db: &impl ConnectionTrait, id: TopicId) -> Result<(), EditorialError> {
    let id = id.get();
    let result = topic::Entity::delete_by_id(id).exec(db).await?;
    if result.rows_affected == 0 {
        return Err(EditorialError::NotFound);
    }
    Ok(())
}

/// Every campaign, by name.
///
/// # Errors
/// Database failure.
pub async fn campaigns(db: &impl ConnectionTrait) -> Result<Vec<Campaign>, EditorialError> {
    Ok(campaign::Entity::find()
        .order_by_asc(campaign::Column::Name)
        .all(db)
        .await?)
}

/// Creates a campaign.
///
/// # Errors
/// [`EditorialError::NameTaken`], or `Invalid` for an empty name.
pub async fn create_campaign(
    db: &impl ConnectionTrait,
    name: &str,
    description: &str,
) -> Result<Campaign, EditorialError> {
    let name = campaign_name(name)?;
    if description.contains('\0') {
        return Err(EditorialError::Invalid(vec![crate::content::FieldError {
            field: "description".into(),
            message_key: "editor.error_campaign_description",
        }]));
    }
    campaign::ActiveModel {
        name: Set(name.to_owned()),
        description: Set(description.trim().to_owned()),
        archived: Set(false),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(taken)
}

/// The name of a campaign, checked: 1 to 120 characters.
fn campaign_name(name: &str) -> Result<&str, EditorialError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 || name.contains('\0') {
        return Err(EditorialError::Invalid(vec![crate::content::FieldError {
            field: "name".into(),
            message_key: "editor.error_campaign_name",
        }]));
    }
    Ok(name)
}

/// What changes in a campaign (`None`: stays).
#[derive(Debug, Clone, Default)]
pub struct CampaignChange<'a> {
    /// A new name.
    pub name: Option<&'a str>,
    /// A new description.
    pub description: Option<&'a str>,
    /// Archived or reopened.
    pub archived: Option<bool>,
}

/// Changes a campaign's name, description or archived state (items keep it).
///
/// # Errors
/// [`EditorialError::NotFound`], [`EditorialError::NameTaken`], or `Invalid` for a bad name.
pub async fn change_campaign(
    db: &impl ConnectionTrait,
    id: CampaignId,
    change: &CampaignChange<'_>,
) -> Result<Campaign, EditorialError> {
    let name = change.name.map(campaign_name).transpose()?;
    if change.description.is_some_and(|d| d.contains('\0')) {
        return Err(EditorialError::Invalid(vec![crate::content::FieldError {
            field: "description".into(),
            message_key: "editor.error_campaign_description",
        }]));
    }
    let row = campaign::Entity::find_by_id(id.get())
        .one(db)
        .await?
        .ok_or(EditorialError::NotFound)?;
    let mut active: campaign::ActiveModel = row.into();
    if let Some(name) = name {
        active.name = Set(name.to_owned());
    }
    if let Some(description) = change.description {
        active.description = Set(description.trim().to_owned());
    }
    if let Some(archived) = change.archived {
        active.archived = Set(archived);
    }
    active.update(db).await.map_err(taken)
}

/// Archives or reopens a campaign (items keep it).
///
/// # Errors
/// [`EditorialError::NotFound`] or database failure.
pub async fn set_campaign_archived(
    db: &impl ConnectionTrait,
    id: CampaignId,
    archived: bool,
) -> Result<(), EditorialError> {
    let row = campaign::Entity::find_by_id(id.get())
        .one(db)
        .await?
        .ok_or(EditorialError::NotFound)?;
    let mut active: campaign::ActiveModel = row.into();
    active.archived = Set(archived);
    active.update(db).await?;
    Ok(())
}

/// The topics a person follows.
///
/// # Errors
/// Database failure.
pub async fn followed(
    db: &impl ConnectionTrait,
    user_id: UserId,
) -> Result<Vec<TopicId>, EditorialError> {
    let user_id = user_id.get();
    Ok(topic_follow::Entity::find()
        .filter(topic_follow::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|row| TopicId(row.topic_id))
        .collect())
}

/// Replaces the topics a person follows.
///
/// # Errors
/// Database failure.
pub async fn set_followed(
    db: &impl ConnectionTrait,
    user_id: UserId,
    topic_ids: &[TopicId],
) -> Result<(), EditorialError> {
    let user_id = user_id.get();
    topic_follow::Entity::delete_many()
        .filter(topic_follow::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let known: Vec<i32> = topics(db).await?.into_iter().map(|t| t.id).collect();
    // A form may name a topic twice (or a forged id): follow each known topic once.
    let mut wanted: Vec<i32> = topic_ids.iter().map(|id| id.get()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    for topic_id in wanted.iter().filter(|id| known.contains(id)) {
        topic_follow::ActiveModel {
            user_id: Set(user_id),
            topic_id: Set(*topic_id),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn slugs_are_lower_case_words_joined_by_hyphens() {
        assert_eq!(slugify("  Climate & Energy! "), "climate-energy");
        assert_eq!(slugify("Écologie"), "écologie");
        assert_eq!(slugify("!!!"), "");
    }
}
