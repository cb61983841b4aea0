//! What a view selects: the filter as typed in the form, parsed into a [`Filter`] whose every
//! field is checked, and the bars (days or weeks) it covers.

use chorus_policy::{CampaignId, ItemId, Network, TopicId};
use chrono::{DateTime, Datelike as _, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{Every, MAX_DAYS, day_number, week_of_day};

/// What a view selects. Serialised into the audit log, and read back from there to compare a
/// new view with earlier ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// First day, included.
    pub from: NaiveDate,
    /// Last day, included.
    pub to: NaiveDate,
    /// Only items under this topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<TopicId>,
    /// Only items of this campaign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<CampaignId>,
    /// Only this network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<Network>,
    /// Only people of this team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Only this item (the editors' view of one item).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<ItemId>,
    /// Bars per day or per week.
    pub every: Every,
}

/// The filter form as typed; every field is kept to show the form again.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct FilterForm {
    /// `YYYY-MM-DD`.
    pub from: String,
    /// `YYYY-MM-DD`.
    pub to: String,
    /// A topic id, or empty.
    pub topic: String,
    /// A campaign id, or empty.
    pub campaign: String,
    /// A network name, or empty.
    pub network: String,
    /// A team name, or empty.
    pub team: String,
    /// `day`, `week`, or empty for the natural one.
    pub every: String,
}

impl FilterForm {
    /// The filter, or the message keys of what is wrong (by field).
    ///
    /// # Errors
    /// `(field, message key)` pairs.
    pub fn parse(&self, today: NaiveDate) -> Result<Filter, Vec<(&'static str, &'static str)>> {
        let mut errors = Vec::new();
        let date = |text: &str, default: NaiveDate, field, errors: &mut Vec<_>| {
            let text = text.trim();
            if text.is_empty() {
                return default;
            }
            // Only dates that day numbers and periods can hold: chrono reads years down to
            // -262143, where "28 days before" no longer exists.
            match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(date) if (1970..=9999).contains(&date.year()) => date,
                _ => {
                    errors.push((field, "stats.error_date"));
                    default
                }
            }
        };
        let to = date(&self.to, today, "to", &mut errors);
        // The 28 days up to `to` by default, none of them before the first day a date may be
        // (a period ending in January 1970 starts on its first day, not in 1969, which its own
        // form would refuse).
        let first_day = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN);
        let from = date(
            &self.from,
            (to - Duration::days(27)).max(first_day),
            "from",
            &mut errors,
        );
        if errors.is_empty() && from > to {
            errors.push(("from", "stats.error_order"));
        }
        if errors.is_empty() && (to - from).num_days() >= MAX_DAYS {
            errors.push(("from", "stats.error_too_long"));
        }
        let id = |text: &str, field, errors: &mut Vec<_>| {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            if let Ok(id) = text.parse::<i32>() {
                Some(id)
            } else {
                errors.push((field, "stats.error_choice"));
                None
            }
        };
        let topic = id(&self.topic, "topic", &mut errors).map(TopicId);
        let campaign = id(&self.campaign, "campaign", &mut errors).map(CampaignId);
        let network = match self.network.trim() {
            "" => None,
            name => {
                if let Ok(network) = name.parse::<Network>() {
                    Some(network)
                } else {
                    errors.push(("network", "stats.error_choice"));
                    None
                }
            }
        };
        let team = Some(self.team.trim().to_owned()).filter(|t| !t.is_empty());
        let every = match self.every.trim() {
            "day" => Every::Day,
            "" if (to - from).num_days() <= 62 => Every::Day,
            "week" | "" => Every::Week,
            _ => {
                errors.push(("every", "stats.error_choice"));
                Every::Day
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Filter {
            from,
            to,
            topic,
            campaign,
            network,
            team,
            item: None,
            every,
        })
    }

    /// The form of a filter, to show it (and to link to the CSV of the same view).
    #[must_use]
    pub fn of(filter: &Filter) -> FilterForm {
        FilterForm {
            from: filter.from.to_string(),
            to: filter.to.to_string(),
            topic: filter.topic.map(|t| t.to_string()).unwrap_or_default(),
            campaign: filter.campaign.map(|c| c.to_string()).unwrap_or_default(),
            network: filter
                .network
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default(),
            team: filter.team.clone().unwrap_or_default(),
            every: match filter.every {
                Every::Day => "day".into(),
                Every::Week => "week".into(),
            },
        }
    }
}

impl Filter {
    /// The days of the bars, first to last, so that empty ones are drawn too.
    #[must_use]
    pub fn buckets(&self) -> Vec<i32> {
        let first = day_number(start_of(self.from));
        let last = day_number(start_of(self.to));
        match self.every {
            Every::Day => (first..=last).collect(),
            Every::Week => (week_of_day(first)..=last).step_by(7).collect(),
        }
    }

    /// How many days the filter covers.
    #[must_use]
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The period of the same length that ends the day before this one starts, with the same
    /// selection: what the dashboard's key figures are compared with. `None` before 1970,
    /// where day numbers end.
    #[must_use]
    pub fn previous(&self) -> Option<Filter> {
        let to = self.from - Duration::days(1);
        let from = self.from - Duration::days(self.days());
        (from.year() >= 1970).then(|| Filter {
            from,
            to,
            ..self.clone()
        })
    }
}

pub(crate) fn start_of(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bucket_label;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    #[test]
    fn an_empty_form_is_the_last_four_weeks_by_day() {
        let filter = FilterForm::default().parse(today()).unwrap();
        assert_eq!(filter.to, today());
        assert_eq!(filter.from.to_string(), "2026-10-31");
        assert_eq!(filter.every, Every::Day);
        assert_eq!(filter.buckets().len(), 28);
    }

    #[test]
    fn long_periods_go_by_week_and_bad_fields_are_named() {
        let form = FilterForm {
            from: "2026-01-01".into(),
            ..FilterForm::default()
        };
        let filter = form.parse(today()).unwrap();
        assert_eq!(filter.every, Every::Week);
        assert_eq!(bucket_label(filter.buckets()[0]), "2025-12-29");
        let bad = FilterForm {
            from: "yesterday".into(),
            network: "myspace".into(),
            topic: "x".into(),
            ..FilterForm::default()
        };
        let errors = bad.parse(today()).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["from", "topic", "network"]);
        let backwards = FilterForm {
            from: "2026-11-20".into(),
            to: "2026-11-01".into(),
            ..FilterForm::default()
        };
        assert_eq!(
            backwards.parse(today()).unwrap_err(),
            [("from", "stats.error_order")]
        );
    }

    #[test]
    fn dates_out_of_range_are_field_errors_not_panics() {
        for (from, to) in [
            ("", "-262143-01-01"),
            ("-262143-01-01", ""),
            ("262142-12-31", ""),
            ("", "1969-12-31"),
        ] {
            let form = FilterForm {
                from: from.into(),
                to: to.into(),
                ..FilterForm::default()
            };
            let errors = form.parse(today()).unwrap_err();
            assert!(
                errors.iter().all(|(_, key)| *key == "stats.error_date"),
                "{errors:?}"
            );
        }
    }

    #[test]
    fn a_default_period_never_starts_before_1970_and_survives_its_own_form() {
        // Found by the fuzz run (seed 1796576691): the 28 days before 1970-01-01 began in 1969.
        for to in ["1970-01-01", "1970-01-20", "1970-01-28"] {
            let filter = FilterForm {
                to: to.into(),
                ..FilterForm::default()
            }
            .parse(today())
            .unwrap();
            assert_eq!(filter.from.to_string(), "1970-01-01");
            assert_eq!(FilterForm::of(&filter).parse(today()).unwrap(), filter);
        }
        let later = FilterForm {
            to: "1970-01-29".into(),
            ..FilterForm::default()
        }
        .parse(today())
        .unwrap();
        assert_eq!(later.from.to_string(), "1970-01-02");
    }

    #[test]
    fn the_previous_period_has_the_same_length_and_selection_and_ends_the_day_before() {
        let filter = FilterForm {
            from: "2026-11-01".into(),
            to: "2026-11-30".into(),
            team: "Lyon".into(),
            ..FilterForm::default()
        }
        .parse(today())
        .unwrap();
        let previous = filter.previous().unwrap();
        assert_eq!(previous.days(), 30);
        assert_eq!(previous.to.to_string(), "2026-10-31");
        assert_eq!(previous.from.to_string(), "2026-10-02");
        assert_eq!(previous.team.as_deref(), Some("Lyon"));
        assert_eq!(previous.every, filter.every);
        let one_day = FilterForm {
            from: "2026-11-27".into(),
            to: "2026-11-27".into(),
            ..FilterForm::default()
        }
        .parse(today())
        .unwrap();
        assert_eq!(one_day.previous().unwrap().from.to_string(), "2026-11-26");
        let first_days = FilterForm {
            from: "1970-01-01".into(),
            to: "1970-01-05".into(),
            ..FilterForm::default()
        }
        .parse(today())
        .unwrap();
        assert_eq!(first_days.previous(), None);
    }

    #[test]
    fn filters_round_trip_through_the_audit_detail() {
        let filter = FilterForm {
            team: "Lyon".into(),
            network: "mastodon".into(),
            ..FilterForm::default()
        }
        .parse(today())
        .unwrap();
        let detail = serde_json::to_string(&filter).unwrap();
        assert_eq!(serde_json::from_str::<Filter>(&detail).unwrap(), filter);
        assert_eq!(FilterForm::of(&filter).parse(today()).unwrap(), filter);
    }
}
