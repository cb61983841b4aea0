//! Issue 16, parts 3 and 4: email about a person's own shares, accounts and suggestions, only
//! for who chose it, through a real SMTP server run by the tests (aiosmtpd): the headers, both
//! parts, the person's language, links to Chorus pages only, the one-click unsubscribe without
//! a session, retries when the server is busy, and each message sent once by two workers; the
//! same in a person's own chat (a Matrix direct room, a personal Slack webhook); digests and
//! editors' announcements; the organisation's chat channels.

use chorus_tests::shares::{queue_now, wait_for_state};
use chorus_tests::smtp::SmtpServer;
use chorus_tests::world::StandInWorld;
use chorus_tests::{Client, TestAppOptions};
use sea_orm::{ConnectionTrait as _, Database, Statement};

async fn world(smtp: &SmtpServer, options: TestAppOptions) -> StandInWorld {
    StandInWorld::start_with(
        options
            .env("CHORUS_SMTP_URL", &smtp.url())
            .env("CHORUS_MAIL_FROM", "Chorus <chorus@example.org>"),
    )
    .await
}

async fn turn_on_email(client: &Client) {
    let page = client.get("/account/notifications").await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains(r#"name="email_events" checked"#),
        "nothing is on by default"
    );
    let saved = client
        .post_form("/account/notifications", &[("email_events", "on")])
        .await;
    assert_eq!(saved.location(), "/account/notifications?done=saved");
    assert!(
        client
            .get("/account/notifications")
            .await
            .body
            .contains(r#"name="email_events" checked"#)
    );
}

/// Every `href="..."` of an HTML text.
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn email_about_a_share_goes_only_to_who_chose_it_in_their_language_and_one_click_stops_it() {
    let smtp = SmtpServer::start().await;
    let w = world(&smtp, TestAppOptions::default()).await;
    let (x_id, _) = w.account_ids().await;

    // Ana turns on email about her shares, and reads Chorus in French.
    turn_on_email(&w.ana).await;
    w.ana
        .post_form("/account/language", &[("language", "fr")])
        .await;
    // Ben shares too, but chose nothing.
    let ben = w.app.ambassador("ben@example.org").await;
    assert!(
        ben.connect_follow("/hub/accounts/connect/x")
            .await
            .body
            .contains("account connected")
    );
    let ben_x = ben.share_account_id(w.item, "x").await;
    queue_now(&ben, w.item, &[(&ben_x, "Ben, in his words")]).await;
    queue_now(&w.ana, w.item, &[(&x_id, "Ana, dans ses mots")]).await;
    wait_for_state(&ben, "published", 1).await;
    wait_for_state(&w.ana, "published", 1).await;

    let received = smtp.wait_for(1).await;
    w.app.wait_for_worker_to_settle().await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let received_now = smtp.received();
    assert_eq!(
        received_now.len(),
        1,
        "only Ana chose email: {received_now:#?}"
    );
    let mail = &received[0];
    assert_eq!(mail.rcpt_tos, vec!["ana@example.org".to_owned()]);
    assert_eq!(mail.mail_from, "chorus@example.org");
    assert_eq!(mail.header("From"), "Chorus <chorus@example.org>");
    assert_eq!(
        mail.header("Subject"),
        "Votre publication est en ligne sur X"
    );
    assert_eq!(mail.header("Content-Language"), "fr");
    assert_eq!(mail.header("Auto-Submitted"), "auto-generated");
    assert_eq!(mail.content_type, "multipart/alternative");
    let text = mail.part("text/plain");
    let html = mail.part("text/html");
    for (part, body) in [("text", text), ("html", html)] {
        assert!(body.contains("Bonjour ana,"), "{part}: {body}");
        assert!(
            body.contains("Votre partage de «\u{202f}Solar in Lyon\u{202f}» a été publié sur X."),
            "{part}: {body}"
        );
    }
    // No tracking: no image, and every link goes to a Chorus page.
    assert!(!html.contains("<img"), "{html}");
    let hrefs = links(html);
    assert_eq!(hrefs.len(), 3, "{hrefs:?}");
    assert!(
        hrefs.iter().all(|h| h.starts_with(&w.app.url("/"))),
        "{hrefs:?}"
    );
    assert!(hrefs[0].starts_with(&w.app.url("/hub/shares/")));
    let unsubscribe = mail
        .header("List-Unsubscribe")
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned();
    assert!(unsubscribe.starts_with(&w.app.url("/unsubscribe/")));
    assert_eq!(
        mail.header("List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    assert!(text.contains(&unsubscribe) && hrefs.contains(&unsubscribe));

    // Opening the link asks first (a scanner following it changes nothing).
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = anonymous.get(&unsubscribe).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("ana@example.org"));
    assert!(
        w.ana
            .get("/account/notifications")
            .await
            .body
            .contains(r#"name="email_events" checked"#)
    );
    // A forged link stops nothing.
    let forged = unsubscribe.replace("/unsubscribe/", "/unsubscribe/9");
    let refused = anonymous
        .post(&forged)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    // The mail client's one-click POST, with no cookie and no session: done.
    let one_click = anonymous
        .post(&unsubscribe)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(one_click.status(), 200);
    assert!(
        !w.ana
            .get("/account/notifications")
            .await
            .body
            .contains(r#"name="email_events" checked"#),
        "turned off"
    );
    // The works-council pack says where email goes.
    let admin = w.app.client();
    admin
        .sign_in("boss@example.org", chorus_tests::PASSWORD)
        .await;
    let pack = admin.get("/admin/works-council?lang=en").await.body;
    assert!(pack.contains(r#"data-channels="email""#), "{pack}");
    assert!(
        pack.contains("Email: through the SMTP server 127.0.0.1, only to people who turned it on")
    );
    // Her next share sends nothing.
    let (_, mastodon_id) = w.account_ids().await;
    queue_now(&w.ana, w.item, &[(&mastodon_id, "Ana, sur Mastodon")]).await;
    wait_for_state(&w.ana, "published", 2).await;
    w.app.wait_for_worker_to_settle().await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(smtp.received().len(), 1, "nothing after unsubscribing");
}

#[tokio::test]
async fn a_busy_server_is_tried_again_and_two_workers_send_each_message_once() {
    let smtp = SmtpServer::refusing_first(1).await;
    let w = world(
        &smtp,
        TestAppOptions::default().env("CHORUS_WORKER", "false"),
    )
    .await;
    let (x_id, mastodon_id) = w.account_ids().await;
    turn_on_email(&w.ana).await;
    let _first = w.app.spawn_worker("a", &[]);
    let _second = w.app.spawn_worker("b", &[]);
    queue_now(
        &w.ana,
        w.item,
        &[
            (&x_id, "On X, my words"),
            (&mastodon_id, "On Mastodon, my words"),
        ],
    )
    .await;
    wait_for_state(&w.ana, "published", 2).await;
    let received = smtp.wait_for(2).await;
    // Long enough for a duplicate to show, if any worker sent one.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let received_now = smtp.received();
    assert_eq!(received_now.len(), 2, "{received_now:#?}");
    let mut subjects: Vec<&str> = received.iter().map(|m| m.header("Subject")).collect();
    subjects.sort_unstable();
    assert_eq!(
        subjects,
        vec!["Your post is live on Mastodon", "Your post is live on X"]
    );
    let db = Database::connect(w.app.database_url()).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT state, attempts, last_error FROM notification_jobs ORDER BY id",
        ))
        .await
        .unwrap();
    let states: Vec<(String, i32)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get("", "state").unwrap(),
                r.try_get("", "attempts").unwrap(),
            )
        })
        .collect();
    assert_eq!(states.len(), 2, "one job per share: {states:?}");
    assert!(states.iter().all(|(s, _)| s == "sent"), "{states:?}");
    assert_eq!(
        states.iter().map(|(_, a)| a).sum::<i32>(),
        3,
        "the refused one went at its second attempt: {states:?}"
    );
}

/// A time zone where it is now between 08:00 and 23:59, so a digest is due today.
fn a_zone_past_eight() -> &'static str {
    use chrono::Timelike as _;
    let now = chrono::Utc::now();
    [
        "Pacific/Kiritimati",
        "Asia/Tokyo",
        "Asia/Dhaka",
        "Europe/Moscow",
        "UTC",
        "America/Bogota",
        "Pacific/Honolulu",
    ]
    .into_iter()
    .find(|zone| {
        let tz: chrono_tz::Tz = zone.parse().unwrap();
        now.with_timezone(&tz).hour() >= 8
    })
    .unwrap()
}

#[tokio::test]
async fn a_digest_lists_what_is_new_in_followed_topics_and_an_announcement_reaches_only_who_asked()
{
    let smtp = SmtpServer::start().await;
    let app = chorus_tests::TestApp::spawn_with(
        TestAppOptions::default()
            .env("CHORUS_SMTP_URL", &smtp.url())
            .env("CHORUS_MAIL_FROM", "chorus@example.org")
            .env("CHORUS_WORKER", "false"),
    )
    .await;
    // Two workers: each digest and each announcement still goes once.
    let _a = app.spawn_worker("a", &[]);
    let _b = app.spawn_worker("b", &[]);
    let editor = app.signed_in("eli@example.org", "editor").await;
    for name in ["Energy", "Careers"] {
        editor.post_form("/editor/topics", &[("name", name)]).await;
    }
    let item = |title: &'static str, topic: &'static str| {
        vec![
            ("title", title),
            ("body", "Body."),
            ("why", "Why it matters."),
            ("language", "en"),
            ("topic", topic),
        ]
    };
    let solar = editor.publish_item(&item("Solar in Lyon", "1")).await;
    editor.publish_item(&item("We are hiring", "2")).await;

    let person = |email: &'static str| {
        let app = &app;
        async move {
            let client = app.ambassador(email).await;
            client
                .post_form("/account/time-zone", &[("time_zone", a_zone_past_eight())])
                .await;
            client
        }
    };
    // Ana follows Energy, asks for a morning digest and for announcements.
    let ana = person("ana@example.org").await;
    ana.post_form("/hub/topics", &[("topic", "1")]).await;
    ana.post_form(
        "/account/notifications",
        &[
            ("email_announcements", "on"),
            ("email_digest", "on"),
            ("digest", "daily"),
        ],
    )
    .await;
    // Ben follows Energy and asked for nothing.
    let ben = person("ben@example.org").await;
    ben.post_form("/hub/topics", &[("topic", "1")]).await;
    // Carl asked for announcements, then stopped taking part.
    let carl = person("carl@example.org").await;
    carl.post_form("/hub/topics", &[("topic", "1")]).await;
    carl.post_form("/account/notifications", &[("email_announcements", "on")])
        .await;
    carl.post_form("/account/privacy/withdraw", &[]).await;
    // Dee asked for announcements, but follows Careers only.
    let dee = person("dee@example.org").await;
    dee.post_form("/hub/topics", &[("topic", "2")]).await;
    dee.post_form("/account/notifications", &[("email_announcements", "on")])
        .await;

    let digest = smtp.wait_for(1).await.remove(0);
    assert_eq!(digest.rcpt_tos, vec!["ana@example.org".to_owned()]);
    assert_eq!(digest.header("Subject"), "New to share today: 1");
    let text = digest.part("text/plain");
    assert!(text.contains("Solar in Lyon"), "{text}");
    assert!(
        text.contains(&app.url(&format!("/hub/items/{solar}"))),
        "{text}"
    );
    assert!(
        !text.contains("We are hiring"),
        "not a topic she follows: {text}"
    );

    // The editor announces the item, once, in their own words.
    let page = editor.get(&format!("/editor/items/{solar}")).await.body;
    assert!(page.contains(&format!("/editor/items/{solar}/announce")));
    let sent = editor
        .post_form(
            &format!("/editor/items/{solar}/announce"),
            &[("message", "Our first plant is running: tell your network!")],
        )
        .await;
    assert_eq!(
        sent.location(),
        format!("/editor/items/{solar}/announce?done=sent")
    );
    let done = editor.get(&sent.location()).await.body;
    assert!(
        done.contains("to 1 people"),
        "only Ana asked and takes part: {done}"
    );
    let again = editor
        .post_form(
            &format!("/editor/items/{solar}/announce"),
            &[("message", "Once more!")],
        )
        .await;
    assert_eq!(again.status, 409, "once per item");

    let received = smtp.wait_for(2).await;
    let announcement = &received[1];
    assert_eq!(announcement.rcpt_tos, vec!["ana@example.org".to_owned()]);
    assert!(announcement.header("Subject").ends_with(": Solar in Lyon"));
    assert!(
        announcement
            .part("text/plain")
            .contains("Our first plant is running: tell your network!")
    );
    // Long enough for anything else to arrive: nothing does.
    tokio::time::sleep(std::time::Duration::from_secs(25)).await;
    let all = smtp.received();
    assert_eq!(all.len(), 2, "{all:#?}");
    drop((ben, carl, dee));
}

#[tokio::test]
async fn an_announcement_is_posted_once_to_each_chat_channel_the_organisation_connected() {
    use chorus_tests::chat::{ChatStandIns, MATRIX_ROOM, MATRIX_TOKEN};
    let chat = ChatStandIns::start().await;
    let app = chorus_tests::TestApp::spawn_with(
        TestAppOptions::default().env("CHORUS_UNSAFE_ALLOW_PRIVATE_FETCH", "true"),
    )
    .await;
    let admin = app.signed_in("boss@example.org", "admin").await;
    assert_eq!(admin.get("/admin/channels").await.status, 200);
    // Bad values are refused with what to do; what was typed (not the secrets) is kept.
    let refused = admin
        .post_form(
            "/admin/channels",
            &[
                ("slack_webhook", "ftp://hooks.example.org/x"),
                ("matrix_homeserver", &chat.base),
                ("matrix_room", "ambassadors"),
                ("matrix_token", MATRIX_TOKEN),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .body
            .contains("Give an https:// address on the internet")
    );
    assert!(
        refused
            .body
            .contains("Give the room id, which starts with !")
    );
    assert!(refused.body.contains(&format!(r#"value="{}""#, chat.base)));
    assert!(
        !refused.body.contains(MATRIX_TOKEN),
        "a secret is never shown"
    );
    let saved = admin
        .post_form(
            "/admin/channels",
            &[
                ("slack_webhook", &chat.slack_webhook()),
                ("teams_webhook", &chat.teams_webhook()),
                ("matrix_homeserver", &chat.base),
                ("matrix_room", MATRIX_ROOM),
                ("matrix_token", MATRIX_TOKEN),
            ],
        )
        .await;
    assert_eq!(
        saved.location(),
        "/admin/channels?done=saved",
        "{}",
        saved.body
    );
    let page = admin.get("/admin/channels").await.body;
    for channel in ["slack", "teams", "matrix"] {
        assert!(
            page.contains(&format!(r#"data-connected="{channel}""#)),
            "{channel}"
        );
    }
    assert!(!page.contains(&chat.slack_webhook()) && !page.contains(MATRIX_TOKEN));

    let editor = app.signed_in("eli@example.org", "editor").await;
    editor
        .post_form("/editor/topics", &[("name", "Energy")])
        .await;
    let item = editor
        .publish_item(&[
            ("title", "Solar in Lyon"),
            ("body", "Body."),
            ("why", "Why it matters."),
            ("language", "en"),
            ("topic", "1"),
        ])
        .await;
    let sent = editor
        .post_form(
            &format!("/editor/items/{item}/announce"),
            &[("message", "Our first plant is running <3")],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);

    let mut posted = Vec::new();
    for _ in 0..300 {
        posted = chat.posted();
        if posted.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let by = |service: &str| {
        posted
            .iter()
            .find(|p| p.service == service)
            .unwrap_or_else(|| panic!("nothing posted to {service}: {posted:#?}"))
            .body
            .clone()
    };
    let link = app.url(&format!("/hub/items/{item}"));
    let slack = by("slack");
    assert_eq!(slack["text"], "eli: Solar in Lyon");
    assert!(
        slack["blocks"][0]["text"]["text"]
            .as_str()
            .unwrap()
            .contains("Our first plant is running &lt;3")
    );
    let teams = by("teams");
    let card = &teams["attachments"][0]["content"];
    assert_eq!(card["body"][0]["text"], "Solar in Lyon");
    assert_eq!(card["actions"][0]["url"], link.as_str());
    let matrix = by("matrix");
    assert!(
        matrix["body"]
            .as_str()
            .unwrap()
            .contains("Our first plant is running <3")
    );
    assert!(
        matrix["formatted_body"]
            .as_str()
            .unwrap()
            .contains(&format!(r#"<a href="{link}">"#))
    );
    assert!(
        chat.matrix_requests() >= 2,
        "the rate-limited request was tried again"
    );
    // Once each, whatever the retries.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(chat.posted().len(), 3, "{:#?}", chat.posted());
    // The works-council pack says where announcements go.
    let pack = admin.get("/admin/works-council?lang=en").await.body;
    assert!(pack.contains(r#"data-channels="chat""#), "{pack}");
    assert!(pack.contains("announcements are posted to Slack, Microsoft Teams, Matrix"));
}

/// Connects the organisation's chat services (what makes them available to people).
async fn connect_chat(app: &chorus_tests::TestApp, chat: &chorus_tests::chat::ChatStandIns) {
    // The world's admin.
    let admin = app.client();
    admin
        .sign_in("boss@example.org", chorus_tests::PASSWORD)
        .await;
    chat.connect_slack_and_matrix(&admin).await;
}

/// Waits until the stand-ins accepted `count` posts.
async fn wait_for_posts(
    chat: &chorus_tests::chat::ChatStandIns,
    count: usize,
) -> Vec<chorus_tests::chat::Posted> {
    for _ in 0..400 {
        let posted = chat.posted();
        if posted.len() >= count {
            return posted;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{count} posts expected: {:#?}", chat.posted());
}

#[tokio::test]
async fn events_reach_each_persons_own_chat_only_as_they_chose_a_matrix_room_opened_once() {
    let smtp = SmtpServer::start().await;
    let chat = chorus_tests::chat::ChatStandIns::start().await;
    let w = world(&smtp, TestAppOptions::default()).await;
    connect_chat(&w.app, &chat).await;
    let (x_id, mastodon_id) = w.account_ids().await;

    // The page offers the chat column and the services the organisation connects.
    let page = w.ana.get("/account/notifications").await.body;
    assert!(page.contains(r#"name="chat_events""#), "{page}");
    assert!(
        page.contains(r#"<option value="matrix""#) && page.contains(r#"<option value="slack""#)
    );
    assert!(
        !page.contains(r#"<option value="teams""#),
        "Teams is not connected"
    );
    // A wrong address is refused with what to do, and what was typed is kept.
    for (service, address, error) in [
        ("matrix", "ana at work", "This is not a Matrix ID"),
        (
            "slack",
            "ftp://hooks.example.org/x",
            "Chorus cannot post to this address",
        ),
        ("matrix", "", "give your address there"),
    ] {
        let refused = w
            .ana
            .post_form(
                "/account/notifications",
                &[
                    ("chat_events", "on"),
                    ("chat_service", service),
                    ("chat_address", address),
                ],
            )
            .await;
        assert_eq!(refused.status, 422, "{address}");
        assert!(refused.body.contains(error), "{address}: {}", refused.body);
        assert!(refused.body.contains(&format!(r#"value="{address}""#)));
        assert!(refused.body.contains(r#"name="chat_events" checked"#));
    }
    // Ana: her shares in Matrix, nothing by email.
    let saved = w
        .ana
        .post_form(
            "/account/notifications",
            &[
                ("chat_events", "on"),
                ("chat_service", "matrix"),
                ("chat_address", "@ana:chat.example.org"),
            ],
        )
        .await;
    assert_eq!(saved.location(), "/account/notifications?done=saved");
    // Ben: his shares by email and in Slack, through his own webhook.
    let ben = w.app.ambassador("ben@example.org").await;
    let ben_hook = format!("{}/services/T0CHORUS/B0BEN/personal", chat.base);
    let saved = ben
        .post_form(
            "/account/notifications",
            &[
                ("email_events", "on"),
                ("chat_events", "on"),
                ("chat_service", "slack"),
                ("chat_address", &ben_hook),
            ],
        )
        .await;
    assert_eq!(saved.location(), "/account/notifications?done=saved");
    // Cleo shares and chose nothing.
    let cleo = w.app.ambassador("cleo@example.org").await;
    for person in [&ben, &cleo] {
        assert!(
            person
                .connect_follow("/hub/accounts/connect/x")
                .await
                .body
                .contains("account connected")
        );
    }
    let ben_x = ben.share_account_id(w.item, "x").await;
    let cleo_x = cleo.share_account_id(w.item, "x").await;
    queue_now(&w.ana, w.item, &[(&x_id, "Ana, in her words")]).await;
    queue_now(&ben, w.item, &[(&ben_x, "Ben, in his words")]).await;
    queue_now(&cleo, w.item, &[(&cleo_x, "Cleo, in hers")]).await;
    for person in [&w.ana, &ben, &cleo] {
        wait_for_state(person, "published", 1).await;
    }
    let posted = wait_for_posts(&chat, 2).await;
    let rooms = chat.rooms();
    assert_eq!(rooms.len(), 1, "{rooms:#?}");
    assert_eq!(rooms[0].invite, vec!["@ana:chat.example.org".to_owned()]);
    assert!(rooms[0].is_direct);
    let to_ana: Vec<_> = posted.iter().filter(|p| p.target == rooms[0].id).collect();
    assert_eq!(to_ana.len(), 1, "{posted:#?}");
    let body = to_ana[0].body["body"].as_str().unwrap();
    assert!(body.contains("Your post is live on X"), "{body}");
    assert!(body.contains(&w.app.url("/hub/shares/")), "{body}");
    let to_ben: Vec<_> = posted
        .iter()
        .filter(|p| p.target == "/services/T0CHORUS/B0BEN/personal")
        .collect();
    assert_eq!(to_ben.len(), 1, "{posted:#?}");
    assert!(
        to_ben[0].body["text"]
            .as_str()
            .unwrap()
            .contains("Your post is live on X")
    );
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails[0].rcpt_tos, vec!["ben@example.org".to_owned()]);

    // Ana's next share goes to the same room; Ana's export holds her chat.
    queue_now(&w.ana, w.item, &[(&mastodon_id, "Ana, on Mastodon")]).await;
    wait_for_state(&w.ana, "published", 2).await;
    wait_for_posts(&chat, 3).await;
    w.app.wait_for_worker_to_settle().await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(chat.rooms().len(), 1, "the room is opened once");
    let posted = chat.posted();
    assert_eq!(
        posted.len(),
        3,
        "nothing for Cleo, nothing twice: {posted:#?}"
    );
    assert!(
        posted
            .iter()
            .all(|p| p.target != chorus_tests::chat::MATRIX_ROOM),
        "nothing in the organisation's room"
    );
    assert_eq!(smtp.received().len(), 1, "only Ben chose email");
    let export: serde_json::Value =
        serde_json::from_str(&w.ana.get("/account/export").await.body).unwrap();
    assert_eq!(
        export["notifications"]["own_chat"]["address"],
        "@ana:chat.example.org"
    );
    assert_eq!(export["notifications"]["choices"]["chat_events"], true);

    // Ben's webhook address is a secret: stored sealed.
    let db = Database::connect(w.app.database_url()).await.unwrap();
    let sealed: String = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT chat_address FROM notification_prefs WHERE chat_service = 'slack'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "chat_address")
        .unwrap();
    assert!(
        !sealed.contains("B0BEN"),
        "a webhook address is sealed: {sealed}"
    );
}

#[tokio::test]
async fn an_account_to_reconnect_soon_and_a_suggestion_published_are_told_to_who_chose_it() {
    use chorus_tests::standins::{LinkedIn, StandIn};
    let smtp = SmtpServer::start().await;
    let linkedin: StandIn<LinkedIn> = StandIn::start().await;
    let w = world(
        &smtp,
        TestAppOptions::default()
            .env("CHORUS_LINKEDIN_BASE_URL", linkedin.base_url())
            .env("CHORUS_WORKER", "false"),
    )
    .await;
    let admin = w.app.client();
    admin
        .sign_in("boss@example.org", chorus_tests::PASSWORD)
        .await;
    let client = linkedin.register_client(&w.app.url("/hub/accounts/callback/linkedin"));
    admin
        .post_form(
            "/admin/networks",
            &[
                ("network", "linkedin"),
                ("client_id", &client.client_id),
                (
                    "client_secret",
                    client.client_secret.as_deref().unwrap_or(""),
                ),
            ],
        )
        .await;
    // Ana chose email about what concerns her; Ben chose nothing. Both connect LinkedIn, whose
    // tokens last 60 days with no refresh token.
    turn_on_email(&w.ana).await;
    let ben = w.app.ambassador("ben@example.org").await;
    for person in [&w.ana, &ben] {
        assert!(
            person
                .connect_follow("/hub/accounts/connect/linkedin")
                .await
                .body
                .contains("account connected")
        );
    }
    // 57 days later: three days left.
    let db = Database::connect(w.app.database_url()).await.unwrap();
    let in_three_days = chrono::Utc::now() + chrono::Duration::days(3);
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE connected_accounts SET expires_at = $1 WHERE network = 'linkedin'",
        [in_three_days.into()],
    ))
    .await
    .unwrap();
    // Both suggest; the editor publishes both suggestions.
    for person in [&w.ana, &ben] {
        let sent = person
            .post_form(
                "/hub/suggest",
                &[("link", ""), ("idea", "Our apprentices won an award")],
            )
            .await;
        assert_eq!(sent.location(), "/hub/suggest?done=sent");
    }
    // The world's editor.
    let editor = w.app.client();
    editor
        .sign_in("eli@example.org", chorus_tests::PASSWORD)
        .await;
    for id in [w.item + 1, w.item + 2] {
        let marker = r#"name="version" value=""#;
        // Published, taken back, published again: still one notice.
        for action in ["publish", "return_to_draft", "publish"] {
            let version = editor
                .get(&format!("/editor/items/{id}"))
                .await
                .body
                .split(marker)
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap()
                .to_owned();
            let done = editor
                .post_form(
                    &format!("/editor/items/{id}/action"),
                    &[("action", action), ("version", &version)],
                )
                .await;
            assert_eq!(done.status, 303, "{action}: {}", done.body);
        }
    }
    let _worker = w.app.spawn_worker("a", &[]);
    let mails = smtp.wait_for(2).await;
    // Long enough for a duplicate to show, if any.
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let all = smtp.received();
    assert_eq!(all.len(), 2, "only Ana chose it, each once: {all:#?}");
    assert!(
        all.iter()
            .all(|m| m.rcpt_tos == vec!["ana@example.org".to_owned()])
    );
    let subject = |start: &str| {
        mails
            .iter()
            .find(|m| m.header("Subject").starts_with(start))
            .unwrap_or_else(|| panic!("no {start:?}: {mails:#?}"))
    };
    let reconnect = subject("Reconnect your LinkedIn account");
    let text = reconnect.part("text/plain");
    let date = in_three_days.format("%Y-%m-%d").to_string();
    assert!(
        text.contains(&format!("stops working for Chorus on {date}")),
        "{text}"
    );
    assert!(text.contains(&w.app.url("/hub/accounts")), "{text}");
    let accepted = subject("Your suggestion is in the hub: ");
    let text = accepted.part("text/plain");
    assert!(text.contains("which you suggested"), "{text}");
    assert!(
        text.contains(&w.app.url(&format!("/hub/items/{}", w.item + 1))),
        "{text}"
    );
    drop(ben);
}

#[tokio::test]
async fn the_welcome_asks_what_to_send_by_email_and_nothing_is_on_until_ticked() {
    let smtp = SmtpServer::start().await;
    let app = chorus_tests::TestApp::spawn_with(
        TestAppOptions::default()
            .env("CHORUS_SMTP_URL", &smtp.url())
            .env("CHORUS_MAIL_FROM", "chorus@example.org"),
    )
    .await;
    let ana = app.ambassador("ana@example.org").await;
    let page = ana.get("/hub/welcome").await.body;
    assert!(
        page.contains(r#"data-testid="welcome-notifications""#),
        "{page}"
    );
    assert!(
        page.contains(r#"name="email_events" aria-describedby="notify-hint">"#),
        "unticked: {page}"
    );
    // A bad time zone shows the form again with the choice kept.
    let refused = ana
        .post_form(
            "/hub/welcome",
            &[
                ("email_events", "on"),
                ("digest", "weekly"),
                ("time_zone", "Mars/Olympus"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .body
            .contains(r#"name="email_events" aria-describedby="notify-hint" checked"#)
    );
    assert!(refused.body.contains(r#"<option value="weekly" selected>"#));
    let done = ana
        .post_form(
            "/hub/welcome",
            &[
                ("email_events", "on"),
                ("digest", "weekly"),
                ("time_zone", "Europe/Paris"),
            ],
        )
        .await;
    assert_eq!(done.location(), "/hub?welcome=done");
    let prefs = ana.get("/account/notifications").await.body;
    assert!(prefs.contains(r#"name="email_events" checked"#), "{prefs}");
    assert!(prefs.contains(r#"name="email_digest" checked"#), "{prefs}");
    assert!(
        !prefs.contains(r#"name="email_announcements" checked"#),
        "{prefs}"
    );
    assert!(prefs.contains(r#"<option value="weekly" selected>"#));
    // Someone who ticks nothing gets nothing on.
    let ben = app.ambassador("ben@example.org").await;
    ben.post_form(
        "/hub/welcome",
        &[("digest", "never"), ("time_zone", "Europe/Paris")],
    )
    .await;
    let prefs = ben.get("/account/notifications").await.body;
    assert!(!prefs.contains(" checked"), "{prefs}");
}

/// An editor announces an item that Ana follows and asked announcements for; returns when the
/// announcement is queued.
async fn announce_to_ana(app: &chorus_tests::TestApp) {
    let editor = app.signed_in("eli@example.org", "editor").await;
    editor
        .post_form("/editor/topics", &[("name", "Energy")])
        .await;
    let item = editor
        .publish_item(&[
            ("title", "Solar in Lyon"),
            ("body", "Body."),
            ("why", "Why it matters."),
            ("language", "en"),
            ("topic", "1"),
        ])
        .await;
    let ana = app.ambassador("ana@example.org").await;
    ana.post_form("/hub/topics", &[("topic", "1")]).await;
    ana.post_form("/account/notifications", &[("email_announcements", "on")])
        .await;
    let sent = editor
        .post_form(
            &format!("/editor/items/{item}/announce"),
            &[("message", "Over TLS")],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
}

#[tokio::test]
async fn email_goes_over_starttls_and_tls_trusting_the_configured_authority_and_no_other() {
    use chorus_tests::smtp::{TestCa, Tls};
    let ca = TestCa::new();
    for (mode, arrived) in [(Tls::StartTls, "starttls"), (Tls::Implicit, "implicit")] {
        let smtp = SmtpServer::with_tls(mode, &ca).await;
        let app = chorus_tests::TestApp::spawn_with(
            TestAppOptions::default()
                .env("CHORUS_SMTP_URL", &smtp.url())
                .env("CHORUS_MAIL_FROM", "chorus@example.org")
                .env("CHORUS_SMTP_CA_FILE", ca.ca_file.to_str().unwrap()),
        )
        .await;
        announce_to_ana(&app).await;
        let mail = smtp.wait_for(1).await.remove(0);
        assert_eq!(mail.tls.as_deref(), Some(arrived), "{mail:#?}");
        assert_eq!(mail.rcpt_tos, vec!["ana@example.org".to_owned()]);
        assert!(mail.part("text/plain").contains("Over TLS"));
    }
    // Without the authority, the server's certificate is not trusted: nothing is sent, and the
    // message says why.
    let smtp = SmtpServer::with_tls(Tls::StartTls, &ca).await;
    let app = chorus_tests::TestApp::spawn_with(
        TestAppOptions::default()
            .env("CHORUS_SMTP_URL", &smtp.url())
            .env("CHORUS_MAIL_FROM", "chorus@example.org"),
    )
    .await;
    announce_to_ana(&app).await;
    let db = Database::connect(app.database_url()).await.unwrap();
    let mut error = String::new();
    for _ in 0..200 {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT last_error FROM notification_jobs WHERE kind = 'announcement'",
            ))
            .await
            .unwrap();
        if let Some(text) = row.and_then(|r| r.try_get::<Option<String>>("", "last_error").unwrap())
        {
            error = text;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        error.to_lowercase().contains("certificate") || error.contains("UnknownIssuer"),
        "{error}"
    );
    assert!(smtp.received().is_empty());
}
