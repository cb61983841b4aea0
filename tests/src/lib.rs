//! The end-to-end harness: [`TestApp`] starts the real `chorus` server on a free port with its
//! own database (a fresh SQLite file, or a fresh PostgreSQL database when
//! `CHORUS_TEST_DATABASE_URL` is set), [`Client`] talks to it like a browser (cookies, CSRF
//! tokens read from forms), [`Browser`] drives real headless Chromium, and [`Pds`] runs the
//! reference Bluesky PDS.

#![allow(
    clippy::missing_panics_doc,
    reason = "test helpers panic with a message on failure"
)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a panic is the test failure report"
)]

pub mod app;
pub mod browser;
pub mod client;
pub mod db;
pub mod pds;
pub mod standins;
pub mod web;

pub use app::{CliOutput, TestApp, TestAppOptions, WorkerProcess};
pub use browser::Browser;
pub use client::{Client, Page};
pub use pds::{Pds, PdsAccount, PdsRecord};

/// The password given to accounts that tests create.
pub const PASSWORD: &str = "a long test passphrase";
