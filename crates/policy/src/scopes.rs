//! The OAuth scopes Chorus may ask each network for: enough to publish and to know whose account
//! it is, never enough to read timelines, messages or connections.
//!
//! The connectors in the ambassador crate take their scopes from [`scopes`] and run
//! [`check_requested`] on what they send, so a connector that asks for more fails its tests.
//!
//! Choices the networks force on us:
//! - **Bluesky** gets `atproto transition:generic`. The granular form
//!   (`repo:app.bsky.feed.post?action=create`) would be narrower, but the reference PDS and most
//!   servers today only grant the transitional scope, which matches an app password's rights.
//!   It does not include `transition:chat.bsky` (direct messages), which is refused.
//! - **Mastodon** gets `profile` (Mastodon 4.3 and later) for the member's own identity, not
//!   `read:accounts`, which would also read other accounts and follow lists.
//! - **X** requires `tweet.read` and `users.read` alongside `tweet.write` to post and to know who
//!   posted; `offline.access` gives the refresh token that lets a scheduled post go out while
//!   the person is away; `media.write` uploads the images people choose to post (it reads
//!   nothing).
//! - **Threads** separates scopes with commas; every other network with spaces.

use crate::{Network, PolicyError};

/// The scopes Chorus asks `network` for, and the only ones it may ask for.
pub fn scopes(network: Network) -> &'static [&'static str] {
    match network {
        Network::Bluesky => &["atproto", "transition:generic"],
        Network::Mastodon => &["write:statuses", "write:media", "profile"],
        Network::LinkedIn => &["openid", "profile", "w_member_social"],
        Network::X => &[
            "tweet.read",
            "tweet.write",
            "users.read",
            "offline.access",
            "media.write",
        ],
        Network::Threads => &["threads_basic", "threads_content_publish"],
    }
}

/// How `network` separates scopes in the `scope` parameter.
pub fn scope_separator(network: Network) -> &'static str {
    match network {
        Network::Threads => ",",
        Network::Bluesky | Network::Mastodon | Network::LinkedIn | Network::X => " ",
    }
}

/// The `scope` parameter for `network`: [`scopes`] joined by [`scope_separator`].
pub fn scope_parameter(network: Network) -> String {
    scopes(network).join(scope_separator(network))
}

/// Checks the scopes a connector is about to ask for.
///
/// # Errors
/// [`PolicyError::ScopeReadsPrivateData`] for a scope that reads timelines, messages,
/// connections, likes or insights; [`PolicyError::ScopeNotAllowed`] for any other scope that is
/// not in [`scopes`].
pub fn check_requested(network: Network, requested: &[&str]) -> Result<(), PolicyError> {
    let allowed = scopes(network);
    for scope in requested.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if allowed.contains(&scope) {
            continue;
        }
        let scope_owned = scope.to_owned();
        return Err(if reads_private_data(scope) {
            PolicyError::ScopeReadsPrivateData {
                network,
                scope: scope_owned,
            }
        } else {
            PolicyError::ScopeNotAllowed {
                network,
                scope: scope_owned,
            }
        });
    }
    Ok(())
}

/// Whether a scope (of any network) reads what a person did not choose to share with Chorus.
fn reads_private_data(scope: &str) -> bool {
    const EXACT: [&str; 6] = [
        "read",
        "follow",
        "push",
        "email",
        "transition:chat.bsky",
        "admin",
    ];
    const PREFIXES: [&str; 9] = [
        "read:",
        "admin:",
        "r_",
        "dm.",
        "threads_read",
        "threads_manage",
        "threads_keyword",
        "threads_profile_discovery",
        "rpc:chat.bsky",
    ];
    EXACT.contains(&scope)
        || PREFIXES.iter().any(|prefix| scope.starts_with(prefix))
        || scope
            .rsplit_once('.')
            .is_some_and(|(_, action)| action == "read")
        || scope.contains("insights")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_network_gets_exactly_the_publishing_scopes() {
        assert_eq!(
            scope_parameter(Network::Bluesky),
            "atproto transition:generic"
        );
        assert_eq!(
            scope_parameter(Network::Mastodon),
            "write:statuses write:media profile"
        );
        assert_eq!(
            scope_parameter(Network::LinkedIn),
            "openid profile w_member_social"
        );
        assert_eq!(
            scope_parameter(Network::X),
            "tweet.read tweet.write users.read offline.access media.write"
        );
        assert_eq!(
            scope_parameter(Network::Threads),
            "threads_basic,threads_content_publish"
        );
        for network in Network::ALL {
            assert_eq!(
                check_requested(network, scopes(network)),
                Ok(()),
                "{network}"
            );
            assert_eq!(check_requested(network, &[]), Ok(()));
        }
    }

    #[test]
    fn scopes_that_read_timelines_messages_or_connections_are_refused() {
        let reading = [
            (
                Network::Mastodon,
                [
                    "read",
                    "read:statuses",
                    "read:accounts",
                    "read:follows",
                    "follow",
                ],
            ),
            (
                Network::LinkedIn,
                [
                    "r_liteprofile",
                    "r_emailaddress",
                    "r_basicprofile",
                    "r_1st_connections",
                    "r_member_social",
                ],
            ),
            (
                Network::X,
                [
                    "dm.read",
                    "follows.read",
                    "like.read",
                    "list.read",
                    "bookmark.read",
                ],
            ),
            (
                Network::Threads,
                [
                    "threads_read_replies",
                    "threads_manage_insights",
                    "threads_manage_replies",
                    "threads_keyword_search",
                    "threads_manage_mentions",
                ],
            ),
            (
                Network::Bluesky,
                [
                    "transition:chat.bsky",
                    "rpc:chat.bsky.convo.getLog",
                    "read",
                    "read:statuses",
                    "follow",
                ],
            ),
        ];
        for (network, refused) in reading {
            for scope in refused {
                let err = check_requested(network, &[scopes(network)[0], scope]).unwrap_err();
                assert!(
                    matches!(err, PolicyError::ScopeReadsPrivateData { .. }),
                    "{network} {scope}: {err}"
                );
            }
        }
    }

    #[test]
    fn any_other_extra_scope_is_refused_too() {
        let err =
            check_requested(Network::X, &["tweet.write", "tweet.moderate.write"]).unwrap_err();
        assert_eq!(
            err,
            PolicyError::ScopeNotAllowed {
                network: Network::X,
                scope: "tweet.moderate.write".into()
            }
        );
        // A scope allowed on one network is not allowed on another.
        assert!(check_requested(Network::Mastodon, &["w_member_social"]).is_err());
        assert!(
            check_requested(Network::Bluesky, &["repo:app.bsky.feed.post?action=create"]).is_err()
        );
        assert!(err.to_string().contains("only needs to publish"));
    }
}
