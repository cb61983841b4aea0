//! Every route of Chorus, grouped by area, and the layers around them.

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::app::AppState;
use crate::error::AppError;
use crate::routes::{
    account, admin, api, assets, auth, connections, editor, home, hub, links, media, ops,
    participation, setup, shares, sources, stats, topics, welcome,
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
        .route("/sign-out", post(auth::sign_out))
        // Homes
        .route("/", get(home::root))
        .route("/stats", get(stats::dashboard))
        .route("/stats/export.csv", get(stats::export))
        // Editorial
        .route("/editor", get(editor::list))
        .route("/editor/items", post(editor::create))
        .route("/editor/items/new", get(editor::new_item))
        .route("/editor/items/preview", post(editor::fetch_preview_new))
        .route(
            "/editor/items/{id}/preview",
            post(editor::fetch_preview_existing),
        )
        .route("/editor/items/{id}", get(editor::edit).post(editor::save))
        .route("/editor/items/{id}/action", post(editor::act))
        .route("/editor/items/{id}/comments", post(editor::comment))
        .route(
            "/editor/items/{id}/images",
            post(media::upload).layer(axum::extract::DefaultBodyLimit::max(
                chorus_editorial::media::MAX_BYTES + 64 * 1024,
            )),
        )
        .route(
            "/editor/items/{id}/images/{media}/delete",
            post(media::remove),
        )
        .route("/media/{id}", get(media::serve))
        .route("/editor/items/{id}/revisions", get(editor::revisions))
        .route("/editor/items/{id}/stats", get(stats::item))
        .route(
            "/editor/items/{id}/revisions/{version}",
            get(editor::revision),
        )
        .route(
            "/editor/items/{id}/revisions/{version}/restore",
            post(editor::restore),
        )
        .route(
            "/editor/topics",
            get(topics::show).post(topics::create_topic),
        )
        .route("/editor/topics/{id}/delete", post(topics::delete_topic))
        .route(
            "/editor/guidelines",
            get(participation::guidelines_page).post(participation::publish_guidelines),
        )
        .route("/editor/campaigns", post(topics::create_campaign))
        .route(
            "/editor/feeds",
            get(sources::show_feeds).post(sources::add_feed),
        )
        .route("/editor/feeds/{id}/poll", post(sources::poll_feed))
        .route("/editor/feeds/{id}/delete", post(sources::remove_feed))
        .route(
            "/editor/campaigns/{id}/archive",
            post(topics::archive_campaign),
        )
        // The hub
        .route("/hub", get(hub::list))
        .route("/hub/items/{id}", get(hub::item))
        .route(
            "/hub/join",
            get(participation::join_page).post(participation::join),
        )
        .route("/hub/welcome", get(welcome::page).post(welcome::finish))
        .route("/hub/topics", get(hub::follow_page).post(hub::follow))
        .route(
            "/hub/suggest",
            get(sources::show_suggest).post(sources::suggest),
        )
        .route(
            "/hub/items/{id}/share",
            get(shares::page).post(shares::submit),
        )
        .route("/hub/items/{id}/advice", post(shares::advice))
        .route("/hub/shares", get(shares::history))
        .route("/hub/shares/ready", get(shares::ready))
        .route("/hub/shares/status", get(shares::status))
        .route("/hub/stats", get(stats::mine))
        .route("/hub/items/{id}/pass", post(stats::pass))
        .route("/hub/shares/{id}/delete", post(shares::delete))
        .route("/hub/shares/{id}/{action}", post(shares::act))
        .route("/hub/accounts", get(connections::list))
        .route(
            "/hub/accounts/connect/bluesky",
            post(connections::connect_bluesky),
        )
        .route(
            "/hub/accounts/connect/bluesky/oauth",
            post(connections::connect_bluesky_oauth),
        )
        .route(
            "/hub/accounts/connect/{network}",
            get(connections::connect_page).post(connections::connect),
        )
        .route(
            "/hub/accounts/callback/mastodon/{instance}",
            get(connections::mastodon_callback),
        )
        .route(
            "/hub/accounts/callback/{network}",
            get(connections::callback),
        )
        .route(
            "/hub/accounts/{id}/disconnect",
            post(connections::disconnect),
        )
        .route(
            "/admin/networks",
            get(admin::networks).post(admin::save_network),
        )
        // API
        .route("/api/v1/text/measure", post(api::measure_text))
        // The person's account
        .route("/account", get(account::show))
        .route("/account/language", post(account::set_language))
        .route("/account/time-zone", post(account::set_time_zone))
        .route("/account/password", post(account::change_password))
        .route("/account/privacy", get(participation::privacy))
        .route(
            "/account/privacy/choices",
            post(participation::save_choices),
        )
        .route("/account/privacy/withdraw", post(participation::withdraw))
        .route(
            "/account/transparency",
            get(participation::transparency_page),
        )
        .route("/account/export", get(participation::export))
        .route(
            "/account/erase",
            get(participation::erase_page).post(participation::erase),
        )
        // Admin
        .route("/admin", get(admin::users))
        .route("/admin/users", post(admin::create_user))
        .route("/admin/users/new", get(admin::new_user))
        .route("/admin/users/{id}/roles", post(admin::set_roles))
        .route("/admin/users/{id}/deactivate", post(admin::deactivate))
        .route("/admin/users/{id}/reactivate", post(admin::reactivate))
        .route(
            "/admin/settings",
            get(admin::settings).post(admin::save_settings),
        )
        .fallback(|| async { AppError::NotFound })
        .route_layer(from_fn(crate::metrics::tag_route));

    // Tracked links are public, cookie-free and hit hard when a post travels: they skip every
    // page layer (session, CSRF, error pages, first-run gate, request id, the per-request log
    // line and the per-route metrics); the handler counts them and sets its own few headers.
    let links = Router::new().route("/l/{code}", get(links::redirect));

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
        .with_state(app)
}
