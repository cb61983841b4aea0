//! Issue 16, part 2: provisioning with SCIM 2.0 through the real server, with requests shaped
//! as Microsoft Entra ID and Okta send them (their documented request bodies: `"op": "Replace"`
//! and `"value": "False"` from Entra, no-path `replace` objects and `members[value eq "..."]`
//! from Okta), the effects a leaving person must have (sessions, waiting shares, network
//! tokens, erasure), and the open-source SCIM compliance run (`scim2-tester`) against it.

use std::path::PathBuf;

use chorus_tests::html::number_after;
use chorus_tests::shares::submit_share_form;
use chorus_tests::world::StandInWorld;
use chorus_tests::{Client, TestApp, TestAppOptions};
use sea_orm::{ConnectionTrait as _, Database, Statement};
use serde_json::{Value, json};

/// A provider's view of Chorus: the SCIM address and a token.
struct Provider {
    base: String,
    token: String,
    http: reqwest::Client,
}

struct Answer {
    status: u16,
    content_type: String,
    body: Value,
}

impl Provider {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        Answer {
            status,
            content_type,
            body,
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    async fn patch(&self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> Answer {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    /// The id of the person a provider finds with `userName eq`, as Entra does before creating.
    async fn find(&self, user_name: &str) -> Option<String> {
        let filter: String =
            url::form_urlencoded::byte_serialize(format!("userName eq \"{user_name}\"").as_bytes())
                .collect();
        let found = self.get(&format!("/Users?filter={filter}")).await;
        assert_eq!(found.status, 200, "{}", found.body);
        found.body["Resources"][0]["id"].as_str().map(str::to_owned)
    }
}

/// An admin creates a token on the provisioning page, which shows it once.
async fn provider_for(app: &TestApp, admin: &Client, name: &str) -> Provider {
    let page = admin.get("/admin/provisioning").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(&app.url("/scim/v2")),
        "the address to give"
    );
    let created = admin
        .post_form("/admin/provisioning/tokens", &[("name", name)])
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let token = created
        .body
        .split(r#"data-testid="scim-token">"#)
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the token is shown once")
        .to_owned();
    assert!(token.starts_with("chorus_scim_"));
    let again = admin.get("/admin/provisioning").await.body;
    assert!(!again.contains(&token), "never shown again");
    assert!(again.contains(name), "listed by its name");
    Provider {
        base: app.url("/scim/v2"),
        token,
        http: reqwest::Client::new(),
    }
}

async fn query(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) -> Vec<sea_orm::QueryResult> {
    let db = Database::connect(app.database_url()).await.unwrap();
    db.query_all_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        values,
    ))
    .await
    .unwrap()
}

/// The person's roles (sorted, comma-separated) and team.
async fn roles_and_team(app: &TestApp, email: &str) -> (String, Option<String>) {
    let rows = query(
        app,
        "SELECT roles, team FROM users WHERE email = $1",
        vec![email.into()],
    )
    .await;
    let row = rows.first().expect("the person exists");
    let roles: String = row.try_get("", "roles").unwrap();
    let mut roles: Vec<&str> = roles.split(',').map(str::trim).collect();
    roles.sort_unstable();
    (roles.join(","), row.try_get("", "team").unwrap())
}

#[tokio::test]
async fn an_identity_provider_provisions_people_and_groups_as_entra_and_okta_send_them() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("boss@example.org", "admin").await;
    let entra = provider_for(&app, &admin, "Microsoft Entra ID").await;

    // Without a token, or with a wrong one: a SCIM error that says what to present.
    let anonymous = reqwest::Client::new()
        .get(app.url("/scim/v2/Users"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(
        anonymous.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("Authorization: Bearer")
    );
    let forged = Provider {
        token: "chorus_scim_forged".into(),
        base: entra.base.clone(),
        http: reqwest::Client::new(),
    };
    assert_eq!(forged.get("/Users").await.status, 401);

    // Entra's first step: is the person there? Then it creates them.
    assert_eq!(entra.find("ines.martin@example.org").await, None);
    let created = entra
        .post(
            "/Users",
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
                "userName": "Ines.Martin@example.org",
                "active": true,
                "displayName": "Inès Martin",
                "emails": [{"primary": true, "type": "work", "value": "Ines.Martin@example.org"}],
                "meta": {"resourceType": "User"},
                "name": {"formatted": "Inès Martin", "familyName": "Martin", "givenName": "Inès"},
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Comms"},
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.content_type, "application/scim+json");
    let ines = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["userName"], "Ines.Martin@example.org");
    assert_eq!(created.body["active"], true);
    assert_eq!(
        created.body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
        "Comms"
    );
    assert_eq!(
        created.body["meta"]["location"],
        format!("{}/Users/{ines}", entra.base)
    );
    assert_eq!(
        entra.find("ines.martin@EXAMPLE.org").await.as_deref(),
        Some(ines.as_str()),
        "userName matches without regard to case"
    );
    // Chorus's side: an ambassador who has not joined, with no password, in her team.
    let (roles, team) = roles_and_team(&app, "ines.martin@example.org").await;
    assert_eq!(roles, "ambassador");
    assert_eq!(team.as_deref(), Some("Comms"));
    let listed = admin.get("/admin?q=ines").await.body;
    assert!(listed.contains("Inès Martin"), "{listed}");

    // Creating her twice is a uniqueness error, not a second account.
    let twice = entra
        .post(
            "/Users",
            json!({"userName": "ines.martin@example.org",
                   "emails": [{"value": "ines.martin@example.org", "primary": true}]}),
        )
        .await;
    assert_eq!(twice.status, 409);
    assert_eq!(twice.body["scimType"], "uniqueness");

    // Entra's PATCH: capitalised ops, a filtered email path, the extension by URN.
    let patched = entra
        .patch(
            &format!("/Users/{ines}"),
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [
                    {"op": "Replace", "path": "displayName", "value": "Inès Martin-Roux"},
                    {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ines.roux@example.org"},
                    {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Lyon"},
                ],
            }),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["displayName"], "Inès Martin-Roux");
    assert_eq!(patched.body["emails"][0]["value"], "ines.roux@example.org");
    let (_, team) = roles_and_team(&app, "ines.roux@example.org").await;
    assert_eq!(team.as_deref(), Some("Lyon"));

    // Okta creates its people the same way, with given and family names only.
    let okta = provider_for(&app, &admin, "Okta").await;
    let sam = okta
        .post(
            "/Users",
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "sam.diallo@example.org",
                "name": {"givenName": "Sam", "familyName": "Diallo"},
                "emails": [{"primary": true, "value": "sam.diallo@example.org", "type": "work"}],
                "displayName": "Sam Diallo",
                "locale": "en-US",
                "externalId": "00ujl29u0le5T6Aj10h7",
                "groups": [],
                "password": "1mz050nq",
                "active": true,
            }),
        )
        .await;
    assert_eq!(sam.status, 201, "{}", sam.body);
    let sam = sam.body["id"].as_str().unwrap().to_owned();
    // Okta's PUT replaces the person (the team, not sent, stays).
    let put = okta
        .put(
            &format!("/Users/{sam}"),
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": sam,
                "userName": "sam.diallo@example.org",
                "name": {"givenName": "Samuel", "familyName": "Diallo"},
                "emails": [{"primary": true, "value": "sam.diallo@example.org", "type": "work"}],
                "active": true,
            }),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.body["displayName"], "Samuel Diallo");

    // Pagination and filters as RFC 7644 writes them.
    let page = entra.get("/Users?startIndex=2&count=1").await;
    assert_eq!(page.body["totalResults"], 3, "boss, Inès and Sam");
    assert_eq!(page.body["itemsPerPage"], 1);
    assert_eq!(page.body["startIndex"], 2);
    assert_eq!(page.body["Resources"][0]["id"], ines.as_str());
    let by_external = entra
        .get("/Users?filter=externalId%20eq%20%2200ujl29u0le5T6Aj10h7%22&attributes=userName")
        .await;
    assert_eq!(by_external.body["totalResults"], 1);
    assert_eq!(
        by_external.body["Resources"][0],
        json!({"id": sam, "userName": "sam.diallo@example.org",
               "schemas": by_external.body["Resources"][0]["schemas"],
               "meta": by_external.body["Resources"][0]["meta"]})
    );
    let bad = entra.get("/Users?filter=userName%20equals%20%22x%22").await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["scimType"], "invalidFilter");
    assert!(
        bad.body["detail"]
            .as_str()
            .unwrap()
            .contains("not an operator")
    );
    assert_eq!(entra.get("/Users/999999").await.status, 404);

    // Groups give roles and a team through the group map, saved on the provisioning page.
    let refused = admin
        .post_form(
            "/admin/provisioning/groups",
            &[("group_map", "Chorus editors = editor\nLyon office = boss")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .body
            .contains("Line 2 of the group map does not read")
    );
    assert!(
        refused.body.contains("Lyon office = boss"),
        "the text is kept"
    );
    let saved = admin
        .post_form(
            "/admin/provisioning/groups",
            &[(
                "group_map",
                "Chorus editors = editor\nLyon office = team: Lyon office",
            )],
        )
        .await;
    assert_eq!(saved.location(), "/admin/provisioning?done=groups");

    let group = entra
        .post(
            "/Groups",
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
                "displayName": "Chorus editors",
                "members": [],
            }),
        )
        .await;
    assert_eq!(group.status, 201, "{}", group.body);
    let editors = group.body["id"].as_str().unwrap().to_owned();
    // Entra adds members with a value list.
    let added = entra
        .patch(
            &format!("/Groups/{editors}"),
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                   "Operations": [{"op": "Add", "path": "members",
                                   "value": [{"value": ines}, {"value": sam}]}]}),
        )
        .await;
    assert_eq!(added.status, 200, "{}", added.body);
    assert_eq!(added.body["members"].as_array().unwrap().len(), 2);
    assert_eq!(
        roles_and_team(&app, "ines.roux@example.org").await.0,
        "ambassador,editor"
    );
    let ines_now = entra.get(&format!("/Users/{ines}")).await.body;
    assert_eq!(ines_now["groups"][0]["display"], "Chorus editors");
    // Entra removes a member with a value list; Okta with a filtered path.
    entra
        .patch(
            &format!("/Groups/{editors}"),
            json!({"Operations": [{"op": "Remove", "path": "members", "value": [{"value": sam}]}]}),
        )
        .await;
    assert_eq!(
        roles_and_team(&app, "sam.diallo@example.org").await.0,
        "ambassador",
        "leaving the group takes its role away"
    );
    let removed = okta
        .patch(
            &format!("/Groups/{editors}"),
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                   "Operations": [{"op": "remove", "path": format!("members[value eq \"{ines}\"]")}]}),
        )
        .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(removed.body["members"], json!([]));
    assert_eq!(
        roles_and_team(&app, "ines.roux@example.org").await.0,
        "ambassador"
    );

    // Okta pushes a group with its members and renames it with a no-path replace.
    let office = okta
        .post(
            "/Groups",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                   "displayName": "Lyon office", "members": [{"value": sam, "display": "Sam"}]}),
        )
        .await;
    assert_eq!(office.status, 201, "{}", office.body);
    assert_eq!(
        roles_and_team(&app, "sam.diallo@example.org")
            .await
            .1
            .as_deref(),
        Some("Lyon office")
    );
    let office = office.body["id"].as_str().unwrap().to_owned();
    let duplicate = okta
        .post("/Groups", json!({"displayName": "lyon office"}))
        .await;
    assert_eq!(duplicate.status, 409);
    let filtered = okta
        .get("/Groups?filter=displayName%20eq%20%22Lyon%20office%22&excludedAttributes=members")
        .await;
    assert_eq!(filtered.body["totalResults"], 1);
    assert!(filtered.body["Resources"][0].get("members").is_none());
    let renamed = okta
        .patch(
            &format!("/Groups/{office}"),
            json!({"Operations": [{"op": "replace", "value": {"id": office, "displayName": "Lyon site"}}]}),
        )
        .await;
    assert_eq!(renamed.body["displayName"], "Lyon site");
    assert_eq!(okta.delete(&format!("/Groups/{office}")).await.status, 204);
    assert_eq!(okta.get(&format!("/Groups/{office}")).await.status, 404);

    // A member that is not a person here is refused, saying so.
    let stranger = okta
        .post(
            "/Groups",
            json!({"displayName": "x", "members": [{"value": "424242"}]}),
        )
        .await;
    assert_eq!(stranger.status, 400);
    assert!(stranger.body["detail"].as_str().unwrap().contains("424242"));

    // The token's last use is shown; a revoked token stops working at once.
    let page = admin.get("/admin/provisioning").await.body;
    let id = number_after(&page, "/admin/provisioning/tokens/");
    let revoked = admin
        .post_form(&format!("/admin/provisioning/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(revoked.location(), "/admin/provisioning?done=revoked");
    let after: Vec<u16> = vec![
        okta.get("/Users").await.status,
        entra.get("/Users").await.status,
    ];
    assert!(
        after.contains(&401) && after.contains(&200),
        "only the revoked one is refused: {after:?}"
    );
}

#[tokio::test]
async fn deactivation_through_scim_ends_sessions_cancels_waiting_shares_and_revokes_tokens_and_deletion_erases()
 {
    let w = StandInWorld::start_with(TestAppOptions::default()).await;
    let (x_id, mastodon_id) = w.account_ids().await;
    let later = (chrono::Utc::now() + chrono::Duration::hours(3))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let queued = submit_share_form(
        &w.ana,
        w.item,
        &[
            (&x_id, "Later, in my words"),
            (&mastodon_id, "Later, on Mastodon"),
        ],
        &[("when", "later"), ("at", &later)],
    )
    .await;
    assert!(
        queued.location().starts_with("/hub/shares/ready"),
        "{}",
        queued.body
    );
    let admin = w.app.client();
    admin
        .sign_in("boss@example.org", chorus_tests::PASSWORD)
        .await;
    let okta = provider_for(&w.app, &admin, "Okta").await;
    let ana = okta
        .find("ana@example.org")
        .await
        .expect("local accounts are found by email");

    // Okta deactivates with a no-path replace.
    let deactivated = okta
        .patch(
            &format!("/Users/{ana}"),
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                   "Operations": [{"op": "replace", "value": {"active": false}}]}),
        )
        .await;
    assert_eq!(deactivated.status, 200, "{}", deactivated.body);
    assert_eq!(deactivated.body["active"], false);

    // Her session ended.
    let hub = w.ana.get("/hub").await;
    assert!(hub.location().starts_with("/sign-in"), "{}", hub.status);
    // Her waiting shares were cancelled, with the reason kept.
    let shares = query(
        &w.app,
        "SELECT state, last_error FROM shares WHERE user_id = $1",
        vec![ana.parse::<i32>().unwrap().into()],
    )
    .await;
    assert_eq!(shares.len(), 2);
    for share in &shares {
        let state: String = share.try_get("", "state").unwrap();
        let why: Option<String> = share.try_get("", "last_error").unwrap();
        assert_eq!(state, "cancelled");
        assert!(why.unwrap().contains("identity provider deactivated"));
    }
    // Her network tokens were revoked at the networks, and forgotten here.
    assert!(
        w.x.requests().iter().any(|r| r.path == "/2/oauth2/revoke"),
        "revoked at X"
    );
    assert!(
        w.mastodon
            .requests()
            .iter()
            .any(|r| r.path == "/oauth/revoke"),
        "revoked at Mastodon"
    );
    let accounts = query(
        &w.app,
        "SELECT id FROM connected_accounts WHERE user_id = $1",
        vec![ana.parse::<i32>().unwrap().into()],
    )
    .await;
    assert!(accounts.is_empty());
    // Nothing went out.
    w.app.wait_for_worker_to_settle().await;
    assert!(w.x.posts().is_empty() && w.mastodon.posts().is_empty());

    // The last admin cannot be deactivated by the provider.
    let boss = okta.find("boss@example.org").await.unwrap();
    let last = okta
        .patch(
            &format!("/Users/{boss}"),
            json!({"Operations": [{"op": "Replace", "path": "active", "value": "False"}]}),
        )
        .await;
    assert_eq!(last.status, 400);
    assert_eq!(last.body["scimType"], "mutability");

    // Entra reactivates with its string boolean: she signs in again and her history says why
    // her shares did not go.
    let back = okta
        .patch(
            &format!("/Users/{ana}"),
            json!({"Operations": [{"op": "Replace", "path": "active", "value": "True"}]}),
        )
        .await;
    assert_eq!(back.body["active"], true, "{}", back.body);
    let ana_again = w.app.client();
    ana_again
        .sign_in("ana@example.org", chorus_tests::PASSWORD)
        .await;
    let history = ana_again.get("/hub/shares").await.body;
    assert!(history.contains(r#"data-state="cancelled""#), "{history}");
    assert!(
        history.contains("Not sent: you stopped taking part, or your account was closed"),
        "{history}"
    );

    // Deleting her erases her account as her own erasure does.
    let deleted = okta.delete(&format!("/Users/{ana}")).await;
    assert_eq!(deleted.status, 204);
    let gone = okta.get(&format!("/Users/{ana}")).await;
    assert_eq!(gone.status, 404);
    assert_eq!(
        gone.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert!(
        query(
            &w.app,
            "SELECT id FROM users WHERE email = $1",
            vec!["ana@example.org".into()],
        )
        .await
        .is_empty()
    );
    assert!(
        query(
            &w.app,
            "SELECT id FROM shares WHERE user_id = $1",
            vec![ana.parse::<i32>().unwrap().into()]
        )
        .await
        .is_empty(),
        "her shares went with her"
    );
    assert!(
        ana_again
            .get("/hub")
            .await
            .location()
            .starts_with("/sign-in")
    );
}

/// The `scim2` command of `scim2-cli` (installed by `scripts/test` in `tests/peers/.venv`).
fn scim2() -> PathBuf {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/.venv/bin/scim2");
    assert!(
        venv.is_file(),
        "{} is missing: run ./scripts/test, which installs tests/peers/requirements.txt",
        venv.display()
    );
    venv
}

#[tokio::test]
async fn the_open_source_scim_compliance_run_passes_against_the_real_server() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("boss@example.org", "admin").await;
    let provider = provider_for(&app, &admin, "scim2-tester").await;
    let output = tokio::process::Command::new(scim2())
        .arg("--url")
        .arg(&provider.base)
        .env(
            "SCIM_CLI_HEADERS",
            format!("Authorization: Bearer {}", provider.token),
        )
        .args(["test", "--check-status-code", "--check-content-type"])
        .output()
        .await
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    let count = |status: &str| {
        report
            .lines()
            .filter(|line| line.starts_with(&format!("{status} ")))
            .count()
    };
    assert_eq!(count("ERROR"), 0, "{report}");
    assert_eq!(count("CRITICAL"), 0, "{report}");
    // Discovery, then create, read, attribute projection, search, replace, delete and each
    // PATCH operation on every attribute, for users and for groups.
    assert!(count("SUCCESS") >= 60, "{report}");
    for check in [
        "object_creation",
        "search_with_attributes",
        "check_add_attribute",
        "check_remove_attribute",
        "check_replace_attribute",
        "object_deletion",
    ] {
        assert!(
            report.contains(&format!("SUCCESS {check}")),
            "{check} did not run: {report}"
        );
    }
}
