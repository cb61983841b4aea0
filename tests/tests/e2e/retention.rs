//! Issue 15, part 6: the retention policy. An admin sets a period per kind of data on the
//! settings page; the worker deletes what is older, and nothing else, counted from a clock set
//! by configuration (`CHORUS_RETENTION_CLOCK`); `chorus retention apply` does the same once;
//! the transparency page says the periods.

use std::time::Duration;

use chorus_tests::{TestApp, TestAppOptions};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait as _, Database, DatabaseConnection, Statement, Value};

const DEMO_PASSWORD: &str = "chorus-demo-2026";
const ENDED: &str = "'published', 'failed', 'cancelled', 'missed', 'deleted', 'handed_over'";

/// Each kind: its form field, the period the admin sets, the rows it covers and, among them,
/// those older than a cutoff (`$1`).
struct Kind {
    name: &'static str,
    days: i64,
    all: &'static str,
    expired: String,
    /// Counted in days since 1970 rather than as an instant.
    by_day: bool,
}

fn kinds() -> Vec<Kind> {
    vec![
        Kind {
            name: "sign_in_counters",
            days: 1,
            all: "SELECT COUNT(*) AS n FROM sign_in_throttle",
            expired: "SELECT COUNT(*) AS n FROM sign_in_throttle WHERE last_failure_at < $1 \
                      AND (blocked_until IS NULL OR blocked_until < $1)"
                .into(),
            by_day: false,
        },
        Kind {
            name: "audit_log",
            days: 180,
            all: "SELECT COUNT(*) AS n FROM audit_log",
            expired: "SELECT COUNT(*) AS n FROM audit_log WHERE at < $1".into(),
            by_day: false,
        },
        Kind {
            name: "shares",
            days: 60,
            all: "SELECT COUNT(*) AS n FROM shares",
            expired: format!(
                "SELECT COUNT(*) AS n FROM shares WHERE state IN ({ENDED}) AND updated_at < $1"
            ),
            by_day: false,
        },
        Kind {
            name: "click_hours",
            days: 60,
            all: "SELECT COUNT(*) AS n FROM click_counts",
            expired: "SELECT COUNT(*) AS n FROM click_counts WHERE hour < $1".into(),
            by_day: false,
        },
        Kind {
            name: "daily_activity",
            days: 90,
            all: "SELECT COUNT(*) AS n FROM activity_daily",
            expired: "SELECT COUNT(*) AS n FROM activity_daily WHERE day < $1".into(),
            by_day: true,
        },
        Kind {
            name: "revisions",
            days: 30,
            all: "SELECT COUNT(*) AS n FROM content_revisions",
            expired: "SELECT COUNT(*) AS n FROM content_revisions WHERE created_at < $1 \
                      AND id NOT IN (SELECT MAX(id) FROM content_revisions GROUP BY item_id)"
                .into(),
            by_day: false,
        },
    ]
}

async fn count(db: &DatabaseConnection, sql: &str, cutoff: Option<Value>) -> i64 {
    let statement = Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        cutoff.into_iter().collect::<Vec<_>>(),
    );
    db.query_one_raw(statement)
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap()
}

/// For each kind, (all rows, rows expired at `clock`).
async fn census(db: &DatabaseConnection, clock: DateTime<Utc>) -> Vec<(&'static str, i64, i64)> {
    let mut out = Vec::new();
    for kind in kinds() {
        let cutoff = clock - chrono::Duration::days(kind.days);
        let value: Value = if kind.by_day {
            cutoff.timestamp().div_euclid(86_400).into()
        } else {
            cutoff.into()
        };
        out.push((
            kind.name,
            count(db, kind.all, None).await,
            count(db, &kind.expired, Some(value)).await,
        ));
    }
    out
}

#[tokio::test]
async fn the_retention_job_deletes_what_expired_and_nothing_else() {
    let mut app = TestApp::spawn_with(TestAppOptions::default().arg("--demo")).await;
    let db = Database::connect(app.database_url()).await.unwrap();
    let admin = app.client();
    admin.sign_in("admin@demo.chorus.test", DEMO_PASSWORD).await;

    // A period outside its bounds is refused, and every value typed is kept.
    let mut fields: Vec<(&str, String)> = kinds()
        .iter()
        .map(|k| (k.name, k.days.to_string()))
        .collect();
    fields[2].1 = "5".into();
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = admin.post_form("/admin/settings/retention", &form).await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .body
            .contains("Write a whole number of days from 30 to 3650.")
    );
    assert!(refused.body.contains(r#"name="shares" type="number" class="short" inputmode="numeric" min="30" max="3650" value="5""#));
    assert!(refused.body.contains(r#"name="daily_activity" type="number" class="short" inputmode="numeric" min="90" max="3650" value="90""#));
    fields[2].1 = "60".into();
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = admin.post_form("/admin/settings/retention", &form).await;
    assert_eq!(saved.location(), "/admin/settings?done=retention#retention");

    // Everyone reads the periods on their transparency page.
    let person = app.client();
    person
        .sign_in("ambassador@demo.chorus.test", DEMO_PASSWORD)
        .await;
    let transparency = person.get("/account/transparency").await.body;
    assert!(
        transparency.contains("Finished shares · <strong>60 days</strong>"),
        "{transparency}"
    );
    assert!(transparency.contains("Who looked at statistics · <strong>180 days</strong>"));

    // A failed sign-in leaves counters; an old share still waiting for its owner's check is
    // never deleted, however old.
    let stranger = app.client();
    let failed = stranger
        .post_form(
            "/sign-in",
            &[
                ("email", "ambassador@demo.chorus.test"),
                ("password", "wrong"),
            ],
        )
        .await;
    assert_ne!(failed.status, 303, "a wrong password does not sign in");
    let oldest_share: i64 = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT CAST(MIN(id) AS BIGINT) AS n FROM shares WHERE state = 'published'".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap();
    db.execute_unprepared(&format!(
        "UPDATE shares SET state = 'needs_check' WHERE id = {oldest_share}"
    ))
    .await
    .unwrap();
    let link_code: String = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT l.code AS code FROM tracked_links l JOIN shares s ON s.id = l.share_id \
             WHERE s.state = 'published' ORDER BY s.updated_at LIMIT 1"
                .to_owned(),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "code")
        .unwrap();

    // The clock: 45 days from now. The demo's eight weeks of activity then straddle each
    // cutoff.
    let clock = Utc::now() + chrono::Duration::days(45);
    let before = census(&db, clock).await;
    for (name, all, expired) in &before {
        assert!(expired <= all, "{name}");
        if *name == "sign_in_counters" {
            assert!(*expired > 0, "the failed sign-in's counters expire");
        } else if ["shares", "click_hours", "daily_activity"].contains(name) {
            assert!(
                *expired > 0 && expired < all,
                "{name}: the demo has rows on both sides of the cutoff ({expired} of {all})"
            );
        }
    }

    // The worker applies the policy when it starts (then every hour).
    app.terminate().await;
    app.set_env("CHORUS_RETENTION_CLOCK", &clock.to_rfc3339());
    app.restart(&[]).await;
    let mut after = census(&db, clock).await;
    for _ in 0..150 {
        if after.iter().all(|(_, _, expired)| *expired == 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        after = census(&db, clock).await;
    }
    for ((name, all_before, expired_before), (_, all_after, expired_after)) in
        before.iter().zip(&after)
    {
        assert_eq!(*expired_after, 0, "{name}: what expired is gone");
        assert_eq!(
            *all_after,
            all_before - expired_before,
            "{name}: nothing else was deleted"
        );
    }
    let kept: i64 = count(
        &db,
        &format!("SELECT COUNT(*) AS n FROM shares WHERE id = {oldest_share}"),
        None,
    )
    .await;
    assert_eq!(kept, 1, "a share waiting for its owner is never deleted");
    // The link in a post out there still leads to the article, attached to nobody.
    let redirect = app.client().get(&format!("/l/{link_code}")).await;
    assert!(
        (300..400).contains(&redirect.status),
        "{} {}",
        redirect.status,
        redirect.body
    );
    let orphan: i64 = count(
        &db,
        &format!(
            "SELECT COUNT(*) AS n FROM tracked_links WHERE code = '{link_code}' AND share_id IS NULL"
        ),
        None,
    )
    .await;
    assert_eq!(orphan, 1);

    // Once more from the command line: each period, and nothing left to delete.
    let cli = app.cli(&["retention", "apply"], None).await;
    assert!(cli.success, "{}", cli.stderr);
    assert!(
        cli.stdout
            .starts_with(&format!("retention applied as of {}", clock.to_rfc3339())),
        "{}",
        cli.stdout
    );
    assert!(
        cli.stdout
            .contains("shares             kept   60 days   deleted 0"),
        "{}",
        cli.stdout
    );
    assert_eq!(cli.stdout.matches("deleted 0").count(), 6, "{}", cli.stdout);
}
