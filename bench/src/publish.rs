//! `bench publish`: a campaign goes out at 9:00. Queues shares due at one instant for thousands
//! of people (one Mastodon account each) to a stand-in network that answers like a real one
//! (see [`network`]), runs real `chorus worker` processes on the database, and reports how many
//! shares they sent per second, the time from due to sent, duplicates, and how the network's
//! rate limits were honoured. The baseline, measured in the same run: the same posts sent
//! straight to a fresh stand-in by a bare client with as many requests in flight as the workers
//! together, nothing else: the network's own bound.

mod network;

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use base64::Engine as _;
use chorus_ambassador::shares::ShareState;
use chorus_ambassador::store::entities::share;
use chorus_ambassador::vault::{Place, Vault};
use chorus_policy::Network;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait as _, DatabaseConnection, EntityTrait as _,
    PaginatorTrait as _, QueryFilter as _, QuerySelect as _, Set, TransactionTrait as _,
};
use tokio::process::Child;

use self::network::{Counts, Faults, StandIn};
use crate::database::{BenchDb, DbKind};
use crate::server::chorus_command;

/// What is measured.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Shares due at once.
    pub shares: usize,
    /// People sharing (one account each); shares are spread evenly over them.
    pub people: usize,
    /// `chorus worker` processes.
    pub workers: usize,
    /// Shares each worker sends at once (`CHORUS_PUBLISH_CONCURRENCY`).
    pub concurrency: usize,
}

const FAULTS: Faults = Faults {
    rate_limited_per_mille: 5,
    unavailable_per_mille: 10,
    latency: (Duration::from_millis(50), Duration::from_millis(200)),
};

/// How long the workers get to settle every share (a 503 is retried 30 s later).
const PATIENCE: Duration = Duration::from_secs(240);

/// Runs the benchmark on each database.
///
/// # Errors
/// A database or process that fails, or shares left unsettled.
pub async fn run(kinds: &[(DbKind, usize)], plan: Plan) -> anyhow::Result<()> {
    println!(
        "bench publish: {} shares due at one instant for {} people (one Mastodon account each), {}",
        plan.shares,
        plan.people,
        crate::load::machine()
    );
    println!(
        "stand-in network: {}-{} ms per answer, {}‰ answered 429 (reset 2 s later), {}‰ 503, \
         300 posts per account per 5 min; contract enforced (token, Idempotency-Key, body)",
        FAULTS.latency.0.as_millis(),
        FAULTS.latency.1.as_millis(),
        FAULTS.rate_limited_per_mille,
        FAULTS.unavailable_per_mille
    );
    for &(kind, workers) in kinds {
        let plan = Plan { workers, ..plan };
        let baseline = baseline(plan).await?;
        let dir = tempfile::tempdir()?;
        let db = BenchDb::create(kind, dir.path()).await?;
        let result = measure(dir.path(), &db, kind, plan, &baseline).await;
        let dropped = db.drop_database().await;
        result.and(dropped)?;
    }
    Ok(())
}

/// The network's own bound: the same posts, as many in flight as the workers together.
struct Baseline {
    per_second: f64,
    counts: Counts,
}

async fn baseline(plan: Plan) -> anyhow::Result<Baseline> {
    let tokens: Vec<String> = (0..plan.people).map(token).collect();
    let stand_in = StandIn::start(&tokens, FAULTS).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(plan.workers * plan.concurrency)
        .build()?;
    let url = format!("{}/api/v1/statuses", stand_in.origin);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..plan.workers * plan.concurrency {
        let (client, url, next, tokens) = (
            client.clone(),
            url.clone(),
            Arc::clone(&next),
            tokens.clone(),
        );
        let (shares, people) = (plan.shares, plan.people);
        senders.spawn(async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= shares {
                    return;
                }
                let _ = client
                    .post(&url)
                    .bearer_auth(&tokens[n % people])
                    .header("Idempotency-Key", format!("baseline-{n}"))
                    .json(&serde_json::json!({ "status": format!("Post {n}"), "visibility": "public" }))
                    .send()
                    .await;
            }
        });
    }
    senders.join_all().await;
    let elapsed = started.elapsed().as_secs_f64();
    let counts = stand_in.counts();
    stand_in.stop();
    Ok(Baseline {
        per_second: plan.shares as f64 / elapsed,
        counts,
    })
}

fn token(n: usize) -> String {
    format!("bench-token-{n}")
}

async fn measure(
    dir: &Path,
    db: &BenchDb,
    kind: DbKind,
    plan: Plan,
    baseline: &Baseline,
) -> anyhow::Result<()> {
    migrate(dir, db).await?;
    let tokens: Vec<String> = (0..plan.people).map(token).collect();
    let stand_in = StandIn::start(&tokens, FAULTS).await?;
    let connection = db.connect().await?;
    let seeding = Instant::now();
    seed(&connection, db, &stand_in.origin, plan).await?;
    let seeded = seeding.elapsed();
    let mut workers = Vec::with_capacity(plan.workers);
    for n in 0..plan.workers {
        workers.push(start_worker(dir, db, plan.concurrency, n)?);
    }
    // Every worker is up and idle before the campaign falls due.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let cpu_before: f64 = workers.iter().map(cpu_seconds).sum();
    let due = Utc::now();
    share::Entity::update_many()
        .col_expr(share::Column::ScheduledAt, Expr::value(due))
        .col_expr(share::Column::NextAttemptAt, Expr::value(due))
        .exec(&connection)
        .await?;
    let started = Instant::now();
    let settled = loop {
        let counts = states(&connection).await?;
        let waiting = counts.get("scheduled").copied().unwrap_or_default()
            + counts.get("sending").copied().unwrap_or_default();
        if waiting == 0 {
            break counts;
        }
        if started.elapsed() > PATIENCE {
            bail!("shares still waiting after {PATIENCE:?}: {counts:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let cpu: f64 = workers.iter().map(cpu_seconds).sum::<f64>() - cpu_before;
    for worker in &mut workers {
        let _ = worker.start_kill();
    }
    let network = stand_in.counts();
    stand_in.stop();
    let published = published_times(&connection, due).await?;
    let retried = share::Entity::find()
        .filter(share::Column::Attempts.gt(1))
        .count(&connection)
        .await?;
    connection.close().await?;
    let figures = Figures {
        seeded,
        settled,
        published,
        retried,
        network,
        cpu,
    };
    report(kind, plan, &figures, baseline);
    Ok(())
}

/// What one run measured.
struct Figures {
    seeded: Duration,
    settled: HashMap<String, u64>,
    /// Seconds from due to published, in order.
    published: Vec<f64>,
    /// Shares that needed more than one attempt.
    retried: u64,
    network: Counts,
    /// The workers' CPU seconds while the shares went out.
    cpu: f64,
}

fn report(kind: DbKind, plan: Plan, figures: &Figures, baseline: &Baseline) {
    let Figures {
        seeded,
        settled,
        published,
        retried,
        network,
        cpu,
    } = figures;
    let (retried, cpu) = (*retried, *cpu);
    let at = |percent: usize| -> f64 {
        if published.is_empty() {
            return f64::NAN;
        }
        let rank = (published.len() * percent)
            .div_ceil(100)
            .clamp(1, published.len());
        published[rank - 1]
    };
    let first_wave = published
        .len()
        .saturating_sub(usize::try_from(retried).unwrap_or(0));
    let wave_end = published
        .get(first_wave.saturating_sub(1))
        .copied()
        .unwrap_or(f64::NAN);
    let rate = first_wave as f64 / wave_end;
    println!();
    println!(
        "{}: {} chorus worker process(es), {} shares at once each (seeded in {:.1} s)",
        kind.name(),
        plan.workers,
        plan.concurrency,
        seeded.as_secs_f64()
    );
    println!("  settled: {settled:?}; shares that needed more than one attempt: {retried}");
    println!(
        "  sent per second: {rate:.0} (the {first_wave} sent at their first attempt, in {wave_end:.2} s); \
         baseline (bare client, {} in flight, no database): {:.0}/s -> chorus/baseline {:.2}x",
        plan.workers * plan.concurrency,
        baseline.per_second,
        rate / baseline.per_second
    );
    println!(
        "  due -> sent: p50 {:.2} s, p95 {:.2} s, max {:.2} s (a 503 waits 30 s before its retry)",
        at(50),
        at(95),
        at(100)
    );
    println!(
        "  network: {} requests, {} posts created, duplicates {}, contract refusals {}; 429 injected {} \
         (baseline run {}), calls before their reset {}, posting limit exceeded {}; 503 injected {}",
        network.requests,
        network.created,
        network.duplicates,
        network.refused,
        network.rate_limited,
        baseline.counts.rate_limited,
        network.before_reset,
        network.over_limit,
        network.unavailable
    );
    println!(
        "  workers' CPU: {cpu:.1} s for {} shares ({:.2} ms per share; the machine has 2 cores shared with the database and the stand-in)",
        published.len(),
        cpu * 1000.0 / published.len().max(1) as f64
    );
}

/// `chorus migrate` on the bench database.
async fn migrate(dir: &Path, db: &BenchDb) -> anyhow::Result<()> {
    let output = chorus_command(dir, db)?
        .arg("migrate")
        .output()
        .await
        .context("cannot run chorus migrate")?;
    if !output.status.success() {
        bail!(
            "chorus migrate failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn start_worker(dir: &Path, db: &BenchDb, concurrency: usize, n: usize) -> anyhow::Result<Child> {
    let log = std::fs::File::create(dir.join(format!("worker-{n}.log")))?;
    chorus_command(dir, db)?
        .arg("worker")
        .env("CHORUS_PUBLISH_CONCURRENCY", concurrency.to_string())
        // The stand-in listens on 127.0.0.1.
        .env("CHORUS_UNSAFE_ALLOW_PRIVATE_FETCH", "true")
        .env("CHORUS_LOG_FORMAT", "json")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .context("cannot start chorus worker")
}

/// User and system CPU seconds of a running process.
fn cpu_seconds(child: &Child) -> f64 {
    let Some(pid) = child.id() else { return 0.0 };
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Shares by state.
async fn states(db: &DatabaseConnection) -> anyhow::Result<HashMap<String, u64>> {
    let rows: Vec<(ShareState, i64)> = share::Entity::find()
        .select_only()
        .column(share::Column::State)
        .column_as(Expr::col(share::Column::Id).count(), "n")
        .group_by(share::Column::State)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(state, n)| (state.as_str().to_owned(), u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// Seconds from `due` to each published share's publication, in order.
async fn published_times(db: &DatabaseConnection, due: DateTime<Utc>) -> anyhow::Result<Vec<f64>> {
    let times: Vec<Option<DateTime<Utc>>> = share::Entity::find()
        .select_only()
        .column(share::Column::PublishedAt)
        .filter(share::Column::State.eq(ShareState::Published.as_str()))
        .into_tuple()
        .all(db)
        .await?;
    let mut seconds: Vec<f64> = times
        .into_iter()
        .flatten()
        .map(|at| (at - due).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6)
        .collect();
    seconds.sort_by(f64::total_cmp);
    Ok(seconds)
}

/// People opted in, each with a Mastodon account on the stand-in (its token sealed with the
/// database's key, as a connection stores it), and the shares, due tomorrow until the
/// campaign falls due.
async fn seed(
    db: &DatabaseConnection,
    bench: &BenchDb,
    origin: &str,
    plan: Plan,
) -> anyhow::Result<()> {
    let guidelines = chorus_server::store::policy::current_guidelines(db)
        .await
        .map_err(|e| anyhow::anyhow!("guidelines: {e}"))?
        .version;
    let txn = db.begin().await?;
    for batch in (0..plan.people).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = batch
            .iter()
            .map(|n| {
                format!(
                    "('p{n}@publish.bench.test', 'Person {n}', NULL, 'ambassador', 'Lyon', true, \
                     CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            })
            .collect();
        txn.execute_unprepared(&format!(
            "INSERT INTO users (email, display_name, password_hash, roles, team, active, \
             created_at, updated_at) VALUES {}",
            values.join(", ")
        ))
        .await?;
    }
    txn.execute_unprepared(&format!(
        "INSERT INTO consents (user_id, version, accepted_at) \
         SELECT id, {guidelines}, CURRENT_TIMESTAMP FROM users WHERE email LIKE '%@publish.bench.test'"
    ))
    .await?;
    txn.execute_unprepared(&format!(
        "INSERT INTO connected_accounts (user_id, network, instance, external_id, handle, \
         display_name, access_token, scopes, needs_reconnect, created_at, updated_at) \
         SELECT id, 'mastodon', '{origin}', CAST(id AS TEXT), email, display_name, '', \
         'write:statuses', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM users \
         WHERE email LIKE '%@publish.bench.test'"
    ))
    .await?;
    let key = base64::engine::general_purpose::STANDARD.decode(bench.secret_key())?;
    let key: [u8; 32] = key
        .try_into()
        .map_err(|_| anyhow::anyhow!("the bench key is not 32 bytes"))?;
    let vault = Vault::new(&key, &[]).context("vault")?;
    let accounts: Vec<(i32, i32, String)> = txn
        .query_all_raw(sea_orm::Statement::from_string(
            txn.get_database_backend(),
            "SELECT a.id AS account, u.id AS person, u.email AS email FROM connected_accounts a \
             JOIN users u ON u.id = a.user_id WHERE u.email LIKE '%@publish.bench.test' ORDER BY u.id",
        ))
        .await?
        .into_iter()
        .map(|row| -> anyhow::Result<(i32, i32, String)> {
            Ok((
                row.try_get("", "account")?,
                row.try_get("", "person")?,
                row.try_get("", "email")?,
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut people: Vec<(i32, i32)> = Vec::with_capacity(accounts.len());
    for (account, person, email) in accounts {
        let n: usize = email
            .trim_start_matches('p')
            .split('@')
            .next()
            .and_then(|n| n.parse().ok())
            .context("bench email")?;
        let sealed = vault.seal(
            Place {
                table: "connected_accounts",
                column: "access_token",
                row: i64::from(account),
            },
            &token(n),
        );
        txn.execute_raw(sea_orm::Statement::from_sql_and_values(
            txn.get_database_backend(),
            "UPDATE connected_accounts SET access_token = $1 WHERE id = $2",
            [sealed.into(), account.into()],
        ))
        .await?;
        people.push((person, account));
    }
    let later = Utc::now() + chrono::Duration::days(1);
    let rows: Vec<share::ActiveModel> = (0..plan.shares)
        .map(|n| {
            // Person after person, so each person's shares are spread over the queue.
            let (person, account) = people[n % people.len()];
            share::ActiveModel {
                user_id: Set(person),
                item_id: Set(None),
                account_id: Set(Some(account)),
                network: Set(Network::Mastodon.into()),
                text: Set(format!("Our new plant opens today, post {n}")),
                link: Set(None),
                link_title: Set(None),
                language: Set(Some("en".to_owned())),
                state: Set(ShareState::Scheduled),
                scheduled_at: Set(later),
                next_attempt_at: Set(later),
                attempts: Set(0),
                idempotency_key: Set(uuid::Uuid::new_v4().simple().to_string()),
                lease_owner: Set(None),
                lease_until: Set(None),
                external_id: Set(None),
                external_url: Set(None),
                last_error: Set(None),
                created_at: Set(Utc::now()),
                updated_at: Set(Utc::now()),
                published_at: Set(None),
                container_id: Set(None),
                composer_url: Set(None),
                held_by: Set(None),
                ..Default::default()
            }
        })
        .collect();
    for chunk in rows.chunks(500) {
        share::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}
