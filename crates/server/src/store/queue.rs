//! Work queues kept in the database (webhook deliveries, notification messages): each row is
//! `pending` until its `next_attempt_at`, then leased by one worker (`sending`, `lease_owner`,
//! `lease_until`) while it is attempted. A row whose lease expired (its worker stopped
//! mid-attempt) is claimed again: delivery is at least once.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement};

/// A queue table and the columns a claim returns.
#[derive(Debug, Clone, Copy)]
pub struct Queue {
    /// The table (with `id`, `state`, `next_attempt_at`, `lease_owner`, `lease_until`,
    /// `attempts`).
    pub table: &'static str,
    /// The columns returned for the claimed row, comma-separated.
    pub returning: &'static str,
}

impl Queue {
    /// Leases the oldest row that is due to `owner` until `now + lease`, counting one more
    /// attempt, and returns its `returning` columns; `None` when nothing is due. Workers on
    /// PostgreSQL skip the rows others are claiming (`SKIP LOCKED`); SQLite has one writer.
    ///
    /// # Errors
    /// Database failure.
    pub async fn claim(
        &self,
        db: &DatabaseConnection,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<QueryResult>, sea_orm::DbErr> {
        let backend = db.get_database_backend();
        let lock = if backend == DbBackend::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let Queue { table, returning } = *self;
        let sql = format!(
            "UPDATE {table} SET state = 'sending', lease_owner = $1, lease_until = $2, \
             attempts = attempts + 1 WHERE id = (SELECT id FROM {table} WHERE \
             (state = 'pending' AND next_attempt_at <= $3) OR (state = 'sending' AND lease_until < $3) \
             ORDER BY id LIMIT 1{lock}) \
             RETURNING {returning}"
        );
        db.query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [owner.into(), (now + lease).into(), now.into()],
        ))
        .await
    }
}
