//! The baseline: a bare axum handler that answers `/l/{code}` with a 302 to a URL looked up in
//! an in-memory HashMap, with the same headers as Chorus's redirect. No middleware, no
//! counting: the least any redirect in axum can cost, run as a child process like Chorus.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use tokio::process::Command;

use crate::server::Server;

/// Codes and their targets.
type Links = Arc<HashMap<String, HeaderValue>>;

/// `bench baseline-server`: serves one code until SIGTERM.
///
/// # Errors
/// The target is not a header value, or the port cannot be bound.
pub async fn serve(code: String, target: String) -> anyhow::Result<()> {
    let location = HeaderValue::from_str(&target).context("the target is not a header value")?;
    let links: Links = Arc::new(HashMap::from([(code, location)]));
    let app = Router::new()
        .route("/l/{code}", get(redirect))
        .with_state(links);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    // The one line on stdout, read by the parent as with Chorus.
    println!("baseline listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            if let Ok(mut term) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            {
                term.recv().await;
            }
        })
        .await?;
    Ok(())
}

async fn redirect(State(links): State<Links>, Path(code): Path<String>) -> Response {
    match links.get(&code) {
        Some(location) => (
            StatusCode::FOUND,
            [
                (header::LOCATION, location.clone()),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Starts the baseline as a child process (this very binary) knowing `code`.
///
/// # Errors
/// See [`Server::start`].
pub async fn start(dir: &std::path::Path, code: &str, target: &str) -> anyhow::Result<Server> {
    let exe = std::env::current_exe().context("cannot find the bench binary's path")?;
    let mut command = Command::new(exe);
    command.args(["baseline-server", "--code", code, "--target", target]);
    Server::start(command, &dir.join("baseline.log")).await
}
