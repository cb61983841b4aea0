//! Queries on `sessions`.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, ConnectionTrait, EntityTrait as _,
    QueryFilter as _,
};

use super::StoreError;
use super::entities::{session, user};

/// Stores a new session under the hash of its secret.
///
/// # Errors
/// Database failure.
pub async fn insert(
    db: &impl ConnectionTrait,
    id_hash: &str,
    user_id: i32,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    session::ActiveModel {
        id: Set(id_hash.to_owned()),
        user_id: Set(user_id),
        created_at: Set(Utc::now()),
        expires_at: Set(expires_at),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The active user behind a session, with the session's end (which may have passed): what
/// the request memo keeps, checking the end at each use.
///
/// # Errors
/// Database failure.
pub async fn session_user(
    db: &impl ConnectionTrait,
    id_hash: &str,
) -> Result<Option<(user::Model, DateTime<Utc>)>, StoreError> {
    let Some(found) = session::Entity::find_by_id(id_hash.to_owned())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(user::Entity::find_by_id(found.user_id)
        .filter(user::Column::Active.eq(true))
        .one(db)
        .await?
        .map(|user| (user, found.expires_at)))
}

/// Ends one session.
///
/// # Errors
/// Database failure.
pub async fn delete(db: &impl ConnectionTrait, id_hash: &str) -> Result<(), StoreError> {
    session::Entity::delete_by_id(id_hash.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of one account except, optionally, the one in use.
///
/// # Errors
/// Database failure.
pub async fn delete_for_user(
    db: &impl ConnectionTrait,
    user_id: i32,
    keep: Option<&str>,
) -> Result<u64, StoreError> {
    let mut query = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        query = query.filter(session::Column::Id.ne(keep));
    }
    Ok(query.exec(db).await?.rows_affected)
}

/// Removes expired sessions; returns how many.
///
/// # Errors
/// Database failure.
pub async fn purge_expired(db: &impl ConnectionTrait) -> Result<u64, StoreError> {
    Ok(session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lte(Utc::now()))
        .exec(db)
        .await?
        .rows_affected)
}
