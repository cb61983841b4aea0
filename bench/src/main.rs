//! `bench`: measures the real `chorus` release binary end to end, as a separate process with a
//! database of its own, and prints figures. It is a program, not a timed test: it never fails
//! on a slow figure, it says PASS or MISS beside each target.

mod baseline;
mod database;
mod fortunes;
mod load;
mod pages;
mod publish;
mod redirect;
mod scale;
mod server;
mod session;

use clap::{Parser, Subcommand};

use crate::database::DbKind;

/// Benchmarks of the real `chorus` server.
#[derive(Debug, Parser)]
#[command(name = "bench", about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The tracked-link redirect `/l/{code}`: a bare axum baseline, then the real server, under
    /// the same load; then checks that every answered click was counted.
    Redirect {
        /// Keep-alive connections held open at once.
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Seconds measured, after a 2-second warm-up.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// The real server's database.
        #[arg(long, value_enum, default_value_t = DbKind::Sqlite)]
        db: DbKind,
    },
    /// Signed-in pages (the ambassador's hub with 20 published items, ...) on the real server,
    /// each beside a fortunes-shaped baseline (bare axum, one query of 20 rows, tera) measured
    /// in the same run on the same kind of database.
    Pages {
        /// sqlite, postgres or both.
        #[arg(long, value_enum, default_value_t = DbChoice::Sqlite)]
        db: DbChoice,
        /// Keep-alive connections held open at once.
        #[arg(long, default_value_t = 8)]
        connections: usize,
        /// Seconds measured per page, after a 2-second warm-up.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// The statistics queries of one dashboard view on PostgreSQL with a large generated
    /// organisation (1,000,000 shares and 10,000,000 clicks by default).
    Scale {
        /// Published shares to generate.
        #[arg(long, default_value_t = 1_000_000)]
        shares: u64,
        /// Human clicks to generate (spread over the shares' links).
        #[arg(long, default_value_t = 10_000_000)]
        clicks: u64,
        /// Ambassadors sharing (in 20 teams).
        #[arg(long, default_value_t = 2_000)]
        ambassadors: u64,
        /// Timed runs per view.
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// Timed runs per view of the baseline (nothing held in memory: slow, hence fewer).
        #[arg(long, default_value_t = 3)]
        cold_runs: usize,
    },
    /// A campaign falling due at once: shares for thousands of people sent by real `chorus
    /// worker` processes (two on PostgreSQL, one on SQLite) to a stand-in network with latency,
    /// 429s and 503s; beside a bare client sending the same posts straight to the network.
    Publish {
        /// sqlite, postgres or both.
        #[arg(long, value_enum, default_value_t = DbChoice::Postgres)]
        db: DbChoice,
        /// Shares due at once.
        #[arg(long, default_value_t = 10_000)]
        shares: usize,
        /// People sharing, one account each.
        #[arg(long, default_value_t = 2_000)]
        people: usize,
        /// Shares each worker sends at once (`CHORUS_PUBLISH_CONCURRENCY`).
        #[arg(long, default_value_t = 128)]
        concurrency: usize,
    },
    /// The baseline server, started by `bench redirect` as a child process.
    #[command(hide = true)]
    BaselineServer {
        /// The one code it knows.
        #[arg(long)]
        code: String,
        /// Where that code redirects.
        #[arg(long)]
        target: String,
    },
    /// The fortunes baseline server, started by `bench pages` as a child process.
    #[command(hide = true)]
    FortunesServer {
        /// The database holding the `fortune` table.
        #[arg(long)]
        db: String,
    },
}

/// Which databases `bench pages` runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum DbChoice {
    Sqlite,
    Postgres,
    Both,
}

impl DbChoice {
    fn kinds(self) -> Vec<DbKind> {
        match self {
            DbChoice::Sqlite => vec![DbKind::Sqlite],
            DbChoice::Postgres => vec![DbKind::Postgres],
            DbChoice::Both => vec![DbKind::Sqlite, DbKind::Postgres],
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Redirect {
            connections,
            seconds,
            db,
        } => redirect::run(connections, seconds, db).await,
        Command::Pages {
            db,
            connections,
            seconds,
        } => pages::run(&db.kinds(), connections, seconds).await,
        Command::Scale {
            shares,
            clicks,
            ambassadors,
            runs,
            cold_runs,
        } => {
            scale::run(
                &scale::Size {
                    shares,
                    clicks,
                    ambassadors,
                },
                runs,
                cold_runs,
            )
            .await
        }
        Command::Publish {
            db,
            shares,
            people,
            concurrency,
        } => {
            let kinds: Vec<(DbKind, usize)> = db
                .kinds()
                .into_iter()
                .map(|kind| (kind, if kind == DbKind::Postgres { 2 } else { 1 }))
                .collect();
            let plan = publish::Plan {
                shares,
                people,
                workers: 1,
                concurrency,
            };
            publish::run(&kinds, plan).await
        }
        Command::BaselineServer { code, target } => baseline::serve(code, target).await,
        Command::FortunesServer { db } => fortunes::serve(db).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
