//! Drafts that come from outside the editors' hands: entries of curated feeds, imported as
//! drafts with their link preview (never published without an editor), and ambassadors'
//! suggestions.

use std::collections::BTreeMap;

use chorus_policy::{FeedId, ItemId, UserId};
use sea_orm::DatabaseConnection;

use crate::content::ItemInput;
use crate::error::EditorialError;
use crate::feeds::{FeedEntry, fetch_feed};
use crate::preview::PreviewFetcher;
use crate::store::feeds;
use crate::store::items::{self, Origin};

/// A feed to follow, checked: an http(s) address, a title (the address when left empty, at
/// most 200 characters) and the language of its entries (a language tag; `default_language`
/// when left empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFeed {
    /// The feed's address.
    pub url: String,
    /// Its title.
    pub title: String,
    /// The language of the drafts made from it.
    pub language: String,
}

impl NewFeed {
    /// Checks what an editor typed.
    ///
    /// # Errors
    /// [`EditorialError::Invalid`] naming each field at fault.
    pub fn parse(
        url: &str,
        title: &str,
        language: &str,
        default_language: &str,
    ) -> Result<NewFeed, EditorialError> {
        let mut errors = Vec::new();
        let url = crate::content::http_url(url);
        if url.is_none() {
            errors.push(crate::content::FieldError::new("url", "editor.error_link"));
        }
        let title = title.trim();
        if title.chars().count() > 200 || title.contains('\0') {
            errors.push(crate::content::FieldError::new(
                "title",
                "editor.error_feed_title",
            ));
        }
        let language = if language.trim().is_empty() {
            Some(default_language.to_owned())
        } else {
            crate::content::language_tag(language)
        };
        if language.is_none() {
            errors.push(crate::content::FieldError::new(
                "language",
                "editor.error_language",
            ));
        }
        match (url, language) {
            (Some(url), Some(language)) if errors.is_empty() => Ok(NewFeed {
                title: if title.is_empty() {
                    url.clone()
                } else {
                    title.to_owned()
                },
                url,
                language,
            }),
            _ => Err(EditorialError::Invalid(errors)),
        }
    }
}

/// The draft an entry becomes.
#[must_use]
pub fn draft_from_entry(entry: &FeedEntry, language: &str) -> ItemInput {
    let title: String = entry.title.trim().chars().take(200).collect();
    let mut input = ItemInput {
        title: if title.is_empty() {
            entry
                .link
                .clone()
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect()
        } else {
            title
        },
        body_md: entry.summary.clone().unwrap_or_default(),
        why_md: String::new(),
        link_url: entry.link.clone(),
        preview_title: None,
        preview_description: None,
        preview_image_url: None,
        language: language.to_owned(),
        campaign_id: None,
        topic_ids: Vec::new(),
        available_from: None,
        available_until: None,
        copy: BTreeMap::new(),
    };
    input.fill_missing_copy();
    input
}

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollOutcome {
    /// New drafts created.
    pub imported: usize,
    /// Why the poll failed, if it did.
    pub error: Option<String>,
}

/// Fetches one feed and turns every entry not seen before into a draft, with its link preview
/// when the page gives one. Safe to run in several processes at once: each entry is claimed
/// in the database before its draft is created.
///
/// # Errors
/// Database failure (fetch failures are recorded on the feed, not returned).
pub async fn poll_feed(
    db: &DatabaseConnection,
    fetcher: &PreviewFetcher,
    feed_id: FeedId,
) -> Result<PollOutcome, EditorialError> {
    let feed = feeds::get(db, feed_id).await?;
    let entries = match fetch_feed(fetcher, &feed.url).await {
        Ok(entries) => entries,
        Err(e) => {
            let error = e.to_string();
            feeds::record_poll(db, feed_id, Some(error.clone()), 0).await?;
            return Ok(PollOutcome {
                imported: 0,
                error: Some(error),
            });
        }
    };
    let mut imported = 0;
    for entry in &entries {
        let mut input = draft_from_entry(entry, &feed.language);
        if let Some(link) = &entry.link
            && let Ok(preview) = fetcher.fetch(link).await
        {
            input.preview_title = preview.title;
            input.preview_description = preview.description;
            input.preview_image_url = preview.image_url;
        }
        let txn = crate::store::begin_write(db).await?;
        if !feeds::claim_entry(&txn, feed_id, &entry.guid).await? {
            txn.rollback().await?;
            continue;
        }
        let item_id = items::insert(&txn, &input, None, Origin::Feed, None).await?;
        feeds::link_entry(&txn, feed_id, &entry.guid, item_id).await?;
        txn.commit().await?;
        imported += 1;
    }
    feeds::record_poll(
        db,
        feed_id,
        None,
        i32::try_from(imported).unwrap_or(i32::MAX),
    )
    .await?;
    Ok(PollOutcome {
        imported,
        error: None,
    })
}

/// Creates the draft an ambassador suggested: a link, an idea, or both.
///
/// # Errors
/// [`EditorialError::Invalid`] when both are empty or the link is not http(s).
pub async fn suggest(
    db: &DatabaseConnection,
    user_id: UserId,
    link: &str,
    idea: &str,
    language: &str,
) -> Result<ItemId, EditorialError> {
    let link = link.trim();
    let idea = idea.trim();
    let mut errors = Vec::new();
    if link.is_empty() && idea.is_empty() {
        errors.push(crate::content::FieldError {
            field: "idea".into(),
            message_key: "hub.suggest_empty",
        });
    }
    let lower = link.to_ascii_lowercase();
    let is_web_link = lower.starts_with("https://") || lower.starts_with("http://");
    if !link.is_empty() && !is_web_link {
        errors.push(crate::content::FieldError {
            field: "link".into(),
            message_key: "editor.error_link",
        });
    }
    if idea.chars().count() > 5000 {
        errors.push(crate::content::FieldError {
            field: "idea".into(),
            message_key: "hub.suggest_too_long",
        });
    }
    if !errors.is_empty() {
        return Err(EditorialError::Invalid(errors));
    }
    let first_words: String = if idea.is_empty() {
        link.to_owned()
    } else {
        idea.lines().next().unwrap_or(idea).to_owned()
    };
    let mut input = ItemInput {
        title: first_words.chars().take(120).collect(),
        body_md: idea.to_owned(),
        why_md: String::new(),
        link_url: (!link.is_empty()).then(|| link.to_owned()),
        preview_title: None,
        preview_description: None,
        preview_image_url: None,
        language: language.to_owned(),
        campaign_id: None,
        topic_ids: Vec::new(),
        available_from: None,
        available_until: None,
        copy: BTreeMap::new(),
    };
    input.fill_missing_copy();
    let txn = crate::store::begin_write(db).await?;
    let id = items::insert(&txn, &input, None, Origin::Suggestion, Some(user_id)).await?;
    txn.commit().await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_feed_is_checked_field_by_field() {
        let feed = NewFeed::parse(" https://example.org/feed.xml ", "", "", "fr").unwrap();
        assert_eq!(feed.url, "https://example.org/feed.xml");
        assert_eq!(feed.title, "https://example.org/feed.xml");
        assert_eq!(feed.language, "fr");
        assert_eq!(
            NewFeed::parse("https://e.org/f", "Blog", "EN-gb", "fr")
                .unwrap()
                .language,
            "en-gb"
        );
        let Err(EditorialError::Invalid(errors)) =
            NewFeed::parse("ftp://e.org/f", &"t".repeat(201), "english!", "fr")
        else {
            panic!("three fields at fault");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["url", "title", "language"]);
    }

    #[test]
    fn an_entry_becomes_a_draft_with_copy_and_its_link() {
        let entry = FeedEntry {
            guid: "g1".into(),
            title: "  New plant opens ".into(),
            link: Some("https://example.com/plant".into()),
            summary: Some("We opened a plant.".into()),
            published: None,
        };
        let draft = draft_from_entry(&entry, "fr");
        assert_eq!(draft.title, "New plant opens");
        assert_eq!(draft.language, "fr");
        assert_eq!(draft.link_url.as_deref(), Some("https://example.com/plant"));
        assert!(
            draft
                .copy
                .values()
                .all(|c| c.contains("https://example.com/plant"))
        );
    }

    #[test]
    fn an_untitled_entry_takes_its_link_as_title() {
        let entry = FeedEntry {
            guid: "g".into(),
            title: String::new(),
            link: Some("https://e.com/a".into()),
            summary: None,
            published: None,
        };
        assert_eq!(draft_from_entry(&entry, "en").title, "https://e.com/a");
    }
}
