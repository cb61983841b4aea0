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

pub(crate) mod tokens;

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
    /// The rhythm form: as stored, or as typed when it comes back with an error.
    rhythm: RhythmForm,
    /// The programme's cap per person per day, which the person may lower but not raise.
    programme_cap: Option<u32>,
    errors: &'a FieldErrors,
    notice: Option<String>,
}

/// One language Chorus speaks, named in itself.
#[derive(Serialize)]
struct LanguageOption {
    tag: &'static str,
    name: &'static str,
}

/// What the person typed in a form that comes back with an error.
#[derive(Default)]
struct Typed<'a> {
    zone: Option<&'a str>,
    rhythm: Option<&'a RhythmForm>,
}

async fn page(
    ctx: &Ctx,
    status: StatusCode,
    errors: &FieldErrors,
    notice: Option<String>,
    typed: Typed<'_>,
) -> AppResult<Response> {
    let preferences = match ctx.user.as_ref() {
        Some(user) => chorus_ambassador::onboarding::load(&ctx.app.db, user.user_id()).await?,
        None => chorus_ambassador::onboarding::Preferences::default(),
    };
    let stored_zone = preferences.time_zone.map(|z| z.name().to_owned());
    let programme_cap = chorus_editorial::store::settings::load(&ctx.app.db)
        .await?
        .daily_cap;
    let rhythm = typed.rhythm.cloned().unwrap_or_else(|| RhythmForm {
        quiet_from: preferences
            .quiet
            .map(|q| q.from().format("%H:%M").to_string())
            .unwrap_or_default(),
        quiet_until: preferences
            .quiet
            .map(|q| q.until().format("%H:%M").to_string())
            .unwrap_or_default(),
        daily_cap: preferences
            .daily_cap
            .map(|n| n.to_string())
            .unwrap_or_default(),
    });
    let current = ctx
        .user
        .as_ref()
        .and_then(|u| u.locale.clone())
        .unwrap_or_default();
    let view = AccountView {
        time_zone: typed
            .zone
            .unwrap_or(stored_zone.as_deref().unwrap_or_default()),
        time_zones: chorus_ambassador::onboarding::time_zone_names(),
        languages: Locale::ALL
            .iter()
            .map(|l| LanguageOption {
                tag: l.tag(),
                name: l.native_name(),
            })
            .collect(),
        current_language: current,
        rhythm,
        programme_cap,
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
        Some("rhythm") => Some(ctx.t("account.rhythm_saved")),
        _ => None,
    };
    page(
        &ctx,
        StatusCode::OK,
        &FieldErrors::new(),
        notice,
        Typed::default(),
    )
    .await
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
                user.user_id(),
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
                Typed {
                    zone: Some(&form.time_zone),
                    rhythm: None,
                },
            )
            .await
        }
    }
}

/// The rhythm form: quiet hours (both times, or neither) and a daily cap (empty: none).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RhythmForm {
    #[serde(default)]
    quiet_from: String,
    #[serde(default)]
    quiet_until: String,
    #[serde(default)]
    daily_cap: String,
}

/// `POST /account/rhythm`: the person's quiet hours and daily cap, no higher than the
/// programme's; a form with a mistake comes back with what was typed.
pub async fn set_rhythm(
    ctx: Ctx,
    user: CurrentUser,
    Form(form): Form<RhythmForm>,
) -> AppResult<Response> {
    use chorus_policy::rhythm::{QuietHours, parse_daily_cap};
    let db = &ctx.app.db;
    let mut errors = FieldErrors::new();
    let time = |text: &str| chrono::NaiveTime::parse_from_str(text.trim(), "%H:%M").ok();
    let quiet = match (form.quiet_from.trim(), form.quiet_until.trim()) {
        ("", "") => None,
        (from, until) => match (time(from), time(until)) {
            (Some(from), Some(until)) => match QuietHours::new(from, until) {
                Ok(quiet) => Some(quiet),
                Err(_) => {
                    errors.insert("quiet", ctx.t("account.quiet_same"));
                    None
                }
            },
            _ => {
                errors.insert("quiet", ctx.t("account.quiet_incomplete"));
                None
            }
        },
    };
    let programme_cap = chorus_editorial::store::settings::load(db).await?.daily_cap;
    let daily_cap = match parse_daily_cap(&form.daily_cap) {
        Ok(Some(cap)) if programme_cap.is_some_and(|most| cap > most) => {
            let most = programme_cap.unwrap_or(cap).to_string();
            errors.insert(
                "daily_cap",
                ctx.app.views.i18n.text(
                    ctx.locale,
                    "account.daily_cap_over_programme",
                    &[("count", &most)],
                ),
            );
            None
        }
        Ok(cap) => cap,
        Err(_) => {
            errors.insert("daily_cap", ctx.t("account.daily_cap_invalid"));
            None
        }
    };
    if !errors.is_empty() {
        return page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &errors,
            None,
            Typed {
                zone: None,
                rhythm: Some(&form),
            },
        )
        .await;
    }
    chorus_ambassador::onboarding::set_rhythm(
        db,
        user.user_id(),
        quiet,
        daily_cap,
        chrono::Utc::now(),
    )
    .await?;
    tracing::info!(user = user.id, "rhythm saved by its owner");
    Ok(Redirect::to("/account?done=rhythm#rhythm").into_response())
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
        return page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &errors,
            None,
            Typed::default(),
        )
        .await;
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
            page(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                &errors,
                None,
                Typed::default(),
            )
            .await
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
        .route("/rhythm", post(set_rhythm))
        .route(
            "/notifications",
            get(super::notifications::page).post(super::notifications::save),
        )
        .route("/password", post(change_password))
        .route("/tokens", get(tokens::page).post(tokens::create))
        .route("/tokens/{id}/revoke", post(tokens::revoke))
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
