//! Queries on `users`.

use crate::store::entities::RolesColumn;
use chorus_policy::{Role, Roles};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, ConnectionTrait, EntityTrait as _,
    PaginatorTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _, SqlErr,
};

use super::StoreError;
use super::entities::{session, user};

pub use user::Model as UserRow;

/// What it takes to create an account.
#[derive(Debug)]
pub struct NewUserRow<'a> {
    /// Lower-cased email.
    pub email: &'a str,
    /// Name shown to colleagues.
    pub display_name: &'a str,
    /// Argon2id PHC string; none for someone who only signs in through the company's
    /// identity provider.
    pub password_hash: Option<&'a str>,
    /// Roles held.
    pub roles: Roles,
}

/// How many accounts exist.
///
/// # Errors
/// Database failure.
pub async fn count(db: &impl ConnectionTrait) -> Result<u64, StoreError> {
    Ok(user::Entity::find().count(db).await?)
}

/// Creates an account.
///
/// # Errors
/// [`StoreError::EmailTaken`] when the email is in use.
pub async fn insert(db: &impl ConnectionTrait, new: NewUserRow<'_>) -> Result<UserRow, StoreError> {
    let now = Utc::now();
    let row = user::ActiveModel {
        email: Set(new.email.to_owned()),
        display_name: Set(new.display_name.to_owned()),
        password_hash: Set(new.password_hash.map(str::to_owned)),
        roles: Set(RolesColumn(new.roles)),
        team: Set(None),
        locale: Set(None),
        active: Set(true),
        last_sign_in_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    row.insert(db).await.map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::EmailTaken,
        _ => StoreError::Db(e),
    })
}

/// The account with this (lower-cased) email.
///
/// # Errors
/// Database failure.
pub async fn by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<UserRow>, StoreError> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?)
}

/// The account with this id.
///
/// # Errors
/// Database failure.
pub async fn by_id(db: &impl ConnectionTrait, id: i32) -> Result<Option<UserRow>, StoreError> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

/// Which of `ids` are active accounts (the worker, for the owners of one claim's shares).
///
/// # Errors
/// Database failure.
pub async fn active_among(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<std::collections::HashSet<i32>, StoreError> {
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .filter(user::Column::Active.eq(true))
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// Every account, by name.
///
/// # Errors
/// Database failure.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<UserRow>, StoreError> {
    Ok(user::Entity::find()
        .order_by_asc(user::Column::DisplayName)
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?)
}

/// What the admins' table of accounts asks for.
#[derive(Debug, Default)]
pub struct Search<'a> {
    /// Part of a name or email, any case; empty for everyone.
    pub text: &'a str,
    /// Only people holding this role.
    pub role: Option<Role>,
    /// Only active (`true`) or deactivated (`false`) accounts.
    pub active: Option<bool>,
    /// Only people after this one in the order (name, id): a page's keyset cursor.
    pub after: Option<(&'a str, i32)>,
    /// Rows to skip.
    pub offset: u64,
    /// Rows to return.
    pub limit: u64,
}

/// One page of the accounts matching `search`, by name, and how many match in all.
///
/// # Errors
/// Database failure.
pub async fn search(
    db: &impl ConnectionTrait,
    search: &Search<'_>,
) -> Result<(Vec<UserRow>, u64), StoreError> {
    use sea_orm::sea_query::{Expr, ExprTrait as _, Func, LikeExpr};
    let mut query = user::Entity::find();
    let text = search.text.trim().to_lowercase();
    if !text.is_empty() {
        let escaped: String = text
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let pattern = || LikeExpr::new(format!("%{escaped}%")).escape('\\');
        query = query.filter(
            sea_orm::Condition::any()
                .add(Expr::col(user::Column::Email).like(pattern()))
                .add(Expr::expr(Func::lower(Expr::col(user::Column::DisplayName))).like(pattern()))
                .add(Expr::expr(Func::lower(Expr::col(user::Column::Team))).like(pattern())),
        );
    }
    if let Some(role) = search.role {
        // Role names are stored as a comma list; no name is part of another.
        query = query.filter(user::Column::Roles.like(format!("%{}%", role.as_str())));
    }
    if let Some(active) = search.active {
        query = query.filter(user::Column::Active.eq(active));
    }
    let total = query.clone().count(db).await?;
    if let Some((name, id)) = search.after {
        query = query.filter(
            sea_orm::Condition::any()
                .add(user::Column::DisplayName.gt(name))
                .add(
                    sea_orm::Condition::all()
                        .add(user::Column::DisplayName.eq(name))
                        .add(user::Column::Id.gt(id)),
                ),
        );
    }
    let rows = query
        .order_by_asc(user::Column::DisplayName)
        .order_by_asc(user::Column::Id)
        .offset(search.offset)
        .limit(search.limit)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// Notes that `id` signed in at `at` (their other fields, and `updated_at`, stay).
///
/// # Errors
/// Database failure.
pub async fn record_sign_in(
    db: &impl ConnectionTrait,
    id: i32,
    at: chrono::DateTime<Utc>,
) -> Result<(), StoreError> {
    user::Entity::update_many()
        .col_expr(
            user::Column::LastSignInAt,
            sea_orm::sea_query::Expr::value(at),
        )
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The distinct team names, for the statistics filter.
///
/// # Errors
/// Database failure.
pub async fn teams(db: &impl ConnectionTrait) -> Result<Vec<String>, StoreError> {
    // The names only, once each: an organisation of thousands has a handful of teams.
    let mut teams: Vec<String> = user::Entity::find()
        .select_only()
        .column(user::Column::Team)
        .distinct()
        .filter(user::Column::Team.is_not_null())
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect();
    teams.sort();
    Ok(teams)
}

/// Sets (or clears, with `None`) the team of an account.
///
/// # Errors
/// [`StoreError::NotFound`] or database failure.
pub async fn set_team(
    db: &impl ConnectionTrait,
    id: i32,
    team: Option<String>,
) -> Result<UserRow, StoreError> {
    update(db, id, |row| row.team = Set(team)).await
}

async fn update(
    db: &impl ConnectionTrait,
    id: i32,
    change: impl FnOnce(&mut user::ActiveModel),
) -> Result<UserRow, StoreError> {
    let row = by_id(db, id).await?.ok_or(StoreError::NotFound)?;
    let mut active: user::ActiveModel = row.into();
    change(&mut active);
    active.updated_at = Set(Utc::now());
    Ok(active.update(db).await?)
}

/// Replaces the roles of an account.
///
/// # Errors
/// [`StoreError::NotFound`] or database failure.
pub async fn set_roles(
    db: &impl ConnectionTrait,
    id: i32,
    roles: Roles,
) -> Result<UserRow, StoreError> {
    update(db, id, |u| u.roles = Set(RolesColumn(roles))).await
}

/// Replaces the password hash of an account.
///
/// # Errors
/// [`StoreError::NotFound`] or database failure.
pub async fn set_password_hash(
    db: &impl ConnectionTrait,
    id: i32,
    hash: &str,
) -> Result<UserRow, StoreError> {
    let hash = hash.to_owned();
    update(db, id, |u| u.password_hash = Set(Some(hash))).await
}

/// Sets the preferred language (`None` follows the browser).
///
/// # Errors
/// [`StoreError::NotFound`] or database failure.
pub async fn set_locale(
    db: &impl ConnectionTrait,
    id: i32,
    locale: Option<&str>,
) -> Result<UserRow, StoreError> {
    let locale = locale.map(str::to_owned);
    update(db, id, |u| u.locale = Set(locale)).await
}

/// Deactivates or reactivates an account. Deactivation ends every session of that account in
/// the same transaction, so no browser stays signed in.
///
/// # Errors
/// [`StoreError::NotFound`] or database failure.
pub async fn set_active(
    db: &sea_orm::DatabaseConnection,
    id: i32,
    active: bool,
) -> Result<UserRow, StoreError> {
    let txn = chorus_editorial::store::begin_write(db).await?;
    // The write comes first: on SQLite a transaction that reads before it writes cannot wait
    // for another writer (it fails at once with "database is locked"); one that writes first
    // waits its turn.
    let changed = user::Entity::update_many()
        .col_expr(
            user::Column::Active,
            sea_orm::sea_query::Expr::value(active),
        )
        .col_expr(
            user::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(user::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    let row = by_id(&txn, id).await?.ok_or(StoreError::NotFound)?;
    if !active {
        session::Entity::delete_many()
            .filter(session::Column::UserId.eq(id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(row)
}

/// Display names by account id (for "who did what" in histories).
///
/// # Errors
/// Database failure.
pub async fn names(
    db: &impl ConnectionTrait,
) -> Result<std::collections::HashMap<i32, String>, StoreError> {
    Ok(user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

/// Erases an account: the row goes, and with it (by cascade) sessions, consent receipts,
/// visibility choices and topic follows; authored content keeps existing without an author;
/// the person's id leaves every audit entry; their sign-in counter goes. On SQLite the write-
/// ahead log is checkpointed so no old page with their data stays on disk.
///
/// # Errors
/// [`StoreError::NotFound`] or database failure.
pub async fn erase(
    db: &sea_orm::DatabaseConnection,
    secret: &[u8; 32],
    id: i32,
) -> Result<(), StoreError> {
    use sea_orm::ConnectionTrait as _;
    use sea_orm::sea_query::Expr;

    let txn = chorus_editorial::store::begin_write(db).await?;
    let row = by_id(&txn, id).await?.ok_or(StoreError::NotFound)?;
    // `suggested_by` has no foreign key (it was added to an existing table).
    {
        use chorus_editorial::store::entities::content_item;
        content_item::Entity::update_many()
            .col_expr(
                content_item::Column::SuggestedBy,
                Expr::value(Option::<i32>::None),
            )
            .filter(content_item::Column::SuggestedBy.eq(id))
            .exec(&txn)
            .await?;
    }
    chorus_statistics::audit::forget(&txn, chorus_policy::UserId(id)).await?;
    super::throttle::clear_prefix(
        &txn,
        &crate::auth::throttle::account_prefix(secret, &row.email),
    )
    .await?;
    user::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await?;
    }
    Ok(())
}
