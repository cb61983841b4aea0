//! The database of one benchmark: a SQLite file in a temporary folder, or a fresh PostgreSQL
//! database `chorus_bench_<random>` that is dropped at the end.

use std::path::Path;

use anyhow::Context as _;
use base64::Engine as _;
use rand::RngCore as _;
use sea_orm::{ConnectionTrait as _, Database, DatabaseConnection};

/// The PostgreSQL server used when `CHORUS_BENCH_POSTGRES_URL` is not set (trust auth).
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Which database the real server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DbKind {
    /// A SQLite file (the default installation).
    Sqlite,
    /// A fresh database on the PostgreSQL server.
    Postgres,
}

impl DbKind {
    /// Its name in the printed figures.
    pub fn name(self) -> &'static str {
        match self {
            DbKind::Sqlite => "SQLite",
            DbKind::Postgres => "PostgreSQL",
        }
    }
}

/// One benchmark's database, with the secret key every process on it shares.
#[derive(Debug)]
pub struct BenchDb {
    url: String,
    secret_key: String,
    /// The PostgreSQL server's maintenance URL and the database's name, to drop it.
    postgres: Option<(String, String)>,
}

impl BenchDb {
    /// Creates an empty database (the server applies its migrations at start-up).
    ///
    /// # Errors
    /// The PostgreSQL server cannot be reached or refuses to create the database.
    pub async fn create(kind: DbKind, dir: &Path) -> anyhow::Result<BenchDb> {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        let secret_key = base64::engine::general_purpose::STANDARD.encode(key);
        match kind {
            DbKind::Sqlite => Ok(BenchDb {
                url: format!("sqlite://{}/chorus.db?mode=rwc", dir.display()),
                secret_key,
                postgres: None,
            }),
            DbKind::Postgres => {
                let admin_url = std::env::var("CHORUS_BENCH_POSTGRES_URL")
                    .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
                let name = format!("chorus_bench_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url)
                    .await
                    .with_context(|| format!("cannot reach PostgreSQL at {admin_url}"))?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .with_context(|| format!("cannot create the database {name}"))?;
                admin.close().await?;
                let mut url = url::Url::parse(&admin_url)?;
                url.set_path(&format!("/{name}"));
                Ok(BenchDb {
                    url: url.to_string(),
                    secret_key,
                    postgres: Some((admin_url, name)),
                })
            }
        }
    }

    /// The URL the server is given.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The secret key (standard base64) of every `chorus` process on this database.
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// A connection of the benchmark's own, for seeding and reading counts.
    ///
    /// # Errors
    /// The database cannot be reached.
    pub async fn connect(&self) -> anyhow::Result<DatabaseConnection> {
        Database::connect(&self.url)
            .await
            .with_context(|| format!("cannot open {}", self.url))
    }

    /// Drops the PostgreSQL database (a SQLite file goes with its temporary folder).
    ///
    /// # Errors
    /// PostgreSQL refused; the database is named so that it can be dropped by hand.
    pub async fn drop_database(self) -> anyhow::Result<()> {
        if let Some((admin_url, name)) = self.postgres {
            let admin = Database::connect(&admin_url).await?;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await
                .with_context(|| format!("cannot drop the database {name}; drop it by hand"))?;
            admin.close().await?;
        }
        Ok(())
    }
}
