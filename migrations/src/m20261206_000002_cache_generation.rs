//! The cache generations: two counters that every write to what signed-in pages are made of
//! moves on, by database triggers, so that every Chorus process sharing the database can tell,
//! with one read, whether what it remembers is still true (see `chorus_server::memo`). One row,
//! two counters. The *content*: people, sessions, consent, settings, topics, items (and a share's state, which
//! the hub's "shared by" counts). The *activity*: shares, their links, clicks and images,
//! connected accounts and onboarding, which the worker and the redirect change all day and only
//! one's own history shows.
//!
//! Triggers rather than calls in the code: a write from any path (a page, the CLI, SCIM, the
//! worker, retention, erasure, an admin's SQL) moves them on, and none can be forgotten. A
//! counter moves once per row written (an update that changes nothing does not count on
//! PostgreSQL), in the writer's transaction (on PostgreSQL at its commit), so a reader never
//! sees the new number before the new data.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The content generation's column.
pub(crate) const CONTENT: &str = "content";
/// The activity generation's column.
pub(crate) const ACTIVITY: &str = "activity";

/// The tables whose writes change what a signed-in page shows or who may see it: the table,
/// the column an update must change to count (`None`: any column), and the counter moved.
pub const WATCHED: &[(&str, Option<&str>, &str)] = &[
    ("users", None, CONTENT),
    ("sessions", None, CONTENT),
    ("consents", None, CONTENT),
    ("visibility_choices", None, CONTENT),
    ("guideline_versions", None, CONTENT),
    ("org_settings", None, CONTENT),
    ("topics", None, CONTENT),
    ("topic_follows", None, CONTENT),
    ("item_passes", None, CONTENT),
    ("content_items", None, CONTENT),
    ("content_item_topics", None, CONTENT),
    ("network_copy", None, CONTENT),
    ("media", None, CONTENT),
    // Who shared an item (the hub) changes when a share is written or erased, or its state
    // changes; the worker's other updates (leases, attempts) do not count for the content.
    ("shares", Some("state"), CONTENT),
    ("shares", None, ACTIVITY),
    ("share_images", None, ACTIVITY),
    ("tracked_links", None, ACTIVITY),
    ("click_counts", None, ACTIVITY),
    ("connected_accounts", None, ACTIVITY),
    ("onboarding", None, ACTIVITY),
];

fn trigger_name(table: &str, generation: &str, event: &str) -> String {
    format!("cache_generation_{generation}_{table}_{event}")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE TABLE cache_generation (id INTEGER PRIMARY KEY, content BIGINT NOT NULL, \
             activity BIGINT NOT NULL)",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO cache_generation (id, content, activity) VALUES (1, 1, 1)",
        )
        .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(&format!(
                "CREATE FUNCTION chorus_bump_cache_generation() RETURNS trigger AS $$ \
                 BEGIN IF TG_ARGV[0] = '{CONTENT}' THEN \
                 UPDATE cache_generation SET content = content + 1 WHERE id = 1; \
                 ELSE UPDATE cache_generation SET activity = activity + 1 WHERE id = 1; \
                 END IF; RETURN NULL; END $$ LANGUAGE plpgsql"
            ))
            .await?;
        }
        watch(manager, WATCHED).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        unwatch(manager, WATCHED).await?;
        if postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS chorus_bump_cache_generation()")
                .await?;
        }
        db.execute_unprepared("DROP TABLE cache_generation").await?;
        Ok(())
    }
}

/// Creates the triggers that move a generation on at every row written to each table of
/// `watched` (the table, the column an update must change to count, the generation).
pub(crate) async fn watch(
    manager: &SchemaManager<'_>,
    watched: &[(&str, Option<&str>, &str)],
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    match manager.get_database_backend() {
        DbBackend::Postgres => {
            for (table, column, generation) in watched {
                // Per row, not per statement: a statement that changes nothing (the
                // worker's claim when nothing is due, a retention pass with nothing to
                // delete) must not make every process forget what it holds. Deferred to
                // the commit: the one row is locked only while the writer commits, last,
                // so writers never wait on it mid-transaction nor deadlock over it.
                let bump = format!(
                    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW \
                     EXECUTE FUNCTION chorus_bump_cache_generation('{generation}')"
                );
                db.execute_unprepared(&format!(
                    "CREATE CONSTRAINT TRIGGER {} AFTER INSERT OR DELETE ON {table} {bump}",
                    trigger_name(table, generation, "write")
                ))
                .await?;
                let (event, changed) = match column {
                    Some(c) => (
                        format!("UPDATE OF {c}"),
                        format!("OLD.{c} IS DISTINCT FROM NEW.{c}"),
                    ),
                    None => (
                        "UPDATE".to_owned(),
                        "OLD.* IS DISTINCT FROM NEW.*".to_owned(),
                    ),
                };
                db.execute_unprepared(&format!(
                    "CREATE CONSTRAINT TRIGGER {} AFTER {event} ON {table} \
                     DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ({changed}) \
                     EXECUTE FUNCTION chorus_bump_cache_generation('{generation}')",
                    trigger_name(table, generation, "update")
                ))
                .await?;
            }
        }
        _ => {
            // SQLite has one writer at a time: no lock to order.
            for (table, column, generation) in watched {
                let bump = format!(
                    "BEGIN UPDATE cache_generation SET {generation} = {generation} + 1 \
                     WHERE id = 1; END"
                );
                let update = match column {
                    Some(c) => format!("UPDATE OF {c} ON {table} WHEN OLD.{c} IS NOT NEW.{c}"),
                    None => format!("UPDATE ON {table}"),
                };
                for (name, event) in [
                    ("insert", format!("INSERT ON {table}")),
                    ("update", update),
                    ("delete", format!("DELETE ON {table}")),
                ] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {} AFTER {event} {bump}",
                        trigger_name(table, generation, name)
                    ))
                    .await?;
                }
            }
        }
    }
    Ok(())
}

/// Drops the triggers [`watch`] created.
pub(crate) async fn unwatch(
    manager: &SchemaManager<'_>,
    watched: &[(&str, Option<&str>, &str)],
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let postgres = manager.get_database_backend() == DbBackend::Postgres;
    for (table, _, generation) in watched {
        for event in ["write", "update", "insert", "delete"] {
            let name = trigger_name(table, generation, event);
            let sql = if postgres {
                format!("DROP TRIGGER IF EXISTS {name} ON {table}")
            } else {
                format!("DROP TRIGGER IF EXISTS {name}")
            };
            db.execute_unprepared(&sql).await?;
        }
    }
    Ok(())
}
