//! The organisation's settings (`/admin/settings`): second approval, the minimum group size,
//! the disclosure texts and "post it yourself" only per network.

use axum::Form;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chorus_editorial::store::settings;
use chorus_policy::Network;
use chorus_policy::retention::{DataKind, Retention};
use serde::{Deserialize, Serialize};

use super::PersonQuery;
use crate::auth::roles::Admin;
use crate::error::AppResult;
use crate::routes::FieldErrors;
use crate::views::Ctx;

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

/// The settings page, as stored or shown again with its errors.
#[derive(Serialize)]
struct SettingsView<'a> {
    second_approval: bool,
    min_group_size: &'a str,
    disclosure_en: &'a str,
    disclosure_fr: &'a str,
    networks: Vec<ComposerOnlyBox>,
    /// How long each kind of data is kept: as stored, or as typed.
    retention: Vec<RetentionRow>,
    errors: &'a FieldErrors,
    notice: Option<String>,
}

/// One kind of data in the retention form: its period as stored or typed, and its bounds.
#[derive(Serialize)]
struct RetentionRow {
    name: &'static str,
    days: String,
    default_days: u32,
    min_days: u32,
    max_days: u32,
}

impl RetentionRow {
    fn all(days_of: impl Fn(DataKind) -> String) -> Vec<RetentionRow> {
        DataKind::ALL
            .into_iter()
            .map(|kind| RetentionRow {
                name: kind.as_str(),
                days: days_of(kind),
                default_days: kind.default_days(),
                min_days: kind.min_days(),
                max_days: kind.max_days(),
            })
            .collect()
    }
}

/// One network's "post it yourself only" checkbox.
#[derive(Serialize)]
struct ComposerOnlyBox {
    name: &'static str,
    label: &'static str,
    composer_only: bool,
}

fn settings_page(
    ctx: &Ctx,
    status: StatusCode,
    form: &SettingsForm,
    retention: Vec<RetentionRow>,
    errors: &FieldErrors,
    notice: Option<String>,
) -> AppResult<Response> {
    let composer_only = form.composer_only();
    let view = SettingsView {
        second_approval: form.second_approval.is_some(),
        min_group_size: &form.min_group_size,
        disclosure_en: &form.disclosure_en,
        disclosure_fr: &form.disclosure_fr,
        networks: Network::ALL
            .iter()
            .map(|n| ComposerOnlyBox {
                name: n.as_str(),
                label: n.display_name(),
                composer_only: composer_only.contains(n),
            })
            .collect(),
        retention,
        errors,
        notice,
    };
    ctx.page_status(status, "admin/settings.html", &view)
}

/// The settings form as stored (even a value that no longer parses, so that the admin can
/// correct it), with the retention periods in force.
async fn stored_form(
    ctx: &Ctx,
    errors: &mut FieldErrors,
) -> AppResult<(SettingsForm, Vec<RetentionRow>)> {
    let db = &ctx.app.db;
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
    let retention = match settings::load(db).await {
        Ok(in_force) => in_force.retention,
        Err(chorus_editorial::EditorialError::BadSetting(key)) => {
            errors.insert(settings::field_of(key), ctx.t("admin.error_stored"));
            Retention::default()
        }
        Err(e) => return Err(e.into()),
    };
    Ok((
        form,
        RetentionRow::all(|kind| retention.days(kind).to_string()),
    ))
}

/// `GET /admin/settings`.
pub async fn settings(ctx: Ctx, _: Admin, Query(query): Query<PersonQuery>) -> AppResult<Response> {
    let mut errors = FieldErrors::new();
    let (form, retention) = stored_form(&ctx, &mut errors).await?;
    let notice = match query.done.as_deref() {
        Some("retention") => Some(ctx.t("admin.retention_saved")),
        Some(_) => Some(ctx.t("admin.done_saved")),
        None => None,
    };
    settings_page(&ctx, StatusCode::OK, &form, retention, &errors, notice)
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
        let retention = settings::load(db)
            .await
            .map(|s| s.retention)
            .unwrap_or_default();
        let retention = RetentionRow::all(|kind| retention.days(kind).to_string());
        return settings_page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            retention,
            &errors,
            None,
        );
    };
    let settings = settings::Settings {
        workflow: chorus_editorial::workflow::Rules {
            require_second_approval: form.second_approval.is_some(),
        },
        min_group_size: k,
        disclosure_en,
        disclosure_fr,
        composer_only: form.composer_only(),
        // The editors' to set, on the programme's page, and the retention form's: `save`
        // leaves both as they are.
        daily_cap: None,
        retention: Retention::default(),
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

/// `POST /admin/settings/retention`: how long each kind of data is kept, each within its
/// bounds; a form with a mistake comes back with every value typed.
pub async fn save_retention(
    ctx: Ctx,
    Admin(user): Admin,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let typed = |kind: DataKind| {
        pairs
            .iter()
            .find(|(name, _)| name == kind.as_str())
            .map(|(_, value)| value.trim().to_owned())
            .unwrap_or_default()
    };
    let mut retention = Retention::default();
    let mut errors = FieldErrors::new();
    for kind in DataKind::ALL {
        match retention.with_text(kind, &typed(kind)) {
            Ok(next) => retention = next,
            Err(_) => {
                errors.insert(
                    kind.as_str(),
                    ctx.app.views.i18n.text(
                        ctx.locale,
                        "admin.retention_bounds",
                        &[
                            ("min", &kind.min_days().to_string()),
                            ("max", &kind.max_days().to_string()),
                        ],
                    ),
                );
            }
        }
    }
    if !errors.is_empty() {
        let mut ignored = FieldErrors::new();
        let (form, _) = stored_form(&ctx, &mut ignored).await?;
        return settings_page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            RetentionRow::all(typed),
            &errors,
            None,
        );
    }
    settings::set_retention(&ctx.app.db, &retention).await?;
    tracing::info!(
        admin = user.id,
        periods = ?retention.iter().map(|(k, d)| (k.as_str(), d)).collect::<Vec<_>>(),
        "retention periods saved"
    );
    Ok(Redirect::to("/admin/settings?done=retention#retention").into_response())
}
