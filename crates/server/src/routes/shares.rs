//! Making a post one's own and publishing it: the personalise page (one editor per connected
//! account, with the live counter, the disclosure suggestion and advice), and the history of
//! one's shares with what can be done about each, deleting a published one from its network
//! included.

use std::collections::{BTreeSet, HashMap};

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chorus_ambassador::accounts;
use chorus_ambassador::onboarding::{self, Preferences};
use chorus_ambassador::shares;
use chorus_ambassador::sharing;
use chorus_editorial::{hub, measure};
use chorus_policy::advice::{Advice, Draft, advise, blocks_publishing};
use chorus_policy::disclosure::Disclosure;
use chorus_policy::sameness;
use chorus_policy::{ItemId, MinGroupSize, Network, UserId};
use chrono::{NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::auth::roles::Ambassador;
use crate::error::AppResult;
use crate::views::Ctx;

use super::post_preview::{LinkCard, PostPreview};

mod advice;
mod history;
mod image;
mod ready;
mod view;

pub use advice::advice;
pub use history::{act, delete, history};
pub use ready::{ready, status};

fn advice_text(ctx: &Ctx, advice: &Advice) -> String {
    let i18n = &ctx.app.views.i18n;
    match advice {
        Advice::OverLength { by, hard_limit, .. } => {
            let key = if *hard_limit {
                "share.advice_too_long"
            } else {
                "share.advice_long"
            };
            i18n.text(ctx.locale, key, &[("count", &by.to_string())])
        }
        Advice::MissingDisclosure { suggestion } => i18n.text(
            ctx.locale,
            "share.advice_disclosure",
            &[("disclosure", suggestion)],
        ),
        Advice::IdenticalToSuggestion => ctx.t("share.advice_identical"),
        Advice::NearlyIdentical { .. } => ctx.t("share.advice_nearly"),
        Advice::SameAsColleagues { colleagues: 1 } => ctx.t("share.advice_colleague"),
        Advice::SameAsColleagues { colleagues } => i18n.text(
            ctx.locale,
            "share.advice_colleagues",
            &[("count", &colleagues.to_string())],
        ),
    }
}

/// One post per colleague who already shared the item on each network, shingled, with the
/// minimum group size under which they are not compared.
struct Colleagues {
    k: MinGroupSize,
    by_network: HashMap<Network, Vec<BTreeSet<u64>>>,
}

impl Colleagues {
    /// What colleagues other than `user` posted for `item` on `networks` (one query).
    async fn load(
        ctx: &Ctx,
        item: ItemId,
        user: UserId,
        networks: &[Network],
        k: MinGroupSize,
    ) -> AppResult<Colleagues> {
        let posts = shares::published_texts(&ctx.app.db, item)
            .await
            .map_err(crate::store::StoreError::from)?;
        let mut by_network: HashMap<Network, Vec<BTreeSet<u64>>> = HashMap::new();
        for (author, network, text) in posts {
            if author != user && networks.contains(&network) {
                by_network
                    .entry(network)
                    .or_default()
                    .push(sameness::shingles(&text));
            }
        }
        Ok(Colleagues { k, by_network })
    }

    /// The advice about `text` on `network`, when colleagues posted nearly the same words.
    fn advice(&self, network: Network, text: &str) -> Option<Advice> {
        let theirs = self.by_network.get(&network)?;
        let sameness = sameness::among_colleagues(text, theirs, self.k)?;
        (sameness.nearly_same > 0).then_some(Advice::SameAsColleagues {
            colleagues: sameness.nearly_same,
        })
    }
}

/// Where one editor's text goes: one of the person's connected accounts, or the network's own
/// composer in their browser ("post it yourself", no account needed).
enum Target {
    Account(accounts::AccountSummary),
    Composer(Network),
}

impl Target {
    fn network(&self) -> Network {
        match self {
            Target::Account(account) => account.network,
            Target::Composer(network) => *network,
        }
    }

    /// The suffix of the editor's form fields (`select_{key}`, `text_{key}`).
    fn key(&self) -> String {
        match self {
            Target::Account(account) => account.id.to_string(),
            Target::Composer(network) => format!("own_{}", network.as_str()),
        }
    }
}

struct Editor {
    target: Target,
    text: String,
    selected: bool,
    advice: Vec<Advice>,
}

impl Editor {
    /// The editor of one account or composer holding `text`, with the advice on it against
    /// the item's suggested copy for that network.
    fn new(
        target: Target,
        item: &chorus_editorial::store::items::ItemRecord,
        disclosure: Option<&Disclosure>,
        colleagues: &Colleagues,
        text: String,
        selected: bool,
    ) -> Editor {
        let network = target.network();
        let suggested = item.input.copy.get(&network).map_or("", String::as_str);
        let m = measure::measure(network, &text);
        let mut advice = advise(&Draft {
            network,
            text: &text,
            suggested_copy: suggested,
            disclosure,
            length_over_by: m.over_by,
            hard_limit_exceeded: !m.fits,
        });
        advice.extend(colleagues.advice(network, &text));
        Editor {
            target,
            text,
            selected,
            advice,
        }
    }
}

/// The editors of the share page: one per connected account (unless it must be reconnected),
/// then one per network's composer. `text_of` gives each editor's text and whether it is ticked.
async fn editors(
    ctx: &Ctx,
    user_id: i32,
    item: &chorus_editorial::store::items::ItemRecord,
    text_of: impl Fn(&Target) -> (String, bool),
) -> AppResult<Vec<Editor>> {
    let connected = accounts::list(&ctx.app.db, UserId(user_id)).await?;
    let settings = chorus_editorial::store::settings::load(&ctx.app.db).await?;
    let disclosure = settings.disclosure_for(&item.input.language).cloned();
    // Accounts on a network where the organisation chose "post it yourself" only are not
    // offered: there, the network's composer is the way.
    let targets = connected
        .into_iter()
        .filter(|a| !a.needs_reconnect && settings.allows_direct(a.network))
        .map(Target::Account)
        .chain(Network::ALL.into_iter().map(Target::Composer));
    let colleagues = Colleagues::load(
        ctx,
        item.id,
        UserId(user_id),
        &Network::ALL,
        settings.min_group_size,
    )
    .await?;
    Ok(targets
        .map(|target| {
            let (text, selected) = text_of(&target);
            Editor::new(
                target,
                item,
                disclosure.as_ref(),
                &colleagues,
                text,
                selected,
            )
        })
        .collect())
}

/// What the share form holds besides the editors.
struct FormState<'a> {
    when: &'a str,
    at: &'a str,
    mastodon_server: &'a str,
    /// The networks the person said they use: their composers come first, the others fold.
    uses: &'a [Network],
    /// The zone the time is read in, and whether the person chose it (else the browser's
    /// zone is sent with the form).
    zone: Tz,
    zone_chosen: bool,
    /// The person's rhythm, said next to the time.
    rhythm: chorus_policy::Rhythm,
    /// The image choices.
    image: image::ImageView,
    error: Option<String>,
}

/// The share page.
#[derive(Serialize)]
struct ShareView<'a> {
    item: ItemHeading<'a>,
    card: Option<LinkCard>,
    /// The person's connected accounts.
    editors: Vec<EditorView>,
    /// The composers of the networks the person uses.
    composers: Vec<EditorView>,
    /// The composers of the other networks, folded unless one is ticked.
    other_composers: Vec<EditorView>,
    others_open: bool,
    when: &'a str,
    at: &'a str,
    time_zone: &'a str,
    time_zone_chosen: bool,
    /// The person's quiet hours and daily cap in words, when they have some.
    rhythm_note: Option<String>,
    mastodon_server: &'a str,
    image: &'a image::ImageView,
    error: Option<&'a str>,
}

/// The item a page is about, by its title.
#[derive(Serialize)]
struct ItemHeading<'a> {
    id: ItemId,
    title: &'a str,
}

/// One editor of the share page: its post preview, form key, ticked or not, and advice.
#[derive(Serialize)]
struct EditorView {
    #[serde(flatten)]
    post: PostPreview,
    id: String,
    composer: bool,
    keeps_text: bool,
    selected: bool,
    advice: Vec<String>,
}

fn render(
    ctx: &Ctx,
    status: StatusCode,
    item: &chorus_editorial::store::items::ItemRecord,
    editors: &[Editor],
    form: &FormState<'_>,
) -> AppResult<Response> {
    let row = |e: &Editor| {
        let network = e.target.network();
        let key = e.target.key();
        let post = PostPreview::new(network, e.text.clone(), format!("text_{key}"));
        let (post, composer) = match &e.target {
            Target::Account(account) => (
                post.by(account.display_name.clone(), account.handle.clone()),
                false,
            ),
            Target::Composer(_) => (post, true),
        };
        EditorView {
            post,
            id: key,
            composer,
            keeps_text: chorus_ambassador::composer::keeps_text(network),
            selected: e.selected,
            advice: e.advice.iter().map(|a| advice_text(ctx, a)).collect(),
        }
    };
    let accounts: Vec<_> = editors
        .iter()
        .filter(|e| matches!(e.target, Target::Account(_)))
        .map(row)
        .collect();
    // The composers of the networks the person uses come first; the others fold away, unless
    // one of them is ticked or the person never said which networks they use.
    let (composers, others): (Vec<&Editor>, Vec<&Editor>) = editors
        .iter()
        .filter(|e| matches!(e.target, Target::Composer(_)))
        .partition(|e| form.uses.is_empty() || form.uses.contains(&e.target.network()));
    let view = ShareView {
        item: ItemHeading {
            id: item.id,
            title: &item.input.title,
        },
        card: LinkCard::of(
            item.input.link_url.as_deref(),
            item.input.preview_title.as_deref(),
            &item.input.title,
            item.input.preview_image_url.as_deref(),
        ),
        editors: accounts,
        composers: composers.into_iter().map(row).collect(),
        others_open: others.iter().any(|e| e.selected),
        other_composers: others.into_iter().map(row).collect(),
        when: form.when,
        at: form.at,
        time_zone: form.zone.name(),
        time_zone_chosen: form.zone_chosen,
        rhythm_note: rhythm_note(ctx, &form.rhythm),
        mastodon_server: form.mastodon_server,
        image: &form.image,
        error: form.error.as_deref(),
    };
    ctx.page_status(status, "hub/share.html", &view)
}

/// The person's rhythm in a sentence ("Your rhythm: quiet hours 20:00–08:00, at most 3 a
/// day. ..."), or nothing when they have none.
fn rhythm_note(ctx: &Ctx, rhythm: &chorus_policy::Rhythm) -> Option<String> {
    let i18n = &ctx.app.views.i18n;
    let mut parts = Vec::new();
    if let Some(quiet) = rhythm.quiet {
        parts.push(i18n.text(
            ctx.locale,
            "share.rhythm_quiet",
            &[("quiet", &quiet.to_string())],
        ));
    }
    if let Some(cap) = rhythm.daily_cap {
        parts.push(i18n.text(
            ctx.locale,
            "share.rhythm_cap",
            &[("count", &cap.to_string())],
        ));
    }
    (!parts.is_empty()).then(|| {
        i18n.text(
            ctx.locale,
            "share.rhythm_note",
            &[("rhythm", &parts.join(", "))],
        )
    })
}

/// The Mastodon server the person's composer opens on: the one they typed last time, else the
/// server of their connected Mastodon account.
async fn remembered_mastodon_server(ctx: &Ctx, user_id: i32) -> AppResult<String> {
    if let Some(server) = sharing::last_mastodon_server(&ctx.app.db, UserId(user_id)).await? {
        return Ok(server);
    }
    Ok(accounts::list(&ctx.app.db, UserId(user_id))
        .await?
        .into_iter()
        .find(|a| a.network == Network::Mastodon)
        .map(|a| a.instance)
        .unwrap_or_default())
}

/// Whether an editor starts ticked: a connected account on a network the person uses (any
/// connected account, for someone who never said), and the composer of a network they use
/// where they have no connected account.
fn preselected(target: &Target, preferences: &Preferences, connected: &[Network]) -> bool {
    let network = target.network();
    match target {
        Target::Account(_) => preferences.networks.is_empty() || preferences.uses(network),
        Target::Composer(_) => preferences.uses(network) && !connected.contains(&network),
    }
}

/// `GET /hub/items/{id}/share`.
pub async fn page(
    ctx: Ctx,
    Ambassador(user): Ambassador,
    Path(id): Path<i32>,
) -> AppResult<Response> {
    let item = hub::item(&ctx.app.db, ItemId(id)).await?;
    let preferences = onboarding::load(&ctx.app.db, user.user_id()).await?;
    let mut editors = editors(&ctx, user.id, &item, |target| {
        let text = item.input.copy.get(&target.network()).cloned();
        (text.unwrap_or_default(), false)
    })
    .await?;
    // The accounts offered are the ones that can publish: their networks need no composer.
    let connected: Vec<Network> = editors
        .iter()
        .filter(|e| matches!(e.target, Target::Account(_)))
        .map(|e| e.target.network())
        .collect();
    for editor in &mut editors {
        editor.selected = preselected(&editor.target, &preferences, &connected);
    }
    let mastodon_server = remembered_mastodon_server(&ctx, user.id).await?;
    let (rhythm, _) = chorus_ambassador::rhythm::of(&ctx.app.db, user.user_id()).await?;
    let images = chorus_editorial::store::media::for_item(&ctx.app.db, item.id).await?;
    let form = FormState {
        when: "now",
        at: "",
        mastodon_server: &mastodon_server,
        uses: &preferences.networks,
        zone: preferences.zone(),
        zone_chosen: preferences.time_zone.is_some(),
        rhythm,
        image: image::ImageView::new(&images, None, String::new()),
        error: None,
    };
    render(&ctx, StatusCode::OK, &item, &editors, &form)
}

/// `POST /hub/items/{id}/share`: the ambassador's own action, for each account and composer
/// they ticked. Shares to accounts are queued; shares to composers are handed over at once and
/// the person goes on to open each composer.
pub async fn submit(
    ctx: Ctx,
    Ambassador(user): Ambassador,
    Path(id): Path<i32>,
    image::ShareForm { fields, file }: image::ShareForm,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let item = hub::item(db, ItemId(id)).await?;
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let when = fields.get("when").cloned().unwrap_or_else(|| "now".into());
    let at_text = field("at");
    let mastodon_server = field("mastodon_server");
    let preferences = onboarding::load(db, user.user_id()).await?;
    // A person who never chose a zone sends their browser's with the form; it becomes theirs.
    let browser_zone = (preferences.time_zone.is_none())
        .then(|| onboarding::parse_time_zone(&field("time_zone")).ok())
        .flatten();
    if let Some(zone) = browser_zone {
        onboarding::set_time_zone(db, user.user_id(), zone, Utc::now()).await?;
    }
    let zone = browser_zone.unwrap_or_else(|| preferences.zone());
    let editors = editors(&ctx, user.id, &item, |target| {
        let key = target.key();
        let text = field(&format!("text_{key}")).replace("\r\n", "\n");
        (text, fields.contains_key(&format!("select_{key}")))
    })
    .await?;
    let (rhythm, _) = chorus_ambassador::rhythm::of(db, user.user_id()).await?;
    // A form without an image choice (an older page, a script) posts no image.
    let image_chosen = fields.get("image").map_or("none", String::as_str);
    let image_alt = field("image_alt");
    let images = chorus_editorial::store::media::for_item(db, item.id).await?;
    let again = |error: String| {
        let mut image = image::ImageView::new(&images, Some(image_chosen), image_alt.clone());
        // A browser does not keep a chosen file when the page is shown again.
        image.choose_again = image_chosen == "own" && file.is_some();
        let form = FormState {
            when: &when,
            at: &at_text,
            mastodon_server: &mastodon_server,
            uses: &preferences.networks,
            zone,
            zone_chosen: preferences.time_zone.is_some() || browser_zone.is_some(),
            rhythm,
            image,
            error: Some(error),
        };
        render(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &item,
            &editors,
            &form,
        )
    };
    let chosen: Vec<&Editor> = editors.iter().filter(|e| e.selected).collect();
    if chosen.is_empty() {
        return again(ctx.t("share.error_none"));
    }
    if chosen.iter().any(|e| blocks_publishing(&e.advice)) {
        return again(ctx.t("share.error_too_long"));
    }
    let to_composer = |e: &&Editor| matches!(e.target, Target::Composer(_));
    let mastodon_origin = if chosen
        .iter()
        .any(|e| matches!(e.target, Target::Composer(Network::Mastodon)))
    {
        match chorus_ambassador::composer::mastodon_origin(&mastodon_server) {
            Ok(origin) => Some(origin),
            Err(_) if mastodon_server.trim().is_empty() => {
                return again(ctx.t("share.error_mastodon_missing"));
            }
            Err(_) => return again(ctx.t("share.error_mastodon_invalid")),
        }
    } else {
        None
    };
    let at = if when == "later" && chosen.iter().any(|e| !to_composer(e)) {
        let local = NaiveDateTime::parse_from_str(at_text.trim(), "%Y-%m-%dT%H:%M").ok();
        match local.and_then(|local| onboarding::local_to_utc(zone, local)) {
            Some(at) if at > Utc::now() => at,
            _ => return again(ctx.t("share.error_time")),
        }
    } else {
        Utc::now()
    };
    // The image goes with the posts through accounts; it is read and checked against each
    // network's rules before anything is queued.
    let first_account_network = chosen
        .iter()
        .find(|e| !to_composer(e))
        .map(|e| e.target.network());
    let chosen_image = match first_account_network {
        None => None,
        Some(network) => match image::choice(&ctx, image_chosen, file.clone(), &image_alt) {
            Err(message) => return again(message),
            Ok(None) => None,
            Ok(Some(choice)) => {
                match chorus_ambassador::images::read(db, item.id, choice, network).await {
                    Ok(image) => Some(image),
                    Err(chorus_ambassador::AmbassadorError::NotFound) => {
                        return again(ctx.t("share.image_error_gone"));
                    }
                    Err(error) => match image::message(&ctx, &error) {
                        Some(message) => return again(message),
                        None => return Err(error.into()),
                    },
                }
            }
        },
    };
    let utm_campaign = hub::utm_campaign(db, &item).await?;
    let drafts: Vec<sharing::Draft> = chosen
        .iter()
        .map(|editor| sharing::Draft {
            via: match &editor.target {
                Target::Account(account) => shares::Via::Account(account.id),
                Target::Composer(network) => shares::Via::Composer {
                    mastodon_server: (*network == Network::Mastodon)
                        .then(|| mastodon_origin.clone())
                        .flatten(),
                },
            },
            network: editor.target.network(),
            text: editor.text.clone(),
        })
        .collect();
    let public_base = ctx.app.public_url("");
    let ids = sharing::queue(
        db,
        &sharing::Queue {
            user_id: user.user_id(),
            item: &item,
            at,
            public_base: &public_base,
            utm_medium: &ctx.app.config.utm_medium,
            utm_campaign: &utm_campaign,
            image: chosen_image.as_ref(),
        },
        &drafts,
    )
    .await;
    let ids = match ids {
        Err(chorus_ambassador::AmbassadorError::NetworkDailyLimit { network, limit }) => {
            return again(ctx.app.views.i18n.text(
                ctx.locale,
                "share.error_daily_limit",
                &[
                    ("network", network.display_name()),
                    ("limit", &limit.to_string()),
                ],
            ));
        }
        Err(error) if image::message(&ctx, &error).is_some() => {
            return again(image::message(&ctx, &error).unwrap_or_default());
        }
        other => other?,
    };
    tracing::info!(
        user_id = user.id,
        item = item.id.get(),
        "shares queued or handed over by their owner"
    );
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    Ok(Redirect::to(&format!("/hub/shares/ready?ids={}", ids.join(","))).into_response())
}
