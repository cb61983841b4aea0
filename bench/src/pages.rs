//! `bench pages`: signed-in pages of the real server under load, on SQLite, PostgreSQL or both.
//! The organisation is the demo one plus published items so that the hub's first page is full
//! (20 items) and 5,000 more people (see `seed`). On each database, the fortunes baseline (bare
//! axum, one query of 20 rows, tera; see `crate::fortunes`) is measured first, under the same
//! load, and every page is printed with its throughput as a share of the baseline's.

mod seed;

use std::collections::HashMap;

use anyhow::{anyhow, bail};
use hyper::StatusCode;
use hyper::header::{COOKIE, HeaderValue};

use crate::database::{BenchDb, DbKind};
use crate::fortunes;
use crate::load::{self, Probe, Report, WARM_UP};
use crate::server::{self, Server};
use crate::session::{DEMO_PASSWORD, Session};

use self::seed::{add_people, fill_hub, give_shares};

/// A page to measure: its name in the figures, its path, and who is signed in.
struct Target {
    name: &'static str,
    path: &'static str,
    user: &'static str,
}

const AMBASSADOR: &str = "ambassador@demo.chorus.test";
const EDITOR: &str = "editor@demo.chorus.test";
const ANALYST: &str = "analyst@demo.chorus.test";
const ADMIN: &str = "admin@demo.chorus.test";

/// The pages measured, one line each.
const TARGETS: &[Target] = &[
    Target {
        name: "hub (20 items)",
        path: "/hub",
        user: AMBASSADOR,
    },
    Target {
        name: "an item's page",
        path: "/hub/items/{newest}",
        user: AMBASSADOR,
    },
    Target {
        name: "my shares",
        path: "/hub/shares",
        user: AMBASSADOR,
    },
    Target {
        name: "dashboard (last 28 days)",
        path: "/stats",
        user: ANALYST,
    },
    Target {
        name: "accounts, first page (5,000 people)",
        path: "/admin",
        user: ADMIN,
    },
    Target {
        name: "accounts, a search (5,000 people)",
        path: "/admin?q=person+42",
        user: ADMIN,
    },
    Target {
        name: "accounts, a team's 3rd page (5,000)",
        path: "/admin?q=nantes&status=active&page=3",
        user: ADMIN,
    },
];

/// Runs every target on each database in turn, after the fortunes baseline on a database of
/// the same kind, and prints the figures.
///
/// # Errors
/// A server that does not start, a sign-in or seeding step refused, a page that does not answer
/// 200, or a database failure.
pub async fn run(kinds: &[DbKind], connections: usize, seconds: u64) -> anyhow::Result<()> {
    println!(
        "bench pages: {connections} keep-alive connections, {} s warm-up + {seconds} s measured per page, {}; chorus {}",
        WARM_UP.as_secs(),
        load::machine(),
        server::chorus_bin()?.display(),
    );
    println!(
        "baseline: fortunes, bare axum, GET {} = 1 sea-orm query of 20 rows + 1 row added, sorted, rendered by tera; pool as Chorus's",
        fortunes::PATH
    );
    for kind in kinds {
        let dir = tempfile::tempdir()?;
        let fortunes_dir = dir.path().join("fortunes");
        std::fs::create_dir(&fortunes_dir)?;
        let fortunes_db = BenchDb::create(*kind, &fortunes_dir).await?;
        let baseline = measure_fortunes(dir.path(), &fortunes_db, connections, seconds).await;
        let dropped = fortunes_db.drop_database().await;
        let baseline = baseline.and_then(|report| dropped.map(|()| report))?;

        let db = BenchDb::create(*kind, dir.path()).await?;
        let result = measure(dir.path(), &db, *kind, &baseline, connections, seconds).await;
        let dropped = db.drop_database().await;
        result.and(dropped)?;
    }
    Ok(())
}

/// The fortunes baseline under the same load, alone on the machine: its figures are the
/// reference of every page's ratio.
async fn measure_fortunes(
    dir: &std::path::Path,
    db: &BenchDb,
    connections: usize,
    seconds: u64,
) -> anyhow::Result<Report> {
    fortunes::seed(db).await?;
    let baseline = fortunes::start(dir, db).await?;
    let probe = Probe {
        path: fortunes::PATH.to_owned(),
        headers: Vec::new(),
        expect: StatusCode::OK,
    };
    let report = load::run(baseline.addr, &probe, connections, seconds).await?;
    let status = baseline.terminate().await?;
    if !status.success() {
        bail!("the fortunes baseline exited with {status} after SIGTERM");
    }
    Ok(report)
}

/// The header of one database's table.
fn header(kind: DbKind) -> String {
    format!(
        "{:<36} {:>9} {:>9} {:>9} {:>10} {:>7} {:>16}",
        kind.name(),
        "req/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "errors",
        "chorus/fortunes"
    )
}

/// One line of the table; `baseline` gives the ratio of `report`'s throughput to it.
fn row(name: &str, report: &Report, baseline: Option<&Report>) -> String {
    let ratio = baseline.map_or_else(String::new, |base| {
        format!(
            "{:.3}×",
            report.requests_per_second() / base.requests_per_second()
        )
    });
    format!(
        "{name:<36} {:>9.0} {:>9.3} {:>9.3} {:>10.3} {:>7} {ratio:>16}",
        report.requests_per_second(),
        report.percentile_ms(50.0),
        report.percentile_ms(99.0),
        report.max_ms(),
        report.errors,
    )
    .trim_end()
    .to_owned()
}

async fn measure(
    dir: &std::path::Path,
    db: &BenchDb,
    kind: DbKind,
    baseline: &Report,
    connections: usize,
    seconds: u64,
) -> anyhow::Result<()> {
    let chorus = server::start_chorus(dir, db, &["--demo"], "chorus.log").await?;
    let base = chorus.url("");
    fill_hub(&base).await?;
    add_people(db).await?;
    let shares = give_shares(db).await?;

    println!();
    println!("{}", header(kind));
    println!("{}", row("fortunes baseline (bare axum)", baseline, None));
    println!(
        "(the ambassador's \"my shares\" lists {shares} shares; the item page is the hub's newest item)"
    );
    let mut sessions: HashMap<&str, Session> = HashMap::new();
    let mut newest = None;
    for target in TARGETS {
        if !sessions.contains_key(target.user) {
            let session = Session::sign_in(&base, target.user, DEMO_PASSWORD).await?;
            sessions.insert(target.user, session);
        }
        let session = sessions
            .get_mut(target.user)
            .ok_or_else(|| anyhow!("no session for {}", target.user))?;
        let path = if target.path.contains("{newest}") {
            if newest.is_none() {
                let hub = session.get("/hub").await?;
                newest = crate::session::value_after(&hub.body, r#"href="/hub/items/"#).map(|id| {
                    id.split(['/', '"', '?'])
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                });
            }
            let id = newest
                .as_deref()
                .ok_or_else(|| anyhow!("no item link on the hub"))?;
            target.path.replace("{newest}", id)
        } else {
            target.path.to_owned()
        };
        let page = session.get(&path).await?;
        if page.status != 200 {
            bail!("{path} answered {} for {}", page.status, target.user);
        }
        let probe = Probe {
            path,
            headers: vec![(COOKIE, HeaderValue::from_str(&session.cookie_header()?)?)],
            expect: StatusCode::OK,
        };
        let report = load::run(chorus.addr, &probe, connections, seconds).await?;
        println!("{}", row(target.name, &report, Some(baseline)));
    }
    stop(chorus).await
}

async fn stop(chorus: Server) -> anyhow::Result<()> {
    let status = chorus.terminate().await?;
    if !status.success() {
        bail!("chorus exited with {status} after SIGTERM");
    }
    Ok(())
}
