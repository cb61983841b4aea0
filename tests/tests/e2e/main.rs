//! The end-to-end tests: each starts the real server with its own database and drives it over
//! HTTP (or through real Chromium) as a person would.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a panic is the test failure report"
)]

mod accounts;
mod admin;
mod api;
mod bluesky;
mod browser;
mod cli;
mod config;
mod connections;
mod council;
mod crash;
mod crawl;
mod deletion;
mod editorial;
mod facets;
mod handlers;
mod handoff;
mod hardening;
mod images;
mod instances;
mod linkedin;
mod links;
mod locale;
mod memo;
mod notifications;
mod operations;
mod participation;
mod programme;
mod publishing;
mod restart;
mod retention;
mod rhythm;
mod roles;
mod schemathesis;
mod scim;
mod setup;
mod sources;
mod sso;
mod statistics;
mod sweep;
mod threads;
mod webhooks;
mod welcome;
