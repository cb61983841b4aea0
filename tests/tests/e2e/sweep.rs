//! Every page of every role as people see it: on a 390 px phone and a 1280 px desktop, in light
//! and dark mode, in English and in French. Each view is saved under `test-artifacts/sweep-*`
//! and checked: axe-core finds no violation (colour contrast included) and nothing is wider
//! than the screen.

use chorus_tests::{Browser, TestApp, TestAppOptions};

const DEMO_PASSWORD: &str = "chorus-demo-2026";

/// The pages one person opens, by name and path; `{id}` is the id in the first link matching
/// `first.1` on the page `first.0` (the newest item, the first person).
async fn sweep(email: &str, first: Option<(&str, &str)>, pages: &[(&str, &str)]) {
    let app = TestApp::spawn_with(TestAppOptions::default().arg("--demo")).await;
    let mut problems = Vec::new();
    let mut seen = 0;
    for (language, accept) in [("en", "en-GB,en"), ("fr", "fr-FR,fr")] {
        let browser = Browser::start_in(1280, 800, accept).await;
        browser
            .sign_in(
                &app.url("/sign-in?next=%2Faccount"),
                email,
                DEMO_PASSWORD,
                "/account",
            )
            .await;
        let lang = browser
            .execute("return document.documentElement.lang;")
            .await;
        assert_eq!(lang, language, "{email} reads pages in {language}");
        let id = match first {
            Some(first) => first_id(&app, &browser, first).await,
            None => String::new(),
        };
        for (name, path) in pages {
            let path = path.replace("{id}", &id);
            browser.goto(&app.url(&path)).await;
            let landed = browser.execute("return location.pathname;").await;
            let wanted = path.split('?').next().unwrap_or_default();
            assert_eq!(landed, wanted, "{email} opens {path}");
            let heading = browser.text("h1").await;
            assert!(!heading.trim().is_empty(), "{path} has a heading");
            problems.extend(browser.inspect(&format!("sweep-{name}-{language}")).await);
            seen += 1;
        }
        browser.quit().await;
    }
    assert_eq!(seen, pages.len() * 2);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The id at the end of the first link matching `link` on the page `list`.
async fn first_id(app: &TestApp, browser: &Browser, (list, link): (&str, &str)) -> String {
    browser.goto(&app.url(list)).await;
    let href = browser
        .execute(&format!(
            "var a = document.querySelector(\"{link}\"); return a ? a.getAttribute('href') : '';"
        ))
        .await;
    let href = href.as_str().unwrap_or_default().to_owned();
    href.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|id| id.parse::<i32>().is_ok())
        .unwrap_or_else(|| panic!("no link {link} on {list}: {href}"))
        .to_owned()
}

#[tokio::test]
async fn every_page_of_an_ambassador_reads_well_on_a_phone_and_a_desktop_light_and_dark_in_both_languages()
 {
    sweep(
        "ambassador@demo.chorus.test",
        Some(("/hub", ".hub-item h2 a")),
        &[
            ("hub", "/hub"),
            ("hub-item", "/hub/items/{id}"),
            ("share", "/hub/items/{id}/share"),
            ("shares", "/hub/shares"),
            ("my-figures", "/hub/stats"),
            ("accounts", "/hub/accounts"),
            ("topics", "/hub/topics"),
            ("welcome", "/hub/welcome"),
            ("programme", "/programme"),
            ("account", "/account"),
            ("notifications", "/account/notifications"),
            ("privacy", "/account/privacy"),
            ("transparency", "/account/transparency"),
        ],
    )
    .await;
}

#[tokio::test]
async fn every_page_of_an_editor_reads_well_on_a_phone_and_a_desktop_light_and_dark_in_both_languages()
 {
    sweep(
        "editor@demo.chorus.test",
        Some(("/editor", "a[href^='/editor/items/']:not([href$='/new'])")),
        &[
            ("editor", "/editor"),
            ("item-new", "/editor/items/new"),
            ("item-edit", "/editor/items/{id}"),
            ("item-history", "/editor/items/{id}/revisions"),
            ("item-stats", "/editor/items/{id}/stats"),
            ("item-announce", "/editor/items/{id}/announce"),
            ("topics-campaigns", "/editor/topics"),
            ("guidelines", "/editor/guidelines"),
            ("programme-edit", "/editor/programme"),
            ("feeds", "/editor/feeds"),
            ("api-tokens", "/account/tokens"),
            ("api-reference", "/api/v1/docs"),
        ],
    )
    .await;
}

#[tokio::test]
async fn every_page_of_an_analyst_and_an_admin_reads_well_on_a_phone_and_a_desktop_light_and_dark_in_both_languages()
 {
    sweep(
        "analyst@demo.chorus.test",
        None,
        &[
            ("dashboard", "/stats"),
            ("dashboard-team", "/stats?team=Lyon"),
            ("analyst-account", "/account"),
        ],
    )
    .await;
    sweep(
        "admin@demo.chorus.test",
        Some(("/admin", "a[href^='/admin/users/']:not([href$='/new'])")),
        &[
            ("people", "/admin"),
            ("people-search", "/admin?q=martin"),
            ("person", "/admin/users/{id}"),
            ("person-new", "/admin/users/new"),
            ("settings", "/admin/settings"),
            ("networks", "/admin/networks"),
            ("works-council", "/admin/works-council"),
            ("sso", "/admin/sso"),
            ("provisioning", "/admin/provisioning"),
            ("service-tokens", "/admin/api-tokens"),
            ("webhooks", "/admin/webhooks"),
            ("channels", "/admin/channels"),
        ],
    )
    .await;
}
