//! The ambassador's own accounts on the networks: connect over OAuth (Bluesky: atproto OAuth
//! with DPoP, or an app password where the server has no OAuth), see their health,
//! disconnect; and the client metadata document Bluesky servers fetch to know Chorus. Tokens,
//! keys and app passwords never reach a page or a log line.

mod bluesky;

use axum::Form;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use chorus_ambassador::AmbassadorError;
use chorus_ambassador::accounts::{self, AccountSummary, Begin};
use chorus_policy::{AccountId, Network};
use serde::{Deserialize, Serialize};
use url::Url;

pub use bluesky::{bluesky_client_metadata, connect_bluesky, connect_bluesky_oauth};

use crate::auth::roles::{Ambassador, Member};
use crate::error::{AppError, AppResult};
use crate::views::Ctx;

/// The callback of a network (and instance): each has its own, so answers from two servers
/// cannot be mixed up.
fn callback_path(network: Network, instance: Option<&Url>) -> String {
    match instance {
        Some(instance) => {
            let origin: String = url::form_urlencoded::byte_serialize(
                instance.as_str().trim_end_matches('/').as_bytes(),
            )
            .collect();
            format!("/hub/accounts/callback/{}/{origin}", network.as_str())
        }
        None => format!("/hub/accounts/callback/{}", network.as_str()),
    }
}

fn error_key(error: &AmbassadorError) -> &'static str {
    match error {
        AmbassadorError::Unavailable(_) => "unavailable",
        AmbassadorError::InvalidInstance => "instance",
        AmbassadorError::PrivateAddress(_) => "private",
        AmbassadorError::InvalidServer => "bluesky_server",
        AmbassadorError::SignInRefused(_) => "bluesky_sign_in",
        AmbassadorError::OAuthUnavailable(_) => "bluesky_oauth",
        AmbassadorError::StateInvalid => "state",
        AmbassadorError::Connector(_) | AmbassadorError::Refused { .. } => "network",
        // Not outcomes of connecting an account: said as an internal error if one ever is.
        AmbassadorError::MastodonServerMissing
        | AmbassadorError::MastodonServerInvalid
        | AmbassadorError::DeletionUnsupported(_)
        | AmbassadorError::AccountGone(_)
        | AmbassadorError::NetworkDailyLimit { .. }
        | AmbassadorError::Image { .. }
        | AmbassadorError::ImageNeedsReconnect(_)
        | AmbassadorError::Vault(_)
        | AmbassadorError::Db(_)
        | AmbassadorError::Editorial(_)
        | AmbassadorError::NotFound => "internal",
    }
}

/// Query of the accounts page: what happened, on which network, and what the person typed
/// (never a password), so that a failed connection keeps it.
#[derive(Debug, Default, Deserialize)]
pub struct AccountsQuery {
    done: Option<String>,
    error: Option<String>,
    network: Option<String>,
    #[serde(default)]
    identifier: String,
    #[serde(default)]
    server: String,
    #[serde(default)]
    instance: String,
    /// The failed form was the app-password one.
    app_password: Option<String>,
}

/// Back to the accounts page after a connection to `network` failed with `error`, keeping
/// what the person typed (`typed`: field and value; never a password).
fn failed(network: Network, error: &str, typed: &[(&str, &str)]) -> Response {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("error", error);
    query.append_pair("network", network.as_str());
    for (field, value) in typed {
        query.append_pair(field, value);
    }
    Redirect::to(&format!(
        "/hub/accounts?{}#{}",
        query.finish(),
        network.as_str()
    ))
    .into_response()
}

/// The organisation chose "post it yourself" only for `network`.
async fn composer_only(ctx: &Ctx, network: Network) -> AppResult<bool> {
    Ok(!chorus_editorial::store::settings::load(&ctx.app.db)
        .await?
        .allows_direct(network))
}

/// The accounts page.
#[derive(Serialize)]
struct AccountsView<'a> {
    networks: Vec<NetworkCard<'a>>,
    notice: Option<String>,
    error: Option<String>,
    typed: Typed<'a>,
}

/// One network: how the organisation lets people post there, and the person's accounts.
#[derive(Serialize)]
struct NetworkCard<'a> {
    name: &'static str,
    label: &'static str,
    /// `direct`, `composer_only`, or `unset` (the network is not configured).
    mode: &'static str,
    accounts: Vec<AccountView<'a>>,
}

/// A connected account, with when its access ends when that is within a week.
#[derive(Serialize)]
struct AccountView<'a> {
    #[serde(flatten)]
    account: &'a AccountSummary,
    /// "12 Dec 2026, 09:00", for an account to reconnect within 7 days.
    ends_soon: Option<String>,
}

/// What the person typed in a form that failed (never a password).
#[derive(Serialize)]
struct Typed<'a> {
    identifier: &'a str,
    server: &'a str,
    instance: &'a str,
    /// The failed form was the app-password one.
    app_password: bool,
}

/// `GET /hub/accounts`.
pub async fn list(
    ctx: Ctx,
    Ambassador(user): Ambassador,
    Query(query): Query<AccountsQuery>,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let connected = accounts::list(db, user.user_id()).await?;
    let available = accounts::configured_networks(db).await?;
    let settings = chorus_editorial::store::settings::load(db).await?;
    let zone = ctx.zone().await?;
    let soon = chrono::Utc::now() + crate::notify::RECONNECT_NOTICE;
    let networks = Network::ALL
        .iter()
        .map(|n| {
            let mode = if !settings.allows_direct(*n) {
                "composer_only"
            } else if available.contains(n) {
                "direct"
            } else {
                "unset"
            };
            NetworkCard {
                name: n.as_str(),
                label: n.display_name(),
                mode,
                accounts: connected
                    .iter()
                    .filter(|a| a.network == *n)
                    .map(|account| AccountView {
                        account,
                        ends_soon: account
                            .access_ends
                            .filter(|at| *at <= soon && !account.needs_reconnect)
                            .map(|at| ctx.when(zone, at)),
                    })
                    .collect(),
            }
        })
        .collect();
    let network = query
        .network
        .as_deref()
        .and_then(|n| n.parse::<Network>().ok());
    let label = network.map_or("", Network::display_name);
    let say = |key: &str| {
        ctx.app
            .views
            .i18n
            .text(ctx.locale, key, &[("network", label)])
    };
    let view = AccountsView {
        networks,
        notice: query.done.as_ref().map(|_| say("accounts.connected")),
        error: query.error.as_deref().map(|e| {
            say(&format!(
                "accounts.error_{}",
                match e {
                    "unavailable" => "unavailable",
                    "instance" => "instance",
                    "private" => "private",
                    "bluesky_server" => "bluesky_server",
                    "bluesky_sign_in" => "bluesky_sign_in",
                    "bluesky_oauth" => "bluesky_oauth",
                    "state" => "state",
                    "network" => "network",
                    "denied" => "denied",
                    "composer_only" => "composer_only",
                    _ => "internal",
                }
            ))
        }),
        typed: Typed {
            identifier: &query.identifier,
            server: &query.server,
            instance: &query.instance,
            app_password: query.app_password.is_some(),
        },
    };
    Ok(ctx.page("hub/accounts.html", &view)?.into_response())
}

/// The connect form: the Mastodon instance a person typed.
#[derive(Debug, Default, Deserialize)]
pub struct ConnectForm {
    instance: Option<String>,
}

/// `GET /hub/accounts/connect/{network}`: changes nothing (a link or a prefetch must not start
/// an authorisation); back to the network's card, whose form posts.
pub async fn connect_page(Path(network): Path<String>) -> AppResult<Response> {
    let network: Network = network.parse().map_err(|_| AppError::NotFound)?;
    Ok(Redirect::to(&format!("/hub/accounts#{}", network.as_str())).into_response())
}

/// `POST /hub/accounts/connect/{network}`: starts OAuth and sends the person on to the network
/// from a page that names it (the page's CSP, `form-action 'self'`, rightly stops a form's
/// answer from redirecting to another site).
pub async fn connect(
    ctx: Ctx,
    Ambassador(user): Ambassador,
    Path(network): Path<String>,
    Form(query): Form<ConnectForm>,
) -> AppResult<Response> {
    let network: Network = network.parse().map_err(|_| AppError::NotFound)?;
    let typed = query.instance.clone().unwrap_or_default();
    if composer_only(&ctx, network).await? {
        return Ok(failed(network, "composer_only", &[]));
    }
    if network == Network::Bluesky {
        // Bluesky connects with the sign-in form on the accounts page.
        return Ok(Redirect::to("/hub/accounts#bluesky").into_response());
    }
    let instance = if network == Network::Mastodon {
        match ctx
            .app
            .networks
            .instance(query.instance.as_deref().unwrap_or_default())
        {
            Ok(instance) => Some(instance),
            Err(e) => {
                return Ok(failed(network, error_key(&e), &[("instance", &typed)]));
            }
        }
    } else {
        None
    };
    let redirect_uri = ctx
        .app
        .public_url(&callback_path(network, instance.as_ref()));
    let begin = Begin {
        user_id: user.user_id(),
        session_hash: &user.session_hash,
        network,
        instance,
        redirect_uri: &redirect_uri,
    };
    match accounts::begin(&ctx.app.db, &ctx.app.vault, &ctx.app.networks, begin).await {
        // On from a page that names the server (a link and an immediate refresh), as the
        // Bluesky sign-in form does.
        Ok(url) => continue_to(&ctx, &url),
        Err(e) => {
            tracing::info!(network = network.as_str(), error = %e, "could not start a connection");
            Ok(failed(network, error_key(&e), &[("instance", &typed)]))
        }
    }
}

/// What the network sends back.
#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

async fn finish(
    ctx: Ctx,
    Member(user): Member,
    network: Network,
    instance: Option<Url>,
    query: CallbackQuery,
) -> AppResult<Response> {
    if query.error.is_some() {
        return Ok(failed(network, "denied", &[]));
    }
    let (Some(code), Some(state)) = (query.code, query.state) else {
        return Ok(failed(network, "state", &[]));
    };
    let redirect_uri = ctx
        .app
        .public_url(&callback_path(network, instance.as_ref()));
    let expected = Begin {
        user_id: user.user_id(),
        session_hash: &user.session_hash,
        network,
        instance,
        redirect_uri: &redirect_uri,
    };
    match accounts::finish(
        &ctx.app.db,
        &ctx.app.vault,
        &ctx.app.networks,
        expected,
        &code,
        &state,
    )
    .await
    {
        Ok(account) => {
            tracing::info!(
                user_id = user.id,
                network = network.as_str(),
                account = account.id.get(),
                "account connected"
            );
            Ok(Redirect::to(&format!(
                "/hub/accounts?done=connected&network={}",
                account.network.as_str()
            ))
            .into_response())
        }
        Err(e) => {
            tracing::info!(network = network.as_str(), error = %e, "connection failed");
            Ok(failed(network, error_key(&e), &[]))
        }
    }
}

/// `GET /hub/accounts/callback/{network}`.
pub async fn callback(
    ctx: Ctx,
    user: Member,
    Path(network): Path<String>,
    Query(query): Query<CallbackQuery>,
) -> AppResult<Response> {
    let network: Network = network.parse().map_err(|_| AppError::NotFound)?;
    match network {
        Network::Mastodon => Err(AppError::NotFound),
        Network::Bluesky => bluesky::finish_bluesky(ctx, user, query).await,
        _ => finish(ctx, user, network, None, query).await,
    }
}

/// `GET /hub/accounts/callback/mastodon/{instance}`.
pub async fn mastodon_callback(
    ctx: Ctx,
    user: Member,
    Path(instance): Path<String>,
    Query(query): Query<CallbackQuery>,
) -> AppResult<Response> {
    let instance = ctx
        .app
        .networks
        .instance(&instance)
        .map_err(|_| AppError::NotFound)?;
    finish(ctx, user, Network::Mastodon, Some(instance), query).await
}

/// `POST /hub/accounts/{id}/disconnect`.
pub async fn disconnect(
    ctx: Ctx,
    Member(user): Member,
    Path(id): Path<AccountId>,
) -> AppResult<Response> {
    match accounts::disconnect(
        &ctx.app.db,
        &ctx.app.vault,
        &ctx.app.networks,
        user.user_id(),
        id,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/hub/accounts").into_response()),
        Err(AmbassadorError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// The page that sends the person on to another site.
#[derive(Serialize)]
struct ContinueView<'a> {
    url: &'a str,
    /// The site, named on the page.
    host: &'a str,
}

/// A page that sends the person on to `url` on another site, naming that site.
fn continue_to(ctx: &Ctx, url: &url::Url) -> AppResult<Response> {
    let view = ContinueView {
        url: url.as_str(),
        host: url.host_str().unwrap_or_default(),
    };
    Ok(ctx.page("hub/continue.html", &view)?.into_response())
}
