//! Admin pages: accounts and roles.

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chorus_policy::Network;
use chorus_policy::{Role, Roles};
use serde::{Deserialize, Serialize};
use tera::Context;

use crate::accounts::{self, AccountError, DisplayName, Email};
use crate::auth::password::NewPassword;
use crate::auth::roles::Admin;
use crate::error::{AppError, AppResult};
use crate::routes::FieldErrors;
use crate::store;
use crate::views::Ctx;
use chorus_editorial::store::settings;

/// Query of the accounts table: a search, filters and a page; or a one-off notice.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct UsersQuery {
    /// Part of a name, email or team.
    q: String,
    /// A role name, or empty for any.
    role: String,
    /// `active`, `inactive`, or empty for both.
    status: String,
    /// The page, from 1 (anything else reads as 1).
    page: String,
    #[serde(skip_serializing)]
    done: Option<String>,
    #[serde(skip_serializing)]
    error: Option<String>,
}

/// Accounts per page of the table.
const PER_PAGE: u64 = 50;

impl UsersQuery {
    fn page(&self) -> u64 {
        self.page
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|p| (1..=1_000_000).contains(p))
            .unwrap_or(1)
    }

    /// The same search on another page, as a query string.
    fn on_page(&self, page: u64) -> String {
        let query = UsersQuery {
            page: page.to_string(),
            q: self.q.clone(),
            role: self.role.clone(),
            status: self.status.clone(),
            ..UsersQuery::default()
        };
        serde_urlencoded::to_string(&query).unwrap_or_default()
    }
}

/// `GET /admin`: the accounts, searchable by name, email or team, filtered by role and status,
/// a page at a time.
pub async fn users(
    ctx: Ctx,
    Admin(user): Admin,
    Query(query): Query<UsersQuery>,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let role: Option<Role> = query.role.parse().ok();
    let active = match query.status.as_str() {
        "active" => Some(true),
        "inactive" => Some(false),
        _ => None,
    };
    let page = query.page();
    let (rows, total) = store::users::search(
        db,
        &store::users::Search {
            text: &query.q,
            role,
            active,
            offset: (page - 1) * PER_PAGE,
            limit: PER_PAGE,
        },
    )
    .await?;
    let zone = chorus_ambassador::onboarding::load(db, user.id)
        .await?
        .zone();
    let users: Vec<_> = rows
        .iter()
        .map(|row| {
            serde_json::json!({
                "id": row.id,
                "name": row.display_name,
                "email": row.email,
                "team": row.team,
                "active": row.active,
                "is_me": row.id == user.id,
                "roles": row.roles.0.iter().map(|r| ctx.t(&format!("role.{}", r.as_str()))).collect::<Vec<_>>(),
                "last_sign_in": row.last_sign_in_at.map(|at| chorus_ambassador::onboarding::local_text(zone, at)),
            })
        })
        .collect();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let first = if total == 0 {
        0
    } else {
        (page - 1) * PER_PAGE + 1
    };
    let last = ((page - 1) * PER_PAGE + rows.len() as u64).min(total);
    let mut context = Context::new();
    context.insert("users", &users);
    context.insert("query", &query);
    context.insert(
        "roles",
        &Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
    );
    context.insert(
        "showing",
        &ctx.app.views.i18n.text(
            ctx.locale,
            "admin.showing",
            &[
                ("first", &first.to_string()),
                ("last", &last.to_string()),
                ("total", &total.to_string()),
            ],
        ),
    );
    context.insert("page", &page);
    context.insert("pages", &pages);
    context.insert("previous", &(page > 1).then(|| query.on_page(page - 1)));
    context.insert("next", &(page < pages).then(|| query.on_page(page + 1)));
    context.insert("notice", &notice(&ctx, query.done.as_deref()));
    Ok(ctx.render("admin/users.html", context)?.into_response())
}

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

/// Query of one person's page.
#[derive(Debug, Default, Deserialize)]
pub struct PersonQuery {
    done: Option<String>,
    error: Option<String>,
}

/// `GET /admin/users/{id}`: one person: roles, team, password, sign-in and status.
pub async fn person(
    ctx: Ctx,
    Admin(user): Admin,
    Path(id): Path<i32>,
    Query(query): Query<PersonQuery>,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let row = store::users::by_id(db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let zone = chorus_ambassador::onboarding::load(db, user.id)
        .await?
        .zone();
    let roles = row.roles.0;
    let mut context = Context::new();
    context.insert(
        "person",
        &serde_json::json!({
            "id": row.id,
            "name": row.display_name,
            "email": row.email,
            "team": row.team.clone().unwrap_or_default(),
            "active": row.active,
            "is_me": row.id == user.id,
            "created": chorus_ambassador::onboarding::local_text(zone, row.created_at),
            "last_sign_in": row.last_sign_in_at.map(|at| chorus_ambassador::onboarding::local_text(zone, at)),
            "roles": Role::ALL.iter().map(|r| serde_json::json!({"name": r.as_str(), "held": roles.has(*r)})).collect::<Vec<_>>(),
        }),
    );
    context.insert("notice", &notice(&ctx, query.done.as_deref()));
    context.insert(
        "error",
        &query.error.as_deref().map(|_| ctx.t("form.last_admin")),
    );
    Ok(ctx.render("admin/user.html", context)?.into_response())
}

/// The team form.
#[derive(Debug, Default, Deserialize)]
pub struct TeamForm {
    #[serde(default)]
    team: String,
}

/// `POST /admin/users/{id}/team`: sets the team analysts filter by (empty for none).
pub async fn set_team(
    ctx: Ctx,
    Admin(user): Admin,
    Path(id): Path<i32>,
    Form(form): Form<TeamForm>,
) -> AppResult<Response> {
    let team = form.team.trim();
    if team.chars().count() > 80 || team.chars().any(char::is_control) {
        return Err(AppError::BadRequest(
            "a team name has at most 80 characters".into(),
        ));
    }
    let team = (!team.is_empty()).then(|| team.to_owned());
    match store::users::set_team(&ctx.app.db, id, team).await {
        Ok(_) => {
            tracing::info!(admin = user.id, user_id = id, "team set");
            Ok(Redirect::to(&format!("/admin/users/{id}?done=team")).into_response())
        }
        Err(store::StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/users/{id}/password`: a new generated password, shown once; the person's
/// sessions end and the sign-in counters against them are cleared.
pub async fn reset_password(
    ctx: Ctx,
    Admin(user): Admin,
    Path(id): Path<i32>,
) -> AppResult<Response> {
    if id == user.id {
        // It would end the admin's own session; their account page changes it in place.
        return Ok(Redirect::to("/account#password").into_response());
    }
    let secret = ctx.app.config.secret_key.bytes();
    match accounts::reset_password(&ctx.app.db, secret, id).await {
        Ok((row, password)) => {
            tracing::info!(admin = user.id, user_id = id, "password reset");
            let mut context = Context::new();
            context.insert("id", &row.id);
            context.insert("name", &row.display_name);
            context.insert("email", &row.email);
            context.insert("password", password.reveal());
            Ok(ctx
                .render("admin/user_password.html", context)?
                .into_response())
        }
        Err(AccountError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/users/{id}/unlock`: clears the sign-in counters against the person, so that
/// they can sign in again at once.
pub async fn unlock(ctx: Ctx, Admin(user): Admin, Path(id): Path<i32>) -> AppResult<Response> {
    let db = &ctx.app.db;
    let row = store::users::by_id(db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let cleared = accounts::unlock(db, ctx.app.config.secret_key.bytes(), &row.email).await?;
    tracing::info!(admin = user.id, user_id = id, cleared, "sign-in unlocked");
    Ok(Redirect::to(&format!("/admin/users/{id}?done=unlocked")).into_response())
}

/// The new-account form.
#[derive(Debug, Default, Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(flatten)]
    roles: RoleBoxes,
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

fn new_user_page(
    ctx: &Ctx,
    status: StatusCode,
    form: &NewUserForm,
    errors: &FieldErrors,
) -> AppResult<Response> {
    let roles = form.roles.roles();
    let mut context = Context::new();
    context.insert("name", &form.name);
    context.insert("email", &form.email);
    context.insert(
        "roles",
        &Role::ALL
            .iter()
            .map(|r| serde_json::json!({"name": r.as_str(), "held": roles.has(*r)}))
            .collect::<Vec<_>>(),
    );
    context.insert("errors", errors);
    ctx.render_status(status, "admin/user_new.html", context)
}

/// `GET /admin/users/new`.
pub async fn new_user(ctx: Ctx, _: Admin) -> AppResult<Response> {
    let form = NewUserForm {
        roles: RoleBoxes {
            ambassador: Some("on".into()),
            ..RoleBoxes::default()
        },
        ..NewUserForm::default()
    };
    new_user_page(&ctx, StatusCode::OK, &form, &FieldErrors::new())
}

/// `POST /admin/users`: creates an account with a generated password, shown once.
pub async fn create_user(
    ctx: Ctx,
    Admin(user): Admin,
    Form(form): Form<NewUserForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::new();
    let email = Email::parse(&form.email)
        .map_err(|e| errors.insert(e.field().0, ctx.t(e.field().1)))
        .ok();
    let name = DisplayName::parse(&form.name)
        .map_err(|e| errors.insert(e.field().0, ctx.t(e.field().1)))
        .ok();
    let (Some(email), Some(name)) = (email, name) else {
        return new_user_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &form, &errors);
    };
    let password = NewPassword::generate();
    let shown = password.reveal().to_owned();
    match accounts::create(&ctx.app.db, &email, &name, password, form.roles.roles()).await {
        Ok(row) => {
            tracing::info!(admin = user.id, user_id = row.id, "account created");
            let mut context = Context::new();
            context.insert("name", &row.display_name);
            context.insert("email", &row.email);
            context.insert("password", &shown);
            Ok(ctx.render_status(StatusCode::CREATED, "admin/user_created.html", context)?)
        }
        Err(e @ (AccountError::Store(_) | AccountError::Hashing)) => Err(e.into()),
        Err(e) => {
            errors.insert(e.field().0, ctx.t(e.field().1));
            new_user_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &form, &errors)
        }
    }
}

/// `POST /admin/users/{id}/roles`.
pub async fn set_roles(
    ctx: Ctx,
    _: Admin,
    Path(id): Path<i32>,
    Form(form): Form<RoleBoxes>,
) -> AppResult<Response> {
    match accounts::set_roles(&ctx.app.db, id, form.roles()).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/users/{id}?done=roles")).into_response()),
        Err(AccountError::LastAdmin) => {
            Ok(Redirect::to(&format!("/admin/users/{id}?error=last_admin")).into_response())
        }
        Err(AccountError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

async fn set_active(ctx: Ctx, Admin(user): Admin, id: i32, active: bool) -> AppResult<Response> {
    match accounts::set_active(&ctx.app.db, id, active).await {
        Ok(_) => {
            tracing::info!(
                admin = user.id,
                user_id = id,
                active,
                "account status changed"
            );
            let done = if active { "reactivated" } else { "deactivated" };
            Ok(Redirect::to(&format!("/admin/users/{id}?done={done}")).into_response())
        }
        Err(AccountError::LastAdmin) => {
            Ok(Redirect::to(&format!("/admin/users/{id}?error=last_admin")).into_response())
        }
        Err(AccountError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/users/{id}/deactivate`: ends that person's sessions at once.
pub async fn deactivate(ctx: Ctx, user: Admin, Path(id): Path<i32>) -> AppResult<Response> {
    set_active(ctx, user, id, false).await
}

/// `POST /admin/users/{id}/reactivate`.
pub async fn reactivate(ctx: Ctx, user: Admin, Path(id): Path<i32>) -> AppResult<Response> {
    set_active(ctx, user, id, true).await
}

/// The organisation settings form.
#[derive(Debug, Default, Deserialize)]
pub struct SettingsForm {
    second_approval: Option<String>,
    #[serde(default)]
    min_group_size: String,
    #[serde(default)]
    disclosure_en: String,
    #[serde(default)]
    disclosure_fr: String,
    /// "Post it yourself" only, per network (a ticked box each).
    composer_only_bluesky: Option<String>,
    composer_only_mastodon: Option<String>,
    composer_only_linkedin: Option<String>,
    composer_only_x: Option<String>,
    composer_only_threads: Option<String>,
}

impl SettingsForm {
    /// The networks ticked "post it yourself only".
    fn composer_only(&self) -> Vec<Network> {
        Network::ALL
            .into_iter()
            .filter(|n| {
                match n {
                    Network::Bluesky => &self.composer_only_bluesky,
                    Network::Mastodon => &self.composer_only_mastodon,
                    Network::LinkedIn => &self.composer_only_linkedin,
                    Network::X => &self.composer_only_x,
                    Network::Threads => &self.composer_only_threads,
                }
                .is_some()
            })
            .collect()
    }

    fn tick_composer_only(&mut self, networks: &[Network]) {
        let on = |n| networks.contains(&n).then(|| "on".to_owned());
        self.composer_only_bluesky = on(Network::Bluesky);
        self.composer_only_mastodon = on(Network::Mastodon);
        self.composer_only_linkedin = on(Network::LinkedIn);
        self.composer_only_x = on(Network::X);
        self.composer_only_threads = on(Network::Threads);
    }
}

fn settings_page(
    ctx: &Ctx,
    status: StatusCode,
    form: &SettingsForm,
    errors: &FieldErrors,
    notice: Option<String>,
) -> AppResult<Response> {
    let mut context = Context::new();
    context.insert("second_approval", &form.second_approval.is_some());
    context.insert("min_group_size", &form.min_group_size);
    context.insert("disclosure_en", &form.disclosure_en);
    context.insert("disclosure_fr", &form.disclosure_fr);
    let composer_only = form.composer_only();
    context.insert(
        "networks",
        &Network::ALL
            .iter()
            .map(|n| {
                serde_json::json!({
                    "name": n.as_str(),
                    "label": n.display_name(),
                    "composer_only": composer_only.contains(n),
                })
            })
            .collect::<Vec<_>>(),
    );
    context.insert("errors", errors);
    context.insert("notice", &notice);
    ctx.render_status(status, "admin/settings.html", context)
}

/// `GET /admin/settings`.
pub async fn settings(ctx: Ctx, _: Admin, Query(query): Query<PersonQuery>) -> AppResult<Response> {
    let db = &ctx.app.db;
    // The stored text, even a value that no longer parses, so that the admin can correct it.
    let stored = settings::stored_text(db).await?;
    let mut form = SettingsForm {
        second_approval: stored.require_second_approval.then(|| "on".to_owned()),
        min_group_size: stored.min_group_size,
        disclosure_en: stored.disclosure_en,
        disclosure_fr: stored.disclosure_fr,
        ..SettingsForm::default()
    };
    let named: Vec<Network> = stored
        .composer_only
        .split(',')
        .filter_map(|name| name.trim().parse().ok())
        .collect();
    form.tick_composer_only(&named);
    let mut errors = FieldErrors::new();
    if let Err(chorus_editorial::EditorialError::BadSetting(key)) = settings::load(db).await {
        errors.insert(settings::field_of(key), ctx.t("admin.error_stored"));
    }
    let notice = query.done.as_deref().map(|_| ctx.t("admin.done_saved"));
    settings_page(&ctx, StatusCode::OK, &form, &errors, notice)
}

/// `POST /admin/settings`: every value is checked; a bad one shows the form again, kept.
pub async fn save_settings(
    ctx: Ctx,
    Admin(user): Admin,
    Form(form): Form<SettingsForm>,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let mut errors = FieldErrors::new();
    let k = form
        .min_group_size
        .trim()
        .parse::<usize>()
        .ok()
        .and_then(|k| chorus_policy::MinGroupSize::new(k).ok());
    if k.is_none() {
        errors.insert("min_group_size", ctx.t("admin.error_min_group_size"));
    }
    let mut disclosure = |field: &'static str, text: &str| {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let parsed = chorus_policy::disclosure::Disclosure::parse(text).ok();
        if parsed.is_none() {
            errors.insert(field, ctx.t("admin.error_disclosure"));
        }
        parsed
    };
    let disclosure_en = disclosure("disclosure_en", &form.disclosure_en);
    let disclosure_fr = disclosure("disclosure_fr", &form.disclosure_fr);
    let Some(k) = k.filter(|_| errors.is_empty()) else {
        return settings_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &form, &errors, None);
    };
    let settings = settings::Settings {
        workflow: chorus_editorial::workflow::Rules {
            require_second_approval: form.second_approval.is_some(),
        },
        min_group_size: k,
        disclosure_en,
        disclosure_fr,
        composer_only: form.composer_only(),
    };
    settings::save(db, &settings).await?;
    tracing::info!(
        admin = user.id,
        second_approval = form.second_approval.is_some(),
        k = k.get(),
        "organisation settings saved"
    );
    Ok(Redirect::to("/admin/settings?done=saved").into_response())
}

/// The client credentials form for one network.
#[derive(Debug, Default, Deserialize)]
pub struct NetworkForm {
    #[serde(default)]
    network: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
}

/// `GET /admin/networks`: which networks have client credentials (never showing secrets).
pub async fn networks(ctx: Ctx, _: Admin, Query(query): Query<UsersQuery>) -> AppResult<Response> {
    let configured = chorus_ambassador::accounts::configured_networks(&ctx.app.db).await?;
    let rows: Vec<_> = [
        chorus_policy::Network::LinkedIn,
        chorus_policy::Network::X,
        chorus_policy::Network::Threads,
    ]
    .iter()
    .map(|n| {
        serde_json::json!({
            "name": n.as_str(),
            "label": n.display_name(),
            "configured": configured.contains(n),
            "callback": ctx.app.public_url(&format!("/hub/accounts/callback/{}", n.as_str())),
        })
    })
    .collect();
    let mut context = Context::new();
    context.insert("networks", &rows);
    context.insert(
        "notice",
        &query.done.as_deref().map(|_| ctx.t("admin.done_saved")),
    );
    context.insert(
        "error",
        &query
            .error
            .as_deref()
            .map(|_| ctx.t("admin.error_network_form")),
    );
    Ok(ctx.render("admin/networks.html", context)?.into_response())
}

/// `POST /admin/networks`: stores client credentials, the secret sealed at rest.
pub async fn save_network(
    ctx: Ctx,
    Admin(user): Admin,
    Form(form): Form<NetworkForm>,
) -> AppResult<Response> {
    let network = form
        .network
        .parse::<chorus_policy::Network>()
        .ok()
        .filter(|n| {
            matches!(
                n,
                chorus_policy::Network::LinkedIn
                    | chorus_policy::Network::X
                    | chorus_policy::Network::Threads
            )
        });
    let (Some(network), false) = (network, form.client_id.trim().is_empty()) else {
        return Ok(Redirect::to("/admin/networks?error=form").into_response());
    };
    chorus_ambassador::accounts::set_app_credentials(
        &ctx.app.db,
        &ctx.app.vault,
        network,
        "",
        form.client_id.trim(),
        form.client_secret.trim(),
    )
    .await?;
    tracing::info!(
        admin = user.id,
        network = network.as_str(),
        "network credentials saved"
    );
    Ok(Redirect::to("/admin/networks?done=saved").into_response())
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
        .route("/networks", get(networks).post(save_network))
}
