//! Handlers, one module per area and one function per action. Handlers are thin: extract,
//! parse, call one domain function, render.

pub mod account;
pub mod admin;
pub mod api;
pub mod assets;
pub mod auth;
pub mod connections;
pub mod editor;
pub mod home;
pub mod hub;
pub mod links;
pub mod media;
pub mod notifications;
pub mod ops;
pub mod participation;
pub mod post_preview;
pub mod programme;
pub mod scim;
pub mod setup;
pub mod shares;
pub mod sources;
pub mod sso;
pub mod stats;
pub mod topics;
pub mod welcome;

use std::collections::BTreeMap;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

/// Field errors of a form shown again: field name to message.
pub type FieldErrors = BTreeMap<&'static str, String>;

/// A 303 redirect that also sets a cookie.
pub fn redirect_with_cookie(to: &str, cookie: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// Whether `next` is a path on this site (never another host), as a browser would read it.
/// Browsers drop tabs and newlines anywhere in an address and read `\\` as `/`, so
/// `/<TAB>/evil.example` is `//evil.example` to them: a path with any control character or
/// white space is refused, and so is one whose second character starts a network path.
#[must_use]
pub fn is_local_path(next: &str) -> bool {
    if next.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return false;
    }
    let mut chars = next.chars();
    chars.next() == Some('/') && !matches!(chars.next(), Some('/' | '\\'))
}

/// The address the browser asked for. Inside an area's nested router the request's own URI has
/// lost the area's prefix (`/hub/items/3` reads `/items/3`); axum keeps the original.
#[must_use]
pub fn original_uri(parts: &axum::http::request::Parts) -> &axum::http::Uri {
    parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(&parts.uri, |original| &original.0)
}

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn next_is_checked_as_a_browser_reads_it() {
        for local in ["/hub", "/hub/items/3?x=1", "/", "/a/b//c"] {
            assert!(is_local_path(local), "{local}");
        }
        for elsewhere in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "\t//evil.example",
            "/\r\n/evil.example",
            "/\u{1}x",
            "/ /evil.example",
            "https://evil.example",
            "evil.example",
            "",
        ] {
            assert!(!is_local_path(elsewhere), "{elsewhere:?}");
        }
    }
}
