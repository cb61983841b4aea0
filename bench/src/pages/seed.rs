//! The organisation `bench pages` measures, seeded through the real pages as the people would
//! do it (published items on the hub), and straight into the database where only volume counts
//! (5,000 more people for the admins' table).

use anyhow::{Context as _, bail};

use super::{AMBASSADOR, EDITOR};
use crate::database::BenchDb;
use crate::session::{DEMO_PASSWORD, Session, value_after};

/// People added to the demo organisation for the admins' table.
const EXTRA_PEOPLE: usize = 5_000;

/// Items on a full hub page.
const HUB_PAGE_ITEMS: usize = 20;

/// Adds [`EXTRA_PEOPLE`] accounts (ambassadors in four teams, one in ten deactivated) straight
/// into the database, in batches: the admins' table is measured over them.
pub async fn add_people(db: &BenchDb) -> anyhow::Result<()> {
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

/// Gives the demo ambassador a history for "My shares": the sample shares of one demo colleague
/// (published over eight weeks, each with its tracked link and clicks) become theirs. Returns
/// how many.
pub async fn give_shares(db: &BenchDb) -> anyhow::Result<u64> {
    use sea_orm::ConnectionTrait as _;
    let connection = db.connect().await?;
    let moved = connection
        .execute_unprepared(&format!(
            "UPDATE shares SET user_id = (SELECT id FROM users WHERE email = '{AMBASSADOR}') \
             WHERE user_id = (SELECT id FROM users WHERE email = 'zoe@demo.chorus.test')"
        ))
        .await?
        .rows_affected();
    connection.close().await?;
    if moved == 0 {
        bail!("the demo has no sample shares to give the ambassador");
    }
    Ok(moved)
}

/// Publishes items as the demo editor, through the editor's form and workflow, until the demo
/// ambassador's hub shows a full first page; checks that it does.
pub async fn fill_hub(base: &str) -> anyhow::Result<()> {
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
