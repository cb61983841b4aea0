//! One attempt at a claimed share, as the worker runs it: the account's token opened (and
//! refreshed first when it is about to expire), the post prepared (Bluesky's link card with the
//! item's image, the image chosen for the post), the network called once (Threads in its two recorded steps), and the answer
//! turned into the share's next step ([`Outcome`]). A 401 refreshes the token and tries once
//! more: nothing was posted then, so it is safe. The claim before and the record after are the
//! worker's, in [`crate::shares`].

use chorus_editorial::preview::PreviewFetcher;
use chorus_policy::{AccountId, Network, ShareId, UserId};
use std::collections::{HashMap, HashSet};

use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait as _,
    QueryFilter as _, QuerySelect as _,
};

use crate::AmbassadorError;
use crate::accounts::{self, Networks};
use crate::connectors::{Account, Connector, Post, PublishError, Secret};
use crate::shares::{Outcome, ShareRow, outcome_of, publish_threads};
use crate::store::entities::{connected_account, share_image};
use crate::vault::{Place, Vault};

/// What an attempt needs: the database, the key vault, where the networks are, and the guarded
/// fetcher for link-card images.
#[derive(Debug, Clone, Copy)]
pub struct Publisher<'a> {
    /// The database.
    pub db: &'a DatabaseConnection,
    /// Opens the account's sealed tokens.
    pub vault: &'a Vault,
    /// The networks' addresses and client credentials.
    pub networks: &'a Networks,
    /// Fetches the link card's image through the address guard.
    pub fetcher: &'a PreviewFetcher,
    /// Chorus's public address (no trailing slash), where a network that takes images by
    /// address (Threads) fetches a share's image.
    pub public_base: &'a str,
}

/// What the attempts of one claim read once for all its shares: their connected accounts and
/// which of them carry an image (a claim of 64 shares makes two queries, not 128).
#[derive(Debug, Default)]
pub struct Claimed {
    accounts: HashMap<i32, connected_account::Model>,
    with_image: HashSet<i32>,
}

impl Claimed {
    /// Reads what `shares` need.
    ///
    /// # Errors
    /// Database failure.
    pub async fn read(db: &impl ConnectionTrait, shares: &[ShareRow]) -> Result<Self, DbErr> {
        let accounts = connected_account::Entity::find()
            .filter(connected_account::Column::Id.is_in(shares.iter().filter_map(|s| s.account_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        let with_image = share_image::Entity::find()
            .select_only()
            .column(share_image::Column::ShareId)
            .filter(share_image::Column::ShareId.is_in(shares.iter().map(|s| s.id)))
            .into_tuple::<i32>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        Ok(Self {
            accounts,
            with_image,
        })
    }
}

impl Publisher<'_> {
    /// One attempt at a claimed share (`claimed`: what its claim read): refresh the token first
    /// when it is about to expire, and once more after a 401 (nothing was posted then, so
    /// trying again is safe).
    pub async fn attempt(&self, holder: &str, share: &ShareRow, claimed: &Claimed) -> Outcome {
        let app = self;
        // The account as the claim read it, unless its token is refreshed first (then read again).
        let mut as_read = share
            .account_id
            .and_then(|id| claimed.accounts.get(&id))
            .cloned();
        if let Some(row) = as_read.take_if(|row| accounts::refresh_due(row))
            && let Err(e) =
                accounts::refresh(app.db, app.vault, app.networks, AccountId(row.id), holder).await
        {
            tracing::warn!(account = row.id, error = %e, "could not refresh a token");
        }
        let with_image = claimed.with_image.contains(&share.id);
        let mut refreshed = false;
        loop {
            let (account, post, network, instance) =
                match prepare(app, share, as_read.take(), with_image).await {
                    Ok(prepared) => prepared,
                    Err(why) => return Outcome::Failed(why),
                };
            let Some(connector) = app.networks.connector(network, instance.as_ref()) else {
                return Outcome::Failed(format!("{network} cannot be published to from here"));
            };
            let result = match &connector {
                // Two steps, with the container recorded on the share between them.
                Connector::Threads(threads) => {
                    publish_threads(app.db, threads, share, holder, &account, &post).await
                }
                other => other.publish(&account, &post).await,
            };
            let unauthorized = matches!(result, Err(PublishError::Unauthorized { .. }));
            if unauthorized
                && !refreshed
                && let Some(account_id) = share.account_id
            {
                refreshed = true;
                let refreshed_ok = match accounts::refresh(
                    app.db,
                    app.vault,
                    app.networks,
                    AccountId(account_id),
                    holder,
                )
                .await
                {
                    Ok(done) => done,
                    Err(e) => {
                        tracing::warn!(account = account_id, error = %e, "could not refresh a token after a 401");
                        false
                    }
                };
                let still_valid = !matches!(
                    accounts::list(app.db, UserId(share.user_id)).await,
                    Ok(list) if list.iter().any(|a| a.id == AccountId(account_id) && a.needs_reconnect)
                );
                if refreshed_ok && still_valid {
                    continue;
                }
            }
            return outcome_of(network, result, share.attempts, chrono::Utc::now());
        }
    }
}

/// The account (token opened) of a connected account, and its instance (Mastodon, Bluesky
/// PDS). [`AmbassadorError::NotFound`] when the account is gone; a database or vault error
/// when it cannot be read or its token does not open.
pub(crate) async fn open_account(
    db: &impl ConnectionTrait,
    vault: &Vault,
    account_id: i32,
) -> Result<(Account, Option<url::Url>), AmbassadorError> {
    let account = connected_account::Entity::find_by_id(account_id)
        .one(db)
        .await?
        .ok_or(AmbassadorError::NotFound)?;
    open_row(vault, account)
}

/// [`open_account`] of a row already read.
fn open_row(
    vault: &Vault,
    account: connected_account::Model,
) -> Result<(Account, Option<url::Url>), AmbassadorError> {
    let token = vault.open(
        Place {
            table: "connected_accounts",
            column: "access_token",
            row: i64::from(account.id),
        },
        &account.access_token,
    )?;
    let dpop = crate::accounts::account_dpop_key(vault, &account)?;
    let instance = url::Url::parse(&account.instance).ok();
    Ok((
        Account {
            access_token: Secret::new(token),
            dpop,
            external_id: account.external_id,
            handle: account.handle,
        },
        instance,
    ))
}

/// The account and post of a claimed share (its account's row when already read, whether it
/// carries an image); `Err(why)` when the account is gone, its token does not open, or the
/// image chosen for it is gone (the share then fails).
async fn prepare(
    app: &Publisher<'_>,
    share: &ShareRow,
    as_read: Option<connected_account::Model>,
    with_image: bool,
) -> Result<(Account, Post, Network, Option<url::Url>), String> {
    let (db, vault, fetcher) = (app.db, app.vault, app.fetcher);
    let account_id = share.account_id.ok_or("the account was disconnected")?;
    let opened = match as_read {
        Some(row) => open_row(vault, row),
        None => open_account(db, vault, account_id).await,
    };
    let (account, instance) = opened.map_err(|why| match why {
        AmbassadorError::NotFound => "the account was disconnected".to_owned(),
        why => why.to_string(),
    })?;
    let network = share.network.get();
    // Bluesky's link card carries the item's preview description and image.
    let item = match (network, share.item_id) {
        (Network::Bluesky, Some(item_id)) if share.link.is_some() => {
            chorus_editorial::store::entities::content_item::Entity::find_by_id(item_id)
                .one(db)
                .await
                .map_err(|e| e.to_string())?
        }
        _ => None,
    };
    let link_thumb = match item.as_ref().and_then(|i| i.preview_image_url.as_deref()) {
        Some(url) => link_thumb(fetcher, url).await,
        None => None,
    };
    let link_description = item.and_then(|item| item.preview_description);
    // The image chosen goes with the post, or the share fails: never the post without it.
    let image = if with_image {
        crate::images::of_share(db, ShareId(share.id), app.public_base).await?
    } else {
        None
    };
    Ok((
        account,
        Post {
            text: share.text.clone(),
            link: share.link.clone(),
            link_title: share.link_title.clone(),
            link_description,
            link_thumb,
            language: share.language.clone(),
            image,
            idempotency_key: share.idempotency_key.clone(),
        },
        network,
        instance,
    ))
}

/// The link card's image, fetched through the address guard; without it (not an image, too
/// large, unreachable) the card goes without an image rather than the share failing.
async fn link_thumb(
    fetcher: &chorus_editorial::preview::PreviewFetcher,
    url: &str,
) -> Option<crate::connectors::Thumb> {
    match fetcher
        .fetch_image(url, crate::connectors::Thumb::MAX_BYTES)
        .await
    {
        Ok((bytes, mime)) => Some(crate::connectors::Thumb { bytes, mime }),
        Err(error) => {
            tracing::warn!(%error, "the link card goes without its image");
            None
        }
    }
}
