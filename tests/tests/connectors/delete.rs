//! Deleting a post where the network allows it, against the stand-ins' delete routes
//! (`DELETE /api/v1/statuses/:id`, `DELETE /2/tweets/:id`, `DELETE /rest/posts/{encoded urn}`):
//! the post is gone afterwards, refusals are classified, and Threads says it offers none.

use chorus_ambassador::connectors::{
    Connector, LinkedIn, LinkedInEndpoints, Mastodon, MastodonEndpoints, PublishError, Threads,
    ThreadsEndpoints, X, XEndpoints,
};
use chorus_tests::standins::{Fault, LinkedIn as LinkedInStandIn, Mastodon as MastodonStandIn};
use chorus_tests::standins::{StandIn, X as XStandIn};

use crate::{account, assert_no_token, base, http, post};

#[tokio::test]
async fn posts_are_deleted_where_the_network_allows_it() {
    let mastodon = StandIn::<MastodonStandIn>::start().await;
    let x = StandIn::<XStandIn>::start().await;
    let linkedin = StandIn::<LinkedInStandIn>::start().await;
    let connectors = [
        (
            Connector::Mastodon(Mastodon::new(
                http(),
                MastodonEndpoints {
                    instance: base(&mastodon),
                },
            )),
            account(
                &mastodon.default_user(),
                &mastodon.issue_token(&mastodon.default_user(), &["write:statuses"]),
            ),
        ),
        (
            Connector::X(X::new(http(), XEndpoints::at(&base(&x)))),
            account(
                &x.default_user(),
                &x.issue_token(
                    &x.default_user(),
                    &["tweet.read", "tweet.write", "users.read"],
                ),
            ),
        ),
        (
            Connector::LinkedIn(LinkedIn::new(
                http(),
                LinkedInEndpoints::at(&base(&linkedin)),
            )),
            account(
                &linkedin.default_user(),
                &linkedin.issue_token(&linkedin.default_user(), &["w_member_social"]),
            ),
        ),
    ];
    let mut ids = Vec::new();
    for (connector, account) in &connectors {
        let published = connector
            .publish(account, &post("Soon gone, my words"))
            .await
            .unwrap();
        connector
            .delete(account, &published.external_id)
            .await
            .unwrap();
        ids.push(published.external_id);
    }
    assert_eq!(mastodon.deletions()[0].id, ids[0]);
    assert_eq!(x.deletions()[0].id, ids[1]);
    assert_eq!(linkedin.deletions()[0].id, ids[2]);
    assert!(ids[2].starts_with("urn:li:share:"));
    assert!(mastodon.live_posts().is_empty());
    assert!(x.live_posts().is_empty());
    assert!(linkedin.live_posts().is_empty());
    let linkedin_delete = linkedin
        .requests()
        .into_iter()
        .find(|request| request.method == "DELETE")
        .unwrap();
    assert!(linkedin_delete.path.contains("urn%3Ali%3Ashare%3A"));
    assert_eq!(linkedin_delete.header("linkedin-version"), Some("202604"));
    assert_eq!(
        linkedin_delete.header("x-restli-protocol-version"),
        Some("2.0.0")
    );
}

#[tokio::test]
async fn refusals_are_classified_and_threads_says_it_offers_none() {
    let mastodon = StandIn::<MastodonStandIn>::start().await;
    let connector = Connector::Mastodon(Mastodon::new(
        http(),
        MastodonEndpoints {
            instance: base(&mastodon),
        },
    ));
    let token = mastodon.issue_token(&mastodon.default_user(), &["write:statuses"]);
    let alice = account(&mastodon.default_user(), &token);
    let error = connector.delete(&alice, "999").await.unwrap_err();
    assert_eq!(
        error,
        PublishError::Rejected {
            message: "Record not found".to_owned()
        }
    );
    let published = connector.publish(&alice, &post("Kept")).await.unwrap();
    mastodon.fail_next_on("/api/v1/statuses/", Fault::ExpiredToken);
    let error = connector
        .delete(&alice, &published.external_id)
        .await
        .unwrap_err();
    assert!(
        matches!(error, PublishError::Unauthorized { .. }),
        "{error:?}"
    );
    assert_no_token(&error, &token.access_token);
    assert_eq!(mastodon.live_posts().len(), 1, "the post is still there");

    let threads = Connector::Threads(Threads::new(http(), ThreadsEndpoints::at(&base(&mastodon))));
    let error = threads.delete(&alice, "1").await.unwrap_err();
    assert!(matches!(error, PublishError::Unsupported { .. }));
    assert_eq!(
        error.to_string(),
        "Threads does not allow deleting a post through its API"
    );
}
