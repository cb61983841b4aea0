//! `bench scale`: the statistics queries on a large organisation in PostgreSQL.
//!
//! Generates 2,000 ambassadors (`--ambassadors`), 500 items under 10 topics and 5 campaigns, 1,000,000 published
//! shares over a year, one tracked link each, and 10,000,000 human clicks (per link and hour,
//! as the redirect stores them), then builds the daily roll-up with the same statements as the
//! migration that introduced it. It then times [`chorus_statistics::dashboard`] (every
//! grouping of one dashboard view, through the minimum group size) for several filters: the
//! baseline with nothing held in memory (every row of the period read from PostgreSQL), then with
//! the roll-up held in memory as the server holds it, with no earlier views and with three
//! earlier views to compare against, and prints p50/p95/max.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use chorus_policy::MinGroupSize;
use chorus_statistics::{Dashboard, Filter, FilterForm, Memory, Rollup, Sources, dashboard};
use chrono::Utc;
use sea_orm::{ConnectionTrait, Database};

const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// How large an organisation to generate.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Published shares.
    pub shares: u64,
    /// Human clicks, spread over the shares' links.
    pub clicks: u64,
    /// Ambassadors sharing.
    pub ambassadors: u64,
}

/// Runs the scale benchmark.
///
/// # Errors
/// Database failures.
pub async fn run(size: &Size, runs: usize, cold_runs: usize) -> anyhow::Result<()> {
    // A database kept by an earlier run (CHORUS_BENCH_KEEP) is measured again as it is: at ten
    // times the scale, generating takes most of an hour.
    if let Some(kept) = std::env::var_os("CHORUS_BENCH_SCALE_DB") {
        let kept = kept.to_string_lossy().into_owned();
        println!("measuring the kept database {kept} (CHORUS_BENCH_SCALE_DB), nothing generated");
        let url = format!("postgres://postgres@127.0.0.1:5432/{kept}");
        return measure(&url, size, runs, cold_runs, false).await;
    }
    let name = format!("chorus_bench_scale_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(ADMIN_URL)
        .await
        .context("PostgreSQL at 127.0.0.1:5432")?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
    let outcome = measure(&url, size, runs, cold_runs, true).await;
    if std::env::var_os("CHORUS_BENCH_KEEP").is_some() {
        println!("kept database {name} (CHORUS_BENCH_KEEP)");
        return outcome;
    }
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    outcome
}

async fn measure(
    url: &str,
    size: &Size,
    runs: usize,
    cold_runs: usize,
    generate: bool,
) -> anyhow::Result<()> {
    let Size {
        shares,
        clicks,
        ambassadors,
    } = *size;
    let db = chorus_server::store::connect(url).await?;
    chorus_server::store::migrate(&db).await?;
    let started = Instant::now();
    let per_share = clicks / shares.max(1);
    for statement in [
        "INSERT INTO guideline_versions (version, body_en, body_fr, published_at) VALUES (1, 'g', 'g', now()) ON CONFLICT DO NOTHING".to_owned(),
        format!(
            "INSERT INTO users (email, display_name, roles, team, active, created_at, updated_at) \
             SELECT 'p' || g || '@bench.test', 'Person ' || g, 'ambassador', 'team' || (g % 20), true, now(), now() \
             FROM generate_series(1, {ambassadors}) g"
        ),
        "INSERT INTO consents (user_id, version, accepted_at) SELECT id, 1, now() FROM users".to_owned(),
        "INSERT INTO visibility_choices (user_id, be_named_in_statistics, show_name_on_shared_content, updated_at) \
         SELECT id, true, false, now() FROM users WHERE id % 10 = 0".to_owned(),
        "INSERT INTO topics (slug, name, created_at) SELECT 't' || g, 'Topic ' || g, now() FROM generate_series(1, 10) g".to_owned(),
        "INSERT INTO campaigns (name, description, archived, created_at) SELECT 'Campaign ' || g, '', false, now() FROM generate_series(1, 5) g".to_owned(),
        "INSERT INTO content_items (title, body_md, why_md, language, campaign_id, state, version, created_at, updated_at, published_at) \
         SELECT 'Item ' || g, 'b', 'w', 'en', CASE WHEN g % 3 = 0 THEN NULL ELSE 1 + g % 5 END, 'published', 1, now(), now(), now() \
         FROM generate_series(1, 500) g".to_owned(),
        "INSERT INTO content_item_topics (item_id, topic_id) SELECT id, 1 + id % 10 FROM content_items \
         UNION SELECT id, 1 + (id * 7) % 10 FROM content_items WHERE id % 4 = 0".to_owned(),
        format!(
            "INSERT INTO shares (user_id, item_id, network, text, state, scheduled_at, next_attempt_at, attempts, \
             idempotency_key, created_at, updated_at, published_at) \
             SELECT u, i, (ARRAY['bluesky','mastodon','linkedin','x','threads'])[n], 'text', 'published', t, t, 1, \
             'k' || g, t, t, t \
             FROM (SELECT g, 1 + floor(random() * {ambassadors})::int AS u, 1 + floor(random() * 500)::int AS i, \
                   1 + floor(random() * 5)::int AS n, \
                   now() - random() * interval '365 days' AS t \
                   FROM generate_series(1, {shares}) g) s"
        ),
        "INSERT INTO tracked_links (code, share_id, target_url, created_at) \
         SELECT 'c' || id, id, 'https://example.com/a', created_at FROM shares".to_owned(),
        format!(
            "INSERT INTO click_counts (link_id, hour, humans, robots) \
             SELECT l.id, date_trunc('hour', s.published_at) + (1 + l.id % 72) * interval '1 hour', \
             CASE WHEN l.id % 2 = 0 THEN {} ELSE {} END, 1 \
             FROM tracked_links l JOIN shares s ON s.id = l.share_id",
            per_share + per_share / 2,
            per_share - per_share / 2
        ),
        "INSERT INTO activity_daily (day, user_id, item_id, network, shares, humans, robots) \
         SELECT CAST(FLOOR(EXTRACT(EPOCH FROM published_at) / 86400) AS INTEGER), user_id, COALESCE(item_id, 0), network, COUNT(*), 0, 0 \
         FROM shares WHERE state = 'published' GROUP BY 1, 2, 3, 4".to_owned(),
        "INSERT INTO activity_daily (day, user_id, item_id, network, shares, humans, robots) \
         SELECT CAST(FLOOR(EXTRACT(EPOCH FROM c.hour) / 86400) AS INTEGER), s.user_id, COALESCE(s.item_id, 0), s.network, 0, SUM(c.humans), SUM(c.robots) \
         FROM click_counts c JOIN tracked_links l ON l.id = c.link_id JOIN shares s ON s.id = l.share_id \
         GROUP BY 1, 2, 3, 4 \
         ON CONFLICT (day, user_id, item_id, network) DO UPDATE SET humans = activity_daily.humans + excluded.humans, robots = activity_daily.robots + excluded.robots".to_owned(),
        // Chorus writes a day's rows on that day, so the table is in day order; the generator
        // wrote them in random order, which CLUSTER undoes.
        "CLUSTER activity_daily USING activity_daily_pkey".to_owned(),
        "VACUUM ANALYZE".to_owned(),
    ]
    .into_iter()
    .filter(|_| generate)
    {
        db.execute_unprepared(&statement).await?;
    }
    let counts = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT (SELECT COUNT(*) FROM shares) AS s, (SELECT CAST(SUM(humans) AS BIGINT) FROM click_counts) AS c, \
             (SELECT COUNT(*) FROM activity_daily) AS a",
        ))
        .await?
        .context("counts")?;
    let (s, c, a): (i64, i64, i64) = (
        counts.try_get("", "s")?,
        counts.try_get("", "c")?,
        counts.try_get("", "a")?,
    );
    println!(
        "{} in {:.0} s: {s} shares, {c} human clicks, {a} roll-up rows ({ambassadors} ambassadors, 500 items)",
        if generate { "generated" } else { "counted" },
        started.elapsed().as_secs_f64()
    );

    let today = Utc::now().date_naive();
    let form = |from: &str, extra: &dyn Fn(&mut FilterForm)| -> anyhow::Result<Filter> {
        let mut form = FilterForm {
            from: from.to_owned(),
            ..FilterForm::default()
        };
        extra(&mut form);
        form.parse(today)
            .map_err(|e| anyhow::anyhow!("filter: {e:?}"))
    };
    let ago = |days: i64| (today - chrono::Duration::days(days)).to_string();
    let views: Vec<(&str, Filter)> = vec![
        ("last 28 days, per day", form(&ago(27), &|_| {})?),
        (
            "last 90 days, per week",
            form(&ago(89), &|f| f.every = "week".into())?,
        ),
        ("last 365 days, per week", form(&ago(364), &|_| {})?),
        (
            "last 90 days, one network",
            form(&ago(89), &|f| f.network = "mastodon".into())?,
        ),
        (
            "last 90 days, one team",
            form(&ago(89), &|f| f.team = "team3".into())?,
        ),
        (
            "last 90 days, one topic",
            form(&ago(89), &|f| f.topic = "2".into())?,
        ),
    ];
    let k = MinGroupSize::default();
    let today_number = chorus_ambassador::activity::day_number(Utc::now());
    let none = Memory::default();
    // Three earlier views of the same viewer, compared row by row with each new one.
    let three = Memory::remembering(views.iter().take(3).map(|(_, f)| f.clone()).collect());
    let rollup = Rollup::default();
    let started = Instant::now();
    rollup
        .days(&db, today_number - 400, today_number, today_number)
        .await?;
    let (days, rows) = rollup.held();
    println!(
        "read the roll-up into memory (read-ahead): {days} days, {rows} rows ({:.0} MB of entries) \
         in {:.0} ms; process resident: {} MB",
        (rows * std::mem::size_of::<chorus_statistics::rollup::Entry>()) as f64 / 1e6,
        started.elapsed().as_secs_f64() * 1000.0,
        resident_mb().map_or_else(|| "?".to_owned(), |mb| mb.to_string())
    );
    println!(
        "dashboard view (every grouping through the minimum group size); baseline: the same view \
         with nothing held in memory (every row read from PostgreSQL), {cold_runs} runs; Chorus: \
         the roll-up held in memory, {runs} runs:"
    );
    println!(
        "{:<30} {:>12} {:>12} | {:>9} {:>9} {:>9} | {:>17}",
        "view", "cold p50 ms", "cold max ms", "p50 ms", "p95 ms", "max ms", "3 earlier p95 ms"
    );
    for (label, filter) in &views {
        let mut cold = Vec::with_capacity(cold_runs);
        for _ in 0..cold_runs {
            let fresh = Rollup::default();
            let start = Instant::now();
            let view = view(&db, &fresh, k, filter, &none).await?;
            cold.push(start.elapsed());
            anyhow::ensure!(!view.refused, "a view without memory is never refused");
        }
        let mut warm = Vec::with_capacity(runs);
        for _ in 0..runs {
            let start = Instant::now();
            let view = view(&db, &rollup, k, filter, &none).await?;
            warm.push(start.elapsed());
            anyhow::ensure!(!view.refused, "a view without memory is never refused");
        }
        let mut remembered = Vec::with_capacity(runs);
        for _ in 0..runs {
            let start = Instant::now();
            view(&db, &rollup, k, filter, &three).await?;
            remembered.push(start.elapsed());
        }
        let (cold50, _, cold_max) = percentiles(&mut cold);
        let (p50, p95, max) = percentiles(&mut warm);
        let (_, remembered95, _) = percentiles(&mut remembered);
        println!(
            "{label:<30} {cold50:>12.1} {cold_max:>12.1} | {p50:>9.1} {p95:>9.1} {max:>9.1} | {remembered95:>17.1}"
        );
    }
    Ok(())
}

/// One view as a server makes it after the content changed: its sources read, then the view.
async fn view(
    db: &sea_orm::DatabaseConnection,
    rollup: &Rollup,
    k: MinGroupSize,
    filter: &Filter,
    memory: &Memory,
) -> anyhow::Result<Dashboard> {
    let sources = std::sync::Arc::new(Sources::read(db).await?);
    Ok(dashboard(db, rollup, sources, k, filter, memory, None).await?)
}

fn percentiles(times: &mut [Duration]) -> (f64, f64, f64) {
    if times.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    times.sort();
    // The nearest-rank percentile: the smallest time at or above `percent` of the runs.
    let at = |percent: usize| {
        let rank = (times.len() * percent).div_ceil(100).clamp(1, times.len());
        times[rank - 1].as_secs_f64() * 1000.0
    };
    (at(50), at(95), at(100))
}

/// This process's resident memory in MB (Linux), if known.
fn resident_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}
