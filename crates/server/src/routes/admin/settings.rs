//! The organisation's settings (`/admin/settings`): second approval, the minimum group size,
//! the disclosure texts and "post it yourself" only per network.

use axum::Form;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chorus_editorial::store::settings;
use chorus_policy::Network;
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
    errors: &'a FieldErrors,
    notice: Option<String>,
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
        errors,
        notice,
    };
    ctx.page_status(status, "admin/settings.html", &view)
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
        // The editors' to set, on the programme's page, and the retention form's: `save`
        // leaves both as they are.
        daily_cap: None,
        retention: chorus_policy::retention::Retention::default(),
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
