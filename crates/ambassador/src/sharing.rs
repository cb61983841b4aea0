//! Queuing what a person chose to share: one share per account they ticked, each with its own
//! tracked link in place of the item's link, written together in one transaction (the link,
//! the share and the link's attachment to it), so a failure leaves no link without its share
//! and no share without its link.

use chorus_editorial::store::items::ItemRecord;
use chorus_policy::{Network, ShareId, UserId};
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};

use crate::{AmbassadorError, links, shares};

/// One post, as its owner wrote it, for one of their accounts or a network's composer.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Through the owner's connected account, or the network's composer ("post it yourself").
    pub via: shares::Via,
    /// Its network.
    pub network: Network,
    /// The text, with the item's link where the owner left it.
    pub text: String,
}

/// Everything the queue needs besides the drafts: the owner, the item, the time, and how
/// tracked links are named and tagged.
#[derive(Debug)]
pub struct Queue<'a> {
    /// The owner, who chose to share: nobody else queues in their name.
    pub user_id: UserId,
    /// The hub item shared.
    pub item: &'a ItemRecord,
    /// Now, or the time the owner chose.
    pub at: DateTime<Utc>,
    /// The public base of tracked links, e.g. `https://chorus.example` (no trailing slash).
    pub public_base: &'a str,
    /// `utm_medium` of tracked links.
    pub utm_medium: &'a str,
    /// `utm_campaign` of tracked links (see `chorus_editorial::hub::utm_campaign`).
    pub utm_campaign: &'a str,
    /// The image posted with the shares through accounts (a network's composer opens with the
    /// text only).
    pub image: Option<&'a crate::images::ChosenImage>,
}

/// Posts a network lets apps publish per profile in 24 hours, where it says so (Threads:
/// `threads_publishing_limit`, 250).
#[must_use]
pub fn daily_limit(network: Network) -> Option<usize> {
    (network == Network::Threads).then_some(250)
}

/// How many shares of `account` are published, or waiting to go, within 24 hours of `at`.
async fn posts_around(
    db: &impl sea_orm::ConnectionTrait,
    account: i32,
    at: DateTime<Utc>,
) -> Result<usize, DbErr> {
    use crate::store::entities::share::{Column, Entity};
    use sea_orm::{ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _};
    use shares::ShareState::{Published, Scheduled, Sending};
    let day = chrono::Duration::hours(24);
    let published = Entity::find()
        .filter(Column::AccountId.eq(account))
        .filter(Column::State.eq(Published.as_str()))
        .filter(Column::PublishedAt.gt(at - day))
        .count(db)
        .await?;
    let waiting = Entity::find()
        .filter(Column::AccountId.eq(account))
        .filter(Column::State.is_in([Scheduled.as_str(), Sending.as_str()]))
        .filter(Column::NextAttemptAt.gt(at - day))
        .filter(Column::NextAttemptAt.lt(at + day))
        .count(db)
        .await?;
    Ok(usize::try_from(published + waiting).unwrap_or(usize::MAX))
}

/// Whether an account was granted the right to post images where the network asks for one
/// (X's `media.write`, asked for since images came; older X accounts must connect again).
async fn may_post_images(db: &impl sea_orm::ConnectionTrait, account: i32) -> Result<bool, DbErr> {
    use crate::store::entities::connected_account::Entity;
    use sea_orm::EntityTrait as _;
    Ok(Entity::find_by_id(account)
        .one(db)
        .await?
        .is_some_and(|row| row.scopes.split([' ', ',']).any(|s| s == "media.write")))
}

/// Queues one share per draft, each with its own tracked link when the item has a link; returns
/// the new shares' ids in the drafts' order. Shares through an account go at the time asked, or
/// at the first slot the owner's rhythm allows (quiet hours, daily cap), with the reason kept.
///
/// # Errors
/// Database failure, a Mastodon server the composer refuses, an account that reached its
/// network's own daily limit ([`AmbassadorError::NetworkDailyLimit`]), an image a network
/// chosen would not take ([`AmbassadorError::Image`]) or an X account connected without the
/// right to post images ([`AmbassadorError::ImageNeedsReconnect`]); then nothing was written.
pub async fn queue(
    db: &DatabaseConnection,
    queue: &Queue<'_>,
    drafts: &[Draft],
) -> Result<Vec<ShareId>, AmbassadorError> {
    let item = &queue.item.input;
    let txn = chorus_editorial::store::begin_write(db).await?;
    let through_accounts = drafts
        .iter()
        .filter(|d| matches!(d.via, shares::Via::Account(_)))
        .count();
    let (rhythm, zone) = crate::rhythm::of(&txn, queue.user_id).await?;
    let mut slots = crate::rhythm::plan(
        &txn,
        queue.user_id,
        &rhythm,
        zone,
        queue.at,
        through_accounts,
    )
    .await?
    .into_iter();
    for draft in drafts {
        if let (shares::Via::Account(account), Some(limit)) =
            (&draft.via, daily_limit(draft.network))
            && posts_around(&txn, account.get(), queue.at).await? >= limit
        {
            return Err(AmbassadorError::NetworkDailyLimit {
                network: draft.network,
                limit,
            });
        }
    }
    if let Some(image) = queue.image {
        for draft in drafts {
            if let shares::Via::Account(account) = &draft.via {
                image.check(draft.network)?;
                if draft.network == Network::X && !may_post_images(&txn, account.get()).await? {
                    return Err(AmbassadorError::ImageNeedsReconnect(Network::X));
                }
            }
        }
    }
    let mut ids = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let slot = match draft.via {
            shares::Via::Account(_) => slots.next(),
            shares::Via::Composer { .. } => None,
        };
        let mut text = draft.text.clone();
        let mut link = item.link_url.clone();
        let mut link_id = None;
        if let Some(original) = item.link_url.as_deref()
            && let Some(target) = links::target_with_utm(
                original,
                draft.network.as_str(),
                queue.utm_medium,
                queue.utm_campaign,
            )
        {
            let (id, code) = links::create(&txn, &target).await?;
            let tracked = format!("{}/l/{code}", queue.public_base);
            text = text.replace(original, &tracked);
            link = Some(tracked);
            link_id = Some(id);
        }
        let share_id = shares::create(
            &txn,
            shares::NewShare {
                user_id: queue.user_id,
                item_id: Some(queue.item.id),
                via: draft.via.clone(),
                network: draft.network,
                text,
                link,
                link_title: item
                    .preview_title
                    .clone()
                    .or_else(|| Some(item.title.clone())),
                language: Some(item.language.clone()),
                at: slot.map_or(queue.at, |s| s.at),
                held: slot.and_then(|s| s.held),
            },
        )
        .await?;
        if let Some(link_id) = link_id {
            links::attach(&txn, link_id, share_id).await?;
        }
        if let (shares::Via::Account(_), Some(image)) = (&draft.via, queue.image) {
            crate::images::attach(&txn, share_id.get(), image).await?;
        }
        ids.push(share_id);
    }
    txn.commit().await?;
    Ok(ids)
}

/// The Mastodon server of the person's latest "post it yourself" share on Mastodon (its
/// origin), so that the composer opens there again without asking.
///
/// # Errors
/// Database failure.
pub async fn last_mastodon_server(
    db: &DatabaseConnection,
    user_id: UserId,
) -> Result<Option<String>, DbErr> {
    use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _, QueryOrder as _};

    use crate::store::entities::share;
    let user_id = user_id.get();
    let latest = share::Entity::find()
        .filter(share::Column::UserId.eq(user_id))
        .filter(share::Column::Network.eq(Network::Mastodon.as_str()))
        .filter(share::Column::ComposerUrl.is_not_null())
        .order_by_desc(share::Column::Id)
        .one(db)
        .await?;
    Ok(latest
        .and_then(|row| row.composer_url)
        .and_then(|url| url::Url::parse(&url).ok())
        .map(|url| url.origin().ascii_serialization()))
}
