//! The retention policy applied: for each kind of data ([`DataKind`]), what is older than its
//! period goes, and nothing else. The worker runs it when it starts and every hour;
//! `chorus retention apply` runs it once and prints what it deleted. The instant it counts
//! from is now, or `CHORUS_RETENTION_CLOCK` (to check a policy, and in tests).
//!
//! The kinds live in every crate's tables, so the deletions are written here, where the crates
//! meet; each is one statement on an indexed or small set, run in its own transaction.

use chorus_policy::retention::{DataKind, Retention};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait as _, DatabaseConnection, DbErr, Statement};

/// The shares' states that are an end: such a share is never sent again.
const ENDED: &str = "'published', 'failed', 'cancelled', 'missed', 'deleted', 'handed_over'";

/// What one run deleted, per kind, with the period it applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The instant periods were counted back from.
    pub now: DateTime<Utc>,
    /// Each kind, its period in days and the rows deleted.
    pub kinds: Vec<(DataKind, u32, u64)>,
}

/// The moment before which `kind` has expired.
#[must_use]
pub fn cutoff(retention: &Retention, kind: DataKind, now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(i64::from(retention.days(kind)))
}

/// Deletes, for each kind, what is older than its period counted back from `now`.
///
/// # Errors
/// Database failure; kinds handled before it stay applied (each is its own transaction, and
/// running again finishes the work).
pub async fn apply(
    db: &DatabaseConnection,
    retention: &Retention,
    now: DateTime<Utc>,
) -> Result<Applied, DbErr> {
    let mut kinds = Vec::with_capacity(DataKind::ALL.len());
    for (kind, days) in retention.iter() {
        let before = cutoff(retention, kind, now);
        let deleted = purge(db, kind, before).await?;
        kinds.push((kind, days, deleted));
    }
    Ok(Applied { now, kinds })
}

async fn purge(
    db: &DatabaseConnection,
    kind: DataKind,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let txn = chorus_editorial::store::begin_write(db).await?;
    let run = async |sql: &str, value: sea_orm::Value| -> Result<u64, DbErr> {
        Ok(txn
            .execute_raw(Statement::from_sql_and_values(backend, sql, [value]))
            .await?
            .rows_affected())
    };
    let deleted = match kind {
        DataKind::SignInCounters => {
            run(
                "DELETE FROM sign_in_throttle WHERE last_failure_at < $1 \
                 AND (blocked_until IS NULL OR blocked_until < $1)",
                before.into(),
            )
            .await?
        }
        DataKind::AuditLog => run("DELETE FROM audit_log WHERE at < $1", before.into()).await?,
        DataKind::Shares => {
            // The links in posts out there keep redirecting; they no longer point at anyone.
            run(
                &format!(
                    "UPDATE tracked_links SET share_id = NULL WHERE share_id IN \
                     (SELECT id FROM shares WHERE state IN ({ENDED}) AND updated_at < $1)"
                ),
                before.into(),
            )
            .await?;
            run(
                &format!("DELETE FROM shares WHERE state IN ({ENDED}) AND updated_at < $1"),
                before.into(),
            )
            .await?
        }
        DataKind::ClickHours => {
            run("DELETE FROM click_counts WHERE hour < $1", before.into()).await?
        }
        DataKind::DailyActivity => {
            // Days are counted since 1970-01-01; a day is gone once it ended before the cutoff.
            let day = before.timestamp().div_euclid(86_400);
            run("DELETE FROM activity_daily WHERE day < $1", day.into()).await?
        }
        DataKind::Revisions => {
            run(
                "DELETE FROM content_revisions WHERE created_at < $1 AND id NOT IN \
                 (SELECT latest FROM (SELECT MAX(id) AS latest FROM content_revisions \
                 GROUP BY item_id) AS kept)",
                before.into(),
            )
            .await?
        }
    };
    txn.commit().await?;
    Ok(deleted)
}

/// Reads the periods in force and applies them, logging what went.
///
/// # Errors
/// Database failure, or a stored period that does not parse.
pub async fn run(db: &DatabaseConnection, clock: Option<DateTime<Utc>>) -> anyhow::Result<Applied> {
    let retention = chorus_editorial::store::settings::load(db).await?.retention;
    let now = clock.unwrap_or_else(Utc::now);
    let applied = apply(db, &retention, now).await?;
    let total: u64 = applied.kinds.iter().map(|(_, _, n)| n).sum();
    if total > 0 {
        tracing::info!(
            deleted = total,
            per_kind = ?applied
                .kinds
                .iter()
                .map(|(k, _, n)| (k.as_str(), *n))
                .collect::<Vec<_>>(),
            "retention applied"
        );
    }
    Ok(applied)
}
