//! Each person's own rhythm: quiet hours (no post of theirs goes out between, say, 20:00 and
//! 08:00 where they live) and a daily cap (at most so many of their shares go out on one day),
//! and the programme-wide cap editors may set, which a person can lower but not raise.
//!
//! The rule is one function, [`Rhythm::next_slot`]: the first instant at or after the one the
//! person asked for that falls outside their quiet hours on a day with room under the cap, and
//! why it moved. The queue uses it when a share is written (so the person is told when it will
//! go) and the worker again before sending (so a rhythm changed since still holds).

use std::fmt;

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// The highest daily cap one can set: above it a cap means nothing.
pub const MAX_DAILY_CAP: u32 = 50;

/// How many days ahead a slot is looked for before giving up (a full calendar never happens
/// with a cap of at least 1, but the loop stays bounded).
const HORIZON_DAYS: u32 = 400;

/// Hours, in the person's zone, during which none of their shares goes out. `from` after
/// `until` spans midnight (20:00 to 08:00); they are never equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    from: NaiveTime,
    until: NaiveTime,
}

/// Quiet hours that begin and end at the same minute: they would be empty, or the whole day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("quiet hours must start and end at different times")]
pub struct EmptyQuietHours;

impl QuietHours {
    /// Quiet hours from `from` to `until` (local wall-clock times, seconds ignored).
    ///
    /// # Errors
    /// [`EmptyQuietHours`] when both are the same minute.
    pub fn new(from: NaiveTime, until: NaiveTime) -> Result<QuietHours, EmptyQuietHours> {
        let minute = |t: NaiveTime| t.format("%H:%M").to_string();
        let from = NaiveTime::parse_from_str(&minute(from), "%H:%M").unwrap_or(from);
        let until = NaiveTime::parse_from_str(&minute(until), "%H:%M").unwrap_or(until);
        if from == until {
            return Err(EmptyQuietHours);
        }
        Ok(QuietHours { from, until })
    }

    /// When they begin.
    #[must_use]
    pub fn from(&self) -> NaiveTime {
        self.from
    }

    /// When they end.
    #[must_use]
    pub fn until(&self) -> NaiveTime {
        self.until
    }

    /// Whether a local wall-clock time falls in them (`from` included, `until` excluded).
    #[must_use]
    pub fn contains(&self, time: NaiveTime) -> bool {
        if self.from < self.until {
            self.from <= time && time < self.until
        } else {
            time >= self.from || time < self.until
        }
    }

    /// The local time they end for a time inside them: today's `until`, or tomorrow's when
    /// they span midnight and `at` is before it.
    fn end_after(&self, at: NaiveDateTime) -> NaiveDateTime {
        let today = at.date().and_time(self.until);
        if today > at {
            today
        } else {
            next_day(at.date()).and_time(self.until)
        }
    }
}

impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}–{}",
            self.from.format("%H:%M"),
            self.until.format("%H:%M")
        )
    }
}

/// A person's rhythm: their quiet hours and daily cap, the cap already the lower of theirs and
/// the programme's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Rhythm {
    /// Their quiet hours, if they set some.
    pub quiet: Option<QuietHours>,
    /// At most this many of their shares go out on one day (in their zone).
    pub daily_cap: Option<u32>,
}

/// Why a share goes later than asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hold {
    /// The time asked for fell in the person's quiet hours.
    QuietHours,
    /// The day asked for already had as many shares as the person's daily cap.
    DailyCap,
}

impl Hold {
    /// The name stored with a held share.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Hold::QuietHours => "quiet_hours",
            Hold::DailyCap => "daily_cap",
        }
    }

    /// The hold a stored name stands for.
    #[must_use]
    pub fn parse(name: &str) -> Option<Hold> {
        match name {
            "quiet_hours" => Some(Hold::QuietHours),
            "daily_cap" => Some(Hold::DailyCap),
            _ => None,
        }
    }
}

/// When a share goes, and why not when asked, if it moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// The instant it goes.
    pub at: DateTime<Utc>,
    /// The first reason it moved (`None`: it goes when asked).
    pub held: Option<Hold>,
}

/// The cap in force for a person: the lower of theirs and the programme's (either may be
/// unset).
#[must_use]
pub fn effective_cap(own: Option<u32>, programme: Option<u32>) -> Option<u32> {
    match (own, programme) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Reads a daily cap typed in a form: empty is none; otherwise a whole number from 1 to
/// [`MAX_DAILY_CAP`].
///
/// # Errors
/// [`BadDailyCap`] for anything else.
pub fn parse_daily_cap(text: &str) -> Result<Option<u32>, BadDailyCap> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(n) if (1..=MAX_DAILY_CAP).contains(&n) => Ok(Some(n)),
        _ => Err(BadDailyCap),
    }
}

/// A daily cap that is not a whole number from 1 to [`MAX_DAILY_CAP`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a daily cap is a whole number from 1 to {MAX_DAILY_CAP}, or empty for none")]
pub struct BadDailyCap;

fn next_day(date: NaiveDate) -> NaiveDate {
    date.checked_add_days(Days::new(1)).unwrap_or(date)
}

/// The instant of a local wall-clock time; a time skipped by a clock change moves to the first
/// minute that exists after it.
fn instant<Z: TimeZone>(zone: &Z, local: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = local;
    for _ in 0..=180 {
        if let Some(at) = zone.from_local_datetime(&probe).earliest() {
            return at.with_timezone(&Utc);
        }
        probe += chrono::Duration::minutes(1);
    }
    Utc.from_utc_datetime(&local)
}

impl Rhythm {
    /// Whether the rhythm holds anything back at all.
    #[must_use]
    pub fn is_free(&self) -> bool {
        self.quiet.is_none() && self.daily_cap.is_none()
    }

    /// The first instant at or after `wanted` outside the quiet hours on a day (in `zone`) with
    /// room under the daily cap. `taken(day)` is how many of the person's shares already go
    /// (or went) out on that local day.
    #[must_use]
    pub fn next_slot<Z: TimeZone>(
        &self,
        zone: &Z,
        wanted: DateTime<Utc>,
        mut taken: impl FnMut(NaiveDate) -> u32,
    ) -> Slot {
        let mut at = wanted;
        let mut held = None;
        for _ in 0..HORIZON_DAYS * 2 {
            let local = at.with_timezone(zone).naive_local();
            if let Some(quiet) = self.quiet
                && quiet.contains(local.time())
            {
                at = instant(zone, quiet.end_after(local));
                held.get_or_insert(Hold::QuietHours);
                continue;
            }
            if let Some(cap) = self.daily_cap
                && taken(local.date()) >= cap
            {
                at = instant(zone, next_day(local.date()).and_time(NaiveTime::MIN));
                held.get_or_insert(Hold::DailyCap);
                continue;
            }
            return Slot { at, held };
        }
        Slot { at, held }
    }
}

#[cfg(test)]
mod tests {
    use chrono::FixedOffset;
    use chrono_tz::Europe::Paris;

    use super::*;

    fn time(text: &str) -> NaiveTime {
        NaiveTime::parse_from_str(text, "%H:%M").unwrap()
    }

    fn quiet(from: &str, until: &str) -> Option<QuietHours> {
        QuietHours::new(time(from), time(until)).ok()
    }

    fn paris(text: &str) -> DateTime<Utc> {
        let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
        Paris
            .from_local_datetime(&local)
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn none_taken(_: NaiveDate) -> u32 {
        0
    }

    #[test]
    fn quiet_hours_over_midnight_move_a_share_to_their_end() {
        let rhythm = Rhythm {
            quiet: quiet("20:00", "08:00"),
            daily_cap: None,
        };
        // 22:30 goes at 08:00 the next morning; 03:00 at 08:00 the same morning.
        let slot = rhythm.next_slot(&Paris, paris("2026-12-03 22:30"), none_taken);
        assert_eq!(slot.at, paris("2026-12-04 08:00"));
        assert_eq!(slot.held, Some(Hold::QuietHours));
        let slot = rhythm.next_slot(&Paris, paris("2026-12-04 03:00"), none_taken);
        assert_eq!(slot.at, paris("2026-12-04 08:00"));
        // Outside them, and exactly at their end, it goes when asked.
        for asked in ["2026-12-04 08:00", "2026-12-04 19:59", "2026-12-04 12:00"] {
            let slot = rhythm.next_slot(&Paris, paris(asked), none_taken);
            assert_eq!(
                slot,
                Slot {
                    at: paris(asked),
                    held: None
                },
                "{asked}"
            );
        }
        // Their start is inside.
        let slot = rhythm.next_slot(&Paris, paris("2026-12-04 20:00"), none_taken);
        assert_eq!(slot.at, paris("2026-12-05 08:00"));
    }

    #[test]
    fn quiet_hours_within_a_day() {
        let rhythm = Rhythm {
            quiet: quiet("12:00", "14:00"),
            daily_cap: None,
        };
        let slot = rhythm.next_slot(&Paris, paris("2026-12-04 12:30"), none_taken);
        assert_eq!(slot.at, paris("2026-12-04 14:00"));
        let slot = rhythm.next_slot(&Paris, paris("2026-12-04 11:59"), none_taken);
        assert_eq!(slot.held, None);
        let slot = rhythm.next_slot(&Paris, paris("2026-12-04 23:00"), none_taken);
        assert_eq!(slot.held, None);
    }

    #[test]
    fn a_full_day_moves_a_share_to_the_next_day_with_room_then_past_quiet_hours() {
        let rhythm = Rhythm {
            quiet: quiet("21:00", "07:30"),
            daily_cap: Some(2),
        };
        let day = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
        // The 4th is full, the 5th too, the 6th has one.
        let taken = |d: NaiveDate| {
            if d == day("2026-12-04") || d == day("2026-12-05") {
                2
            } else {
                u32::from(d == day("2026-12-06"))
            }
        };
        let slot = rhythm.next_slot(&Paris, paris("2026-12-04 10:00"), taken);
        // Midnight of the 6th is in the quiet hours: it goes at their end.
        assert_eq!(slot.at, paris("2026-12-06 07:30"));
        assert_eq!(slot.held, Some(Hold::DailyCap), "the first reason is kept");
        // A day under the cap is not touched.
        let slot = rhythm.next_slot(&Paris, paris("2026-12-06 10:00"), taken);
        assert_eq!(slot.held, None);
    }

    #[test]
    fn days_are_the_persons_own() {
        // 23:30 UTC on the 3rd is the 4th in Paris: the 4th's count applies.
        let rhythm = Rhythm {
            quiet: None,
            daily_cap: Some(1),
        };
        let fourth = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let wanted = Utc.with_ymd_and_hms(2026, 12, 3, 23, 30, 0).unwrap();
        let slot = rhythm.next_slot(&Paris, wanted, |d| u32::from(d == fourth));
        assert_eq!(slot.at, paris("2026-12-05 00:00"));
        let utc_plus_0 = FixedOffset::east_opt(0).unwrap();
        let slot = rhythm.next_slot(&utc_plus_0, wanted, |d| u32::from(d == fourth));
        assert_eq!(slot.held, None, "in UTC it is still the 3rd");
    }

    #[test]
    fn a_quiet_end_skipped_by_the_clock_change_goes_at_the_first_minute_after() {
        // 29 March 2026: Paris jumps from 02:00 to 03:00.
        let rhythm = Rhythm {
            quiet: quiet("23:00", "02:30"),
            daily_cap: None,
        };
        let slot = rhythm.next_slot(&Paris, paris("2026-03-29 01:00"), none_taken);
        assert_eq!(slot.at, paris("2026-03-29 03:00"));
    }

    #[test]
    fn caps_and_their_text() {
        assert_eq!(effective_cap(Some(5), Some(3)), Some(3));
        assert_eq!(effective_cap(Some(2), Some(3)), Some(2));
        assert_eq!(effective_cap(None, Some(3)), Some(3));
        assert_eq!(effective_cap(Some(4), None), Some(4));
        assert_eq!(effective_cap(None, None), None);
        assert_eq!(parse_daily_cap(" "), Ok(None));
        assert_eq!(parse_daily_cap("3"), Ok(Some(3)));
        for bad in ["0", "-1", "51", "two", "2.5"] {
            assert_eq!(parse_daily_cap(bad), Err(BadDailyCap), "{bad}");
        }
        assert_eq!(
            QuietHours::new(time("08:00"), time("08:00")),
            Err(EmptyQuietHours)
        );
        assert_eq!(
            QuietHours::new(time("20:00"), time("08:00"))
                .unwrap()
                .to_string(),
            "20:00–08:00"
        );
        assert_eq!(Hold::parse(Hold::DailyCap.as_str()), Some(Hold::DailyCap));
        assert_eq!(Hold::parse("x"), None);
        assert!(Rhythm::default().is_free());
    }
}
