//! The hub: what ambassadors see. Only published items inside their availability window,
//! newest first, filtered by topic and language, a page at a time.

use chorus_policy::{ItemId, TopicId, UserId};
use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Query};
use sea_orm::{
    ColumnTrait as _, Condition, ConnectionTrait, EntityTrait as _, PaginatorTrait as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _,
};

use crate::error::EditorialError;
use crate::store::entities::{content_item, content_item_topic, topic_follow};
use crate::store::items::ItemRecord;
use crate::workflow::State;

/// Items per hub page.
pub const PAGE_SIZE: u64 = 20;

/// What an ambassador asked the hub for.
#[derive(Debug, Clone, Default)]
pub struct HubQuery {
    /// Only this topic.
    pub topic_id: Option<TopicId>,
    /// Only this language.
    pub language: Option<String>,
    /// Only topics this person follows.
    pub followed_by: Option<UserId>,
    /// Leave out the items this person said "not for me" to.
    pub passed_by: Option<UserId>,
    /// Page number, from 1.
    pub page: u64,
}

/// One page of the hub.
#[derive(Debug)]
pub struct HubPage {
    /// The items on this page.
    pub items: Vec<ItemRecord>,
    /// Items in all pages.
    pub total: u64,
    /// This page, from 1.
    pub page: u64,
    /// Number of pages (at least 1).
    pub pages: u64,
}

fn available_now() -> Condition {
    let now = Utc::now();
    Condition::all()
        .add(content_item::Column::State.eq(State::Published.as_str()))
        .add(
            Condition::any()
                .add(content_item::Column::AvailableFrom.is_null())
                .add(content_item::Column::AvailableFrom.lte(now)),
        )
        .add(
            Condition::any()
                .add(content_item::Column::AvailableUntil.is_null())
                .add(content_item::Column::AvailableUntil.gt(now)),
        )
}

/// What `query` selects among the available items.
fn condition_of(query: &HubQuery) -> Condition {
    let mut condition = available_now();
    if let Some(topic_id) = query.topic_id {
        condition = condition.add(
            content_item::Column::Id.in_subquery(
                Query::select()
                    .column(content_item_topic::Column::ItemId)
                    .from(content_item_topic::Entity)
                    .and_where(Expr::col(content_item_topic::Column::TopicId).eq(topic_id.get()))
                    .to_owned(),
            ),
        );
    }
    if let Some(user_id) = query.followed_by {
        condition = condition.add(
            content_item::Column::Id.in_subquery(
                Query::select()
                    .column(content_item_topic::Column::ItemId)
                    .from(content_item_topic::Entity)
                    .and_where(
                        Expr::col(content_item_topic::Column::TopicId).in_subquery(
                            Query::select()
                                .column(topic_follow::Column::TopicId)
                                .from(topic_follow::Entity)
                                .and_where(
                                    Expr::col(topic_follow::Column::UserId).eq(user_id.get()),
                                )
                                .to_owned(),
                        ),
                    )
                    .to_owned(),
            ),
        );
    }
    if let Some(user_id) = query.passed_by {
        condition = condition.add(
            content_item::Column::Id.not_in_subquery(
                Query::select()
                    .column(Alias::new("item_id"))
                    .from(Alias::new("item_passes"))
                    .and_where(Expr::col(Alias::new("user_id")).eq(user_id.get()))
                    .to_owned(),
            ),
        );
    }
    if let Some(language) = &query.language {
        condition = condition.add(content_item::Column::Language.eq(language.clone()));
    }
    condition
}

/// One page of available items for `query`.
///
/// # Errors
/// Database failure.
pub async fn page(db: &impl ConnectionTrait, query: &HubQuery) -> Result<HubPage, EditorialError> {
    let paginator = content_item::Entity::find()
        .filter(condition_of(query))
        .order_by_desc(content_item::Column::PublishedAt)
        .order_by_desc(content_item::Column::Id)
        .paginate(db, PAGE_SIZE);
    let counts = paginator.num_items_and_pages().await?;
    // Past the last page (or an absurd number such as u64::MAX), the last page is shown.
    let page = query.page.clamp(1, Ord::max(counts.number_of_pages, 1));
    let rows = paginator.fetch_page(page - 1).await?;
    let items = crate::store::items::records_of(db, rows).await?;
    Ok(HubPage {
        items,
        total: counts.number_of_items,
        page,
        pages: Ord::max(counts.number_of_pages, 1),
    })
}

/// Where a slice of the hub ended: the last item's publication time and id (the hub's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubCursor {
    /// When the last item seen was published.
    pub published_at: chrono::DateTime<Utc>,
    /// Its id.
    pub id: ItemId,
}

impl std::fmt::Display for HubCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}_{}",
            self.published_at.timestamp_micros(),
            self.id.get()
        )
    }
}

impl std::str::FromStr for HubCursor {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        let (micros, id) = text.split_once('_').ok_or(())?;
        Ok(HubCursor {
            published_at: chrono::DateTime::from_timestamp_micros(micros.parse().map_err(|_| ())?)
                .ok_or(())?,
            id: ItemId(id.parse().map_err(|_| ())?),
        })
    }
}

/// Up to `limit` available items for `query` after `after` (from the newest when `None`),
/// and the cursor of the next slice when there are more: items published meanwhile neither
/// repeat nor push any out of the next slice.
///
/// # Errors
/// Database failure.
pub async fn slice(
    db: &impl ConnectionTrait,
    query: &HubQuery,
    after: Option<HubCursor>,
    limit: u64,
) -> Result<(Vec<ItemRecord>, Option<HubCursor>), EditorialError> {
    let mut condition = condition_of(query).add(content_item::Column::PublishedAt.is_not_null());
    if let Some(after) = after {
        condition = condition.add(
            Condition::any()
                .add(content_item::Column::PublishedAt.lt(after.published_at))
                .add(
                    Condition::all()
                        .add(content_item::Column::PublishedAt.eq(after.published_at))
                        .add(content_item::Column::Id.lt(after.id.get())),
                ),
        );
    }
    let mut rows = content_item::Entity::find()
        .filter(condition)
        .order_by_desc(content_item::Column::PublishedAt)
        .order_by_desc(content_item::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next = if more {
        rows.last().and_then(|row| {
            Some(HubCursor {
                published_at: row.published_at?,
                id: ItemId(row.id),
            })
        })
    } else {
        None
    };
    let items = crate::store::items::records_of(db, rows).await?;
    Ok((items, next))
}

/// One item, if an ambassador may see it now.
///
/// # Errors
/// [`EditorialError::NotFound`] when it is not published or outside its window.
pub async fn item(db: &impl ConnectionTrait, id: ItemId) -> Result<ItemRecord, EditorialError> {
    let row = content_item::Entity::find_by_id(id.get())
        .filter(available_now())
        .one(db)
        .await?
        .ok_or(EditorialError::NotFound)?;
    crate::store::items::records_of(db, vec![row])
        .await?
        .pop()
        .ok_or(EditorialError::NotFound)
}

/// The `utm_campaign` that tracked links of this item carry: its campaign's slug, else its first
/// topic's slug, else `chorus`.
///
/// # Errors
/// Database failure.
pub async fn utm_campaign(
    db: &impl ConnectionTrait,
    item: &ItemRecord,
) -> Result<String, EditorialError> {
    use crate::store::topics;
    if let Some(id) = item.input.campaign_id
        && let Some(campaign) = topics::campaigns(db)
            .await?
            .into_iter()
            .find(|c| c.id == id.get())
    {
        return Ok(topics::slugify(&campaign.name));
    }
    let topic = topics::topics(db)
        .await?
        .into_iter()
        .find(|t| item.input.topic_ids.contains(&TopicId(t.id)));
    Ok(topic.map_or_else(|| "chorus".to_owned(), |t| t.slug))
}

/// The next instant after `now` at which a published item's availability window opens or
/// closes, if any: until then, what the hub shows can only change by a write.
///
/// # Errors
/// Database failure.
pub async fn next_window_change(
    db: &impl ConnectionTrait,
    now: chrono::DateTime<Utc>,
) -> Result<Option<chrono::DateTime<Utc>>, EditorialError> {
    type Window = (Option<chrono::DateTime<Utc>>, Option<chrono::DateTime<Utc>>);
    let windows: Vec<Window> = content_item::Entity::find()
        .select_only()
        .column(content_item::Column::AvailableFrom)
        .column(content_item::Column::AvailableUntil)
        .filter(content_item::Column::State.eq(State::Published.as_str()))
        .filter(
            Condition::any()
                .add(content_item::Column::AvailableFrom.gt(now))
                .add(content_item::Column::AvailableUntil.gt(now)),
        )
        .into_tuple()
        .all(db)
        .await?;
    Ok(windows
        .into_iter()
        .flat_map(|(from, until)| [from, until])
        .flatten()
        .filter(|at| *at > now)
        .min())
}

/// The languages of available items, for the hub's filter.
///
/// # Errors
/// Database failure.
pub async fn languages(db: &impl ConnectionTrait) -> Result<Vec<String>, EditorialError> {
    Ok(content_item::Entity::find()
        .select_only()
        .column(content_item::Column::Language)
        .distinct()
        .filter(available_now())
        .order_by_asc(content_item::Column::Language)
        .into_tuple::<String>()
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hub_cursor_reads_back_as_written() {
        let cursor = HubCursor {
            published_at: chrono::DateTime::from_timestamp_micros(1_796_000_000_123_456).unwrap(),
            id: ItemId(42),
        };
        assert_eq!(cursor.to_string(), "1796000000123456_42");
        assert_eq!(cursor.to_string().parse(), Ok(cursor));
        assert!("2".parse::<HubCursor>().is_err());
        assert!("x_2".parse::<HubCursor>().is_err());
    }
}
