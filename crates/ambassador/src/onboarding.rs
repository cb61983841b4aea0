//! A new ambassador's welcome: the networks they use (their share page preselects those) and
//! their time zone (every time they see or type is in it), and whether they finished the
//! welcome step, which is shown once and can be revisited.

use std::collections::HashMap;
use std::str::FromStr as _;

use chorus_policy::rhythm::QuietHours;
use chorus_policy::{Network, UserId};
use chrono::{DateTime, LocalResult, NaiveDateTime, NaiveTime, TimeZone as _, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait as _};

use crate::store::entities::onboarding;

/// What a person told Chorus about themselves in the welcome step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preferences {
    /// When they finished the welcome step (`None`: not yet).
    pub welcomed_at: Option<DateTime<Utc>>,
    /// The networks they use, in [`Network::ALL`] order.
    pub networks: Vec<Network>,
    /// Their time zone, when they (or their browser) said.
    pub time_zone: Option<Tz>,
    /// Their quiet hours: none of their shares goes out then.
    pub quiet: Option<QuietHours>,
    /// At most this many of their shares go out on one day (the programme's cap may be lower).
    pub daily_cap: Option<u32>,
}

impl Preferences {
    /// The zone times are shown and read in: theirs, else UTC.
    #[must_use]
    pub fn zone(&self) -> Tz {
        self.time_zone.unwrap_or(Tz::UTC)
    }

    /// Whether they said they use `network`.
    #[must_use]
    pub fn uses(&self, network: Network) -> bool {
        self.networks.contains(&network)
    }
}

/// Reads a time zone by its IANA name (`Europe/Paris`), as browsers report it.
///
/// # Errors
/// The name is not a time zone.
pub fn parse_time_zone(name: &str) -> Result<Tz, UnknownTimeZone> {
    Tz::from_str(name.trim()).map_err(|_| UnknownTimeZone(name.trim().to_owned()))
}

/// A time zone name that is not in the IANA database.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} is not a time zone; choose one such as Europe/Paris")]
pub struct UnknownTimeZone(pub String);

/// The instant a person means by a wall-clock time in their zone. A time skipped by a clock
/// change does not exist (`None`); a time that happens twice is the first of the two.
#[must_use]
pub fn local_to_utc(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// An instant as the person reads it: `2026-12-02 14:30` in their zone.
#[must_use]
pub fn local_text(zone: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string()
}

/// The stored networks, in [`Network::ALL`] order, unknown names skipped.
fn networks_of(text: &str) -> Vec<Network> {
    let named: Vec<&str> = text.split(',').map(str::trim).collect();
    Network::ALL
        .into_iter()
        .filter(|n| named.contains(&n.as_str()))
        .collect()
}

/// The person's preferences (all empty for someone who never saw the welcome).
///
/// # Errors
/// Database failure.
pub async fn load(db: &impl ConnectionTrait, user_id: UserId) -> Result<Preferences, DbErr> {
    let user_id = user_id.get();
    Ok(onboarding::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map(preferences_of)
        .unwrap_or_default())
}

/// The preferences of each of `people`, read at once (the default for one who said nothing).
///
/// # Errors
/// Database failure.
pub async fn load_each(
    db: &impl ConnectionTrait,
    people: &[UserId],
) -> Result<HashMap<UserId, Preferences>, DbErr> {
    use sea_orm::{ColumnTrait as _, QueryFilter as _};
    let rows = onboarding::Entity::find()
        .filter(onboarding::Column::UserId.is_in(people.iter().map(|p| p.get())))
        .all(db)
        .await?;
    let mut each: HashMap<UserId, Preferences> = rows
        .into_iter()
        .map(|row| (UserId(row.user_id), preferences_of(row)))
        .collect();
    for person in people {
        each.entry(*person).or_default();
    }
    Ok(each)
}

fn preferences_of(row: onboarding::Model) -> Preferences {
    Preferences {
        welcomed_at: row.welcomed_at,
        networks: row.networks.as_deref().map(networks_of).unwrap_or_default(),
        time_zone: row
            .time_zone
            .as_deref()
            .and_then(|z| parse_time_zone(z).ok()),
        quiet: quiet_of(row.quiet_from.as_deref(), row.quiet_until.as_deref()),
        daily_cap: row.daily_cap.and_then(|n| u32::try_from(n).ok()),
    }
}

/// Stored quiet hours (`HH:MM`, `HH:MM`); none when either is missing or unreadable.
fn quiet_of(from: Option<&str>, until: Option<&str>) -> Option<QuietHours> {
    let time = |t: Option<&str>| NaiveTime::parse_from_str(t?, "%H:%M").ok();
    QuietHours::new(time(from)?, time(until)?).ok()
}

/// Sets the person's rhythm (quiet hours and daily cap; `None` for either: none), keeping the
/// rest of what they said.
///
/// # Errors
/// Database failure.
pub async fn set_rhythm(
    db: &impl ConnectionTrait,
    user_id: UserId,
    quiet: Option<QuietHours>,
    daily_cap: Option<u32>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let user_id = user_id.get();
    let text = |t: NaiveTime| Some(t.format("%H:%M").to_string());
    let row = onboarding::ActiveModel {
        user_id: Set(user_id),
        quiet_from: Set(quiet.and_then(|q| text(q.from()))),
        quiet_until: Set(quiet.and_then(|q| text(q.until()))),
        daily_cap: Set(daily_cap.and_then(|n| i32::try_from(n).ok())),
        updated_at: Set(now),
        ..Default::default()
    };
    onboarding::Entity::insert(row)
        .on_conflict(
            OnConflict::column(onboarding::Column::UserId)
                .update_columns([
                    onboarding::Column::QuietFrom,
                    onboarding::Column::QuietUntil,
                    onboarding::Column::DailyCap,
                    onboarding::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Records the end of the welcome step: the networks the person uses and their time zone.
///
/// # Errors
/// Database failure.
pub async fn finish_welcome(
    db: &impl ConnectionTrait,
    user_id: UserId,
    networks: &[Network],
    time_zone: Option<Tz>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let user_id = user_id.get();
    let networks: Vec<&str> = Network::ALL
        .into_iter()
        .filter(|n| networks.contains(n))
        .map(Network::as_str)
        .collect();
    let row = onboarding::ActiveModel {
        user_id: Set(user_id),
        welcomed_at: Set(Some(now)),
        networks: Set(Some(networks.join(","))),
        time_zone: Set(time_zone.map(|z| z.name().to_owned())),
        updated_at: Set(now),
        ..Default::default()
    };
    onboarding::Entity::insert(row)
        .on_conflict(
            OnConflict::column(onboarding::Column::UserId)
                .update_columns([
                    onboarding::Column::WelcomedAt,
                    onboarding::Column::Networks,
                    onboarding::Column::TimeZone,
                    onboarding::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Sets the person's time zone, keeping the rest of what they said.
///
/// # Errors
/// Database failure.
pub async fn set_time_zone(
    db: &impl ConnectionTrait,
    user_id: UserId,
    time_zone: Tz,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let user_id = user_id.get();
    let row = onboarding::ActiveModel {
        user_id: Set(user_id),
        welcomed_at: Set(None),
        networks: Set(None),
        time_zone: Set(Some(time_zone.name().to_owned())),
        updated_at: Set(now),
        ..Default::default()
    };
    onboarding::Entity::insert(row)
        .on_conflict(
            OnConflict::column(onboarding::Column::UserId)
                .update_columns([onboarding::Column::TimeZone, onboarding::Column::UpdatedAt])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Every time zone a person can choose, by name.
#[must_use]
pub fn time_zone_names() -> Vec<&'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").unwrap()
    }

    #[test]
    fn a_paris_wall_clock_time_is_one_or_two_hours_before_utc() {
        let paris = parse_time_zone("Europe/Paris").unwrap();
        assert_eq!(
            local_to_utc(paris, at("2026-12-02T09:00"))
                .unwrap()
                .to_rfc3339(),
            "2026-12-02T08:00:00+00:00"
        );
        assert_eq!(
            local_to_utc(paris, at("2026-07-01T09:00"))
                .unwrap()
                .to_rfc3339(),
            "2026-07-01T07:00:00+00:00"
        );
        assert_eq!(
            local_text(paris, "2026-12-02T08:00:00Z".parse().unwrap()),
            "2026-12-02 09:00"
        );
    }

    #[test]
    fn a_time_skipped_by_the_clock_change_does_not_exist_and_a_repeated_one_is_the_first() {
        let paris = parse_time_zone("Europe/Paris").unwrap();
        // 29 March 2026: 02:00 -> 03:00.
        assert_eq!(local_to_utc(paris, at("2026-03-29T02:30")), None);
        // 25 October 2026: 03:00 -> 02:00, so 02:30 happens twice; the first is summer time.
        assert_eq!(
            local_to_utc(paris, at("2026-10-25T02:30"))
                .unwrap()
                .to_rfc3339(),
            "2026-10-25T00:30:00+00:00"
        );
    }

    #[test]
    fn unknown_zones_are_refused_with_their_name_and_networks_keep_their_order() {
        assert_eq!(
            parse_time_zone(" Mars/Olympus "),
            Err(UnknownTimeZone("Mars/Olympus".into()))
        );
        assert_eq!(
            networks_of("x, linkedin,myspace"),
            vec![Network::LinkedIn, Network::X]
        );
        assert!(time_zone_names().contains(&"America/New_York"));
    }
}
