//! The networks' OAuth apps (`/admin/networks`): which have client credentials, and storing
//! them, the secret sealed at rest.

use axum::Form;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};
use chorus_policy::Network;
use serde::{Deserialize, Serialize};

use super::UsersQuery;
use crate::auth::roles::Admin;
use crate::error::AppResult;
use crate::views::Ctx;

/// The client credentials form for one network.
#[derive(Debug, Default, Deserialize)]
pub struct NetworkForm {
    #[serde(default)]
    network: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
}

/// The networks page.
#[derive(Serialize)]
struct NetworksView {
    networks: Vec<NetworkApp>,
    linkedin: Option<super::linkedin::LinkedInStatus>,
    notice: Option<String>,
    error: Option<String>,
}

/// One network whose app an admin registers.
#[derive(Serialize)]
struct NetworkApp {
    name: &'static str,
    label: &'static str,
    configured: bool,
    /// The address to register with the network.
    callback: String,
}

/// `GET /admin/networks`: which networks have client credentials (never showing secrets).
pub async fn networks(ctx: Ctx, _: Admin, Query(query): Query<UsersQuery>) -> AppResult<Response> {
    let configured = chorus_ambassador::accounts::configured_networks(&ctx.app.db).await?;
    let networks = [Network::LinkedIn, Network::X, Network::Threads]
        .iter()
        .map(|n| NetworkApp {
            name: n.as_str(),
            label: n.display_name(),
            configured: configured.contains(n),
            callback: ctx
                .app
                .public_url(&format!("/hub/accounts/callback/{}", n.as_str())),
        })
        .collect();
    let view = NetworksView {
        networks,
        linkedin: super::linkedin::status(&ctx).await?,
        notice: query.done.as_deref().map(|_| ctx.t("admin.done_saved")),
        error: query
            .error
            .as_deref()
            .map(|_| ctx.t("admin.error_network_form")),
    };
    Ok(ctx.page("admin/networks.html", &view)?.into_response())
}

/// `POST /admin/networks`: stores client credentials, the secret sealed at rest.
pub async fn save_network(
    ctx: Ctx,
    Admin(user): Admin,
    Form(form): Form<NetworkForm>,
) -> AppResult<Response> {
    let network = form
        .network
        .parse::<Network>()
        .ok()
        .filter(|n| matches!(n, Network::LinkedIn | Network::X | Network::Threads));
    let (Some(network), false) = (network, form.client_id.trim().is_empty()) else {
        return Ok(Redirect::to("/admin/networks?error=form").into_response());
    };
    chorus_ambassador::accounts::set_app_credentials(
        &ctx.app.db,
        &ctx.app.vault,
        network,
        "",
        form.client_id.trim(),
        form.client_secret.trim(),
    )
    .await?;
    tracing::info!(
        admin = user.id,
        network = network.as_str(),
        "network credentials saved"
    );
    Ok(Redirect::to("/admin/networks?done=saved").into_response())
}
