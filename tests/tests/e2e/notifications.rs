//! Issue 16, part 3 (first slice): email about a person's own shares, only for who chose it,
//! through a real SMTP server run by the tests (aiosmtpd): the headers, both parts, the
//! person's language, links to Chorus pages only, the one-click unsubscribe without a
//! session, retries when the server is busy, and each message sent once by two workers.

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
        &[("email_announcements", "on"), ("digest", "daily")],
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
