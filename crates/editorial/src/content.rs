//! A content item as editors write it: the form's text parsed into checked values, the
//! snapshot kept in each revision, and the suggested copy generated from the Markdown.

use std::collections::BTreeMap;

use chorus_policy::{CampaignId, Network, TopicId};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::markdown::to_network_text;

/// What an editor typed, before any check. Every field is kept as typed so that a form with
/// errors is shown again without losing a character.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ItemForm {
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Body in Markdown.
    #[serde(default)]
    pub body: String,
    /// "Why it matters" card in Markdown.
    #[serde(default)]
    pub why: String,
    /// The link being promoted.
    #[serde(default)]
    pub link: String,
    /// Preview title (kept or edited by the editor).
    #[serde(default)]
    pub preview_title: String,
    /// Preview description.
    #[serde(default)]
    pub preview_description: String,
    /// Preview image URL.
    #[serde(default)]
    pub preview_image: String,
    /// Language tag such as `en` or `fr`.
    #[serde(default)]
    pub language: String,
    /// Campaign id, or empty.
    #[serde(default)]
    pub campaign: String,
    /// Topic ids.
    #[serde(default)]
    pub topics: Vec<TopicId>,
    /// Available from (`YYYY-MM-DDTHH:MM`, UTC), or empty.
    #[serde(default)]
    pub available_from: String,
    /// Available until (`YYYY-MM-DDTHH:MM`, UTC), or empty.
    #[serde(default)]
    pub available_until: String,
    /// Suggested copy per network (`bluesky`, `x`, ...).
    #[serde(default)]
    pub copy: BTreeMap<String, String>,
}

/// A checked content item, ready to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemInput {
    /// Title, 1 to 200 characters.
    pub title: String,
    /// Body in Markdown.
    pub body_md: String,
    /// "Why it matters" in Markdown.
    pub why_md: String,
    /// An http(s) link, if any.
    pub link_url: Option<String>,
    /// Preview title.
    pub preview_title: Option<String>,
    /// Preview description.
    pub preview_description: Option<String>,
    /// Preview image (http or https).
    pub preview_image_url: Option<String>,
    /// Language tag.
    pub language: String,
    /// Campaign.
    pub campaign_id: Option<CampaignId>,
    /// Topics, sorted.
    pub topic_ids: Vec<TopicId>,
    /// Embargo: not in the hub before this time.
    pub available_from: Option<DateTime<Utc>>,
    /// Expiry: not in the hub from this time.
    pub available_until: Option<DateTime<Utc>>,
    /// Suggested copy per network.
    pub copy: BTreeMap<Network, String>,
}

/// A field that did not pass, with the message key that explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The form field.
    pub field: String,
    /// Translation key of the message.
    pub message_key: &'static str,
}

impl FieldError {
    /// The error of one form field, with the translation key of its message.
    #[must_use]
    pub fn new(field: &str, message_key: &'static str) -> FieldError {
        FieldError {
            field: field.to_owned(),
            message_key,
        }
    }
}

fn error(field: &str, message_key: &'static str) -> FieldError {
    FieldError::new(field, message_key)
}

fn optional(text: &str) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

pub(crate) fn http_url(text: &str) -> Option<String> {
    let trimmed = text.trim();
    let lower = trimmed.to_ascii_lowercase();
    let ok = (lower.starts_with("https://") || lower.starts_with("http://"))
        && trimmed.len() <= 2000
        && trimmed.len() > "https://".len()
        && !trimmed.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then(|| trimmed.to_owned())
}

pub(crate) fn language_tag(text: &str) -> Option<String> {
    let tag = text.trim().to_ascii_lowercase();
    let mut parts = tag.split('-');
    let primary = parts.next()?;
    let primary_ok =
        (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_lowercase());
    let rest_ok =
        parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    (primary_ok && rest_ok).then_some(tag)
}

/// Parses a `datetime-local` value (`2026-05-01T09:30`, seconds optional), read as UTC.
fn utc_time(text: &str) -> Result<Option<DateTime<Utc>>, ()> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(trimmed, format) {
            return Ok(Some(naive.and_utc()));
        }
    }
    DateTime::parse_from_rfc3339(trimmed)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|_| ())
}

impl ItemInput {
    /// Checks a form. All errors are returned at once, so the editor fixes them in one go.
    ///
    /// # Errors
    /// Every field that did not pass, with its message key.
    pub fn parse(form: &ItemForm) -> Result<ItemInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = form.title.trim().to_owned();
        if title.is_empty() || title.chars().count() > 200 {
            errors.push(error("title", "editor.error_title"));
        }
        let link_url = match optional(&form.link) {
            None => None,
            Some(link) => http_url(&link).or_else(|| {
                errors.push(error("link", "editor.error_link"));
                None
            }),
        };
        let preview_image_url = match optional(&form.preview_image) {
            None => None,
            Some(image) => http_url(&image).or_else(|| {
                errors.push(error("preview_image", "editor.error_link"));
                None
            }),
        };
        let language = language_tag(&form.language).unwrap_or_else(|| {
            errors.push(error("language", "editor.error_language"));
            String::new()
        });
        let campaign_id = match optional(&form.campaign) {
            None => None,
            Some(id) => id.parse().map_or_else(
                |_| {
                    errors.push(error("campaign", "editor.error_campaign"));
                    None
                },
                Some,
            ),
        };
        let available_from = utc_time(&form.available_from).unwrap_or_else(|()| {
            errors.push(error("available_from", "editor.error_time"));
            None
        });
        let available_until = utc_time(&form.available_until).unwrap_or_else(|()| {
            errors.push(error("available_until", "editor.error_time"));
            None
        });
        if let (Some(from), Some(until)) = (available_from, available_until)
            && until <= from
        {
            errors.push(error("available_until", "editor.error_window"));
        }
        let mut copy = BTreeMap::new();
        for (name, text) in &form.copy {
            match name.parse::<Network>() {
                Ok(network) => {
                    copy.insert(network, text.replace("\r\n", "\n").trim_end().to_owned());
                }
                Err(_) => errors.push(error(&format!("copy[{name}]"), "editor.error_network")),
            }
        }
        let mut topic_ids = form.topics.clone();
        topic_ids.sort_unstable();
        topic_ids.dedup();
        if !errors.is_empty() {
            return Err(errors);
        }
        let body_md = form.body.replace("\r\n", "\n");
        let mut input = ItemInput {
            title,
            why_md: form.why.replace("\r\n", "\n"),
            link_url,
            preview_title: optional(&form.preview_title),
            preview_description: optional(&form.preview_description),
            preview_image_url,
            language,
            campaign_id,
            topic_ids,
            available_from,
            available_until,
            copy,
            body_md,
        };
        input.fill_missing_copy();
        Ok(input)
    }

    /// Fills every network's copy that is empty with text generated from the body.
    pub fn fill_missing_copy(&mut self) {
        for network in Network::ALL {
            let missing = self
                .copy
                .get(&network)
                .is_none_or(|text| text.trim().is_empty());
            if missing {
                self.copy.insert(
                    network,
                    suggested_copy(&self.body_md, self.link_url.as_deref()),
                );
            }
        }
    }

    /// The form that shows this item for editing.
    #[must_use]
    pub fn to_form(&self) -> ItemForm {
        let time = |t: Option<DateTime<Utc>>| {
            t.map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
                .unwrap_or_default()
        };
        ItemForm {
            title: self.title.clone(),
            body: self.body_md.clone(),
            why: self.why_md.clone(),
            link: self.link_url.clone().unwrap_or_default(),
            preview_title: self.preview_title.clone().unwrap_or_default(),
            preview_description: self.preview_description.clone().unwrap_or_default(),
            preview_image: self.preview_image_url.clone().unwrap_or_default(),
            language: self.language.clone(),
            campaign: self
                .campaign_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            topics: self.topic_ids.clone(),
            available_from: time(self.available_from),
            available_until: time(self.available_until),
            copy: self
                .copy
                .iter()
                .map(|(n, t)| (n.as_str().to_owned(), t.clone()))
                .collect(),
        }
    }

    /// The names of the fields that differ from `before`, for a revision's summary.
    #[must_use]
    pub fn changed_fields(&self, before: &ItemInput) -> Vec<&'static str> {
        let mut changed = Vec::new();
        let mut check = |name: &'static str, same: bool| {
            if !same {
                changed.push(name);
            }
        };
        check("title", self.title == before.title);
        check("body", self.body_md == before.body_md);
        check("why", self.why_md == before.why_md);
        check("link", self.link_url == before.link_url);
        check(
            "preview",
            self.preview_title == before.preview_title
                && self.preview_description == before.preview_description
                && self.preview_image_url == before.preview_image_url,
        );
        check("language", self.language == before.language);
        check("campaign", self.campaign_id == before.campaign_id);
        check("topics", self.topic_ids == before.topic_ids);
        check(
            "availability",
            self.available_from == before.available_from
                && self.available_until == before.available_until,
        );
        check("copy", self.copy == before.copy);
        changed
    }
}

/// Suggested copy for a post: the body as plain text, then the link if the text lacks it.
#[must_use]
pub fn suggested_copy(body_md: &str, link: Option<&str>) -> String {
    let text = to_network_text(body_md);
    match link {
        Some(link) if !text.contains(link) => {
            if text.trim().is_empty() {
                link.to_owned()
            } else {
                format!("{}\n\n{link}", text.trim_end())
            }
        }
        _ => text.trim_end().to_owned(),
    }
}

/// Whether an item in the hub is available at `now` (embargo and expiry).
#[must_use]
pub fn is_available(
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    from.is_none_or(|from| from <= now) && until.is_none_or(|until| now < until)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ItemForm {
        ItemForm {
            title: "  Our new plant runs on sun  ".into(),
            body: "We opened **a solar plant**.".into(),
            why: "It matters.".into(),
            link: "https://example.com/solar".into(),
            language: "EN".into(),
            ..ItemForm::default()
        }
    }

    #[test]
    fn a_good_form_parses_and_gets_copy_for_every_network() {
        let input = ItemInput::parse(&form()).unwrap();
        assert_eq!(input.title, "Our new plant runs on sun");
        assert_eq!(input.language, "en");
        assert_eq!(input.copy.len(), Network::ALL.len());
        assert!(input.copy[&Network::X].ends_with("https://example.com/solar"));
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let mut bad = form();
        bad.title = " ".into();
        bad.link = "javascript:alert(1)".into();
        bad.language = "english!".into();
        bad.available_from = "2026-05-02T10:00".into();
        bad.available_until = "2026-05-01T10:00".into();
        bad.copy.insert("myspace".into(), "x".into());
        let fields: Vec<String> = ItemInput::parse(&bad)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "title",
                "link",
                "language",
                "available_until",
                "copy[myspace]"
            ]
        );
    }

    #[test]
    fn the_form_round_trips() {
        let mut with_times = form();
        with_times.available_from = "2026-05-01T09:30".into();
        with_times.topics = vec![TopicId(3), TopicId(1), TopicId(3)];
        let input = ItemInput::parse(&with_times).unwrap();
        assert_eq!(input.topic_ids, [TopicId(1), TopicId(3)]);
        assert_eq!(ItemInput::parse(&input.to_form()).unwrap(), input);
    }

    #[test]
    fn changed_fields_name_what_changed() {
        let before = ItemInput::parse(&form()).unwrap();
        let mut after = before.clone();
        after.title = "New title".into();
        after.copy.insert(Network::X, "Mine".into());
        assert_eq!(after.changed_fields(&before), ["title", "copy"]);
    }

    #[test]
    fn availability_window_includes_start_and_excludes_end() {
        let t = |h| {
            DateTime::parse_from_rfc3339(&format!("2026-05-01T{h:02}:00:00Z"))
                .unwrap()
                .with_timezone(&Utc)
        };
        assert!(is_available(None, None, t(10)));
        assert!(!is_available(Some(t(11)), None, t(10)));
        assert!(is_available(Some(t(10)), Some(t(12)), t(10)));
        assert!(!is_available(None, Some(t(10)), t(10)));
    }
}
