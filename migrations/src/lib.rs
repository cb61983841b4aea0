//! The one Chorus schema, for SQLite and PostgreSQL alike.
//!
//! Migrations never import entities: each one states its tables with `sea-query`, so an old
//! migration keeps meaning what it meant when it shipped.

pub use sea_orm_migration::prelude::*;

mod m20260101_000001_create_users;
mod m20260101_000002_create_sessions;
mod m20260101_000003_create_sign_in_throttle;
mod m20260201_000001_create_editorial;
mod m20260201_000002_create_sources;
mod m20260201_000003_create_media;
mod m20260301_000001_create_policy;
mod m20260401_000001_create_accounts;
mod m20260401_000002_create_shares;
mod m20260501_000001_create_tracked_links;
mod m20260601_000001_create_statistics;
mod m20260701_000001_bluesky_oauth;
mod m20260701_000002_share_container;
mod m20261201_000001_share_composer;
mod m20261202_000001_onboarding;
mod m20261202_000002_last_sign_in;
mod m20261203_000001_programme;
mod m20261203_000002_rhythm;
mod m20261203_000003_sso;
mod m20261203_000004_scim;
mod m20261203_000005_notifications;
mod m20261204_000001_personal_notifications;
mod m20261205_000001_share_images;
mod m20261206_000001_shares_by_item;
mod m20261206_000002_cache_generation;
mod m20261207_000001_statistics_watch;
mod m20261207_000002_shares_by_account;
mod m20261207_000003_cache_generation_shards;
mod m20261208_000001_shares_due_in_order;
mod m20261208_000002_generation_once_per_transaction;
mod m20261209_000001_api_tokens;
mod m20261209_000002_webhooks;

/// Every migration, oldest first.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20260101_000001_create_users::Migration),
            Box::new(m20260101_000002_create_sessions::Migration),
            Box::new(m20260101_000003_create_sign_in_throttle::Migration),
            Box::new(m20260201_000001_create_editorial::Migration),
            Box::new(m20260201_000002_create_sources::Migration),
            Box::new(m20260201_000003_create_media::Migration),
            Box::new(m20260301_000001_create_policy::Migration),
            Box::new(m20260401_000001_create_accounts::Migration),
            Box::new(m20260401_000002_create_shares::Migration),
            Box::new(m20260501_000001_create_tracked_links::Migration),
            Box::new(m20260601_000001_create_statistics::Migration),
            Box::new(m20260701_000001_bluesky_oauth::Migration),
            Box::new(m20260701_000002_share_container::Migration),
            Box::new(m20261201_000001_share_composer::Migration),
            Box::new(m20261202_000001_onboarding::Migration),
            Box::new(m20261202_000002_last_sign_in::Migration),
            Box::new(m20261203_000001_programme::Migration),
            Box::new(m20261203_000002_rhythm::Migration),
            Box::new(m20261203_000003_sso::Migration),
            Box::new(m20261203_000004_scim::Migration),
            Box::new(m20261203_000005_notifications::Migration),
            Box::new(m20261204_000001_personal_notifications::Migration),
            Box::new(m20261205_000001_share_images::Migration),
            Box::new(m20261206_000001_shares_by_item::Migration),
            Box::new(m20261206_000002_cache_generation::Migration),
            Box::new(m20261207_000001_statistics_watch::Migration),
            Box::new(m20261207_000002_shares_by_account::Migration),
            Box::new(m20261207_000003_cache_generation_shards::Migration),
            Box::new(m20261208_000001_shares_due_in_order::Migration),
            Box::new(m20261208_000002_generation_once_per_transaction::Migration),
            Box::new(m20261209_000001_api_tokens::Migration),
            Box::new(m20261209_000002_webhooks::Migration),
        ]
    }
}
