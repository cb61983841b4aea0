//! Journeys in real headless Chromium, on a 390 px wide phone screen.

use chorus_tests::{Browser, PASSWORD, TestApp};

const NO_HORIZONTAL_SCROLL: &str =
    "return document.documentElement.scrollWidth <= window.innerWidth;";

#[tokio::test]
async fn an_ambassador_signs_in_on_a_phone_and_lands_on_the_hub() {
    let app = TestApp::spawn().await;
    app.add_user("ana@example.org", "Ana Lima", "ambassador")
        .await;
    let browser = Browser::start(390, 844).await;

    browser.goto(&app.url("/hub")).await;
    assert!(browser.current_url().await.contains("/sign-in?next=%2Fhub"));
    assert_eq!(
        browser.execute(NO_HORIZONTAL_SCROLL).await,
        true,
        "the sign-in page fits a phone"
    );
    browser.screenshot("sign-in-390").await;

    browser.type_into("#email", "ana@example.org").await;
    browser.type_into("#password", PASSWORD).await;
    browser.click("button[type=submit].primary").await;
    // First visit: the guidelines, and the choice to take part.
    browser
        .wait_for("return location.pathname === '/hub/join';")
        .await;
    assert_eq!(browser.text("h1").await, "Take part in Chorus");
    assert_eq!(
        browser.execute(NO_HORIZONTAL_SCROLL).await,
        true,
        "the guidelines fit a phone"
    );
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "join page"
    );
    browser.screenshot("join-390").await;
    browser.click("[data-testid=accept]").await;
    browser
        .wait_for("return location.pathname === '/hub/welcome';")
        .await;
    browser.click("[data-testid=welcome-done]").await;
    browser
        .wait_for("return location.pathname === '/hub';")
        .await;

    assert_eq!(browser.text("h1").await, "Hub");
    assert!(browser.text("main").await.contains("Hello Ana Lima"));
    assert_eq!(
        browser.execute(NO_HORIZONTAL_SCROLL).await,
        true,
        "the hub fits a phone"
    );
    // The stylesheet loaded under the strict CSP (no inline styles or scripts needed).
    let accent = browser
        .execute(
            "return getComputedStyle(document.querySelector('.site-header')).borderBottomStyle;",
        )
        .await;
    assert_eq!(accent, "solid");
    browser.screenshot("hub-390").await;

    // The check itself can fail: a control without a label is reported.
    browser.execute("document.querySelector('main').insertAdjacentHTML('beforeend', '<input id=unlabelled>');").await;
    let violations = browser.accessibility_violations().await;
    assert!(
        violations.iter().any(|v| v.starts_with("label:")),
        "{violations:?}"
    );

    browser.click("[data-testid=sign-out]").await;
    browser
        .wait_for("return location.pathname === '/sign-in';")
        .await;
    assert!(
        browser
            .text("[role=status]")
            .await
            .contains("You are signed out")
    );
    browser.quit().await;
}

#[tokio::test]
async fn an_admin_adds_a_colleague_in_french_in_the_browser() {
    let app = TestApp::spawn().await;
    app.add_user("boss@example.org", "Boss", "admin").await;
    let admin = app.client();
    admin.sign_in("boss@example.org", PASSWORD).await;
    admin
        .post_form("/account/language", &[("language", "fr")])
        .await;

    let browser = Browser::start(390, 844).await;
    browser
        .sign_in(&app.url("/sign-in"), "boss@example.org", PASSWORD, "/admin")
        .await;
    assert_eq!(browser.text("h1").await, "Comptes");
    assert_eq!(
        browser.execute(NO_HORIZONTAL_SCROLL).await,
        true,
        "the accounts page fits a phone"
    );
    browser.screenshot("admin-fr-390").await;

    browser.click("a.button.primary").await;
    browser
        .wait_for("return location.pathname === '/admin/users/new';")
        .await;
    browser.type_into("#name", "Chloé Martin").await;
    browser.type_into("#email", "pas-une-adresse").await;
    browser.click("button[type=submit].primary").await;
    browser
        .wait_for("return document.querySelector('.field-error') !== null;")
        .await;
    assert!(
        browser
            .text(".field-error")
            .await
            .contains("Saisissez une adresse e-mail")
    );
    let kept = browser
        .execute("return document.querySelector('#name').value;")
        .await;
    assert_eq!(kept, "Chloé Martin", "the form keeps what was typed");
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "form with errors"
    );

    browser
        .execute("document.querySelector('#email').value = '';")
        .await;
    browser.type_into("#email", "chloe@example.org").await;
    browser.click("button[type=submit].primary").await;
    browser
        .wait_for("return document.querySelector('[data-testid=new-password]') !== null;")
        .await;
    let password = browser.text("[data-testid=new-password]").await;
    browser.quit().await;
    assert_eq!(
        app.client()
            .sign_in("chloe@example.org", &password)
            .await
            .status,
        303
    );
}

#[tokio::test]
async fn an_editor_writes_an_item_and_watches_the_counters_change() {
    let app = TestApp::spawn().await;
    app.add_user("eli@example.org", "Eli", "editor").await;
    let browser = Browser::start(390, 844).await;
    browser
        .sign_in(
            &app.url("/sign-in?next=%2Feditor%2Fitems%2Fnew"),
            "eli@example.org",
            PASSWORD,
            "/editor/items/new",
        )
        .await;
    // An empty copy is not an error (it is generated again on save): X, which refuses an empty
    // post, says "empty" like the others say "fits", not "over by 0" in red.
    assert_eq!(browser.text("[data-counter=x] .verdict").await, "empty");
    assert_eq!(
        browser
            .execute(
                "return document.querySelector('[data-counter=x]').classList.contains('over');"
            )
            .await,
        false
    );

    browser
        .type_into("#title", "Our plant runs on sunlight")
        .await;
    browser
        .type_into("#body", "We opened **a solar plant**.")
        .await;
    browser
        .type_into("#why", "The first step of our 2030 plan.")
        .await;
    browser
        .type_into(
            "#copy_x",
            "Proud of this: https://example.com/a-very-long-address-that-still-counts-as-23",
        )
        .await;
    // X counts the URL as 23: "Proud of this: " is 15, so 38 in all.
    browser
        .wait_for(
            "return document.querySelector('[data-counter=x]').getAttribute('data-used') === '38';",
        )
        .await;
    assert_eq!(browser.text("[data-counter=x] .verdict").await, "fits");
    // The post preview shows the text as X does: the link shortened, under the editor's name.
    browser
        .wait_for(
            "var t = document.querySelector('[data-preview-for=copy_x] .post-text').textContent; \
             return t.indexOf('Proud of this') === 0 && t.indexOf('…') > 0;",
        )
        .await;
    let preview = browser
        .text("[data-preview-for=copy_x] .post-text .post-link")
        .await;
    assert!(preview.starts_with("example.com/a-very"), "{preview}");
    assert!(!preview.contains("counts-as-23"), "{preview}");
    // The body and the "why it matters" card as the hub will show them, following the typing.
    browser
        .wait_for(
            "var b = document.querySelector('[data-rendered=body] strong'); \
             return b !== null && b.textContent === 'a solar plant';",
        )
        .await;
    assert_eq!(
        browser.text("[data-rendered=why]").await,
        "The first step of our 2030 plan."
    );

    browser.type_into("#copy_bluesky", &"a".repeat(301)).await;
    browser
        .wait_for(
            "return document.querySelector('[data-counter=bluesky]').classList.contains('over');",
        )
        .await;
    assert_eq!(
        browser.text("[data-counter=bluesky] .verdict").await,
        "over by 1"
    );
    // Short enough, yet refused: Threads takes at most five different links, and says so.
    let links: Vec<String> = (1..=6)
        .map(|n| format!("https://example.com/{n}"))
        .collect();
    browser.type_into("#copy_threads", &links.join(" ")).await;
    browser
        .wait_for(
            "return document.querySelector('[data-counter=threads]').classList.contains('over');",
        )
        .await;
    assert_eq!(
        browser.text("[data-counter=threads] .verdict").await,
        "more than 5 different links: remove some"
    );
    // Emptied again, it says "empty" as the page first did (the draft takes an empty copy).
    browser
        .execute(
            "var t = document.querySelector('#copy_threads'); t.value = ''; \
             t.dispatchEvent(new Event('input', {bubbles: true}));",
        )
        .await;
    browser
        .wait_for(
            "var c = document.querySelector('[data-counter=threads]'); \
             return !c.classList.contains('over') && c.querySelector('.verdict').textContent === 'empty';",
        )
        .await;
    assert_eq!(
        browser.execute(NO_HORIZONTAL_SCROLL).await,
        true,
        "the editor fits a phone"
    );
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "item editor"
    );
    browser.screenshot("editor-counters-390").await;
    browser.screenshots("editor-composer").await;

    browser
        .click("form.item-form button[type=submit].primary")
        .await;
    browser
        .wait_for("return location.search.indexOf('done=created') >= 0;")
        .await;
    assert!(
        browser
            .text("[role=status]")
            .await
            .contains("Draft created")
    );

    // Publish to the hub from the browser; an ambassador sees it with its meaning card.
    browser.click("button[data-action=publish]").await;
    browser
        .wait_for("return location.search.indexOf('done=publish') >= 0;")
        .await;
    assert!(
        browser
            .text("[role=status]")
            .await
            .contains("Published to the hub")
    );
    browser.quit().await;
    let amir = app.ambassador("amir@example.org").await;
    let hub = amir.get("/hub").await;
    assert!(
        hub.body.contains("Our plant runs on sunlight")
            && hub.body.contains("The first step of our 2030 plan.")
    );
}

#[tokio::test]
async fn une_redactrice_publie_un_contenu_en_francais_dans_le_navigateur() {
    let app = TestApp::spawn().await;
    app.add_user("elise@example.org", "Élise", "editor").await;
    let browser = Browser::start(390, 844).await;
    browser
        .sign_in(
            &app.url("/sign-in?next=%2Faccount"),
            "elise@example.org",
            PASSWORD,
            "/account",
        )
        .await;
    // The person's language setting makes the pages French.
    browser
        .execute("document.querySelector('#language').value = 'fr';")
        .await;
    browser
        .click("form[action='/account/language'] button")
        .await;
    browser
        .wait_for("return document.documentElement.lang === 'fr';")
        .await;
    browser.goto(&app.url("/editor/items/new")).await;
    assert_eq!(browser.text("h1").await, "Nouveau contenu");
    browser
        .type_into("#title", "Nous recrutons des apprentis")
        .await;
    browser
        .type_into("#body", "Quarante postes ouverts. #apprentissage")
        .await;
    browser
        .type_into(
            "#why",
            "Vous savez mieux qu’une annonce ce que le métier est vraiment.",
        )
        .await;
    browser
        .type_into(
            "#copy_mastodon",
            "Nous recrutons : https://example.com/apprentis",
        )
        .await;
    // Mastodon counts a URL with its scheme as 23: 17 + 23.
    browser.wait_for("return document.querySelector('[data-counter=mastodon]').getAttribute('data-used') === '40';").await;
    assert_eq!(
        browser.text("[data-counter=mastodon] .verdict").await,
        "dans la limite"
    );
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "éditeur en français"
    );
    browser
        .click("form.item-form button[type=submit].primary")
        .await;
    browser
        .wait_for("return location.search.indexOf('done=created') >= 0;")
        .await;
    browser.click("button[data-action=publish]").await;
    browser
        .wait_for("return location.search.indexOf('done=publish') >= 0;")
        .await;
    assert!(
        browser
            .text("[role=status]")
            .await
            .contains("Publié dans le hub")
    );
    browser.quit().await;
    let amir = app.ambassador("amir@example.org").await;
    assert!(
        amir.get("/hub?lang=fr")
            .await
            .body
            .contains("Nous recrutons des apprentis")
    );
}

#[tokio::test]
async fn an_ambassador_browses_the_demo_hub_and_opens_an_item_on_a_phone() {
    let app = TestApp::spawn_with(chorus_tests::TestAppOptions::default().arg("--demo")).await;
    let browser = Browser::start(390, 844).await;
    browser
        .sign_in(
            &app.url("/sign-in"),
            "ambassador@demo.chorus.test",
            "chorus-demo-2026",
            "/hub",
        )
        .await;
    assert!(
        browser
            .text("main")
            .await
            .contains("Our Lyon plant now runs on sunlight")
    );
    assert_eq!(
        browser.execute(NO_HORIZONTAL_SCROLL).await,
        true,
        "the hub fits a phone"
    );
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "hub with items"
    );
    browser.screenshot("hub-demo-390").await;

    browser.click(".hub-item h2 a").await;
    browser
        .wait_for("return location.pathname.indexOf('/hub/items/') === 0;")
        .await;
    assert!(browser.text("main").await.contains("Suggested copy"));
    assert_eq!(
        browser.execute(NO_HORIZONTAL_SCROLL).await,
        true,
        "the item fits a phone"
    );
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "hub item"
    );
    browser.screenshot("hub-item-390").await;
    browser.quit().await;
}

#[tokio::test]
async fn une_ambassadrice_accepte_les_regles_et_consulte_sa_page_de_transparence() {
    let app = TestApp::spawn().await;
    app.add_user("lea@example.org", "Léa", "ambassador").await;
    let browser = Browser::start(390, 844).await;
    browser
        .sign_in(
            &app.url("/sign-in?next=%2Faccount"),
            "lea@example.org",
            PASSWORD,
            "/account",
        )
        .await;
    browser
        .execute("document.querySelector('#language').value = 'fr';")
        .await;
    browser
        .click("form[action='/account/language'] button")
        .await;
    browser
        .wait_for("return document.documentElement.lang === 'fr';")
        .await;

    browser.goto(&app.url("/hub")).await;
    browser
        .wait_for("return location.pathname === '/hub/join';")
        .await;
    assert_eq!(browser.text("h1").await, "Participer à Chorus");
    assert!(
        browser.text("main").await.contains("Soyez vous-même")
            || browser.text("main").await.contains("soyez vous-même")
    );
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "page d'adhésion"
    );
    browser.click("[data-testid=accept]").await;
    browser
        .wait_for("return location.pathname === '/hub/welcome';")
        .await;
    assert!(
        browser
            .text("h1")
            .await
            .starts_with("Bienvenue dans Chorus")
    );

    browser.goto(&app.url("/account/privacy")).await;
    assert!(
        browser
            .text("[data-testid=participation]")
            .await
            .contains("Vous participez")
    );
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "participation"
    );
    browser.goto(&app.url("/account/transparency")).await;
    assert!(browser.text("main").await.contains("Version 1 acceptée le"));
    assert_eq!(
        browser.execute(NO_HORIZONTAL_SCROLL).await,
        true,
        "la page tient sur un téléphone"
    );
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "transparence"
    );
    browser.screenshot("transparence-390").await;
    browser.goto(&app.url("/account/privacy")).await;
    browser.click("[data-testid=withdraw]").await;
    browser
        .wait_for("return location.search.indexOf('done=withdrawn') >= 0;")
        .await;
    browser.goto(&app.url("/hub")).await;
    browser
        .wait_for("return location.pathname === '/hub/join';")
        .await;
    browser.quit().await;
}

/// The account id behind the personalise editor of `network`, read from the page.
async fn editor_id(browser: &Browser, network: &str) -> String {
    let id = browser
        .execute(&format!(
            "return document.querySelector('textarea[data-measure={network}]').id;"
        ))
        .await;
    id.as_str()
        .unwrap_or_else(|| panic!("no {network} editor"))
        .trim_start_matches("text_")
        .to_owned()
}

/// Ticks exactly one account's editor and types the text into it.
async fn only(browser: &Browser, network: &str, text: &str) {
    let id = editor_id(browser, network).await;
    browser
        .execute(&format!(
            "document.querySelectorAll('input[type=checkbox][name^=select_]').forEach(b => b.checked = b.name === 'select_{id}'); return true;"
        ))
        .await;
    browser
        .execute(&format!(
            "document.getElementById('text_{id}').value = ''; return true;"
        ))
        .await;
    browser.type_into(&format!("#text_{id}"), text).await;
}

#[tokio::test]
async fn an_ambassador_connects_mastodon_and_bluesky_publishes_now_and_later_and_sees_both_live() {
    let pds = chorus_tests::Pds::start().await;
    let mastodon: chorus_tests::standins::StandIn<chorus_tests::standins::Mastodon> =
        chorus_tests::standins::StandIn::start().await;
    let app = TestApp::spawn_with(
        chorus_tests::TestAppOptions::default()
            .env("CHORUS_BLUESKY_PLC_URL", &pds.plc_url)
            .env("CHORUS_UNSAFE_ALLOW_PRIVATE_FETCH", "true"),
    )
    .await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    let item = editor
        .publish_item(&[
            ("title", "Solar in Lyon"),
            ("body", "We opened a solar plant."),
            ("why", "Our 2030 plan."),
            ("link", "https://example.com/solar"),
            ("preview_title", "Lyon's solar plant opens"),
            ("language", "en"),
        ])
        .await;
    app.ambassador("ana@example.org").await;
    let bluesky_user = pds.create_account("ana").await;
    let app_password = pds.create_app_password(&bluesky_user, "chorus").await;

    let browser = Browser::start(390, 844).await;
    browser
        .sign_in(
            &app.url("/sign-in?next=%2Fhub%2Faccounts"),
            "ana@example.org",
            PASSWORD,
            "/hub/accounts",
        )
        .await;
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "accounts page"
    );
    browser.screenshots("accounts").await;
    // Mastodon: type the instance, go through its OAuth consent, come back connected.
    browser.type_into("#instance", mastodon.base_url()).await;
    browser
        .click("form[action='/hub/accounts/connect/mastodon'] button[type=submit]")
        .await;
    browser
        .wait_for("return location.pathname === '/hub/accounts' && document.body.innerText.includes('account connected: it is offered on every share page.');")
        .await;
    // Bluesky on the real PDS, with an app password (the way for servers without Bluesky
    // sign-in, folded under the sign-in).
    browser.goto(&app.url("/hub/accounts")).await;
    browser.click("details.app-password > summary").await;
    browser
        .type_into("#bluesky-identifier", &bluesky_user.did)
        .await;
    browser
        .type_into("#bluesky-app-password", &app_password)
        .await;
    browser
        .click("form[action='/hub/accounts/connect/bluesky'] button[type=submit]")
        .await;
    browser
        .wait_for("return location.pathname === '/hub/accounts' && document.body.innerText.includes('ana.test');")
        .await;
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "accounts page"
    );

    // Personalise the item: Mastodon now.
    browser.goto(&app.url(&format!("/hub/items/{item}"))).await;
    browser.click("[data-testid=make-it-yours]").await;
    browser
        .wait_for(&format!(
            "return location.pathname === '/hub/items/{item}/share';"
        ))
        .await;
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "personalise page"
    );
    only(
        &browser,
        "mastodon",
        "Our Lyon plant runs on sunlight, I saw it built. https://example.com/solar #employee",
    )
    .await;
    browser.click("input[name=when][value=now]").await;
    browser
        .click("form.share-form button[type=submit].primary")
        .await;
    browser
        .wait_for("return location.pathname === '/hub/shares/ready';")
        .await;
    // The page follows the share, without a reload, to "view your post" on the live post.
    browser
        .wait_for(
            "var a = document.querySelector('[data-testid=view-post]'); \
             return !!a && !a.closest('[data-live]').hidden;",
        )
        .await;
    let live = browser
        .execute("return document.querySelector('[data-testid=view-post]').href;")
        .await;
    let live = live.as_str().unwrap().to_owned();
    let post = mastodon.posts()[0].id.clone();
    assert!(
        live.starts_with(mastodon.base_url()) && live.ends_with(&post),
        "{live} is the live post {post}"
    );
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "share progress"
    );
    browser.screenshots("view-your-post").await;
    // Bluesky at a time of one's choosing: one to two minutes from now, so that it is surely
    // still waiting when checked (times are entered in UTC, to the minute).
    let at = (chrono::Utc::now() + chrono::Duration::seconds(121))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    browser
        .goto(&app.url(&format!("/hub/items/{item}/share")))
        .await;
    only(
        &browser,
        "bluesky",
        "Ten hectares of panels by the Rhône https://example.com/solar #solar #employee",
    )
    .await;
    // The radio and the date are set by script: a date picker is not typed into reliably.
    browser
        .execute(&format!(
            "document.querySelector('input[name=when][value=later]').checked = true; document.getElementById('at').value = '{at}'; return true;"
        ))
        .await;
    browser
        .click("form.share-form button[type=submit].primary")
        .await;
    browser
        .wait_for("return location.pathname === '/hub/shares/ready';")
        .await;
    assert!(
        browser
            .execute("return Array.from(document.querySelectorAll('[data-state=scheduled]')).some(e => e.innerText.includes('Ten hectares'));")
            .await
            .as_bool()
            .unwrap_or(false),
        "the Bluesky share waits for its time: {:?}",
        browser
            .execute("return document.querySelector('main').innerText;")
            .await
    );

    // Both end published, each with a link to the live post.
    let mut published = 0;
    for _ in 0..200 {
        browser.goto(&app.url("/hub/shares")).await;
        published = browser
            .execute("return document.querySelectorAll('[data-state=published]').length;")
            .await
            .as_u64()
            .unwrap_or(0);
        if published == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    assert_eq!(published, 2, "both shares published");
    let links = browser
        .execute("return Array.from(document.querySelectorAll('[data-state=published] a')).map(a => a.href).join(' ');")
        .await;
    let links = links.as_str().unwrap_or_default().to_owned();
    assert!(
        links.contains("https://bsky.app/profile/did:plc:"),
        "{links}"
    );
    assert!(
        links.contains(mastodon.base_url()) || links.contains("/@"),
        "{links}"
    );
    assert_eq!(mastodon.posts().len(), 1);
    let records = pds
        .list_records(&bluesky_user.did, "app.bsky.feed.post")
        .await;
    assert_eq!(records.len(), 1);
    assert!(
        records[0].value["text"]
            .as_str()
            .unwrap()
            .starts_with("Ten hectares")
    );
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "history page"
    );
    browser.screenshot("published-now-and-later-390").await;
    browser.quit().await;
}

/// What differs between the English and the French first-share journeys.
struct Journey {
    /// `Accept-Language` of the browser.
    languages: &'static str,
    /// The page's `lang`.
    lang: &'static str,
    /// A heading of the welcome page, in that language.
    welcome: &'static str,
    /// What the person writes for LinkedIn and for X.
    linkedin_words: &'static str,
    x_words: &'static str,
    /// Prefix of the screenshots.
    shots: &'static str,
}

/// Checks the page has no accessibility violation and no sideways scroll, then saves it at
/// 390 and 1280 px, light and dark.
async fn look_at(browser: &Browser, journey: &Journey, step: &str) {
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "{} {step}",
        journey.shots
    );
    assert_eq!(
        browser.execute(NO_HORIZONTAL_SCROLL).await,
        true,
        "{} {step}",
        journey.shots
    );
    assert_eq!(
        browser
            .execute("return document.documentElement.lang;")
            .await,
        journey.lang
    );
    browser
        .screenshots(&format!("{}-{step}", journey.shots))
        .await;
}

/// Issue 12: a brand-new demo ambassador, on a phone, with no account connected and nothing set
/// up, goes from sign-in through the guidelines and the welcome (LinkedIn and X ticked) to a
/// first "post it yourself" share on LinkedIn and on X. The composer addresses carry their
/// text and each share's tracked link; they confirm "I posted it" for X, someone follows its
/// link, and the click shows on "My figures". Every step passes axe-core and is saved at 390
/// and 1280 px, light and dark.
async fn first_share_journey(journey: &Journey) {
    let app = TestApp::spawn_with(chorus_tests::TestAppOptions::default().arg("--demo")).await;
    let browser = Browser::start_in(390, 844, journey.languages).await;
    let started = std::time::Instant::now();
    browser
        .sign_in(
            &app.url("/sign-in"),
            "camille@demo.chorus.test",
            "chorus-demo-2026",
            "/hub/join",
        )
        .await;
    let signed_in = started.elapsed();
    // Time spent checking and photographing pages is not the person's: it is taken out.
    let mut paused = std::time::Duration::ZERO;
    let pause = std::time::Instant::now();
    look_at(&browser, journey, "1-guidelines").await;
    paused += pause.elapsed();
    browser.click("[data-testid=accept]").await;
    browser
        .wait_for("return location.pathname === '/hub/welcome';")
        .await;
    assert!(
        browser.text("h1").await.contains(journey.welcome),
        "{}",
        browser.text("h1").await
    );
    let pause = std::time::Instant::now();
    look_at(&browser, journey, "2-welcome").await;
    paused += pause.elapsed();
    browser.click("input[name=network][value=linkedin]").await;
    browser.click("input[name=network][value=x]").await;
    // The time zone comes from the browser (headless Chromium runs in UTC here).
    let zone = browser
        .execute("return document.getElementById('time_zone').value;")
        .await;
    assert_eq!(
        zone,
        browser
            .execute("return Intl.DateTimeFormat().resolvedOptions().timeZone;")
            .await
    );
    browser.click("[data-testid=welcome-done]").await;
    browser
        .wait_for("return location.pathname === '/hub';")
        .await;
    let pause = std::time::Instant::now();
    look_at(&browser, journey, "3-hub").await;
    paused += pause.elapsed();
    browser.click("[data-testid=first-share-button]").await;
    browser
        .wait_for("return location.pathname.endsWith('/share');")
        .await;
    let pause = std::time::Instant::now();
    look_at(&browser, journey, "4-compose").await;
    paused += pause.elapsed();
    for network in ["linkedin", "x"] {
        assert_eq!(
            browser
                .execute(&format!(
                    "return document.querySelector('input[name=select_own_{network}]').checked;"
                ))
                .await,
            true,
            "{network} is ticked from the welcome"
        );
    }

    assert_eq!(
        browser
            .execute(
                "return document.querySelector('#text_own_x').closest('fieldset')\
                 .querySelector('ul.advice').hidden;"
            )
            .await,
        false,
        "the suggested text as it is gets advice"
    );
    for (network, words) in [("linkedin", journey.linkedin_words), ("x", journey.x_words)] {
        // The person keeps the item's link from the suggested copy and writes the rest.
        let link = browser
            .execute(&format!(
                "var area = document.querySelector('#text_own_{network}'); \
                 var link = area.value.match(/https?:[^ \\n]+/)[0]; area.value = ''; return link;"
            ))
            .await;
        let link = link.as_str().unwrap().to_owned();
        browser
            .type_into(&format!("#text_own_{network}"), &format!("{words} {link}"))
            .await;
    }
    // The advice follows the typing: the person's own words are no longer "the suggested
    // text", by the same rules the server applies on submit.
    for network in ["linkedin", "x"] {
        browser
            .wait_for(&format!(
                "return document.querySelector('#text_own_{network}').closest('fieldset')\
                 .querySelector('ul.advice').hidden === true;"
            ))
            .await;
    }
    // The previews follow the typing, as each network shows a post (X shortens the link).
    browser
        .wait_for(&format!(
            "var t = document.querySelector('[data-preview-for=text_own_x] .post-text').textContent; \
             return t.indexOf({:?}) === 0 && t.indexOf('https://') < 0;",
            journey.x_words
        ))
        .await;
    let pause = std::time::Instant::now();
    browser
        .screenshots(&format!("{}-4b-previews", journey.shots))
        .await;
    paused += pause.elapsed();
    browser.click("form.share-form button[type=submit]").await;
    browser
        .wait_for("return location.pathname === '/hub/shares/ready';")
        .await;
    let first_share = started.elapsed().saturating_sub(paused);
    look_at(&browser, journey, "5-ready").await;

    let composers = browser
        .execute(
            "return Array.from(document.querySelectorAll('a[data-composer]')).map(a => a.href);",
        )
        .await;
    let composers: Vec<String> = composers
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let text_of = |prefix: &str| {
        let href = composers
            .iter()
            .find(|h| h.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {composers:?}"));
        url::Url::parse(href)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "text")
            .unwrap()
            .1
            .into_owned()
    };
    let on_x = text_of("https://x.com/intent/post?");
    let on_linkedin = text_of("https://www.linkedin.com/feed/?shareActive=true&");
    assert!(on_x.starts_with(&format!("{} ", journey.x_words)), "{on_x}");
    assert!(
        on_linkedin.starts_with(journey.linkedin_words),
        "{on_linkedin}"
    );
    let tracked = on_x.rsplit(' ').next().unwrap().to_owned();
    assert!(tracked.starts_with(&app.url("/l/")), "{tracked}");
    let linkedin_tracked = on_linkedin.rsplit(' ').next().unwrap().to_owned();
    assert!(
        linkedin_tracked.starts_with(&app.url("/l/")) && linkedin_tracked != tracked,
        "one tracked link per share: {linkedin_tracked}"
    );

    // "I posted it" for X (the first card whose composer is X's).
    browser
        .execute(
            "var a = document.querySelector('a[href^=\"https://x.com/\"]'); \
             a.closest('li').querySelector('form[action$=\"/posted\"] button').click(); return true;",
        )
        .await;
    browser
        .wait_for("return location.search.indexOf('done=posted') >= 0;")
        .await;
    look_at(&browser, journey, "6-history").await;

    let visitor = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = visitor
        .get(&tracked)
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302);

    let mut clicks = String::new();
    for _ in 0..40 {
        browser.click("a[href='/hub/stats']").await;
        browser
            .wait_for("return location.pathname === '/hub/stats';")
            .await;
        clicks = browser.text("[data-testid=my-clicks]").await;
        if clicks == "1" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(clicks, "1", "the click on the X post's link");
    assert_eq!(browser.text("[data-testid=my-shares]").await, "1");
    look_at(&browser, journey, "7-figures").await;
    println!(
        "{}: first share in {} ms from the sign-in form to the composers ready \
         (sign-in {} ms; checks and screenshots taken out)",
        journey.shots,
        first_share.as_millis(),
        signed_in.as_millis()
    );
    browser.quit().await;
}

#[tokio::test]
async fn a_new_demo_ambassador_posts_it_themselves_on_a_phone_and_sees_the_click() {
    first_share_journey(&Journey {
        languages: "en-US,en",
        lang: "en",
        welcome: "Welcome to Chorus",
        linkedin_words: "Proud of the Lyon team and its solar roof. #employee",
        x_words: "Lyon runs on sunlight now. #employee",
        shots: "first-share-en",
    })
    .await;
}

#[tokio::test]
async fn the_same_first_share_in_french() {
    first_share_journey(&Journey {
        languages: "fr-FR,fr",
        lang: "fr",
        welcome: "Bienvenue dans Chorus",
        linkedin_words: "Fière de l'équipe de Lyon et de son toit solaire. #employee",
        x_words: "Lyon tourne au soleil désormais. #employee",
        shots: "first-share-fr",
    })
    .await;
}

/// The admins' table of the demo organisation's accounts, searched, and one person's page with
/// the deactivation asked first: at 390 px and 1280 px, light and dark, with no axe violation.
#[tokio::test]
async fn an_admin_searches_the_accounts_and_opens_a_persons_page() {
    let app = TestApp::spawn_with(chorus_tests::TestAppOptions::default().arg("--demo")).await;
    let browser = Browser::start(1280, 800).await;
    browser
        .sign_in(
            &app.url("/sign-in"),
            "admin@demo.chorus.test",
            "chorus-demo-2026",
            "/admin",
        )
        .await;
    assert!(browser.text("caption").await.contains("accounts"));
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "accounts table"
    );
    browser.screenshots("admin-accounts").await;

    browser.type_into("#q", "nantes").await;
    browser.click(".search-bar button").await;
    browser
        .wait_for("return location.search.indexOf('q=nantes') >= 0;")
        .await;
    let rows = browser
        .execute("return document.querySelectorAll('tbody tr').length;")
        .await;
    assert!(rows.as_u64().unwrap_or(0) >= 5, "the Nantes team: {rows}");
    browser.click("tbody tr th a").await;
    browser
        .wait_for("return location.pathname.indexOf('/admin/users/') === 0;")
        .await;
    assert!(browser.text("main").await.contains("Nantes"));
    browser.click("details.confirm summary").await;
    assert!(
        browser
            .text("details.confirm")
            .await
            .contains("signed out everywhere")
    );
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "a person's page"
    );
    browser.screenshots("admin-person").await;
    let phone = Browser::start(390, 844).await;
    phone
        .sign_in(
            &app.url("/sign-in"),
            "admin@demo.chorus.test",
            "chorus-demo-2026",
            "/admin",
        )
        .await;
    assert_eq!(
        phone.execute(NO_HORIZONTAL_SCROLL).await,
        true,
        "the accounts table fits a phone"
    );
    assert_eq!(
        phone.accessibility_violations().await,
        Vec::<String>::new(),
        "accounts table on a phone"
    );
    phone.quit().await;
    browser.quit().await;
}

/// The analysts' dashboard on the demo organisation, as a person sees it: at 390 px and
/// 1280 px, light and dark, with no axe violation; then with a team filter.
#[tokio::test]
async fn an_analyst_reads_the_dashboard_at_a_glance() {
    let app = TestApp::spawn_with(chorus_tests::TestAppOptions::default().arg("--demo")).await;
    let browser = Browser::start(1280, 800).await;
    browser
        .sign_in(
            &app.url("/sign-in"),
            "analyst@demo.chorus.test",
            "chorus-demo-2026",
            "/stats",
        )
        .await;
    assert!(browser.text("main").await.contains("Shares"));
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "dashboard"
    );
    browser.screenshots("dashboard").await;
    browser.goto(&app.url("/stats?team=Nantes")).await;
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "dashboard for a team"
    );
    browser.screenshots("dashboard-team").await;
    browser.quit().await;
}

/// Deleting a topic asks first: the button opens a short explanation holding the real one.
#[tokio::test]
async fn an_editor_is_asked_before_a_topic_is_deleted() {
    let app = TestApp::spawn_with(chorus_tests::TestAppOptions::default().arg("--demo")).await;
    let browser = Browser::start(390, 844).await;
    browser
        .sign_in(
            &app.url("/sign-in"),
            "editor@demo.chorus.test",
            "chorus-demo-2026",
            "/hub",
        )
        .await;
    browser.goto(&app.url("/editor/topics")).await;
    let before = browser
        .execute("return document.querySelectorAll('ul.plain li').length;")
        .await;
    browser.click("details.confirm summary").await;
    assert!(
        browser
            .text("details.confirm[open]")
            .await
            .contains("Items keep their content")
    );
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "topics with the confirmation open"
    );
    browser.screenshots("editor-topics-confirm").await;
    browser.click("details.confirm[open] button.danger").await;
    browser
        .wait_for("return location.pathname === '/editor/topics' && document.querySelector('.notice') !== null;")
        .await;
    let after = browser
        .execute("return document.querySelectorAll('ul.plain li').length;")
        .await;
    assert_eq!(after.as_u64().unwrap() + 1, before.as_u64().unwrap());
    browser.quit().await;
}

/// One page for what Chorus sends a person and where: email and their own chat, a wrong Matrix
/// ID shown again with what was typed, at 390 px and 1280 px, light and dark, with no axe
/// violation.
#[tokio::test]
async fn a_person_chooses_what_chorus_sends_them_and_where_on_one_page() {
    use chorus_tests::chat::ChatStandIns;
    let smtp = chorus_tests::smtp::SmtpServer::start().await;
    let chat = ChatStandIns::start().await;
    let app = TestApp::spawn_with(
        chorus_tests::TestAppOptions::default()
            .env("CHORUS_SMTP_URL", &smtp.url())
            .env("CHORUS_MAIL_FROM", "chorus@example.org")
            .env("CHORUS_UNSAFE_ALLOW_PRIVATE_FETCH", "true"),
    )
    .await;
    let admin = app.signed_in("boss@example.org", "admin").await;
    chat.connect_slack_and_matrix(&admin).await;
    app.ambassador("ana@example.org").await;
    let browser = Browser::start(1280, 800).await;
    browser
        .sign_in(&app.url("/sign-in"), "ana@example.org", PASSWORD, "/hub")
        .await;
    browser.goto(&app.url("/account/notifications")).await;
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "notifications page"
    );
    browser.click("input[name=email_events]").await;
    browser.click("input[name=chat_events]").await;
    browser
        .execute("document.querySelector('#chat_service').value = 'matrix'; return true;")
        .await;
    browser.type_into("#chat_address", "ana at work").await;
    browser.click("form.card button[type=submit]").await;
    browser
        .wait_for("return document.querySelector('[role=alert]') !== null;")
        .await;
    assert!(
        browser
            .text("[role=alert]")
            .await
            .contains("This is not a Matrix ID")
    );
    assert_eq!(
        browser
            .execute("return document.querySelector('#chat_address').value;")
            .await,
        "ana at work"
    );
    browser.screenshots("notifications-error").await;
    browser
        .execute("document.querySelector('#chat_address').value = ''; return true;")
        .await;
    browser
        .type_into("#chat_address", "@ana:chat.example.org")
        .await;
    browser.click("form.card button[type=submit]").await;
    browser
        .wait_for("return location.search.indexOf('done=saved') >= 0;")
        .await;
    assert_eq!(
        browser
            .execute(
                "return [...document.querySelectorAll('input[type=checkbox]:checked')].map(i => i.name).join(',');"
            )
            .await,
        "email_events,chat_events"
    );
    browser.screenshots("notifications").await;
}

/// The admins' warning that LinkedIn's API version ends soon, on their first page and on the
/// networks page: at 390 px and 1280 px, light and dark, with no axe violation.
#[tokio::test]
async fn an_admin_sees_that_the_linkedin_version_ends_soon() {
    use chrono::Datelike as _;
    let today = chrono::Utc::now().date_naive();
    let old = today
        .with_day(1)
        .unwrap()
        .checked_sub_months(chrono::Months::new(11))
        .unwrap()
        .format("%Y%m")
        .to_string();
    let app = TestApp::spawn_with(
        chorus_tests::TestAppOptions::default().env("CHORUS_LINKEDIN_VERSION", &old),
    )
    .await;
    let admin = app.signed_in("boss@example.org", "admin").await;
    let saved = admin
        .post_form(
            "/admin/networks",
            &[
                ("network", "linkedin"),
                ("client_id", "chorus-linkedin"),
                ("client_secret", "s3cret-linkedin"),
            ],
        )
        .await;
    assert_eq!(saved.location(), "/admin/networks?done=saved");
    let browser = Browser::start(1280, 800).await;
    browser
        .sign_in(&app.url("/sign-in"), "boss@example.org", PASSWORD, "/admin")
        .await;
    assert!(
        browser
            .text("[data-testid=linkedin-ends]")
            .await
            .contains(&old)
    );
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "admin page with the LinkedIn warning"
    );
    browser.screenshots("admin-linkedin-version").await;
    browser.goto(&app.url("/admin/networks")).await;
    assert_eq!(
        browser.accessibility_violations().await,
        Vec::<String>::new(),
        "networks page"
    );
    browser.screenshots("admin-networks-linkedin").await;
}

/// The share page's image, as a person uses it: the item's picture comes chosen; they choose
/// their own file instead, describe it, and that picture, with their words for it, is what
/// their Mastodon account posts.
#[tokio::test]
async fn an_ambassador_chooses_their_own_picture_on_the_share_page_and_it_is_posted_with_its_description()
 {
    use chorus_tests::pictures::sunrise_png;
    use chorus_tests::standins::{Mastodon, StandIn};
    let mastodon: StandIn<Mastodon> = StandIn::start().await;
    let app = TestApp::spawn_with(
        chorus_tests::TestAppOptions::default().env("CHORUS_UNSAFE_ALLOW_PRIVATE_FETCH", "true"),
    )
    .await;
    let editor = app.signed_in("eli@example.org", "editor").await;
    let item = editor
        .publish_item(&[
            ("title", "Solar in Lyon"),
            ("body", "We opened a solar plant."),
            ("why", "Our 2030 plan."),
            ("link", "https://example.com/solar"),
            ("preview_title", "Lyon's solar plant opens"),
            ("language", "en"),
        ])
        .await;
    chorus_tests::shares::add_item_image(
        &editor,
        item,
        &sunrise_png(1200, 630),
        "Rows of solar panels by the Rhône at sunrise",
    )
    .await;
    let ana = app.ambassador("ana@example.org").await;
    let instance: String =
        url::form_urlencoded::byte_serialize(mastodon.base_url().as_bytes()).collect();
    ana.connect_follow(&format!(
        "/hub/accounts/connect/mastodon?instance={instance}"
    ))
    .await;

    let browser = Browser::start(390, 844).await;
    let share = format!("/hub/items/{item}/share");
    browser
        .sign_in(
            &app.url(&format!("/sign-in?next={}", share.replace('/', "%2F"))),
            "ana@example.org",
            PASSWORD,
            &share,
        )
        .await;
    assert_eq!(
        browser
            .execute("return document.querySelector('input[name=image][value^=item]').checked;")
            .await,
        true,
        "the item's picture comes chosen"
    );
    let own_fields = "return getComputedStyle(document.querySelector('.own-image')).display;";
    assert_eq!(browser.execute(own_fields).await, "none");
    assert_eq!(
        browser.inspect("share-image").await,
        Vec::<String>::new(),
        "the share page with the item's picture"
    );
    browser.click("input[name=image][value=own]").await;
    assert_ne!(browser.execute(own_fields).await, "none");
    let mine = sunrise_png(800, 800);
    let path = std::env::temp_dir().join(format!("chorus-own-{}.png", std::process::id()));
    std::fs::write(&path, &mine).unwrap();
    browser
        .type_into("#image_file", path.to_str().unwrap())
        .await;
    browser
        .type_into(
            "#image_alt",
            "The plant seen from the hill above it, my photo",
        )
        .await;
    only(
        &browser,
        "mastodon",
        "The plant from the hill, my own photo",
    )
    .await;
    assert_eq!(
        browser.inspect("share-image-own").await,
        Vec::<String>::new(),
        "the share page with one's own picture"
    );
    browser
        .click("form.share-form button[type=submit].primary")
        .await;
    browser
        .wait_for("return location.pathname === '/hub/shares/ready';")
        .await;
    for _ in 0..200 {
        if !mastodon.posts().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let posts = mastodon.posts();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].images.len(), 1);
    assert_eq!(posts[0].images[0].bytes, mine, "their own picture");
    assert_eq!(
        posts[0].images[0].alt,
        "The plant seen from the hill above it, my photo"
    );
    let _ = std::fs::remove_file(path);
    browser.quit().await;
}
