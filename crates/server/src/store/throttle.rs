//! Queries on `sign_in_throttle`. The rule that turns failures into a wait lives in
//! `auth::throttle`; this module only counts.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait as _, ConnectionTrait, EntityTrait as _, QueryFilter as _,
    sea_query::{Expr, ExprTrait as _, OnConflict},
};

use super::StoreError;
use super::entities::sign_in_throttle as throttle;

pub use throttle::Model as ThrottleRow;

/// The counter for one key, if any.
///
/// # Errors
/// Database failure.
pub async fn get(db: &impl ConnectionTrait, key: &str) -> Result<Option<ThrottleRow>, StoreError> {
    Ok(throttle::Entity::find_by_id(key.to_owned()).one(db).await?)
}

/// Adds one failure to `key` atomically (several processes may count at once), starting a
/// fresh count when the last failure is older than `window`. Returns the new row.
///
/// # Errors
/// Database failure.
pub async fn add_failure(
    db: &impl ConnectionTrait,
    key: &str,
    window: Duration,
) -> Result<ThrottleRow, StoreError> {
    let now = Utc::now();
    let stale_before = now - window;
    // A stale counter starts again from one; a live one grows by one.
    throttle::Entity::delete_many()
        .filter(throttle::Column::Key.eq(key))
        .filter(throttle::Column::LastFailureAt.lt(stale_before))
        .filter(
            throttle::Column::BlockedUntil
                .is_null()
                .or(throttle::Column::BlockedUntil.lt(now)),
        )
        .exec(db)
        .await?;
    let row = throttle::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(1),
        last_failure_at: Set(now),
        blocked_until: Set(None),
    };
    throttle::Entity::insert(row)
        .on_conflict(
            OnConflict::column(throttle::Column::Key)
                .value(
                    throttle::Column::Failures,
                    Expr::col((throttle::Entity, throttle::Column::Failures)).add(1),
                )
                .value(throttle::Column::LastFailureAt, now)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    get(db, key).await?.ok_or(StoreError::NotFound)
}

/// Sets when the block on `key` ends.
///
/// # Errors
/// Database failure.
pub async fn block_until(
    db: &impl ConnectionTrait,
    key: &str,
    until: DateTime<Utc>,
) -> Result<(), StoreError> {
    throttle::Entity::update_many()
        .col_expr(throttle::Column::BlockedUntil, Expr::value(until))
        .filter(throttle::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets the failures of `key` (after a successful sign-in).
///
/// # Errors
/// Database failure.
pub async fn clear(db: &impl ConnectionTrait, key: &str) -> Result<(), StoreError> {
    throttle::Entity::delete_by_id(key.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets every counter whose key starts with `prefix` (an account's, from every address).
///
/// # Errors
/// Database failure.
pub async fn clear_prefix(db: &impl ConnectionTrait, prefix: &str) -> Result<u64, StoreError> {
    Ok(throttle::Entity::delete_many()
        .filter(throttle::Column::Key.starts_with(prefix))
        .exec(db)
        .await?
        .rows_affected)
}
