//! Threads publishes in two steps (a container, then its publication). The container id is
//! recorded on the share between them, so a publish step that fails or loses its answer is
//! retried on the same container and never makes a second one, nor a second post.

use chorus_tests::TestAppOptions;
use chorus_tests::standins::{Fault, StandIn, Threads};
use sea_orm::{ConnectionTrait as _, Database, DatabaseConnection, Statement};

use chorus_tests::shares::{share_now, wait_for_state};
use chorus_tests::world::StandInWorld;

/// Ana's world with Threads connected too; returns the Threads account's id on the share page.
async fn threads_world(threads: &StandIn<Threads>) -> (StandInWorld, String) {
    let w = StandInWorld::start_with(
        TestAppOptions::default().env("CHORUS_THREADS_BASE_URL", threads.base_url()),
    )
    .await;
    let admin = w.app.client();
    admin
        .sign_in("boss@example.org", chorus_tests::PASSWORD)
        .await;
    let client = threads.register_client(&w.app.url("/hub/accounts/callback/threads"));
    admin
        .post_form(
            "/admin/networks",
            &[
                ("network", "threads"),
                ("client_id", &client.client_id),
                (
                    "client_secret",
                    client.client_secret.as_deref().unwrap_or(""),
                ),
            ],
        )
        .await;
    let done = w.ana.connect_follow("/hub/accounts/connect/threads").await;
    assert!(
        done.body
            .contains("account connected: it is offered on every share page."),
        "{}",
        done.body
    );
    let id = w.ana.share_account_id(w.item, "threads").await;
    (w, id)
}

/// The `creation_id` of every `threads_publish` call, and how many containers were created.
fn publish_calls(threads: &StandIn<Threads>) -> (Vec<String>, usize) {
    let requests = threads.requests();
    let creation_ids = requests
        .iter()
        .filter(|r| r.path.ends_with("/threads_publish"))
        .map(|r| {
            url::form_urlencoded::parse(format!("{}&{}", r.query, r.body).as_bytes())
                .find(|(name, _)| name == "creation_id")
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default()
        })
        .collect();
    let containers = requests
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/threads"))
        .count();
    (creation_ids, containers)
}

/// One text value of the database (the test's own connection, beside the server's).
async fn query_text(db: &DatabaseConnection, sql: &str) -> Option<String> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()?;
    row.try_get_by_index::<Option<String>>(0).unwrap()
}

#[tokio::test]
async fn a_threads_publish_step_failing_with_500_is_retried_on_the_same_container() {
    let threads: StandIn<Threads> = StandIn::start().await;
    let (w, account) = threads_world(&threads).await;
    threads.fail_next_on("/threads_publish", Fault::Status(500));
    share_now(&w.ana, w.item, &[(&account, "Two steps, my words")]).await;

    // The failed attempt left the share scheduled with its container recorded.
    let db = Database::connect(w.app.database_url()).await.unwrap();
    let mut recorded = None;
    for _ in 0..100 {
        recorded = query_text(
            &db,
            "SELECT container_id FROM shares WHERE state = 'scheduled' AND attempts = 1",
        )
        .await;
        if recorded.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let container = recorded.expect("the container is recorded on the share");
    assert!(threads.posts().is_empty(), "the 500 published nothing");
    // Skip the queue's backoff (30 s) rather than wait for it.
    db.execute_unprepared("UPDATE shares SET next_attempt_at = scheduled_at")
        .await
        .unwrap();

    wait_for_state(&w.ana, "published", 1).await;
    // The worker keeps running: no second container, no second post.
    w.app.wait_for_worker_to_settle().await;
    assert_eq!(threads.posts().len(), 1, "one post");
    let (creation_ids, containers) = publish_calls(&threads);
    assert_eq!(containers, 1, "no second container");
    assert_eq!(creation_ids, [container.clone(), container]);
}

#[tokio::test]
async fn a_threads_publish_whose_answer_was_lost_is_checked_not_published_again() {
    let threads: StandIn<Threads> = StandIn::start().await;
    let (w, account) = threads_world(&threads).await;
    threads.fail_next_on("/threads_publish", Fault::DropAfterProcessing);
    share_now(
        &w.ana,
        w.item,
        &[(&account, "Lost answer on Threads, my words")],
    )
    .await;

    let history = wait_for_state(&w.ana, "needs_check", 1).await;
    assert!(
        history.contains("as published: the post is on the profile"),
        "the retry looked at the container: {history}"
    );
    w.app.wait_for_worker_to_settle().await;
    assert_eq!(threads.posts().len(), 1, "one post, never a second");
    let (creation_ids, containers) = publish_calls(&threads);
    assert_eq!((creation_ids.len(), containers), (1, 1));
}

/// Threads lets apps publish 250 posts per profile in 24 hours: the 251st is refused when it is
/// queued, with the text kept, rather than failing at Threads later. The share page also says
/// that posting to X through the API costs the organisation.
#[tokio::test]
async fn a_threads_profile_at_its_daily_limit_is_refused_at_queueing_with_the_text_kept() {
    let threads: StandIn<Threads> = StandIn::start().await;
    let (w, id) = threads_world(&threads).await;
    let page = w
        .ana
        .get(&format!("/hub/items/{}/share", w.item))
        .await
        .body;
    assert_eq!(page.matches("data-x-cost").count(), 1, "on X's editor only");
    // 249 posts published through Chorus in the last hours.
    let db = Database::connect(w.app.database_url()).await.unwrap();
    let account: i32 = id.parse().unwrap();
    let backend = db.get_database_backend();
    let user: i32 = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT id FROM users WHERE email = 'ana@example.org'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "id")
        .unwrap();
    let earlier = chrono::Utc::now() - chrono::Duration::hours(3);
    for n in 0..249 {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO shares (user_id, item_id, account_id, network, text, state, \
             scheduled_at, next_attempt_at, attempts, idempotency_key, created_at, updated_at, \
             published_at) VALUES ($1, $2, $3, 'threads', 'Earlier', 'published', $4, $4, 1, \
             $5, $4, $4, $4)",
            [
                user.into(),
                w.item.into(),
                account.into(),
                earlier.into(),
                format!("seeded-{n}").into(),
            ],
        ))
        .await
        .unwrap();
    }
    // The 250th goes.
    let queued = share_now(&w.ana, w.item, &[(&id, "The 250th, in my words")]).await;
    assert!(
        queued.location().starts_with("/hub/shares/ready"),
        "{}",
        queued.body
    );
    wait_for_state(&w.ana, "published", 250).await;
    // The 251st is refused now, with what to do, and the text is kept.
    let refused = share_now(&w.ana, w.item, &[(&id, "One too many, in my words")]).await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .body
            .contains("Threads lets apps publish 250 posts per profile in 24 hours"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("One too many, in my words"));
    assert_eq!(
        threads.posts().len(),
        1,
        "only the 250th reached the stand-in"
    );
}
