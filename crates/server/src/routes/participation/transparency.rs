//! The transparency page: what Chorus stores about the person and who can see each item, their
//! consent receipts, and every view of statistics that included them, told as sentences.

use axum::response::{IntoResponse, Response};
use chorus_policy::visibility::{Audience, Detail, PersonalDatum, transparency};
use serde::Serialize;

use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::store;
use crate::views::Ctx;

/// The transparency page.
#[derive(Serialize)]
struct TransparencyView {
    rows: Vec<DatumRow>,
    receipts: Vec<ReceiptRow>,
    views: Vec<ViewRow>,
    /// How long each kind of data is kept before it is deleted by itself.
    retention: Vec<RetentionLine>,
    opted_in: bool,
}

/// One kind of personal data and who can see it, in words.
#[derive(Serialize)]
struct DatumRow {
    datum: String,
    audience: Vec<String>,
}

/// How long one kind of data is kept, in words.
#[derive(Serialize)]
struct RetentionLine {
    label: String,
    what: String,
    kept: String,
}

/// The retention periods in force, for the page that shows them.
async fn retention_lines(ctx: &Ctx) -> AppResult<Vec<RetentionLine>> {
    let retention = chorus_editorial::store::settings::load(&ctx.app.db)
        .await?
        .retention;
    Ok(retention
        .iter()
        .map(|(kind, days)| RetentionLine {
            label: ctx.t(&format!("retention.{}", kind.as_str())),
            what: ctx.t(&format!("retention.{}_what", kind.as_str())),
            kept: ctx.app.views.i18n.text(
                ctx.locale,
                if days == 1 {
                    "retention.kept_for_one"
                } else {
                    "retention.kept_for"
                },
                &[("days", &days.to_string())],
            ),
        })
        .collect())
}

/// One acceptance of the guidelines, and its withdrawal.
#[derive(Serialize)]
struct ReceiptRow {
    version: i32,
    accepted_at: String,
    withdrawn_at: Option<String>,
}

/// One view of statistics that included the person.
#[derive(Serialize)]
struct ViewRow {
    at: String,
    sentence: String,
    /// The filter as it was stored.
    detail: String,
}

fn audience_key(audience: Audience) -> &'static str {
    match audience {
        Audience::Themselves => "themselves",
        Audience::Admins => "admins",
        Audience::Analysts(Detail::Aggregated) => "analysts_aggregated",
        Audience::Analysts(Detail::Named) => "analysts_named",
        Audience::Editors(Detail::Aggregated) => "editors_aggregated",
        Audience::Editors(Detail::Named) => "editors_named",
        Audience::Colleagues => "colleagues",
    }
}

fn datum_key(datum: PersonalDatum) -> &'static str {
    match datum {
        PersonalDatum::AccountEmail => "account_email",
        PersonalDatum::AccountName => "account_name",
        PersonalDatum::Roles => "roles",
        PersonalDatum::ConsentReceipts => "consent_receipts",
        PersonalDatum::ConnectedAccounts => "connected_accounts",
        PersonalDatum::Shares => "shares",
        PersonalDatum::ShareText => "share_text",
        PersonalDatum::ClicksPerShare => "clicks_per_share",
        PersonalDatum::NotForMeAnswers => "not_for_me",
        PersonalDatum::StatisticsViews => "statistics_views",
    }
}

/// `GET /account/transparency`: what Chorus stores about the person and who can see each
/// item, computed from their current choices by the policy rules, plus their receipts and
/// every view of statistics that included them.
pub async fn transparency_page(ctx: Ctx, user: CurrentUser) -> AppResult<Response> {
    let db = &ctx.app.db;
    let state = store::policy::consent_state(db, user.id).await?;
    let choices = store::policy::choices(db, user.id).await?.honoured(&state);
    let rows = transparency(&choices)
        .into_iter()
        .map(|row| DatumRow {
            datum: ctx.t(&format!("transparency.datum_{}", datum_key(row.datum))),
            audience: row
                .audience
                .iter()
                .map(|a| ctx.t(&format!("transparency.audience_{}", audience_key(*a))))
                .collect(),
        })
        .collect();
    let zone = ctx.zone().await?;
    let receipts = store::policy::receipts(db, user.id)
        .await?
        .into_iter()
        .map(|r| ReceiptRow {
            version: r.version,
            accepted_at: ctx.when(zone, r.accepted_at),
            withdrawn_at: r.withdrawn_at.map(|t| ctx.when(zone, t)),
        })
        .collect();
    let names = store::users::names(db).await?;
    let entries = chorus_statistics::audit::concerning(db, user.user_id()).await?;
    let views = if entries.is_empty() {
        Vec::new()
    } else {
        let labels = ViewLabels::load(db).await?;
        entries
            .into_iter()
            .map(|e| {
                let who = e
                    .actor_id
                    .and_then(|id| names.get(&id))
                    .cloned()
                    .unwrap_or_else(|| ctx.t("transparency.someone"));
                ViewRow {
                    at: ctx.when(zone, e.at),
                    sentence: view_sentence(&ctx, &labels, &who, &e.action, &e.detail),
                    detail: e.detail,
                }
            })
            .collect()
    };
    let view = TransparencyView {
        rows,
        receipts,
        views,
        retention: retention_lines(&ctx).await?,
        opted_in: state.is_opted_in(),
    };
    Ok(ctx
        .page("account/transparency.html", &view)?
        .into_response())
}

/// Names of topics, campaigns and items, to say which figures someone looked at.
struct ViewLabels {
    topics: std::collections::HashMap<String, String>,
    campaigns: std::collections::HashMap<String, String>,
    items: std::collections::HashMap<String, String>,
}

impl ViewLabels {
    async fn load(db: &sea_orm::DatabaseConnection) -> AppResult<ViewLabels> {
        use chorus_statistics::Dimension;
        let labels = |dimension| chorus_statistics::labels(db, dimension);
        let (topics, campaigns, items) = tokio::try_join!(
            labels(Dimension::Topic),
            labels(Dimension::Campaign),
            labels(Dimension::Item)
        )?;
        Ok(ViewLabels {
            topics,
            campaigns,
            items,
        })
    }
}

/// One view of statistics as a sentence: who looked at which figures, for which period and
/// with which filters ("Ana Analyst looked at the dashboard for 2026-11-05 to 2026-12-02, team
/// Nantes."). A detail that no longer reads as a filter is shown as it was stored.
fn view_sentence(ctx: &Ctx, labels: &ViewLabels, who: &str, action: &str, detail: &str) -> String {
    let Ok(filter) = serde_json::from_str::<chorus_statistics::Filter>(detail) else {
        return format!("{who}: {action} {detail}");
    };
    let i18n = &ctx.app.views.i18n;
    let name = |map: &std::collections::HashMap<String, String>, id: i32| {
        map.get(&id.to_string())
            .cloned()
            .unwrap_or_else(|| format!("#{id}"))
    };
    let mut filters: Vec<String> = Vec::new();
    if let Some(team) = &filter.team {
        filters.push(i18n.text(ctx.locale, "transparency.filter_team", &[("team", team)]));
    }
    if let Some(network) = filter.network {
        filters.push(i18n.text(
            ctx.locale,
            "transparency.filter_network",
            &[("network", network.display_name())],
        ));
    }
    if let Some(topic) = filter.topic {
        filters.push(i18n.text(
            ctx.locale,
            "transparency.filter_topic",
            &[("topic", &name(&labels.topics, topic.get()))],
        ));
    }
    if let Some(campaign) = filter.campaign {
        filters.push(i18n.text(
            ctx.locale,
            "transparency.filter_campaign",
            &[("campaign", &name(&labels.campaigns, campaign.get()))],
        ));
    }
    let key = match action {
        "stats.export" => "transparency.viewed_export",
        "stats.item" => "transparency.viewed_item",
        "stats.previous" => "transparency.viewed_previous",
        _ => "transparency.viewed_dashboard",
    };
    let item = filter
        .item
        .map(|id| name(&labels.items, id.get()))
        .unwrap_or_default();
    let from = filter.from.to_string();
    let to = filter.to.to_string();
    let filters = if filters.is_empty() {
        ctx.t("transparency.filter_none")
    } else {
        filters.join(", ")
    };
    i18n.text(
        ctx.locale,
        key,
        &[
            ("who", who),
            ("from", &from),
            ("to", &to),
            ("item", &item),
            ("filters", &filters),
        ],
    )
}
