//! Issue 15, part 4: each person's own rhythm. Quiet hours and a daily cap, set on their
//! account page, move a share to the first moment that fits and say when it will go; the
//! worker checks them again when a share is due; editors' programme-wide cap is one a person
//! can lower but not raise, and the programme's commitments say it.

use std::time::Duration;

use chorus_tests::TestApp;
use chorus_tests::html::number_after;
use chorus_tests::shares::{queue_now, submit_share_form, wait_for_state};
use chorus_tests::world::StandInWorld;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait as _, Database, DatabaseConnection, Statement};

const ZONE: &str = "Europe/Paris";

fn paris() -> Tz {
    ZONE.parse().unwrap()
}

/// A time as the pages show it in Paris.
fn shown(at: DateTime<Utc>) -> String {
    at.with_timezone(&paris())
        .format("%-d %b %Y, %H:%M")
        .to_string()
}

/// `HH:MM` in Paris, `offset` from now.
fn paris_clock(offset: chrono::Duration) -> String {
    (Utc::now() + offset)
        .with_timezone(&paris())
        .format("%H:%M")
        .to_string()
}

/// One share's stored state, rhythm reason, attempts and time.
async fn share_row(db: &DatabaseConnection, id: &str) -> (String, Option<String>, i32, String) {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT state, held_by, attempts, next_attempt_at FROM shares WHERE id = {id}"),
        ))
        .await
        .unwrap()
        .expect("the share exists");
    let at: DateTime<Utc> = row.try_get("", "next_attempt_at").unwrap();
    (
        row.try_get("", "state").unwrap(),
        row.try_get("", "held_by").unwrap(),
        row.try_get("", "attempts").unwrap(),
        shown(at),
    )
}

async fn set_rhythm(w: &StandInWorld, from: &str, until: &str, cap: &str) {
    let saved = w
        .ana
        .post_form(
            "/account/rhythm",
            &[
                ("quiet_from", from),
                ("quiet_until", until),
                ("daily_cap", cap),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(saved.location(), "/account?done=rhythm#rhythm");
}

#[tokio::test]
async fn quiet_hours_and_a_daily_cap_move_a_share_and_say_when_it_goes() {
    let w = StandInWorld::start().await;
    let db = Database::connect(w.app.database_url()).await.unwrap();
    let (x_id, m_id) = w.account_ids().await;
    let zoned = w
        .ana
        .post_form("/account/time-zone", &[("time_zone", ZONE)])
        .await;
    assert_eq!(zoned.status, 303);

    // Quiet hours around now, in Paris: a share "now" waits for their end.
    let from = paris_clock(-chrono::Duration::hours(1));
    let until = paris_clock(chrono::Duration::hours(2));
    set_rhythm(&w, &from, &until, "").await;
    let account = w.ana.get("/account").await.body;
    assert!(account.contains(&format!(
        r#"name="quiet_from" type="time" class="short" value="{from}""#
    )));
    let share_page = w
        .ana
        .get(&format!("/hub/items/{}/share", w.item))
        .await
        .body;
    assert!(
        share_page.contains(&format!("Your rhythm: quiet hours {from}–{until}.")),
        "the share page says the rhythm next to the time: {share_page}"
    );
    let queued = queue_now(
        &w.ana,
        w.item,
        &[(&x_id, "My own words on Lyon's solar farm")],
    )
    .await;
    let ready = w.ana.get(&queued.location()).await.body;
    let id = number_after(&queued.location(), "ids=");
    let (state, held, attempts, at) = share_row(&db, &id).await;
    assert_eq!(
        (state.as_str(), held.as_deref(), attempts),
        ("scheduled", Some("quiet_hours"), 0)
    );
    assert!(
        at.ends_with(&until),
        "it goes at the end of the quiet hours: {at}"
    );
    assert!(
        ready.contains(&format!(
            "Goes out on {at}: you asked for a time in your quiet hours ({from}–{until})."
        )),
        "the page that follows 'share' says when and why: {ready}"
    );
    assert!(
        ready.contains(r#"class="hint held" data-message"#),
        "said as information, not as an error"
    );
    w.app.wait_for_worker_to_settle().await;
    assert!(w.x.posts().is_empty(), "nothing goes out in quiet hours");
    let history = w.ana.get("/hub/shares").await.body;
    assert!(history.contains(&format!("Goes out on {at}")));

    // The worker checks again when a share is due: one queued before the quiet hours were
    // set, whose time came, is held back, not counted as an attempt.
    set_rhythm(&w, "", "", "").await;
    let later = (Utc::now() + chrono::Duration::hours(5))
        .with_timezone(&paris())
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let scheduled = submit_share_form(
        &w.ana,
        w.item,
        &[(&m_id, "Later: my Lyon words")],
        &[("when", "later"), ("at", &later)],
    )
    .await;
    let later_id = number_after(&scheduled.location(), "ids=");
    assert_eq!(share_row(&db, &later_id).await.1, None, "no rhythm then");
    set_rhythm(&w, &from, &until, "").await;
    let due = Utc::now() - chrono::Duration::seconds(5);
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        format!("UPDATE shares SET scheduled_at = $1, next_attempt_at = $1 WHERE id = {later_id}"),
        [due.into()],
    ))
    .await
    .unwrap();
    let mut held_row = share_row(&db, &later_id).await;
    for _ in 0..100 {
        if held_row.1.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        held_row = share_row(&db, &later_id).await;
    }
    assert_eq!(
        (held_row.0.as_str(), held_row.1.as_deref(), held_row.2),
        ("scheduled", Some("quiet_hours"), 0),
        "held by the worker, not an attempt"
    );
    assert!(held_row.3.ends_with(&until));
    assert!(w.mastodon.posts().is_empty());

    // A daily cap of 1: the first share goes now, the second waits for tomorrow.
    for id in [&id, &later_id] {
        w.ana
            .post_form(&format!("/hub/shares/{id}/cancel"), &[])
            .await;
    }
    set_rhythm(&w, "", "", "1").await;
    queue_now(&w.ana, w.item, &[(&x_id, "First of the day, my words")]).await;
    wait_for_state(&w.ana, "published", 1).await;
    let second = queue_now(&w.ana, w.item, &[(&m_id, "Second of the day, my words")]).await;
    let second_id = number_after(&second.location(), "ids=");
    let (state, held, _, at) = share_row(&db, &second_id).await;
    assert_eq!(
        (state.as_str(), held.as_deref()),
        ("scheduled", Some("daily_cap"))
    );
    let tomorrow = (Utc::now().with_timezone(&paris()).date_naive() + chrono::Days::new(1))
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .format("%-d %b %Y, %H:%M")
        .to_string();
    assert_eq!(at, tomorrow, "at midnight in Paris");
    let ready = w.ana.get(&second.location()).await.body;
    assert!(
        ready.contains(&format!(
            "Goes out on {tomorrow}: that day already had 1 of your shares, the most you chose for one day."
        )),
        "{ready}"
    );
    w.app.wait_for_worker_to_settle().await;
    assert!(w.mastodon.posts().is_empty(), "not before tomorrow");
    assert_eq!(w.x.posts().len(), 1);

    // "Post it yourself" is the person's own act, at once: the cap does not count it.
    let own = submit_share_form(
        &w.ana,
        w.item,
        &[("own_bluesky", "Posting this one myself")],
        &[("when", "now")],
    )
    .await;
    assert_eq!(own.status, 303, "{}", own.body);
    let own_id = number_after(&own.location(), "ids=");
    let (state, held, _, _) = share_row(&db, &own_id).await;
    assert_eq!((state.as_str(), held), ("handed_over", None));

    // What they set is theirs: in the export, and a mistake comes back with their text.
    let export = w.ana.get("/account/export").await.body;
    assert!(export.contains(r#""daily_cap": 1"#), "{export}");
    let wrong = w
        .ana
        .post_form(
            "/account/rhythm",
            &[
                ("quiet_from", "22:00"),
                ("quiet_until", ""),
                ("daily_cap", "zero"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("Give both times"));
    assert!(wrong.body.contains("Write a whole number from 1 to 50"));
    assert!(wrong.body.contains(r#"value="22:00""#) && wrong.body.contains(r#"value="zero""#));
}

#[tokio::test]
async fn the_programme_cap_is_one_a_person_may_lower_but_not_raise() {
    let app = TestApp::spawn().await;
    let editor = app.signed_in("editor@example.org", "editor").await;
    let person = app.ambassador("ana@example.org").await;
    let programme = person.get("/programme").await.body;
    assert!(programme.contains("You set your own rhythm"), "{programme}");

    let bad = editor
        .post_form("/editor/programme/cap", &[("daily_cap", "0")])
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains(r#"value="0""#) && bad.body.contains("Write a whole number"));
    let set = editor
        .post_form("/editor/programme/cap", &[("daily_cap", "2")])
        .await;
    assert_eq!(set.location(), "/editor/programme?done=cap#cap");
    assert!(editor.get("/editor/programme").await.body.contains(
        r#"name="daily_cap" type="number" class="short" inputmode="numeric" min="1" max="50" value="2""#
    ));

    // The commitments follow the setting.
    let programme = person.get("/programme").await.body;
    assert!(
        programme
            .contains("No more than 2 of your shares go out on one day (you can choose fewer)"),
        "{programme}"
    );
    let account = person.get("/account").await.body;
    assert!(account.contains("The programme sends at most 2 a day for each person"));
    let raised = person
        .post_form(
            "/account/rhythm",
            &[("quiet_from", ""), ("quiet_until", ""), ("daily_cap", "5")],
        )
        .await;
    assert_eq!(raised.status, 422);
    assert!(raised.body.contains("choose 2 or fewer"), "{}", raised.body);
    let lowered = person
        .post_form(
            "/account/rhythm",
            &[("quiet_from", ""), ("quiet_until", ""), ("daily_cap", "1")],
        )
        .await;
    assert_eq!(lowered.status, 303);
    assert!(person.get("/account").await.body.contains(
        r#"name="daily_cap" type="number" class="short" inputmode="numeric" min="1" max="2" value="1""#
    ));

    // Removing the programme's cap leaves the person's own.
    editor
        .post_form("/editor/programme/cap", &[("daily_cap", "")])
        .await;
    assert!(
        person
            .get("/programme")
            .await
            .body
            .contains("You set your own rhythm")
    );
    assert!(
        person.get("/account").await.body.contains(
            r#"name="daily_cap" type="number" class="short" inputmode="numeric" min="1" max="50" value="1""#
        ),
        "their own cap stays, and they may now raise it to 50"
    );
}
