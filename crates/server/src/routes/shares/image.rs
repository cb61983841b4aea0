//! The image of the share page: the form that may carry an upload (multipart, or url-encoded
//! without one), the choices offered (the item's images, none, one's own), and what a network
//! would not take, said in the person's language.

use std::collections::BTreeMap;

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use chorus_ambassador::AmbassadorError;
use chorus_ambassador::connectors::images::ImageProblem;
use chorus_ambassador::images::ImageChoice;
use chorus_editorial::media::{self, MediaError};
use chorus_editorial::store::media::MediaInfo;
use chorus_policy::MediaId;
use serde::Serialize;

use crate::error::AppError;
use crate::views::Ctx;

/// The share form's fields, and the image file when one was sent.
pub struct ShareForm {
    /// The text fields (the last value of a repeated name).
    pub fields: BTreeMap<String, String>,
    /// The bytes of the `image_file` field, when a file was chosen.
    pub file: Option<Vec<u8>>,
}

impl<S: Send + Sync> FromRequest<S> for ShareForm {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let axum::Form(pairs) =
                axum::Form::<Vec<(String, String)>>::from_request(request, state)
                    .await
                    .map_err(|e| AppError::BadRequest(e.body_text()))?;
            return Ok(ShareForm {
                fields: pairs.into_iter().collect(),
                file: None,
            });
        }
        let mut form = Multipart::from_request(request, state)
            .await
            .map_err(|e| AppError::BadRequest(e.body_text()))?;
        let mut fields = BTreeMap::new();
        let mut file = None;
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| AppError::BadRequest(e.body_text()))?
        {
            let name = field.name().unwrap_or_default().to_owned();
            if name == "image_file" {
                let bytes = field.bytes().await.map_err(|_| AppError::PayloadTooLarge)?;
                file = (!bytes.is_empty()).then(|| bytes.to_vec());
            } else {
                let text = field
                    .text()
                    .await
                    .map_err(|e| AppError::BadRequest(e.body_text()))?;
                // As for url-encoded forms (`security::strip_nul`): NUL is never meant.
                fields.insert(name, text.replace('\0', ""));
            }
        }
        Ok(ShareForm { fields, file })
    }
}

/// One of the item's images, offered.
#[derive(Debug, Serialize)]
pub struct ImageOption {
    id: MediaId,
    alt: String,
    value: String,
}

/// The image part of the share page.
#[derive(Debug, Serialize)]
pub struct ImageView {
    /// The item's images.
    pub options: Vec<ImageOption>,
    /// What is chosen: `none`, `own`, or `item:{id}`.
    pub chosen: String,
    /// The description typed for one's own image.
    pub alt: String,
    /// Whether the person had chosen a file that the page shown again no longer holds.
    pub choose_again: bool,
}

impl ImageView {
    /// The choices for `images`, the item's first image chosen unless `chosen` says otherwise.
    pub fn new(images: &[MediaInfo], chosen: Option<&str>, alt: String) -> ImageView {
        let options: Vec<ImageOption> = images
            .iter()
            .map(|image| ImageOption {
                id: image.id,
                alt: image.alt.clone(),
                value: format!("item:{}", image.id),
            })
            .collect();
        let chosen = chosen
            .filter(|c| *c == "none" || *c == "own" || options.iter().any(|o| o.value == *c))
            .map(str::to_owned)
            .or_else(|| options.first().map(|o| o.value.clone()))
            .unwrap_or_else(|| "none".to_owned());
        ImageView {
            options,
            choose_again: false,
            chosen,
            alt,
        }
    }
}

/// What the form asks for: no image, one of the item's, or one's own (checked and cleaned);
/// `Err(message)` for a file missing, refused or damaged.
pub fn choice(
    ctx: &Ctx,
    chosen: &str,
    file: Option<Vec<u8>>,
    alt: &str,
) -> Result<Option<ImageChoice>, String> {
    if let Some(id) = chosen.strip_prefix("item:") {
        return id
            .parse()
            .map(|id| Some(ImageChoice::Item(id)))
            .map_err(|_| ctx.t("share.image_error_gone"));
    }
    if chosen != "own" {
        return Ok(None);
    }
    let bytes = file.ok_or_else(|| ctx.t("share.image_error_missing"))?;
    let image = media::clean(&bytes).map_err(|error| {
        ctx.t(match error {
            MediaError::TooLarge => "editor.image_error_too_large",
            MediaError::Unsupported => "editor.image_error_unsupported",
            MediaError::Corrupt => "editor.image_error_corrupt",
        })
    })?;
    Ok(Some(ImageChoice::Own {
        image,
        alt: alt.to_owned(),
    }))
}

/// A size in bytes as people read it ("1 MB", "8 MB", "1.4 MB").
fn size_text(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if bytes.is_multiple_of(MIB) {
        return format!("{} MB", bytes / MIB);
    }
    if bytes.is_multiple_of(1_000_000) {
        return format!("{} MB", bytes / 1_000_000);
    }
    #[expect(clippy::cast_precision_loss, reason = "a size said to one decimal")]
    let megabytes = bytes as f64 / 1_000_000.0;
    format!("{megabytes:.1} MB")
}

/// The message for an image error of the ambassador crate, or `None` for another error.
pub fn message(ctx: &Ctx, error: &AmbassadorError) -> Option<String> {
    let i18n = &ctx.app.views.i18n;
    let text = |key: &str, args: &[(&str, &str)]| i18n.text(ctx.locale, key, args);
    match error {
        AmbassadorError::ImageNeedsReconnect(network) => Some(text(
            "share.image_error_reconnect",
            &[("network", network.display_name())],
        )),
        AmbassadorError::Image { network, problem } => {
            let network = network.display_name();
            Some(match problem {
                ImageProblem::NoAlt => ctx.t("share.image_error_no_alt"),
                ImageProblem::AltTooLong { max, .. } => text(
                    "share.image_error_alt_long",
                    &[("network", network), ("max", &max.to_string())],
                ),
                ImageProblem::TooLarge { size, max, .. } => text(
                    "share.image_error_size",
                    &[
                        ("network", network),
                        ("max", &size_text(*max)),
                        ("size", &size_text(*size)),
                    ],
                ),
                ImageProblem::Type { mime, .. } => text(
                    "share.image_error_type",
                    &[
                        ("network", network),
                        ("type", &mime.trim_start_matches("image/").to_uppercase()),
                    ],
                ),
                ImageProblem::TooManyPixels {
                    width, height, max, ..
                } => text(
                    "share.image_error_pixels",
                    &[
                        ("network", network),
                        ("max", &max.to_string()),
                        ("width", &width.to_string()),
                        ("height", &height.to_string()),
                    ],
                ),
                ImageProblem::Shape {
                    width, height, max, ..
                } => text(
                    "share.image_error_shape",
                    &[
                        ("network", network),
                        ("max", &max.to_string()),
                        ("width", &width.to_string()),
                        ("height", &height.to_string()),
                    ],
                ),
                ImageProblem::NoDimensions => ctx.t("share.image_error_dimensions"),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::size_text;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size_text(1_000_000), "1 MB");
        assert_eq!(size_text(8 * 1024 * 1024), "8 MB");
        assert_eq!(size_text(1_400_000), "1.4 MB");
        assert_eq!(size_text(1_234_567), "1.2 MB");
    }
}
