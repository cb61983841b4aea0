//! Issue 19: what editors file items under and where drafts come from (topics renamed and
//! deleted, campaigns renamed and archived, feeds followed and dropped), and an admin's
//! directory read one person at a time and page by page while people are added: each through
//! the API with a token, as the pages show them.

use chorus_tests::TestApp;
use serde_json::json;

use super::{Integration, make_token};

#[tokio::test]
async fn editors_rename_and_delete_topics_archive_campaigns_and_follow_feeds_through_the_api() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("ed@example.org", "editor").await;
    let api = Integration::new(
        &app,
        &make_token(&editor, "CMS", &["items:read", "items:write"]).await,
    );
    let reader = Integration::new(
        &app,
        &make_token(&editor, "Intranet", &["items:read"]).await,
    );

    // A topic renamed keeps its id; the editors' page shows the new name.
    let topic = api.post("/topics", &json!({"name": "Enrgy"})).await;
    assert_eq!(topic.status, 201, "{}", topic.body);
    let topic_id = topic.body["id"].as_i64().unwrap();
    api.post("/topics", &json!({"name": "People"})).await;
    let path = format!("/topics/{topic_id}");
    let renamed = api
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(&json!({"name": "Energy"})),
            &[],
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.body, json!({"id": topic_id, "name": "Energy"}));
    let page = editor.get("/editor/topics").await;
    assert!(page.body.contains("Energy") && !page.body.contains("Enrgy"));
    api.send(
        reqwest::Method::PATCH,
        &path,
        Some(&json!({"name": "People"})),
        &[],
    )
    .await
    .problem(409, "name_taken");
    let blank = api
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(&json!({"name": "?!"})),
            &[],
        )
        .await;
    blank.problem(422, "invalid");
    assert_eq!(blank.fields(), ["name"]);
    reader
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(&json!({"name": "Mine"})),
            &[],
        )
        .await
        .problem(403, "scope_missing");
    // An item filed under it loses it when it is deleted; the item stays.
    let mut draft = super::draft("Filed under energy");
    draft["topic_ids"] = json!([topic_id]);
    let item = api.post("/items", &draft).await;
    assert_eq!(item.status, 201, "{}", item.body);
    assert_eq!(item.body["topic_ids"], json!([topic_id]));
    let item_path = format!("/items/{}", item.body["id"]);
    let deleted = api.send(reqwest::Method::DELETE, &path, None, &[]).await;
    assert_eq!(deleted.status, 204);
    api.send(reqwest::Method::DELETE, &path, None, &[])
        .await
        .problem(404, "not_found");
    let after = api.get(&item_path).await;
    assert_eq!(after.status, 200);
    assert_eq!(after.body["topic_ids"], json!([]));
    let names: Vec<String> = api
        .get("/topics")
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["People"]);

    // A campaign renamed, described, archived and reopened; what is not sent stays.
    let campaign = api
        .post(
            "/campaigns",
            &json!({"name": "Spring", "description": "Launch"}),
        )
        .await;
    let campaign_path = format!("/campaigns/{}", campaign.body["id"]);
    let changed = api
        .send(
            reqwest::Method::PATCH,
            &campaign_path,
            Some(&json!({"name": "Spring launch", "archived": true})),
            &[],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["name"], "Spring launch");
    assert_eq!(changed.body["archived"], true);
    let campaigns = editor.get("/editor/topics").await;
    assert!(campaigns.body.contains("Spring launch"), "the page agrees");
    let reopened = api
        .send(
            reqwest::Method::PATCH,
            &campaign_path,
            Some(&json!({"archived": false})),
            &[],
        )
        .await;
    assert_eq!(reopened.body["archived"], false);
    assert_eq!(reopened.body["name"], "Spring launch", "the name stays");
    let wrong = api
        .send(
            reqwest::Method::PATCH,
            &campaign_path,
            Some(&json!({"name": "", "colour": "red"})),
            &[],
        )
        .await;
    wrong.problem(422, "invalid");
    api.send(
        reqwest::Method::PATCH,
        "/campaigns/99999",
        Some(&json!({"archived": true})),
        &[],
    )
    .await
    .problem(404, "not_found");

    // Feeds: followed with their fields checked, listed as the page lists them, dropped.
    let feed = api
        .post(
            "/feeds",
            &json!({"url": "https://blog.example.org/feed.xml", "title": "Our blog", "language": "FR"}),
        )
        .await;
    assert_eq!(feed.status, 201, "{}", feed.body);
    assert_eq!(feed.body["language"], "fr");
    assert_eq!(feed.body["entries_imported"], 0);
    assert!(feed.body["last_polled_at"].is_null());
    let untitled = api
        .post("/feeds", &json!({"url": "https://news.example.org/atom"}))
        .await;
    assert_eq!(untitled.body["title"], "https://news.example.org/atom");
    api.post(
        "/feeds",
        &json!({"url": "https://blog.example.org/feed.xml"}),
    )
    .await
    .problem(409, "feed_exists");
    let bad = api
        .post(
            "/feeds",
            &json!({"url": "ftp://example.org/feed", "language": "english!"}),
        )
        .await;
    bad.problem(422, "invalid");
    assert_eq!(bad.fields(), ["url", "language"]);
    let listed = reader.get("/feeds").await;
    assert_eq!(listed.status, 200);
    let mut titles: Vec<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["title"].as_str().unwrap())
        .collect();
    titles.sort_unstable();
    assert_eq!(titles, ["Our blog", "https://news.example.org/atom"]);
    assert!(editor.get("/editor/feeds").await.body.contains("Our blog"));
    let feed_path = format!("/feeds/{}", feed.body["id"]);
    reader
        .send(reqwest::Method::DELETE, &feed_path, None, &[])
        .await
        .problem(403, "scope_missing");
    assert_eq!(
        api.send(reqwest::Method::DELETE, &feed_path, None, &[])
            .await
            .status,
        204
    );
    api.send(reqwest::Method::DELETE, &feed_path, None, &[])
        .await
        .problem(404, "not_found");
    assert_eq!(reader.get("/feeds").await.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_admins_directory_reads_one_person_and_pages_that_do_not_shift_when_people_are_added() {
    let app = TestApp::spawn().await;
    // Names whose order is the same in every collation (SQLite's bytes, PostgreSQL's locale).
    app.add_user("boss@example.org", "Zora Admin", "admin")
        .await;
    let admin = app.client();
    admin
        .sign_in("boss@example.org", chorus_tests::PASSWORD)
        .await;
    for (email, name) in [
        ("a@example.org", "Amir"),
        ("c@example.org", "Chloé"),
        ("e@example.org", "Emma"),
        ("e2@example.org", "Emma"),
    ] {
        app.add_user(email, name, "ambassador").await;
    }
    let api = Integration::new(
        &app,
        &make_token(&admin, "HR sync", &["people:read", "people:write"]).await,
    );
    let first = api.get("/people?limit=2").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let names = |page: &super::Answer| -> Vec<String> {
        page.body["people"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&first), ["Amir", "Chloé"]);
    // Someone whose name sorts before the page's end arrives between two pages: the next
    // page starts after the last person seen, neither repeating nor skipping anyone.
    app.add_user("b@example.org", "Bea", "ambassador").await;
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let second = api.get(&format!("/people?limit=1&cursor={cursor}")).await;
    assert_eq!(
        names(&second),
        ["Emma"],
        "Bea, added meanwhile, shifts nothing"
    );
    // Two people of the same name: the cursor between them holds the order by id.
    let third = api
        .get(&format!(
            "/people?limit=2&cursor={}",
            second.body["next_cursor"].as_str().unwrap()
        ))
        .await;
    assert_eq!(names(&third), ["Emma", "Zora Admin"]);
    assert_ne!(
        second.body["people"][0]["id"],
        third.body["people"][0]["id"]
    );
    assert_eq!(third.body["people"][0]["email"], "e2@example.org");
    assert!(third.body["next_cursor"].is_null());
    // Filtered as the admins' table filters: by role and by status.
    assert_eq!(names(&api.get("/people?role=admin").await), ["Zora Admin"]);
    let emma = third.body["people"][0]["id"].clone();
    api.send(
        reqwest::Method::PATCH,
        &format!("/people/{emma}"),
        Some(&json!({"active": false})),
        &[],
    )
    .await;
    assert_eq!(names(&api.get("/people?active=false").await), ["Emma"]);
    assert_eq!(
        api.get("/people?active=true&q=emma").await.body["people"][0]["email"],
        "e@example.org"
    );
    let king = api.get("/people?role=king").await;
    king.problem(422, "invalid");
    assert_eq!(king.fields(), ["role"]);
    let made_up = api.get("/people?cursor=not-a-cursor!").await;
    made_up.problem(422, "invalid");
    assert_eq!(made_up.fields(), ["cursor"]);

    // One person, as the list shows them.
    let amir = &first.body["people"][0];
    let one = api.get(&format!("/people/{}", amir["id"])).await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(&one.body, amir);
    api.get("/people/99999").await.problem(404, "not_found");
    api.get("/people/abc").await.problem(404, "not_found");
    let editor = app.signed_in("ed@example.org", "editor").await;
    let cms = Integration::new(&app, &make_token(&editor, "CMS", &["items:read"]).await);
    cms.get(&format!("/people/{}", amir["id"]))
        .await
        .problem(403, "scope_missing");
}
