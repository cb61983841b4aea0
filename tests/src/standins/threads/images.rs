//! Threads images: Threads takes no upload but fetches `image_url` itself when an IMAGE container
//! is created. The stand-in fetches it for real over HTTP, outside the store's lock; an address it
//! cannot reach, an answer other than 200, a file over 8 MB, one that is not a JPEG or PNG (read
//! from its bytes) or shaped beyond 10:1 makes the container `ERROR` with an `error_message`
//! saying why, as Meta's does.

use std::time::Duration;

use crate::standins::ReceivedImage;
use crate::standins::uploads::{dimensions, sniff};

/// The largest image Threads takes: 8 MB.
pub const MAX_IMAGE_BYTES: usize = 8 * 1024 * 1024;
/// The longest `alt_text`.
pub const MAX_ALT_TEXT: usize = 1000;
/// The longest side over the shortest, at most.
const MAX_RATIO: u32 = 10;
/// How long the fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Meta's words for an image it could not take from its address.
const DOWNLOAD_FAILED: &str =
    "Media download has failed. The media URI doesn't meet our requirements.";

fn failed(reason: &str) -> String {
    format!("{DOWNLOAD_FAILED} ({reason})")
}

/// Fetches `url` as Threads does for an IMAGE container: the image with `alt`, or the
/// container's `error_message`.
pub(super) async fn fetch(url: &str, alt: &str) -> Result<ReceivedImage, String> {
    let parsed =
        url::Url::parse(url).map_err(|_| failed(&format!("{url} is not an absolute URL")))?;
    if !["http", "https"].contains(&parsed.scheme()) {
        return Err(failed(&format!("{url} is not an http(s) address")));
    }
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .map_err(|error| failed(&format!("no HTTP client: {error}")))?;
    let answer = client
        .get(parsed)
        .send()
        .await
        .map_err(|error| failed(&format!("{url} could not be reached: {error}")))?;
    if answer.status() != reqwest::StatusCode::OK {
        return Err(failed(&format!("{url} answered HTTP {}", answer.status())));
    }
    let too_large = |size: usize| {
        failed(&format!(
            "the image is {size} bytes; at most {MAX_IMAGE_BYTES} bytes (8 MB) are taken"
        ))
    };
    if let Some(size) = answer.content_length() {
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if size > MAX_IMAGE_BYTES {
            return Err(too_large(size));
        }
    }
    let bytes = answer
        .bytes()
        .await
        .map_err(|error| failed(&format!("the download from {url} broke off: {error}")))?;
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(too_large(bytes.len()));
    }
    let mime = sniff(&bytes)
        .filter(|mime| ["image/jpeg", "image/png"].contains(mime))
        .ok_or_else(|| failed("the file is not a JPEG or PNG image"))?;
    let shape = dimensions(&bytes).filter(|(w, h)| *w > 0 && *h > 0);
    if let Some((width, height)) = shape
        && width.max(height) > width.min(height).saturating_mul(MAX_RATIO)
    {
        return Err(format!(
            "The image is {width}×{height} pixels: its aspect ratio is beyond {MAX_RATIO}:1."
        ));
    }
    Ok(ReceivedImage {
        mime: mime.to_owned(),
        bytes: bytes.to_vec(),
        alt: alt.to_owned(),
    })
}
