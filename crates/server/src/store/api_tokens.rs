//! Tokens for the REST API. A token's value is shown once, when it is made; only its SHA-256
//! hash is kept (the value is 256 random bits: nothing can be guessed from a fast hash). A
//! revoked or expired token is refused from the next request on; its row stays for the owner's
//! list until they are erased (the rows go with them).

use chorus_policy::UserId;
use chorus_policy::tokens::{Scopes, TokenKind};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, Statement};
use sha2::Digest as _;

use super::StoreError;

/// A token as its owner's list shows it (never its value).
#[derive(Debug, Clone)]
pub struct TokenRow {
    /// Id.
    pub id: i32,
    /// Personal or service.
    pub kind: TokenKind,
    /// Who made it (a service token acts with its maker's roles).
    pub owner: UserId,
    /// The name its owner gave it.
    pub name: String,
    /// What it may do.
    pub scopes: Scopes,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working by itself, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last presented (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TokenRow {
    /// Whether it works at `now`.
    #[must_use]
    pub fn live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| at > now)
    }
}

/// A token to make.
#[derive(Debug)]
pub struct NewToken<'a> {
    /// Personal or service.
    pub kind: TokenKind,
    /// Who makes it.
    pub owner: UserId,
    /// Its name.
    pub name: &'a str,
    /// What it may do (checked against the owner's roles by the caller, with
    /// [`chorus_policy::tokens::check_grant`]).
    pub scopes: &'a Scopes,
    /// When it stops working by itself, if ever.
    pub expires_at: Option<DateTime<Utc>>,
}

fn kind_name(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Personal => "personal",
        TokenKind::Service => "service",
    }
}

fn hash(token: &str) -> String {
    format!("{:x}", sha2::Sha256::digest(token.as_bytes()))
}

/// Makes a token; returns its id and its value, which is never shown again.
///
/// # Errors
/// Database failure.
pub async fn create(
    db: &impl ConnectionTrait,
    new: &NewToken<'_>,
) -> Result<(i32, String), StoreError> {
    use base64::Engine as _;
    use rand::RngCore as _;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let prefix = match new.kind {
        TokenKind::Personal => "chorus_pat_",
        TokenKind::Service => "chorus_svc_",
    };
    let token = format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "INSERT INTO api_tokens (kind, owner_id, name, scopes, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            [
                kind_name(new.kind).into(),
                new.owner.get().into(),
                new.name.into(),
                new.scopes.to_stored().into(),
                hash(&token).into(),
                Utc::now().into(),
                new.expires_at.into(),
            ],
        ))
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok((row.try_get("", "id")?, token))
}

const COLUMNS: &str =
    "id, kind, owner_id, name, scopes, created_at, expires_at, last_used_at, revoked_at";

fn row_of(row: &sea_orm::QueryResult) -> Result<TokenRow, StoreError> {
    let kind: String = row.try_get("", "kind")?;
    let scopes: String = row.try_get("", "scopes")?;
    let corrupt = |what: &str| {
        StoreError::Db(sea_orm::DbErr::Type(format!(
            "api_tokens: the stored {what} is not valid"
        )))
    };
    Ok(TokenRow {
        id: row.try_get("", "id")?,
        kind: match kind.as_str() {
            "personal" => TokenKind::Personal,
            "service" => TokenKind::Service,
            _ => return Err(corrupt("kind")),
        },
        owner: UserId(row.try_get("", "owner_id")?),
        name: row.try_get("", "name")?,
        scopes: scopes.parse().map_err(|_| corrupt("scopes"))?,
        created_at: row.try_get("", "created_at")?,
        expires_at: row.try_get("", "expires_at")?,
        last_used_at: row.try_get("", "last_used_at")?,
        revoked_at: row.try_get("", "revoked_at")?,
    })
}

/// The tokens of `kind` made by `owner` (all service tokens when `owner` is `None`), newest
/// first.
///
/// # Errors
/// Database failure, or a stored row Chorus cannot read.
pub async fn list(
    db: &impl ConnectionTrait,
    kind: TokenKind,
    owner: Option<UserId>,
) -> Result<Vec<TokenRow>, StoreError> {
    let backend = db.get_database_backend();
    let statement = match owner {
        Some(owner) => Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT {COLUMNS} FROM api_tokens WHERE kind = $1 AND owner_id = $2 ORDER BY id DESC"
            ),
            [kind_name(kind).into(), owner.get().into()],
        ),
        None => Statement::from_sql_and_values(
            backend,
            format!("SELECT {COLUMNS} FROM api_tokens WHERE kind = $1 ORDER BY id DESC"),
            [kind_name(kind).into()],
        ),
    };
    db.query_all_raw(statement)
        .await?
        .iter()
        .map(row_of)
        .collect()
}

/// Revokes token `id` of `kind` (of `owner`, when given); whether there was such a live token.
///
/// # Errors
/// Database failure.
pub async fn revoke(
    db: &impl ConnectionTrait,
    kind: TokenKind,
    owner: Option<UserId>,
    id: i32,
) -> Result<bool, StoreError> {
    let backend = db.get_database_backend();
    let now = Utc::now();
    let statement = match owner {
        Some(owner) => Statement::from_sql_and_values(
            backend,
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND kind = $3 AND owner_id = $4 \
             AND revoked_at IS NULL",
            [
                now.into(),
                id.into(),
                kind_name(kind).into(),
                owner.get().into(),
            ],
        ),
        None => Statement::from_sql_and_values(
            backend,
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND kind = $3 AND revoked_at IS NULL",
            [now.into(), id.into(), kind_name(kind).into()],
        ),
    };
    Ok(db.execute_raw(statement).await?.rows_affected() == 1)
}

/// The live token whose value is `presented`, if any; its last use is recorded (at most once a
/// minute, so a burst of requests is not a burst of writes).
///
/// # Errors
/// Database failure.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    presented: &str,
    now: DateTime<Utc>,
) -> Result<Option<TokenRow>, StoreError> {
    let backend = db.get_database_backend();
    let Some(row) = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1"),
            [hash(presented).into()],
        ))
        .await?
    else {
        return Ok(None);
    };
    let token = row_of(&row)?;
    if !token.live(now) {
        return Ok(None);
    }
    if token
        .last_used_at
        .is_none_or(|at| now - at >= Duration::minutes(1))
    {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2",
            [now.into(), token.id.into()],
        ))
        .await?;
    }
    Ok(Some(token))
}
