//! The company's groups as SCIM `Group` resources. A group gives its members what the group
//! map says (roles, or a team: the same map single sign-on uses); membership changes apply at
//! once to everyone they touch.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Statement};
use serde_json::{Map, Value, json};

use super::filter::{Filter, get};
use super::{GROUP_SCHEMA, ScimError, meta, text};
use crate::app::App;

/// A group as stored.
#[derive(Debug, Clone)]
pub struct GroupRow {
    /// Its id.
    pub id: i32,
    /// Its name (unique).
    pub display_name: String,
    /// The provider's id for it.
    pub external_id: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// What a `Group` body says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInput {
    /// `displayName`.
    pub display_name: String,
    /// `externalId`.
    pub external_id: Option<String>,
    /// The members' ids.
    pub members: BTreeSet<i32>,
}

/// Reads a `Group` body. A member is named by its `value` (a person's id here).
///
/// # Errors
/// `invalidValue` without a name, or with a member that is not a person's id.
pub fn read(body: &Value) -> Result<GroupInput, ScimError> {
    let display_name = text(body, "displayName")
        .ok_or_else(|| ScimError::bad("invalidValue", "displayName is required".to_owned()))?;
    if display_name.chars().count() > 200 {
        return Err(ScimError::bad(
            "invalidValue",
            "displayName is at most 200 characters".to_owned(),
        ));
    }
    let members = match get(body, "members") {
        None | Some(Value::Null) => BTreeSet::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|member| {
                let value = text(member, "value").or_else(|| {
                    // A member named only by its `$ref` (`.../Users/12`).
                    text(member, "$ref").and_then(|r| r.rsplit('/').next().map(str::to_owned))
                });
                value.and_then(|v| v.parse::<i32>().ok()).ok_or_else(|| {
                    ScimError::bad(
                        "invalidValue",
                        "each member's value is the id of a User provisioned here".to_owned(),
                    )
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(ScimError::bad(
                "invalidValue",
                "members is a list".to_owned(),
            ));
        }
    };
    Ok(GroupInput {
        display_name,
        external_id: text(body, "externalId"),
        members,
    })
}

fn row_of(row: &sea_orm::QueryResult) -> Result<GroupRow, DbErr> {
    Ok(GroupRow {
        id: row.try_get("", "id")?,
        display_name: row.try_get("", "display_name")?,
        external_id: row.try_get("", "external_id")?,
        created_at: row.try_get("", "created_at")?,
        updated_at: row.try_get("", "updated_at")?,
    })
}

const COLUMNS: &str = "id, display_name, external_id, created_at, updated_at";

/// The group with this SCIM id.
///
/// # Errors
/// `404`.
pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<GroupRow, ScimError> {
    let id: i32 = id.parse().map_err(|_| ScimError::not_found("this Group"))?;
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!("SELECT {COLUMNS} FROM scim_groups WHERE id = $1"),
            [id.into()],
        ))
        .await?
        .ok_or_else(|| ScimError::not_found("this Group"))?;
    Ok(row_of(&row)?)
}

/// Each group's members' ids, by group (no join: the foreign key keeps them people).
async fn members(
    db: &impl ConnectionTrait,
    only: Option<i32>,
) -> Result<std::collections::HashMap<i32, Vec<i32>>, DbErr> {
    let backend = db.get_database_backend();
    let sql = "SELECT group_id, user_id FROM scim_group_members";
    let statement = match only {
        Some(id) => Statement::from_sql_and_values(
            backend,
            format!("{sql} WHERE group_id = $1 ORDER BY user_id"),
            [id.into()],
        ),
        None => Statement::from_string(backend, format!("{sql} ORDER BY user_id")),
    };
    let mut out: std::collections::HashMap<i32, Vec<i32>> = std::collections::HashMap::new();
    for row in db.query_all_raw(statement).await? {
        out.entry(row.try_get("", "group_id")?)
            .or_default()
            .push(row.try_get("", "user_id")?);
    }
    Ok(out)
}

/// What Chorus serves for a group.
#[must_use]
pub fn resource(row: &GroupRow, members: &[i32], base: &str) -> Value {
    let mut out = Map::new();
    out.insert("schemas".into(), json!([GROUP_SCHEMA]));
    out.insert("id".into(), Value::from(row.id.to_string()));
    if let Some(external) = &row.external_id {
        out.insert("externalId".into(), Value::from(external.clone()));
    }
    out.insert("displayName".into(), Value::from(row.display_name.clone()));
    out.insert(
        "members".into(),
        Value::Array(
            members
                .iter()
                .map(|id| json!({"value": id.to_string(), "$ref": format!("{base}/Users/{id}")}))
                .collect(),
        ),
    );
    out.insert(
        "meta".into(),
        meta(
            "Group",
            format!("{base}/Groups/{}", row.id),
            row.created_at,
            row.updated_at,
        ),
    );
    Value::Object(out)
}

/// One group as served.
///
/// # Errors
/// Database failure.
pub async fn one(
    db: &impl ConnectionTrait,
    row: &GroupRow,
    base: &str,
) -> Result<Value, ScimError> {
    let members = members(db, Some(row.id))
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    Ok(resource(row, &members, base))
}

/// Every group matching `filter`, as served (`displayName eq` from the index).
///
/// # Errors
/// Database failure.
pub async fn all(
    db: &impl ConnectionTrait,
    filter: Option<&Filter>,
    base: &str,
) -> Result<Vec<Value>, ScimError> {
    let backend = db.get_database_backend();
    let statement = match filter.and_then(|f| f.equality_on("displayName")) {
        Some(name) => Statement::from_sql_and_values(
            backend,
            format!("SELECT {COLUMNS} FROM scim_groups WHERE LOWER(display_name) = $1 ORDER BY id"),
            [name.trim().to_lowercase().into()],
        ),
        None => Statement::from_string(
            backend,
            format!("SELECT {COLUMNS} FROM scim_groups ORDER BY id"),
        ),
    };
    let rows = db
        .query_all_raw(statement)
        .await?
        .iter()
        .map(row_of)
        .collect::<Result<Vec<_>, _>>()?;
    let members = members(db, None).await?;
    Ok(rows
        .iter()
        .map(|row| {
            resource(
                row,
                members.get(&row.id).map_or(&[][..], Vec::as_slice),
                base,
            )
        })
        .filter(|resource| filter.is_none_or(|f| f.matches(resource)))
        .collect())
}

fn taken(name: &str) -> ScimError {
    ScimError::taken(format!("a group named {name:?} exists already"))
}

/// Refuses a name another group has, whatever its case (`Editors` and `editors` would map to
/// the same roles).
async fn check_name(
    db: &impl ConnectionTrait,
    name: &str,
    except: Option<i32>,
) -> Result<(), ScimError> {
    let taken_by = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT id FROM scim_groups WHERE LOWER(display_name) = $1 AND id <> $2",
            [name.to_lowercase().into(), except.unwrap_or(0).into()],
        ))
        .await?;
    match taken_by {
        Some(_) => Err(taken(name)),
        None => Ok(()),
    }
}

/// Checks every member is a person here.
async fn check_members(
    db: &impl ConnectionTrait,
    members: &BTreeSet<i32>,
) -> Result<(), ScimError> {
    for id in members {
        if crate::store::users::by_id(db, *id).await?.is_none() {
            return Err(ScimError::bad(
                "invalidValue",
                format!("member {id} is not a User provisioned here"),
            ));
        }
    }
    Ok(())
}

/// Creates a group with its members; they get what it gives at once.
///
/// # Errors
/// `uniqueness` for a name in use; `invalidValue` for an unknown member.
pub async fn create(app: &App, input: &GroupInput) -> Result<GroupRow, ScimError> {
    check_name(&app.db, &input.display_name, None).await?;
    check_members(&app.db, &input.members).await?;
    let txn = chorus_editorial::store::begin_write(&app.db).await?;
    let backend = txn.get_database_backend();
    let now = Utc::now();
    let inserted = txn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO scim_groups (display_name, external_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4)",
            [
                input.display_name.clone().into(),
                input.external_id.clone().into(),
                now.into(),
                now.into(),
            ],
        ))
        .await;
    if let Err(e) = inserted {
        return Err(match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => taken(&input.display_name),
            _ => e.into(),
        });
    }
    let id: i32 = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT id FROM scim_groups WHERE display_name = $1",
            [input.display_name.clone().into()],
        ))
        .await?
        .ok_or_else(|| ScimError::not_found("the new Group"))?
        .try_get("", "id")?;
    set_members(&txn, id, &input.members).await?;
    txn.commit().await?;
    apply_to(app, &input.members).await?;
    find(&app.db, &id.to_string()).await
}

async fn set_members(
    db: &impl ConnectionTrait,
    group: i32,
    members: &BTreeSet<i32>,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        "DELETE FROM scim_group_members WHERE group_id = $1",
        [group.into()],
    ))
    .await?;
    for member in members {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO scim_group_members (group_id, user_id) VALUES ($1, $2)",
            [group.into(), (*member).into()],
        ))
        .await?;
    }
    Ok(())
}

async fn member_ids(db: &impl ConnectionTrait, group: i32) -> Result<BTreeSet<i32>, DbErr> {
    Ok(members(db, Some(group))
        .await?
        .remove(&group)
        .unwrap_or_default()
        .into_iter()
        .collect())
}

/// Replaces a group's name, external id and members (PUT, or a PATCH's result); everyone who
/// joined or left gets their roles and team again.
///
/// `patched_from` is the membership a PATCH was applied to: only the difference is written
/// then, so two providers' requests adding different members at the same time both count. A
/// PUT (`None`) sets the membership as sent.
///
/// # Errors
/// `uniqueness` for a name in use; `invalidValue` for an unknown member.
pub async fn replace(
    app: &App,
    row: &GroupRow,
    input: &GroupInput,
    patched_from: Option<&BTreeSet<i32>>,
) -> Result<GroupRow, ScimError> {
    check_name(&app.db, &input.display_name, Some(row.id)).await?;
    check_members(&app.db, &input.members).await?;
    let txn = chorus_editorial::store::begin_write(&app.db).await?;
    let updated = txn
        .execute_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "UPDATE scim_groups SET display_name = $1, external_id = $2, updated_at = $3 WHERE id = $4",
            [
                input.display_name.clone().into(),
                input.external_id.clone().into(),
                Utc::now().into(),
                row.id.into(),
            ],
        ))
        .await;
    if let Err(e) = updated {
        return Err(match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => taken(&input.display_name),
            _ => e.into(),
        });
    }
    let before = member_ids(&txn, row.id).await?;
    match patched_from {
        None => set_members(&txn, row.id, &input.members).await?,
        Some(base) => {
            let backend = txn.get_database_backend();
            for gone in base.difference(&input.members) {
                txn.execute_raw(Statement::from_sql_and_values(
                    backend,
                    "DELETE FROM scim_group_members WHERE group_id = $1 AND user_id = $2",
                    [row.id.into(), (*gone).into()],
                ))
                .await?;
            }
            for new in input.members.difference(base) {
                txn.execute_raw(Statement::from_sql_and_values(
                    backend,
                    "INSERT INTO scim_group_members (group_id, user_id) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                    [row.id.into(), (*new).into()],
                ))
                .await?;
            }
        }
    }
    txn.commit().await?;
    // A rename changes what the group gives its members too: everyone before and after.
    let touched: BTreeSet<i32> = before.union(&input.members).copied().collect();
    apply_to(app, &touched).await?;
    find(&app.db, &row.id.to_string()).await
}

/// Deletes a group; its former members get their roles and team again.
///
/// # Errors
/// Database failure.
pub async fn delete(app: &App, row: &GroupRow) -> Result<(), ScimError> {
    let before = member_ids(&app.db, row.id).await?;
    app.db
        .execute_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            "DELETE FROM scim_groups WHERE id = $1",
            [row.id.into()],
        ))
        .await?;
    apply_to(app, &before).await
}

/// Gives each person what their groups give under the group map: roles when the map gives
/// roles (everyone stays an ambassador; the last admin is never demoted), a team when one of
/// their groups maps to a team.
///
/// # Errors
/// Database failure.
pub async fn apply_to(app: &App, people: &BTreeSet<i32>) -> Result<(), ScimError> {
    if people.is_empty() {
        return Ok(());
    }
    let map = crate::sso::group_map(&app.db).await?;
    if map.roles.is_empty() && map.teams.is_empty() {
        return Ok(());
    }
    let memberships = super::users::memberships(&app.db, None).await?;
    for id in people {
        let Some(person) = crate::store::users::by_id(&app.db, *id).await? else {
            continue;
        };
        let names: Vec<&str> = memberships
            .get(id)
            .map(|groups| groups.iter().map(|(_, name)| name.as_str()).collect())
            .unwrap_or_default();
        if !map.roles.is_empty() {
            let roles = map.roles_for(&names);
            if roles != person.roles.0 {
                match crate::accounts::set_roles(&app.db, *id, roles).await {
                    Ok(_) => tracing::info!(user_id = id, "roles given by SCIM groups"),
                    Err(crate::accounts::AccountError::LastAdmin) => tracing::warn!(
                        user_id = id,
                        "the provider's groups would remove the last admin: roles kept"
                    ),
                    Err(e) => return Err(e.into()),
                }
            }
        }
        if let Some(team) = map.team_for(&names)
            && person.team.as_deref() != Some(team.as_str())
        {
            crate::store::users::set_team(&app.db, *id, Some(team)).await?;
        }
    }
    Ok(())
}

/// Groups as the SCIM endpoints handle them.
pub struct Groups;

impl super::Resource for Groups {
    type Row = GroupRow;
    type Input = GroupInput;

    async fn find(db: &sea_orm::DatabaseConnection, id: &str) -> Result<GroupRow, ScimError> {
        find(db, id).await
    }

    async fn show(
        db: &sea_orm::DatabaseConnection,
        row: &GroupRow,
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

    fn read(body: &Value) -> Result<GroupInput, ScimError> {
        read(body)
    }

    async fn create(app: &App, input: &GroupInput) -> Result<GroupRow, ScimError> {
        create(app, input).await
    }

    /// A PATCH writes only the members it added or removed (see [`replace`]).
    async fn replace(
        app: &App,
        row: &GroupRow,
        input: &GroupInput,
        patched_from: Option<&Value>,
    ) -> Result<GroupRow, ScimError> {
        let before = patched_from.map(read).transpose()?.map(|g| g.members);
        replace(app, row, input, before.as_ref()).await
    }

    async fn delete(app: &App, row: &GroupRow) -> Result<(), ScimError> {
        delete(app, row).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_bodies() {
        let okta = json!({
            "schemas": [GROUP_SCHEMA],
            "displayName": "Chorus editors",
            "members": [{"value": "12", "display": "Ann"}, {"$ref": "https://c.example/scim/v2/Users/14"}],
        });
        let input = read(&okta).unwrap();
        assert_eq!(input.display_name, "Chorus editors");
        assert_eq!(input.members, BTreeSet::from([12, 14]));
        assert!(read(&json!({"members": []})).is_err());
        assert!(read(&json!({"displayName": "x", "members": [{"value": "abc"}]})).is_err());
        assert!(read(&json!({"displayName": "x", "members": "12"})).is_err());
    }
}
