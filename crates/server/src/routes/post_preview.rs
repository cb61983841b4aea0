//! The post as its network shows it, drawn the same way on the editor's form and on the share
//! page (`templates/hub/_preview.html`): the author, the text with links as the network shortens
//! them, LinkedIn's "…see more" fold, and the link card under it.

use chorus_editorial::measure::display::{self, Display};
use chorus_editorial::measure::{self, Measure};
use chorus_policy::Network;
use serde::Serialize;

/// One network's text, its counter and its post preview.
#[derive(Debug, Serialize)]
pub struct PostPreview {
    /// The network's name (`x`, `linkedin`...).
    pub network: &'static str,
    /// The network's name as people write it.
    pub label: &'static str,
    /// The text.
    pub text: String,
    /// Its length by the network's rules.
    pub measure: Measure,
    /// The text as the network shows it.
    pub display: Display,
    /// The id of the textarea the preview follows.
    pub field: String,
    /// The name shown on the post (empty: the person signed in).
    pub author: String,
    /// The account's handle, if the post goes through one.
    pub handle: String,
}

impl PostPreview {
    /// The preview of `text` on `network`, following the textarea `field`.
    #[must_use]
    pub fn new(network: Network, text: String, field: String) -> Self {
        PostPreview {
            network: network.as_str(),
            label: network.display_name(),
            measure: measure::measure(network, &text),
            display: display::display(network, &text),
            text,
            field,
            author: String::new(),
            handle: String::new(),
        }
    }

    /// The same preview, posted by a named account.
    #[must_use]
    pub fn by(mut self, author: String, handle: String) -> Self {
        self.author = author;
        self.handle = handle;
        self
    }
}

/// The link card the networks draw under a post with a link: the preview's title (else the
/// item's title), the site's name, and the preview image when it is served over HTTPS.
#[derive(Debug, Serialize)]
pub struct LinkCard {
    title: String,
    domain: String,
    image: Option<String>,
}

impl LinkCard {
    /// The card of an item's link, if it has one that parses.
    #[must_use]
    pub fn of(
        link: Option<&str>,
        preview_title: Option<&str>,
        title: &str,
        image: Option<&str>,
    ) -> Option<Self> {
        let link = url::Url::parse(link?.trim()).ok()?;
        let domain = link.host_str()?.trim_start_matches("www.").to_owned();
        let title = preview_title
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .unwrap_or(title)
            .to_owned();
        Some(LinkCard {
            title,
            domain,
            image: image
                .map(str::trim)
                .filter(|u| u.starts_with("https://"))
                .map(str::to_owned),
        })
    }
}
