//! The programme page (`/programme`): why the company asks, what each person gains, who does
//! what, and the company's commitments read from the settings in force. Everyone signed in may
//! read it, opted in or not (it is what they decide on); editors write it at
//! `/editor/programme`, each publication a new version.

use std::collections::HashMap;

use axum::Form;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chorus_editorial::markdown::render_html;
use chorus_editorial::programme::{self, Commitments, ProgrammeText};
use serde::{Deserialize, Serialize};

use crate::auth::CurrentUser;
use crate::auth::roles::Editor;
use crate::error::AppResult;
use crate::i18n::Locale;
use crate::views::Ctx;

/// The page as a person reads it, in their language.
#[derive(Serialize)]
struct ProgrammeView {
    version: i32,
    published_on: Option<String>,
    vision_html: String,
    gains_html: String,
    roles_html: String,
    /// The commitments, each a sentence made true by the settings.
    commitments: Vec<String>,
    can_edit: bool,
}

/// The commitments in `locale`'s words: the settings' facts first, then what holds always.
fn commitment_sentences(ctx: &Ctx, commitments: &Commitments) -> Vec<String> {
    let i18n = &ctx.app.views.i18n;
    let k = commitments.min_group_size.to_string();
    let mut out = vec![
        ctx.t("programme.commit_own_act"),
        ctx.t("programme.commit_no_consequence"),
        i18n.text(ctx.locale, "programme.commit_min_group", &[("min", &k)]),
        i18n.text(ctx.locale, "programme.commit_analysts", &[("min", &k)]),
        ctx.t("programme.commit_never_read"),
        ctx.t("programme.commit_your_data"),
    ];
    let disclosure = match ctx.locale {
        Locale::Fr => commitments.disclosure_fr.as_deref(),
        Locale::En => commitments.disclosure_en.as_deref(),
    };
    if let Some(disclosure) = disclosure {
        out.push(i18n.text(
            ctx.locale,
            "programme.commit_disclosure",
            &[("disclosure", disclosure)],
        ));
    }
    out.push(match commitments.daily_cap {
        Some(cap) => i18n.text(
            ctx.locale,
            "programme.commit_daily_cap",
            &[("count", &cap.to_string())],
        ),
        None => ctx.t("programme.commit_rhythm"),
    });
    if commitments.second_approval {
        out.push(ctx.t("programme.commit_second_approval"));
    }
    if !commitments.composer_only.is_empty() {
        out.push(i18n.text(
            ctx.locale,
            "programme.commit_composer_only",
            &[("networks", &commitments.composer_only.join(", "))],
        ));
    }
    out
}

/// `GET /programme`: the programme in force, for everyone signed in.
pub async fn page(ctx: Ctx, user: CurrentUser) -> AppResult<Response> {
    let db = &ctx.app.db;
    let current = programme::current(db).await?;
    let settings = chorus_editorial::store::settings::load(db).await?;
    let [vision, gains, roles] = current.text.in_language(ctx.locale.tag());
    let view = ProgrammeView {
        version: current.version,
        published_on: current
            .published_at
            .map(|at| ctx.locale.date(at.date_naive())),
        vision_html: render_html(vision).to_string(),
        gains_html: render_html(gains).to_string(),
        roles_html: render_html(roles).to_string(),
        commitments: commitment_sentences(&ctx, &Commitments::of(&settings)),
        can_edit: user.roles.can_enter(chorus_policy::Area::Editorial),
    };
    Ok(ctx.page("programme.html", &view)?.into_response())
}

/// Query carrying a one-off notice.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// The editors' forms: the text in both languages, the programme's daily cap, and what is
/// wrong with either.
#[derive(Serialize)]
struct EditView {
    version: i32,
    form: ProgrammeText,
    /// The daily cap per person, as stored or as typed.
    daily_cap: String,
    errors: HashMap<String, String>,
    notice: Option<String>,
}

/// The cap as the form shows it.
async fn stored_cap(ctx: &Ctx) -> AppResult<String> {
    Ok(chorus_editorial::store::settings::load(&ctx.app.db)
        .await?
        .daily_cap
        .map(|n| n.to_string())
        .unwrap_or_default())
}

/// `GET /editor/programme`: the version in force, to edit.
pub async fn edit(ctx: Ctx, _: Editor, Query(query): Query<DoneQuery>) -> AppResult<Response> {
    let current = programme::current(&ctx.app.db).await?;
    let view = EditView {
        version: current.version,
        form: current.text,
        daily_cap: stored_cap(&ctx).await?,
        errors: HashMap::new(),
        notice: match query.done.as_deref() {
            Some("cap") => Some(ctx.t("programme.cap_saved")),
            Some(_) => Some(ctx.t("programme.published")),
            None => None,
        },
    };
    Ok(ctx.page("editor/programme.html", &view)?.into_response())
}

/// The programme's daily cap form.
#[derive(Debug, Deserialize)]
pub struct CapForm {
    #[serde(default)]
    daily_cap: String,
}

/// `POST /editor/programme/cap`: at most this many shares per person per day (empty: none).
/// People may choose fewer for themselves, never more; the commitments say it.
pub async fn set_cap(
    ctx: Ctx,
    Editor(user): Editor,
    Form(form): Form<CapForm>,
) -> AppResult<Response> {
    match chorus_policy::rhythm::parse_daily_cap(&form.daily_cap) {
        Ok(cap) => {
            chorus_editorial::store::settings::set_daily_cap(&ctx.app.db, cap).await?;
            tracing::info!(?cap, by = user.id, "programme daily cap set");
            Ok(Redirect::to("/editor/programme?done=cap#cap").into_response())
        }
        Err(_) => {
            let current = programme::current(&ctx.app.db).await?;
            let view = EditView {
                version: current.version,
                form: current.text,
                daily_cap: form.daily_cap,
                errors: HashMap::from([(
                    "daily_cap".to_owned(),
                    ctx.t("account.daily_cap_invalid"),
                )]),
                notice: None,
            };
            ctx.page_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "editor/programme.html",
                &view,
            )
        }
    }
}

/// `POST /editor/programme`: publishes a new version; a form with an empty section comes back
/// with every character kept.
pub async fn publish(
    ctx: Ctx,
    Editor(user): Editor,
    Form(form): Form<ProgrammeText>,
) -> AppResult<Response> {
    match form.parse() {
        Ok(text) => {
            let version = programme::publish(&ctx.app.db, text, user.user_id()).await?;
            tracing::info!(version, by = user.id, "programme page published");
            Ok(Redirect::to("/editor/programme?done=published").into_response())
        }
        Err(errors) => {
            let current = programme::current(&ctx.app.db).await?;
            let view = EditView {
                version: current.version,
                daily_cap: stored_cap(&ctx).await?,
                errors: errors
                    .into_iter()
                    .map(|e| (e.field, ctx.t(e.message_key)))
                    .collect(),
                form,
                notice: None,
            };
            ctx.page_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "editor/programme.html",
                &view,
            )
        }
    }
}
