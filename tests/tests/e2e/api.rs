//! Issue 19, first slice: the REST API through the real server with tokens people make on
//! their account page: items for editors (list page by page, read, create a draft, change it
//! over its ETag), the hub for an opted-in ambassador, people for an admin; refusals by scope,
//! by role (also a role taken away after the token was made), by opt-in, and for a revoked
//! token; every error a problem document naming the field at fault; the OpenAPI document
//! against its snapshot.

mod catalogue;
mod own_shares;

use std::path::PathBuf;

use chorus_tests::html::testid;
use chorus_tests::{Client, TestApp};
use serde_json::{Value, json};

/// An integration calling the API with one token.
struct Integration {
    base: String,
    token: String,
    http: reqwest::Client,
}

/// What the API answered.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    /// Asserts the answer is a problem document of `status` and `code`.
    fn problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.header("content-type"), "application/problem+json");
        assert_eq!(self.body["status"], status);
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert_eq!(self.body["type"], format!("urn:chorus:problem:{code}"));
        assert!(
            self.body["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{}",
            self.body
        );
        &self.body
    }

    /// The fields named at fault.
    fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert!(
                    e["detail"].as_str().is_some_and(|d| !d.is_empty()),
                    "each field says what is wrong: {e}"
                );
                e["field"].as_str().unwrap().to_owned()
            })
            .collect()
    }
}

impl Integration {
    fn new(app: &TestApp, token: &str) -> Integration {
        Integration {
            base: app.url("/api/v1"),
            token: token.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(reqwest::Method::GET, path, None, &[]).await
    }

    async fn post(&self, path: &str, body: &Value) -> Answer {
        self.send(reqwest::Method::POST, path, Some(body), &[])
            .await
    }

    async fn put(&self, path: &str, body: &Value, headers: &[(&str, &str)]) -> Answer {
        self.send(reqwest::Method::PUT, path, Some(body), headers)
            .await
    }
}

/// Makes a token on the account page with `scopes` and returns it (shown once).
async fn make_token(client: &Client, name: &str, scopes: &[&str]) -> String {
    let mut fields = vec![("name", name), ("expires_in_days", "30")];
    fields.extend(scopes.iter().map(|s| ("scope", *s)));
    let page = client.post_form("/account/tokens", &fields).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let token = testid(&page.body, "api-token");
    assert!(token.starts_with("chorus_pat_"), "{token}");
    let again = client.get("/account/tokens").await;
    assert!(!again.body.contains(&token), "a token is shown only once");
    assert!(again.body.contains(name));
    token
}

fn draft(title: &str) -> Value {
    json!({
        "title": title,
        "body_md": "Our **new** plant runs on the sun.",
        "why_md": "It shows what we build.",
        "link_url": "https://example.com/plant",
        "language": "en",
        "copy": {"mastodon": "The plant runs on the sun"}
    })
}

#[tokio::test]
async fn an_editor_drives_items_through_the_api_with_a_token_made_on_their_account_page() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("ed@example.org", "editor").await;
    let page = editor.get("/account/tokens").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(r#"value="items:write""#));
    assert!(
        !page.body.contains(r#"value="hub:read""#) && !page.body.contains(r#"value="stats:read""#),
        "only what the editor's roles allow is offered"
    );
    let token = make_token(&editor, "CMS", &["items:read", "items:write"]).await;
    let api = Integration::new(&app, &token);
    // The person's export lists their tokens (never a token's value).
    let export = editor.get("/account/export").await;
    assert_eq!(export.status, 200);
    let document: Value = serde_json::from_str(&export.body).unwrap();
    assert_eq!(document["api_tokens"][0]["name"], "CMS");
    assert_eq!(
        document["api_tokens"][0]["scopes"],
        "items:read items:write"
    );
    assert!(!export.body.contains(&token));

    // Without a token, or with a wrong one: 401 with a problem that says what to do.
    let anonymous = Integration::new(&app, "chorus_pat_nope");
    let refused = anonymous.get("/items").await;
    refused.problem(401, "unauthenticated");
    assert!(refused.header("www-authenticate").starts_with("Bearer"));
    let no_header = reqwest::get(app.url("/api/v1/items")).await.unwrap();
    assert_eq!(no_header.status(), 401);

    // A body that does not validate names every field at fault.
    let mut bad = draft("");
    bad["link_url"] = json!("ftp://example.com");
    bad["copy"] = json!({"myspace": "hello"});
    let invalid = api.post("/items", &bad).await;
    invalid.problem(422, "invalid");
    let mut fields = invalid.fields();
    fields.sort();
    assert_eq!(fields, ["copy.myspace", "link_url", "title"]);
    let mistyped = api
        .post("/items", &json!({"title": 3, "language": "en"}))
        .await;
    mistyped.problem(422, "invalid");
    assert_eq!(mistyped.fields(), ["title"]);
    let unknown_field = api
        .post(
            "/items",
            &json!({"title": "T", "language": "en", "colour": 1}),
        )
        .await;
    unknown_field.problem(422, "invalid");
    let not_json = api
        .send(
            reqwest::Method::POST,
            "/items",
            None,
            &[("content-type", "application/json")],
        )
        .await;
    not_json.problem(400, "bad_request");
    // NUL is refused where it is, on SQLite as on PostgreSQL (which cannot store it).
    let nul = api
        .post(
            "/items",
            &json!({"title": "T\0", "language": "en", "copy": {"x": "a\0"}}),
        )
        .await;
    nul.problem(422, "invalid");
    assert_eq!(nul.fields(), ["title", "copy.x"]);
    let unknown_topic = api
        .post(
            "/items",
            &json!({"title": "T", "language": "en", "topic_ids": [999]}),
        )
        .await;
    unknown_topic.problem(422, "invalid");
    assert_eq!(unknown_topic.fields(), ["topic_ids"]);

    // A draft, then a change over its ETag.
    let created = api.post("/items", &draft("Solar plant")).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(created.header("location"), format!("/api/v1/items/{id}"));
    assert_eq!(created.header("etag"), "\"1\"");
    assert_eq!(created.body["state"], "draft");
    assert_eq!(
        created.body["copy"]["mastodon"],
        "The plant runs on the sun"
    );
    assert!(
        created.body["copy"]["bluesky"]
            .as_str()
            .is_some_and(|c| c.contains("sun")),
        "a network left out gets copy made from the body: {}",
        created.body
    );
    let read = api.get(&format!("/items/{id}")).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.header("etag"), "\"1\"");
    assert_eq!(read.body["title"], "Solar plant");
    api.get("/items/99999").await.problem(404, "not_found");

    let mut changed = draft("Solar plant, now open");
    changed["why_md"] = json!("Visit it.");
    let path = format!("/items/{id}");
    api.put(&path, &changed, &[])
        .await
        .problem(428, "precondition_required");
    api.put(&path, &changed, &[("if-match", "\"7\"")])
        .await
        .problem(412, "precondition_failed");
    let saved = api.put(&path, &changed, &[("if-match", "\"1\"")]).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.header("etag"), "\"2\"");
    assert_eq!(saved.body["version"], 2);
    // The editor who read version 1 cannot overwrite version 2.
    api.put(&path, &draft("Stale"), &[("if-match", "\"1\"")])
        .await
        .problem(412, "precondition_failed");
    // The change is the editor's own, in the item's history, as the pages show it.
    let on_page = editor.get(&format!("/editor/items/{id}")).await;
    assert!(on_page.body.contains("Solar plant, now open"));
    let history = editor.get(&format!("/editor/items/{id}/revisions")).await;
    assert!(history.body.contains("why_md") || history.body.contains("why"));

    // Pages by cursor: every item once, newest first.
    for n in 0..3 {
        assert_eq!(
            api.post("/items", &draft(&format!("Item {n}")))
                .await
                .status,
            201
        );
    }
    let first = api.get("/items?limit=2").await;
    assert_eq!(first.status, 200);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let second = api.get(&format!("/items?limit=2&cursor={cursor}")).await;
    let titles: Vec<String> = [&first, &second]
        .iter()
        .flat_map(|page| page.body["items"].as_array().unwrap().clone())
        .map(|item| item["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        titles,
        ["Item 2", "Item 1", "Item 0", "Solar plant, now open"]
    );
    assert!(second.body["next_cursor"].is_null());
    let drafts = api.get("/items?state=published").await;
    assert_eq!(drafts.body["items"].as_array().unwrap().len(), 0);
    let wrong = api.get("/items?state=lost&limit=500&cursor=x").await;
    wrong.problem(422, "invalid");
    let mut fields = wrong.fields();
    fields.sort();
    assert_eq!(fields, ["cursor", "limit", "state"]);

    // The account page shows the token's last use; revoked, it stops working at once.
    let tokens = editor.get("/account/tokens").await;
    let row_start = tokens.body.find(r#"data-token="CMS""#).unwrap();
    let row = &tokens.body[row_start..row_start + tokens.body[row_start..].find("</tr>").unwrap()];
    assert!(
        !row.contains(r#"<span class="muted">never</span>"#),
        "the last use is shown: {row}"
    );
    let id_marker = "/account/tokens/";
    let start = tokens.body.find(id_marker).unwrap() + id_marker.len();
    let token_id: String = tokens.body[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let revoked = editor
        .post_form(&format!("/account/tokens/{token_id}/revoke"), &[])
        .await;
    assert_eq!(revoked.status, 303);
    api.get("/items").await.problem(401, "unauthenticated");
    let listed = editor.get("/account/tokens").await;
    assert!(listed.body.contains("revoked"), "{}", listed.body);
}

#[tokio::test]
async fn a_token_never_does_more_than_its_owner_and_the_hub_waits_for_opt_in() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("ed@example.org", "editor").await;
    editor
        .publish_item(&[
            ("title", "Open day"),
            ("body", "Come and see."),
            ("why", "Meet us."),
            ("language", "en"),
        ])
        .await;

    // An ambassador cannot grant themselves an editor's scope: the form comes back kept.
    let ambassador = app.signed_in("amb@example.org", "ambassador").await;
    let refused = ambassador
        .post_form(
            "/account/tokens",
            &[
                ("name", "My widget"),
                ("expires_in_days", "7"),
                ("scope", "items:read"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains(r#"value="My widget""#),
        "the name is kept"
    );
    assert!(!refused.body.contains("data-testid=\"api-token\""));
    let none = ambassador
        .post_form(
            "/account/tokens",
            &[("name", "Empty"), ("expires_in_days", "7")],
        )
        .await;
    assert_eq!(none.status, 422);

    // The hub needs the owner opted in, as its pages do.
    let token = make_token(&ambassador, "Intranet", &["hub:read"]).await;
    let api = Integration::new(&app, &token);
    api.get("/hub").await.problem(403, "opt_in_required");
    ambassador.join().await;
    let hub = api.get("/hub").await;
    assert_eq!(hub.status, 200, "{}", hub.body);
    assert_eq!(hub.body["items"][0]["title"], "Open day");
    assert!(
        hub.body["items"][0]["why_md"]
            .as_str()
            .unwrap()
            .contains("Meet us")
    );
    assert!(hub.body["next_cursor"].is_null());
    // Filtered as the hub's page filters: by language and by topic.
    assert_eq!(
        api.get("/hub?language=EN").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        api.get("/hub?language=fr").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        api.get("/hub?topic=999").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    api.get("/hub?topic=many").await.problem(422, "invalid");
    let id = hub.body["items"][0]["id"].as_i64().unwrap();
    let one = api.get(&format!("/hub/{id}")).await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(one.body["title"], "Open day");
    api.get("/hub/99999").await.problem(404, "not_found");
    // Page by page, newest first: an item published between two pages neither repeats one
    // nor pushes one out of the next page.
    for title in ["Second", "Third"] {
        editor
            .publish_item(&[
                ("title", title),
                ("body", "More."),
                ("why", "Because."),
                ("language", "en"),
            ])
            .await;
    }
    let titles = |answer: &Answer| -> Vec<String> {
        answer.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = api.get("/hub?limit=2").await;
    assert_eq!(titles(&first), ["Third", "Second"]);
    editor
        .publish_item(&[
            ("title", "Fourth"),
            ("body", "Newest."),
            ("why", "Because."),
            ("language", "en"),
        ])
        .await;
    let next = api
        .get(&format!(
            "/hub?limit=2&cursor={}",
            first.body["next_cursor"].as_str().unwrap()
        ))
        .await;
    assert_eq!(titles(&next), ["Open day"]);
    assert!(next.body["next_cursor"].is_null());
    api.get("/hub?cursor=3").await.problem(422, "invalid");
    api.get("/hub?limit=0").await.problem(422, "invalid");
    // A scope the token was not given, whatever the owner's roles.
    api.get("/items").await.problem(403, "scope_missing");
    api.get("/people").await.problem(403, "scope_missing");

    // An admin reads people; a role taken away closes the token's door at the next call.
    let admin = app.signed_in("boss@example.org", "admin").await;
    let admin_api = Integration::new(&app, &make_token(&admin, "HR sync", &["people:read"]).await);
    let editor_api = Integration::new(&app, &make_token(&editor, "CMS", &["items:read"]).await);
    assert_eq!(editor_api.get("/items").await.status, 200);
    let people = admin_api.get("/people?q=ed%40example").await;
    assert_eq!(people.status, 200, "{}", people.body);
    let found = people.body["people"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{}", people.body);
    assert_eq!(found[0]["roles"], json!(["editor"]));
    let editor_id = found[0]["id"].as_i64().unwrap();
    let all = admin_api.get("/people?limit=2").await;
    assert_eq!(all.body["people"].as_array().unwrap().len(), 2);
    let rest = admin_api
        .get(&format!(
            "/people?limit=2&cursor={}",
            all.body["next_cursor"].as_str().unwrap()
        ))
        .await;
    assert_eq!(rest.body["people"].as_array().unwrap().len(), 1);
    assert!(rest.body["next_cursor"].is_null());

    let demoted = admin
        .post_form(
            &format!("/admin/users/{editor_id}/roles"),
            &[("ambassador", "on")],
        )
        .await;
    assert!(demoted.status < 400, "{}", demoted.body);
    editor_api.get("/items").await.problem(403, "forbidden");
    // Deactivated, the owner's tokens stop too.
    let gone = admin
        .post_form(&format!("/admin/users/{editor_id}/deactivate"), &[])
        .await;
    assert!(gone.status < 400, "{}", gone.body);
    editor_api
        .get("/items")
        .await
        .problem(401, "unauthenticated");
}

#[tokio::test]
async fn the_openapi_document_is_3_1_matches_its_snapshot_and_every_path_answers() {
    let app = TestApp::spawn().await;
    let answer = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap();
    assert_eq!(answer.status(), 200);
    let document: Value = answer.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let pretty = serde_json::to_string_pretty(&document).unwrap() + "\n";
    let snapshot = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("snapshots/openapi.json");
    if std::env::var_os("CHORUS_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(snapshot.parent().unwrap()).unwrap();
        std::fs::write(&snapshot, &pretty).unwrap();
    }
    let stored = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert!(
        stored == pretty,
        "the OpenAPI document changed: if on purpose, run the test with \
         CHORUS_UPDATE_SNAPSHOTS=1 and commit tests/snapshots/openapi.json"
    );
    // Every documented operation is routed: without a token each answers 401, never 404.
    let http = reqwest::Client::new();
    let mut operations = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let url = app.url(&format!("/api/v1{}", path.replace("{id}", "1")));
            let method: reqwest::Method = method.to_uppercase().parse().unwrap();
            let answer = http
                .request(method.clone(), &url)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 401, "{method} {url}");
            operations += 1;
        }
    }
    assert!(operations >= 6, "{operations} operations");
    // The reference page reads without a script (once the installation has its first account).
    app.add_user("boss@example.org", "Boss", "admin").await;
    let reference = app.client().get("/api/v1/docs").await;
    assert_eq!(reference.status, 200);
    assert!(reference.body.contains("GET /api/v1/items"));
    assert!(reference.body.contains("items:write"));
    assert!(!reference.body.contains("<script"));
}

#[tokio::test]
async fn an_analysts_bi_tool_reads_the_dashboards_figures_through_the_same_rules_and_audit() {
    let app =
        chorus_tests::TestApp::spawn_with(chorus_tests::TestAppOptions::default().arg("--demo"))
            .await;
    let db = sea_orm::Database::connect(app.database_url())
        .await
        .unwrap();
    let analyst = app.client();
    analyst
        .sign_in("analyst@demo.chorus.test", "chorus-demo-2026")
        .await;
    let api = Integration::new(&app, &make_token(&analyst, "BI", &["stats:read"]).await);
    let views = || async {
        use sea_orm::ConnectionTrait as _;
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM audit_log WHERE action IN ('stats.view', 'stats.export')",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    };
    let before = views().await;

    let today = chrono::Utc::now().date_naive();
    let from = (today - chrono::Duration::days(27)).to_string();
    let query = format!("from={from}&to={today}");
    let figures = api.get(&format!("/stats?{query}")).await;
    assert_eq!(figures.status, 200, "{}", figures.body);
    assert_eq!(figures.header("cache-control"), "no-store");
    assert_eq!(figures.body["refused"], false);
    let k = figures.body["min_group_size"].as_u64().unwrap();
    let tables = figures.body["tables"].as_array().unwrap();
    let network = tables
        .iter()
        .find(|t| t["dimension"] == "network")
        .expect("a table by network");
    let shares = network["total"]["shares"].as_u64().unwrap();
    assert!(shares > 0, "the demo shared in the last 28 days");
    // No figure is about fewer people than the minimum group size.
    for table in tables {
        for row in table["rows"].as_array().unwrap() {
            match row["status"].as_str().unwrap() {
                "shown" => assert!(row["people"].as_u64().unwrap() >= k, "{row}"),
                _ => assert!(row["shares"].is_null() && row["people"].is_null(), "{row}"),
            }
        }
    }
    assert_eq!(views().await, before + 1, "the view is in the audit log");

    // The same figures as the dashboard's CSV: one code path, byte for byte.
    let csv = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/stats?{query}")))
        .bearer_auth(&api.token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let from_api = csv.text().await.unwrap();
    let page = analyst.get(&format!("/stats/export.csv?{query}")).await;
    assert_eq!(page.status, 200);
    assert_eq!(from_api, page.body);
    assert!(
        from_api.contains(&format!("network,\"Total\",{shares},")),
        "{from_api}"
    );
    assert_eq!(views().await, before + 3);

    // A filter that does not read names its field.
    let wrong = api.get("/stats?from=2026-13-40&network=myspace").await;
    wrong.problem(422, "invalid");
    let mut fields = wrong.fields();
    fields.sort();
    assert_eq!(fields, ["from", "network"]);
    // An editor's token cannot read statistics, and an editor cannot grant it.
    let editor = app.client();
    editor
        .sign_in("editor@demo.chorus.test", "chorus-demo-2026")
        .await;
    let editor_api = Integration::new(&app, &make_token(&editor, "CMS", &["items:read"]).await);
    editor_api.get("/stats").await.problem(403, "scope_missing");
}

#[tokio::test]
async fn admins_make_service_tokens_that_act_with_their_roles_but_never_as_a_person() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("boss@example.org", "admin").await;
    let ambassador = app.signed_in("amb@example.org", "ambassador").await;
    assert_eq!(ambassador.get("/admin/api-tokens").await.status, 403);
    let page = admin.get("/admin/api-tokens").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(r#"value="people:read""#));
    assert!(
        !page.body.contains(r#"value="hub:read""#) && !page.body.contains(r#"value="items:read""#),
        "no personal scope, and nothing beyond the admin's roles, is offered"
    );
    // Forged forms are refused with the form kept.
    for (scope, why) in [
        ("hub:read", "act as a person"),
        ("items:read", "role you do not hold"),
    ] {
        let refused = admin
            .post_form(
                "/admin/api-tokens",
                &[
                    ("name", "Directory"),
                    ("expires_in_days", "30"),
                    ("scope", scope),
                ],
            )
            .await;
        assert_eq!(refused.status, 422, "{scope}");
        assert!(refused.body.contains(why), "{scope}: {}", refused.body);
        assert!(refused.body.contains(r#"value="Directory""#));
    }
    let made = admin
        .post_form(
            "/admin/api-tokens",
            &[
                ("name", "Directory"),
                ("expires_in_days", "365"),
                ("scope", "people:read"),
            ],
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    let token = testid(&made.body, "api-token");
    assert!(token.starts_with("chorus_svc_"), "{token}");
    let listed = admin.get("/admin/api-tokens").await;
    assert!(listed.body.contains("Directory"));
    assert!(listed.body.contains(">boss</td>"), "the maker is named");
    let api = Integration::new(&app, &token);
    let people = api.get("/people").await;
    assert_eq!(people.status, 200, "{}", people.body);
    assert_eq!(people.body["people"].as_array().unwrap().len(), 2);
    api.get("/hub").await.problem(403, "scope_missing");
    // Its maker's own page does not list it: it is the organisation's, not theirs.
    let own = admin.get("/account/tokens").await;
    assert!(!own.body.contains("Directory"));
    // Revoked by an admin, it stops at once.
    let start = listed.body.find("/admin/api-tokens/").unwrap() + "/admin/api-tokens/".len();
    let id: String = listed.body[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let revoked = admin
        .post_form(&format!("/admin/api-tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(revoked.status, 303);
    api.get("/people").await.problem(401, "unauthenticated");
}

#[tokio::test]
async fn each_token_is_limited_per_minute_and_every_answer_says_where_it_stands() {
    let app = TestApp::spawn_with(
        chorus_tests::TestAppOptions::default().env("CHORUS_API_REQUESTS_PER_MINUTE", "4"),
    )
    .await;
    let editor = app.signed_in("ed@example.org", "editor").await;
    let api = Integration::new(&app, &make_token(&editor, "CMS", &["items:read"]).await);
    let other = Integration::new(&app, &make_token(&editor, "Other", &["items:read"]).await);
    // The four calls of a minute; a minute that ends meanwhile starts the count again.
    let mut allowed = 0;
    let mut refused = None;
    for _ in 0..12 {
        let answer = api.get("/items").await;
        assert_eq!(answer.header("ratelimit-policy"), "\"per-token\";q=4;w=60");
        let standing = answer.header("ratelimit");
        assert!(standing.starts_with("\"per-token\";r="), "{standing}");
        if answer.status == 429 {
            refused = Some(answer);
            break;
        }
        assert_eq!(answer.status, 200);
        allowed += 1;
    }
    let refused = refused.expect("the fifth call of a minute is refused");
    assert!(allowed >= 4, "{allowed}");
    refused.problem(429, "rate_limited");
    let wait: i64 = refused.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(refused.header("ratelimit").contains(";r=0;"));
    // Another token has its own count.
    assert_eq!(other.get("/items").await.status, 200);
    // Made-up tokens, each different, share one count: past it they are refused before any
    // lookup, and a live token this server has seen still gets through.
    let mut statuses = Vec::new();
    for n in 0..12 {
        let made_up = Integration::new(&app, &format!("chorus_pat_madeup{n}"));
        let answer = made_up.get("/items").await;
        statuses.push(answer.status);
        if answer.status == 429 {
            answer.problem(429, "rate_limited");
            break;
        }
        answer.problem(401, "unauthenticated");
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    assert!(
        statuses.iter().filter(|s| **s == 401).count() >= 4,
        "{statuses:?}"
    );
    assert_eq!(other.get("/items").await.status, 200);
}

#[tokio::test]
async fn editors_move_items_through_the_workflow_and_ambassadors_cancel_only_their_own_waiting_shares()
 {
    let w = chorus_tests::world::StandInWorld::start().await;
    let editor = w.app.signed_in("ed@example.org", "editor").await;
    let api = Integration::new(
        &w.app,
        &make_token(&editor, "CMS", &["items:read", "items:write"]).await,
    );
    // Topics and campaigns name what items can be filed under.
    let topics = api.get("/topics").await;
    assert_eq!(topics.status, 200);
    assert!(topics.body.is_array());
    assert_eq!(api.get("/campaigns").await.status, 200);
    let topic = api.post("/topics", &json!({"name": "Energy"})).await;
    assert_eq!(topic.status, 201, "{}", topic.body);
    api.post("/topics", &json!({"name": "Energy"}))
        .await
        .problem(409, "name_taken");
    let blank = api.post("/topics", &json!({"name": "  "})).await;
    blank.problem(422, "invalid");
    assert_eq!(blank.fields(), ["name"]);
    let campaign = api
        .post(
            "/campaigns",
            &json!({"name": "Spring", "description": "Launch"}),
        )
        .await;
    assert_eq!(campaign.status, 201, "{}", campaign.body);
    assert_eq!(campaign.body["archived"], false);
    let listed = api.get("/topics").await;
    assert!(
        listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "Energy")
    );
    // A draft through the workflow, each action over the version it saw.
    let draft = api.post("/items", &draft("Workflow by API")).await;
    let id = draft.body["id"].as_i64().unwrap();
    let path = format!("/items/{id}/actions");
    api.send(
        reqwest::Method::POST,
        &path,
        Some(&json!({"action": "submit"})),
        &[],
    )
    .await
    .problem(428, "precondition_required");
    let submitted = api
        .send(
            reqwest::Method::POST,
            &path,
            Some(&json!({"action": "submit"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(submitted.status, 200, "{}", submitted.body);
    assert_eq!(submitted.body["state"], "in_review");
    let etag = submitted.header("etag");
    api.send(
        reqwest::Method::POST,
        &path,
        Some(&json!({"action": "fly"})),
        &[("if-match", &etag)],
    )
    .await
    .problem(422, "invalid");
    api.send(
        reqwest::Method::POST,
        &path,
        Some(&json!({"action": "reopen"})),
        &[("if-match", &etag)],
    )
    .await
    .problem(409, "not_allowed_now");
    api.send(
        reqwest::Method::POST,
        &path,
        Some(&json!({"action": "publish"})),
        &[("if-match", "\"1\"")],
    )
    .await
    .problem(412, "precondition_failed");
    let published = api
        .send(
            reqwest::Method::POST,
            &path,
            Some(&json!({"action": "publish"})),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(published.status, 200, "{}", published.body);
    assert_eq!(published.body["state"], "published");
    assert!(
        w.ana.get("/hub").await.body.contains("Workflow by API"),
        "the hub shows it"
    );

    // Ana's own shares: a scheduled one is cancelled through her token; nothing is posted.
    let (x_id, _) = w.account_ids().await;
    let later = (chrono::Utc::now() + chrono::Duration::days(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    chorus_tests::shares::submit_share_form(
        &w.ana,
        w.item,
        &[(&x_id, "Later, in my words")],
        &[("when", "later"), ("at", &later)],
    )
    .await;
    let mine = Integration::new(
        &w.app,
        &make_token(&w.ana, "Widget", &["shares:read", "shares:write"]).await,
    );
    let listed = mine.get("/me/shares").await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let share = &listed.body["shares"][0];
    assert_eq!(share["state"], "scheduled");
    assert_eq!(share["text"], "Later, in my words");
    let share_id = share["id"].as_i64().unwrap();
    // Someone else's token finds no such share (and an editor's token has no share scope).
    let bob = w.app.ambassador("bob@example.org").await;
    let bobs = Integration::new(&w.app, &make_token(&bob, "Mine", &["shares:write"]).await);
    let cancel = format!("/me/shares/{share_id}/cancel");
    bobs.send(reqwest::Method::POST, &cancel, None, &[])
        .await
        .problem(404, "not_found");
    api.send(reqwest::Method::POST, &cancel, None, &[])
        .await
        .problem(403, "scope_missing");
    let cancelled = mine.send(reqwest::Method::POST, &cancel, None, &[]).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(cancelled.body["state"], "cancelled");
    mine.send(reqwest::Method::POST, &cancel, None, &[])
        .await
        .problem(409, "not_allowed_now");
    assert!(w.x.posts().is_empty(), "nothing was posted");

    // Ana queues a share through her own X account with her token: her act, sent by the worker.
    let x_account: i64 = x_id.parse().unwrap();
    let queued = mine
        .post(
            "/me/shares",
            &json!({"item_id": w.item, "account_id": x_account, "text": "Proud of our solar plant #employee"}),
        )
        .await;
    assert_eq!(queued.status, 201, "{}", queued.body);
    assert_eq!(queued.body["network"], "x");
    chorus_tests::shares::wait_for_state(&w.ana, "published", 1).await;
    assert!(
        w.x.posts()
            .iter()
            .any(|p| p.text.contains("Proud of our solar plant")),
        "{:?}",
        w.x.posts()
    );
    // Not through someone else's account, not too long, not in the past.
    let ghost = bobs
        .post(
            "/me/shares",
            &json!({"item_id": w.item, "account_id": x_account, "text": "Ghost post"}),
        )
        .await;
    ghost.problem(422, "invalid");
    assert_eq!(ghost.fields(), ["account_id"]);
    let wrong = mine
        .post(
            "/me/shares",
            &json!({"item_id": w.item, "account_id": x_account, "text": "x".repeat(400), "at": "2020-01-01T09:00:00Z"}),
        )
        .await;
    wrong.problem(422, "invalid");
    let mut fields = wrong.fields();
    fields.sort();
    assert_eq!(fields, ["at", "text"]);
    assert_eq!(w.x.posts().len(), 1, "only Ana's own post went out");
    // Her own figures: the share she published, for her eyes only.
    let figures = mine.get("/me/figures").await;
    assert_eq!(figures.status, 200, "{}", figures.body);
    assert_eq!(figures.body["shares"], 1);
    assert_eq!(figures.body["per_network"][0]["network"], "x");
}

#[tokio::test]
async fn an_admins_directory_sync_adds_people_and_changes_their_roles_team_and_status() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("boss@example.org", "admin").await;
    let api = Integration::new(
        &app,
        &make_token(&admin, "HR sync", &["people:read", "people:write"]).await,
    );
    let created = api
        .post(
            "/people",
            &json!({"email": "Zoe@Example.org", "name": "Zoé Martin", "roles": ["editor"]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.header("cache-control"), "no-store");
    let person = &created.body["person"];
    assert_eq!(person["email"], "zoe@example.org");
    assert_eq!(person["roles"], json!(["ambassador", "editor"]));
    let id = person["id"].as_i64().unwrap();
    assert_eq!(created.header("location"), format!("/api/v1/people/{id}"));
    // The first password signs in.
    let password = created.body["initial_password"].as_str().unwrap();
    let zoe = app.client();
    assert_eq!(zoe.sign_in("zoe@example.org", password).await.status, 303);

    api.post(
        "/people",
        &json!({"email": "zoe@example.org", "name": "Again"}),
    )
    .await
    .problem(409, "email_taken");
    let wrong = api
        .post(
            "/people",
            &json!({"email": "not an email", "name": "", "roles": ["king"]}),
        )
        .await;
    wrong.problem(422, "invalid");
    let mut fields = wrong.fields();
    fields.sort();
    assert_eq!(fields, ["email", "name", "roles"]);

    // Roles, team and status, each left alone when not sent.
    let path = format!("/people/{id}");
    let changed = api
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(&json!({"roles": ["ambassador", "analyst"], "team": "Lyon"})),
            &[],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["roles"], json!(["ambassador", "analyst"]));
    assert_eq!(changed.body["team"], "Lyon");
    let off = api
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(&json!({"active": false})),
            &[],
        )
        .await;
    assert_eq!(off.body["active"], false);
    assert_eq!(off.body["team"], "Lyon", "what is not sent stays");
    assert_eq!(zoe.get("/hub").await.status, 303, "her session ended");
    // The last active admin stays one.
    let boss = api.get("/people?q=boss").await.body["people"][0]["id"]
        .as_i64()
        .unwrap();
    api.send(
        reqwest::Method::PATCH,
        &format!("/people/{boss}"),
        Some(&json!({"roles": ["editor"]})),
        &[],
    )
    .await
    .problem(409, "last_admin");
    api.send(
        reqwest::Method::PATCH,
        "/people/99999",
        Some(&json!({"active": true})),
        &[],
    )
    .await
    .problem(404, "not_found");
    // A token with people:read only cannot change anyone.
    let reader = Integration::new(&app, &make_token(&admin, "Reader", &["people:read"]).await);
    reader
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(&json!({"active": true})),
            &[],
        )
        .await
        .problem(403, "scope_missing");
}
