//! Organisation settings stored as key/value text.

use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait as _, sea_query::OnConflict};

use super::entities::org_setting;
use crate::error::EditorialError;
use crate::workflow::Rules;

const SECOND_APPROVAL: &str = "editorial.require_second_approval";

/// The workflow rules in force.
///
/// # Errors
/// Database failure.
pub async fn workflow_rules(db: &impl ConnectionTrait) -> Result<Rules, EditorialError> {
    let row = org_setting::Entity::find_by_id(SECOND_APPROVAL.to_owned())
        .one(db)
        .await?;
    Ok(Rules {
        require_second_approval: row.is_some_and(|r| r.value == "true"),
    })
}

/// Turns the second-approval rule on or off.
///
/// # Errors
/// Database failure.
pub async fn set_require_second_approval(
    db: &impl ConnectionTrait,
    on: bool,
) -> Result<(), EditorialError> {
    org_setting::Entity::insert(org_setting::ActiveModel {
        key: Set(SECOND_APPROVAL.to_owned()),
        value: Set(on.to_string()),
    })
    .on_conflict(
        OnConflict::column(org_setting::Column::Key)
            .update_column(org_setting::Column::Value)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// One organisation setting's raw text, if set.
///
/// # Errors
/// Database failure.
pub async fn get(db: &impl ConnectionTrait, key: &str) -> Result<Option<String>, EditorialError> {
    Ok(org_setting::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .map(|row| row.value))
}

/// Sets one organisation setting (checked by the caller).
///
/// # Errors
/// Database failure.
pub async fn set(db: &impl ConnectionTrait, key: &str, value: &str) -> Result<(), EditorialError> {
    org_setting::Entity::insert(org_setting::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.to_owned()),
    })
    .on_conflict(
        OnConflict::column(org_setting::Column::Key)
            .update_column(org_setting::Column::Value)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}
