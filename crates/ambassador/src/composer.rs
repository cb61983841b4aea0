//! "Post it yourself": each network's own composer, opened in the person's browser with their
//! text (and the share's tracked link in it) filled in. No OAuth app, no token, no API fee: the
//! person posts from their own account, themselves, which is Chorus's principle. Chorus then
//! knows only what the person tells it ("I posted it"); it never guesses.
//!
//! | network  | composer                                   | keeps the text            |
//! | -------- | ------------------------------------------ | ------------------------- |
//! | X        | `https://x.com/intent/post?text=`          | yes                       |
//! | Bluesky  | `https://bsky.app/intent/compose?text=`    | yes                       |
//! | Threads  | `https://www.threads.com/intent/post?text=`| yes                       |
//! | Mastodon | `https://{their server}/share?text=`       | yes                       |
//! | LinkedIn | `https://www.linkedin.com/feed/?shareActive=true&text=` | not everywhere: its apps may open an empty composer, so the person copies the text first |

use crate::AmbassadorError;
use chorus_policy::Network;
use url::Url;

/// The composer of `network` opened with `text`. Mastodon needs the person's own server
/// (`https://` is added when it was left out).
///
/// # Errors
/// [`AmbassadorError::MastodonServerMissing`] or [`AmbassadorError::MastodonServerInvalid`] for a missing or unusable Mastodon server.
pub fn url(
    network: Network,
    mastodon_server: Option<&str>,
    text: &str,
) -> Result<Url, AmbassadorError> {
    let (base, param) = match network {
        Network::X => ("https://x.com/intent/post".to_owned(), "text"),
        Network::Bluesky => ("https://bsky.app/intent/compose".to_owned(), "text"),
        Network::Threads => ("https://www.threads.com/intent/post".to_owned(), "text"),
        Network::LinkedIn => ("https://www.linkedin.com/feed/".to_owned(), "text"),
        Network::Mastodon => {
            let server = mastodon_server
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or(AmbassadorError::MastodonServerMissing)?;
            (format!("{}/share", mastodon_origin(server)?), "text")
        }
    };
    let mut url = Url::parse(&base).map_err(|_| AmbassadorError::MastodonServerInvalid)?;
    {
        let mut query = url.query_pairs_mut();
        if network == Network::LinkedIn {
            query.append_pair("shareActive", "true");
        }
        query.append_pair(param, text);
    }
    Ok(url)
}

/// Whether the composer reliably arrives with the text filled in. Where it does not, the page
/// says so and offers "copy my text" first.
#[must_use]
pub fn keeps_text(network: Network) -> bool {
    network != Network::LinkedIn
}

/// `https://host[:port]` of a Mastodon server typed by a person (`mastodon.social`,
/// `https://mastodon.social/`, `https://mastodon.social/@me` all give the same).
///
/// # Errors
/// [`AmbassadorError::MastodonServerInvalid`] when it is not an https web address with a host.
pub fn mastodon_origin(server: &str) -> Result<String, AmbassadorError> {
    let server = server.trim();
    let with_scheme = if server.contains("://") {
        server.to_owned()
    } else {
        format!("https://{server}")
    };
    let url = Url::parse(&with_scheme).map_err(|_| AmbassadorError::MastodonServerInvalid)?;
    match (url.scheme(), url.host_str()) {
        ("https", Some(host)) if host.contains('.') => Ok(url.origin().ascii_serialization()),
        _ => Err(AmbassadorError::MastodonServerInvalid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(url: &Url) -> String {
        url.query_pairs()
            .find(|(k, _)| k == "text")
            .map(|(_, v)| v.into_owned())
            .unwrap()
    }

    #[test]
    fn each_composer_carries_the_text_exactly() {
        let text = "Fier de notre équipe 🌞 & de Lyon #solaire https://chorus.example/l/Ab3";
        for network in Network::ALL {
            let url = url(network, Some("mastodon.social"), text).unwrap();
            assert_eq!(url.scheme(), "https");
            assert_eq!(text_of(&url), text, "{network}");
        }
        assert_eq!(
            url(Network::X, None, "hi").unwrap().as_str(),
            "https://x.com/intent/post?text=hi"
        );
        assert_eq!(
            url(Network::LinkedIn, None, "hi").unwrap().as_str(),
            "https://www.linkedin.com/feed/?shareActive=true&text=hi"
        );
    }

    #[test]
    fn mastodon_opens_on_the_persons_own_server() {
        for typed in [
            "mastodon.social",
            "https://mastodon.social/",
            " https://mastodon.social/@amir ",
        ] {
            assert_eq!(
                url(Network::Mastodon, Some(typed), "hi").unwrap().as_str(),
                "https://mastodon.social/share?text=hi"
            );
        }
        assert!(matches!(
            url(Network::Mastodon, None, "hi"),
            Err(AmbassadorError::MastodonServerMissing)
        ));
        for bad in [
            "http://mastodon.social",
            "localhost",
            "not a server",
            "javascript:alert(1)",
        ] {
            assert!(
                matches!(
                    url(Network::Mastodon, Some(bad), "hi"),
                    Err(AmbassadorError::MastodonServerInvalid)
                ),
                "{bad}"
            );
        }
    }
}
