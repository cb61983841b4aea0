//! Issue 13: several instances on one database. Two `chorus serve` processes (each with its
//! worker) and two `chorus worker` processes share the database; a person signed in on one
//! server is signed in on the other (sessions, CSRF tokens and sign-in throttling shared);
//! 1,000 shares are queued through both servers while one worker is killed (SIGKILL) and another
//! started; every share reaches X exactly once (or waits for its owner's check when its answer
//! was lost with the worker), never twice.

use std::time::{Duration, Instant};

use chorus_tests::shares::share_now;
use chorus_tests::world::StandInWorld;
use chorus_tests::{Client, PASSWORD};
use sea_orm::{ConnectionTrait as _, Database, Statement};

const SHARES: usize = 1_000;
const SHARES_I64: i64 = 1_000;

async fn queue(client: &Client, item: i32, account: &str, n: usize) -> u16 {
    let text = format!("Share {n} of {SHARES}, in my words #employee");
    share_now(client, item, &[(account, text)]).await.status
}

/// How many shares are in each state, straight from the database.
async fn states(url: &str) -> std::collections::BTreeMap<String, i64> {
    let db = Database::connect(url).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT state, COUNT(*) AS n FROM shares GROUP BY state",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            (
                row.try_get::<String>("", "state").unwrap(),
                row.try_get::<i64>("", "n").unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn two_servers_and_two_workers_on_one_database_publish_a_thousand_shares_once_each() {
    let w = StandInWorld::start_with(
        chorus_tests::TestAppOptions::default().env("CHORUS_SHARE_LEASE_SECONDS", "3"),
    )
    .await;
    w.x.configure(|x| x.posts_per_window = 10_000);
    let (x_id, _) = w.account_ids().await;
    let other = w.app.another_server("b").await;

    // Signed in on the first server is signed in on the second, CSRF token included.
    let session = w.ana.cookie("chorus_session").expect("a session");
    let csrf = w.ana.cookie("chorus_csrf").expect("a CSRF cookie");
    let on_b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let hub = on_b
        .get(format!("{}/hub", other.base_url))
        .header(
            "cookie",
            format!("chorus_session={session}; chorus_csrf={csrf}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(hub.status().as_u16(), 200, "the session is known to both");
    let ana_b = Client::new(&other.base_url);
    assert_eq!(ana_b.sign_in("ana@example.org", PASSWORD).await.status, 303);
    // Sign-in throttling is shared too: five failures on one server block the next on the other.
    let attacker = w.app.client();
    for _ in 0..5 {
        assert_eq!(
            attacker
                .sign_in("ghost@example.org", "wrong password")
                .await
                .status,
            401
        );
    }
    let elsewhere = Client::new(&other.base_url)
        .sign_in("ghost@example.org", "wrong password")
        .await;
    assert_eq!(elsewhere.status, 429, "throttled on the other server too");

    let mut first = Some(w.app.spawn_worker("one", &[]));
    let second = w.app.spawn_worker("two", &[]);
    let mut third = None;
    let started = Instant::now();
    for batch in 0..SHARES / 10 {
        // Ten at a time, half through each server.
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..10 {
            let n = batch * 10 + i;
            let client = if n % 2 == 0 {
                w.ana.clone()
            } else {
                ana_b.clone()
            };
            let account = x_id.clone();
            let item = w.item;
            tasks.spawn(async move { queue(&client, item, &account, n).await });
        }
        let answers: Vec<u16> = tasks.join_all().await;
        assert!(answers.iter().all(|s| *s == 303), "{answers:?}");
        if batch == 30 {
            // A worker dies mid-run, without a chance to clean up; another takes its place.
            first.take().unwrap().kill().await;
            third = Some(w.app.spawn_worker("three", &[]));
        }
    }
    let queued_in = started.elapsed();

    let url = w.app.database_url().to_owned();
    let mut seen = states(&url).await;
    for _ in 0..600 {
        let settled = seen.get("published").copied().unwrap_or(0)
            + seen.get("needs_check").copied().unwrap_or(0);
        if settled == SHARES_I64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        seen = states(&url).await;
    }
    let settled_in = started.elapsed();
    let published = seen.get("published").copied().unwrap_or(0);
    let to_check = seen.get("needs_check").copied().unwrap_or(0);
    assert_eq!(published + to_check, SHARES_I64, "{seen:?}");

    // No attempt is still under way when the posts are counted: the worker processes are
    // stopped, each server's worker finishes two passes with nothing due, and X has handled
    // every request it received.
    second.kill().await;
    if let Some(third) = third {
        third.kill().await;
    }
    w.app.wait_for_worker_to_settle().await;
    other.wait_for_worker_to_settle().await;
    w.x.wait_until_idle().await;
    let posts = w.x.posts();
    let mut texts: Vec<&str> = posts.iter().map(|p| p.text.as_str()).collect();
    texts.sort_unstable();
    texts.dedup();
    assert_eq!(texts.len(), posts.len(), "no share posted twice");
    assert!(i64::try_from(posts.len()).unwrap() >= published && posts.len() <= SHARES);
    println!(
        "{SHARES} shares queued through two servers in {} ms; {published} published, \
         {to_check} to check, {} posts on X, 0 twice; all settled {} ms after the start",
        queued_in.as_millis(),
        posts.len(),
        settled_in.as_millis()
    );
}
