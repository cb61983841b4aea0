//! Link previews: when an editor sets a link, Chorus fetches the page's title, description,
//! image and site name (OpenGraph, then Twitter card, then `<title>` and `<meta name=description>`)
//! so the editor can keep or edit them.
//!
//! Fetching a URL that a user typed is a server-side request forgery risk, so every request goes
//! through [`AddressGuard`]: only http(s), only public addresses, checked for IP literals before
//! connecting and for names after DNS resolution (a custom resolver, so DNS rebinding to an
//! internal address fails too). Redirects are followed here, not by reqwest, so each hop is
//! checked again. Bodies are read incrementally and cut at a size limit; the whole fetch,
//! redirects included, runs under one deadline. Proxies from the environment are ignored: a
//! proxy would resolve names itself and bypass the guard.
//!
//! A page larger than the limit is still previewed when the part read holds the whole `<head>`
//! (`</head>` or `<body>` was reached); otherwise the fetch fails with
//! [`PreviewError::TooLarge`]. Bodies are decoded by their declared charset, else as UTF-8, else
//! by `<meta charset>`, else as windows-1252, as browsers do.

mod extract;
mod guard;

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, LOCATION};
use reqwest::{Response, StatusCode, redirect};
use url::Url;

pub(crate) use extract::{html_to_text, tidy};
pub use guard::{
    AddressGuard, ForbiddenResolution, GuardedResolver, forbidden_resolution, is_public_address,
};

/// Largest page body read by default: 1 MiB.
pub const DEFAULT_MAX_BYTES: usize = 1024 * 1024;
/// Default deadline for a whole fetch, redirects included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 5;
/// Time allowed to open one TCP (and TLS) connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const USER_AGENT: &str = concat!("Chorus-LinkPreview/", env!("CARGO_PKG_VERSION"));

/// What an editor is offered for a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkPreview {
    /// The URL of the page, after redirects.
    pub url: String,
    /// Page title, entities decoded, at most 300 characters.
    pub title: Option<String>,
    /// Page description, entities decoded, at most 1000 characters.
    pub description: Option<String>,
    /// Absolute http(s) URL of the page's image.
    pub image_url: Option<String>,
    /// Name of the site, such as "Le Monde".
    pub site_name: Option<String>,
}

/// Why a page (or feed) could not be fetched. Each message tells the editor what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreviewError {
    /// Not a URL at all.
    #[error("this is not a valid web address; write the full address, starting with https://")]
    InvalidUrl,
    /// A scheme other than http or https.
    #[error("only http:// and https:// links can be previewed")]
    NotHttp,
    /// The host is, or resolves to, an address outside the public internet.
    #[error(
        "{host} is a private or internal address; Chorus only fetches previews from public websites"
    )]
    ForbiddenAddress {
        /// The host as written in the refused URL.
        host: String,
    },
    /// More than [`MAX_REDIRECTS`] redirects.
    #[error("the link redirects more than 5 times; link to the final page instead")]
    TooManyRedirects,
    /// The body passed the size limit before the data we need was complete.
    #[error(
        "the page is larger than {} KiB before its preview information ends; enter the title and description by hand",
        max_bytes / 1024
    )]
    TooLarge {
        /// The limit that was reached.
        max_bytes: usize,
    },
    /// The deadline passed.
    #[error("the site did not answer in time; try again later or enter the preview by hand")]
    Timeout,
    /// The final response was not a success.
    #[error("the site answered with HTTP status {0}; check that the link opens in a browser")]
    Status(u16),
    /// The page is not HTML.
    #[error(
        "the link points to {content_type}, not a web page; link to a page or enter the preview by hand"
    )]
    NotHtml {
        /// The media type the server declared.
        content_type: String,
    },
    /// An image address served something other than a JPEG, PNG, WebP or GIF image.
    #[error("the preview image is {content_type}, not a JPEG, PNG, WebP or GIF image")]
    NotAnImage {
        /// The media type the server declared.
        content_type: String,
    },
    /// A feed address served something other than a feed.
    #[error(
        "the address serves {content_type}, not an RSS or Atom feed; use the feed's own address"
    )]
    NotAFeed {
        /// The media type the server declared.
        content_type: String,
    },
    /// DNS, connection, TLS or transfer failure.
    #[error("the site could not be reached ({0}); check the address or try again later")]
    Network(String),
}

/// Fetches pages for previews (and feeds) through an [`AddressGuard`].
#[derive(Debug, Clone)]
pub struct PreviewFetcher {
    /// HTTP client that resolves names through the guard and never follows redirects itself.
    client: reqwest::Client,
    /// Which addresses may be reached.
    guard: AddressGuard,
    /// Largest page body read.
    max_bytes: usize,
    /// Deadline for a whole fetch.
    timeout: Duration,
}

/// What a fetch asks for; decides the `Accept` header, the media types taken and the refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accept {
    /// An HTML page.
    Html,
    /// An RSS, Atom or JSON feed.
    Feed,
    /// A JPEG, PNG, WebP or GIF image.
    Image,
}

impl Accept {
    fn header(self) -> &'static str {
        match self {
            Self::Html => "text/html, application/xhtml+xml;q=0.9",
            Self::Feed => {
                "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, application/feed+json;q=0.8"
            }
            Self::Image => "image/webp, image/png, image/jpeg, image/gif;q=0.8",
        }
    }

    fn allows(self, essence: &str) -> bool {
        match self {
            Self::Html => matches!(essence, "text/html" | "application/xhtml+xml"),
            Self::Feed => {
                essence.ends_with("+xml")
                    || matches!(
                        essence,
                        "application/xml"
                            | "text/xml"
                            | "application/json"
                            | "application/feed+json"
                    )
            }
            Self::Image => matches!(
                essence,
                "image/jpeg" | "image/png" | "image/webp" | "image/gif"
            ),
        }
    }

    fn refusal(self, content_type: String) -> PreviewError {
        match self {
            Self::Html => PreviewError::NotHtml { content_type },
            Self::Feed => PreviewError::NotAFeed { content_type },
            Self::Image => PreviewError::NotAnImage { content_type },
        }
    }
}

/// A body fetched by [`PreviewFetcher::fetch_bytes`].
#[derive(Debug)]
pub(crate) struct Fetched {
    /// Final URL, after redirects.
    pub(crate) url: Url,
    /// The body, at most the requested number of bytes.
    pub(crate) body: Vec<u8>,
    /// Whether the body was cut at the limit.
    pub(crate) truncated: bool,
    /// `charset` parameter of the `Content-Type` header.
    pub(crate) charset: Option<String>,
    /// The media type, lower-cased, without parameters.
    pub(crate) essence: String,
}

impl PreviewFetcher {
    /// A fetcher with the default limits (1 MiB, 5 s).
    ///
    /// # Errors
    ///
    /// [`PreviewError::Network`] if the HTTP client cannot be built (its TLS setup failed).
    pub fn new(guard: AddressGuard) -> Result<Self, PreviewError> {
        let client = reqwest::Client::builder()
            .redirect(redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver::new(guard)))
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(USER_AGENT)
            .referer(false)
            .build()
            .map_err(|error| PreviewError::Network(error.to_string()))?;
        Ok(Self {
            client,
            guard,
            max_bytes: DEFAULT_MAX_BYTES,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// The same fetcher with another page size limit and deadline.
    #[must_use]
    pub fn with_limits(self, max_bytes: usize, timeout: Duration) -> Self {
        Self {
            max_bytes,
            timeout,
            ..self
        }
    }

    /// Fetches the image at `url` (a preview image, for a link card) through the same guard:
    /// its bytes and media type, at most `max_bytes`.
    ///
    /// # Errors
    ///
    /// As [`PreviewFetcher::fetch`], with [`PreviewError::NotAnImage`] for anything but a JPEG,
    /// PNG, WebP or GIF image and [`PreviewError::TooLarge`] for an image over `max_bytes`.
    pub async fn fetch_image(
        &self,
        url: &str,
        max_bytes: usize,
    ) -> Result<(Vec<u8>, String), PreviewError> {
        let fetched = self.fetch_bytes(url, Accept::Image, max_bytes).await?;
        if fetched.truncated {
            return Err(PreviewError::TooLarge { max_bytes });
        }
        Ok((fetched.body, fetched.essence))
    }

    /// Fetches the page at `url` and reads its preview.
    ///
    /// # Errors
    ///
    /// [`PreviewError::InvalidUrl`] or [`PreviewError::NotHttp`] for an unusable address,
    /// [`PreviewError::ForbiddenAddress`] when it (or a redirect) leads outside the public
    /// internet, [`PreviewError::TooManyRedirects`], [`PreviewError::Timeout`],
    /// [`PreviewError::Status`] for a non-success answer, [`PreviewError::NotHtml`],
    /// [`PreviewError::TooLarge`] when the limit cuts the page before its `<head>` ends, and
    /// [`PreviewError::Network`] for connection failures.
    pub async fn fetch(&self, url: &str) -> Result<LinkPreview, PreviewError> {
        let fetched = self.fetch_bytes(url, Accept::Html, self.max_bytes).await?;
        let html = extract::decode_html(&fetched.body, fetched.charset.as_deref());
        let page = extract::scan_page(&html);
        if fetched.truncated && !page.head_complete {
            return Err(PreviewError::TooLarge {
                max_bytes: self.max_bytes,
            });
        }
        Ok(page.into_preview(&fetched.url, self.guard))
    }

    /// Fetches `url` through the guard, following up to [`MAX_REDIRECTS`] redirects and checking
    /// each hop, within the fetcher's deadline; reads at most `max_bytes` of the body.
    ///
    /// # Errors
    ///
    /// As [`PreviewFetcher::fetch`], with `accept` deciding the content-type refusal; a body cut
    /// at `max_bytes` is not an error here (see [`Fetched::truncated`]).
    pub(crate) async fn fetch_bytes(
        &self,
        url: &str,
        accept: Accept,
        max_bytes: usize,
    ) -> Result<Fetched, PreviewError> {
        tokio::time::timeout(self.timeout, self.follow(url, accept, max_bytes))
            .await
            .map_err(|_| PreviewError::Timeout)?
    }

    async fn follow(
        &self,
        url: &str,
        accept: Accept,
        max_bytes: usize,
    ) -> Result<Fetched, PreviewError> {
        let mut url = Url::parse(url.trim()).map_err(|_| PreviewError::InvalidUrl)?;
        let mut redirects = 0;
        loop {
            self.guard.check_url(&url)?;
            let response = self
                .client
                .get(url.clone())
                .header(ACCEPT, accept.header())
                .send()
                .await
                .map_err(|error| request_error(&error))?;
            let status = response.status();
            if is_followed_redirect(status) {
                if redirects == MAX_REDIRECTS {
                    return Err(PreviewError::TooManyRedirects);
                }
                redirects += 1;
                url = redirect_target(&url, response.headers())
                    .ok_or(PreviewError::Status(status.as_u16()))?;
                continue;
            }
            if !status.is_success() {
                return Err(PreviewError::Status(status.as_u16()));
            }
            let content_type = header_text(response.headers(), &CONTENT_TYPE).unwrap_or_default();
            let essence = content_type
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            if !accept.allows(&essence) {
                let shown = if essence.is_empty() {
                    "content of no declared type".to_owned()
                } else {
                    essence.clone()
                };
                return Err(accept.refusal(shown));
            }
            let charset = extract::charset_parameter(&content_type);
            let (body, truncated) = read_capped(response, max_bytes).await?;
            return Ok(Fetched {
                url,
                body,
                truncated,
                charset,
                essence,
            });
        }
    }
}

fn is_followed_redirect(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    )
}

/// The next hop: `Location` resolved against the current URL (it may be relative).
fn redirect_target(current: &Url, headers: &HeaderMap) -> Option<Url> {
    current.join(header_text(headers, &LOCATION)?.trim()).ok()
}

fn header_text(headers: &HeaderMap, name: &reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}

/// Reads the body chunk by chunk, stopping at `max_bytes`. Returns the bytes and whether the
/// body was cut.
async fn read_capped(
    mut response: Response,
    max_bytes: usize,
) -> Result<(Vec<u8>, bool), PreviewError> {
    let announced = response
        .content_length()
        .and_then(|length| usize::try_from(length).ok())
        .unwrap_or(0);
    let mut body = Vec::with_capacity(announced.min(max_bytes));
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| request_error(&error))?
    {
        let room = max_bytes - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// Turns a reqwest failure into what the editor is told; the resolver's refusal is found again
/// in the cause chain.
fn request_error(error: &reqwest::Error) -> PreviewError {
    if let Some(refusal) = forbidden_resolution(error) {
        return PreviewError::ForbiddenAddress {
            host: refusal.host.clone(),
        };
    }
    if error.is_timeout() {
        return PreviewError::Timeout;
    }
    let mut innermost: &dyn std::error::Error = error;
    while let Some(cause) = innermost.source() {
        innermost = cause;
    }
    let detail = if error.is_connect() {
        format!("could not connect: {innermost}")
    } else {
        innermost.to_string()
    };
    PreviewError::Network(detail)
}
