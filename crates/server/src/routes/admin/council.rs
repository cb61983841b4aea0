//! `/admin/works-council`: the works-council pack, generated from the running system, in
//! the language asked for; `download` gives the same document as a self-contained file.

use axum::extract::Query;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::auth::roles::Admin;
use crate::council::{self, Facts, Style};
use crate::error::AppResult;
use crate::i18n::Locale;
use crate::views::Ctx;

/// The pack's language and whether to download it.
#[derive(Debug, Default, Deserialize)]
pub struct PackQuery {
    lang: Option<String>,
    download: Option<String>,
}

/// `GET /admin/works-council?lang=fr&download=1`.
pub async fn works_council(
    ctx: Ctx,
    Admin(user): Admin,
    Query(query): Query<PackQuery>,
) -> AppResult<Response> {
    let locale = query
        .lang
        .as_deref()
        .and_then(Locale::from_tag)
        .unwrap_or(ctx.locale);
    let facts = Facts::gather(&ctx.app, ctx.app.config.base_url.as_str()).await?;
    let download = query.download.is_some();
    let style = if download {
        Style::Inline
    } else {
        Style::Linked
    };
    let html = council::render(&ctx.app.views, locale, &facts, style)?;
    tracing::info!(
        admin = user.id,
        lang = locale.tag(),
        download,
        "works-council pack generated"
    );
    if download {
        let disposition = format!(
            "attachment; filename=\"chorus-works-council-{}.html\"",
            locale.tag()
        );
        return Ok((
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            html,
        )
            .into_response());
    }
    Ok(Html(html).into_response())
}
