//! The welcome step after accepting the guidelines: what Chorus is for the person, what the
//! company can and cannot see about them, how sharing works; then the networks they use, the
//! topics they care about and their time zone. Shown once, revisited from the hub.

use axum::Form;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chorus_ambassador::onboarding::{self, Preferences};
use chorus_editorial::store::topics;
use chorus_policy::{Network, TopicId};
use chrono::Utc;
use serde::Serialize;

use crate::auth::roles::Ambassador;
use crate::error::AppResult;
use crate::notify;
use crate::store;
use crate::views::Ctx;

/// What the page says above the form.
struct Page {
    error: Option<String>,
    notice: Option<String>,
}

/// What the welcome form holds, as typed.
struct Choices {
    networks: Vec<Network>,
    topic_ids: Vec<TopicId>,
    time_zone: String,
    /// Email about what concerns them, and the digest (asked only when email can be sent).
    email_events: bool,
    digest: notify::Digest,
}

/// The welcome page.
#[derive(Serialize)]
struct WelcomeView<'a> {
    revisit: bool,
    min_group_size: usize,
    /// Whether the person chose to be named in statistics.
    named: bool,
    networks: Vec<NetworkChoice>,
    topics: Vec<TopicChoice<'a>>,
    time_zone: &'a str,
    time_zones: Vec<&'static str>,
    /// What the person wants by email, asked only when email can be sent.
    email: Option<EmailChoice>,
    error: Option<String>,
    notice: Option<String>,
}

/// What a person wants by email, as ticked.
#[derive(Serialize)]
struct EmailChoice {
    events: bool,
    digest: notify::Digest,
}

/// A network, ticked when the person uses it.
#[derive(Serialize)]
struct NetworkChoice {
    name: &'static str,
    label: &'static str,
    checked: bool,
}

/// A topic, ticked when the person follows it.
#[derive(Serialize)]
struct TopicChoice<'a> {
    id: i32,
    name: &'a str,
    checked: bool,
}

async fn render(
    ctx: &Ctx,
    user_id: i32,
    status: StatusCode,
    choices: &Choices,
    revisit: bool,
    page: Page,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let settings = chorus_editorial::store::settings::load(db).await?;
    let visibility = store::policy::choices(db, user_id).await?;
    let all_topics = topics::topics(db).await?;
    let view = WelcomeView {
        revisit,
        min_group_size: settings.min_group_size.get(),
        named: visibility.be_named_in_statistics,
        networks: Network::ALL
            .iter()
            .map(|n| NetworkChoice {
                name: n.as_str(),
                label: n.display_name(),
                checked: choices.networks.contains(n),
            })
            .collect(),
        topics: all_topics
            .iter()
            .map(|t| TopicChoice {
                id: t.id,
                name: &t.name,
                checked: choices.topic_ids.contains(&TopicId(t.id)),
            })
            .collect(),
        time_zone: &choices.time_zone,
        time_zones: onboarding::time_zone_names(),
        email: ctx.app.config.mail.is_some().then_some(EmailChoice {
            events: choices.email_events,
            digest: choices.digest,
        }),
        error: page.error,
        notice: page.notice,
    };
    ctx.page_status(status, "hub/welcome.html", &view)
}

/// Query of the welcome: `joined` right after accepting the guidelines.
#[derive(Debug, Default, serde::Deserialize)]
pub struct WelcomeQuery {
    joined: Option<String>,
}

/// `GET /hub/welcome`: the welcome, with what the person chose before when they revisit it.
pub async fn page(
    ctx: Ctx,
    Ambassador(user): Ambassador,
    Query(query): Query<WelcomeQuery>,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let preferences: Preferences = onboarding::load(db, user.user_id()).await?;
    let prefs = notify::prefs(db, user.id).await?;
    let choices = Choices {
        email_events: prefs.email_events,
        digest: if prefs.email_digest {
            prefs.digest
        } else {
            notify::Digest::Never
        },
        networks: preferences.networks.clone(),
        topic_ids: topics::followed(db, user.user_id()).await?,
        time_zone: preferences
            .time_zone
            .map(|z| z.name().to_owned())
            .unwrap_or_default(),
    };
    let joined = match query.joined {
        Some(_) => Some(
            store::policy::consent_state(db, user.id)
                .await?
                .last_accepted_version()
                .map(|v| v.0),
        ),
        None => None,
    };
    let notice = joined.flatten().map(|version| {
        ctx.app.views.i18n.text(
            ctx.locale,
            "welcome.joined",
            &[("version", &version.to_string())],
        )
    });
    render(
        &ctx,
        user.id,
        StatusCode::OK,
        &choices,
        preferences.welcomed_at.is_some(),
        Page {
            error: None,
            notice,
        },
    )
    .await
}

/// `POST /hub/welcome`: the ticked networks (`network`) and topics (`topic`), and the time zone
/// (filled from the browser unless the person chose one). An unknown zone shows the form again
/// with everything ticked kept.
pub async fn finish(
    ctx: Ctx,
    Ambassador(user): Ambassador,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let values = |name: &'static str| {
        pairs
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let choices = Choices {
        networks: values("network").filter_map(|v| v.parse().ok()).collect(),
        topic_ids: values("topic").filter_map(|v| v.parse().ok()).collect(),
        time_zone: values("time_zone")
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned(),
        email_events: values("email_events").next().is_some(),
        digest: notify::Digest::parse(values("digest").next().unwrap_or_default()),
    };
    let time_zone = if choices.time_zone.is_empty() {
        None
    } else {
        match onboarding::parse_time_zone(&choices.time_zone) {
            Ok(zone) => Some(zone),
            Err(_) => {
                let error = ctx.app.views.i18n.text(
                    ctx.locale,
                    "welcome.error_time_zone",
                    &[("zone", &choices.time_zone)],
                );
                let revisit = onboarding::load(db, user.user_id())
                    .await?
                    .welcomed_at
                    .is_some();
                return render(
                    &ctx,
                    user.id,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &choices,
                    revisit,
                    Page {
                        error: Some(error),
                        notice: None,
                    },
                )
                .await;
            }
        }
    };
    topics::set_followed(db, user.user_id(), &choices.topic_ids).await?;
    onboarding::finish_welcome(db, user.user_id(), &choices.networks, time_zone, Utc::now())
        .await?;
    if ctx.app.config.mail.is_some() {
        // What they ticked here, by email; their other choices (chat, announcements) stay.
        let prefs = notify::prefs(db, user.id).await?;
        let email_digest = choices.digest != notify::Digest::Never;
        let prefs = notify::Prefs {
            email_events: choices.email_events,
            email_digest,
            digest: if email_digest || !prefs.chat_digest {
                choices.digest
            } else {
                prefs.digest
            },
            ..prefs
        };
        notify::save_prefs(db, user.id, prefs).await?;
    }
    tracing::info!(
        user_id = user.id,
        networks = choices.networks.len(),
        topics = choices.topic_ids.len(),
        "welcome finished"
    );
    Ok(Redirect::to("/hub?welcome=done").into_response())
}
