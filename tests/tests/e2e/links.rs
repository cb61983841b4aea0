//! Tracked links: the redirect carries UTM parameters, counts people and robots apart within a
//! second, stores nothing about the visitor, and loses no click on a graceful shutdown.

use std::time::Duration;

use chorus_tests::shares::share_now;
use chorus_tests::world::StandInWorld;

const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";

async fn clicks_shown(client: &chorus_tests::Client) -> Option<String> {
    let page = client.get("/hub/shares").await.body;
    let start = page.find(r#"data-clicks=""#)? + r#"data-clicks=""#.len();
    Some(page[start..start + page[start..].find('"')?].to_owned())
}

#[tokio::test]
async fn a_click_lands_on_the_target_with_utm_and_is_counted_within_a_second_robots_apart() {
    let mut w = StandInWorld::start_with(
        chorus_tests::TestAppOptions::default().env("CHORUS_UTM_MEDIUM", "ambassadors"),
    )
    .await;
    let (x_id, _) = w.account_ids().await;
    share_now(
        &w.ana,
        w.item,
        &[(&x_id, "Look: https://example.com/solar")],
    )
    .await;
    for _ in 0..100 {
        if !w.x.posts().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = w.x.posts()[0].text.clone();
    let link = text.rsplit(' ').next().unwrap().to_owned();
    assert!(link.contains("/l/"), "{text}");

    let visitor = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = visitor
        .get(&link)
        .header("user-agent", BROWSER)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302);
    assert_eq!(
        answer.headers()["location"],
        "https://example.com/solar?utm_source=x&utm_medium=ambassadors&utm_campaign=chorus"
    );
    assert!(
        answer.headers().get("set-cookie").is_none(),
        "no cookie for visitors"
    );
    for _ in 0..2 {
        visitor
            .get(&link)
            .header("user-agent", BROWSER)
            .send()
            .await
            .unwrap();
    }
    for robot in [
        "LinkedInBot/1.0",
        "Twitterbot/1.0",
        "facebookexternalhit/1.1",
    ] {
        assert_eq!(
            visitor
                .get(&link)
                .header("user-agent", robot)
                .send()
                .await
                .unwrap()
                .status(),
            302
        );
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        clicks_shown(&w.ana).await.as_deref(),
        Some("3"),
        "people only, within a second"
    );

    let unknown = visitor
        .get(w.app.url("/l/nosuchcode"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    // A graceful shutdown right after clicks loses none of them.
    for _ in 0..5 {
        visitor
            .get(&link)
            .header("user-agent", BROWSER)
            .send()
            .await
            .unwrap();
    }
    assert!(w.app.terminate().await);
    w.app.restart(&[]).await;
    let ana = w.app.client();
    ana.sign_in("ana@example.org", chorus_tests::PASSWORD).await;
    assert_eq!(clicks_shown(&ana).await.as_deref(), Some("8"));
}
