//! Admin pages: accounts and roles, the organisation's settings and the networks' OAuth apps.
//!
//! This file holds what the accounts pages share: the one-off notices and the role checkboxes.

use chorus_policy::{Role, Roles};
use serde::{Deserialize, Serialize};

use crate::views::Ctx;

pub(crate) mod channels;
mod council;
mod linkedin;
mod networks;
mod person;
mod provisioning;
mod settings;
mod users;
mod webhooks;

pub use networks::{NetworkForm, networks, save_network};
pub use person::{
    TeamForm, deactivate, person, reactivate, reset_password, set_roles, set_team, unlock,
};
pub use settings::{SettingsForm, save_retention, save_settings, settings};
pub use users::{NewUserForm, UsersQuery, create_user, new_user, users};

/// The one-off notice named by `?done=`, in the person's language.
fn notice(ctx: &Ctx, done: Option<&str>) -> Option<String> {
    done.map(|d| ctx.t(&format!("admin.done_{}", notice_key(d))))
}

fn notice_key(done: &str) -> &'static str {
    match done {
        "roles" => "roles",
        "team" => "team",
        "deactivated" => "deactivated",
        "reactivated" => "reactivated",
        "unlocked" => "unlocked",
        _ => "saved",
    }
}

/// Query of one person's page (and of the settings page): a one-off notice or error.
#[derive(Debug, Default, Deserialize)]
pub struct PersonQuery {
    done: Option<String>,
    error: Option<String>,
}

/// One checkbox per role.
#[derive(Debug, Default, Deserialize)]
pub struct RoleBoxes {
    editor: Option<String>,
    ambassador: Option<String>,
    analyst: Option<String>,
    admin: Option<String>,
}

impl RoleBoxes {
    fn roles(&self) -> Roles {
        [
            (Role::Editor, &self.editor),
            (Role::Ambassador, &self.ambassador),
            (Role::Analyst, &self.analyst),
            (Role::Admin, &self.admin),
        ]
        .into_iter()
        .filter(|(_, ticked)| ticked.is_some())
        .map(|(role, _)| role)
        .collect()
    }
}

/// One role's checkbox as a form shows it.
#[derive(Serialize)]
struct RoleBox {
    name: &'static str,
    held: bool,
}

/// Every role, ticked when `roles` holds it.
fn role_boxes(roles: Roles) -> Vec<RoleBox> {
    Role::ALL
        .iter()
        .map(|r| RoleBox {
            name: r.as_str(),
            held: roles.has(*r),
        })
        .collect()
}

/// The admins' area, under `/admin`: accounts, the organisation's settings and the networks'
/// OAuth apps.
pub fn routes() -> axum::Router<crate::app::AppState> {
    use axum::routing::{get, post};

    axum::Router::new()
        .route("/", get(users))
        .route("/users", post(create_user))
        .route("/users/new", get(new_user))
        .route("/users/{id}", get(person))
        .route("/users/{id}/roles", post(set_roles))
        .route("/users/{id}/team", post(set_team))
        .route("/users/{id}/password", post(reset_password))
        .route("/users/{id}/unlock", post(unlock))
        .route("/users/{id}/deactivate", post(deactivate))
        .route("/users/{id}/reactivate", post(reactivate))
        .route("/settings", get(settings).post(save_settings))
        .route("/settings/retention", post(save_retention))
        .route("/works-council", get(council::works_council))
        .route(
            "/sso",
            get(crate::routes::sso::settings).post(crate::routes::sso::save),
        )
        .route("/networks", get(networks).post(save_network))
        .route("/channels", get(channels::page).post(channels::save))
        .route("/webhooks", get(webhooks::page).post(webhooks::subscribe))
        .route("/webhooks/{id}/remove", post(webhooks::remove))
        .route(
            "/api-tokens",
            get(super::account::tokens::service_page).post(super::account::tokens::create_service),
        )
        .route(
            "/api-tokens/{id}/revoke",
            post(super::account::tokens::revoke_service),
        )
        .route("/provisioning", get(provisioning::page))
        .route("/provisioning/tokens", post(provisioning::create_token))
        .route("/provisioning/groups", post(provisioning::save_group_map))
        .route(
            "/provisioning/tokens/{id}/revoke",
            post(provisioning::revoke_token),
        )
}
