//! API tokens: a person's own (`/account/tokens`), made for themselves with a name, the scopes
//! their roles allow and an expiry, shown once, listed with their last use, revocable; and the
//! service tokens of integrations (`/admin/api-tokens`), made by admins the same way, acting
//! with their maker's roles but never as a person (no hub or shares scope).

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chorus_policy::tokens::{self, Scope, Scopes, TokenKind, TokenRefusal};
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::CurrentUser;
use crate::auth::roles::Admin;
use crate::error::AppResult;
use crate::routes::FieldErrors;
use crate::store::api_tokens::{self, NewToken};
use crate::views::Ctx;

/// The expiries offered, in days (0: never).
const EXPIRIES: [u32; 5] = [7, 30, 90, 365, 0];

/// Which tokens a page is about.
#[derive(Debug, Clone, Copy)]
struct Which {
    kind: TokenKind,
    /// The page's address.
    path: &'static str,
}

const PERSONAL: Which = Which {
    kind: TokenKind::Personal,
    path: "/account/tokens",
};

const SERVICE: Which = Which {
    kind: TokenKind::Service,
    path: "/admin/api-tokens",
};

/// A token as listed.
#[derive(Serialize)]
struct TokenView {
    id: i32,
    /// Who made it (service tokens).
    maker: Option<String>,
    name: String,
    scopes: Vec<&'static str>,
    created: String,
    expires: Option<String>,
    last_used: Option<String>,
    live: bool,
    revoked: bool,
}

/// A scope the person may grant, ticked or not.
#[derive(Serialize)]
struct ScopeChoice {
    name: &'static str,
    label: String,
    checked: bool,
}

/// The page.
#[derive(Serialize)]
struct TokensView<'a> {
    title: String,
    service: bool,
    path: &'static str,
    tokens: Vec<TokenView>,
    scopes: Vec<ScopeChoice>,
    expiries: Vec<(u32, String)>,
    /// A token just made, shown this once.
    created: Option<String>,
    form: &'a TokenForm,
    errors: &'a FieldErrors,
    notice: Option<String>,
}

/// The new token's form, kept as typed.
#[derive(Debug, Default, Clone, Serialize)]
pub struct TokenForm {
    name: String,
    expires_in_days: String,
    /// Ticked scopes (repeated `scope` fields).
    scope: Vec<String>,
}

impl TokenForm {
    /// The form from its fields (`scope` repeated).
    fn of(pairs: Vec<(String, String)>) -> TokenForm {
        let mut form = TokenForm::default();
        for (name, value) in pairs {
            match name.as_str() {
                "name" => form.name = value,
                "expires_in_days" => form.expires_in_days = value,
                "scope" => form.scope.push(value),
                _ => {}
            }
        }
        form
    }
}

/// What a page shows besides the stored tokens.
struct Shown<'a> {
    status: StatusCode,
    form: &'a TokenForm,
    errors: &'a FieldErrors,
    created: Option<String>,
    notice: Option<String>,
}

/// Whose tokens the page lists: one's own, or every service token.
fn owner_filter(which: Which, user: &CurrentUser) -> Option<chorus_policy::UserId> {
    match which.kind {
        TokenKind::Personal => Some(user.user_id()),
        TokenKind::Service => None,
    }
}

async fn render(
    ctx: &Ctx,
    user: &CurrentUser,
    which: Which,
    shown: Shown<'_>,
) -> AppResult<Response> {
    let zone = ctx.zone().await?;
    let now = Utc::now();
    let names = match which.kind {
        TokenKind::Service => crate::store::users::names(&ctx.app.db).await?,
        TokenKind::Personal => std::collections::HashMap::new(),
    };
    let tokens = api_tokens::list(&ctx.app.db, which.kind, owner_filter(which, user))
        .await?
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            maker: names.get(&t.owner.get()).cloned(),
            live: t.live(now),
            revoked: t.revoked_at.is_some(),
            name: t.name,
            scopes: t.scopes.iter().map(Scope::as_str).collect(),
            created: ctx.when(zone, t.created_at),
            expires: t.expires_at.map(|at| ctx.when(zone, at)),
            last_used: t.last_used_at.map(|at| ctx.when(zone, at)),
        })
        .collect();
    let scopes = Scope::ALL
        .into_iter()
        .filter(|scope| user.roles.can_enter(scope.area()))
        .filter(|scope| which.kind == TokenKind::Personal || !scope.is_personal())
        .map(|scope| ScopeChoice {
            name: scope.as_str(),
            label: ctx.t(&format!(
                "tokens.scope_{}",
                scope.as_str().replace(':', "_")
            )),
            checked: shown.form.scope.iter().any(|s| s == scope.as_str()),
        })
        .collect();
    let expiries = EXPIRIES
        .into_iter()
        .map(|days| {
            let label = if days == 0 {
                ctx.t("tokens.expires_never")
            } else {
                ctx.app.views.i18n.text(
                    ctx.locale,
                    "tokens.expires_days",
                    &[("days", &days.to_string())],
                )
            };
            (days, label)
        })
        .collect();
    let service = which.kind == TokenKind::Service;
    let view = TokensView {
        title: ctx.t(if service {
            "tokens.service_title"
        } else {
            "tokens.title"
        }),
        service,
        path: which.path,
        tokens,
        scopes,
        expiries,
        created: shown.created,
        form: shown.form,
        errors: shown.errors,
        notice: shown.notice,
    };
    ctx.page_status(shown.status, "account/tokens.html", &view)
}

/// Query carrying a one-off notice.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `GET /account/tokens`.
pub async fn page(ctx: Ctx, user: CurrentUser, query: Query<DoneQuery>) -> AppResult<Response> {
    show(&ctx, &user, PERSONAL, query).await
}

/// `GET /admin/api-tokens`.
pub async fn service_page(
    ctx: Ctx,
    Admin(user): Admin,
    query: Query<DoneQuery>,
) -> AppResult<Response> {
    show(&ctx, &user, SERVICE, query).await
}

/// `POST /account/tokens`.
pub async fn create(
    ctx: Ctx,
    user: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    make(&ctx, &user, PERSONAL, TokenForm::of(pairs)).await
}

/// `POST /admin/api-tokens`.
pub async fn create_service(
    ctx: Ctx,
    Admin(user): Admin,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    make(&ctx, &user, SERVICE, TokenForm::of(pairs)).await
}

/// `POST /account/tokens/{id}/revoke`.
pub async fn revoke(ctx: Ctx, user: CurrentUser, Path(id): Path<i32>) -> AppResult<Response> {
    end(&ctx, &user, PERSONAL, id).await
}

/// `POST /admin/api-tokens/{id}/revoke`.
pub async fn revoke_service(
    ctx: Ctx,
    Admin(user): Admin,
    Path(id): Path<i32>,
) -> AppResult<Response> {
    end(&ctx, &user, SERVICE, id).await
}

fn fresh_form() -> TokenForm {
    TokenForm {
        expires_in_days: "90".into(),
        ..TokenForm::default()
    }
}

async fn show(
    ctx: &Ctx,
    user: &CurrentUser,
    which: Which,
    Query(query): Query<DoneQuery>,
) -> AppResult<Response> {
    let notice = (query.done.as_deref() == Some("revoked")).then(|| ctx.t("tokens.revoked"));
    let form = fresh_form();
    let shown = Shown {
        status: StatusCode::OK,
        form: &form,
        errors: &FieldErrors::new(),
        created: None,
        notice,
    };
    render(ctx, user, which, shown).await
}

/// Makes a token and shows it once; a form that does not pass comes back with what was typed.
async fn make(ctx: &Ctx, user: &CurrentUser, which: Which, form: TokenForm) -> AppResult<Response> {
    let mut errors = FieldErrors::new();
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.insert("name", ctx.t("tokens.error_name"));
    }
    let days: Option<u32> = form
        .expires_in_days
        .trim()
        .parse()
        .ok()
        .filter(|days| EXPIRIES.contains(days));
    if days.is_none() {
        errors.insert("expires_in_days", ctx.t("tokens.error_expiry"));
    }
    let scopes: Result<Scopes, _> = form.scope.join(" ").parse();
    match &scopes {
        Err(_) => {
            errors.insert("scope", ctx.t("tokens.error_scope_unknown"));
        }
        Ok(scopes) => match tokens::check_grant(which.kind, user.roles, scopes) {
            Ok(()) => {}
            Err(TokenRefusal::NoScope) => {
                errors.insert("scope", ctx.t("tokens.error_no_scope"));
            }
            Err(TokenRefusal::BeyondRoles(_)) => {
                errors.insert("scope", ctx.t("tokens.error_scope_role"));
            }
            Err(TokenRefusal::Personal(_)) => {
                errors.insert("scope", ctx.t("tokens.error_scope_personal"));
            }
        },
    }
    let (Ok(scopes), Some(days), true) = (scopes, days, errors.is_empty()) else {
        let shown = Shown {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            form: &form,
            errors: &errors,
            created: None,
            notice: None,
        };
        return render(ctx, user, which, shown).await;
    };
    let (_, token) = api_tokens::create(
        &ctx.app.db,
        &NewToken {
            kind: which.kind,
            owner: user.user_id(),
            name,
            scopes: &scopes,
            expires_at: (days > 0).then(|| Utc::now() + Duration::days(i64::from(days))),
        },
    )
    .await?;
    tracing::info!(user = user.id, kind = ?which.kind, scopes = %scopes.to_stored(), "an API token was made");
    let form = fresh_form();
    let shown = Shown {
        status: StatusCode::OK,
        form: &form,
        errors: &FieldErrors::new(),
        created: Some(token),
        notice: Some(ctx.t("tokens.created")),
    };
    render(ctx, user, which, shown).await
}

/// Revokes a token: it stops working at once.
async fn end(ctx: &Ctx, user: &CurrentUser, which: Which, id: i32) -> AppResult<Response> {
    if !api_tokens::revoke(&ctx.app.db, which.kind, owner_filter(which, user), id).await? {
        return Err(crate::error::AppError::NotFound);
    }
    tracing::info!(user = user.id, token = id, kind = ?which.kind, "an API token was revoked");
    Ok(Redirect::to(&format!("{}?done=revoked", which.path)).into_response())
}
