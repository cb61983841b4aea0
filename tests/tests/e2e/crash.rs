//! Crash safety, proven: a worker is killed (SIGKILL) at each point of publishing, other
//! workers take over, and the stand-in counts what it received: never two posts for one
//! share, and every share ends published, failed or needs_check.

use std::time::Duration;

use chorus_tests::shares::share_now;
use chorus_tests::standins::Fault;
use chorus_tests::world::StandInWorld;
use chorus_tests::{Client, TestAppOptions};

const ROUNDS: usize = 3;
const FINAL: [&str; 3] = ["published", "failed", "needs_check"];
/// How often a worker looks for due shares (`TICK` in the server's worker).
const WORKER_TICK: Duration = Duration::from_secs(1);

/// The state of the share whose text is `text`, from its owner's history.
async fn state_of(client: &Client, text: &str) -> Option<String> {
    let page = client.get("/hub/shares").await.body;
    let at = page.find(&format!(">{text}<"))?;
    let before = &page[..at];
    let start = before.rfind(r#"data-state=""#)? + r#"data-state=""#.len();
    Some(before[start..start + before[start..].find('"')?].to_owned())
}

/// Waits until the stand-in of `network` has handled every request it received (worker A's
/// slow one included, which still creates its post after A is killed).
async fn network_idle(world: &StandInWorld, network: &str) {
    if network == "x" {
        world.x.wait_until_idle().await;
    } else {
        world.mastodon.wait_until_idle().await;
    }
}

fn posts_with(world: &StandInWorld, text: &str) -> usize {
    world.x.posts().iter().filter(|p| p.text == text).count()
        + world
            .mastodon
            .posts()
            .iter()
            .filter(|p| p.text == text)
            .count()
}

/// One round: worker A is killed at `point`; workers B and C finish the job.
async fn round(
    world: &StandInWorld,
    account: &str,
    network: &str,
    point: &str,
    n: usize,
) -> (usize, String) {
    let text = format!("Crash {network} {point} {n}, my words");
    share_now(&world.ana, world.item, &[(account, &text)]).await;
    let doomed = if point == "network" {
        // Killed while the network is answering slowly (the network still creates the post).
        let path = if network == "x" {
            "/2/tweets"
        } else {
            "/api/v1/statuses"
        };
        if network == "x" {
            world
                .x
                .fail_next_on(path, Fault::Slow(Duration::from_millis(1500)));
        } else {
            world
                .mastodon
                .fail_next_on(path, Fault::Slow(Duration::from_millis(1500)));
        }
        let worker = world
            .app
            .spawn_worker(&format!("a-{network}-{point}-{n}"), &[]);
        let received = |w: &StandInWorld| {
            if network == "x" {
                w.x.requests()
            } else {
                w.mastodon.requests()
            }
            .iter()
            .filter(|r| r.path == path)
            .count()
        };
        let before = received(world);
        for _ in 0..200 {
            if received(world) > before {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        worker
    } else {
        let worker = world.app.spawn_worker(
            &format!("a-{network}-{point}-{n}"),
            &[("CHORUS_TEST_CRASH_POINT", point)],
        );
        assert!(
            worker
                .wait_for_log("crash point reached", Duration::from_secs(20))
                .await,
            "worker A never reached {point}: {}",
            worker.log()
        );
        worker
    };
    doomed.kill().await;
    let b = world
        .app
        .spawn_worker(&format!("b-{network}-{point}-{n}"), &[]);
    let c = world
        .app
        .spawn_worker(&format!("c-{network}-{point}-{n}"), &[]);
    let mut state = String::new();
    for _ in 0..300 {
        state = state_of(&world.ana, &text).await.unwrap_or_default();
        if FINAL.contains(&state.as_str()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The share has its final state and the network has handled all it received.
    network_idle(world, network).await;
    // The survivors run on for one more tick each, to show that neither sends the share
    // again. A fixed wait: B and C are separate `chorus worker` processes with no /metrics,
    // so nothing outside them counts their passes.
    tokio::time::sleep(WORKER_TICK).await;
    b.kill().await;
    c.kill().await;
    // Whatever they sent before they died has been handled before it is counted.
    network_idle(world, network).await;
    (posts_with(world, &text), state)
}

#[tokio::test]
async fn killing_a_worker_at_any_point_never_posts_twice() {
    // The server runs no worker: the test starts and kills them.
    let world = StandInWorld::start_with(
        TestAppOptions::default()
            .env("CHORUS_WORKER", "false")
            .env("CHORUS_SHARE_LEASE_SECONDS", "1"),
    )
    .await;
    let (x_id, m_id) = world.account_ids().await;
    let mut report = Vec::new();
    for (network, account) in [("x", x_id.as_str()), ("mastodon", m_id.as_str())] {
        for point in ["claimed", "network", "answered", "recorded"] {
            let mut posts = 0;
            let mut states = Vec::new();
            for n in 0..ROUNDS {
                let (received, state) = round(&world, account, network, point, n).await;
                assert!(
                    received <= 1,
                    "{network} {point} round {n}: {received} posts for one share"
                );
                assert!(
                    FINAL.contains(&state.as_str()),
                    "{network} {point} round {n}: ended in {state:?}"
                );
                posts += received;
                states.push(state);
            }
            report.push(format!("{network:9} killed at {point:9} x{ROUNDS}: posts received {posts}, duplicates 0, final states {states:?}"));
        }
    }
    let database = if world.app.is_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    eprintln!("crash-safety report ({database}):\n{}", report.join("\n"));
}
