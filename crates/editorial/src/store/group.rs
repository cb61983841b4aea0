//! Group commit: writes that arrive while another is being committed wait for it, then go
//! together in one transaction, each writer told how its own write went. Under load a commit
//! (a flush to disk) is the costly part of a small write; many writers then pay for one.
//!
//! The first writer to reach the database writes what every waiting writer left, in a task of
//! its own (a writer that leaves, a request cancelled, does not leave the others' writes
//! unwritten), and each returns when its own write is committed.

use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};
use tokio::sync::oneshot;

/// Writes of `I`, each giving an `O`, committed in groups.
#[derive(Debug)]
pub struct GroupCommit<I, O> {
    pending: Mutex<Vec<Pending<I, O>>>,
    writer: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
struct Pending<I, O> {
    item: I,
    done: oneshot::Sender<Result<O, String>>,
}

impl<I, O> Default for GroupCommit<I, O> {
    fn default() -> Self {
        Self {
            pending: Mutex::new(Vec::new()),
            writer: tokio::sync::Mutex::new(()),
        }
    }
}

impl<I: Send + 'static, O: Send + 'static> GroupCommit<I, O> {
    /// Writes `item` with `write` (every writer of this group passes the same function: it
    /// writes the items it is given, in order, in the transaction, and gives one `O` for each),
    /// and returns its `O` once committed.
    ///
    /// # Errors
    /// Database failure of the group's transaction (every write of the group then failed).
    pub async fn write<W, F>(&self, db: &DatabaseConnection, item: I, write: W) -> Result<O, DbErr>
    where
        W: FnOnce(DatabaseTransaction, Vec<I>) -> F + Send + 'static,
        F: Future<Output = Result<(DatabaseTransaction, Vec<O>), DbErr>> + Send + 'static,
    {
        let (done, wait) = oneshot::channel();
        self.lock_pending().push(Pending { item, done });
        {
            let _writer = self.writer.lock().await;
            let group = std::mem::take(&mut *self.lock_pending());
            if !group.is_empty() {
                let (items, waiting): (Vec<_>, Vec<_>) =
                    group.into_iter().map(|p| (p.item, p.done)).unzip();
                let db = db.clone();
                let written = tokio::spawn(async move {
                    let result = async {
                        let txn = super::begin_write(&db).await?;
                        let (txn, outputs) = write(txn, items).await?;
                        txn.commit().await?;
                        Ok::<_, DbErr>(outputs)
                    }
                    .await;
                    match result {
                        Ok(outputs) => {
                            for (done, output) in waiting.into_iter().zip(outputs) {
                                let _gone = done.send(Ok(output));
                            }
                        }
                        Err(e) => {
                            for done in waiting {
                                let _gone = done.send(Err(e.to_string()));
                            }
                        }
                    }
                });
                written
                    .await
                    .map_err(|e| DbErr::Custom(format!("group commit: {e}")))?;
            }
        }
        wait.await
            .map_err(|_| DbErr::Custom("group commit: the writer stopped".to_owned()))?
            .map_err(DbErr::Custom)
    }

    fn lock_pending(&self) -> MutexGuard<'_, Vec<Pending<I, O>>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sea_orm::{ConnectOptions, ConnectionTrait as _, Database, Statement};

    use super::*;

    /// Writers that arrive together are committed together, each gets its own answer, and a
    /// group whose write fails fails for each of its writers (and only them).
    #[tokio::test]
    async fn writes_that_arrive_together_commit_together() {
        // One connection: an in-memory database is one per connection.
        let db = Database::connect(
            ConnectOptions::new("sqlite::memory:")
                .max_connections(1)
                .to_owned(),
        )
        .await
        .unwrap();
        db.execute_unprepared("CREATE TABLE t (n INTEGER NOT NULL CHECK (n >= 0))")
            .await
            .unwrap();
        let group = Arc::new(GroupCommit::<i64, i64>::default());
        let write = |txn: DatabaseTransaction, items: Vec<i64>| async move {
            let mut outputs = Vec::new();
            for n in &items {
                txn.execute_raw(Statement::from_string(
                    txn.get_database_backend(),
                    format!("INSERT INTO t (n) VALUES ({n})"),
                ))
                .await?;
                outputs.push(n * 10);
            }
            Ok((txn, outputs))
        };
        let mut writers = tokio::task::JoinSet::new();
        for n in 0..20_i64 {
            let (group, db) = (group.clone(), db.clone());
            writers.spawn(async move { (n, group.write(&db, n, write).await) });
        }
        while let Some(joined) = writers.join_next().await {
            let (n, answer) = joined.unwrap();
            assert_eq!(answer.unwrap(), n * 10);
        }
        let count = |db: DatabaseConnection| async move {
            db.query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM t",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap()
        };
        assert_eq!(count(db.clone()).await, 20);
        // A write that breaks the table's rule fails, and nothing of its group is kept.
        assert!(group.write(&db, -1, write).await.is_err());
        assert_eq!(count(db.clone()).await, 20);
        assert_eq!(group.write(&db, 7, write).await.unwrap(), 70);
        assert_eq!(count(db).await, 21);
    }
}
