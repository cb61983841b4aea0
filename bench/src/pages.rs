//! `bench pages`: signed-in pages of the real server under load, on SQLite, PostgreSQL or both.
//! The organisation is the demo one plus published items so that the hub's first page is full
//! (20 items); everything is seeded through the real pages, as the people would do it.

use std::collections::HashMap;

use anyhow::{Context as _, anyhow, bail};
use hyper::StatusCode;
use hyper::header::{COOKIE, HeaderValue};

use crate::database::{BenchDb, DbKind};
use crate::load::{self, Probe, WARM_UP};
use crate::server::{self, Server};
use crate::session::{DEMO_PASSWORD, Session, value_after};

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

/// People added to the demo organisation for the admins' table.
const EXTRA_PEOPLE: usize = 5_000;

/// Items on a full hub page.
const HUB_PAGE_ITEMS: usize = 20;

/// Runs every target on each database in turn and prints the figures.
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
    for kind in kinds {
        let dir = tempfile::tempdir()?;
        let db = BenchDb::create(*kind, dir.path()).await?;
        let result = measure(dir.path(), &db, *kind, connections, seconds).await;
        let dropped = db.drop_database().await;
        result.and(dropped)?;
    }
    Ok(())
}

async fn measure(
    dir: &std::path::Path,
    db: &BenchDb,
    kind: DbKind,
    connections: usize,
    seconds: u64,
) -> anyhow::Result<()> {
    let chorus = server::start_chorus(dir, db, &["--demo"], "chorus.log").await?;
    let base = chorus.url("");
    fill_hub(&base).await?;
    add_people(db).await?;

    let mut sessions: HashMap<&str, Session> = HashMap::new();
    for target in TARGETS {
        if !sessions.contains_key(target.user) {
            let session = Session::sign_in(&base, target.user, DEMO_PASSWORD).await?;
            sessions.insert(target.user, session);
        }
        let session = sessions
            .get_mut(target.user)
            .ok_or_else(|| anyhow!("no session for {}", target.user))?;
        let page = session.get(target.path).await?;
        if page.status != 200 {
            bail!(
                "{} answered {} for {}",
                target.path,
                page.status,
                target.user
            );
        }
        let probe = Probe {
            path: target.path.to_owned(),
            headers: vec![(COOKIE, HeaderValue::from_str(&session.cookie_header()?)?)],
            expect: StatusCode::OK,
        };
        let report = load::run(chorus.addr, &probe, connections, seconds).await?;
        println!(
            "{}",
            report.line(&format!("{} {}", kind.name(), target.name))
        );
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

/// Adds [`EXTRA_PEOPLE`] accounts (ambassadors in four teams, one in ten deactivated) straight
/// into the database, in batches: the admins' table is measured over them.
async fn add_people(db: &BenchDb) -> anyhow::Result<()> {
    use sea_orm::ConnectionTrait as _;
    let connection = db.connect().await?;
    let teams = ["Lyon", "Nantes", "Paris", "Lille"];
    for batch in (0..EXTRA_PEOPLE).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = batch
            .iter()
            .map(|n| {
                format!(
                    "('person{n}@bench.chorus.test', 'Person {n}', NULL, 'ambassador', '{}', {}, \
                     CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
                    teams[n % teams.len()],
                    if n % 10 == 9 { "false" } else { "true" }
                )
            })
            .collect();
        connection
            .execute_unprepared(&format!(
                "INSERT INTO users (email, display_name, password_hash, roles, team, active, \
                 created_at, updated_at) VALUES {}",
                values.join(", ")
            ))
            .await?;
    }
    connection.close().await?;
    Ok(())
}

/// Publishes items as the demo editor, through the editor's form and workflow, until the demo
/// ambassador's hub shows a full first page; checks that it does.
async fn fill_hub(base: &str) -> anyhow::Result<()> {
    let mut ambassador = Session::sign_in(base, AMBASSADOR, DEMO_PASSWORD).await?;
    let shown = hub_items(&mut ambassador).await?;
    let mut editor = Session::sign_in(base, EDITOR, DEMO_PASSWORD).await?;
    for n in shown..HUB_PAGE_ITEMS {
        let title = format!("Benchmark item {n:02}: our sites in numbers");
        let created = editor
            .post_form(
                "/editor/items",
                &[
                    ("title", &title),
                    (
                        "body",
                        "Every site publishes its **energy figures** each month. #energy",
                    ),
                    (
                        "why",
                        "Figures you can check are the *best proof* that the plan is real.",
                    ),
                    ("link", "https://example.com/news/figures"),
                    ("language", "en"),
                ],
            )
            .await?;
        let id = created
            .location
            .strip_prefix("/editor/items/")
            .and_then(|rest| rest.split('?').next())
            .filter(|_| created.status == 303)
            .with_context(|| format!("creating an item answered {}", created.status))?
            .to_owned();
        let form = editor.get(&format!("/editor/items/{id}")).await?;
        let version = value_after(&form.body, r#"name="version" value=""#)
            .context("no version in the item's form")?;
        let published = editor
            .post_form(
                &format!("/editor/items/{id}/action"),
                &[("action", "publish"), ("version", &version)],
            )
            .await?;
        if published.status != 303 {
            bail!("publishing item {id} answered {}", published.status);
        }
    }
    let shown = hub_items(&mut ambassador).await?;
    if shown != HUB_PAGE_ITEMS {
        bail!("the hub shows {shown} items, expected {HUB_PAGE_ITEMS}");
    }
    Ok(())
}

async fn hub_items(session: &mut Session) -> anyhow::Result<usize> {
    let hub = session.get("/hub").await?;
    if hub.status != 200 {
        bail!("the hub answered {}", hub.status);
    }
    Ok(hub.body.matches(r#"class="card hub-item""#).count())
}
