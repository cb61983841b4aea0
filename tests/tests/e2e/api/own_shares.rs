//! Issue 19: an ambassador's own tools share as the share page does: through one of their
//! accounts with one of the item's images, or "post it yourself" through the network's own
//! composer (no connected account needed), and settle their shares afterwards ("I posted it",
//! "send it again"), each the token owner's own act.

use chorus_tests::shares::{add_item_image, wait_for_state};
use serde_json::json;

use super::{Integration, make_token};

#[tokio::test]
async fn an_ambassadors_tool_posts_it_themselves_through_the_composer_and_shares_with_the_items_image()
 {
    let w = chorus_tests::world::StandInWorld::start().await;
    let mine = Integration::new(
        &w.app,
        &make_token(
            &w.ana,
            "Widget",
            &["hub:read", "shares:read", "shares:write"],
        )
        .await,
    );
    // "Post it yourself" on Bluesky, where Ana has no account connected: the answer holds the
    // composer with her words and the tracked link; nothing is sent by Chorus.
    let composer = mine
        .post(
            "/me/shares",
            &json!({"item_id": w.item, "network": "bluesky", "text": "Our plant runs on the sun"}),
        )
        .await;
    assert_eq!(composer.status, 201, "{}", composer.body);
    assert_eq!(composer.body["state"], "handed_over");
    assert_eq!(composer.body["network"], "bluesky");
    let url = composer.body["composer_url"].as_str().unwrap();
    assert!(
        url.starts_with("https://bsky.app/intent/compose?text="),
        "{url}"
    );
    assert!(url.contains("Our+plant+runs+on+the+sun"), "{url}");
    let id = composer.body["id"].as_i64().unwrap();
    // She says she posted it: it counts as published, and the page's history agrees.
    let actions = format!("/me/shares/{id}/actions");
    let posted = mine.post(&actions, &json!({"action": "posted"})).await;
    assert_eq!(posted.status, 200, "{}", posted.body);
    assert_eq!(posted.body["state"], "published");
    mine.post(&actions, &json!({"action": "posted"}))
        .await
        .problem(409, "not_allowed_now");
    mine.post(&actions, &json!({"action": "fly"}))
        .await
        .problem(422, "invalid");
    wait_for_state(&w.ana, "published", 1).await;
    // Mastodon's composer is on her own server, which she names.
    let no_server = mine
        .post(
            "/me/shares",
            &json!({"item_id": w.item, "network": "mastodon", "text": "Mine"}),
        )
        .await;
    no_server.problem(422, "invalid");
    assert_eq!(no_server.fields(), ["mastodon_server"]);
    let toot = mine
        .post(
            "/me/shares",
            &json!({"item_id": w.item, "network": "mastodon", "mastodon_server": "social.example.org", "text": "Mine"}),
        )
        .await;
    assert_eq!(toot.status, 201, "{}", toot.body);
    assert!(
        toot.body["composer_url"]
            .as_str()
            .unwrap()
            .starts_with("https://social.example.org/share?text=")
    );
    let dropped = mine
        .post(
            &format!("/me/shares/{}/actions", toot.body["id"]),
            &json!({"action": "not_posted"}),
        )
        .await;
    assert_eq!(dropped.body["state"], "cancelled");
    // A composer share goes now and as text; an account and a network are not both named.
    let (x_id, _) = w.account_ids().await;
    let x_account: i64 = x_id.parse().unwrap();
    let both = mine
        .post(
            "/me/shares",
            &json!({"item_id": w.item, "network": "x", "account_id": x_account, "text": "Mine"}),
        )
        .await;
    both.problem(422, "invalid");
    assert_eq!(both.fields(), ["network"]);
    let later = mine
        .post(
            "/me/shares",
            &json!({"item_id": w.item, "network": "x", "text": "Mine", "at": "2099-01-01T09:00:00Z"}),
        )
        .await;
    assert_eq!(later.fields(), ["at"]);
    let neither = mine
        .post("/me/shares", &json!({"item_id": w.item, "text": "Mine"}))
        .await;
    assert_eq!(neither.fields(), ["account_id"]);
    assert!(w.x.posts().is_empty(), "nothing went through an account");

    // Through her X account with the item's image: the hub lists the image, the post carries
    // it with the editors' description.
    let editor = w.app.client();
    editor
        .sign_in("eli@example.org", chorus_tests::PASSWORD)
        .await;
    let media = add_item_image(
        &editor,
        w.item,
        &chorus_tests::TINY_PNG,
        "Solar panels on the roof",
    )
    .await;
    let item = mine.get(&format!("/hub/{}", w.item)).await;
    assert_eq!(item.status, 200, "{}", item.body);
    assert_eq!(
        item.body["images"],
        json!([{"id": media, "alt": "Solar panels on the roof", "url": format!("/media/{media}")}])
    );
    let hub = mine.get("/hub").await;
    let listed = hub.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == w.item)
        .unwrap();
    assert_eq!(listed["images"][0]["id"], media);
    let other_image = mine
        .post(
            "/me/shares",
            &json!({"item_id": w.item, "account_id": x_account, "text": "With a picture", "image_id": media + 1000}),
        )
        .await;
    other_image.problem(422, "invalid");
    assert_eq!(other_image.fields(), ["image_id"]);
    let with_image = mine
        .post(
            "/me/shares",
            &json!({"item_id": w.item, "account_id": x_account, "text": "With a picture", "image_id": media}),
        )
        .await;
    assert_eq!(with_image.status, 201, "{}", with_image.body);
    wait_for_state(&w.ana, "published", 2).await;
    let posts = w.x.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert!(posts[0].text.contains("With a picture"));
    assert_eq!(posts[0].images.len(), 1, "the image went with the post");
    assert_eq!(posts[0].images[0].alt, "Solar panels on the roof");

    // Someone else cannot act on her shares; an editor's token has no share scope.
    let bob = w.app.ambassador("bob@example.org").await;
    let bobs = Integration::new(&w.app, &make_token(&bob, "Mine", &["shares:write"]).await);
    bobs.post(
        &format!("/me/shares/{}/actions", with_image.body["id"]),
        &json!({"action": "cancel"}),
    )
    .await
    .problem(404, "not_found");
}
