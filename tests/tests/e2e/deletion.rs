//! Deleting a published share from its network, from the history: only by its owner, after a
//! confirmation step, with the network's refusal shown in plain words and the share kept
//! published when the network says no.

use chorus_tests::Client;
use chorus_tests::html::number_after;
use chorus_tests::shares::{share_now, wait_for_state};
use chorus_tests::standins::Fault;
use chorus_tests::world::StandInWorld;

/// Shares "now" to the ticked accounts (X and/or Mastodon) and waits until they are published.
async fn publish(w: &StandInWorld, x_text: Option<&str>, mastodon_text: Option<&str>) {
    let (x_id, m_id) = w.account_ids().await;
    let texts: Vec<(String, &str)> = [(x_id, x_text), (m_id, mastodon_text)]
        .into_iter()
        .filter_map(|(id, text)| Some((id, text?)))
        .collect();
    share_now(&w.ana, w.item, &texts).await;
    wait_for_state(&w.ana, "published", texts.len()).await;
}

/// The history card of the share on `network` ("X", "Mastodon").
fn card<'a>(history: &'a str, network: &str) -> &'a str {
    history
        .split(r#"<li class="card share""#)
        .find(|card| card.contains(&format!(r#"<span class="network-name">{network}</span>"#)))
        .unwrap_or_else(|| panic!("no {network} share in {history}"))
}

/// The id of the share on `network`, from its card's delete form.
fn share_id(history: &str, network: &str) -> String {
    number_after(card(history, network), "/hub/shares/")
}

async fn history(client: &Client) -> String {
    client.get("/hub/shares").await.body
}

#[tokio::test]
async fn an_owner_deletes_her_x_and_mastodon_posts_and_the_history_keeps_them() {
    let w = StandInWorld::start().await;
    publish(
        &w,
        Some("Gone soon on X, my words"),
        Some("Gone soon on Mastodon, my words"),
    )
    .await;
    let before = history(&w.ana).await;
    for network in ["X", "Mastodon"] {
        let card = card(&before, network);
        assert!(card.contains(&format!("Delete from {network}…")), "{card}");
        assert!(
            card.contains("<details") && card.contains(&format!("Yes, delete it from {network}")),
            "the button sits behind a confirmation step: {card}"
        );
    }
    let (x_share, m_share) = (share_id(&before, "X"), share_id(&before, "Mastodon"));
    let x_post = w.x.posts()[0].id.clone();
    let m_post = w.mastodon.posts()[0].id.clone();

    let done = w
        .ana
        .post_form(&format!("/hub/shares/{x_share}/delete"), &[])
        .await;
    assert_eq!(done.location(), "/hub/shares?done=deleted&network=x");
    let shown = w.ana.follow(done).await;
    assert!(
        shown.body.contains("The post was deleted from X."),
        "{}",
        shown.body
    );
    assert!(w.x.live_posts().is_empty(), "the post is gone from X");
    assert_eq!(w.x.deletions()[0].id, x_post);
    assert_eq!(
        w.mastodon.live_posts().len(),
        1,
        "only the share asked for is deleted"
    );

    let done = w
        .ana
        .post_form(&format!("/hub/shares/{m_share}/delete"), &[])
        .await;
    assert_eq!(done.location(), "/hub/shares?done=deleted&network=mastodon");
    assert!(w.mastodon.live_posts().is_empty());
    assert_eq!(w.mastodon.deletions()[0].id, m_post);

    let after = history(&w.ana).await;
    assert_eq!(after.matches(r#"data-state="deleted""#).count(), 2);
    for network in ["X", "Mastodon"] {
        let card = card(&after, network);
        assert!(card.contains("deleted from the network"), "{card}");
        assert!(card.contains("Gone soon on"), "the text stays: {card}");
        assert!(!card.contains("Open the post"), "no link to a deleted post");
        assert!(!card.contains("/delete"), "nothing more to delete");
    }
    // Deleting again is not possible: the share is no longer live.
    let again = w
        .ana
        .post_form(&format!("/hub/shares/{x_share}/delete"), &[])
        .await;
    assert_eq!(again.status, 404);
    // The statistics still count both shares as published.
    let stats = w.ana.get("/hub/stats").await.body;
    assert!(
        stats.contains(r#"data-testid="my-shares">2<"#),
        "deleted shares still count: {stats}"
    );
}

#[tokio::test]
async fn nobody_else_can_delete_a_share_and_a_missing_csrf_token_is_refused() {
    let w = StandInWorld::start().await;
    publish(&w, Some("Mine alone, my words"), None).await;
    let x_share = share_id(&history(&w.ana).await, "X");
    let bob = w.app.ambassador("bob@example.org").await;
    let refused = bob
        .post_form(&format!("/hub/shares/{x_share}/delete"), &[])
        .await;
    assert_eq!(
        refused.status, 404,
        "another person's share does not exist for them"
    );
    let forged = w
        .ana
        .post_raw(&format!("/hub/shares/{x_share}/delete"), &[])
        .await;
    assert_eq!(forged.status, 403, "no CSRF token, no deletion");
    assert_eq!(w.x.live_posts().len(), 1, "the post is still on X");
    assert!(w.x.deletions().is_empty());
    let history = history(&w.ana).await;
    assert!(card(&history, "X").contains(r#"data-state="published""#));
}

#[tokio::test]
async fn a_deletion_the_network_refuses_keeps_the_share_published_and_says_why() {
    let w = StandInWorld::start().await;
    publish(
        &w,
        Some("Sticky on X, my words"),
        Some("Sticky on Mastodon, my words"),
    )
    .await;
    let before = history(&w.ana).await;
    let (x_share, m_share) = (share_id(&before, "X"), share_id(&before, "Mastodon"));

    w.x.fail_next_on("/2/tweets/", Fault::Status(500));
    let page = w
        .ana
        .post_form(&format!("/hub/shares/{x_share}/delete"), &[])
        .await;
    assert_eq!(page.status, 502);
    let x_card = card(&page.body, "X");
    assert!(
        x_card.contains("X did not confirm the deletion")
            && x_card.contains("The post may still be there: try again later."),
        "{x_card}"
    );
    assert!(x_card.contains(r#"data-state="published""#));
    assert_eq!(w.x.live_posts().len(), 1);

    w.mastodon
        .fail_next_on("/api/v1/statuses/", Fault::Status(401));
    let page = w
        .ana
        .post_form(&format!("/hub/shares/{m_share}/delete"), &[])
        .await;
    assert_eq!(page.status, 502);
    let m_card = card(&page.body, "Mastodon");
    assert!(
        m_card.contains("Mastodon no longer accepts this account") && m_card.contains("Reconnect"),
        "{m_card}"
    );
    assert_eq!(w.mastodon.live_posts().len(), 1);
    let after = history(&w.ana).await;
    assert_eq!(after.matches(r#"data-state="published""#).count(), 2);
    assert!(
        !after.contains("data-delete-error"),
        "the error was for that answer only"
    );
    assert!(!after.contains("access_token") && !page.body.contains("Bearer"));

    // Once X answers again, the same share can be deleted.
    let done = w
        .ana
        .post_form(&format!("/hub/shares/{x_share}/delete"), &[])
        .await;
    assert_eq!(done.location(), "/hub/shares?done=deleted&network=x");
    assert!(w.x.live_posts().is_empty());
}
