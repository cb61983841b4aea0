//! Connecting a Bluesky account: with an app password, or with atproto OAuth (DPoP), where
//! Chorus is a client that Bluesky servers know from its metadata document.

use axum::Form;
use axum::Json;
use axum::response::{IntoResponse, Redirect, Response};
use chorus_ambassador::accounts::{self, BlueskyOAuthBegin, BlueskyOAuthCallback, BlueskySignIn};
use chorus_ambassador::connectors::{OAuthClient, Secret};
use chorus_policy::Network;
use serde::Deserialize;
use url::Url;

use super::{CallbackQuery, composer_only, continue_to, error_key, failed};
use crate::auth::roles::{Ambassador, Member};
use crate::error::{AppError, AppResult};
use crate::views::Ctx;

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
    let typed = [
        ("identifier", form.identifier.clone()),
        ("server", form.server.clone()),
        ("app_password", "1".to_owned()),
    ];
    let typed: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if composer_only(&ctx, Network::Bluesky).await? {
        return Ok(failed(Network::Bluesky, "composer_only", &typed));
    }
    let sign_in = BlueskySignIn {
        user_id: user.user_id(),
        identifier: &form.identifier,
        app_password: Secret::new(form.app_password),
        server: &form.server,
    };
    match accounts::connect_bluesky(&ctx.app.db, &ctx.app.vault, &ctx.app.networks, sign_in).await {
        Ok(account) => {
            tracing::info!(
                user_id = user.id,
                network = "bluesky",
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
            tracing::info!(network = "bluesky", error = %e, "could not connect");
            Ok(failed(Network::Bluesky, error_key(&e), &typed))
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
    let typed = [
        ("identifier", form.identifier.as_str()),
        ("server", form.server.as_str()),
    ];
    if composer_only(&ctx, Network::Bluesky).await? {
        return Ok(failed(Network::Bluesky, "composer_only", &typed));
    }
    let client = bluesky_client(&ctx)?;
    let begin = BlueskyOAuthBegin {
        user_id: user.user_id(),
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
            Ok(failed(Network::Bluesky, error_key(&e), &typed))
        }
    }
}

/// The end of a Bluesky OAuth sign-in: the server sends the person back with a code.
pub(super) async fn finish_bluesky(
    ctx: Ctx,
    Member(user): Member,
    query: CallbackQuery,
) -> AppResult<Response> {
    if query.error.is_some() {
        return Ok(failed(Network::Bluesky, "denied", &[]));
    }
    let (Some(code), Some(state)) = (query.code, query.state) else {
        return Ok(failed(Network::Bluesky, "state", &[]));
    };
    let client = bluesky_client(&ctx)?;
    let callback = BlueskyOAuthCallback {
        user_id: user.user_id(),
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
                account = account.id.get(),
                "account connected over OAuth"
            );
            Ok(Redirect::to(&format!(
                "/hub/accounts?done=connected&network={}",
                account.network.as_str()
            ))
            .into_response())
        }
        Err(e) => {
            tracing::info!(network = "bluesky", error = %e, "connection failed");
            Ok(failed(Network::Bluesky, error_key(&e), &[]))
        }
    }
}
