//! Shares and the publishing queue: `scheduled -> sending -> published | failed |
//! needs_check`, or `scheduled -> missed` when its time passed while no worker ran; a published
//! share becomes `deleted` when its owner deletes it from the network ([`delete_from_network`]).
//!
//! Before the network is called, the share is marked `sending` with a lease and its
//! idempotency key in one committed statement. Where the network makes a retry harmless
//! (Mastodon's `Idempotency-Key`; Bluesky's record key, a TID chosen when the share is queued;
//! Threads' container, recorded on the share before its publish step: [`publish_threads`]),
//! an uncertain attempt is retried; elsewhere a share found in
//! `sending` after its lease expired is never re-sent blindly: it becomes `needs_check` and its
//! owner decides. Nothing is ever published without its owner's own action for that share.

use chorus_policy::{AccountId, ItemId, Network, ShareId, UserId};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, ConnectionTrait, DatabaseConnection,
    DbBackend, EntityTrait as _, FromQueryResult as _, QueryFilter as _, QueryOrder as _,
    Statement, TransactionTrait as _,
};

use crate::AmbassadorError;
use crate::connectors::{PublishError, Published, retry_is_idempotent};
use crate::store::entities::share;

mod deletion;
mod reads;
mod records;
mod state;
mod threads;

pub use deletion::delete_from_network;
pub use reads::{named_sharers_per_item, published_texts, sharers_per_item};
pub use records::Records;
pub use share::Model as ShareRow;
pub use state::{ShareState, UnknownShareState};
pub use threads::publish_threads;

/// How long a worker holds a share while calling the network, by default.
pub const LEASE: Duration = Duration::seconds(60);
/// How late a scheduled share may still go out when a worker comes back.
pub const GRACE: Duration = Duration::minutes(15);
/// Attempts before a share that keeps meeting unavailable networks is given up.
pub const MAX_ATTEMPTS: i32 = 6;

/// What to do with a share after one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Live: its id and address.
    Published(Published),
    /// Try again at this time (unavailable before sending, idempotent retry).
    RetryAt(DateTime<Utc>, String),
    /// The network asked to wait until this time before the account posts again: this share
    /// and the account's other shares due before then wait.
    RateLimited(DateTime<Utc>),
    /// The post may exist: its owner checks.
    NeedsCheck(String),
    /// The network refused: its words, in plain language.
    Failed(String),
    /// The account must be reconnected by its owner.
    Reconnect(String),
    /// Never sent: its owner can no longer publish through Chorus (they withdrew, or their
    /// account was deactivated). The reason is shown to them.
    Cancelled(String),
    /// Not sent yet: its owner's rhythm (quiet hours, daily cap) holds it until this slot. Not
    /// an attempt: it does not count as one.
    Held(chorus_policy::Slot),
}

/// What a share waiting for a network's rate limit says (in English; pages translate it).
pub const RATE_LIMITED: &str = "the network asked to wait (rate limit)";

fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 7)).unwrap_or(0);
    Duration::seconds(30 * 2_i64.pow(exponent)).min(Duration::hours(1))
}

/// The rule that turns one attempt's result into the share's next step.
#[must_use]
pub fn outcome_of(
    network: Network,
    result: Result<Published, PublishError>,
    attempts: i32,
    now: DateTime<Utc>,
) -> Outcome {
    match result {
        Ok(published) => Outcome::Published(published),
        Err(PublishError::RateLimited { retry_at }) => Outcome::RateLimited(retry_at.max(now)),
        Err(e @ PublishError::Unavailable { .. }) if attempts < MAX_ATTEMPTS => {
            Outcome::RetryAt(now + backoff(attempts), e.to_string())
        }
        Err(e @ PublishError::Unavailable { .. }) => {
            Outcome::Failed(format!("gave up after {attempts} attempts: {e}"))
        }
        // The idempotency key makes the retry harmless: try again soon.
        Err(e @ PublishError::Uncertain { .. })
            if retry_is_idempotent(network) && attempts < MAX_ATTEMPTS =>
        {
            Outcome::RetryAt(
                now + Duration::seconds(2 * i64::from(attempts)),
                e.to_string(),
            )
        }
        // Threads: the publish step of a container recorded on the share got no answer. The
        // retry looks at that container first ([`publish_threads`]), so it cannot post twice.
        Err(
            e @ PublishError::Uncertain {
                container_id: Some(_),
                ..
            },
        ) if network == Network::Threads && attempts < MAX_ATTEMPTS => Outcome::RetryAt(
            now + Duration::seconds(2 * i64::from(attempts)),
            e.to_string(),
        ),
        Err(e @ PublishError::Uncertain { .. }) => Outcome::NeedsCheck(e.to_string()),
        // A duplicate refusal after an earlier attempt means that attempt probably worked.
        Err(e @ PublishError::Duplicate { .. }) if attempts > 1 => {
            Outcome::NeedsCheck(e.to_string())
        }
        Err(e @ PublishError::Unauthorized { .. }) => Outcome::Reconnect(e.to_string()),
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

/// How a share reaches its network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// Published by the worker through the owner's connected account (this id).
    Account(AccountId),
    /// Handed to the network's own composer in the owner's browser ("post it yourself");
    /// Mastodon's is on the owner's server (its origin, checked by [`crate::composer`]).
    Composer {
        /// The owner's Mastodon server, for Mastodon.
        mastodon_server: Option<String>,
    },
}

/// A share to create: the owner's own choice of text, account and time.
#[derive(Debug, Clone)]
pub struct NewShare {
    /// The owner.
    pub user_id: UserId,
    /// The hub item shared.
    pub item_id: Option<ItemId>,
    /// Through the owner's account, or through the network's composer.
    pub via: Via,
    /// Its network.
    pub network: Network,
    /// The text as the owner wrote it.
    pub text: String,
    /// The link.
    pub link: Option<String>,
    /// The link's title (LinkedIn article).
    pub link_title: Option<String>,
    /// Language tag.
    pub language: Option<String>,
    /// When it goes: now, the time the owner chose, or the slot their rhythm moved it to.
    pub at: DateTime<Utc>,
    /// Why their rhythm moved it, if it did.
    pub held: Option<chorus_policy::Hold>,
}

/// Queues a share (`scheduled`), or records one handed to the network's composer
/// (`handed_over`, with the composer's address holding the final text).
///
/// # Errors
/// Database failure, or a Mastodon server that [`crate::composer`] refuses.
pub async fn create(db: &impl ConnectionTrait, new: NewShare) -> Result<ShareId, AmbassadorError> {
    let now = Utc::now();
    let (account_id, state, composer_url) = match &new.via {
        Via::Account(id) => (Some(id.get()), ShareState::Scheduled, None),
        Via::Composer { mastodon_server } => {
            let url = crate::composer::url(new.network, mastodon_server.as_deref(), &new.text)?;
            (None, ShareState::HandedOver, Some(url.to_string()))
        }
    };
    let row = share::ActiveModel {
        user_id: Set(new.user_id.get()),
        item_id: Set(new.item_id.map(ItemId::get)),
        account_id: Set(account_id),
        network: Set(new.network.into()),
        text: Set(new.text),
        link: Set(new.link),
        link_title: Set(new.link_title),
        language: Set(new.language),
        state: Set(state),
        composer_url: Set(composer_url),
        held_by: Set(new.held.map(|h| h.as_str().to_owned())),
        scheduled_at: Set(new.at),
        next_attempt_at: Set(new.at),
        attempts: Set(0),
        idempotency_key: Set(idempotency_key(new.network)),
        lease_owner: Set(None),
        lease_until: Set(None),
        external_id: Set(None),
        external_url: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(ShareId(row.id))
}

/// A share's idempotency key: a TID for Bluesky, whose record key it becomes; 32 random hex
/// digits elsewhere.
fn idempotency_key(network: Network) -> String {
    match network {
        Network::Bluesky => crate::connectors::bluesky::new_tid(),
        _ => random_hex(),
    }
}

/// 128 random bits in hex: idempotency keys, and the tokens of images' public addresses.
pub(crate) fn random_hex() -> String {
    use rand::RngCore as _;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().fold(String::with_capacity(32), |mut out, b| {
        use std::fmt::Write as _;
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Claims up to `limit` due shares for `owner`, marking them `sending` with a lease, in one
/// committed statement (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers).
/// One account's posts go one at a time, in order: a share is claimed only when no other share
/// of its account is being sent or waits before it (a share being claimed by another worker
/// still counts as waiting, so two workers never take two shares of one account).
///
/// # Errors
/// Database failure.
pub async fn claim(
    db: &DatabaseConnection,
    owner: &str,
    now: DateTime<Utc>,
    lease: Duration,
    limit: usize,
) -> Result<Vec<ShareRow>, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let lease_until = now + lease;
    let first_of_its_account = "s.state = 'scheduled' AND s.next_attempt_at <= $3 \
         AND (s.account_id IS NULL OR (NOT EXISTS (SELECT 1 FROM shares o \
         WHERE o.account_id = s.account_id AND o.state = 'sending') \
         AND NOT EXISTS (SELECT 1 FROM shares e WHERE e.account_id = s.account_id \
         AND e.state = 'scheduled' AND (e.next_attempt_at < s.next_attempt_at \
         OR (e.next_attempt_at = s.next_attempt_at AND e.id < s.id)))))";
    let sql = match backend {
        DbBackend::Postgres => format!(
            "UPDATE shares SET state = 'sending', lease_owner = $1, lease_until = $2, \
             attempts = attempts + 1, updated_at = $3 WHERE id IN (SELECT s.id FROM shares s \
             WHERE {first_of_its_account} ORDER BY s.next_attempt_at, s.id LIMIT $4 \
             FOR UPDATE SKIP LOCKED) RETURNING *"
        ),
        _ => format!(
            "UPDATE shares SET state = 'sending', lease_owner = $1, lease_until = $2, \
             attempts = attempts + 1, updated_at = $3 WHERE id IN (SELECT s.id FROM shares s \
             WHERE {first_of_its_account} ORDER BY s.next_attempt_at, s.id LIMIT $4) \
             AND state = 'scheduled' RETURNING *"
        ),
    };
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let statement = Statement::from_sql_and_values(
        backend,
        &sql,
        [owner.into(), lease_until.into(), now.into(), limit.into()],
    );
    let rows = if backend == DbBackend::Postgres {
        // Read in the index's order, stopping at `limit`: the planner, misled by statistics
        // that a campaign falling due made stale, would otherwise check every due share of
        // every account and sort them (the database's first cost, `bench publish`).
        let txn = db.begin().await?;
        txn.execute_unprepared(
            "SELECT set_config('enable_bitmapscan', 'off', true), \
             set_config('enable_sort', 'off', true)",
        )
        .await?;
        let rows = txn.query_all_raw(statement).await?;
        txn.commit().await?;
        rows
    } else {
        db.query_all_raw(statement).await?
    };
    let mut claimed = rows
        .iter()
        .map(|row| ShareRow::from_query_result(row, ""))
        .collect::<Result<Vec<_>, _>>()?;
    claimed.sort_by_key(|a| (a.next_attempt_at, a.id));
    Ok(claimed)
}

/// Shares left in `sending` by a worker that died: retried where the network makes a retry
/// harmless, otherwise marked `needs_check`. Scheduled shares whose time passed beyond the
/// grace period without any attempt become `missed`.
///
/// # Errors
/// Database failure.
pub async fn recover(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(), sea_orm::DbErr> {
    let stale = share::Entity::find()
        .filter(share::Column::State.eq(ShareState::Sending.as_str()))
        .filter(share::Column::LeaseUntil.lt(now))
        .all(db)
        .await?;
    for row in stale {
        let network = row.network.get();
        let (next_state, why) = if retry_is_idempotent(network) {
            (
                ShareState::Scheduled,
                "the worker stopped while sending; retried with the same idempotency key",
            )
        } else if network == Network::Threads {
            // The publish step is only taken once the container is recorded on the share, and
            // the retry looks at that container first: it cannot make a second post.
            (
                ShareState::Scheduled,
                "the worker stopped while sending; retried on the recorded Threads container",
            )
        } else {
            (
                ShareState::NeedsCheck,
                "the worker stopped while sending: check on the network whether it was published",
            )
        };
        share::Entity::update_many()
            .col_expr(share::Column::State, Expr::value(next_state.as_str()))
            .col_expr(share::Column::LastError, Expr::value(why))
            .col_expr(
                share::Column::LeaseOwner,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                share::Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(share::Column::Id.eq(row.id))
            .filter(share::Column::State.eq(ShareState::Sending.as_str()))
            .filter(share::Column::LeaseUntil.lt(now))
            .exec(db)
            .await?;
    }
    share::Entity::update_many()
        .col_expr(
            share::Column::State,
            Expr::value(ShareState::Missed.as_str()),
        )
        .col_expr(
            share::Column::LastError,
            Expr::value("its time passed while Chorus was not running"),
        )
        .filter(share::Column::State.eq(ShareState::Scheduled.as_str()))
        .filter(share::Column::Attempts.eq(0))
        .filter(share::Column::ScheduledAt.lt(now - GRACE))
        .exec(db)
        .await?;
    Ok(())
}

/// A person's shares, newest first.
///
/// # Errors
/// Database failure.
pub async fn for_user(
    db: &impl ConnectionTrait,
    user_id: UserId,
) -> Result<Vec<ShareRow>, sea_orm::DbErr> {
    let user_id = user_id.get();
    share::Entity::find()
        .filter(share::Column::UserId.eq(user_id))
        .order_by_desc(share::Column::Id)
        .all(db)
        .await
}

/// Owner actions on a share: cancel a scheduled one, retry a failed or missed one, or settle a
/// `needs_check` one (it was published, or it was not and may be sent again).
///
/// # Errors
/// Database failure; `Ok(false)` when the share is not theirs or not in a state for it.
pub async fn owner_action(
    db: &DatabaseConnection,
    user_id: UserId,
    id: ShareId,
    action: &str,
    now: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let user_id = user_id.get();
    let id = id.get();
    let (from, to): (&[ShareState], ShareState) = match action {
        "cancel" | "not_posted" => (
            &[
                ShareState::Scheduled,
                ShareState::Missed,
                ShareState::HandedOver,
            ],
            ShareState::Cancelled,
        ),
        "posted" => (&[ShareState::HandedOver], ShareState::Published),
        "retry" | "send_again" => (
            &[
                ShareState::Failed,
                ShareState::Missed,
                ShareState::NeedsCheck,
            ],
            ShareState::Scheduled,
        ),
        "was_published" => (&[ShareState::NeedsCheck], ShareState::Published),
        _ => return Ok(false),
    };
    let mut update = share::Entity::update_many()
        .col_expr(share::Column::State, Expr::value(to.as_str()))
        .col_expr(share::Column::UpdatedAt, Expr::value(now));
    if to == ShareState::Scheduled {
        update = update
            .col_expr(share::Column::NextAttemptAt, Expr::value(now))
            .col_expr(share::Column::ScheduledAt, Expr::value(now))
            .col_expr(share::Column::Attempts, Expr::value(0));
    }
    let txn = chorus_editorial::store::begin_write(db).await?;
    let result = update
        .filter(share::Column::Id.eq(id))
        .filter(share::Column::UserId.eq(user_id))
        .filter(share::Column::State.is_in(from.iter().map(|s| s.as_str())))
        .exec(&txn)
        .await?;
    let done = result.rows_affected == 1;
    if done && to == ShareState::Published {
        crate::activity::count_published(&txn, ShareId(id), now).await?;
    }
    txn.commit().await?;
    Ok(done)
}

/// Cancels every share of a person still waiting to go out (scheduled, missed, or handed over
/// to post themselves), keeping `why` on each so their history says it. Shares a worker is
/// sending finish their attempt: the worker checks the owner again before calling a network.
///
/// # Errors
/// Database failure.
pub async fn cancel_waiting(
    db: &impl ConnectionTrait,
    user: UserId,
    why: &str,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let waiting = [
        ShareState::Scheduled,
        ShareState::Missed,
        ShareState::HandedOver,
    ];
    Ok(share::Entity::update_many()
        .col_expr(
            share::Column::State,
            Expr::value(ShareState::Cancelled.as_str()),
        )
        .col_expr(share::Column::LastError, Expr::value(why))
        .col_expr(share::Column::UpdatedAt, Expr::value(now))
        .filter(share::Column::UserId.eq(user.get()))
        .filter(share::Column::State.is_in(waiting.iter().map(|s| s.as_str())))
        .exec(db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests;
