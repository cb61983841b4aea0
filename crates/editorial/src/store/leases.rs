//! Task leases: a periodic task runs in one process at a time. A lease is taken when it is
//! free or expired, renewed by its holder, and lapses on its own if the holder dies.

use chrono::{Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait as _};

use super::entities::task_lease;
use crate::error::EditorialError;

/// Takes or renews the lease `name` for `holder` for `ttl`; `true` when `holder` now holds it.
///
/// # Errors
/// Database failure.
pub async fn acquire(
    db: &impl ConnectionTrait,
    name: &str,
    holder: &str,
    ttl: Duration,
) -> Result<bool, EditorialError> {
    let now = Utc::now();
    let row = task_lease::ActiveModel {
        name: Set(name.to_owned()),
        holder: Set(holder.to_owned()),
        expires_at: Set(now + ttl),
    };
    let taken = task_lease::Entity::insert(row)
        .on_conflict(
            OnConflict::column(task_lease::Column::Name)
                .update_columns([task_lease::Column::Holder, task_lease::Column::ExpiresAt])
                .action_and_where(
                    Expr::col((task_lease::Entity, task_lease::Column::ExpiresAt))
                        .lt(now)
                        .or(Expr::col((task_lease::Entity, task_lease::Column::Holder)).eq(holder)),
                )
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(taken == 1)
}
