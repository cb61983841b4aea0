//! The background worker: the publishing queue, notifications, feeds and housekeeping. `chorus serve`
//! runs one; `chorus worker` runs one alone. Several may run against one database.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chorus_policy::FeedId;

use tokio::sync::watch;

use crate::app::AppState;
use crate::store;

/// How often housekeeping runs.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(60);

/// How often the retention policy is applied (and once when the worker starts).
const RETENTION_EVERY: Duration = Duration::from_secs(60 * 60);

/// How often the worker queues the digests and the reconnect notices that are due.
const DIGESTS_EVERY: Duration = Duration::from_secs(20);

/// How often the worker looks for due periodic work.
const TICK: Duration = Duration::from_secs(1);

/// Runs until `stop` turns true.
pub async fn run(app: AppState, mut stop: watch::Receiver<bool>) {
    let mut housekeeping_ticker = tokio::time::interval(HOUSEKEEPING_EVERY);
    let mut ticker = tokio::time::interval(TICK);
    let mut retention_ticker = tokio::time::interval(RETENTION_EVERY);
    let mut digest_ticker = tokio::time::interval(DIGESTS_EVERY);
    let holder = format!("worker-{}", uuid::Uuid::new_v4());
    // Shares a retired LinkedIn version failed go out again once the setting names another.
    match chorus_ambassador::linkedin_version::retry_refused(
        &app.db,
        app.config.linkedin_version,
        chrono::Utc::now(),
    )
    .await
    {
        Ok(0) => {}
        Ok(retried) => tracing::info!(
            retried,
            version = %app.config.linkedin_version,
            "LinkedIn shares failed by a retired version are queued again"
        ),
        Err(e) => tracing::warn!(error = %e, "could not queue the LinkedIn shares again"),
    }
    loop {
        tokio::select! {
            _ = housekeeping_ticker.tick() => housekeeping(&app).await,
            _ = retention_ticker.tick() => {
                if let Err(e) = crate::retention::run(&app.db, app.config.retention_clock).await {
                    tracing::warn!(error = %e, "could not apply the retention policy");
                }
            }
            _ = digest_ticker.tick() => {
                match crate::notify::queue_digests(&app, chrono::Utc::now()).await {
                    Ok(0) => {}
                    Ok(queued) => tracing::info!(queued, "digests queued"),
                    Err(e) => tracing::warn!(error = %e, "could not queue the digests"),
                }
                match crate::notify::queue_reconnect_notices(&app, chrono::Utc::now()).await {
                    Ok(0) => {}
                    Ok(queued) => tracing::info!(queued, "reconnect notices queued"),
                    Err(e) => tracing::warn!(error = %e, "could not queue the reconnect notices"),
                }
            }
            _ = ticker.tick() => {
                publish_due_shares(&app, &holder, &stop).await;
                crate::notify::send_due(&app, &holder).await;
                crate::webhooks::deliver_due(&app, &holder).await;
                poll_due_feeds(&app, &holder).await;
            }
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break;
                }
            }
        }
    }
    tracing::info!("worker stopped");
}

/// Removes expired sessions and unfinished connection attempts (sign-in counters follow the
/// retention policy). Idempotent, so two processes running it at once do no harm.
async fn housekeeping(app: &AppState) {
    match store::sessions::purge_expired(&app.db).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(removed = n, "expired sessions removed"),
        Err(e) => tracing::warn!(error = %e, "could not purge sessions"),
    }
    if let Err(e) =
        chorus_ambassador::accounts::purge_stale_states(&app.db, chrono::Utc::now()).await
    {
        tracing::warn!(error = %e, "could not purge unfinished connection attempts");
    }
    if let Err(e) = crate::sso::purge(&app.db, chrono::Utc::now()).await {
        tracing::warn!(error = %e, "could not purge unfinished sign-ins");
    }
    if let Err(e) = crate::notify::purge(&app.db, chrono::Utc::now()).await {
        tracing::warn!(error = %e, "could not purge sent notifications");
    }
}

/// Polls every feed whose last poll is older than the configured interval. One process at a
/// time does this (a lease), and entries are claimed one by one, so nothing is imported twice.
async fn poll_due_feeds(app: &AppState, holder: &str) {
    let interval = app.config.feed_poll_interval;
    let ttl = chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::minutes(15))
        + chrono::Duration::seconds(30);
    match chorus_editorial::store::leases::acquire(&app.db, "feeds", holder, ttl).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::warn!(error = %e, "could not take the feed lease");
            return;
        }
    }
    let feeds = match chorus_editorial::store::feeds::list(&app.db).await {
        Ok(feeds) => feeds,
        Err(e) => {
            tracing::warn!(error = %e, "could not list feeds");
            return;
        }
    };
    let now = chrono::Utc::now();
    let every = chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::minutes(15));
    for feed in feeds
        .iter()
        .filter(|f| f.last_polled_at.is_none_or(|at| now - at >= every))
    {
        match chorus_editorial::sources::poll_feed(&app.db, &app.fetcher, FeedId(feed.id)).await {
            Ok(outcome) if outcome.imported > 0 => tracing::info!(
                feed = feed.id,
                imported = outcome.imported,
                "feed entries imported as drafts"
            ),
            Ok(outcome) => {
                if let Some(error) = outcome.error {
                    tracing::info!(feed = feed.id, %error, "feed poll failed");
                }
            }
            Err(e) => tracing::warn!(feed = feed.id, error = %e, "feed poll failed"),
        }
    }
}

/// Publishes the shares that are due, up to `publish_concurrency` at once (each waits on its
/// network's answer): each is claimed (marked `sending` with a lease, in one committed
/// statement) before its network is called, and settled only by its lease holder. One
/// account's shares go one after another (a share is not claimed while another of its account
/// is being sent), so what a network says about an account, a rate limit, is heard before its
/// next post. Runs until nothing more is due, or `stop` turns true (what is being sent then
/// finishes first).
async fn publish_due_shares(app: &AppState, holder: &str, stop: &watch::Receiver<bool>) {
    use chorus_ambassador::shares;
    let now = chrono::Utc::now();
    if let Err(e) = shares::recover(&app.db, now).await {
        tracing::warn!(error = %e, "could not recover stale shares");
        return;
    }
    let mut sending = tokio::task::JoinSet::new();
    let records = Arc::new(shares::Records::default());
    // Whether the last look found nothing due (not an error, not a stop).
    let mut drained = false;
    loop {
        // Claim what there is room for, in one statement; after each share settles, look
        // again (its account's next share, or one that fell due meanwhile).
        let room = app.config.publish_concurrency.saturating_sub(sending.len());
        // A claim is a committed statement: taken for a quarter of the room at least.
        let worth_it = room >= (app.config.publish_concurrency / 4).max(1) || sending.is_empty();
        if room > 0 && worth_it && !*stop.borrow() {
            let lease = chrono::Duration::from_std(app.config.share_lease).unwrap_or(shares::LEASE);
            match shares::claim(&app.db, holder, chrono::Utc::now(), lease, room).await {
                Ok(claimed) if claimed.is_empty() => drained = true,
                Ok(claimed) => {
                    drained = false;
                    // What every attempt of the claim checks, read once for all of them; a
                    // share whose reading failed is retried shortly, nothing sent.
                    let read = Arc::new(read_claim(app, &claimed).await);
                    for share in claimed {
                        let (app, holder) = (app.clone(), holder.to_owned());
                        let (read, records) = (read.clone(), records.clone());
                        sending.spawn(async move {
                            send(&app, &holder, share, &read, &records).await;
                        });
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not claim shares");
                    drained = false;
                }
            }
        }
        match sending.join_next().await {
            Some(Ok(())) => {}
            Some(Err(e)) => tracing::error!(error = %e, "a share's attempt stopped abnormally"),
            None => break,
        }
        while let Some(done) = sending.try_join_next() {
            if let Err(e) = done {
                tracing::error!(error = %e, "a share's attempt stopped abnormally");
            }
        }
    }
    if drained {
        app.metrics.worker_idle_pass();
    }
}

/// What the attempts of one claim check and need, read at once for all its shares: their
/// owners (active, opted in, their rhythm, whether they hear about their shares) and their
/// accounts. `Err` when it could not be read: its shares are retried shortly.
type Claim = Result<Owners, String>;

struct Owners {
    active: HashSet<i32>,
    consent: HashMap<i32, chorus_policy::consent::ConsentState>,
    rhythm: HashMap<chorus_policy::UserId, (chorus_policy::rhythm::Rhythm, chrono_tz::Tz)>,
    hearing: HashSet<i32>,
    accounts: chorus_ambassador::publishing::Claimed,
}

async fn read_claim(app: &AppState, shares: &[chorus_ambassador::shares::ShareRow]) -> Claim {
    let mut people: Vec<i32> = shares.iter().map(|s| s.user_id).collect();
    people.sort_unstable();
    people.dedup();
    let db = &app.db;
    let each: Vec<chorus_policy::UserId> =
        people.iter().map(|p| chorus_policy::UserId(*p)).collect();
    let read = async {
        Ok::<_, String>(Owners {
            active: store::users::active_among(db, &people)
                .await
                .map_err(|e| e.to_string())?,
            consent: store::policy::consent_states(db, &people)
                .await
                .map_err(|e| e.to_string())?,
            rhythm: chorus_ambassador::rhythm::of_each(db, &each)
                .await
                .map_err(|e| e.to_string())?,
            hearing: crate::notify::hearing_events(db, &people)
                .await
                .map_err(|e| e.to_string())?,
            accounts: chorus_ambassador::publishing::Claimed::read(db, shares)
                .await
                .map_err(|e| e.to_string())?,
        })
    };
    read.await.inspect_err(|e| {
        tracing::warn!(error = %e, "could not read the owners of claimed shares");
    })
}

/// One attempt at a claimed share, recorded, and its owner told.
async fn send(
    app: &AppState,
    holder: &str,
    share: chorus_ambassador::shares::ShareRow,
    claim: &Claim,
    records: &chorus_ambassador::shares::Records,
) {
    use chorus_ambassador::shares;
    crash_point("claimed", share.id).await;
    let public_base = app.public_url("");
    let publisher = chorus_ambassador::publishing::Publisher {
        db: &app.db,
        vault: &app.vault,
        networks: &app.networks,
        fetcher: &app.fetcher,
        public_base: &public_base,
    };
    let soon = || chrono::Utc::now() + chrono::Duration::seconds(30);
    let outcome = match claim {
        Err(_) => shares::Outcome::RetryAt(
            soon(),
            "Chorus could not check your account; it will try again shortly".to_owned(),
        ),
        Ok(owners) => match still_theirs_to_send(owners, &share) {
            Some(reason) => shares::Outcome::Cancelled(reason),
            // The owner's rhythm is checked when the share is due, not only when it was
            // queued: quiet hours or a cap they set since still hold it back.
            None => match hold(app, owners, &share).await {
                Ok(Some(slot)) => shares::Outcome::Held(slot),
                Ok(None) => publisher.attempt(holder, &share, &owners.accounts).await,
                Err(e) => {
                    tracing::warn!(share = share.id, error = %e, "could not read the owner's rhythm");
                    shares::Outcome::RetryAt(
                        soon(),
                        "Chorus could not read your rhythm; it will try again shortly".to_owned(),
                    )
                }
            },
        },
    };
    crash_point("answered", share.id).await;
    let recorded = records.record(&app.db, &share, holder, &outcome).await;
    crash_point("recorded", share.id).await;
    match recorded {
        Ok(true) => {
            tracing::info!(share = share.id, outcome = ?outcome_name(&outcome), "share attempt settled");
            if claim
                .as_ref()
                .is_ok_and(|owners| owners.hearing.contains(&share.user_id))
            {
                notify_owner(app, &share, &outcome).await;
            }
            if let (chorus_ambassador::shares::Outcome::Published(_), Some(item)) =
                (&outcome, share.item_id)
            {
                crate::webhooks::share_published(app, item).await;
            }
        }
        Ok(false) => tracing::warn!(
            share = share.id,
            "lease lost before settling; another worker owns it"
        ),
        Err(e) => {
            tracing::warn!(share = share.id, error = %e, "could not record a share's outcome");
        }
    }
}

/// Whether the owner's rhythm holds the share back now: `Some(slot)` is when it goes.
async fn hold(
    app: &AppState,
    owners: &Owners,
    share: &chorus_ambassador::shares::ShareRow,
) -> Result<Option<chorus_policy::rhythm::Slot>, chorus_ambassador::AmbassadorError> {
    let Some((rhythm, zone)) = owners.rhythm.get(&chorus_policy::UserId(share.user_id)) else {
        return Ok(None);
    };
    chorus_ambassador::rhythm::hold_before_sending(
        &app.db,
        share,
        rhythm,
        *zone,
        chrono::Utc::now(),
    )
    .await
}

/// Queues the message about a settled share, when its owner chose to hear about their shares.
async fn notify_owner(
    app: &AppState,
    share: &chorus_ambassador::shares::ShareRow,
    outcome: &chorus_ambassador::shares::Outcome,
) {
    use crate::notify::Kind;
    use chorus_ambassador::shares::Outcome;
    let kind = match outcome {
        Outcome::Published(_) => Kind::SharePublished,
        Outcome::Failed(_) | Outcome::Reconnect(_) => Kind::ShareFailed,
        Outcome::NeedsCheck(_) => Kind::ShareToCheck,
        Outcome::RetryAt(..)
        | Outcome::RateLimited(_)
        | Outcome::Cancelled(_)
        | Outcome::Held(_) => return,
    };
    if let Err(e) =
        crate::notify::share_settled(app, share.user_id, chorus_policy::ShareId(share.id), kind)
            .await
    {
        tracing::warn!(share = share.id, error = %e, "could not queue the owner's email");
    }
}

/// Whether the share's owner may still publish through Chorus, checked when the share is
/// claimed, not only when it was queued: a person who withdrew, or whose account was
/// deactivated since, never has a post sent. `Some(reason)` cancels the share.
fn still_theirs_to_send(
    owners: &Owners,
    share: &chorus_ambassador::shares::ShareRow,
) -> Option<String> {
    use chorus_policy::consent::ConsentState;
    if !owners.active.contains(&share.user_id) {
        return Some(
            "Your Chorus account was deactivated, so this share was cancelled: nothing was posted."
                .to_owned(),
        );
    }
    match owners.consent.get(&share.user_id) {
        Some(ConsentState::Accepted { .. }) => None,
        Some(ConsentState::Withdrawn { .. } | ConsentState::NeverOptedIn) | None => Some(
            "You withdrew from the programme, so this share was cancelled: nothing was posted."
                .to_owned(),
        ),
    }
}

fn outcome_name(outcome: &chorus_ambassador::shares::Outcome) -> &'static str {
    use chorus_ambassador::shares::Outcome;
    match outcome {
        Outcome::Published(_) => "published",
        Outcome::RetryAt(..) => "retry",
        Outcome::RateLimited(_) => "rate_limited",
        Outcome::NeedsCheck(_) => "needs_check",
        Outcome::Failed(_) => "failed",
        Outcome::Reconnect(_) => "reconnect",
        Outcome::Cancelled(_) => "cancelled",
        Outcome::Held(_) => "held",
    }
}

/// A pause the crash-safety test uses to kill this process at a chosen point of publishing
/// (`CHORUS_TEST_CRASH_POINT=claimed|answered|recorded`). Unset in production: it does nothing.
async fn crash_point(point: &str, share: i32) {
    if std::env::var("CHORUS_TEST_CRASH_POINT").is_ok_and(|p| p == point) {
        tracing::warn!(point, share, "crash point reached; waiting to be killed");
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
}
