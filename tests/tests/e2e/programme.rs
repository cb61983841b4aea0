//! Issue 15, the programme page: editors write why the company asks, what people gain and who
//! does what, in both languages, each publication a new version; everyone signed in reads it
//! (opted in or not, from the guidelines and the welcome); the company's commitments come from
//! the settings in force, so changing the minimum group size changes the page.

use chorus_tests::TestApp;
use chorus_tests::html::testid;

/// The text of a section of the page, tags stripped and spaces folded.
fn section_text(body: &str, id: &str) -> String {
    let at = body
        .find(&format!(r#"data-testid="{id}""#))
        .unwrap_or_else(|| panic!("no {id} in {body}"));
    let end = at + body[at..].find("</section>").unwrap();
    let mut text = String::new();
    let mut in_tag = false;
    for c in body[at..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn editors_write_the_programme_and_its_commitments_follow_the_settings() {
    let app = TestApp::spawn().await;
    // Someone who has not opted in reads it: it is what they decide on.
    let newcomer = app.signed_in("nia@example.org", "ambassador").await;
    let join = newcomer.get("/hub/join").await.body;
    assert!(join.contains(r#"href="/programme" data-testid="programme-link""#));
    let page = newcomer.get("/programme").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        testid(&page.body, "programme-version").starts_with("Chorus’s starting text"),
        "before editors write it, the starting text says what it is"
    );
    let commitments = section_text(&page.body, "commitments");
    assert!(commitments.contains("No figure about fewer than 5 people is ever shown"));
    assert!(commitments.contains("Nothing is posted without you"));
    assert!(
        commitments.contains("Your posts suggest the disclosure “#employee”"),
        "{commitments}"
    );
    assert!(!page.body.contains(r#"href="/editor/programme""#));
    // Not signed in: the sign-in page, with the way back.
    let anonymous = app.client().get("/programme").await;
    assert_eq!(anonymous.status, 303);
    assert!(anonymous.location().starts_with("/sign-in"));

    // An editor writes it; an empty section comes back with every character kept.
    let editor = app.signed_in("eda@example.org", "editor").await;
    let form = editor.get("/editor/programme").await;
    assert_eq!(form.status, 200);
    let mut fields = vec![
        ("vision_en", "We build **solar farms** that towns own."),
        (
            "vision_fr",
            "Nous construisons des **centrales solaires** que les villes possèdent.",
        ),
        (
            "gains_en",
            "- Engineers: visibility for your expertise\n- Everyone: recruit your future colleagues",
        ),
        ("gains_fr", ""),
        (
            "roles_en",
            "Comms writes, you share, marketing sees totals.",
        ),
        (
            "roles_fr",
            "La communication écrit, vous partagez, le marketing voit des totaux.",
        ),
    ];
    let refused = editor.post_form("/editor/programme", &fields).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("Write this section: people read the page in their own language.")
    );
    assert!(
        refused
            .body
            .contains("Engineers: visibility for your expertise")
    );
    assert!(
        refused
            .body
            .contains(r#"id="gains_fr" name="gains_fr" rows="7" lang="fr" aria-invalid="true""#)
    );
    fields[3].1 = "- Ingénieurs : de la visibilité pour votre expertise";
    let published = editor.post_form("/editor/programme", &fields).await;
    assert_eq!(published.location(), "/editor/programme?done=published");
    // Not for ambassadors to write.
    assert_eq!(
        newcomer
            .post_form("/editor/programme", &fields)
            .await
            .status,
        403
    );

    let page = newcomer.get("/programme").await.body;
    assert!(testid(&page, "programme-version").starts_with("Version 1, published on "));
    assert!(section_text(&page, "vision").contains("We build solar farms that towns own."));
    assert!(
        page.contains("<strong>solar farms</strong>"),
        "Markdown rendered"
    );
    assert!(section_text(&page, "gains").contains("Everyone: recruit your future colleagues"));
    // In French, the French text.
    newcomer
        .post_form("/account/language", &[("language", "fr")])
        .await;
    let french = newcomer.get("/programme").await.body;
    assert!(section_text(&french, "vision").contains("centrales solaires"));
    assert!(
        section_text(&french, "commitments")
            .contains("Aucun chiffre portant sur moins de 5 personnes")
    );

    // The admin changes the minimum group size and the disclosure: the commitments follow.
    let admin = app.signed_in("ada@example.org", "admin").await;
    let saved = admin
        .post_form(
            "/admin/settings",
            &[
                ("min_group_size", "7"),
                ("disclosure_en", "#teammember"),
                ("disclosure_fr", "#salarié"),
            ],
        )
        .await;
    assert_eq!(saved.location(), "/admin/settings?done=saved");
    let english = editor.get("/programme").await.body;
    let commitments = section_text(&english, "commitments");
    assert!(
        commitments.contains("No figure about fewer than 7 people is ever shown"),
        "{commitments}"
    );
    assert!(
        commitments.contains("Your posts suggest the disclosure “#teammember”"),
        "{commitments}"
    );
    assert!(
        english.contains(r#"href="/editor/programme""#),
        "editors are offered to edit it"
    );
    let french = newcomer.get("/programme").await.body;
    assert!(section_text(&french, "commitments").contains("#salarié"));

    // A second publication is version 2; the first is kept.
    fields[0].1 = "Towns own what we build.";
    editor.post_form("/editor/programme", &fields).await;
    let page = editor.get("/programme").await.body;
    assert!(testid(&page, "programme-version").starts_with("Version 2"));
    assert!(section_text(&page, "vision").contains("Towns own what we build."));
}

/// Issue 15: a person may choose to show their name on what they shared (off by default); the
/// hub's card and the item's page then say so, for a share still published, and stop the
/// moment they change their mind or withdraw.
#[tokio::test]
async fn a_shared_by_line_names_only_those_who_chose_it_and_only_while_they_do() {
    use sea_orm::{ConnectionTrait as _, Database, Statement};

    let app = TestApp::spawn_with(chorus_tests::TestAppOptions::default().arg("--demo")).await;
    let db = Database::connect(app.database_url()).await.unwrap();
    let item: i32 = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT s.item_id AS item FROM shares s JOIN users u ON u.id = s.user_id \
             WHERE u.email = 'bruno@demo.chorus.test' AND s.state = 'published' \
             ORDER BY s.item_id LIMIT 1"
                .to_owned(),
        ))
        .await
        .unwrap()
        .expect("Bruno shared a demo item")
        .try_get("", "item")
        .unwrap();
    let reader = app.client();
    reader
        .sign_in("ambassador@demo.chorus.test", "chorus-demo-2026")
        .await;
    let item_page = format!("/hub/items/{item}");
    let before = reader.get(&item_page).await.body;
    assert!(
        !before.contains(r#"data-testid="named""#),
        "nobody chose to show their name: {before}"
    );

    let bruno = app.client();
    bruno
        .sign_in("bruno@demo.chorus.test", "chorus-demo-2026")
        .await;
    let chosen = bruno
        .post_form(
            "/account/privacy/choices",
            &[("show_name_on_shared_content", "on")],
        )
        .await;
    assert_eq!(chosen.status, 303, "{}", chosen.body);
    let page = reader.get(&item_page).await.body;
    assert_eq!(testid(&page, "named"), "Shared by Bruno Martin");
    let hub = reader.get("/hub").await.body;
    assert!(
        hub.contains("Shared by Bruno Martin"),
        "on the hub's card too"
    );
    let not_shared: i32 = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM content_items WHERE state = 'published' AND id NOT IN \
             (SELECT s.item_id FROM shares s JOIN users u ON u.id = s.user_id \
             WHERE u.email = 'bruno@demo.chorus.test' AND s.item_id IS NOT NULL) \
             ORDER BY id LIMIT 1",
        ))
        .await
        .unwrap()
        .map_or(0, |row| row.try_get("", "id").unwrap());
    if not_shared > 0 {
        let other = reader.get(&format!("/hub/items/{not_shared}")).await.body;
        assert!(!other.contains("Bruno Martin"), "only on what he shared");
    }

    // Withdrawing ends it at once.
    let withdrawn = bruno.post_form("/account/privacy/withdraw", &[]).await;
    assert_eq!(withdrawn.status, 303);
    let page = reader.get(&item_page).await.body;
    assert!(!page.contains("Bruno Martin"), "{page}");
}

/// Issue 15: while a person makes a post their own, Chorus says how many colleagues already
/// posted nearly the same words for the item on that network (links and case aside), as
/// advice that never blocks and names no one, and only once at least k colleagues' posts are
/// compared; the share page says it too.
#[tokio::test]
async fn sameness_with_colleagues_is_advice_from_k_posts_and_never_names_anyone() {
    use sea_orm::{ConnectionTrait as _, Database, Statement};

    let app = TestApp::spawn().await;
    let admin = app.signed_in("ada@example.org", "admin").await;
    admin
        .post_form(
            "/admin/settings",
            &[
                ("min_group_size", "3"),
                ("disclosure_en", ""),
                ("disclosure_fr", ""),
            ],
        )
        .await;
    let suggested = "Our new solar farm in Lyon powers 4,000 homes. Proud of the team!";
    let editor = app.signed_in("eda@example.org", "editor").await;
    let item = editor
        .publish_item(&[
            ("title", "Lyon, solar"),
            ("body", "Our new plant."),
            ("why", "It shows who we are."),
            ("link", "https://example.com/solar"),
            ("language", "en"),
            ("copy_x", suggested),
        ])
        .await;
    let amir = app.ambassador("amir@example.org").await;
    let db = Database::connect(app.database_url()).await.unwrap();
    // Colleagues who posted it on X: each an opted-in person with a published share.
    let mut colleagues = 0;
    let mut posted = async |text: &str| {
        colleagues += 1;
        let email = format!("colleague{colleagues}@example.org");
        app.ambassador(&email).await;
        let sql = format!(
            "INSERT INTO shares (user_id, item_id, network, text, link, state, scheduled_at, \
             next_attempt_at, attempts, idempotency_key, created_at, updated_at) \
             SELECT id, {item}, 'x', '{text}', 'https://example.com/solar', 'published', \
             CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, 'k-{colleagues}', CURRENT_TIMESTAMP, \
             CURRENT_TIMESTAMP FROM users WHERE email = '{email}'"
        );
        db.execute_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap();
    };
    let token = amir.token().await;
    let advice = async |text: &str| -> Vec<String> {
        let answer: serde_json::Value = amir
            .http()
            .post(amir.url(&format!("/hub/items/{item}/advice")))
            .header("x-csrf-token", &token)
            .json(&serde_json::json!({"network": "x", "text": text}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["blocks"], false, "advice never blocks: {answer}");
        answer["advice"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect()
    };
    let about_colleagues = |said: &[String]| {
        said.iter()
            .find(|a| a.contains("already posted nearly the same words"))
            .cloned()
    };
    // Two colleagues posted the suggested words: fewer than k = 3 posts, nothing is said.
    posted(&format!("{suggested} https://chorus.example/l/aaa")).await;
    posted("our new solar farm in lyon powers 4,000 homes! proud of the team https://chorus.example/l/bbb").await;
    assert_eq!(about_colleagues(&advice(suggested).await), None);
    // A third, in their own words: three posts compared, two nearly the same as the suggestion.
    posted("Two years of my life went into the Lyon solar farm; today it powers 4,000 homes and I am proud.").await;
    assert_eq!(
        about_colleagues(&advice(suggested).await).as_deref(),
        Some(
            "2 colleagues already posted nearly the same words for this. Yours will stand out if you say why it matters to you."
        )
    );
    let own = "I visited the Lyon site last spring: seeing 4,000 homes run on sun we built still moves me.";
    assert_eq!(
        about_colleagues(&advice(own).await),
        None,
        "one's own words"
    );
    // Another network: nobody posted there.
    let share_page = amir.get(&format!("/hub/items/{item}/share")).await.body;
    assert!(
        !share_page.contains("colleague1") && !share_page.contains("Colleague1"),
        "never names anyone"
    );
    assert!(
        share_page.contains("2 colleagues already posted nearly the same words"),
        "the X composer starts from the suggested copy: {share_page}"
    );
    // The same in Chromium, live as the person types: the advice goes once the words are theirs.
    {
        use chorus_tests::{Browser, PASSWORD};
        let browser = Browser::start(390, 844).await;
        let share_path = format!("/hub/items/{item}/share");
        browser
            .sign_in(
                &app.url(&format!("/sign-in?next={}", share_path.replace('/', "%2F"))),
                "amir@example.org",
                PASSWORD,
                &share_path,
            )
            .await;
        let advice_text = "return document.getElementById('text_own_x').closest('fieldset').querySelector('ul.advice').innerText;";
        let shown = browser.execute(advice_text).await;
        assert!(
            shown
                .as_str()
                .unwrap_or_default()
                .contains("2 colleagues already posted nearly the same words"),
            "{shown}"
        );
        browser
            .execute("document.getElementById('text_own_x').value = ''; return true;")
            .await;
        browser.type_into("#text_own_x", own).await;
        browser
            .wait_for("var list = document.getElementById('text_own_x').closest('fieldset').querySelector('ul.advice'); return list.hidden || list.innerText.indexOf('already posted') < 0;")
            .await;
        assert_eq!(
            browser.accessibility_violations().await,
            Vec::<String>::new(),
            "share page with advice"
        );
        browser.quit().await;
    }

    // Editors see how varied the posts were, through k = 3. Two people posted nearly the
    // suggested words and one their own: no group is shown, only the total.
    let stats_page = async || {
        editor
            .get(&format!("/editor/items/{item}/stats"))
            .await
            .body
    };
    let variety = |body: &str, label: &str| chorus_tests::html::row(body, "variety", label);
    let stats = stats_page().await;
    assert_eq!(variety(&stats, "Total"), ["3"], "{stats}");
    assert!(!stats.contains("Nearly the suggested words</th><td class=\"num\">2"));
    // Two more of the suggested words and two more in their own words: four and three.
    posted(&format!(
        "{suggested} #employee https://chorus.example/l/ccc"
    ))
    .await;
    posted(&format!("{suggested} https://chorus.example/l/ddd")).await;
    posted("Proud to see the plant I helped commission power a whole district of Lyon today.")
        .await;
    posted("From blueprint to 4,000 lit homes: what a ride with this crew, thank you all.").await;
    let stats = stats_page().await;
    assert_eq!(
        variety(&stats, "Nearly the suggested words"),
        ["4"],
        "{stats}"
    );
    assert_eq!(variety(&stats, "In their own words"), ["3"], "{stats}");
    assert_eq!(variety(&stats, "Total"), ["7"]);
}

/// Issue 15: "my impact" shows the person's own figures per item (exactly theirs, from the
/// roll-up) and what colleagues achieved together, only rounded down through the minimum
/// group size: no rank, no name.
#[tokio::test]
async fn my_impact_shows_my_items_and_what_we_did_together_rounded_through_k() {
    use sea_orm::{ConnectionTrait as _, Database, Statement};

    let app = TestApp::spawn_with(chorus_tests::TestAppOptions::default().arg("--demo")).await;
    let db = Database::connect(app.database_url()).await.unwrap();
    let bruno = app.client();
    bruno
        .sign_in("bruno@demo.chorus.test", "chorus-demo-2026")
        .await;
    let page = bruno.get("/hub/impact").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let today = chorus_ambassador::activity::day_number(chrono::Utc::now());
    let first = today - 7 * 12 - 6;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT c.title AS title, CAST(SUM(a.shares) AS BIGINT) AS s, \
                 CAST(SUM(a.humans) AS BIGINT) AS h FROM activity_daily a \
                 JOIN users u ON u.id = a.user_id JOIN content_items c ON c.id = a.item_id \
                 WHERE u.email = 'bruno@demo.chorus.test' AND a.day >= {first} \
                 GROUP BY c.title"
            ),
        ))
        .await
        .unwrap();
    assert!(!rows.is_empty(), "Bruno shared demo items");
    for row in rows {
        let title: String = row.try_get("", "title").unwrap();
        let shares: i64 = row.try_get("", "s").unwrap();
        let clicks: i64 = row.try_get("", "h").unwrap();
        let escaped = title.replace('\'', "&#x27;");
        let at = page
            .body
            .find(&format!(">{escaped}</a></th>"))
            .unwrap_or_else(|| panic!("{title} is among my items"));
        let cells: Vec<&str> = page.body[at..at + page.body[at..].find("</tr>").unwrap()]
            .split(r#"<td class="num">"#)
            .skip(1)
            .map(|cell| cell.split('<').next().unwrap())
            .collect();
        assert_eq!(cells, [shares.to_string(), clicks.to_string()], "{title}");
    }
    // Together: 24 demo colleagues and more took part; shown rounded down (k = 5: 20+).
    let together = page.body[page.body.find(r#"data-testid="together""#).unwrap()..]
        .split("</section>")
        .next()
        .unwrap()
        .to_owned();
    assert!(together.contains("20+ colleagues shared"), "{together}");
    assert!(!together.contains("Bruno"), "no name");

    // As Bruno reads it in Chromium on a phone: the same figures, no name, nothing wider
    // than the screen.
    let browser = chorus_tests::Browser::start(390, 844).await;
    browser
        .sign_in(
            &app.url("/sign-in?next=%2Fhub%2Fimpact"),
            "bruno@demo.chorus.test",
            "chorus-demo-2026",
            "/hub/impact",
        )
        .await;
    let seen = browser.text("main").await;
    assert!(seen.contains("20+ colleagues shared"), "{seen}");
    let shares = browser.text("[data-testid=my-shares]").await;
    assert!(
        browser
            .text("[data-testid=conversations]")
            .await
            .starts_with(&format!(
                "Each of your {shares} shares started a conversation"
            )),
        "conversations are counted from what Chorus published, never from a timeline"
    );
    assert!(
        !seen.contains("Bruno Martin"),
        "no name, not even mine: {seen}"
    );
    assert_eq!(
        browser
            .execute("return document.documentElement.scrollWidth <= window.innerWidth;")
            .await,
        true
    );
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "my impact"
    );
    browser.quit().await;
}

/// Issue 15, in real Chromium on a phone: an editor writes the programme page; an ambassador
/// reaches it from their welcome, with commitments that follow the settings (k changes, the
/// page changes); they set quiet hours on their account page, and a share made during them
/// waits, saying until when.
#[tokio::test]
async fn in_the_browser_the_programme_reads_from_the_settings_and_quiet_hours_hold_a_share() {
    use chorus_tests::world::StandInWorld;
    use chorus_tests::{Browser, PASSWORD};

    let w = StandInWorld::start().await;
    w.app
        .add_user("eli.b@example.org", "Eli Browser", "editor")
        .await;
    let browser = Browser::start(390, 844).await;
    browser
        .sign_in(
            &w.app.url("/sign-in?next=%2Feditor%2Fprogramme"),
            "eli.b@example.org",
            PASSWORD,
            "/editor/programme",
        )
        .await;
    browser
        .execute("document.getElementById('vision_en').value = ''; return true;")
        .await;
    browser
        .type_into(
            "#vision_en",
            "We want the towns we work in to own the energy they use.",
        )
        .await;
    browser
        .click("form[action='/editor/programme'] button[type=submit]")
        .await;
    browser
        .wait_for("return location.search.indexOf('done=published') >= 0;")
        .await;
    browser.quit().await;

    let browser = Browser::start(390, 844).await;
    browser
        .sign_in(
            &w.app.url("/sign-in?next=%2Fhub%2Fwelcome"),
            "ana@example.org",
            PASSWORD,
            "/hub/welcome",
        )
        .await;
    browser.click("[data-testid=programme-link]").await;
    browser
        .wait_for("return location.pathname === '/programme';")
        .await;
    assert!(
        browser
            .text("[data-testid=vision]")
            .await
            .contains("own the energy they use")
    );
    assert!(
        browser
            .text("[data-testid=commitments]")
            .await
            .contains("fewer than 5 people"),
        "the organisation's k"
    );
    let admin = w.app.client();
    admin.sign_in("boss@example.org", PASSWORD).await;
    admin
        .post_form(
            "/admin/settings",
            &[
                ("min_group_size", "8"),
                ("disclosure_en", "#employee"),
                ("disclosure_fr", ""),
            ],
        )
        .await;
    browser.goto(&w.app.url("/programme")).await;
    assert!(
        browser
            .text("[data-testid=commitments]")
            .await
            .contains("fewer than 8 people"),
        "k changed, the page changed"
    );
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "programme page"
    );

    // Quiet hours around now, in UTC (Ana's zone), set on her account page.
    let clock = |hours: i64| {
        (chrono::Utc::now() + chrono::Duration::hours(hours))
            .format("%H:%M")
            .to_string()
    };
    let (from, until) = (clock(-1), clock(2));
    browser.goto(&w.app.url("/account")).await;
    browser
        .execute(&format!(
            "document.getElementById('quiet_from').value = '{from}'; document.getElementById('quiet_until').value = '{until}'; return true;"
        ))
        .await;
    browser
        .click("form[action='/account/rhythm'] button[type=submit]")
        .await;
    browser
        .wait_for("return location.search.indexOf('done=rhythm') >= 0;")
        .await;
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "account page"
    );
    browser
        .goto(&w.app.url(&format!("/hub/items/{}/share", w.item)))
        .await;
    assert!(
        browser
            .text("[data-testid=rhythm-note]")
            .await
            .contains(&format!("quiet hours {from}–{until}"))
    );
    browser
        .execute("document.querySelectorAll('input[type=checkbox][name^=select_]').forEach(b => b.checked = b.name.indexOf('own_') < 0); return true;")
        .await;
    browser
        .click("form[method=post] button[type=submit].primary")
        .await;
    browser
        .wait_for("return location.pathname === '/hub/shares/ready';")
        .await;
    let said = browser.text("main").await;
    assert!(
        said.contains("you asked for a time in your quiet hours")
            && said.contains(&format!("{until} UTC")),
        "{said}"
    );
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "the page after sharing"
    );
    browser.screenshot("quiet-hours-held-390").await;
    w.app.wait_for_worker_to_settle().await;
    assert!(
        w.x.posts().is_empty() && w.mastodon.posts().is_empty(),
        "nothing goes out in quiet hours"
    );
    browser.quit().await;
}
