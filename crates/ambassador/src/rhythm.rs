//! A person's rhythm applied to their queue ([`chorus_policy::rhythm`] holds the rule): when a
//! share is queued, the time it will go ([`plan`]); when the worker is about to send one, whether
//! it must wait still ([`hold_before_sending`]), so a rhythm changed after queuing holds too.
//!
//! Only shares sent through a connected account count against the daily cap: "post it
//! yourself" is the person's own act in their browser, already done.

use std::collections::HashMap;

use chorus_policy::UserId;
use chorus_policy::rhythm::{Rhythm, Slot, effective_cap};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait as _, Condition, ConnectionTrait, EntityTrait as _, QueryFilter as _};

use crate::onboarding::{self, Preferences};
use crate::shares::{ShareRow, ShareState};
use crate::store::entities::share;

/// The rhythm in force and zone of each of `people`, read at once (the worker, for the shares
/// of one claim).
///
/// # Errors
/// Database failure, or a stored programme setting that does not parse.
pub async fn of_each(
    db: &impl ConnectionTrait,
    people: &[UserId],
) -> Result<HashMap<UserId, (Rhythm, Tz)>, crate::AmbassadorError> {
    let programme = chorus_editorial::store::settings::load(db).await?.daily_cap;
    Ok(onboarding::load_each(db, people)
        .await?
        .into_iter()
        .map(|(person, preferences)| {
            let rhythm = in_force(&preferences, programme);
            (person, (rhythm, preferences.zone()))
        })
        .collect())
}

/// A person's rhythm in force (their cap lowered to the programme's), and their zone.
///
/// # Errors
/// Database failure, or a stored programme setting that does not parse.
pub async fn of(
    db: &impl ConnectionTrait,
    user_id: UserId,
) -> Result<(Rhythm, Tz), crate::AmbassadorError> {
    let preferences = onboarding::load(db, user_id).await?;
    let programme = chorus_editorial::store::settings::load(db).await?.daily_cap;
    Ok((in_force(&preferences, programme), preferences.zone()))
}

/// The rhythm a person's preferences make, with the programme's cap over theirs.
#[must_use]
pub fn in_force(preferences: &Preferences, programme_cap: Option<u32>) -> Rhythm {
    Rhythm {
        quiet: preferences.quiet,
        daily_cap: effective_cap(preferences.daily_cap, programme_cap),
    }
}

/// How many of the person's account shares go (scheduled, sending) or went (published) out on
/// each of their local days from `since`'s day on. `pending` counts scheduled shares too (to
/// plan new ones); the worker counts only what left, so shares due together do not hold each
/// other back. `except` is left out (the share being decided).
async fn taken_per_day(
    db: &impl ConnectionTrait,
    user_id: i32,
    zone: Tz,
    since: DateTime<Utc>,
    pending: bool,
    except: Option<i32>,
) -> Result<HashMap<NaiveDate, u32>, sea_orm::DbErr> {
    let day_start = since
        .with_timezone(&zone)
        .date_naive()
        .and_time(NaiveTime::MIN);
    // A day's first instant, a little early so a day that began with a clock change is whole.
    let from = onboarding::local_to_utc(zone, day_start)
        .unwrap_or(since - chrono::Duration::days(1))
        - chrono::Duration::hours(3);
    let mut going = Condition::any().add(
        Condition::all()
            .add(share::Column::State.eq(ShareState::Published.as_str()))
            .add(share::Column::PublishedAt.gte(from)),
    );
    going = going.add(share::Column::State.eq(ShareState::Sending.as_str()));
    if pending {
        going = going.add(
            Condition::all()
                .add(share::Column::State.eq(ShareState::Scheduled.as_str()))
                .add(share::Column::NextAttemptAt.gte(from)),
        );
    }
    let mut query = share::Entity::find()
        .filter(share::Column::UserId.eq(user_id))
        .filter(share::Column::AccountId.is_not_null())
        .filter(going);
    if let Some(id) = except {
        query = query.filter(share::Column::Id.ne(id));
    }
    let mut per_day = HashMap::new();
    for row in query.all(db).await? {
        let at = match row.state {
            ShareState::Published => row.published_at.unwrap_or(row.updated_at),
            ShareState::Sending => since,
            _ => row.next_attempt_at,
        };
        *per_day
            .entry(at.with_timezone(&zone).date_naive())
            .or_insert(0) += 1;
    }
    Ok(per_day)
}

/// The time each of `count` new shares asked for `wanted` will go, in order: the first free
/// slot for each, counting the person's shares already on their way and the ones before it.
///
/// # Errors
/// Database failure.
pub async fn plan(
    db: &impl ConnectionTrait,
    user_id: UserId,
    rhythm: &Rhythm,
    zone: Tz,
    wanted: DateTime<Utc>,
    count: usize,
) -> Result<Vec<Slot>, sea_orm::DbErr> {
    let user_id = user_id.get();
    let free = Slot {
        at: wanted,
        held: None,
    };
    if rhythm.is_free() {
        return Ok(vec![free; count]);
    }
    let mut per_day = if rhythm.daily_cap.is_some() {
        taken_per_day(db, user_id, zone, Utc::now().min(wanted), true, None).await?
    } else {
        HashMap::new()
    };
    let mut slots = Vec::with_capacity(count);
    for _ in 0..count {
        let slot = rhythm.next_slot(&zone, wanted, |day| per_day.get(&day).copied().unwrap_or(0));
        *per_day
            .entry(slot.at.with_timezone(&zone).date_naive())
            .or_insert(0) += 1;
        slots.push(slot);
    }
    Ok(slots)
}

/// Whether a share the worker just claimed must wait for its owner's rhythm (`rhythm` in
/// `zone`, read with [`of_each`]): `Some(slot)` is when it goes instead.
///
/// # Errors
/// Database failure.
pub async fn hold_before_sending(
    db: &impl ConnectionTrait,
    share: &ShareRow,
    rhythm: &Rhythm,
    zone: Tz,
    now: DateTime<Utc>,
) -> Result<Option<Slot>, crate::AmbassadorError> {
    if share.account_id.is_none() || rhythm.is_free() {
        return Ok(None);
    }
    let per_day = if rhythm.daily_cap.is_some() {
        taken_per_day(db, share.user_id, zone, now, false, Some(share.id)).await?
    } else {
        HashMap::new()
    };
    let slot = rhythm.next_slot(&zone, now, |day| per_day.get(&day).copied().unwrap_or(0));
    Ok(slot.held.is_some().then_some(slot))
}
