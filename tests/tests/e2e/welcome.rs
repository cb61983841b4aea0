//! The welcome step after accepting the guidelines: what Chorus is for the person, what the
//! company can and cannot see, how to share; then the networks they use, the topics they care
//! about and their time zone. It leads to the hub with a first item ready to share, the share
//! page starts with their networks ticked, and every time is in their zone.

use chorus_tests::{Client, TestApp};

async fn item(editor: &Client, title: &str, topic: Option<&str>) -> i32 {
    let mut fields = vec![
        ("title", title),
        ("body", "Our new plant."),
        ("why", "It shows who we are."),
        ("link", "https://example.com/solar"),
        ("language", "en"),
    ];
    if let Some(topic) = topic {
        fields.push(("topic", topic));
    }
    editor.publish_item(&fields).await
}

fn checked(body: &str, name: &str, value: &str) -> bool {
    body.contains(&format!(
        r#"name="{name}" value="{value}" aria-describedby="{name}s-hint" checked"#
    ))
}

#[tokio::test]
async fn a_new_ambassador_is_welcomed_chooses_networks_topics_and_zone_and_lands_on_a_first_share()
{
    let app = TestApp::spawn().await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    assert_eq!(
        editor
            .post_form("/editor/topics", &[("name", "Climate")])
            .await
            .status,
        303
    );
    assert_eq!(
        editor
            .post_form("/editor/topics", &[("name", "Careers")])
            .await
            .status,
        303
    );
    let climate = item(&editor, "Solar in Lyon", Some("1")).await;
    // Newer, but in a topic the person will not follow.
    let _careers = item(&editor, "We are hiring", Some("2")).await;

    let amir = app.signed_in("amir@example.org", "ambassador").await;
    // `join` asserts that accepting the guidelines leads to the welcome.
    amir.join().await;
    let welcome = amir.get("/hub/welcome?joined=1").await;
    assert_eq!(welcome.status, 200);
    assert!(
        welcome
            .body
            .contains("You take part: your consent to version 1 of the guidelines is recorded."),
        "accepting says what happened"
    );
    for words in [
        "Welcome to Chorus",
        "What is in it for you",
        "What the company can see",
        "counted together for groups of at least 5 people",
        "Your name next to your figures: not shown",
        "What it never sees",
        "Your contacts and followers.",
        "How to share",
        "Where do you post?",
        "What do you care about?",
        "Your time zone",
    ] {
        assert!(welcome.body.contains(words), "{words}: {}", welcome.body);
    }
    assert!(!welcome.body.contains(" checked"), "nothing ticked yet");

    // A zone that does not exist: the form comes back with every choice kept.
    let refused = amir
        .post_form(
            "/hub/welcome",
            &[
                ("network", "linkedin"),
                ("network", "x"),
                ("topic", "1"),
                ("time_zone", "Mars/Olympus"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .body
            .contains("&quot;Mars/Olympus&quot; is not a time zone we know"),
        "{}",
        refused.body
    );
    assert!(
        checked(&refused.body, "network", "linkedin") && checked(&refused.body, "network", "x")
    );
    assert!(!checked(&refused.body, "network", "bluesky"));
    assert!(checked(&refused.body, "topic", "1") && !checked(&refused.body, "topic", "2"));

    let done = amir
        .post_form(
            "/hub/welcome",
            &[
                ("network", "linkedin"),
                ("network", "x"),
                ("topic", "1"),
                ("time_zone", "Europe/Paris"),
            ],
        )
        .await;
    assert_eq!(done.location(), "/hub?welcome=done", "{}", done.body);

    let hub = amir.get("/hub?welcome=done").await;
    assert!(hub.body.contains("Your choices are saved."));
    assert!(hub.body.contains("Ready for your first share"));
    // The first item offered is in the followed topic, with its share page one tap away.
    assert!(
        hub.body.contains(&format!(
            r#"href="/hub/items/{climate}/share" data-testid="first-share-button""#
        )),
        "{}",
        hub.body
    );
    assert!(!hub.body.contains("We are hiring"), "only followed topics");
    // Later visits to the hub do not repeat it.
    assert!(
        !amir
            .get("/hub")
            .await
            .body
            .contains("Ready for your first share")
    );

    // The share page starts with the person's networks ticked; the others fold away.
    let share = amir.get(&format!("/hub/items/{climate}/share")).await;
    for (network, ticked) in [
        ("linkedin", true),
        ("x", true),
        ("bluesky", false),
        ("mastodon", false),
        ("threads", false),
    ] {
        assert_eq!(
            share
                .body
                .contains(&format!(r#"name="select_own_{network}" checked"#)),
            ticked,
            "{network}"
        );
    }
    let folded = &share.body[share.body.find("Other networks").expect("a fold")..];
    assert!(folded.contains("select_own_bluesky") && !folded.contains("select_own_linkedin"));

    // Revisiting shows what was chosen, and saving keeps the person where they were.
    let again = amir.get("/hub/welcome").await;
    assert!(again.body.contains("Your welcome, and your choices"));
    assert!(checked(&again.body, "network", "x") && !checked(&again.body, "network", "threads"));
    assert!(
        again
            .body
            .contains(r#"<option value="Europe/Paris" selected>"#)
    );
    assert!(
        amir.get("/hub")
            .await
            .body
            .contains(r#"href="/hub/welcome""#)
    );

    // Choosing topics later says what happened.
    let chosen = amir
        .post_form("/hub/topics", &[("topic", "1"), ("topic", "2")])
        .await;
    assert_eq!(chosen.location(), "/hub?done=topics");
    assert!(
        amir.get("/hub?done=topics")
            .await
            .body
            .contains("Saved. Topics you follow: 2. The hub shows them first.")
    );

    // What was said in the welcome is the person's data: in the export.
    let export = amir.get("/account/export").await;
    let document: serde_json::Value = serde_json::from_str(&export.body).unwrap();
    assert_eq!(
        document["preferences"],
        serde_json::json!({
            "networks": ["linkedin", "x"],
            "time_zone": "Europe/Paris",
            "welcomed_at": document["preferences"]["welcomed_at"],
            // Their rhythm, none set yet.
            "quiet_hours": null,
            "daily_cap": null,
        })
    );
    assert!(document["preferences"]["welcomed_at"].is_string());
}

#[tokio::test]
async fn a_person_who_skips_the_welcome_can_still_share_and_gets_every_composer() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    let id = item(&editor, "Solar in Lyon", None).await;
    let amir = app.ambassador("amir@example.org").await;
    let share = amir.get(&format!("/hub/items/{id}/share")).await;
    assert_eq!(share.status, 200);
    assert!(!share.body.contains("Other networks"), "nothing folded");
    assert!(!share.body.contains(r#"name="select_own_x" checked"#));
    assert!(amir.get("/hub").await.status == 200);
}

#[tokio::test]
async fn the_time_zone_is_also_a_setting_of_my_account() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    let id = item(&editor, "Solar in Lyon", None).await;
    let amir = app.ambassador("amir@example.org").await;
    let page = amir.get("/account").await.body;
    assert!(page.contains(r#"action="/account/time-zone""#));
    assert!(page.contains(r#"<option value="" selected>The one my browser uses</option>"#));

    let refused = amir
        .post_form("/account/time-zone", &[("time_zone", "Mars/Olympus")])
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("This is not a time zone we know")
            && refused.body.contains("(Mars/Olympus)"),
        "{}",
        refused.body
    );
    let saved = amir
        .post_form("/account/time-zone", &[("time_zone", "Asia/Tokyo")])
        .await;
    assert_eq!(saved.location(), "/account?done=time_zone");
    let page = amir.get("/account?done=time_zone").await.body;
    assert!(page.contains("Time zone saved"));
    assert!(page.contains(r#"<option value="Asia/Tokyo" selected>"#));
    // One setting: the welcome shows the same zone.
    let welcome = amir.get("/hub/welcome").await.body;
    assert!(welcome.contains(r#"<option value="Asia/Tokyo" selected>"#));
    assert_eq!(
        amir.get(&format!("/hub/items/{id}/share")).await.status,
        200
    );
}
