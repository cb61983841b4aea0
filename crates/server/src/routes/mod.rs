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
pub mod ops;
pub mod participation;
pub mod setup;
pub mod shares;
pub mod sources;
pub mod stats;
pub mod topics;

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

/// Whether `next` is a path on this site (never another host).
#[must_use]
pub fn is_local_path(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.contains(['\r', '\n'])
}
