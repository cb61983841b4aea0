//! The cache generation: one counter that every write to what signed-in pages are made of
//! moves on, by database triggers, so that every Chorus process sharing the database can tell,
//! with one read, whether what it remembers is still true (see `chorus_server::memo`).
//!
//! Triggers rather than calls in the code: a write from any path (a page, the CLI, SCIM, the
//! worker, retention, erasure, an admin's SQL) moves it on, and none can be forgotten. The
//! counter moves once per row written (an update that changes nothing does not count), in
//! the writer's transaction, so a reader never sees the new number before the new data.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables whose writes change what a signed-in page shows or who may see it, with the
/// columns an update must touch to count (`None`: any update).
pub const WATCHED: &[(&str, Option<&str>)] = &[
    ("users", None),
    ("sessions", None),
    ("consents", None),
    ("visibility_choices", None),
    ("guideline_versions", None),
    ("org_settings", None),
    ("topics", None),
    ("topic_follows", None),
    ("item_passes", None),
    ("content_items", None),
    ("content_item_topics", None),
    ("network_copy", None),
    ("media", None),
    // The worker updates shares all the time (leases, attempts); only a change of state
    // changes what the hub shows (who shared an item).
    ("shares", Some("state")),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE TABLE cache_generation (id INTEGER PRIMARY KEY, value BIGINT NOT NULL)",
        )
        .await?;
        db.execute_unprepared("INSERT INTO cache_generation (id, value) VALUES (1, 1)")
            .await?;
        let bump = "UPDATE cache_generation SET value = value + 1 WHERE id = 1";
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION chorus_bump_cache_generation() RETURNS trigger AS $$ \
                     BEGIN {bump}; RETURN NULL; END $$ LANGUAGE plpgsql"
                ))
                .await?;
                for (table, column) in WATCHED {
                    // Per row, not per statement: a statement that changes nothing (the
                    // worker's claim when nothing is due, a retention pass with nothing to
                    // delete) must not make every process forget what it holds.
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER cache_generation_{table} AFTER INSERT OR DELETE \
                         ON {table} FOR EACH ROW EXECUTE FUNCTION chorus_bump_cache_generation()"
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
                        "CREATE TRIGGER cache_generation_{table}_update AFTER {event} \
                         ON {table} FOR EACH ROW WHEN ({changed}) \
                         EXECUTE FUNCTION chorus_bump_cache_generation()"
                    ))
                    .await?;
                }
            }
            _ => {
                for (table, column) in WATCHED {
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
                            "CREATE TRIGGER cache_generation_{table}_{name} AFTER {event} \
                             BEGIN {bump}; END"
                        ))
                        .await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                for (table, _) in WATCHED {
                    for name in ["", "_update"] {
                        db.execute_unprepared(&format!(
                            "DROP TRIGGER IF EXISTS cache_generation_{table}{name} ON {table}"
                        ))
                        .await?;
                    }
                }
                db.execute_unprepared("DROP FUNCTION IF EXISTS chorus_bump_cache_generation()")
                    .await?;
            }
            _ => {
                for (table, _) in WATCHED {
                    for name in ["insert", "update", "delete"] {
                        db.execute_unprepared(&format!(
                            "DROP TRIGGER IF EXISTS cache_generation_{table}_{name}"
                        ))
                        .await?;
                    }
                }
            }
        }
        db.execute_unprepared("DROP TABLE cache_generation").await?;
        Ok(())
    }
}
