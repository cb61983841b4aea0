//! The background worker: periodic housekeeping now, the publishing queue later. `chorus serve`
//! runs one; `chorus worker` runs one alone. Several may run against one database.

use std::time::Duration;

use tokio::sync::watch;

use crate::app::AppState;
use crate::store;

/// How often housekeeping runs.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(60);

/// Runs until `stop` turns true.
pub async fn run(app: AppState, mut stop: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(HOUSEKEEPING_EVERY);
    loop {
        tokio::select! {
            _ = ticker.tick() => housekeeping(&app).await,
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break;
                }
            }
        }
    }
    tracing::info!("worker stopped");
}

/// Removes expired sessions and stale throttle counters. Idempotent, so two processes running
/// it at once do no harm.
async fn housekeeping(app: &AppState) {
    match store::sessions::purge_expired(&app.db).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(removed = n, "expired sessions removed"),
        Err(e) => tracing::warn!(error = %e, "could not purge sessions"),
    }
    if let Err(e) = store::throttle::purge_older_than(&app.db, chrono::Duration::days(1)).await {
        tracing::warn!(error = %e, "could not purge sign-in counters");
    }
}
