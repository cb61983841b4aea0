//! "Not for me": an ambassador passes on an item, with an optional reason. Editors see only
//! anonymous counts per reason, under the minimum group size; the person can take it back.

use chrono::Utc;
use sea_orm::{ConnectionTrait, Statement};

use super::StoreError;

/// The reasons one may give; `none` when they gave none.
pub const REASONS: [&str; 5] = [
    "not_relevant",
    "not_my_voice",
    "wrong_timing",
    "other",
    "none",
];

/// Records (or replaces) the person's pass on an item. An unknown reason counts as `none`.
///
/// # Errors
/// Database failure.
pub async fn pass(
    db: &impl ConnectionTrait,
    item_id: i32,
    user_id: i32,
    reason: &str,
) -> Result<(), StoreError> {
    let reason = REASONS
        .iter()
        .find(|r| **r == reason)
        .copied()
        .unwrap_or("none");
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "INSERT INTO item_passes (item_id, user_id, reason, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (item_id, user_id) DO UPDATE SET reason = excluded.reason, created_at = excluded.created_at",
        [item_id.into(), user_id.into(), reason.into(), Utc::now().into()],
    ))
    .await?;
    Ok(())
}

/// Takes the person's pass back.
///
/// # Errors
/// Database failure.
pub async fn unpass(
    db: &impl ConnectionTrait,
    item_id: i32,
    user_id: i32,
) -> Result<(), StoreError> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "DELETE FROM item_passes WHERE item_id = $1 AND user_id = $2",
        [item_id.into(), user_id.into()],
    ))
    .await?;
    Ok(())
}

/// The reason the person gave when they passed on the item, if they did.
///
/// # Errors
/// Database failure.
pub async fn reason(
    db: &impl ConnectionTrait,
    item_id: i32,
    user_id: i32,
) -> Result<Option<String>, StoreError> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT reason FROM item_passes WHERE item_id = $1 AND user_id = $2",
            [item_id.into(), user_id.into()],
        ))
        .await?;
    Ok(match row {
        Some(row) => Some(row.try_get("", "reason")?),
        None => None,
    })
}

/// Every pass on an item by people currently opted in, as `(person, reason)`, for the
/// minimum-group-size table editors see.
///
/// # Errors
/// Database failure.
pub async fn for_item(
    db: &impl ConnectionTrait,
    item_id: i32,
) -> Result<Vec<(i32, String)>, StoreError> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT user_id, reason FROM item_passes WHERE item_id = $1 \
             AND user_id IN (SELECT user_id FROM consents WHERE withdrawn_at IS NULL)",
            [item_id.into()],
        ))
        .await?;
    let mut out = Vec::new();
    for row in rows {
        out.push((row.try_get("", "user_id")?, row.try_get("", "reason")?));
    }
    Ok(out)
}

/// The person's own passes, for their export: `(item id, reason)`.
///
/// # Errors
/// Database failure.
pub async fn of_person(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Vec<(i32, String)>, StoreError> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT item_id, reason FROM item_passes WHERE user_id = $1 ORDER BY item_id",
            [user_id.into()],
        ))
        .await?;
    let mut out = Vec::new();
    for row in rows {
        out.push((row.try_get("", "item_id")?, row.try_get("", "reason")?));
    }
    Ok(out)
}
