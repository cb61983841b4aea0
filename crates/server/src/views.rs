//! Pages: tera templates and static assets shipped inside the binary, one template set per
//! language (each with its own `t()` function), the per-request [`Ctx`] that every page
//! renders through, and the layer that turns errors into helpful pages.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use rust_embed::RustEmbed;
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use tera::{Context, Tera, Value};

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::csrf::CsrfToken;
use crate::error::{AppError, ErrorInfo};
use crate::i18n::{Catalog, I18n, Locale, fill};

#[derive(RustEmbed)]
#[folder = "../../templates/"]
struct TemplateFiles;

#[derive(RustEmbed)]
#[folder = "../../assets/"]
struct AssetFiles;

/// One static asset, ready to serve.
#[derive(Debug)]
pub struct Asset {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Its content type.
    pub content_type: &'static str,
    /// A short hash of the bytes: the `?v=` in its URL and its `ETag`.
    pub version: String,
}

/// Templates per language, and the static assets.
#[derive(Debug)]
pub struct Views {
    tera: HashMap<Locale, Tera>,
    assets: Arc<BTreeMap<String, Asset>>,
    /// The catalogues, for strings built in Rust.
    pub i18n: I18n,
}

/// A template set that does not load (a build defect, caught by tests).
#[derive(Debug, thiserror::Error)]
#[error("templates: {0:?}")]
pub struct ViewsError(#[from] tera::Error);

impl Views {
    /// Loads templates, catalogues and assets from the binary.
    ///
    /// # Errors
    /// A template does not parse.
    pub fn load(i18n: I18n) -> Result<Self, ViewsError> {
        let assets: BTreeMap<String, Asset> = AssetFiles::iter()
            .filter_map(|name| {
                let file = AssetFiles::get(&name)?;
                let bytes = file.data.into_owned();
                let version = crate::auth::to_hex(&Sha256::digest(&bytes)[..6]);
                Some((
                    name.to_string(),
                    Asset {
                        content_type: content_type(&name),
                        bytes,
                        version,
                    },
                ))
            })
            .collect();
        let assets = Arc::new(assets);
        let sources: Vec<(String, String)> = TemplateFiles::iter()
            .filter_map(|name| {
                let file = TemplateFiles::get(&name)?;
                Some((
                    name.to_string(),
                    String::from_utf8_lossy(&file.data).into_owned(),
                ))
            })
            .collect();
        let mut tera = HashMap::new();
        for locale in Locale::ALL {
            let mut set = Tera::default();
            set.autoescape_on(vec![".html"]);
            set.set_escape_fn(escape_html);
            set.add_raw_templates(sources.iter().map(|(n, s)| (n.as_str(), s.as_str())))?;
            set.register_function("t", Translate(i18n.catalog(locale)));
            let versions: BTreeMap<String, String> = assets
                .iter()
                .map(|(n, a)| (n.clone(), a.version.clone()))
                .collect();
            set.register_function("asset", AssetUrl(versions));
            let separator = locale.thousands_separator();
            set.register_filter(
                "number",
                move |value: &Value, _: &HashMap<String, Value>| {
                    Ok(Value::String(match value.as_i64() {
                        Some(n) => group_thousands(n, separator),
                        None => value
                            .as_str()
                            .map_or_else(|| value.to_string(), str::to_owned),
                    }))
                },
            );
            tera.insert(locale, set);
        }
        Ok(Views { tera, assets, i18n })
    }

    /// Renders one template in one language.
    ///
    /// # Errors
    /// The template fails (a defect).
    pub fn render(
        &self,
        locale: Locale,
        name: &str,
        context: &Context,
    ) -> Result<String, AppError> {
        let set = self
            .tera
            .get(&locale)
            .ok_or_else(|| AppError::Internal(format!("no templates for {locale:?}")))?;
        Ok(set.render(name, context)?)
    }

    /// Every template name (for the test that renders them all).
    pub fn template_names(&self) -> Vec<String> {
        self.tera
            .get(&Locale::En)
            .map(|t| t.get_template_names().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// One asset by name.
    #[must_use]
    pub fn asset(&self, name: &str) -> Option<&Asset> {
        self.assets.get(name)
    }
}

/// HTML escaping for text and quoted attributes. Unlike tera's default it leaves `/` alone, so
/// paths read naturally in the markup; every attribute in our templates is quoted.
fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

/// `n` with its thousands grouped by `separator` (`12,345` in English, `12 345` in French).
pub(crate) fn group_thousands(n: i64, separator: &str) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * separator.len() + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(separator);
        }
        out.push(digit);
    }
    out
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The `asset(name="app.css")` function: the asset's versioned URL.
struct AssetUrl(BTreeMap<String, String>);

impl tera::Function for AssetUrl {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let name = args
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| tera::Error::msg("asset() needs name"))?;
        let version = self
            .0
            .get(name)
            .ok_or_else(|| tera::Error::msg(format!("no asset {name}")))?;
        Ok(Value::String(format!("/assets/{name}?v={version}")))
    }

    /// Asset names and versions come from the binary, never from a person.
    fn is_safe(&self) -> bool {
        true
    }
}

/// The `t(k="key", name=value...)` function of one language.
struct Translate(Arc<Catalog>);

impl tera::Function for Translate {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let key = args
            .get("k")
            .and_then(Value::as_str)
            .ok_or_else(|| tera::Error::msg("t() needs k=\"key\""))?;
        let text = self
            .0
            .get(key)
            .ok_or_else(|| tera::Error::msg(format!("missing translation {key}")))?;
        let values: Vec<(String, String)> = args
            .iter()
            .filter(|(name, _)| name.as_str() != "k")
            .map(|(name, value)| {
                let shown = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (name.clone(), shown)
            })
            .collect();
        let borrowed: Vec<(&str, &str)> = values
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        Ok(Value::String(fill(text, &borrowed)))
    }
}

/// The person signed in, as every page's header shows them.
#[derive(Debug, Serialize)]
struct UserView<'a> {
    id: i32,
    name: &'a str,
    email: &'a str,
    roles: Vec<&'static str>,
    areas: Vec<AreaView>,
}

/// One area of the navigation the person may enter.
#[derive(Debug, Serialize)]
struct AreaView {
    name: &'static str,
    path: &'static str,
}

impl<'a> UserView<'a> {
    fn of(user: &'a CurrentUser) -> Self {
        UserView {
            id: user.id,
            name: &user.display_name,
            email: &user.email,
            roles: user.roles.iter().map(chorus_policy::Role::as_str).collect(),
            areas: chorus_policy::Area::ALL
                .into_iter()
                .filter(|a| user.roles.can_enter(*a))
                .map(|a| AreaView {
                    name: a.as_str(),
                    path: a.path(),
                })
                .collect(),
        }
    }
}

/// Everything a page needs about the request: who, which language, the CSRF token, where.
#[derive(Clone)]
pub struct Ctx {
    /// The application.
    pub app: AppState,
    /// The person signed in, if any.
    pub user: Option<CurrentUser>,
    /// The language to answer in.
    pub locale: Locale,
    /// The token for this request's forms.
    pub csrf: String,
    /// The request path.
    pub path: String,
    /// The cache generations read at the start of a signed-in request (see [`crate::memo`]).
    pub generation: Option<crate::memo::Generation>,
}

impl Ctx {
    /// The context of a request, from its headers, extensions and URI.
    #[must_use]
    pub fn new(app: &AppState, headers: &HeaderMap, extensions: &Extensions, uri: &Uri) -> Ctx {
        let user = extensions.get::<CurrentUser>().cloned();
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let locale = Locale::negotiate(user.as_ref().and_then(|u| u.locale.as_deref()), accept);
        let csrf = extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        Ctx {
            app: app.clone(),
            user,
            locale,
            csrf,
            path: uri.path().to_owned(),
            generation: extensions.get::<crate::memo::Generation>().copied(),
        }
    }

    fn from_parts(app: &AppState, parts: &Parts) -> Ctx {
        Ctx::new(
            app,
            &parts.headers,
            &parts.extensions,
            crate::routes::original_uri(parts),
        )
    }

    /// The same page context in another language (after the person changed theirs).
    #[must_use]
    pub fn with_locale(mut self, locale: Locale) -> Ctx {
        self.locale = locale;
        self
    }

    /// The signed-in person's time zone: the one they chose, else UTC.
    ///
    /// # Errors
    /// Database failure.
    pub async fn zone(&self) -> Result<chrono_tz::Tz, AppError> {
        let Some(user) = &self.user else {
            return Ok(chrono_tz::Tz::UTC);
        };
        let preferences = chorus_ambassador::onboarding::load(&self.app.db, user.user_id()).await?;
        Ok(preferences.zone())
    }

    /// An instant as the person reads it: in `zone` (their own, from [`Ctx::zone`]) and as
    /// their language writes dates; UTC says so, as it may not be where they are.
    #[must_use]
    pub fn when(&self, zone: chrono_tz::Tz, at: chrono::DateTime<chrono::Utc>) -> String {
        let local = self.locale.date_time(at.with_timezone(&zone).naive_local());
        if zone == chrono_tz::Tz::UTC {
            format!("{local} UTC")
        } else {
            local
        }
    }

    /// One string in the request's language.
    #[must_use]
    pub fn t(&self, key: &str) -> String {
        self.app.views.i18n.text(self.locale, key, &[])
    }

    /// The context every page gets: language, CSRF token, the person and their areas.
    #[must_use]
    pub fn base_context(&self) -> Context {
        let mut context = Context::new();
        context.insert("lang", self.locale.tag());
        context.insert("csrf_token", &self.csrf);
        context.insert("path", &self.path);
        if let Some(user) = &self.user {
            context.insert("user", &UserView::of(user));
        }
        context
    }

    /// Renders a page from its typed view (a `#[derive(Serialize)]` struct whose fields are the
    /// template's variables), with the base context.
    ///
    /// # Errors
    /// The view is not a struct or the template fails (a defect).
    pub fn page<V: Serialize>(&self, template: &str, view: &V) -> Result<Html<String>, AppError> {
        self.render(template, Context::from_serialize(view)?)
    }

    /// [`Ctx::page`] with a status other than 200 (a form shown again with its errors).
    ///
    /// # Errors
    /// The view is not a struct or the template fails (a defect).
    pub fn page_status<V: Serialize>(
        &self,
        status: StatusCode,
        template: &str,
        view: &V,
    ) -> Result<Response, AppError> {
        Ok((status, self.page(template, view)?).into_response())
    }

    /// Renders a page with the base context plus `extra`.
    ///
    /// # Errors
    /// The template fails (a defect).
    pub fn render(&self, template: &str, extra: Context) -> Result<Html<String>, AppError> {
        let mut context = self.base_context();
        context.extend(extra);
        Ok(Html(self.app.views.render(
            self.locale,
            template,
            &context,
        )?))
    }

    /// Renders a page with a status other than 200 (a form shown again with its errors).
    ///
    /// # Errors
    /// The template fails (a defect).
    pub fn render_status(
        &self,
        status: StatusCode,
        template: &str,
        extra: Context,
    ) -> Result<Response, AppError> {
        Ok((status, self.render(template, extra)?).into_response())
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Ctx::from_parts(app, parts))
    }
}

/// Turns error answers into pages in the person's language (JSON under `/api/`).
pub async fn error_pages(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let ctx = Ctx::from_parts(&app, &parts);
    let response = next.run(Request::from_parts(parts, body)).await;
    let info = match response.extensions().get::<ErrorInfo>() {
        Some(info) if info.code == "sign_in_required" && !ctx.path.starts_with("/api/") => {
            return response;
        }
        Some(info) if info.status.is_client_error() || info.status.is_server_error() => {
            info.clone()
        }
        None if response.status() == StatusCode::METHOD_NOT_ALLOWED => {
            AppError::MethodNotAllowed.info()
        }
        Some(_) | None => return response,
    };
    let mut page = render_error(&ctx, info);
    for (name, value) in response.headers() {
        if name == header::SET_COOKIE {
            page.headers_mut().append(name, value.clone());
        }
    }
    page
}

/// An error answer for a request that never reached the error-page layer.
#[must_use]
pub fn error_response(app: &AppState, request: &Request, error: &AppError) -> Response {
    let ctx = Ctx::new(app, request.headers(), request.extensions(), request.uri());
    if error.info().status.is_server_error() {
        tracing::error!(error = ?error, "request failed");
    }
    render_error(&ctx, error.info())
}

/// The error page.
#[derive(Serialize)]
struct ErrorView<'a> {
    status: u16,
    title: &'a str,
    help: &'a str,
    detail: Option<&'a str>,
}

fn render_error(ctx: &Ctx, info: ErrorInfo) -> Response {
    let title = ctx.t(info.message_key);
    let help = ctx.t(&format!("{}_help", info.message_key));
    if ctx.path.starts_with("/api/") {
        let message = match &info.detail {
            Some(detail) => format!("{title}: {detail}"),
            None => format!("{title}. {help}"),
        };
        let body = serde_json::json!({"error": info.code, "message": message});
        return (info.status, axum::Json(body)).into_response();
    }
    let view = ErrorView {
        status: info.status.as_u16(),
        title: &title,
        help: &help,
        detail: info.detail.as_deref(),
    };
    match ctx.page("errors/error.html", &view) {
        Ok(html) => (info.status, html).into_response(),
        Err(e) => {
            tracing::error!(error = ?e, "the error page itself failed");
            let mut response = (info.status, format!("{title}. {help}")).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes_but_keeps_paths_readable() {
        assert_eq!(
            escape_html(r#"<a href="x" onclick='y'>&</a> /path"#),
            "&lt;a href=&quot;x&quot; onclick=&#x27;y&#x27;&gt;&amp;&lt;/a&gt; /path"
        );
    }

    #[test]
    fn every_literal_translation_key_in_the_templates_exists_in_both_languages() {
        let i18n = I18n::load().unwrap();
        let mut checked = 0;
        for name in TemplateFiles::iter() {
            let file = TemplateFiles::get(&name).unwrap();
            let text = String::from_utf8_lossy(&file.data).into_owned();
            for quote in ['"', '\''] {
                let marker = format!("t(k={quote}");
                for piece in text.split(marker.as_str()).skip(1) {
                    let key = piece.split(quote).next().unwrap();
                    for locale in Locale::ALL {
                        assert!(
                            i18n.catalog(locale).contains_key(key),
                            "{name}: {key} missing in {locale:?}"
                        );
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "only {checked} keys found");
    }

    #[test]
    fn numbers_group_their_thousands_as_each_language_writes_them() {
        assert_eq!(group_thousands(0, ","), "0");
        assert_eq!(group_thousands(999, ","), "999");
        assert_eq!(group_thousands(2955, ","), "2,955");
        assert_eq!(group_thousands(-1_234_567, ","), "-1,234,567");
        assert_eq!(group_thousands(10_000, "\u{202f}"), "10\u{202f}000");
    }

    #[test]
    fn the_templates_load() {
        let views = Views::load(I18n::load().unwrap()).unwrap();
        assert!(views.template_names().len() >= 15);
    }
}
