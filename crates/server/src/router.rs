//! Every route of Chorus and the layers around them: public routes here, each area's routes
//! (`/editor`, `/hub`, `/stats`, `/account`, `/admin`) in the module named after it.

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::app::AppState;
use crate::error::AppError;
use crate::routes::{
    account, admin, api, assets, auth, connections, editor, home, hub, links, media, ops,
    programme, setup, stats,
};

/// Builds the router with its layers.
pub fn build(app: AppState) -> Router {
    let routes = Router::new()
        // Operations
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/assets/{*path}", get(assets::serve))
        // Bluesky's OAuth client metadata document (public)
        .route(
            "/oauth/bluesky/client-metadata.json",
            get(connections::bluesky_client_metadata),
        )
        // First run
        .route("/setup", get(setup::show).post(setup::create))
        // Sign-in
        .route("/sign-in", get(auth::show).post(auth::submit))
        .route("/sign-in/oidc", get(crate::routes::sso::start))
        .route("/sign-in/oidc/callback", get(crate::routes::sso::callback))
        .route("/sign-out", post(auth::sign_out))
        // Homes and public pieces
        .route("/", get(home::root))
        .route("/media/{id}", get(media::serve))
        .route("/programme", get(programme::page))
        .route(
            "/unsubscribe/{token}",
            get(crate::routes::notifications::unsubscribe_page)
                .post(crate::routes::notifications::unsubscribe),
        )
        .route("/api/v1/text/measure", post(api::measure_text))
        .route("/api/v1/docs", get(api::openapi::reference))
        // The areas, each in the module named after it
        .nest("/editor", editor::routes())
        .nest("/hub", hub::routes())
        .nest("/stats", stats::routes())
        .nest("/account", account::routes())
        .nest("/admin", admin::routes())
        .fallback(|| async { AppError::NotFound })
        .route_layer(from_fn(crate::metrics::tag_route));

    // Tracked links are public, cookie-free and hit hard when a post travels: they skip every
    // page layer (session, CSRF, error pages, first-run gate, request id, the per-request log
    // line and the per-route metrics); the handler counts them and sets its own few headers.
    // The image of a waiting share is fetched the same way, by a network's servers (Threads).
    let links = Router::new()
        .route("/l/{code}", get(links::redirect))
        .route("/share-images/{token}", get(media::share_image));

    // SCIM is called by identity providers with a bearer token: no session, cookie or CSRF
    // token, and its own error format; it keeps the request id, the log line and the metrics.
    let scim = Router::new()
        .nest("/scim/v2", crate::routes::scim::routes())
        .layer(from_fn_with_state(app.clone(), crate::metrics::track))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            tracing::info_span!("scim", method = %request.method(), path = %request.uri().path())
        }));

    // The REST API is called by integrations with a bearer token: no session, cookie or CSRF
    // token, and problem details for errors; it keeps the request id, the log line and the
    // metrics, and the security headers.
    let rest = api::routes()
        .layer(from_fn(crate::security::strip_nul))
        .layer(from_fn_with_state(app.clone(), api::limits::limit))
        .layer(from_fn_with_state(app.clone(), crate::security::headers))
        .layer(from_fn_with_state(app.clone(), crate::metrics::track))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            tracing::info_span!("api", method = %request.method(), path = %request.uri().path())
        }));

    // Layers run outermost last: request id, tracing, metrics, security headers, session,
    // CSRF, error pages, first-run gate, NUL stripping, then the route.
    routes
        .layer(from_fn(crate::security::strip_nul))
        .layer(from_fn_with_state(app.clone(), setup::gate))
        .layer(from_fn_with_state(app.clone(), crate::views::error_pages))
        .layer(from_fn_with_state(app.clone(), crate::auth::csrf::protect))
        .layer(from_fn_with_state(app.clone(), crate::auth::session::load))
        .layer(from_fn_with_state(app.clone(), crate::security::headers))
        .layer(from_fn_with_state(app.clone(), crate::metrics::track))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                let id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
            })
            .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .merge(links)
        .merge(scim)
        .merge(rest)
        .with_state(app)
}
