//! Single sign-on with the company's OpenID Connect provider: its configuration (set by an
//! admin; the client secret sealed like network tokens), the sign-ins in progress, and who a
//! verified ID token is at Chorus: the person already linked to that subject, else the person
//! with that verified email (linked from now on), else a new ambassador, not opted in.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chorus_editorial::store::entities::org_setting;
use chorus_policy::{Role, Roles};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, ConnectionTrait, DatabaseConnection, EntityTrait as _,
    QueryFilter as _, Statement,
};
use sha2::Digest as _;

use crate::auth::oidc::{Identity, OidcError};
use crate::store::users::UserRow;
use crate::store::{self, StoreError};

const ISSUER: &str = "sso.issuer";
const CLIENT_ID: &str = "sso.client_id";
pub(crate) const CLIENT_SECRET: &str = "sso.client_secret";
const EMAIL_CLAIM: &str = "sso.email_claim";
const BREAK_GLASS: &str = "sso.passwords_only_for";
const GROUPS_CLAIM: &str = "sso.groups_claim";
const ROLE_MAP: &str = "sso.role_map";
const TEAM_CLAIM: &str = "sso.team_claim";

/// How long a sign-in may take at the provider.
pub const LOGIN_LIFETIME: chrono::Duration = chrono::Duration::minutes(10);

/// The provider as an admin configured it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoConfig {
    /// The issuer identifier (`https://id.example.com/realms/staff`).
    pub issuer: String,
    /// Chorus's client id there.
    pub client_id: String,
    /// Its secret, opened.
    pub client_secret: String,
    /// The claim that carries the email (`email` by default).
    pub email_claim: String,
    /// Roles from the provider's groups, when configured.
    pub mapping: Mapping,
}

/// Roles and team read from the provider at each sign-in, when an admin mapped them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    /// The claim listing the person's groups (`groups`).
    pub groups_claim: Option<String>,
    /// What each group gives.
    pub groups: GroupMap,
    /// The claim holding the person's team (`department`).
    pub team_claim: Option<String>,
}

/// What the company's groups give, as an admin typed it: used for the groups of an ID token and
/// for the groups a SCIM provider pushes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupMap {
    /// Group name -> the roles it gives (ambassador is everyone's).
    pub roles: Vec<(String, Roles)>,
    /// Group name -> the team it puts people in.
    pub teams: Vec<(String, String)>,
}

/// A line of the group map that does not read as `group = role, role` or `group = team: name`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "line {line}: write it as group = role (editor, analyst, admin, ambassador) or group = team: name"
)]
pub struct BadRoleMap {
    /// The line, from 1.
    pub line: usize,
}

impl GroupMap {
    /// Reads the map as typed: one `group = role, role` or `group = team: name` per line,
    /// blank lines ignored.
    ///
    /// # Errors
    /// The first line that does not read.
    pub fn parse(text: &str) -> Result<Self, BadRoleMap> {
        let mut map = Self::default();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let bad = BadRoleMap { line: i + 1 };
            let (group, given) = line.split_once('=').ok_or(bad.clone())?;
            let (group, given) = (group.trim(), given.trim());
            if group.is_empty() {
                return Err(bad);
            }
            let team = given
                .get(..5)
                .filter(|head| head.eq_ignore_ascii_case("team:"))
                .map(|_| given[5..].trim());
            match team {
                Some("") => return Err(bad),
                Some(team) => map.teams.push((group.to_owned(), team.to_owned())),
                None => {
                    let roles = Roles::parse_list(given).map_err(|_| bad.clone())?;
                    if roles.is_empty() {
                        return Err(bad);
                    }
                    map.roles.push((group.to_owned(), roles));
                }
            }
        }
        Ok(map)
    }

    /// The roles `groups` give, with ambassador.
    #[must_use]
    pub fn roles_for(&self, groups: &[&str]) -> Roles {
        let mut roles = Roles::from_iter([Role::Ambassador]);
        for (group, given) in &self.roles {
            if groups.iter().any(|g| g.eq_ignore_ascii_case(group)) {
                for role in given.iter() {
                    roles = roles.with(role);
                }
            }
        }
        roles
    }

    /// The team the first mapped group among `groups` gives.
    #[must_use]
    pub fn team_for(&self, groups: &[&str]) -> Option<String> {
        self.teams
            .iter()
            .find(|(group, _)| groups.iter().any(|g| g.eq_ignore_ascii_case(group)))
            .map(|(_, team)| team.clone())
    }
}

impl Mapping {
    fn groups_in<'a>(&self, claims: &'a serde_json::Value) -> Option<Vec<&'a str>> {
        let claim = self.groups_claim.as_deref()?;
        Some(match &claims[claim] {
            serde_json::Value::Array(list) => list.iter().filter_map(|g| g.as_str()).collect(),
            serde_json::Value::String(one) => vec![one.as_str()],
            _ => Vec::new(),
        })
    }

    /// The roles the groups in `claims` give, with ambassador; `None` when no groups claim is
    /// mapped or no group gives roles (roles are then managed in Chorus).
    #[must_use]
    pub fn roles_of(&self, claims: &serde_json::Value) -> Option<Roles> {
        if self.groups.roles.is_empty() {
            return None;
        }
        Some(self.groups.roles_for(&self.groups_in(claims)?))
    }

    /// The team in `claims` (the team claim, else a group mapped to a team), when mapped and
    /// present.
    #[must_use]
    pub fn team_of(&self, claims: &serde_json::Value) -> Option<String> {
        let claimed = self.team_claim.as_deref().and_then(|claim| {
            claims[claim]
                .as_str()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
        });
        claimed.or_else(|| self.groups.team_for(&self.groups_in(claims)?))
    }
}

/// The group map as stored (an unreadable one, which the admin page never saves, maps nothing).
///
/// # Errors
/// Database failure.
pub async fn group_map(db: &impl ConnectionTrait) -> Result<GroupMap, StoreError> {
    Ok(GroupMap::parse(&read(db, ROLE_MAP).await?.unwrap_or_default()).unwrap_or_default())
}

/// The vault's place for the sealed client secret.
fn secret_place() -> chorus_ambassador::vault::Place<'static> {
    chorus_ambassador::vault::Place {
        table: "org_settings",
        column: CLIENT_SECRET,
        row: 0,
    }
}

/// An organisation setting (blank counts as unset).
pub(crate) async fn read(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<String>, StoreError> {
    Ok(org_setting::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .map(|row| row.value)
        .filter(|v| !v.is_empty()))
}

/// Stores an organisation setting.
pub(crate) async fn write(
    db: &impl ConnectionTrait,
    key: &str,
    value: &str,
) -> Result<(), StoreError> {
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

/// The configuration, when an admin set one (and its secret still opens).
///
/// # Errors
/// Database failure.
pub async fn config(
    db: &impl ConnectionTrait,
    vault: &chorus_ambassador::vault::Vault,
) -> Result<Option<SsoConfig>, StoreError> {
    let (Some(issuer), Some(client_id), Some(sealed)) = (
        read(db, ISSUER).await?,
        read(db, CLIENT_ID).await?,
        read(db, CLIENT_SECRET).await?,
    ) else {
        return Ok(None);
    };
    let Ok(client_secret) = vault.open(secret_place(), &sealed) else {
        tracing::warn!("the single sign-on client secret does not open with the current key");
        return Ok(None);
    };
    Ok(Some(SsoConfig {
        issuer,
        client_id,
        client_secret,
        email_claim: read(db, EMAIL_CLAIM)
            .await?
            .unwrap_or_else(|| "email".to_owned()),
        mapping: Mapping {
            groups_claim: read(db, GROUPS_CLAIM).await?,
            groups: group_map(db).await?,
            team_claim: read(db, TEAM_CLAIM).await?,
        },
    }))
}

/// The mapping as the admin typed it: groups claim, role map, team claim.
///
/// # Errors
/// Database failure.
pub async fn stored_mapping(
    db: &impl ConnectionTrait,
) -> Result<(String, String, String), StoreError> {
    Ok((
        read(db, GROUPS_CLAIM).await?.unwrap_or_default(),
        read(db, ROLE_MAP).await?.unwrap_or_default(),
        read(db, TEAM_CLAIM).await?.unwrap_or_default(),
    ))
}

/// Stores the mapping (each empty: not mapped).
///
/// # Errors
/// Database failure.
pub async fn save_mapping(
    db: &impl ConnectionTrait,
    groups_claim: &str,
    role_map: &str,
    team_claim: &str,
) -> Result<(), StoreError> {
    write(db, GROUPS_CLAIM, groups_claim.trim()).await?;
    write(db, ROLE_MAP, role_map.trim()).await?;
    write(db, TEAM_CLAIM, team_claim.trim()).await
}

/// Stores the group map alone (from the provisioning page, where no sign-in is configured).
///
/// # Errors
/// The first line that does not read (nothing stored then), or a database failure.
pub async fn save_group_map(
    db: &impl ConnectionTrait,
    text: &str,
) -> Result<Result<GroupMap, BadRoleMap>, StoreError> {
    let map = match GroupMap::parse(text) {
        Ok(map) => map,
        Err(bad) => return Ok(Err(bad)),
    };
    write(db, ROLE_MAP, text.trim()).await?;
    Ok(Ok(map))
}

/// What the admin's form shows (never the secret).
///
/// # Errors
/// Database failure.
pub async fn stored(
    db: &impl ConnectionTrait,
) -> Result<(String, String, bool, String), StoreError> {
    Ok((
        read(db, ISSUER).await?.unwrap_or_default(),
        read(db, CLIENT_ID).await?.unwrap_or_default(),
        read(db, CLIENT_SECRET).await?.is_some(),
        read(db, EMAIL_CLAIM)
            .await?
            .unwrap_or_else(|| "email".to_owned()),
    ))
}

/// Stores the configuration; an empty `client_secret` keeps the stored one.
///
/// # Errors
/// Database failure.
pub async fn save(
    db: &DatabaseConnection,
    vault: &chorus_ambassador::vault::Vault,
    issuer: &str,
    client_id: &str,
    client_secret: &str,
    email_claim: &str,
) -> Result<(), StoreError> {
    let txn = chorus_editorial::store::begin_write(db).await?;
    write(&txn, ISSUER, issuer).await?;
    write(&txn, CLIENT_ID, client_id).await?;
    if !client_secret.is_empty() {
        write(
            &txn,
            CLIENT_SECRET,
            &vault.seal(secret_place(), client_secret),
        )
        .await?;
    }
    write(&txn, EMAIL_CLAIM, email_claim).await?;
    txn.commit().await?;
    Ok(())
}

/// The one account that may still sign in with a password once passwords are turned off
/// (the break-glass admin), or `None` while passwords work for everyone.
///
/// # Errors
/// Database failure.
pub async fn break_glass(db: &impl ConnectionTrait) -> Result<Option<String>, StoreError> {
    read(db, BREAK_GLASS).await
}

/// Turns passwords off for everyone but `email` (an active admin), or on again (`None`).
///
/// # Errors
/// Database failure.
pub async fn set_break_glass(
    db: &impl ConnectionTrait,
    email: Option<&str>,
) -> Result<(), StoreError> {
    write(db, BREAK_GLASS, email.unwrap_or_default()).await
}

/// A sign-in started: what is sent to the provider and kept to check its answer.
#[derive(Debug, Clone)]
pub struct Login {
    /// Sent as `state`, and kept in a cookie of the browser that started.
    pub state: String,
    /// Sent as `nonce`; the ID token must carry it.
    pub nonce: String,
    /// PKCE: kept here, its S256 hash sent.
    pub verifier: String,
    /// Where to go afterwards (a local path).
    pub next: Option<String>,
}

impl Login {
    /// The S256 code challenge of the verifier.
    #[must_use]
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(self.verifier.as_bytes()))
    }
}

fn random_token() -> String {
    use rand::RngCore as _;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Starts a sign-in: new state, nonce and verifier, kept for [`LOGIN_LIFETIME`].
///
/// # Errors
/// Database failure.
pub async fn begin(db: &impl ConnectionTrait, next: Option<&str>) -> Result<Login, StoreError> {
    let login = Login {
        state: random_token(),
        nonce: random_token(),
        verifier: random_token(),
        next: next.map(str::to_owned),
    };
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "INSERT INTO oidc_logins (state, nonce, pkce_verifier, next, created_at) VALUES ($1, $2, $3, $4, $5)",
        [
            login.state.clone().into(),
            login.nonce.clone().into(),
            login.verifier.clone().into(),
            login.next.clone().into(),
            Utc::now().into(),
        ],
    ))
    .await?;
    Ok(login)
}

/// Takes the sign-in `state` started, once: a second callback with the same state (a replayed
/// answer) finds nothing. `None` when unknown, used or expired.
///
/// # Errors
/// Database failure.
pub async fn take(
    db: &impl ConnectionTrait,
    state: &str,
    now: DateTime<Utc>,
) -> Result<Option<Login>, StoreError> {
    let backend = db.get_database_backend();
    let Some(row) = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT state, nonce, pkce_verifier, next, created_at FROM oidc_logins WHERE state = $1",
            [state.into()],
        ))
        .await?
    else {
        return Ok(None);
    };
    let deleted = db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "DELETE FROM oidc_logins WHERE state = $1",
            [state.into()],
        ))
        .await?
        .rows_affected();
    let created: DateTime<Utc> = row.try_get("", "created_at")?;
    if deleted != 1 || now - created > LOGIN_LIFETIME {
        return Ok(None);
    }
    Ok(Some(Login {
        state: row.try_get("", "state")?,
        nonce: row.try_get("", "nonce")?,
        verifier: row.try_get("", "pkce_verifier")?,
        next: row.try_get("", "next")?,
    }))
}

/// Removes sign-ins that were never finished.
///
/// # Errors
/// Database failure.
pub async fn purge(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, StoreError> {
    Ok(db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "DELETE FROM oidc_logins WHERE created_at < $1",
            [(now - LOGIN_LIFETIME).into()],
        ))
        .await?
        .rows_affected())
}

/// Why a verified identity does not sign anyone in.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    /// The provider or its token was refused.
    #[error(transparent)]
    Oidc(#[from] OidcError),
    /// The token carries no usable email in the configured claim.
    #[error("the identity provider sent no email in the claim {0:?}")]
    NoEmail(String),
    /// The email is not verified at the provider, and an account with it exists: linking would
    /// let whoever typed that address take the account over.
    #[error("the identity provider has not verified this email")]
    Unverified,
    /// The account was deactivated.
    #[error("this account was deactivated")]
    Deactivated,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Changing the person's roles or team failed.
    #[error(transparent)]
    Account(crate::accounts::AccountError),
}

/// The person a verified identity signs in: linked by subject, else by verified email (and
/// linked), else created as an ambassador who has not opted in.
///
/// # Errors
/// [`SsoError`].
pub async fn person(
    db: &DatabaseConnection,
    config: &SsoConfig,
    identity: &Identity,
) -> Result<UserRow, SsoError> {
    use store::entities::user;
    let subject = format!("{}|{}", config.issuer, identity.subject);
    let linked = user::Entity::find()
        .filter(user::Column::OidcSubject.eq(subject.as_str()))
        .one(db)
        .await
        .map_err(StoreError::from)?;
    let row = if let Some(row) = linked {
        row
    } else {
        let email = identity.claims[config.email_claim.as_str()]
            .as_str()
            .and_then(|e| crate::accounts::Email::parse(e).ok())
            .ok_or_else(|| SsoError::NoEmail(config.email_claim.clone()))?;
        let verified = identity.claims["email_verified"].as_bool() != Some(false);
        match store::users::by_email(db, email.as_str()).await? {
            Some(existing) if !verified => {
                let _ = existing;
                return Err(SsoError::Unverified);
            }
            Some(existing) => existing,
            None => {
                let name = identity.claims["name"]
                    .as_str()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| email.as_str().split('@').next().unwrap_or("colleague"))
                    .to_owned();
                store::users::insert(
                    db,
                    store::users::NewUserRow {
                        email: email.as_str(),
                        display_name: &name,
                        password_hash: None,
                        roles: Roles::from_iter([Role::Ambassador]),
                    },
                )
                .await?
            }
        }
    };
    if !row.active {
        return Err(SsoError::Deactivated);
    }
    let mut row = row;
    if let Some(roles) = config.mapping.roles_of(&identity.claims)
        && roles != row.roles.0
    {
        // The provider's groups decide; the last active admin is never demoted this way.
        match crate::accounts::set_roles(db, row.id, roles).await {
            Ok(updated) => row = updated,
            Err(crate::accounts::AccountError::LastAdmin) => {
                tracing::warn!(
                    user_id = row.id,
                    "the provider's groups would remove the last admin: roles kept"
                );
            }
            Err(e) => return Err(SsoError::Account(e)),
        }
    }
    if let Some(team) = config.mapping.team_of(&identity.claims)
        && row.team.as_deref() != Some(team.as_str())
    {
        row = store::users::set_team(db, row.id, Some(team)).await?;
    }
    if row.oidc_subject.as_deref() != Some(subject.as_str()) {
        user::Entity::update_many()
            .col_expr(
                user::Column::OidcSubject,
                sea_orm::sea_query::Expr::value(subject.clone()),
            )
            .filter(user::Column::Id.eq(row.id))
            .exec(db)
            .await
            .map_err(StoreError::from)?;
    }
    Ok(row)
}

#[cfg(test)]
mod tests;
