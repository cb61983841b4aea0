//! Taking part, on each person's terms: the guidelines and opt-in, withdrawal, visibility
//! choices, the transparency page, export and erasure.

mod transparency;

pub use transparency::transparency_page;

use axum::Form;
use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chorus_editorial::markdown::render_html;
use chorus_policy::consent::{ConsentState, GuidelineVersion};
use chorus_policy::visibility::VisibilityChoices;
use chorus_policy::{Area, Role, ShareId};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::roles::Member;
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::store;
use crate::views::Ctx;

fn version_of(guidelines: &store::policy::Guidelines) -> GuidelineVersion {
    GuidelineVersion(u32::try_from(guidelines.version).unwrap_or_default())
}

fn body_in(guidelines: &store::policy::Guidelines, locale: Locale) -> &str {
    match locale {
        Locale::Fr => &guidelines.body_fr,
        Locale::En => &guidelines.body_en,
    }
}

/// Whether the person accepted the current guidelines (the [`Ambassador`] extractor's rule).
///
/// [`Ambassador`]: crate::auth::roles::Ambassador
///
/// # Errors
/// Database failure.
pub async fn is_opted_in(app: &AppState, user: &CurrentUser) -> AppResult<bool> {
    is_opted_in_at(app, user, None).await
}

/// [`is_opted_in`], remembered under the cache generation the request read (if it read one)
/// while the database does not change.
///
/// # Errors
/// Database failure.
pub async fn is_opted_in_at(
    app: &AppState,
    user: &CurrentUser,
    generation: Option<crate::memo::Generation>,
) -> AppResult<bool> {
    if let Some(known) = generation.and_then(|g| app.memo.opted_in(g, user.id)) {
        return Ok(known);
    }
    let current = store::policy::current_guidelines(&app.db).await?;
    let state = store::policy::consent_state(&app.db, user.id).await?;
    let opted_in = state.is_ambassador(version_of(&current));
    if let Some(generation) = generation {
        app.memo.remember_opted_in(generation, user.id, opted_in);
    }
    Ok(opted_in)
}

/// The guidelines to accept, with what changed since the version the person accepted.
#[derive(Serialize)]
struct JoinView {
    version: i32,
    guidelines_html: String,
    changes: Option<Vec<DiffLine>>,
    withdrawn: bool,
}

/// One line of the guidelines: `added`, `removed` or the `same` as before.
#[derive(Serialize)]
struct DiffLine {
    kind: &'static str,
    text: String,
}

/// `GET /hub/join`: the guidelines, what changed since the version the person accepted, and
/// the choice to take part.
pub async fn join_page(ctx: Ctx, Member(user): Member) -> AppResult<Response> {
    let db = &ctx.app.db;
    let current = store::policy::current_guidelines(db).await?;
    let state = store::policy::consent_state(db, user.id).await?;
    if state.is_ambassador(version_of(&current)) {
        return Ok(Redirect::to("/hub").into_response());
    }
    let body = body_in(&current, ctx.locale);
    let changes = match state {
        ConsentState::Accepted { version, .. }
        | ConsentState::Withdrawn {
            last_version: version,
            ..
        } if i64::from(version.0) != i64::from(current.version) => {
            let previous =
                store::policy::guidelines(db, i32::try_from(version.0).unwrap_or_default()).await?;
            previous
                .map(|previous| diff_lines(body_in(&previous, ctx.locale), body))
                .filter(|lines| lines.iter().any(|l| l.kind != "same"))
        }
        _ => None,
    };
    let view = JoinView {
        version: current.version,
        guidelines_html: render_html(body).to_string(),
        changes,
        withdrawn: matches!(state, ConsentState::Withdrawn { .. }),
    };
    Ok(ctx.page("hub/join.html", &view)?.into_response())
}

fn diff_lines(before: &str, after: &str) -> Vec<DiffLine> {
    similar::TextDiff::from_lines(before, after)
        .iter_all_changes()
        .filter(|change| {
            change.tag() != similar::ChangeTag::Equal || !change.value().trim().is_empty()
        })
        .map(|change| {
            let kind = match change.tag() {
                similar::ChangeTag::Delete => "removed",
                similar::ChangeTag::Insert => "added",
                similar::ChangeTag::Equal => "same",
            };
            DiffLine {
                kind,
                text: change.value().trim_end().to_owned(),
            }
        })
        .collect()
}

/// The accept form: the version the person read.
#[derive(Debug, Deserialize)]
pub struct JoinForm {
    version: i32,
}

/// `POST /hub/join`: accept the version read (a newer one published meanwhile is shown first).
pub async fn join(
    ctx: Ctx,
    Member(user): Member,
    Form(form): Form<JoinForm>,
) -> AppResult<Response> {
    let current = store::policy::current_guidelines(&ctx.app.db).await?;
    if form.version != current.version {
        return Ok(Redirect::to("/hub/join").into_response());
    }
    store::policy::accept(&ctx.app.db, user.id, current.version).await?;
    tracing::info!(
        user_id = user.id,
        version = current.version,
        "guidelines accepted"
    );
    Ok(Redirect::to("/hub/welcome?joined=1").into_response())
}

/// Query carrying a one-off notice.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// The privacy page: taking part, and the visibility choices.
#[derive(Serialize)]
struct PrivacyView {
    may_take_part: bool,
    opted_in: bool,
    needs_reacceptance: bool,
    choices: VisibilityChoices,
    notice: Option<String>,
}

/// `GET /account/privacy`: taking part, visibility choices, and one's data.
pub async fn privacy(
    ctx: Ctx,
    user: CurrentUser,
    Query(query): Query<DoneQuery>,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let state = store::policy::consent_state(db, user.id).await?;
    let current = store::policy::current_guidelines(db).await?;
    let choices = store::policy::choices(db, user.id).await?;
    let view = PrivacyView {
        may_take_part: user.roles.can_enter(Area::Hub),
        opted_in: state.is_opted_in(),
        needs_reacceptance: state.needs_reacceptance(version_of(&current)),
        choices,
        notice: query.done.as_deref().map(|d| {
            ctx.t(&format!(
                "privacy.done_{}",
                if d == "withdrawn" {
                    "withdrawn"
                } else {
                    "saved"
                }
            ))
        }),
    };
    Ok(ctx.page("account/privacy.html", &view)?.into_response())
}

/// The visibility choices form (checkboxes: present means on).
#[derive(Debug, Deserialize)]
pub struct ChoicesForm {
    be_named_in_statistics: Option<String>,
    show_name_on_shared_content: Option<String>,
}

/// `POST /account/privacy/choices`: takes effect at once, for past figures too.
pub async fn save_choices(
    ctx: Ctx,
    user: CurrentUser,
    Form(form): Form<ChoicesForm>,
) -> AppResult<Response> {
    let choices = VisibilityChoices {
        be_named_in_statistics: form.be_named_in_statistics.is_some(),
        show_name_on_shared_content: form.show_name_on_shared_content.is_some(),
    };
    store::policy::set_choices(&ctx.app.db, user.id, choices).await?;
    Ok(Redirect::to("/account/privacy?done=saved").into_response())
}

/// `POST /account/privacy/withdraw`: one action, effective at once.
pub async fn withdraw(ctx: Ctx, user: CurrentUser) -> AppResult<Response> {
    store::policy::withdraw(&ctx.app.db, user.id).await?;
    tracing::info!(user_id = user.id, "consent withdrawn");
    Ok(Redirect::to("/account/privacy?done=withdrawn").into_response())
}

/// `GET /account/export`: everything Chorus holds about the person, as JSON.
pub async fn export(ctx: Ctx, user: CurrentUser) -> AppResult<Response> {
    let db = &ctx.app.db;
    let row = store::users::by_id(db, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let receipts = store::policy::receipts(db, user.id).await?;
    let choices = store::policy::choices(db, user.id).await?;
    let follows = chorus_editorial::store::topics::followed(db, user.user_id()).await?;
    let suggestions = chorus_editorial::store::items::suggested_by(db, user.user_id()).await?;
    let views = chorus_statistics::audit::concerning(db, user.user_id()).await?;
    let connected = chorus_ambassador::accounts::list(db, user.user_id()).await?;
    let shares = chorus_ambassador::shares::for_user(db, user.user_id()).await?;
    let clicks = chorus_ambassador::links::clicks_per_share(db, user.user_id()).await?;
    let share_ids: Vec<ShareId> = shares.iter().map(|s| ShareId(s.id)).collect();
    let images = chorus_ambassador::images::described(db, &share_ids)
        .await
        .map_err(crate::store::StoreError::from)?;
    let passes = store::passes::of_person(db, user.id).await?;
    let preferences = chorus_ambassador::onboarding::load(db, user.user_id()).await?;
    let notifications = crate::notify::prefs(db, user.id).await?;
    let own_chat = crate::notify::personal_chat(db, &ctx.app.vault, user.id).await?;
    let tokens = crate::store::api_tokens::list(
        db,
        chorus_policy::tokens::TokenKind::Personal,
        Some(user.user_id()),
    )
    .await?;
    let document = serde_json::json!({
        "format": "chorus-personal-data/1",
        "exported_at": chrono::Utc::now(),
        "account": {
            "email": row.email,
            "name": row.display_name,
            "roles": row.roles.0.iter().map(Role::as_str).collect::<Vec<_>>(),
            "language": row.locale,
            "active": row.active,
            "created_at": row.created_at,
        },
        "consent_receipts": receipts.iter().map(|r| serde_json::json!({"guidelines_version": r.version, "accepted_at": r.accepted_at, "withdrawn_at": r.withdrawn_at})).collect::<Vec<_>>(),
        "visibility_choices": choices,
        "followed_topic_ids": follows,
        "preferences": {
            "networks": preferences.networks.iter().map(|n| n.as_str()).collect::<Vec<_>>(),
            "time_zone": preferences.time_zone.map(chrono_tz::Tz::name),
            "welcomed_at": preferences.welcomed_at,
            "quiet_hours": preferences.quiet.map(|q| serde_json::json!({"from": q.from().format("%H:%M").to_string(), "until": q.until().format("%H:%M").to_string()})),
            "daily_cap": preferences.daily_cap,
        },
        "suggestions": suggestions.iter().map(|s| serde_json::json!({"title": s.title, "link": s.link_url, "idea": s.body_md, "state": s.state, "created_at": s.created_at})).collect::<Vec<_>>(),
        "statistics_views_including_me": views.iter().map(|v| serde_json::json!({"at": v.at, "action": v.action, "detail": v.detail})).collect::<Vec<_>>(),
        "connected_accounts": connected.iter().map(|a| serde_json::json!({"network": a.network, "handle": a.handle, "name": a.display_name, "instance": a.instance})).collect::<Vec<_>>(),
        "shares": shares.iter().map(|s| serde_json::json!({"network": s.network, "item_id": s.item_id, "text": s.text, "state": s.state, "scheduled_at": s.scheduled_at, "published_at": s.published_at, "url": s.external_url, "human_clicks": clicks.get(&ShareId(s.id)).copied().unwrap_or(0), "image": images.get(&ShareId(s.id))})).collect::<Vec<_>>(),
        "notifications": {
            "choices": notifications,
            "own_chat": own_chat.map(|c| serde_json::json!({"service": c.service.as_str(), "address": c.address})),
        },
        "api_tokens": tokens.iter().map(|t| serde_json::json!({"name": t.name, "scopes": t.scopes.to_stored(), "created_at": t.created_at, "expires_at": t.expires_at, "last_used_at": t.last_used_at, "revoked_at": t.revoked_at})).collect::<Vec<_>>(),
        "not_for_me": passes.iter().map(|(item, reason)| serde_json::json!({"item_id": item, "reason": reason})).collect::<Vec<_>>(),
    });
    let body = serde_json::to_string_pretty(&document)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"chorus-my-data.json\""),
            ),
            // A person's data: never kept by a browser or proxy cache.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response())
}

/// The erasure page: what erasing means, and the confirmation.
#[derive(Serialize)]
struct EraseView {
    error: Option<String>,
}

/// `GET /account/erase`: what erasing means, and the confirmation.
pub async fn erase_page(ctx: Ctx, _user: CurrentUser) -> AppResult<Response> {
    let view = EraseView { error: None };
    Ok(ctx.page("account/erase.html", &view)?.into_response())
}

/// The erasure confirmation: the person types their email.
#[derive(Debug, Deserialize)]
pub struct EraseForm {
    #[serde(default)]
    confirm_email: String,
}

/// `POST /account/erase`: deletes the account and everything that identifies the person.
pub async fn erase(
    ctx: Ctx,
    user: CurrentUser,
    Form(form): Form<EraseForm>,
) -> AppResult<Response> {
    if form.confirm_email.trim().to_lowercase() != user.email {
        let view = EraseView {
            error: Some(ctx.t("erase.mismatch")),
        };
        return ctx.page_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "account/erase.html",
            &view,
        );
    }
    if user.roles.has(Role::Admin) {
        let others = store::users::list(&ctx.app.db)
            .await?
            .into_iter()
            .filter(|u| u.id != user.id && u.active && u.roles.0.has(Role::Admin))
            .count();
        if others == 0 {
            let view = EraseView {
                error: Some(ctx.t("form.last_admin")),
            };
            return ctx.page_status(StatusCode::CONFLICT, "account/erase.html", &view);
        }
    }
    // Connected accounts first: tokens revoked at the network where it offers revocation.
    chorus_ambassador::accounts::disconnect_all(
        &ctx.app.db,
        &ctx.app.vault,
        &ctx.app.networks,
        user.user_id(),
    )
    .await?;
    store::users::erase(&ctx.app.db, ctx.app.config.secret_key.bytes(), user.id).await?;
    tracing::info!("an account was erased at its owner's request");
    let cookie = crate::auth::set_cookie(
        crate::auth::session::COOKIE,
        "",
        0,
        ctx.app.config.secure_cookies(),
    );
    Ok(super::redirect_with_cookie("/sign-in?done=erased", &cookie))
}

/// The guidelines editor's form.
#[derive(Debug, Deserialize)]
pub struct GuidelinesForm {
    #[serde(default)]
    body_en: String,
    #[serde(default)]
    body_fr: String,
}

/// The guidelines editor: the version in force, in each language.
#[derive(Serialize)]
struct GuidelinesView<'a> {
    version: i32,
    body_en: &'a str,
    body_fr: &'a str,
    notice: Option<String>,
}

/// `GET /editor/guidelines`: editors and admins write the guidelines.
pub async fn guidelines_page(
    ctx: Ctx,
    user: CurrentUser,
    Query(query): Query<DoneQuery>,
) -> AppResult<Response> {
    if !(user.roles.can_enter(Area::Editorial) || user.roles.can_enter(Area::Admin)) {
        return Err(AppError::Forbidden);
    }
    let current = store::policy::current_guidelines(&ctx.app.db).await?;
    let view = GuidelinesView {
        version: current.version,
        body_en: &current.body_en,
        body_fr: &current.body_fr,
        notice: query.done.map(|_| ctx.t("guidelines.published")),
    };
    Ok(ctx.page("editor/guidelines.html", &view)?.into_response())
}

/// `POST /editor/guidelines`: publishes a new version; everyone is asked to accept it again.
pub async fn publish_guidelines(
    ctx: Ctx,
    user: CurrentUser,
    Form(form): Form<GuidelinesForm>,
) -> AppResult<Response> {
    if !(user.roles.can_enter(Area::Editorial) || user.roles.can_enter(Area::Admin)) {
        return Err(AppError::Forbidden);
    }
    if form.body_en.trim().is_empty() || form.body_fr.trim().is_empty() {
        return Err(AppError::BadRequest(ctx.t("guidelines.empty")));
    }
    let version = store::policy::publish_guidelines(
        &ctx.app.db,
        form.body_en.trim(),
        form.body_fr.trim(),
        user.id,
    )
    .await?;
    tracing::info!(version, by = user.id, "guidelines published");
    Ok(Redirect::to("/editor/guidelines?done=published").into_response())
}
