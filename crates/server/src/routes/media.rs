//! Images of content items: upload (editors), serving, removal; and the public address of the
//! image of a share waiting to go, for a network that fetches images by address (Threads).

use axum::extract::{Multipart, Path};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use chorus_editorial::media::{self, MediaError};
use chorus_editorial::store::{items, media as store};
use chorus_editorial::{EditorialError, hub};
use chorus_policy::Area;
use chorus_policy::{ItemId, MediaId};

use crate::auth::CurrentUser;
use crate::auth::roles::Editor;
use crate::error::{AppError, AppResult};
use crate::views::Ctx;

fn media_error_key(error: MediaError) -> &'static str {
    match error {
        MediaError::TooLarge => "too_large",
        MediaError::Unsupported => "unsupported",
        MediaError::Corrupt => "corrupt",
    }
}

/// `POST /editor/items/{id}/images` (multipart: `file`, `alt`). The CSRF token travels in the
/// query string, since the body is multipart.
pub async fn upload(
    ctx: Ctx,
    Editor(user): Editor,
    Path(id): Path<i32>,
    mut form: Multipart,
) -> AppResult<Response> {
    items::get(&ctx.app.db, ItemId(id)).await?;
    let mut file: Option<Vec<u8>> = None;
    let mut alt = String::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(e.body_text()))?
    {
        match field.name() {
            Some("file") => {
                file = Some(
                    field
                        .bytes()
                        .await
                        .map_err(|_| AppError::PayloadTooLarge)?
                        .to_vec(),
                );
            }
            Some("alt") => {
                alt = field
                    .text()
                    .await
                    .map_err(|e| AppError::BadRequest(e.body_text()))?;
            }
            _ => {}
        }
    }
    let alt = alt.trim();
    let outcome = match file.filter(|f| !f.is_empty()) {
        None => Err("missing"),
        Some(_) if alt.is_empty() || alt.chars().count() > 500 => Err("alt"),
        Some(bytes) => media::clean(&bytes).map_err(media_error_key),
    };
    match outcome {
        Ok(image) => {
            store::insert(&ctx.app.db, ItemId(id), image, alt, user.user_id()).await?;
            Ok(Redirect::to(&format!("/editor/items/{id}?done=image#images")).into_response())
        }
        Err(reason) => Ok(
            Redirect::to(&format!("/editor/items/{id}?image_error={reason}#images"))
                .into_response(),
        ),
    }
}

/// `POST /editor/items/{id}/images/{media}/delete`.
pub async fn remove(
    ctx: Ctx,
    _: Editor,
    Path((id, media_id)): Path<(ItemId, MediaId)>,
) -> AppResult<Response> {
    store::delete(&ctx.app.db, id, media_id).await?;
    Ok(Redirect::to(&format!("/editor/items/{id}?done=image_removed#images")).into_response())
}

/// `GET /media/{id}`: editors see every image; others only those of items in the hub now.
pub async fn serve(ctx: Ctx, user: CurrentUser, Path(id): Path<i32>) -> AppResult<Response> {
    let row = store::get(&ctx.app.db, MediaId(id)).await?;
    let allowed = user.roles.can_enter(Area::Editorial)
        || (user.roles.can_enter(Area::Hub)
            && crate::routes::participation::is_opted_in(&ctx.app, &user).await?
            && hub::item(&ctx.app.db, ItemId(row.item_id)).await.is_ok());
    if !allowed {
        return Err(EditorialError::NotFound.into());
    }
    let content_type = HeaderValue::from_str(&row.content_type)?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=3600"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("inline"),
            ),
        ],
        row.data,
    )
        .into_response())
}

/// `GET /share-images/{token}`: public and cookie-free, for the network's servers. The image
/// is there only while its share waits to go or is going; then (and for any other token) 404.
pub async fn share_image(
    axum::extract::State(app): axum::extract::State<crate::app::AppState>,
    Path(token): Path<String>,
) -> Response {
    use axum::http::StatusCode;
    let found = if token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        chorus_ambassador::images::public(&app.db, &token).await
    } else {
        Ok(None)
    };
    match found {
        Ok(Some((content_type, bytes))) => {
            let Ok(content_type) = HeaderValue::from_str(&content_type) else {
                return StatusCode::NOT_FOUND.into_response();
            };
            (
                [
                    (header::CONTENT_TYPE, content_type),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                    (
                        header::X_CONTENT_TYPE_OPTIONS,
                        HeaderValue::from_static("nosniff"),
                    ),
                    (
                        header::CONTENT_SECURITY_POLICY,
                        HeaderValue::from_static("default-src 'none'"),
                    ),
                    (
                        header::HeaderName::from_static("x-robots-tag"),
                        HeaderValue::from_static("noindex"),
                    ),
                ],
                bytes,
            )
                .into_response()
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::warn!(%error, "could not read a share's image");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
