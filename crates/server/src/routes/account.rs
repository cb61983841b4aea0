//! The person's own account: language, time zone and password.

use axum::Form;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::accounts::{self, AccountError};
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::i18n::Locale;
use crate::routes::FieldErrors;
use crate::store;
use crate::views::Ctx;

/// Query of the account page.
#[derive(Debug, Default, Deserialize)]
pub struct AccountQuery {
    done: Option<String>,
}

/// The account page.
#[derive(Serialize)]
struct AccountView<'a> {
    time_zone: &'a str,
    time_zones: Vec<&'static str>,
    languages: Vec<LanguageOption>,
    /// The language the person chose; empty when they follow the browser.
    current_language: String,
    errors: &'a FieldErrors,
    notice: Option<String>,
}

/// One language Chorus speaks, named in itself.
#[derive(Serialize)]
struct LanguageOption {
    tag: &'static str,
    name: &'static str,
}

async fn page(
    ctx: &Ctx,
    status: StatusCode,
    errors: &FieldErrors,
    notice: Option<String>,
    typed_zone: Option<&str>,
) -> AppResult<Response> {
    let stored_zone = match ctx.user.as_ref() {
        Some(user) => chorus_ambassador::onboarding::load(&ctx.app.db, user.id)
            .await?
            .time_zone
            .map(|z| z.name().to_owned()),
        None => None,
    };
    let current = ctx
        .user
        .as_ref()
        .and_then(|u| u.locale.clone())
        .unwrap_or_default();
    let view = AccountView {
        time_zone: typed_zone.unwrap_or(stored_zone.as_deref().unwrap_or_default()),
        time_zones: chorus_ambassador::onboarding::time_zone_names(),
        languages: Locale::ALL
            .iter()
            .map(|l| LanguageOption {
                tag: l.tag(),
                name: l.native_name(),
            })
            .collect(),
        current_language: current,
        errors,
        notice,
    };
    ctx.page_status(status, "account/account.html", &view)
}

/// `GET /account`.
pub async fn show(
    ctx: Ctx,
    _user: CurrentUser,
    Query(query): Query<AccountQuery>,
) -> AppResult<Response> {
    let notice = match query.done.as_deref() {
        Some("password") => Some(ctx.t("account.password_changed")),
        Some("language") => Some(ctx.t("account.language_saved")),
        Some("time_zone") => Some(ctx.t("account.time_zone_saved")),
        _ => None,
    };
    page(&ctx, StatusCode::OK, &FieldErrors::new(), notice, None).await
}

/// The time zone form.
#[derive(Debug, Deserialize)]
pub struct TimeZoneForm {
    #[serde(default)]
    time_zone: String,
}

/// `POST /account/time-zone`: the zone every time is shown and read in; a name that is not a
/// zone shows the form again with what was typed.
pub async fn set_time_zone(
    ctx: Ctx,
    user: CurrentUser,
    Form(form): Form<TimeZoneForm>,
) -> AppResult<Response> {
    match chorus_ambassador::onboarding::parse_time_zone(&form.time_zone) {
        Ok(zone) => {
            chorus_ambassador::onboarding::set_time_zone(
                &ctx.app.db,
                user.id,
                zone,
                chrono::Utc::now(),
            )
            .await?;
            Ok(Redirect::to("/account?done=time_zone").into_response())
        }
        Err(_) => {
            let mut errors = FieldErrors::new();
            errors.insert("time_zone", ctx.t("account.time_zone_invalid"));
            page(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                &errors,
                None,
                Some(&form.time_zone),
            )
            .await
        }
    }
}

/// The language form.
#[derive(Debug, Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    language: String,
}

/// `POST /account/language`: an empty value follows the browser.
pub async fn set_language(
    ctx: Ctx,
    user: CurrentUser,
    Form(form): Form<LanguageForm>,
) -> AppResult<Response> {
    let locale = Locale::from_tag(&form.language);
    store::users::set_locale(&ctx.app.db, user.id, locale.map(Locale::tag)).await?;
    Ok(Redirect::to("/account?done=language").into_response())
}

/// The password form.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// `POST /account/password`: changes the password and ends the person's other sessions.
pub async fn change_password(
    ctx: Ctx,
    user: CurrentUser,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::new();
    if form.new_password != form.confirm_password {
        errors.insert("confirm_password", ctx.t("form.passwords_differ"));
        return page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &errors, None, None).await;
    }
    match accounts::change_password(
        &ctx.app.db,
        user.id,
        &form.current_password,
        &form.new_password,
    )
    .await
    {
        Ok(()) => {
            store::sessions::delete_for_user(&ctx.app.db, user.id, Some(&user.session_hash))
                .await?;
            Ok(Redirect::to("/account?done=password").into_response())
        }
        Err(e @ (AccountError::Store(_) | AccountError::Hashing)) => Err(e.into()),
        Err(e) => {
            let (field, key) = e.field();
            let field = if field == "password" {
                "new_password"
            } else {
                field
            };
            errors.insert(field, ctx.t(key));
            page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &errors, None, None).await
        }
    }
}

/// Each person's own area, under `/account`: language, time zone, password, privacy choices,
/// transparency, export and erasure.
pub fn routes() -> axum::Router<crate::app::AppState> {
    use axum::routing::{get, post};

    use super::participation;
    axum::Router::new()
        .route("/", get(show))
        .route("/language", post(set_language))
        .route("/time-zone", post(set_time_zone))
        .route("/password", post(change_password))
        .route("/privacy", get(participation::privacy))
        .route("/privacy/choices", post(participation::save_choices))
        .route("/privacy/withdraw", post(participation::withdraw))
        .route("/transparency", get(participation::transparency_page))
        .route("/export", get(participation::export))
        .route(
            "/erase",
            get(participation::erase_page).post(participation::erase),
        )
}
