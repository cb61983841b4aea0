//! Provisioning (`/admin/provisioning`): the SCIM address to give the identity provider, the
//! tokens it presents (created here, shown once, revocable), and what its groups give.

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::auth::roles::Admin;
use crate::error::AppResult;
use crate::views::Ctx;

/// A token as listed.
#[derive(Serialize)]
struct TokenView {
    id: i32,
    name: String,
    created: String,
    last_used: Option<String>,
}

/// The page.
#[derive(Serialize)]
struct ProvisioningView {
    endpoint: String,
    tokens: Vec<TokenView>,
    /// A token just created, shown this once.
    created: Option<String>,
    name: String,
    error: Option<String>,
    notice: Option<String>,
    group_map: String,
    group_map_error: Option<String>,
}

/// Query carrying a one-off notice.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// What the page shows besides the stored state.
#[derive(Default)]
struct Shown {
    created: Option<String>,
    name: String,
    error: Option<String>,
    notice: Option<String>,
    /// The group map as typed, when it did not read, and why.
    group_map: Option<(String, String)>,
}

async fn render(ctx: &Ctx, status: StatusCode, shown: Shown) -> AppResult<Response> {
    let zone = ctx.zone().await?;
    let tokens = crate::scim::tokens(&ctx.app.db)
        .await?
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            name: t.name,
            created: ctx.when(zone, t.created_at),
            last_used: t.last_used_at.map(|at| ctx.when(zone, at)),
        })
        .collect();
    let (group_map, group_map_error) = match shown.group_map {
        Some((typed, error)) => (typed, Some(error)),
        None => (crate::sso::stored_mapping(&ctx.app.db).await?.1, None),
    };
    let view = ProvisioningView {
        endpoint: ctx.app.public_url("/scim/v2"),
        tokens,
        created: shown.created,
        name: shown.name,
        error: shown.error,
        notice: shown.notice,
        group_map,
        group_map_error,
    };
    ctx.page_status(status, "admin/provisioning.html", &view)
}

/// `GET /admin/provisioning`.
pub async fn page(ctx: Ctx, _: Admin, Query(query): Query<DoneQuery>) -> AppResult<Response> {
    let notice = match query.done.as_deref() {
        Some("revoked") => Some(ctx.t("provisioning.revoked")),
        Some("groups") => Some(ctx.t("provisioning.groups_saved")),
        _ => None,
    };
    let shown = Shown {
        notice,
        ..Shown::default()
    };
    render(&ctx, StatusCode::OK, shown).await
}

/// The new token's form.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

/// `POST /admin/provisioning/tokens`: creates a token and shows it once.
pub async fn create_token(
    ctx: Ctx,
    Admin(admin): Admin,
    Form(form): Form<TokenForm>,
) -> AppResult<Response> {
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        let shown = Shown {
            name: form.name.clone(),
            error: Some(ctx.t("provisioning.error_name")),
            ..Shown::default()
        };
        return render(&ctx, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
    }
    let token = crate::scim::create_token(&ctx.app.db, name).await?;
    tracing::info!(admin = admin.id, "a SCIM token was created");
    let shown = Shown {
        created: Some(token),
        notice: Some(ctx.t("provisioning.created")),
        ..Shown::default()
    };
    render(&ctx, StatusCode::OK, shown).await
}

/// The group map's form.
#[derive(Debug, Deserialize)]
pub struct GroupMapForm {
    #[serde(default)]
    group_map: String,
}

/// `POST /admin/provisioning/groups`: stores the group map; the people in the groups get what
/// it gives at once. A line that does not read is shown again with the text kept.
pub async fn save_group_map(
    ctx: Ctx,
    Admin(admin): Admin,
    Form(form): Form<GroupMapForm>,
) -> AppResult<Response> {
    match crate::sso::save_group_map(&ctx.app.db, &form.group_map).await? {
        Ok(_) => {
            tracing::info!(admin = admin.id, "the group map was changed");
            let everyone: std::collections::BTreeSet<i32> =
                crate::scim::users::memberships(&ctx.app.db, None)
                    .await?
                    .into_keys()
                    .collect();
            crate::scim::groups::apply_to(&ctx.app, &everyone)
                .await
                .map_err(|e| crate::error::AppError::Internal(e.detail))?;
            Ok(Redirect::to("/admin/provisioning?done=groups").into_response())
        }
        Err(bad) => {
            let error = ctx.app.views.i18n.text(
                ctx.locale,
                "sso.error_role_map",
                &[("line", &bad.line.to_string())],
            );
            let shown = Shown {
                group_map: Some((form.group_map, error)),
                ..Shown::default()
            };
            render(&ctx, StatusCode::UNPROCESSABLE_ENTITY, shown).await
        }
    }
}

/// `POST /admin/provisioning/tokens/{id}/revoke`.
pub async fn revoke_token(
    ctx: Ctx,
    Admin(admin): Admin,
    Path(id): Path<i32>,
) -> AppResult<Response> {
    if crate::scim::revoke_token(&ctx.app.db, id).await? {
        tracing::info!(admin = admin.id, token = id, "a SCIM token was revoked");
    }
    Ok(Redirect::to("/admin/provisioning?done=revoked").into_response())
}
