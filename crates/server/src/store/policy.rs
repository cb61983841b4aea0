//! Queries on the policy tables: guidelines, consent receipts, visibility choices. (The audit
//! of statistics views is `chorus_statistics::audit`.)

use chorus_policy::PersonId;
use chorus_policy::consent::{ConsentReceipt, ConsentState, GuidelineVersion};
use chorus_policy::visibility::VisibilityChoices;
use chrono::Utc;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, ConnectionTrait, EntityTrait as _,
    QueryFilter as _, QueryOrder as _,
};

use super::StoreError;
use super::entities::{consent, guideline_version, visibility_choice};

pub use consent::Model as ConsentRow;
pub use guideline_version::Model as Guidelines;

/// The guidelines in force: the latest version, or version 1 from Chorus's defaults when the
/// organisation has not published any yet.
///
/// # Errors
/// Database failure.
pub async fn current_guidelines(db: &impl ConnectionTrait) -> Result<Guidelines, StoreError> {
    if let Some(latest) = guideline_version::Entity::find()
        .order_by_desc(guideline_version::Column::Version)
        .one(db)
        .await?
    {
        return Ok(latest);
    }
    guideline_version::Entity::insert(guideline_version::ActiveModel {
        version: Set(1),
        body_en: Set(chorus_policy::consent::default_guidelines("en").to_owned()),
        body_fr: Set(chorus_policy::consent::default_guidelines("fr").to_owned()),
        published_by: Set(None),
        published_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(guideline_version::Column::Version)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    guideline_version::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)
}

/// One version of the guidelines.
///
/// # Errors
/// Database failure.
pub async fn guidelines(
    db: &impl ConnectionTrait,
    version: i32,
) -> Result<Option<Guidelines>, StoreError> {
    Ok(guideline_version::Entity::find_by_id(version)
        .one(db)
        .await?)
}

/// Publishes a new version; every ambassador is asked to read and accept it again.
///
/// # Errors
/// Database failure (two editors publishing at once: one of them gets a conflict).
pub async fn publish_guidelines(
    db: &impl ConnectionTrait,
    body_en: &str,
    body_fr: &str,
    by: i32,
) -> Result<i32, StoreError> {
    let current = current_guidelines(db).await?;
    let version = current.version + 1;
    guideline_version::ActiveModel {
        version: Set(version),
        body_en: Set(body_en.to_owned()),
        body_fr: Set(body_fr.to_owned()),
        published_by: Set(Some(by)),
        published_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(version)
}

/// A person's consent receipts, oldest first.
///
/// # Errors
/// Database failure.
pub async fn receipts(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Vec<ConsentRow>, StoreError> {
    Ok(consent::Entity::find()
        .filter(consent::Column::UserId.eq(user_id))
        .order_by_asc(consent::Column::Id)
        .all(db)
        .await?)
}

/// The person's consent state, from their receipts.
///
/// # Errors
/// Database failure.
pub async fn consent_state(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<ConsentState, StoreError> {
    Ok(state_of(user_id, receipts(db, user_id).await?))
}

/// The consent state of each of `people`, read at once (the worker, for the owners of one
/// claim's shares).
///
/// # Errors
/// Database failure.
pub async fn consent_states(
    db: &impl ConnectionTrait,
    people: &[i32],
) -> Result<std::collections::HashMap<i32, ConsentState>, StoreError> {
    let mut each: std::collections::HashMap<i32, Vec<ConsentRow>> =
        people.iter().map(|p| (*p, Vec::new())).collect();
    for row in consent::Entity::find()
        .filter(consent::Column::UserId.is_in(people.iter().copied()))
        .order_by_asc(consent::Column::Id)
        .all(db)
        .await?
    {
        each.entry(row.user_id).or_default().push(row);
    }
    Ok(each
        .into_iter()
        .map(|(person, rows)| (person, state_of(person, rows)))
        .collect())
}

fn state_of(user_id: i32, rows: Vec<ConsentRow>) -> ConsentState {
    let person = PersonId(u64::try_from(user_id).unwrap_or_default());
    let receipts: Vec<ConsentReceipt> = rows
        .into_iter()
        .map(|row| ConsentReceipt {
            person,
            version: GuidelineVersion(u32::try_from(row.version).unwrap_or_default()),
            accepted_at: row.accepted_at.timestamp(),
            withdrawn_at: row.withdrawn_at.map(|t| t.timestamp()),
        })
        .collect();
    ConsentState::from_receipts(&receipts)
}

/// Records that the person accepted `version` now.
///
/// # Errors
/// Database failure.
pub async fn accept(
    db: &impl ConnectionTrait,
    user_id: i32,
    version: i32,
) -> Result<(), StoreError> {
    consent::ActiveModel {
        user_id: Set(user_id),
        version: Set(version),
        accepted_at: Set(Utc::now()),
        withdrawn_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Closes the person's open receipts: they withdrew now.
///
/// # Errors
/// Database failure.
pub async fn withdraw(db: &impl ConnectionTrait, user_id: i32) -> Result<u64, StoreError> {
    Ok(consent::Entity::update_many()
        .col_expr(consent::Column::WithdrawnAt, Expr::value(Utc::now()))
        .filter(consent::Column::UserId.eq(user_id))
        .filter(consent::Column::WithdrawnAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// The person's visibility choices (all off when never set).
///
/// # Errors
/// Database failure.
pub async fn choices(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<VisibilityChoices, StoreError> {
    Ok(visibility_choice::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map(|row| VisibilityChoices {
            be_named_in_statistics: row.be_named_in_statistics,
            show_name_on_shared_content: row.show_name_on_shared_content,
        })
        .unwrap_or_default())
}

/// Saves the person's visibility choices; they apply at once, to past figures too.
///
/// # Errors
/// Database failure.
pub async fn set_choices(
    db: &impl ConnectionTrait,
    user_id: i32,
    choices: VisibilityChoices,
) -> Result<(), StoreError> {
    visibility_choice::Entity::insert(visibility_choice::ActiveModel {
        user_id: Set(user_id),
        be_named_in_statistics: Set(choices.be_named_in_statistics),
        show_name_on_shared_content: Set(choices.show_name_on_shared_content),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(visibility_choice::Column::UserId)
            .update_columns([
                visibility_choice::Column::BeNamedInStatistics,
                visibility_choice::Column::ShowNameOnSharedContent,
                visibility_choice::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}
