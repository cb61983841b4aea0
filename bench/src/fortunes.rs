//! The page baseline, shaped like TechEmpower's "fortunes": a bare axum app (no middleware)
//! whose one route `GET /fortunes` runs ONE query reading the 20 rows of `fortune(id, message)`
//! through sea-orm on the same kind of database as Chorus, adds one row at request time, sorts
//! the rows by message and renders them, escaped, with tera into a small HTML table. It is the
//! least a page on Chorus's stack (axum, sea-orm with sqlx, tera) can cost; it runs as a child
//! process (this binary's hidden `fortunes-server`), like Chorus.

use std::sync::Arc;

use anyhow::{Context as _, bail};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse as _, Response};
use axum::routing::get;
use sea_orm::{ConnectionTrait as _, DatabaseConnection, EntityTrait as _, Set};
use tokio::process::Command;

use crate::database::BenchDb;
use crate::server::Server;

/// The page's path.
pub const PATH: &str = "/fortunes";

/// The template, compiled once at start. Tera escapes `.html` templates' values.
const TEMPLATE: &str = "<!DOCTYPE html>\
<html><head><title>Fortunes</title></head><body>\
<table><tr><th>id</th><th>message</th></tr>\
{% for fortune in fortunes %}<tr><td>{{ fortune.id }}</td><td>{{ fortune.message }}</td></tr>{% endfor %}\
</table></body></html>";
const TEMPLATE_NAME: &str = "fortunes.html";

/// The row added at request time, as in TechEmpower's test.
const ADDED: &str = "Additional fortune added at request time.";

/// The 20 stored rows: TechEmpower's 12 (a script tag and Japanese among them), and 8 more
/// with quotes, ampersands, accents and emoji.
const FORTUNES: [&str; 20] = [
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. — Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    "<script>alert(\"This should not be displayed in a browser alert box.\");</script>",
    "フレームワークのベンチマーク",
    "Premature optimization is the root of all evil & then some.",
    "Ceci n'est pas une pipe : « l'élève » à l'école.",
    "There are 2 hard problems: caching, naming & off-by-1 errors.",
    "'Single quotes' and \"double quotes\" <b>and tags</b>.",
    "Zero-cost abstractions cost zero at run time 🦀",
    "Measure twice, cut once; benchmark three times.",
    "Über-fast code: naïve café façade, Ærø, Øresund.",
    "Ship it: <img src=x onerror=alert(1)> is just text here.",
];

/// `fortune`: the table read by the page.
pub mod fortune {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "fortune")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub message: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Creates `fortune` in `db` and stores the 20 rows.
///
/// # Errors
/// The database refused.
pub async fn seed(db: &BenchDb) -> anyhow::Result<()> {
    let connection = db.connect().await?;
    connection
        .execute_unprepared(
            "CREATE TABLE fortune (id INTEGER PRIMARY KEY, message VARCHAR(2048) NOT NULL)",
        )
        .await
        .context("cannot create the fortune table")?;
    let rows = (1..)
        .zip(FORTUNES)
        .map(|(id, message)| fortune::ActiveModel {
            id: Set(id),
            message: Set(message.to_owned()),
        });
    fortune::Entity::insert_many(rows)
        .exec(&connection)
        .await
        .context("cannot fill the fortune table")?;
    connection.close().await?;
    Ok(())
}

/// What every request shares.
#[derive(Clone)]
struct Shared {
    db: DatabaseConnection,
    tera: Arc<tera::Tera>,
}

/// `bench fortunes-server`: serves `/fortunes` from `database_url` until SIGTERM.
///
/// The pool is Chorus's own, by construction: `chorus_server::store::connect` (8 connections
/// on SQLite, 16 on PostgreSQL, the same timeouts and options).
///
/// # Errors
/// The database cannot be reached, the template does not parse, or the port cannot be bound.
pub async fn serve(database_url: String) -> anyhow::Result<()> {
    let db = chorus_server::store::connect(&database_url)
        .await
        .with_context(|| format!("cannot open {database_url}"))?;
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![".html"]);
    tera.add_raw_template(TEMPLATE_NAME, TEMPLATE)?;
    let shared = Shared {
        db,
        tera: Arc::new(tera),
    };
    let app = Router::new().route(PATH, get(fortunes)).with_state(shared);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    // The one line on stdout, read by the parent as with Chorus.
    println!("fortunes listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            if let Ok(mut term) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            {
                term.recv().await;
            }
        })
        .await?;
    Ok(())
}

async fn fortunes(State(shared): State<Shared>) -> Response {
    let mut rows = match fortune::Entity::find().all(&shared.db).await {
        Ok(rows) => rows,
        Err(error) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response();
        }
    };
    rows.push(fortune::Model {
        id: 0,
        message: ADDED.to_owned(),
    });
    rows.sort_unstable_by(|a, b| a.message.cmp(&b.message));
    let mut context = tera::Context::new();
    context.insert("fortunes", &rows);
    match shared.tera.render(TEMPLATE_NAME, &context) {
        Ok(page) => Html(page).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

/// Starts the fortunes server as a child process (this very binary) on `db`, and checks its
/// page once: 21 rows sorted by message, the script tag escaped, the Japanese intact.
///
/// # Errors
/// See [`Server::start`]; or the page is not the expected one.
pub async fn start(dir: &std::path::Path, db: &BenchDb) -> anyhow::Result<Server> {
    let exe = std::env::current_exe().context("cannot find the bench binary's path")?;
    let mut command = Command::new(exe);
    command.args(["fortunes-server", "--db", db.url()]);
    let server = Server::start(command, &dir.join("fortunes.log")).await?;
    check(&server).await?;
    Ok(server)
}

async fn check(server: &Server) -> anyhow::Result<()> {
    let answer = reqwest::get(server.url(PATH)).await?;
    let status = answer.status();
    let content_type = answer
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = answer.text().await?;
    if status != 200 || !content_type.starts_with("text/html") {
        bail!("{PATH} answered {status} ({content_type}): {body}");
    }
    let cells: Vec<&str> = body
        .split("<tr><td>")
        .skip(1)
        .filter_map(|row| row.split("</td><td>").nth(1))
        .filter_map(|cell| cell.split("</td>").next())
        .collect();
    if cells.len() != FORTUNES.len() + 1
        || !cells.is_sorted_by_key(|cell| unescape(cell))
        || !cells.contains(&ADDED)
        || body.contains("<script>")
        || !body.contains("&lt;script&gt;alert(&quot;")
        || !body.contains("フレームワークのベンチマーク")
    {
        bail!("{PATH} is not the expected page: {body}");
    }
    Ok(())
}

/// Undoes tera's escaping, to check the order of the messages.
fn unescape(cell: &str) -> String {
    cell.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}
