//! The Chorus web application: configuration, sign-in and sessions, the router and its
//! handlers, pages, static assets and background tasks. Only this crate knows axum and tera.

pub mod accounts;
pub mod app;
pub mod auth;
pub mod charts;
pub mod cli;
pub mod client_address;
pub mod config;
pub mod council;
pub mod demo;
pub mod error;
pub mod i18n;
pub mod memo;
pub mod metrics;
pub mod notify;
pub mod retention;
pub mod router;
pub mod routes;
pub mod scim;
pub mod security;
pub mod sso;
pub mod store;
pub mod views;
pub mod webhooks;
pub mod worker;
