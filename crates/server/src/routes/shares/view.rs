//! How one share reads to its owner, the same on the history, on the page that follows "share"
//! and in the progress the page polls: its state in words, the time in the owner's zone, the
//! live post and its clicks, and, when something went wrong, what happened and what to do in
//! the owner's language (the network's own words only behind "details").

use std::collections::HashMap;

use chorus_ambassador::shares::{ShareRow, ShareState};
use chorus_policy::{Hold, ItemId, ShareId, UserId};
use chrono_tz::Tz;
use serde::Serialize;

use crate::views::Ctx;

/// What the owner's pages know besides the share itself.
pub(super) struct Surroundings {
    /// The owner's time zone.
    pub zone: Tz,
    /// The owner's rhythm in force, to say why a share waits.
    pub rhythm: chorus_policy::Rhythm,
    /// Human clicks on each share's tracked link.
    pub clicks: HashMap<ShareId, i64>,
    /// Accounts the owner must reconnect.
    pub reconnect: Vec<i32>,
    /// The title of each item shared.
    pub titles: HashMap<ItemId, String>,
}

impl Surroundings {
    /// What the owner's pages need to show `user_id`'s shares.
    pub(super) async fn of(
        ctx: &Ctx,
        user_id: i32,
        shares: &[ShareRow],
    ) -> crate::error::AppResult<Surroundings> {
        let db = &ctx.app.db;
        let mut items: Vec<ItemId> = shares
            .iter()
            .filter_map(|s| s.item_id)
            .map(ItemId)
            .collect();
        items.sort_unstable();
        items.dedup();
        let titles = chorus_editorial::store::items::titles(db, &items).await?;
        let (rhythm, zone) = chorus_ambassador::rhythm::of(db, UserId(user_id)).await?;
        let clicks = chorus_ambassador::links::clicks_per_share(db, UserId(user_id)).await?;
        let reconnect = chorus_ambassador::accounts::list(db, UserId(user_id))
            .await?
            .into_iter()
            .filter(|a| a.needs_reconnect)
            .map(|a| a.id.get())
            .collect();
        Ok(Surroundings {
            zone,
            rhythm,
            clicks,
            reconnect,
            titles,
        })
    }
}

/// Whether the share is still on its way (its page keeps watching it).
pub(super) fn on_its_way(share: &ShareRow) -> bool {
    matches!(share.state, ShareState::Sending)
        || (share.state == ShareState::Scheduled && share.scheduled_at <= chrono::Utc::now())
}

/// What happened to a share that did not go as planned, and what its owner can do, in their
/// language; `None` when there is nothing to explain.
fn explanation(ctx: &Ctx, share: &ShareRow, around: &Surroundings) -> Option<String> {
    let network = share.network.get().display_name();
    let text = |key: &str, args: &[(&str, &str)]| {
        let mut all = vec![("network", network)];
        all.extend_from_slice(args);
        ctx.app.views.i18n.text(ctx.locale, key, &all)
    };
    let must_reconnect = share
        .account_id
        .is_some_and(|id| around.reconnect.contains(&id));
    match share.state {
        ShareState::Failed if must_reconnect => Some(text("share.why_reconnect", &[])),
        // The image chosen was refused, or is gone: the reason says which (ours or the
        // network's words, both about the image or its media).
        ShareState::Failed
            if share
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("image") || e.contains("media")) =>
        {
            Some(text("share.why_image", &[]))
        }
        ShareState::Failed => Some(text("share.why_failed", &[])),
        ShareState::NeedsCheck => Some(text("share.why_check", &[])),
        ShareState::Missed => Some(text("share.why_missed", &[])),
        ShareState::Cancelled if share.last_error.is_some() => {
            Some(text("share.why_cancelled", &[]))
        }
        ShareState::Scheduled if share.held_by.is_some() => {
            let at = ctx.when(around.zone, share.scheduled_at);
            Some(match share.held_by.as_deref().and_then(Hold::parse) {
                Some(Hold::DailyCap) => match around.rhythm.daily_cap {
                    Some(cap) => text(
                        "share.why_daily_cap",
                        &[("at", &at), ("count", &cap.to_string())],
                    ),
                    None => text("share.why_held", &[("at", &at)]),
                },
                _ => match around.rhythm.quiet {
                    Some(quiet) => text(
                        "share.why_quiet",
                        &[("at", &at), ("quiet", &quiet.to_string())],
                    ),
                    None => text("share.why_held", &[("at", &at)]),
                },
            })
        }
        ShareState::Scheduled if share.last_error.is_some() => {
            let at = ctx.when(around.zone, share.next_attempt_at);
            Some(text("share.why_retrying", &[("at", &at)]))
        }
        _ => None,
    }
}

/// One share as its owner's pages (and the page that follows it, as JSON) show it.
#[derive(Debug, Serialize)]
pub(super) struct ShareView {
    id: i32,
    item_id: Option<i32>,
    item_title: Option<String>,
    network: &'static str,
    pub(super) state: ShareState,
    state_label: String,
    text: String,
    url: Option<String>,
    composer_url: Option<String>,
    keeps_text: bool,
    at: String,
    clicks: Option<i64>,
    on_its_way: bool,
    message: Option<String>,
    /// Waiting for its owner's rhythm is no error: said as information.
    held: bool,
    /// The network's own words, for whoever wants them, under the explanation.
    detail: Option<String>,
}

/// One share as its owner's pages show it.
pub(super) fn share(ctx: &Ctx, share: &ShareRow, around: &Surroundings) -> ShareView {
    let network = share.network.get();
    let explained = explanation(ctx, share, around);
    ShareView {
        id: share.id,
        item_id: share.item_id,
        item_title: share
            .item_id
            .and_then(|id| around.titles.get(&ItemId(id)))
            .cloned(),
        network: network.display_name(),
        state: share.state,
        state_label: ctx.t(&format!("share.state_{}", share.state.as_str())),
        text: share.text.clone(),
        url: share
            .external_url
            .clone()
            .filter(|_| share.state != ShareState::Deleted),
        composer_url: share.composer_url.clone(),
        keeps_text: chorus_ambassador::composer::keeps_text(network),
        at: if around.zone == Tz::UTC {
            ctx.when(around.zone, share.scheduled_at)
        } else {
            format!(
                "{} ({})",
                ctx.when(around.zone, share.scheduled_at),
                around.zone.name()
            )
        },
        clicks: around.clicks.get(&ShareId(share.id)).copied(),
        on_its_way: on_its_way(share),
        held: share.state == ShareState::Scheduled && share.held_by.is_some(),
        detail: share.last_error.clone().filter(|_| explained.is_some()),
        message: explained,
    }
}
