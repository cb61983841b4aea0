//! Issue 13: the database goes away under traffic. On PostgreSQL every connection of the server
//! and its worker is cut, six times in three seconds (`pg_terminate_backend`, what a restart
//! does to them); on SQLite
//! another process holds the write lock for three seconds. Pages keep answering or answer again
//! within seconds, and every share queued before, during and after goes out exactly once or
//! waits for its owner's check: none is lost, none is doubled.

use std::time::{Duration, Instant};

use sea_orm::{
    ConnectionTrait as _, Database, SqliteTransactionMode, TransactionOptions,
    TransactionTrait as _,
};

use chorus_tests::shares::share_now;
use chorus_tests::world::StandInWorld;

#[tokio::test]
async fn the_database_going_away_under_traffic_loses_and_doubles_no_share() {
    let w = StandInWorld::start_with(
        chorus_tests::TestAppOptions::default().env("CHORUS_SHARE_LEASE_SECONDS", "2"),
    )
    .await;
    let (x_id, _) = w.account_ids().await;
    let share = async |n: usize| {
        let text = format!("Share number {n}, in my words #employee");
        share_now(&w.ana, w.item, &[(&x_id, text)]).await.status
    };
    for n in 0..10 {
        assert_eq!(share(n).await, 303);
    }

    // The failure.
    let cut_at = Instant::now();
    let url = w.app.database_url().to_owned();
    let holder = if w.app.is_postgres() {
        let name = url::Url::parse(&url)
            .unwrap()
            .path()
            .trim_start_matches('/')
            .to_owned();
        let admin = Database::connect(&url).await.unwrap();
        // Cut every connection, then again every half second for three seconds, to catch the
        // worker between calling the network and recording it.
        Some(tokio::spawn(async move {
            let mut cut = 0;
            for _ in 0..6 {
                cut += admin
                    .execute_unprepared(&format!(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                    ))
                    .await
                    .unwrap()
                    .rows_affected();
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            println!("PostgreSQL: {cut} connections cut in six rounds");
        }))
    } else {
        let db = Database::connect(&url).await.unwrap();
        let txn = db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Exclusive),
                ..TransactionOptions::default()
            })
            .await
            .unwrap();
        // The other process lets go after three seconds.
        Some(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(3)).await;
            txn.commit().await.unwrap();
            drop(db);
        }))
    };

    // Traffic goes on: pages and shares while the database is away.
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let mut recovered = None;
    let mut queued = 10;
    while cut_at.elapsed() < Duration::from_secs(6) {
        let page = w.ana.get("/hub").await.status;
        let ready = w.app.client().get("/readyz").await.status;
        *statuses.entry(page).or_default() += 1;
        if page == 200 && ready == 200 && recovered.is_none() {
            recovered = Some(cut_at.elapsed());
        }
        if queued < 20 && share(queued).await == 303 {
            queued += 1;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if let Some(holder) = holder {
        holder.await.unwrap();
    }
    while queued < 20 {
        assert_eq!(share(queued).await, 303, "sharing works again");
        queued += 1;
    }
    let recovered = recovered.expect("pages answer again");
    println!(
        "recovered in {} ms; pages by status {statuses:?}",
        recovered.as_millis()
    );
    assert!(recovered < Duration::from_secs(10));

    // Every share ends published, or "to check" when its answer was lost with the connection.
    let mut body = String::new();
    for _ in 0..300 {
        body = w.ana.get("/hub/shares").await.body;
        let settled = body.matches(r#"data-state="published""#).count()
            + body.matches(r#"data-state="needs_check""#).count();
        if settled >= 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let published = body.matches(r#"data-state="published""#).count();
    let to_check = body.matches(r#"data-state="needs_check""#).count();
    assert_eq!(published + to_check, 20, "{body}");
    // No attempt is still under way when the posts are counted: the worker finishes two passes
    // with nothing due, and X has handled every request it received.
    w.app.wait_for_worker_to_settle().await;
    w.x.wait_until_idle().await;
    let posts = w.x.posts();
    let mut texts: Vec<&str> = posts.iter().map(|p| p.text.as_str()).collect();
    texts.sort_unstable();
    texts.dedup();
    assert_eq!(texts.len(), posts.len(), "no share posted twice");
    assert!(posts.len() >= published && posts.len() <= 20);
    println!(
        "{published} published, {to_check} to check, {} posts on X",
        posts.len()
    );
}
