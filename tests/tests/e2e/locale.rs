//! Both languages: from the browser, then from the person's own setting; every page renders in
//! each.

use chorus_tests::TestApp;

#[tokio::test]
async fn the_browser_language_chooses_french_or_english() {
    let app = TestApp::spawn().await;
    app.add_user("ana@example.org", "Ana", "ambassador").await;
    let client = app.client();
    client.set_accept_language("fr-FR,fr;q=0.9,en;q=0.5");
    let page = client.get("/sign-in").await;
    assert!(page.body.contains(r#"<html lang="fr">"#));
    assert!(page.body.contains("Connexion") && page.body.contains("Se connecter"));
    let refused = client
        .sign_in("ana@example.org", "mauvais mot de passe")
        .await;
    assert!(
        refused
            .body
            .contains("Adresse e-mail ou mot de passe incorrect")
    );

    let english = app.client();
    english.set_accept_language("de-DE,en;q=0.7");
    let page = english.get("/sign-in").await;
    assert!(page.body.contains(r#"<html lang="en">"#) && page.body.contains("Sign in"));
}

#[tokio::test]
async fn the_persons_setting_wins_over_the_browser() {
    let app = TestApp::spawn().await;
    let client = app.ambassador("ana@example.org").await;
    client.set_accept_language("en");
    let saved = client
        .post_form("/account/language", &[("language", "fr")])
        .await;
    assert_eq!(saved.location(), "/account?done=language");
    let page = client.get_follow("/account?done=language").await;
    assert!(page.body.contains("Langue enregistrée"), "{}", page.body);
    let hub = client.get("/hub").await;
    assert!(hub.body.contains(r#"<html lang="fr">"#) && hub.body.contains("Se déconnecter"));
    // Errors speak the person's language too.
    let missing = client.get("/nowhere").await;
    assert!(missing.body.contains("Page introuvable"));
    // Back to following the browser.
    client
        .post_form("/account/language", &[("language", "")])
        .await;
    assert!(client.get("/hub").await.body.contains("Sign out"));
}

#[tokio::test]
async fn every_page_renders_in_both_languages() {
    let app = TestApp::spawn().await;
    let client = app
        .signed_in("all@example.org", "editor,ambassador,analyst,admin")
        .await;
    client.join().await;
    for lang in ["en", "fr"] {
        client.set_accept_language(lang);
        for path in [
            "/hub",
            "/editor",
            "/stats",
            "/admin",
            "/admin/users/new",
            "/account",
            "/nowhere",
        ] {
            let page = client.get(path).await;
            assert!(
                page.status == 200 || path == "/nowhere",
                "{lang} {path}: {}",
                page.status
            );
            assert!(
                page.body.contains(&format!(r#"<html lang="{lang}">"#)),
                "{lang} {path}"
            );
        }
    }
    let none = app.signed_in("nobody@example.org", "").await;
    let page = none.get_follow("/").await;
    assert!(page.body.contains("no role yet"), "{}", page.body);
}
