//! "Post it yourself": a new ambassador with no connected account shares through each
//! network's own composer. The composer address carries their text with the share's own
//! tracked link; the share waits, never touched by the worker, until they say "I posted it";
//! then it is counted, and clicks on its link show on "My figures".

use std::time::Duration;

use chorus_tests::html::{hrefs, testid};
use chorus_tests::shares::submit_share_form;
use chorus_tests::{Client, TestApp};

const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";

fn text_of(composer: &str) -> String {
    url::Url::parse(composer)
        .unwrap()
        .query_pairs()
        .find(|(key, _)| key == "text")
        .map_or_else(
            || panic!("no text in {composer}"),
            |(_, value)| value.into_owned(),
        )
}

async fn world() -> (TestApp, Client, i32) {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    let item = editor
        .publish_item(&[
            ("title", "Solar in Lyon"),
            ("body", "Our new plant."),
            ("why", "It shows who we are."),
            ("link", "https://example.com/solar"),
            ("language", "en"),
        ])
        .await;
    let amir = app.ambassador("amir@example.org").await;
    (app, amir, item)
}

#[tokio::test]
async fn a_new_ambassador_posts_it_themselves_on_linkedin_x_and_mastodon_and_sees_the_click() {
    let (app, amir, item) = world().await;
    let page = amir.get(&format!("/hub/items/{item}/share")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Post it yourself"), "{}", page.body);
    for network in ["bluesky", "mastodon", "linkedin", "x", "threads"] {
        assert!(
            page.body
                .contains(&format!(r#"name="select_own_{network}""#)),
            "a composer editor for {network}"
        );
    }

    let shared = submit_share_form(
        &amir,
        item,
        &[
            (
                "own_linkedin",
                "Proud of our team in Lyon https://example.com/solar",
            ),
            ("own_x", "Lyon goes solar 🌞 https://example.com/solar"),
            ("own_mastodon", "Solaire à Lyon https://example.com/solar"),
        ],
        &[("mastodon_server", "mastodon.example")],
    )
    .await;
    assert_eq!(shared.status, 303, "{}", shared.body);
    assert!(shared.location().starts_with("/hub/shares/ready?ids="));
    let ready = amir.get(&shared.location()).await;
    assert_eq!(ready.status, 200);
    assert!(ready.body.contains("Copy my text"));

    let x = hrefs(&ready.body, "https://x.com/intent/post?");
    let linkedin = hrefs(
        &ready.body,
        "https://www.linkedin.com/feed/?shareActive=true&",
    );
    let mastodon = hrefs(&ready.body, "https://mastodon.example/share?");
    assert_eq!(
        (x.len(), linkedin.len(), mastodon.len()),
        (1, 1, 1),
        "{}",
        ready.body
    );
    let x_text = text_of(&x[0]);
    assert!(x_text.starts_with("Lyon goes solar 🌞 "), "{x_text}");
    assert!(
        !x_text.contains("example.com"),
        "the item's link became the tracked link"
    );
    let tracked = x_text.rsplit(' ').next().unwrap().to_owned();
    assert!(tracked.starts_with(&app.url("/l/")), "{tracked}");
    let linkedin_text = text_of(&linkedin[0]);
    assert!(linkedin_text.starts_with("Proud of our team in Lyon "));
    assert!(
        ready.body.contains("LinkedIn may open an empty composer"),
        "LinkedIn's composer may drop the text: the page says so"
    );
    let linkedin_link = linkedin_text.rsplit(' ').next().unwrap();
    assert_ne!(
        linkedin_link, tracked,
        "each share has its own tracked link"
    );

    // The worker never touches a share handed to a composer.
    app.wait_for_worker_to_settle().await;
    let history = amir.get("/hub/shares").await;
    assert_eq!(
        history.body.matches(r#"data-state="handed_over""#).count(),
        3
    );
    // Each card names the item it came from, linked to it.
    assert_eq!(
        history
            .body
            .matches(&format!(r#"<a href="/hub/items/{item}">Solar in Lyon</a>"#))
            .count(),
        3,
        "{}",
        history.body
    );

    // "I posted it" on X; "I did not post it" on Mastodon.
    let id_of = |composer_prefix: &str| {
        let at = ready.body.find(composer_prefix).unwrap();
        let start = ready.body[..at].rfind("data-handed-over=\"").unwrap() + 18;
        ready.body[start..start + ready.body[start..].find('"').unwrap()].to_owned()
    };
    let x_id = id_of("https://x.com/intent/post?");
    let mastodon_id = id_of("https://mastodon.example/share?");
    let stranger = app.ambassador("zoe@example.org").await;
    assert_eq!(
        stranger
            .post_form(&format!("/hub/shares/{x_id}/posted"), &[])
            .await
            .status,
        404,
        "only its owner says whether it was posted"
    );
    let posted = amir
        .post_form(&format!("/hub/shares/{x_id}/posted"), &[])
        .await;
    assert_eq!(posted.location(), "/hub/shares?done=posted");
    amir.post_form(&format!("/hub/shares/{mastodon_id}/not_posted"), &[])
        .await;
    let history = amir.get("/hub/shares?done=posted").await;
    assert!(history.body.contains("your share is counted"));
    assert_eq!(history.body.matches(r#"data-state="published""#).count(), 1);
    assert_eq!(history.body.matches(r#"data-state="cancelled""#).count(), 1);
    assert_eq!(
        history.body.matches(r#"data-state="handed_over""#).count(),
        1
    );

    // Someone follows the X post's link; the click shows on Amir's own figures.
    let visitor = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = visitor
        .get(&tracked)
        .header("user-agent", BROWSER)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302);
    assert!(
        answer.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("https://example.com/solar?utm_source=x")
    );
    let mut figures = String::new();
    for _ in 0..60 {
        figures = amir.get("/hub/stats").await.body;
        if testid(&figures, "my-clicks") == "1" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(testid(&figures, "my-clicks"), "1", "{figures}");
    assert_eq!(
        testid(&figures, "my-shares"),
        "1",
        "only the share confirmed as posted"
    );

    // The Mastodon server is remembered for the next share.
    let again = amir.get(&format!("/hub/items/{item}/share")).await;
    assert!(again.body.contains(r#"value="https://mastodon.example""#));
}

#[tokio::test]
async fn a_missing_mastodon_server_or_an_overlong_text_comes_back_with_the_text_kept() {
    let (_app, amir, item) = world().await;
    let missing = submit_share_form(
        &amir,
        item,
        &[("own_mastodon", "My own words for Mastodon")],
        &[],
    )
    .await;
    assert_eq!(missing.status, 422);
    assert!(
        missing
            .body
            .contains("Write the address of your Mastodon server")
    );
    assert!(missing.body.contains("My own words for Mastodon"));

    let long = "a".repeat(400);
    let too_long = submit_share_form(&amir, item, &[("own_x", &long)], &[]).await;
    assert_eq!(too_long.status, 422);
    assert!(too_long.body.contains(&long), "the text is kept");
    let none = amir
        .post_form(&format!("/hub/items/{item}/share"), &[])
        .await;
    assert_eq!(none.status, 422);
    assert!(none.body.contains("Tick at least one account or network"));
    assert!(
        !amir.get("/hub/shares").await.body.contains("data-state="),
        "nothing was recorded"
    );
}

#[tokio::test]
async fn the_share_page_advises_as_the_person_types_by_the_rules_of_submit() {
    let (app, amir, _) = world().await;
    let editor = app.signed_in("edith@example.org", "editor").await;
    let suggested = "Our Lyon plant runs on sunlight. https://example.com/solar";
    let item = editor
        .publish_item(&[
            ("title", "Lyon, solar"),
            ("body", "Our new plant."),
            ("why", "It shows who we are."),
            ("link", "https://example.com/solar"),
            ("language", "en"),
            ("copy_linkedin", suggested),
        ])
        .await;
    let token = amir.token().await;
    let advise = async |client: &Client, body: serde_json::Value| {
        let response = client
            .http()
            .post(client.url(&format!("/hub/items/{item}/advice")))
            .header("x-csrf-token", &token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    };
    // The suggested copy as it is, versus the person's own words.
    let (status, same) = advise(
        &amir,
        serde_json::json!({"network": "linkedin", "text": suggested}),
    )
    .await;
    assert_eq!(status, 200, "{same}");
    let same: serde_json::Value = serde_json::from_str(&same).unwrap();
    let said = |answer: &serde_json::Value, words: &str| {
        answer["advice"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a.as_str().unwrap().contains(words))
    };
    assert!(said(&same, "exactly the suggested text"), "{same}");
    // The default disclosure of an organisation that wrote none.
    assert!(said(&same, "adding #employee"), "{same}");
    let (_, own) = advise(
        &amir,
        serde_json::json!({"network": "x", "text": "My own words about Lyon https://example.com/solar #employee"}),
    )
    .await;
    let own: serde_json::Value = serde_json::from_str(&own).unwrap();
    assert_eq!(own["advice"], serde_json::json!([]), "{own}");
    // The preview shows the post as X does: the link without its scheme.
    assert_eq!(
        own["display"]["segments"],
        serde_json::json!([
            {"kind": "text", "text": "My own words about Lyon "},
            {"kind": "link", "shown": "example.com/solar", "href": "https://example.com/solar"},
            {"kind": "text", "text": " #employee"},
        ])
    );
    assert_eq!(own["blocks"], false);
    assert_eq!(own["measure"]["limit"], 280);

    let (_, long) = advise(
        &amir,
        serde_json::json!({"network": "x", "text": "word ".repeat(80)}),
    )
    .await;
    let long: serde_json::Value = serde_json::from_str(&long).unwrap();
    assert_eq!(long["blocks"], true, "{long}");
    assert!(said(&long, "it would be refused"), "{long}");

    // LinkedIn folds a long post behind "…see more".
    let (_, folded) = advise(
        &amir,
        serde_json::json!({"network": "linkedin", "text": "A long story. ".repeat(30)}),
    )
    .await;
    let folded: serde_json::Value = serde_json::from_str(&folded).unwrap();
    assert_eq!(folded["display"]["folded"], true, "{folded}");

    let (status, _) = advise(
        &amir,
        serde_json::json!({"network": "myspace", "text": "hi"}),
    )
    .await;
    assert_eq!(status, 400);
    // Only ambassadors who took part get advice; an editor is refused.
    let editor_token = editor.token().await;
    let refused = editor
        .http()
        .post(editor.url(&format!("/hub/items/{item}/advice")))
        .header("x-csrf-token", editor_token)
        .json(&serde_json::json!({"network": "x", "text": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
}
