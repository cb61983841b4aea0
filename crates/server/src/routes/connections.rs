//! The ambassador's own accounts on the networks: connect over OAuth (Bluesky: atproto OAuth
//! with DPoP, or an app password where the server has no OAuth), see their health,
//! disconnect; and the client metadata document Bluesky servers fetch to know Chorus. Tokens,
//! keys and app passwords never reach a page or a log line.

use axum::Form;
use axum::Json;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use chorus_ambassador::accounts::{
    self, AccountsError, Begin, BlueskyOAuthBegin, BlueskyOAuthCallback, BlueskySignIn,
};
use chorus_ambassador::connectors::{OAuthClient, Secret};
use chorus_policy::Network;
use serde::Deserialize;
use tera::Context;
use url::Url;

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

fn error_key(error: &AccountsError) -> &'static str {
    match error {
        AccountsError::Unavailable(_) => "unavailable",
        AccountsError::InvalidInstance => "instance",
        AccountsError::PrivateAddress(_) => "private",
        AccountsError::InvalidServer => "bluesky_server",
        AccountsError::SignInRefused(_) => "bluesky_sign_in",
        AccountsError::OAuthUnavailable(_) => "bluesky_oauth",
        AccountsError::StateInvalid => "state",
        AccountsError::Connector(_) => "network",
        AccountsError::Vault(_) | AccountsError::Db(_) | AccountsError::NotFound => "internal",
    }
}

/// Query of the accounts page.
#[derive(Debug, Default, Deserialize)]
pub struct AccountsQuery {
    done: Option<String>,
    error: Option<String>,
}

/// `GET /hub/accounts`.
pub async fn list(
    ctx: Ctx,
    Ambassador(user): Ambassador,
    Query(query): Query<AccountsQuery>,
) -> AppResult<Response> {
    let db = &ctx.app.db;
    let connected = accounts::list(db, user.id).await?;
    let available = accounts::configured_networks(db).await?;
    let networks: Vec<_> = Network::ALL
        .iter()
        .map(|n| serde_json::json!({"name": n.as_str(), "label": n.display_name(), "available": available.contains(n)}))
        .collect();
    let mut context = Context::new();
    context.insert("accounts", &connected);
    context.insert("networks", &networks);
    context.insert("notice", &query.done.map(|_| ctx.t("accounts.connected")));
    context.insert(
        "error",
        &query.error.as_deref().map(|e| {
            ctx.t(&format!(
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
                    _ => "internal",
                }
            ))
        }),
    );
    Ok(ctx.render("hub/accounts.html", context)?.into_response())
}

/// The Mastodon instance a person typed.
#[derive(Debug, Default, Deserialize)]
pub struct ConnectQuery {
    instance: Option<String>,
}

/// `GET /hub/accounts/connect/{network}`: starts OAuth and sends the person to the network.
pub async fn connect(
    ctx: Ctx,
    Ambassador(user): Ambassador,
    Path(network): Path<String>,
    Query(query): Query<ConnectQuery>,
) -> AppResult<Response> {
    let network: Network = network.parse().map_err(|_| AppError::NotFound)?;
    if network == Network::Bluesky {
        // Bluesky connects with the app-password form on the accounts page.
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
                return Ok(
                    Redirect::to(&format!("/hub/accounts?error={}", error_key(&e))).into_response(),
                );
            }
        }
    } else {
        None
    };
    let redirect_uri = ctx
        .app
        .public_url(&callback_path(network, instance.as_ref()));
    let begin = Begin {
        user_id: user.id,
        session_hash: &user.session_hash,
        network,
        instance,
        redirect_uri: &redirect_uri,
    };
    match accounts::begin(&ctx.app.db, &ctx.app.vault, &ctx.app.networks, begin).await {
        // The Mastodon server is typed into a form, and the page's CSP (`form-action 'self'`)
        // rightly stops a form's navigation from being redirected to another site: the person
        // goes on from a page that names the server (a link and an immediate refresh). The
        // Bluesky sign-in form does the same.
        Ok(url) if network == Network::Mastodon => continue_to(&ctx, &url),
        Ok(url) => Ok(Redirect::to(url.as_str()).into_response()),
        Err(e) => {
            tracing::info!(network = network.as_str(), error = %e, "could not start a connection");
            Ok(Redirect::to(&format!("/hub/accounts?error={}", error_key(&e))).into_response())
        }
    }
}

/// The Bluesky app-password form. No `Debug`: it holds the app password.
#[derive(Deserialize)]
pub struct BlueskyForm {
    identifier: String,
    app_password: String,
    #[serde(default)]
    server: String,
}

/// `POST /hub/accounts/connect/bluesky`: signs in to Bluesky once with an app password and
/// keeps the session (never the password).
pub async fn connect_bluesky(
    ctx: Ctx,
    Ambassador(user): Ambassador,
    Form(form): Form<BlueskyForm>,
) -> AppResult<Response> {
    let sign_in = BlueskySignIn {
        user_id: user.id,
        identifier: &form.identifier,
        app_password: Secret::new(form.app_password),
        server: &form.server,
    };
    match accounts::connect_bluesky(&ctx.app.db, &ctx.app.vault, &ctx.app.networks, sign_in).await {
        Ok(account) => {
            tracing::info!(
                user_id = user.id,
                network = "bluesky",
                account = account.id,
                "account connected"
            );
            Ok(Redirect::to("/hub/accounts?done=connected").into_response())
        }
        Err(e) => {
            tracing::info!(network = "bluesky", error = %e, "could not connect");
            Ok(Redirect::to(&format!("/hub/accounts?error={}", error_key(&e))).into_response())
        }
    }
}

/// Chorus as a Bluesky OAuth client, from its public address.
fn bluesky_client(ctx: &Ctx) -> AppResult<OAuthClient> {
    let base = Url::parse(&ctx.app.public_url("/"))
        .map_err(|e| AppError::Internal(format!("the public address is not a URL: {e}")))?;
    Ok(OAuthClient::for_base(&base))
}

/// `GET /oauth/bluesky/client-metadata.json`: the document whose URL is Chorus's `client_id`
/// (not served when Chorus runs on a loopback address: the loopback client needs none).
pub async fn bluesky_client_metadata(ctx: Ctx) -> AppResult<Response> {
    let client = bluesky_client(&ctx)?;
    if client.loopback {
        return Err(AppError::NotFound);
    }
    Ok(Json(client.metadata()).into_response())
}

/// The Bluesky OAuth form.
#[derive(Debug, Deserialize)]
pub struct BlueskyOAuthForm {
    identifier: String,
    #[serde(default)]
    server: String,
}

/// `POST /hub/accounts/connect/bluesky/oauth`: starts a Bluesky OAuth sign-in and sends the
/// person to their server's sign-in page.
pub async fn connect_bluesky_oauth(
    ctx: Ctx,
    Ambassador(user): Ambassador,
    Form(form): Form<BlueskyOAuthForm>,
) -> AppResult<Response> {
    let client = bluesky_client(&ctx)?;
    let begin = BlueskyOAuthBegin {
        user_id: user.id,
        session_hash: &user.session_hash,
        identifier: &form.identifier,
        server: &form.server,
        client: &client,
    };
    match accounts::begin_bluesky_oauth(&ctx.app.db, &ctx.app.vault, &ctx.app.networks, begin).await
    {
        // A form's answer: on from a page naming the server, as for Mastodon (`form-action`).
        Ok(url) => continue_to(&ctx, &url),
        Err(e) => {
            tracing::info!(network = "bluesky", error = %e, "could not start a Bluesky sign-in");
            Ok(Redirect::to(&format!("/hub/accounts?error={}", error_key(&e))).into_response())
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

async fn finish_bluesky(
    ctx: Ctx,
    Member(user): Member,
    query: CallbackQuery,
) -> AppResult<Response> {
    if query.error.is_some() {
        return Ok(Redirect::to("/hub/accounts?error=denied").into_response());
    }
    let (Some(code), Some(state)) = (query.code, query.state) else {
        return Ok(Redirect::to("/hub/accounts?error=state").into_response());
    };
    let client = bluesky_client(&ctx)?;
    let callback = BlueskyOAuthCallback {
        user_id: user.id,
        session_hash: &user.session_hash,
        client: &client,
        code: &code,
        state: &state,
        iss: query.iss.as_deref(),
    };
    match accounts::finish_bluesky_oauth(&ctx.app.db, &ctx.app.vault, &ctx.app.networks, callback)
        .await
    {
        Ok(account) => {
            tracing::info!(
                user_id = user.id,
                network = "bluesky",
                account = account.id,
                "account connected over OAuth"
            );
            Ok(Redirect::to("/hub/accounts?done=connected").into_response())
        }
        Err(e) => {
            tracing::info!(network = "bluesky", error = %e, "connection failed");
            Ok(Redirect::to(&format!("/hub/accounts?error={}", error_key(&e))).into_response())
        }
    }
}

async fn finish(
    ctx: Ctx,
    Member(user): Member,
    network: Network,
    instance: Option<Url>,
    query: CallbackQuery,
) -> AppResult<Response> {
    if query.error.is_some() {
        return Ok(Redirect::to("/hub/accounts?error=denied").into_response());
    }
    let (Some(code), Some(state)) = (query.code, query.state) else {
        return Ok(Redirect::to("/hub/accounts?error=state").into_response());
    };
    let redirect_uri = ctx
        .app
        .public_url(&callback_path(network, instance.as_ref()));
    let expected = Begin {
        user_id: user.id,
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
                account = account.id,
                "account connected"
            );
            Ok(Redirect::to("/hub/accounts?done=connected").into_response())
        }
        Err(e) => {
            tracing::info!(network = network.as_str(), error = %e, "connection failed");
            Ok(Redirect::to(&format!("/hub/accounts?error={}", error_key(&e))).into_response())
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
        Network::Bluesky => finish_bluesky(ctx, user, query).await,
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
    Path(id): Path<i32>,
) -> AppResult<Response> {
    match accounts::disconnect(&ctx.app.db, &ctx.app.vault, &ctx.app.networks, user.id, id).await {
        Ok(()) => Ok(Redirect::to("/hub/accounts").into_response()),
        Err(AccountsError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// A page that sends the person on to `url` on another site, naming that site.
fn continue_to(ctx: &Ctx, url: &url::Url) -> AppResult<Response> {
    let mut context = Context::new();
    context.insert("url", url.as_str());
    context.insert("host", url.host_str().unwrap_or_default());
    Ok(ctx.render("hub/continue.html", context)?.into_response())
}
