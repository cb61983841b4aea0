//! The editorial workflow through the real server: drafting, review, publishing to the hub,
//! conflicts, history, embargo and expiry, topics, permissions, and the measure API.

use chorus_tests::pictures::jpeg_with_exif;
use chorus_tests::{Client, Page, TestApp};

/// Creates an item through the form and returns its id.
async fn create_item(editor: &Client, fields: &[(&str, &str)]) -> i32 {
    let mut all: Vec<(&str, &str)> = vec![("why", "It shows who we are."), ("language", "en")];
    all.extend_from_slice(fields);
    let page = editor.post_form("/editor/items", &all).await;
    assert_eq!(page.status, 303, "create failed: {}", page.body);
    let location = page.location();
    location
        .strip_prefix("/editor/items/")
        .and_then(|rest| rest.split('?').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("unexpected location {location}"))
}

/// The version shown in the item's form.
async fn version_of(editor: &Client, id: i32) -> String {
    let page = editor.get(&format!("/editor/items/{id}")).await;
    let marker = r#"name="version" value=""#;
    let start = page
        .body
        .find(marker)
        .unwrap_or_else(|| panic!("no version in {}", page.body))
        + marker.len();
    page.body[start..start + page.body[start..].find('"').unwrap()].to_owned()
}

async fn act(editor: &Client, id: i32, action: &str) -> Page {
    let version = version_of(editor, id).await;
    editor
        .post_form(
            &format!("/editor/items/{id}/action"),
            &[("action", action), ("version", &version)],
        )
        .await
}

async fn publish(editor: &Client, id: i32) {
    let page = act(editor, id, "publish").await;
    assert_eq!(page.status, 303, "publish failed: {}", page.body);
}

#[tokio::test]
async fn an_editor_takes_an_item_from_draft_to_the_hub_and_an_ambassador_sees_it() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    let ambassador = app.ambassador("amir@example.org").await;

    let id = create_item(
        &editor,
        &[
            ("title", "Our plant now runs on sunlight"),
            ("body", "We opened **a solar plant** in Lyon. #energy"),
            (
                "why",
                "It is the *first step* of our 2030 plan, and you helped build it.",
            ),
            ("link", "https://example.com/solar"),
        ],
    )
    .await;
    let page = editor
        .get(&format!("/editor/items/{id}?done=created"))
        .await;
    assert!(page.body.contains("Draft created."));
    // Copy for every network was generated from the Markdown: emphasis dropped, link added.
    assert!(
        page.body
            .contains("We opened a solar plant in Lyon. #energy\n\nhttps://example.com/solar"),
        "{}",
        page.body
    );
    for network in ["bluesky", "mastodon", "linkedin", "x", "threads"] {
        assert!(
            page.body.contains(&format!(r#"name="copy_{network}""#)),
            "{network}"
        );
    }
    assert!(
        !ambassador
            .get("/hub")
            .await
            .body
            .contains("Our plant now runs on sunlight"),
        "drafts are not in the hub"
    );
    assert_eq!(
        ambassador.get(&format!("/hub/items/{id}")).await.status,
        404
    );

    assert_eq!(act(&editor, id, "submit").await.status, 303);
    assert!(
        editor
            .get(&format!("/editor/items/{id}"))
            .await
            .body
            .contains("In review")
    );
    publish(&editor, id).await;

    let hub = ambassador.get("/hub").await;
    assert!(hub.body.contains("Our plant now runs on sunlight"));
    assert!(
        hub.body.contains("<em>first step</em>"),
        "the meaning card is shown: {}",
        hub.body
    );
    let item = ambassador.get(&format!("/hub/items/{id}")).await;
    assert_eq!(item.status, 200);
    assert!(item.body.contains("<strong>a solar plant</strong>"));
    assert!(item.body.contains("https://example.com/solar"));
    assert!(
        item.body.contains("Suggested copy")
            && item.body.contains("Bluesky")
            && item.body.contains("Threads")
    );

    assert_eq!(act(&editor, id, "archive").await.status, 303);
    assert!(
        !ambassador
            .get("/hub")
            .await
            .body
            .contains("Our plant now runs on sunlight"),
        "archived items leave the hub"
    );
}

#[tokio::test]
async fn a_form_with_errors_comes_back_with_every_character_kept() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    let page = editor
        .post_form(
            "/editor/items",
            &[
                ("title", ""),
                ("body", "Ma longue prose <b>soignée</b>"),
                ("link", "javascript:alert(1)"),
                ("language", "fr"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("Give a title of 1 to 200 characters"));
    assert!(
        page.body
            .contains("Enter a full address starting with https://")
    );
    assert!(
        page.body
            .contains("Ma longue prose &lt;b&gt;soignée&lt;&#x2F;b&gt;")
            || page
                .body
                .contains("Ma longue prose &lt;b&gt;soignée&lt;/b&gt;"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(r#"value="javascript:alert(1)""#),
        "the bad link is kept for correction"
    );
}

#[tokio::test]
async fn each_counter_says_what_is_wrong_and_an_empty_copy_is_no_error() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    // An empty form: every network says "empty", none is in red (X refuses an empty post, yet
    // the editor's empty copy is generated again on save).
    let new = editor.get("/editor/items/new").await;
    assert!(!new.body.contains("class=\"counter over\""), "{}", new.body);
    assert!(!new.body.contains("over by 0"));
    assert_eq!(
        new.body
            .matches("<span class=\"verdict\">empty</span>")
            .count(),
        5
    );

    let links: Vec<String> = (1..=6)
        .map(|n| format!("https://example.com/{n}"))
        .collect();
    let id = create_item(
        &editor,
        &[
            ("title", "Counters"),
            ("body", "A body."),
            ("copy_threads", &links.join(" ")),
            (
                "copy_x",
                "Short, but with a byte order mark \u{FEFF} inside.",
            ),
            ("copy_bluesky", &"a".repeat(302)),
        ],
    )
    .await;
    let page = editor.get(&format!("/editor/items/{id}")).await;
    let counter = |network: &str| {
        let start = page
            .body
            .find(&format!("id=\"counter_{network}\""))
            .unwrap_or_else(|| panic!("no counter for {network}"));
        let open = page.body[..start].rfind("<p").unwrap();
        let end = start + page.body[start..].find("</p>").unwrap();
        page.body[open..end].to_owned()
    };
    let threads = counter("threads");
    assert!(threads.contains("class=\"counter over\""), "{threads}");
    assert!(
        threads.contains("more than 5 different links: remove some"),
        "{threads}"
    );
    let x = counter("x");
    assert!(x.contains("class=\"counter over\""), "{x}");
    assert!(x.contains("holds a character the network refuses"), "{x}");
    let bluesky = counter("bluesky");
    assert!(bluesky.contains("over by 2"), "{bluesky}");
    let mastodon = counter("mastodon");
    assert!(
        mastodon.contains("class=\"counter\"") && mastodon.contains(">fits<"),
        "{mastodon}"
    );
}

#[tokio::test]
async fn a_form_naming_a_missing_topic_or_campaign_comes_back_with_its_text_not_a_5xx() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    let fields = [
        ("title", "Solar in Lyon"),
        ("body", "Our *new* plant, written with care."),
        ("why", "It shows who we are."),
        ("language", "en"),
        ("campaign", "424242"),
        ("topic", "999999"),
    ];
    let created = editor.post_form("/editor/items", &fields).await;
    assert_eq!(created.status, 422, "{}", created.body);
    assert!(created.body.contains("Choose a campaign from the list."));
    assert!(
        created
            .body
            .contains("Choose topics from the list: one of them no longer exists.")
    );
    assert!(created.body.contains("Our *new* plant, written with care."));
    assert!(!editor.get("/editor").await.body.contains("Solar in Lyon"));

    // The same on an existing item: the edit is shown again, the stored item is untouched.
    let id = create_item(
        &editor,
        &[("title", "Solar in Lyon"), ("body", "First words.")],
    )
    .await;
    let version = version_of(&editor, id).await;
    let saved = editor
        .post_form(
            &format!("/editor/items/{id}"),
            &[
                ("version", version.as_str()),
                ("title", "Solar in Lyon, again"),
                ("body", "Second words, kept."),
                ("why", "It shows who we are."),
                ("language", "en"),
                ("topic", "999999"),
            ],
        )
        .await;
    assert_eq!(saved.status, 422, "{}", saved.body);
    assert!(saved.body.contains("Second words, kept."));
    let stored = editor.get(&format!("/editor/items/{id}")).await;
    assert!(stored.body.contains("First words.") && !stored.body.contains("Second words"));
}

#[tokio::test]
async fn following_the_same_topic_twice_in_one_form_follows_it_once() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    let amir = app.ambassador("amir@example.org").await;
    let topic = editor
        .post_form("/editor/topics", &[("name", "Careers")])
        .await;
    assert_eq!(topic.status, 303);
    let followed = amir
        .post_form(
            "/hub/topics",
            &[("topic", "1"), ("topic", "1"), ("topic", "77")],
        )
        .await;
    assert_eq!(followed.status, 303, "{}", followed.body);
    let page = amir.get("/hub/topics").await;
    assert_eq!(page.body.matches("checked").count(), 1, "{}", page.body);
}

#[tokio::test]
async fn two_editors_saving_the_same_item_get_a_conflict_not_an_overwrite() {
    let app = TestApp::spawn().await;
    let ana = app.signed_in("ana@example.org", "editor").await;
    let ben = app.signed_in("ben@example.org", "editor").await;
    let id = create_item(&ana, &[("title", "First title"), ("body", "Body")]).await;
    let opened = version_of(&ben, id).await;

    let saved = ana
        .post_form(
            &format!("/editor/items/{id}"),
            &[
                ("version", &opened),
                ("title", "Ana's title"),
                ("body", "Body"),
                ("why", "Why"),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303);
    let clash = ben
        .post_form(
            &format!("/editor/items/{id}"),
            &[
                ("version", &opened),
                ("title", "Ben's careful title"),
                ("body", "Ben's long text"),
                ("why", "Why"),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(clash.status, 409);
    assert!(
        clash
            .body
            .contains("Someone else saved this item while you were editing")
    );
    assert!(
        clash.body.contains("Ben&#x27;s careful title")
            && clash.body.contains("Ben&#x27;s long text"),
        "Ben's text is kept"
    );
    let now = ana.get(&format!("/editor/items/{id}")).await;
    assert!(now.body.contains("Ana&#x27;s title"), "Ana's save stands");
}

#[tokio::test]
async fn every_change_is_a_revision_that_can_be_viewed_and_restored() {
    let app = TestApp::spawn().await;
    let ana = app.signed_in("ana@example.org", "editor").await;
    let id = create_item(&ana, &[("title", "Version one"), ("body", "Text one")]).await;
    let v = version_of(&ana, id).await;
    ana.post_form(
        &format!("/editor/items/{id}"),
        &[
            ("version", &v),
            ("title", "Version two"),
            ("body", "Text two"),
            ("why", "Why"),
            ("language", "en"),
        ],
    )
    .await;

    let history = ana.get(&format!("/editor/items/{id}/revisions")).await;
    assert!(
        history.body.contains("created") && history.body.contains("changed title, body, why"),
        "{}",
        history.body
    );
    assert!(history.body.contains("ana"), "who made each change");
    let first = ana.get(&format!("/editor/items/{id}/revisions/1")).await;
    assert!(first.body.contains("Version one") && first.body.contains("Text one"));

    let current = version_of(&ana, id).await;
    let restored = ana
        .post_form(
            &format!("/editor/items/{id}/revisions/1/restore"),
            &[("version", &current)],
        )
        .await;
    assert_eq!(
        restored.location(),
        format!("/editor/items/{id}?done=restored")
    );
    let page = ana.get(&format!("/editor/items/{id}")).await;
    assert!(page.body.contains(r#"value="Version one""#));
    assert!(
        ana.get(&format!("/editor/items/{id}/revisions"))
            .await
            .body
            .contains("restored version 1")
    );
}

#[tokio::test]
async fn with_second_approval_only_another_editor_publishes_and_edits_go_back_to_review() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("boss@example.org", "admin").await;
    let saved = admin
        .post_form(
            "/admin/settings",
            &[("second_approval", "on"), ("min_group_size", "5")],
        )
        .await;
    assert_eq!(saved.location(), "/admin/settings?done=saved");
    let ana = app.signed_in("ana@example.org", "editor").await;
    let ben = app.signed_in("ben@example.org", "editor").await;
    let amir = app.ambassador("amir@example.org").await;

    let id = create_item(
        &ana,
        &[("title", "Needs two pairs of eyes"), ("body", "Text")],
    )
    .await;
    let page = ana.get(&format!("/editor/items/{id}")).await;
    assert!(
        !page.body.contains(r#"data-action="publish""#),
        "no direct publish from draft"
    );
    assert_eq!(act(&ana, id, "submit").await.status, 303);
    assert!(
        !ana.get(&format!("/editor/items/{id}"))
            .await
            .body
            .contains(r#"data-action="publish""#),
        "not by its own editor"
    );
    let refused = act(&ana, id, "publish").await;
    assert_eq!(refused.status, 409);
    assert!(
        refused.body.contains("a second editor must approve"),
        "{}",
        refused.body
    );

    let comment = ben
        .post_form(
            &format!("/editor/items/{id}/comments"),
            &[("body", "Looks good to me")],
        )
        .await;
    assert_eq!(comment.status, 303);
    assert!(
        ana.get(&format!("/editor/items/{id}"))
            .await
            .body
            .contains("Looks good to me")
    );
    publish(&ben, id).await;
    assert!(
        amir.get("/hub")
            .await
            .body
            .contains("Needs two pairs of eyes")
    );

    let v = version_of(&ana, id).await;
    ana.post_form(
        &format!("/editor/items/{id}"),
        &[
            ("version", &v),
            ("title", "Needs two pairs of eyes, edited"),
            ("body", "Text"),
            ("why", "Why"),
            ("language", "en"),
        ],
    )
    .await;
    assert!(
        ana.get(&format!("/editor/items/{id}"))
            .await
            .body
            .contains("In review")
    );
    assert!(
        !amir
            .get("/hub")
            .await
            .body
            .contains("Needs two pairs of eyes"),
        "unapproved edits leave the hub"
    );
}

#[tokio::test]
async fn embargoed_and_expired_items_are_invisible_to_ambassadors() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    let amir = app.ambassador("amir@example.org").await;
    let now = chrono::Utc::now();
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M").to_string();
    let future = fmt(now + chrono::Duration::days(2));
    let past = fmt(now - chrono::Duration::days(2));
    let long_ago = fmt(now - chrono::Duration::days(10));
    let embargoed = create_item(
        &editor,
        &[
            ("title", "Embargoed news"),
            ("body", "Soon"),
            ("available_from", &future),
        ],
    )
    .await;
    let expired = create_item(
        &editor,
        &[
            ("title", "Expired news"),
            ("body", "Old"),
            ("available_from", &long_ago),
            ("available_until", &past),
        ],
    )
    .await;
    let current = create_item(
        &editor,
        &[
            ("title", "Current news"),
            ("body", "Now"),
            ("available_from", &past),
            ("available_until", &future),
        ],
    )
    .await;
    for id in [embargoed, expired, current] {
        publish(&editor, id).await;
    }
    let hub = amir.get("/hub").await;
    assert!(hub.body.contains("Current news"));
    assert!(!hub.body.contains("Embargoed news") && !hub.body.contains("Expired news"));
    assert_eq!(
        amir.get(&format!("/hub/items/{embargoed}")).await.status,
        404
    );
    assert_eq!(amir.get(&format!("/hub/items/{expired}")).await.status, 404);
    assert_eq!(amir.get(&format!("/hub/items/{current}")).await.status, 200);
}

#[tokio::test]
async fn topics_languages_follows_and_pages_shape_the_hub() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    let amir = app.ambassador("amir@example.org").await;
    assert_eq!(
        editor
            .post_form("/editor/topics", &[("name", "Climate & Energy")])
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
    let dup = editor
        .post_form("/editor/topics", &[("name", "Careers")])
        .await;
    assert_eq!(dup.status, 422);
    assert!(dup.body.contains("This name is already used"));
    assert_eq!(
        editor
            .post_form(
                "/editor/campaigns",
                &[("name", "Spring 2026"), ("description", "")]
            )
            .await
            .status,
        303
    );
    let topics_page = editor.get("/editor/topics").await;
    assert!(
        topics_page.body.contains("Climate &amp; Energy")
            && topics_page.body.contains("Spring 2026")
    );

    // Topic ids are 1 and 2 in creation order.
    let climate = create_item(
        &editor,
        &[
            ("title", "Solar in Lyon"),
            ("body", "x"),
            ("topic", "1"),
            ("campaign", "1"),
        ],
    )
    .await;
    let careers = create_item(
        &editor,
        &[
            ("title", "Nous recrutons"),
            ("body", "x"),
            ("topic", "2"),
            ("language", "fr"),
        ],
    )
    .await;
    publish(&editor, climate).await;
    publish(&editor, careers).await;
    for i in 0..21 {
        let id = create_item(
            &editor,
            &[("title", &format!("Filler number {i:02}")), ("body", "x")],
        )
        .await;
        publish(&editor, id).await;
    }

    let by_topic = amir.get("/hub?topic=climate-energy").await;
    assert!(by_topic.body.contains("Solar in Lyon") && !by_topic.body.contains("Nous recrutons"));
    let french = amir.get("/hub?lang=fr").await;
    assert!(french.body.contains("Nous recrutons") && !french.body.contains("Solar in Lyon"));

    let first = amir.get("/hub").await;
    assert!(
        first.body.contains("Page 1 of 2"),
        "23 items make two pages of 20"
    );
    assert!(first.body.contains("Filler number 20"), "newest first");
    assert!(!first.body.contains("Solar in Lyon"));
    let second = amir.get("/hub?page=2").await;
    assert!(second.body.contains("Solar in Lyon") && second.body.contains("Nous recrutons"));

    assert_eq!(
        amir.post_form("/hub/topics", &[("topic", "2")])
            .await
            .location(),
        "/hub?done=topics"
    );
    let followed = amir.get("/hub").await;
    assert!(followed.body.contains("Showing the topics you follow"));
    assert!(followed.body.contains("Nous recrutons") && !followed.body.contains("Filler number"));
    let everything = amir.get("/hub?show=all").await;
    assert!(everything.body.contains("Filler number 20"));
}

#[tokio::test]
async fn each_role_reaches_only_its_side_of_the_content() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    let id = create_item(&editor, &[("title", "Internal draft"), ("body", "x")]).await;
    publish(&editor, id).await;
    let amir = app.ambassador("amir@example.org").await;
    let ana = app.signed_in("ana@example.org", "analyst").await;
    for path in [
        "/editor",
        "/editor/items/new",
        &format!("/editor/items/{id}"),
        &format!("/editor/items/{id}/revisions"),
        "/editor/topics",
    ] {
        assert_eq!(amir.get(path).await.status, 403, "ambassador on {path}");
        assert_eq!(ana.get(path).await.status, 403, "analyst on {path}");
    }
    assert_eq!(
        amir.post_form("/editor/items", &[("title", "Sneaky"), ("language", "en")])
            .await
            .status,
        403
    );
    assert_eq!(
        amir.post_form(
            &format!("/editor/items/{id}/action"),
            &[("action", "archive"), ("version", "2")]
        )
        .await
        .status,
        403
    );
    assert_eq!(
        amir.post_form("/editor/topics", &[("name", "Mine")])
            .await
            .status,
        403
    );
    assert_eq!(
        editor.get("/hub").await.status,
        403,
        "an editor without the ambassador role has no hub"
    );
    assert_eq!(ana.get(&format!("/hub/items/{id}")).await.status, 403);
    assert_eq!(amir.get(&format!("/hub/items/{id}")).await.status, 200);
}

#[tokio::test]
async fn markdown_is_sanitised_on_every_page_that_shows_it() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("eli@example.org", "editor,ambassador").await;
    let id = create_item(
        &editor,
        &[
            ("title", "<script>alert('title')</script>"),
            ("body", "Hello <script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))"),
            ("why", "<iframe src=\"https://evil.example\"></iframe>**ok**"),
        ],
    )
    .await;
    publish(&editor, id).await;
    for path in [
        format!("/hub/items/{id}"),
        "/hub".to_owned(),
        format!("/editor/items/{id}/revisions/1"),
    ] {
        let page = editor.get(&path).await;
        let body = page.body.to_lowercase();
        // Escaped text (as typed, shown as text) is fine; live tags and attributes are not.
        assert!(!body.contains("<script>alert"), "{path}");
        assert!(
            !body.contains("<img src=\"x\" onerror") && !body.contains("<img src=x onerror"),
            "{path}"
        );
        assert!(!body.contains("href=\"javascript:"), "{path}");
        assert!(!body.contains("<iframe"), "{path}");
    }
}

/// The item form follows the typing: the body and the card come back as the hub renders them
/// (sanitised the same way), the copy as its network shows it; only editors may ask.
#[tokio::test]
async fn the_item_form_previews_the_hub_and_each_network_as_the_editor_types() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    let token = editor.token().await;
    let post = |client: &chorus_tests::Client, path: &str, body: serde_json::Value| {
        let request = client
            .http()
            .post(client.url(path))
            .header("x-csrf-token", token.clone())
            .json(&body);
        async move { request.send().await.unwrap() }
    };
    let rendered = post(
        &editor,
        "/editor/items/live/render",
        serde_json::json!({
            "body": "We opened **a plant**.<script>alert(1)</script>",
            "why": "[Our plan](javascript:alert(1)) for *2030*",
        }),
    )
    .await;
    assert_eq!(rendered.status(), 200);
    let rendered: serde_json::Value = rendered.json().await.unwrap();
    let body = rendered["body_html"].as_str().unwrap();
    assert!(body.contains("<strong>a plant</strong>"), "{body}");
    assert!(!body.contains("<script"), "{body}");
    let why = rendered["why_html"].as_str().unwrap();
    assert!(why.contains("<em>2030</em>"), "{why}");
    assert!(!why.contains("javascript:"), "{why}");

    let shown = post(
        &editor,
        "/editor/items/live/display",
        serde_json::json!({"network": "x", "text": "Read https://example.com/a-very-long-address-indeed"}),
    )
    .await;
    assert_eq!(shown.status(), 200);
    let shown: serde_json::Value = shown.json().await.unwrap();
    assert_eq!(shown["measure"]["used"], 5 + 23);
    let link = &shown["display"]["segments"][1];
    assert_eq!(link["kind"], "link");
    assert!(link["shown"].as_str().unwrap().ends_with('…'), "{link}");
    let unknown = post(
        &editor,
        "/editor/items/live/display",
        serde_json::json!({"network": "myspace", "text": "x"}),
    )
    .await;
    assert_eq!(unknown.status(), 400);

    let ambassador = app.signed_in("amir@example.org", "ambassador").await;
    let token = ambassador.token().await;
    let refused = ambassador
        .http()
        .post(ambassador.url("/editor/items/live/render"))
        .header("x-csrf-token", token)
        .json(&serde_json::json!({"body": "x", "why": "y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn the_measure_api_answers_json_for_signed_in_people_only() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    let token = editor.token().await;
    let measure = |body: serde_json::Value| {
        let editor = editor.clone();
        let token = token.clone();
        async move {
            let response = editor
                .http()
                .post(editor.url("/api/v1/text/measure"))
                .header("x-csrf-token", token)
                .json(&body)
                .send()
                .await
                .unwrap();
            (
                response.status().as_u16(),
                response.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    let (status, x) = measure(serde_json::json!({"network": "x", "text": "Hello"})).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            x["network"].as_str(),
            x["limit"].as_u64(),
            x["fits"].as_bool()
        ),
        (Some("x"), Some(280), Some(true))
    );
    let (status, all) = measure(serde_json::json!({"text": "Hello"})).await;
    assert_eq!(status, 200);
    assert_eq!(all.as_array().map(Vec::len), Some(5));
    let (status, error) = measure(serde_json::json!({"network": "myspace", "text": "Hello"})).await;
    assert_eq!(status, 400);
    assert_eq!(error["error"], "bad_request");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("expected bluesky"),
        "{error}"
    );

    let stranger = app.client();
    let token = stranger.token().await;
    let response = stranger
        .http()
        .post(stranger.url("/api/v1/text/measure"))
        .header("x-csrf-token", token)
        .json(&serde_json::json!({"text": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "sign_in_required");
}

#[tokio::test]
async fn the_measure_command_reads_stdin_and_prints_json() {
    let app = TestApp::spawn().await;
    let out = app
        .cli(
            &["text", "measure", "--network", "bluesky"],
            Some("Bonjour 👋\n"),
        )
        .await;
    assert!(out.success, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["network"], "bluesky");
    assert_eq!(json["limit"], 300);
    assert_eq!(json["used"], 9);
    // Threads counts emoji as their UTF-8 bytes.
    let out = app
        .cli(&["text", "measure", "--network", "threads"], Some("😀😀"))
        .await;
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        (json["used"].as_u64(), json["limit"].as_u64()),
        (Some(8), Some(500))
    );
    let out = app
        .cli(&["text", "measure", "--network", "friendster"], Some("x"))
        .await;
    assert!(!out.success);
    assert!(out.stderr.contains("unknown network"), "{}", out.stderr);
}

const ARTICLE: &str = r#"<!doctype html><html><head>
<title>Fallback title</title>
<meta property="og:title" content="Solar &amp; wind: our 2030 plan">
<meta property="og:description" content="How we get there, step by step.">
<meta property="og:image" content="/images/plan.png">
</head><body>Hello</body></html>"#;

#[tokio::test]
async fn an_editor_fetches_a_link_preview_and_keeps_or_edits_it() {
    let site = chorus_tests::web::Site::start().await;
    site.serve("/plan", "text/html; charset=utf-8", ARTICLE);
    let app = TestApp::spawn_with(
        chorus_tests::TestAppOptions::default().env("CHORUS_UNSAFE_ALLOW_PRIVATE_FETCH", "true"),
    )
    .await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    let link = site.url("/plan");
    let page = editor
        .post_form(
            "/editor/items/preview",
            &[
                ("title", "Our plan"),
                ("body", "My draft text"),
                ("link", &link),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Preview fetched from the link"));
    assert!(
        page.body
            .contains(r#"value="Solar &amp; wind: our 2030 plan""#),
        "{}",
        page.body
    );
    assert!(page.body.contains("How we get there, step by step."));
    assert!(
        page.body
            .contains(&format!(r#"value="{}/images/plan.png""#, site.base_url))
    );
    assert!(
        page.body.contains("My draft text"),
        "the editor's text is kept"
    );
    assert_eq!(site.hits("/plan"), 1);

    // Nothing was saved: the editor keeps the preview (or edits it) and saves.
    let id = create_item(
        &editor,
        &[
            ("title", "Our plan"),
            ("body", "x"),
            ("link", &link),
            ("preview_title", "Solar & wind, edited"),
        ],
    )
    .await;
    assert!(
        editor
            .get(&format!("/editor/items/{id}"))
            .await
            .body
            .contains("Solar &amp; wind, edited")
    );

    let missing = editor
        .post_form(
            "/editor/items/preview",
            &[
                ("title", "t"),
                ("link", &site.url("/gone")),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(missing.status, 422);
    assert!(missing.body.contains("HTTP status 404"), "{}", missing.body);
}

#[tokio::test]
async fn previews_never_reach_private_addresses_and_the_form_survives_the_refusal() {
    let site = chorus_tests::web::Site::start().await;
    site.serve("/internal", "text/html", ARTICLE);
    let app = TestApp::spawn().await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    for link in [
        site.url("/internal"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://localhost:9/".to_owned(),
    ] {
        let page = editor
            .post_form(
                "/editor/items/preview",
                &[
                    ("title", "Kept title"),
                    ("body", "Kept body"),
                    ("link", &link),
                    ("language", "en"),
                ],
            )
            .await;
        assert_eq!(page.status, 422, "{link}");
        assert!(
            page.body.contains("private or internal address"),
            "{link}: {}",
            page.body
        );
        assert!(page.body.contains(r#"value="Kept title""#) && page.body.contains("Kept body"));
    }
    assert_eq!(
        site.hits("/internal"),
        0,
        "no request reached the internal site"
    );
}

async fn upload(editor: &Client, id: i32, bytes: Vec<u8>, name: &str, alt: &str) -> Page {
    let token = editor.token().await;
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        )
        .text("alt", alt.to_owned());
    let response = editor
        .http()
        .post(editor.url(&format!("/editor/items/{id}/images?csrf_token={token}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    Page {
        status: response.status().as_u16(),
        url: response.url().to_string(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

#[tokio::test]
async fn images_are_checked_stripped_of_location_and_shown_only_where_allowed() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    let amir = app.ambassador("amir@example.org").await;
    let ana = app.signed_in("ana@example.org", "analyst").await;
    let id = create_item(&editor, &[("title", "With a picture"), ("body", "x")]).await;

    let svg = upload(
        &editor,
        id,
        b"<svg onload=alert(1)></svg>".to_vec(),
        "x.svg",
        "A drawing",
    )
    .await;
    assert_eq!(
        svg.location(),
        format!("/editor/items/{id}?image_error=unsupported#images")
    );
    assert!(
        editor
            .get(&svg.location())
            .await
            .body
            .contains("Only JPEG, PNG and WebP images are accepted")
    );
    let no_alt = upload(&editor, id, jpeg_with_exif(3), "photo.jpg", "  ").await;
    assert_eq!(
        no_alt.location(),
        format!("/editor/items/{id}?image_error=alt#images")
    );
    let without_token = editor
        .http()
        .post(editor.url(&format!("/editor/items/{id}/images")))
        .multipart(
            reqwest::multipart::Form::new()
                .part("file", reqwest::multipart::Part::bytes(jpeg_with_exif(3)))
                .text("alt", "x"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        without_token.status(),
        403,
        "uploads need the CSRF token too"
    );

    let done = upload(
        &editor,
        id,
        jpeg_with_exif(3),
        "photo.jpg",
        "Solar panels on the roof",
    )
    .await;
    assert_eq!(
        done.location(),
        format!("/editor/items/{id}?done=image#images")
    );
    let page = editor.get(&format!("/editor/items/{id}")).await;
    assert!(page.body.contains(r#"alt="Solar panels on the roof""#));
    let start = page.body.find("/media/").unwrap() + "/media/".len();
    let media_id: String = page.body[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();

    let image = editor
        .http()
        .get(editor.url(&format!("/media/{media_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(image.headers()["content-type"], "image/jpeg");
    assert_eq!(image.headers()["x-content-type-options"], "nosniff");
    let bytes = image.bytes().await.unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        !text.contains("GPS") && !text.contains("taken by Ana"),
        "metadata stripped"
    );
    assert!(bytes.starts_with(&[0xFF, 0xD8]) && bytes.ends_with(&[0xFF, 0xD9]));

    assert_eq!(
        amir.get(&format!("/media/{media_id}")).await.status,
        404,
        "not while the item is a draft"
    );
    publish(&editor, id).await;
    assert_eq!(amir.get(&format!("/media/{media_id}")).await.status, 200);
    assert!(
        amir.get(&format!("/hub/items/{id}"))
            .await
            .body
            .contains(&format!(r#"src="/media/{media_id}""#))
    );
    assert!(
        amir.get("/hub").await.body.contains(&format!(
            r#"<img class="hub-image" src="/media/{media_id}" alt="Solar panels on the roof""#
        )),
        "the hub's card shows the item's first image"
    );
    assert_eq!(ana.get(&format!("/media/{media_id}")).await.status, 404);
}
