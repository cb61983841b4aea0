//! People as SCIM `User` resources: what a provider's JSON becomes, what Chorus serves back,
//! and the effects of each change (deactivation and deletion included).

use std::collections::HashMap;

use chorus_policy::{Role, Roles, UserId};
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait as _, Func};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, EntityTrait as _, QueryFilter as _, QueryOrder as _, SqlErr,
};
use serde_json::{Map, Value, json};

use super::filter::{Filter, get};
use super::{ENTERPRISE_SCHEMA, ScimError, USER_SCHEMA, meta, text};
use crate::accounts::{DisplayName, Email};
use crate::app::App;
use crate::store::entities::user;
use crate::store::{self, users::UserRow};

/// What a `User` body (POST, PUT, or the result of a PATCH) says a person is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInput {
    /// The provider's `userName`, as sent.
    pub user_name: String,
    /// Their email: the primary (else work, else first) of `emails`, else `userName`.
    pub email: Email,
    /// `displayName`, else `name.formatted`, else given and family names, else the email's
    /// local part.
    pub display_name: DisplayName,
    /// `active` (true when absent; `"False"` as Entra sends it counts).
    pub active: bool,
    /// `externalId` when the body has the attribute (`Some(None)`: null, cleared); `None`
    /// when it does not (kept: a provider that leaves it out of a PUT still finds the person).
    pub external_id: Option<Option<String>>,
    /// The enterprise extension's `department`, their team, when the body has the extension
    /// (`Some(None)` clears it); `None` when it does not (the team stays as it is: an admin or
    /// a group may have set it).
    pub team: Option<Option<String>>,
}

fn boolean(value: Option<&Value>) -> Result<Option<bool>, ScimError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(ScimError::bad(
            "invalidValue",
            "active is true or false".to_owned(),
        )),
    }
}

/// Reads a `User` body.
///
/// # Errors
/// `invalidValue` for a missing `userName`, no usable email or an unusable name.
pub fn read(body: &Value) -> Result<UserInput, ScimError> {
    let user_name = text(body, "userName").ok_or_else(|| {
        ScimError::bad(
            "invalidValue",
            "userName is required (Chorus uses the person's email)".to_owned(),
        )
    })?;
    let emails: Vec<&Value> = match get(body, "emails") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    let chosen = emails
        .iter()
        .find(|e| boolean(get(e, "primary")).ok().flatten() == Some(true))
        .or_else(|| {
            emails
                .iter()
                .find(|e| text(e, "type").is_some_and(|t| t.eq_ignore_ascii_case("work")))
        })
        .or_else(|| emails.first())
        .and_then(|e| text(e, "value"));
    let email = Email::parse(chosen.as_deref().unwrap_or(&user_name)).map_err(|_| {
        ScimError::bad(
            "invalidValue",
            "Chorus needs an email address: send it in emails (primary or work) or as userName"
                .to_owned(),
        )
    })?;
    let name = get(body, "name");
    let display = text(body, "displayName")
        .or_else(|| name.and_then(|n| text(n, "formatted")))
        .or_else(|| {
            let given = name.and_then(|n| text(n, "givenName"));
            let family = name.and_then(|n| text(n, "familyName"));
            match (given, family) {
                (None, None) => None,
                (g, f) => Some([g, f].into_iter().flatten().collect::<Vec<_>>().join(" ")),
            }
        })
        .unwrap_or_else(|| {
            email
                .as_str()
                .split('@')
                .next()
                .unwrap_or_default()
                .to_owned()
        });
    let display_name = DisplayName::parse(&display).map_err(|_| {
        ScimError::bad(
            "invalidValue",
            "displayName is 1 to 100 characters, without control characters".to_owned(),
        )
    })?;
    let team = get(body, ENTERPRISE_SCHEMA).map(|ext| text(ext, "department"));
    Ok(UserInput {
        user_name,
        email,
        display_name,
        active: boolean(get(body, "active"))?.unwrap_or(true),
        external_id: get(body, "externalId").map(|_| text(body, "externalId")),
        team,
    })
}

/// A group a person is in: id and name.
pub type Membership = (i32, String);

/// What Chorus serves for a person.
#[must_use]
pub fn resource(row: &UserRow, groups: &[Membership], base: &str) -> Value {
    let mut out = Map::new();
    out.insert("schemas".into(), json!([USER_SCHEMA, ENTERPRISE_SCHEMA]));
    out.insert("id".into(), Value::from(row.id.to_string()));
    if let Some(external) = &row.scim_external_id {
        out.insert("externalId".into(), Value::from(external.clone()));
    }
    out.insert(
        "userName".into(),
        Value::from(
            row.scim_user_name
                .clone()
                .unwrap_or_else(|| row.email.clone()),
        ),
    );
    out.insert("displayName".into(), Value::from(row.display_name.clone()));
    out.insert("active".into(), Value::from(row.active));
    out.insert("emails".into(), json!([{ "value": row.email }]));
    if let Some(team) = &row.team {
        out.insert(ENTERPRISE_SCHEMA.into(), json!({ "department": team }));
    }
    if !groups.is_empty() {
        out.insert(
            "groups".into(),
            Value::Array(
                groups
                    .iter()
                    .map(|(id, name)| {
                        json!({"value": id.to_string(), "display": name,
                               "$ref": format!("{base}/Groups/{id}")})
                    })
                    .collect(),
            ),
        );
    }
    out.insert(
        "meta".into(),
        meta(
            "User",
            format!("{base}/Users/{}", row.id),
            row.created_at,
            row.updated_at,
        ),
    );
    Value::Object(out)
}

/// The groups of every person (or of one), by person.
///
/// # Errors
/// Database failure.
pub async fn memberships(
    db: &impl ConnectionTrait,
    only: Option<i32>,
) -> Result<HashMap<i32, Vec<Membership>>, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let sql = "SELECT m.user_id AS user_id, g.id AS id, g.display_name AS name \
               FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id";
    let statement = match only {
        Some(id) => sea_orm::Statement::from_sql_and_values(
            backend,
            format!("{sql} WHERE m.user_id = $1 ORDER BY g.display_name"),
            [id.into()],
        ),
        None => sea_orm::Statement::from_string(backend, format!("{sql} ORDER BY g.display_name")),
    };
    let mut out: HashMap<i32, Vec<Membership>> = HashMap::new();
    for row in db.query_all_raw(statement).await? {
        out.entry(row.try_get("", "user_id")?)
            .or_default()
            .push((row.try_get("", "id")?, row.try_get("", "name")?));
    }
    Ok(out)
}

/// The person with this SCIM id.
///
/// # Errors
/// `404` for an id that is not a person's.
pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<UserRow, ScimError> {
    let id: i32 = id.parse().map_err(|_| ScimError::not_found("this User"))?;
    store::users::by_id(db, id)
        .await?
        .ok_or_else(|| ScimError::not_found("this User"))
}

/// One person as served.
///
/// # Errors
/// Database failure.
pub async fn one(db: &impl ConnectionTrait, row: &UserRow, base: &str) -> Result<Value, ScimError> {
    let groups = memberships(db, Some(row.id))
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    Ok(resource(row, &groups, base))
}

/// Every person matching `filter`, as served. `userName eq` and `externalId eq` (what
/// providers ask before each create) are answered from the database's indexes; any other
/// filter is evaluated on the served representation.
///
/// # Errors
/// Database failure.
pub async fn all(
    db: &impl ConnectionTrait,
    filter: Option<&Filter>,
    base: &str,
) -> Result<Vec<Value>, ScimError> {
    let mut query = user::Entity::find().order_by_asc(user::Column::Id);
    if let Some(name) = filter.and_then(|f| f.equality_on("userName")) {
        let lowered = name.trim().to_lowercase();
        query = query.filter(
            sea_orm::Condition::any()
                .add(
                    Expr::expr(Func::lower(Expr::col(user::Column::ScimUserName)))
                        .eq(lowered.clone()),
                )
                .add(
                    sea_orm::Condition::all()
                        .add(user::Column::ScimUserName.is_null())
                        .add(user::Column::Email.eq(lowered)),
                ),
        );
    } else if let Some(external) = filter.and_then(|f| f.equality_on("externalId")) {
        query = query.filter(user::Column::ScimExternalId.eq(external));
    }
    let rows = query.all(db).await?;
    let groups = memberships(db, None).await?;
    let all: Vec<Value> = rows
        .iter()
        .map(|row| {
            resource(
                row,
                groups.get(&row.id).map_or(&[][..], Vec::as_slice),
                base,
            )
        })
        .filter(|resource| filter.is_none_or(|f| f.matches(resource)))
        .collect();
    Ok(all)
}

/// Writes what a provider says about a person (not `active`: see [`set_active`]).
async fn write(db: &impl ConnectionTrait, id: i32, input: &UserInput) -> Result<(), ScimError> {
    // Kept as sent unless it is exactly the email (an Entra userName often differs in case).
    let user_name = (input.user_name != input.email.as_str()).then(|| input.user_name.clone());
    let mut update = user::Entity::update_many();
    if let Some(team) = &input.team {
        update = update.col_expr(user::Column::Team, Expr::value(team.clone()));
    }
    if let Some(external) = &input.external_id {
        update = update.col_expr(user::Column::ScimExternalId, Expr::value(external.clone()));
    }
    update
        .col_expr(user::Column::Email, Expr::value(input.email.as_str()))
        .col_expr(
            user::Column::DisplayName,
            Expr::value(input.display_name.as_str()),
        )
        .col_expr(user::Column::ScimUserName, Expr::value(user_name))
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await
        .map_err(|e| match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => ScimError::taken(format!(
                "another person already has the email {} in Chorus",
                input.email.as_str()
            )),
            _ => e.into(),
        })?;
    Ok(())
}

/// Creates a person: an ambassador who has not opted in (the guidelines still ask them at
/// their first sign-in), with no password (they sign in through the company's provider).
///
/// # Errors
/// `uniqueness` when the email is taken.
pub async fn create(app: &App, input: &UserInput) -> Result<UserRow, ScimError> {
    let txn = chorus_editorial::store::begin_write(&app.db).await?;
    let row = store::users::insert(
        &txn,
        store::users::NewUserRow {
            email: input.email.as_str(),
            display_name: input.display_name.as_str(),
            password_hash: None,
            roles: Roles::from_iter([Role::Ambassador]),
        },
    )
    .await
    .map_err(|e| match e {
        store::StoreError::EmailTaken => ScimError::taken(format!(
            "a person with the email {} exists already: find them with filter=userName eq \"{}\"",
            input.email.as_str(),
            input.email.as_str()
        )),
        e => e.into(),
    })?;
    write(&txn, row.id, input).await?;
    txn.commit().await?;
    tracing::info!(user_id = row.id, "a person was provisioned through SCIM");
    super::groups::apply_to(app, &std::collections::BTreeSet::from([row.id])).await?;
    if !input.active {
        return set_active(app, row.id, false).await;
    }
    find(&app.db, &row.id.to_string()).await
}

/// Replaces what is known of a person by what the provider sent (PUT, or a PATCH's result).
///
/// # Errors
/// `uniqueness` when the new email is someone else's; `mutability` when it would deactivate
/// the last admin.
pub async fn replace(app: &App, row: &UserRow, input: &UserInput) -> Result<UserRow, ScimError> {
    write(&app.db, row.id, input).await?;
    super::groups::apply_to(app, &std::collections::BTreeSet::from([row.id])).await?;
    if row.active != input.active {
        return set_active(app, row.id, input.active).await;
    }
    find(&app.db, &row.id.to_string()).await
}

/// Why a deactivated person's waiting shares did not go out, in their history.
pub const DEACTIVATED: &str = "Your company's identity provider deactivated your Chorus account, \
                               so this share was cancelled: nothing was posted.";

/// Deactivates a person as leaving the company (sessions ended in the same transaction,
/// waiting shares cancelled with the reason, network tokens revoked at the networks), or
/// reactivates them (they connect their accounts again themselves).
///
/// # Errors
/// `mutability` for the last active admin.
pub async fn set_active(app: &App, id: i32, active: bool) -> Result<UserRow, ScimError> {
    let row = crate::accounts::set_active(&app.db, id, active).await?;
    if !active {
        let cancelled =
            chorus_ambassador::shares::cancel_waiting(&app.db, UserId(id), DEACTIVATED, Utc::now())
                .await?;
        chorus_ambassador::accounts::disconnect_all(
            &app.db,
            &app.vault,
            &app.networks,
            UserId(id),
        )
        .await
        .map_err(|e| {
            tracing::error!(user_id = id, error = %e, "could not disconnect a deactivated person's accounts");
            ScimError::from(store::StoreError::Db(sea_orm::DbErr::Custom(e.to_string())))
        })?;
        tracing::info!(
            user_id = id,
            cancelled,
            "a person was deactivated through SCIM"
        );
    }
    Ok(row)
}

/// Erases a person exactly as their own erasure does: accounts disconnected (tokens revoked at
/// the networks), then the account and everything that identifies them.
///
/// # Errors
/// `mutability` for the last active admin; `404` when already gone.
pub async fn erase(app: &App, row: &UserRow) -> Result<(), ScimError> {
    if row.roles.0.has(Role::Admin) && row.active {
        let others = store::users::list(&app.db)
            .await?
            .into_iter()
            .filter(|u| u.id != row.id && u.active && u.roles.0.has(Role::Admin))
            .count();
        if others == 0 {
            return Err(crate::accounts::AccountError::LastAdmin.into());
        }
    }
    chorus_ambassador::accounts::disconnect_all(&app.db, &app.vault, &app.networks, UserId(row.id))
        .await
        .map_err(|e| {
            ScimError::from(store::StoreError::Db(sea_orm::DbErr::Custom(e.to_string())))
        })?;
    store::users::erase(&app.db, app.config.secret_key.bytes(), row.id).await?;
    tracing::info!("an account was erased through SCIM");
    Ok(())
}

/// People as the SCIM endpoints handle them.
pub struct Users;

impl super::Resource for Users {
    type Row = UserRow;
    type Input = UserInput;

    async fn find(db: &sea_orm::DatabaseConnection, id: &str) -> Result<UserRow, ScimError> {
        find(db, id).await
    }

    async fn show(
        db: &sea_orm::DatabaseConnection,
        row: &UserRow,
        base: &str,
    ) -> Result<Value, ScimError> {
        one(db, row, base).await
    }

    async fn all(
        db: &sea_orm::DatabaseConnection,
        filter: Option<&Filter>,
        base: &str,
    ) -> Result<Vec<Value>, ScimError> {
        all(db, filter, base).await
    }

    fn read(body: &Value) -> Result<UserInput, ScimError> {
        read(body)
    }

    async fn create(app: &App, input: &UserInput) -> Result<UserRow, ScimError> {
        create(app, input).await
    }

    async fn replace(
        app: &App,
        row: &UserRow,
        input: &UserInput,
        _patched_from: Option<&Value>,
    ) -> Result<UserRow, ScimError> {
        replace(app, row, input).await
    }

    async fn delete(app: &App, row: &UserRow) -> Result<(), ScimError> {
        erase(app, row).await
    }

    /// A team or an external id gone from the patched person was removed (a PUT that leaves
    /// them out keeps them).
    fn after_patch(resource: &mut Value) {
        if let Value::Object(object) = resource {
            if !object
                .keys()
                .any(|k| k.eq_ignore_ascii_case(ENTERPRISE_SCHEMA))
            {
                object.insert(ENTERPRISE_SCHEMA.to_owned(), json!({}));
            }
            if !object.keys().any(|k| k.eq_ignore_ascii_case("externalId")) {
                object.insert("externalId".to_owned(), Value::Null);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_as_providers_send_them() {
        let entra = json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@testuser.com",
            "active": "True",
            "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
            "displayName": "Test User",
            "name": {"formatted": "Ignored", "familyName": "User", "givenName": "Test"},
            ENTERPRISE_SCHEMA: {"department": "Comms"},
        });
        let input = read(&entra).unwrap();
        assert_eq!(input.email.as_str(), "test_user_fd0ea19b@testuser.com");
        assert!(input.active);
        assert_eq!(input.display_name.as_str(), "Test User");
        assert_eq!(input.team, Some(Some("Comms".to_owned())));
        assert_eq!(
            input.external_id,
            Some(Some("0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef".to_owned()))
        );

        let okta = json!({
            "schemas": [USER_SCHEMA],
            "userName": "isabelle.kruger@example.com",
            "name": {"givenName": "Isabelle", "familyName": "Kruger"},
            "emails": [{"primary": true, "value": "isabelle.kruger@example.com", "type": "work"}],
            "active": true,
        });
        let input = read(&okta).unwrap();
        assert_eq!(input.display_name.as_str(), "Isabelle Kruger");
        assert_eq!(input.team, None);

        let bare = json!({"userName": "Sam@Example.com", "active": "False"});
        let input = read(&bare).unwrap();
        assert_eq!(input.email.as_str(), "sam@example.com");
        assert_eq!(input.display_name.as_str(), "sam");
        assert!(!input.active);

        for bad in [
            json!({"emails": [{"value": "a@b.c"}]}),
            json!({"userName": "not-an-email"}),
            json!({"userName": "a@b.c", "active": "maybe"}),
            json!({"userName": "a@b.c", "displayName": "x".repeat(101)}),
        ] {
            let e = read(&bad).unwrap_err();
            assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST, "{bad}");
            assert_eq!(e.scim_type, Some("invalidValue"));
        }
    }
}
