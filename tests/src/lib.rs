//! The end-to-end harness: [`TestApp`] starts the real `chorus` server on a free port with its
//! own database (a fresh SQLite file, or a fresh PostgreSQL database when
//! `CHORUS_TEST_DATABASE_URL` is set), [`Client`] talks to it like a browser (cookies, CSRF
//! tokens read from forms), [`Browser`] drives real headless Chromium, and [`Pds`] runs the
//! reference Bluesky PDS. The publishing tests start from a [`world`] (Chorus wired to the
//! stand-ins or to the PDS, with a published item), share through [`shares`], and read pages
//! with [`html`].

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
pub mod chat;
pub mod client;
pub mod db;
pub mod forms;
pub mod fuzz;
pub mod html;
pub mod in_process;
pub mod oidc;
pub mod pds;
pub mod pictures;
pub mod shares;
pub mod smtp;
pub mod standins;
pub mod web;
pub mod world;

pub use app::{CliOutput, OtherServer, TestApp, TestAppOptions, WorkerProcess};
pub use browser::Browser;
pub use client::{Client, Page};
pub use in_process::InProcess;
pub use pds::{Pds, PdsAccount, PdsRecord};

/// The password given to accounts that tests create.
pub const PASSWORD: &str = "a long test passphrase";

/// A 1×1 PNG, for images a test serves or sends.
pub const TINY_PNG: [u8; 67] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];
