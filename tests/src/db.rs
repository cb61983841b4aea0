//! One database per test: a SQLite file in the test's folder, or a PostgreSQL database created
//! on the server named by `CHORUS_TEST_DATABASE_URL` and dropped when the test ends.

use std::path::Path;

use sea_orm::{ConnectionTrait as _, Database};

/// The database of one test.
#[derive(Debug)]
pub enum TestDb {
    /// A SQLite file.
    Sqlite {
        /// Its URL.
        url: String,
    },
    /// A PostgreSQL database of its own.
    Postgres {
        /// The server's maintenance URL (from `CHORUS_TEST_DATABASE_URL`).
        admin_url: String,
        /// The database's name.
        name: String,
        /// The URL of the new database.
        url: String,
    },
}

impl TestDb {
    /// Creates the database for one test.
    pub async fn create(dir: &Path) -> TestDb {
        match std::env::var("CHORUS_TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("chorus_test_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url).await.unwrap_or_else(|e| {
                    panic!("cannot reach CHORUS_TEST_DATABASE_URL {admin_url}: {e}")
                });
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create the test database");
                admin.close().await.ok();
                let mut url =
                    url::Url::parse(&admin_url).expect("CHORUS_TEST_DATABASE_URL is a URL");
                url.set_path(&format!("/{name}"));
                TestDb::Postgres {
                    admin_url,
                    name,
                    url: url.to_string(),
                }
            }
            _ => TestDb::Sqlite {
                url: format!("sqlite://{}/chorus.db?mode=rwc", dir.display()),
            },
        }
    }

    /// The URL the server is given.
    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url } | TestDb::Postgres { url, .. } => url,
        }
    }

    /// Whether this is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self, TestDb::Postgres { .. })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres {
            admin_url, name, ..
        } = self
        {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime: use a thread with its own.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                runtime.block_on(async {
                    let admin = Database::connect(&admin_url).await?;
                    admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await?;
                    admin.close().await?;
                    Ok::<_, anyhow::Error>(())
                })
            })
            .join();
            if !matches!(dropped, Ok(Ok(()))) {
                eprintln!("warning: could not drop a test database: {dropped:?}");
            }
        }
    }
}
