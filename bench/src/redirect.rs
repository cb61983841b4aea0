//! `bench redirect`: the tracked-link redirect `/l/{code}` of the real server against a bare
//! axum baseline, under the same load, one process at a time; then the proof that counting
//! holds under load: after SIGTERM, the database's clicks equal the 302s the server answered.

use anyhow::{Context as _, anyhow, bail};
use hyper::StatusCode;
use hyper::header::{HeaderValue, USER_AGENT};
use sea_orm::{ConnectionTrait as _, DatabaseConnection, Statement};

use crate::database::{BenchDb, DbKind};
use crate::load::{self, Probe, WARM_UP};
use crate::server::{self, Server};

/// A person's browser, so that clicks count as people's (an empty agent counts as a robot).
const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";
/// Targets: the real server's share of the baseline's throughput, and its p99.
const MIN_RATIO: f64 = 0.8;
const MAX_P99_MS: f64 = 5.0;

/// A tracked link seeded in the real server's database.
struct Seeded {
    link_id: i32,
    code: String,
    target: String,
}

/// Runs the comparison and prints the figures.
///
/// # Errors
/// A server that does not start or answers wrongly, or a database failure.
pub async fn run(connections: usize, seconds: u64, kind: DbKind) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = BenchDb::create(kind, dir.path()).await?;
    let result = compare(dir.path(), &db, kind, connections, seconds).await;
    let dropped = db.drop_database().await;
    result.and(dropped)
}

async fn compare(
    dir: &std::path::Path,
    db: &BenchDb,
    kind: DbKind,
    connections: usize,
    seconds: u64,
) -> anyhow::Result<()> {
    println!(
        "bench redirect: GET /l/{{code}}, {connections} keep-alive connections, {} s warm-up + {seconds} s measured, {}; chorus {} on {}",
        WARM_UP.as_secs(),
        load::machine(),
        server::chorus_bin()?.display(),
        kind.name(),
    );

    // Seed through a first run of the real server (demo people and items), then stop it so
    // that nothing else runs while the baseline is measured.
    let chorus = server::start_chorus(dir, db, &["--demo"], "chorus-seed.log").await?;
    let seeded = seed_tracked_link(&db.connect().await?, &chorus.url("")).await?;
    chorus.terminate().await?;

    let probe = Probe {
        path: format!("/l/{}", seeded.code),
        headers: vec![(USER_AGENT, HeaderValue::from_static(BROWSER))],
        expect: StatusCode::FOUND,
    };

    let baseline = crate::baseline::start(dir, &seeded.code, &seeded.target).await?;
    check_redirect(&baseline, &probe, &seeded.target).await?;
    let base = load::run(baseline.addr, &probe, connections, seconds).await?;
    baseline.terminate().await?;
    println!("{}", base.line("baseline (bare axum)"));

    let chorus = server::start_chorus(dir, db, &[], "chorus.log").await?;
    check_redirect(&chorus, &probe, &seeded.target).await?;
    let real = load::run(chorus.addr, &probe, connections, seconds).await?;
    let exit = chorus.terminate().await?;
    println!("{}", real.line("chorus"));

    let ratio = real.requests_per_second() / base.requests_per_second();
    let p99 = real.percentile_ms(99.0);
    println!(
        "throughput chorus/baseline {ratio:.2} (target >= {MIN_RATIO}): {}",
        verdict(ratio >= MIN_RATIO)
    );
    println!(
        "chorus p99 {p99:.3} ms (target < {MAX_P99_MS} ms): {}",
        verdict(p99 < MAX_P99_MS)
    );

    // Every 302 the server sent, probe and warm-up included, must be in the database now.
    let answered = real.total_ok + 1;
    let (humans, robots) = clicks(&db.connect().await?, seeded.link_id).await?;
    println!(
        "clicks: chorus answered {answered} redirects; after SIGTERM ({exit}) the database counts {} ({humans} people, {robots} robots): {}",
        humans + robots,
        if i64::try_from(answered).ok() == Some(humans + robots) {
            "MATCH"
        } else {
            "MISMATCH"
        }
    );
    Ok(())
}

fn verdict(met: bool) -> &'static str {
    if met { "PASS" } else { "MISS" }
}

/// One request before the load: the server redirects the code to the expected target.
async fn check_redirect(server: &Server, probe: &Probe, target: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let mut request = client.get(server.url(&probe.path));
    for (name, value) in &probe.headers {
        request = request.header(name.as_str(), value.as_bytes());
    }
    let answer = request.send().await?;
    let location = answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if answer.status().as_u16() != probe.expect.as_u16() || location != target {
        bail!(
            "{} answered {} to Location {location:?}, expected {} to {target}",
            server.url(&probe.path),
            answer.status(),
            probe.expect
        );
    }
    Ok(())
}

/// A published share of the demo ambassador with its tracked link, made as the share form makes
/// them (link created, share created, link attached). The share is written with SQL because
/// publishing for real needs a connected network account; it is `published` with no account,
/// so the worker leaves it alone. The target carries UTM parameters as the product adds them.
async fn seed_tracked_link(db: &DatabaseConnection, public_base: &str) -> anyhow::Result<Seeded> {
    let backend = db.get_database_backend();
    let user_id: i32 = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT id FROM users WHERE email = $1",
            ["ambassador@demo.chorus.test".into()],
        ))
        .await?
        .ok_or_else(|| anyhow!("the demo ambassador is missing"))?
        .try_get("", "id")?;
    let item = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT id, link_url, title, language FROM content_items \
             WHERE state = 'published' AND link_url IS NOT NULL ORDER BY id LIMIT 1",
        ))
        .await?
        .ok_or_else(|| anyhow!("the demo has no published item with a link"))?;
    let item_id: i32 = item.try_get("", "id")?;
    let link_url: String = item.try_get("", "link_url")?;
    let title: String = item.try_get("", "title")?;
    let language: String = item.try_get("", "language")?;

    let target =
        chorus_ambassador::links::target_with_utm(&link_url, "x", "employee_advocacy", "chorus")
            .ok_or_else(|| anyhow!("the demo item's link {link_url} is not http(s)"))?;
    let (link_id, code) = chorus_ambassador::links::create(db, &target).await?;
    let tracked = format!("{}/l/{code}", public_base.trim_end_matches('/'));
    let now = chrono::Utc::now();
    let share_id: i32 = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO shares (user_id, item_id, account_id, network, text, link, link_title, \
             language, state, scheduled_at, next_attempt_at, attempts, idempotency_key, \
             created_at, updated_at) \
             VALUES ($1, $2, NULL, 'x', $3, $4, $5, $6, 'published', $7, $7, 1, $8, $7, $7) \
             RETURNING id",
            [
                user_id.into(),
                item_id.into(),
                format!("In my own words: {tracked}").into(),
                tracked.into(),
                title.into(),
                language.into(),
                now.into(),
                uuid::Uuid::new_v4().simple().to_string().into(),
            ],
        ))
        .await?
        .ok_or_else(|| anyhow!("the share insert returned no id"))?
        .try_get("", "id")?;
    chorus_ambassador::links::attach(db, link_id, chorus_policy::ShareId(share_id)).await?;
    Ok(Seeded {
        link_id: link_id.get(),
        code,
        target,
    })
}

/// People's and robots' clicks on a link, summed over its hours.
async fn clicks(db: &DatabaseConnection, link_id: i32) -> anyhow::Result<(i64, i64)> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT CAST(COALESCE(SUM(humans), 0) AS BIGINT) AS humans, \
             CAST(COALESCE(SUM(robots), 0) AS BIGINT) AS robots \
             FROM click_counts WHERE link_id = $1",
            [link_id.into()],
        ))
        .await?
        .context("the click sum returned no row")?;
    Ok((row.try_get("", "humans")?, row.try_get("", "robots")?))
}
