//! Recording what an attempt came to: the share settled by its lease holder (and only by it),
//! the day's activity counted when it was published, the account's other shares held back
//! after a rate limit, and the account marked for reconnection when the network refused it.

use chorus_editorial::store::group::GroupCommit;
use chorus_policy::ShareId;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait as _,
    QueryFilter as _,
};

use super::{Outcome, RATE_LIMITED, ShareRow, ShareState};
use crate::store::entities::{connected_account, share};

async fn settle(
    db: &impl ConnectionTrait,
    id: i32,
    owner: &str,
    changes: Vec<(share::Column, sea_orm::Value)>,
) -> Result<bool, sea_orm::DbErr> {
    let mut update = share::Entity::update_many()
        .col_expr(
            share::Column::LeaseOwner,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            share::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(share::Column::UpdatedAt, Expr::value(Utc::now()));
    for (column, value) in changes {
        update = update.col_expr(column, Expr::value(value));
    }
    // Only the lease holder settles: a share re-claimed after a lost lease is not overwritten.
    let result = update
        .filter(share::Column::Id.eq(id))
        .filter(share::Column::State.eq(ShareState::Sending.as_str()))
        .filter(share::Column::LeaseOwner.eq(owner))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The worker's recorder of outcomes: shares settled at the same moment are recorded in one
/// transaction ([`GroupCommit`]); a campaign's shares settle by the hundred each second, and a
/// commit each was most of the database's work.
#[derive(Debug, Default)]
pub struct Records {
    group: GroupCommit<(ShareRow, String, Outcome), bool>,
}

impl Records {
    /// Records one attempt's outcome by the lease holder `owner`: whether it was still theirs
    /// to settle (`false`: the lease was lost, another worker owns the share).
    ///
    /// # Errors
    /// Database failure.
    pub async fn record(
        &self,
        db: &DatabaseConnection,
        share: &ShareRow,
        owner: &str,
        outcome: &Outcome,
    ) -> Result<bool, sea_orm::DbErr> {
        let item = (share.clone(), owner.to_owned(), outcome.clone());
        self.group.write(db, item, record_each).await
    }
}

async fn record_each(
    txn: DatabaseTransaction,
    items: Vec<(ShareRow, String, Outcome)>,
) -> Result<(DatabaseTransaction, Vec<bool>), sea_orm::DbErr> {
    let mut settled = Vec::with_capacity(items.len());
    for (share, owner, outcome) in &items {
        settled.push(record(&txn, share, owner, outcome).await?);
    }
    Ok((txn, settled))
}

/// Records one attempt's outcome in `txn`.
async fn record(
    txn: &DatabaseTransaction,
    share: &ShareRow,
    owner: &str,
    outcome: &Outcome,
) -> Result<bool, sea_orm::DbErr> {
    use share::Column as C;
    let state = |s: ShareState| (C::State, s.as_str().into());
    let now = Utc::now();
    let changes = match outcome {
        Outcome::Published(p) => vec![
            state(ShareState::Published),
            (C::PublishedAt, Some(now).into()),
            (C::ExternalId, Some(p.external_id.clone()).into()),
            (C::ExternalUrl, Some(p.url.clone()).into()),
            (C::LastError, Option::<String>::None.into()),
        ],
        Outcome::RetryAt(at, why) => vec![
            state(ShareState::Scheduled),
            (C::NextAttemptAt, (*at).into()),
            (C::LastError, Some(why.clone()).into()),
        ],
        Outcome::RateLimited(at) => vec![
            state(ShareState::Scheduled),
            (C::NextAttemptAt, (*at).into()),
            (C::LastError, Some(RATE_LIMITED.to_owned()).into()),
        ],
        Outcome::NeedsCheck(why) => vec![
            state(ShareState::NeedsCheck),
            (C::LastError, Some(why.clone()).into()),
        ],
        Outcome::Failed(why) | Outcome::Reconnect(why) => vec![
            state(ShareState::Failed),
            (C::LastError, Some(why.clone()).into()),
        ],
        Outcome::Cancelled(why) => vec![
            state(ShareState::Cancelled),
            (C::LastError, Some(why.clone()).into()),
        ],
        Outcome::Held(slot) => vec![
            state(ShareState::Scheduled),
            (C::ScheduledAt, slot.at.into()),
            (C::NextAttemptAt, slot.at.into()),
            (C::Attempts, (share.attempts - 1).max(0).into()),
            (C::HeldBy, slot.held.map(|h| h.as_str().to_owned()).into()),
        ],
    };
    let settled = settle(txn, share.id, owner, changes).await?;
    if settled && matches!(outcome, Outcome::Published(_)) {
        crate::activity::count_in_day(txn, ShareId(share.id), now).await?;
    }
    if let (true, Outcome::RateLimited(at), Some(account_id)) = (settled, outcome, share.account_id)
    {
        // The account's other shares due before the network's reset wait for it too: no
        // worker sends them into the limit.
        share::Entity::update_many()
            .col_expr(C::NextAttemptAt, Expr::value(*at))
            .filter(C::AccountId.eq(account_id))
            .filter(C::State.eq(ShareState::Scheduled.as_str()))
            .filter(C::NextAttemptAt.lt(*at))
            .exec(txn)
            .await?;
    }
    if let (Outcome::Reconnect(_), Some(account_id)) = (outcome, share.account_id) {
        connected_account::Entity::update_many()
            .col_expr(connected_account::Column::NeedsReconnect, Expr::value(true))
            .filter(connected_account::Column::Id.eq(account_id))
            .exec(txn)
            .await?;
    }
    Ok(settled)
}
