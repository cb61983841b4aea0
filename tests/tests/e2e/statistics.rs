//! Statistics through the real server: the analysts' dashboard shows the seeded totals, never a
//! group under k (also not by difference: a network or a team minus one), names only people
//! who chose it, matches its CSV, and writes every view to the audit log that each person sees;
//! editors see an item's figures and anonymous "not for me" counts; each ambassador sees
//! exactly their own figures.

use std::collections::BTreeMap;
use std::time::Duration;

use chorus_tests::Client;
use chorus_tests::html::{row, testid};
use chorus_tests::shares::share_now;
use chorus_tests::world::StandInWorld;
use sea_orm::{ConnectionTrait as _, Database, DatabaseConnection, Statement};

/// The demo organisation, a connection to its database, and its analyst signed in.
async fn demo_with_analyst() -> (chorus_tests::TestApp, DatabaseConnection, Client) {
    let app =
        chorus_tests::TestApp::spawn_with(chorus_tests::TestAppOptions::default().arg("--demo"))
            .await;
    let db = Database::connect(app.database_url()).await.unwrap();
    let analyst = app.client();
    analyst
        .sign_in("analyst@demo.chorus.test", "chorus-demo-2026")
        .await;
    (app, db, analyst)
}

async fn share(client: &Client, item: i32, network: &str, text: &str) {
    let id = client.share_account_id(item, network).await;
    let answer = share_now(client, item, &[(id, text)]).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
}

#[tokio::test]
async fn the_dashboard_counts_what_people_chose_to_share_and_never_a_group_under_k() {
    let w = StandInWorld::start().await;
    let admin = w.app.signed_in("root@example.org", "admin").await;
    admin
        .post_form(
            "/admin/settings",
            &[
                ("min_group_size", "3"),
                ("disclosure_en", "#employee"),
                ("disclosure_fr", ""),
            ],
        )
        .await;
    let mastodon: String =
        url::form_urlencoded::byte_serialize(w.mastodon.base_url().as_bytes()).collect();
    let mut people = Vec::new();
    for name in ["bob", "cy", "dee", "eve", "fay", "gus", "hal"] {
        people.push(w.app.ambassador(&format!("{name}@example.org")).await);
    }
    let [bob, cy, dee, eve, fay, gus, hal] = &people[..] else {
        unreachable!()
    };
    // Ivy has an account but never opted in: she must appear nowhere.
    let ivy = w.app.signed_in("ivy@example.org", "ambassador").await;
    for (client, network) in [(bob, "mastodon"), (cy, "mastodon"), (dee, "x"), (eve, "x")] {
        let path = if network == "x" {
            "/hub/accounts/connect/x".to_owned()
        } else {
            format!("/hub/accounts/connect/mastodon?instance={mastodon}")
        };
        assert!(
            client
                .connect_follow(&path)
                .await
                .body
                .contains("account connected: it is offered on every share page.")
        );
    }
    for team_member in ["ana", "bob", "cy", "dee"] {
        let out = w
            .app
            .cli(
                &[
                    "user",
                    "set-team",
                    "--email",
                    &format!("{team_member}@example.org"),
                    "--team",
                    "Lyon",
                ],
                None,
            )
            .await;
        assert!(out.success, "{}", out.stderr);
    }
    // Mastodon: ana, bob, cy. X: ana, dee, eve. Six shares by five people.
    let item = w.item;
    share(
        &w.ana,
        item,
        "mastodon",
        "ana on mastodon https://example.com/solar",
    )
    .await;
    share(&w.ana, item, "x", "ana on x https://example.com/solar").await;
    share(
        bob,
        item,
        "mastodon",
        "bob on mastodon https://example.com/solar",
    )
    .await;
    share(
        cy,
        item,
        "mastodon",
        "cy on mastodon https://example.com/solar",
    )
    .await;
    share(dee, item, "x", "dee on x https://example.com/solar").await;
    share(eve, item, "x", "eve on x https://example.com/solar").await;
    for _ in 0..200 {
        if w.mastodon.posts().len() == 3 && w.x.posts().len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!((w.mastodon.posts().len(), w.x.posts().len()), (3, 3));
    // Clicks: two people on ana's Mastodon link, one on bob's; a robot on ana's.
    let link_of = |who: &str| {
        let post = w
            .mastodon
            .posts()
            .into_iter()
            .find(|p| p.text.starts_with(who))
            .unwrap();
        post.text.rsplit(' ').next().unwrap().to_owned()
    };
    let visitor = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (link, agent) in [
        (link_of("ana"), "Mozilla/5.0 Firefox/140.0"),
        (link_of("ana"), "Mozilla/5.0 Firefox/140.0"),
        (link_of("bob"), "Mozilla/5.0 Firefox/140.0"),
        (link_of("ana"), "LinkedInBot/1.0"),
    ] {
        let answer = visitor
            .get(&link)
            .header("user-agent", agent)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 302);
    }
    // Bob, cy and dee chose to be named; with k = 3, naming dee too would leave two unnamed.
    for client in [bob, cy, dee] {
        client
            .post_form(
                "/account/privacy/choices",
                &[("be_named_in_statistics", "on")],
            )
            .await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let ann = w.app.signed_in("ann@example.org", "analyst").await;
    let page = ann.get("/stats").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = &page.body;
    assert_eq!(testid(body, "total-shares"), "6");
    assert_eq!(testid(body, "total-clicks"), "3", "robots are not people");
    // Eight opted-in ambassadors, five shared: 63 %.
    assert_eq!(testid(body, "participation"), "63 %");
    assert_eq!(row(body, "network", "Mastodon"), ["3", "3", "3"]);
    assert_eq!(row(body, "network", "X"), ["3", "0", "3"]);
    assert_eq!(row(body, "participation", "Did not share"), ["3"]);
    assert_eq!(row(body, "named", "bob"), ["1", "1"]);
    assert_eq!(row(body, "named", "cy"), ["1", "0"]);
    assert!(
        !body.contains(r#"<th scope="row">dee</th>"#),
        "dee would single out the rest"
    );
    assert!(!body.contains("ivy"), "never opted in");
    assert!(body.contains("<svg"), "charts are drawn on the server");

    // The CSV is the screen.
    let csv = ann.get("/stats/export.csv").await;
    assert_eq!(csv.status, 200);
    for line in [
        r#"network,"Mastodon",3,3,3,shown"#,
        r#"network,"X",3,0,3,shown"#,
        r#"network,"Total",6,3,5,shown"#,
        r#"participation,"Did not share",,,3,shown"#,
        r#"named,"bob",1,1,1,shown"#,
    ] {
        assert!(csv.body.contains(line), "{line} missing in\n{}", csv.body);
    }
    assert!(!csv.body.contains("dee") && !csv.body.contains("ivy"));

    // A narrower view that differs by at least k people is fine: X alone.
    let narrower = ann.get("/stats?network=x").await;
    assert_eq!(testid(&narrower.body, "total-shares"), "3");
    // The team (ana, bob, cy, dee) next to everyone differs by one person (eve): refused.
    let team = ann.get("/stats?team=Lyon").await;
    assert!(
        team.body.contains(r#"data-testid="refused""#),
        "{}",
        team.body
    );
    assert!(!team.body.contains(r#"data-testid="total-shares""#));
    // The same pair the other way round, for another analyst.
    let al = w.app.signed_in("al@example.org", "analyst").await;
    let team = al.get("/stats?team=Lyon").await;
    assert_eq!(testid(&team.body, "total-shares"), "5");
    let everyone = al.get("/stats").await;
    assert!(everyone.body.contains(r#"data-testid="refused""#));
    // A refused view shows nothing, so it is not remembered: the team view can be seen again.
    let again = al.get("/stats?team=Lyon").await;
    assert_eq!(testid(&again.body, "total-shares"), "5");

    // Every view is in the audit log, on the transparency page of each person it included.
    // In sentences: who, which figures, which period and filters.
    let transparency = w.ana.get("/account/transparency").await.body;
    let today = chrono::Utc::now().date_naive();
    let period = format!("for {} to {today}", today - chrono::Duration::days(27));
    for sentence in [
        format!("ann looked at the statistics dashboard {period} (everyone, every network)."),
        format!("ann looked at the statistics dashboard {period} (X only)."),
        format!("ann downloaded the statistics (CSV) {period} (everyone, every network)."),
        format!("al looked at the statistics dashboard {period} (team Lyon)."),
    ] {
        assert!(
            transparency.contains(&sentence),
            "{sentence} in {transparency}"
        );
    }
    assert!(
        !ivy.get("/account/transparency")
            .await
            .body
            .contains("looked at the statistics")
    );
    assert!(
        fay.get("/account/transparency").await.body.contains("ann"),
        "fay did not share, and is counted in participation"
    );

    // Each ambassador sees exactly their own figures.
    let mine = w.ana.get("/hub/stats").await.body;
    assert_eq!(
        (testid(&mine, "my-shares"), testid(&mine, "my-clicks")),
        ("2".into(), "2".into())
    );
    assert_eq!(row(&mine, "my-networks", "Mastodon"), ["1", "2"]);
    assert_eq!(row(&mine, "my-networks", "X"), ["1", "0"]);
    let mine = bob.get("/hub/stats").await.body;
    assert_eq!(
        (testid(&mine, "my-shares"), testid(&mine, "my-clicks")),
        ("1".into(), "1".into())
    );

    // "Not for me": anonymous counts for editors, under the same rule.
    for client in [fay, gus, hal] {
        let answer = client
            .post_form(
                &format!("/hub/items/{item}/pass"),
                &[("reason", "not_relevant")],
            )
            .await;
        assert_eq!(answer.location(), format!("/hub?passed={item}"));
    }
    // Saying so is confirmed, with a way to take it back at once.
    let confirmed = fay.get(&format!("/hub?passed={item}")).await.body;
    assert!(
        confirmed.contains("is not for you. It no longer shows in your hub")
            && confirmed.contains(&format!(r#"action="/hub/items/{item}/pass""#))
            && confirmed.contains("Take it back"),
        "{confirmed}"
    );
    assert!(
        !fay.get("/hub").await.body.contains("Solar in Lyon"),
        "passed items leave the hub"
    );
    assert!(
        fay.get(&format!("/hub/items/{item}"))
            .await
            .body
            .contains("Take it back")
    );
    let eli = w.app.client();
    eli.sign_in("eli@example.org", chorus_tests::PASSWORD).await;
    let stats = eli.get(&format!("/editor/items/{item}/stats")).await;
    assert_eq!(stats.status, 200, "{}", stats.body);
    assert_eq!(row(&stats.body, "not_for_me", "not relevant to me"), ["3"]);
    assert_eq!(row(&stats.body, "network", "Mastodon"), ["3", "3", "3"]);
    for name in ["fay", "gus", "hal", "bob"] {
        assert!(
            !stats.body.contains(name),
            "{name} is never named to editors"
        );
    }
    // One more answer with another reason: a group of one is folded away, and the total
    // alone would give it away, so the larger group is withheld too.
    eve.post_form(
        &format!("/hub/items/{item}/pass"),
        &[("reason", "wrong_timing")],
    )
    .await;
    let stats = eli.get(&format!("/editor/items/{item}/stats")).await.body;
    assert!(!stats.contains("wrong timing"));
    assert_eq!(row(&stats, "not_for_me", "not relevant to me"), ["–"]);
    assert_eq!(row(&stats, "not_for_me", "Total"), ["4"]);
}

/// Shares and human clicks of the last 28 days (the dashboard's first view), read straight
/// from the roll-up, for people opted in.
async fn roll_up_totals(db: &DatabaseConnection, user: Option<i32>) -> (i64, i64) {
    let today = chorus_ambassador::activity::day_number(chrono::Utc::now());
    let first = today - 27;
    // With a person: only their days before yesterday, the days the server holds in memory.
    let yesterday = today - 1;
    let only = user.map_or_else(String::new, |user| {
        format!(" AND user_id = {user} AND day < {yesterday}")
    });
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(shares), 0) AS BIGINT) AS s, CAST(COALESCE(SUM(humans), 0) AS BIGINT) AS h \
         FROM activity_daily WHERE day >= {first} AND day <= {today} \
         AND user_id IN (SELECT user_id FROM consents WHERE withdrawn_at IS NULL){only}"
    );
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    (row.try_get("", "s").unwrap(), row.try_get("", "h").unwrap())
}

/// The server holds the roll-up's past days in memory (read ahead at start-up); what can still
/// change shows at once: a row written today by another process, and a person who erases
/// themselves, whose past rows are held but never counted again.
#[tokio::test]
async fn held_days_still_show_a_new_row_today_and_forget_an_erased_person() {
    let (app, db, analyst) = demo_with_analyst().await;
    // The key figures group their thousands ("2,955").
    let number = |text: String| {
        text.chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
            .parse::<i64>()
            .unwrap()
    };
    let totals = |body: &str| {
        (
            number(testid(body, "total-shares")),
            number(testid(body, "total-clicks")),
        )
    };
    let seeded = roll_up_totals(&db, None).await;
    assert!(
        seeded.0 > 100,
        "the demo has shares in the last four weeks: {seeded:?}"
    );
    assert_eq!(totals(&analyst.get("/stats").await.body), seeded);
    assert!(
        app.log().contains("statistics roll-up held in memory"),
        "read ahead at start-up:\n{}",
        app.log()
    );

    // Another process publishes and counts clicks today.
    let zoe: i32 = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM users WHERE email = 'zoe@demo.chorus.test'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "id")
        .unwrap();
    let today = chorus_ambassador::activity::day_number(chrono::Utc::now());
    db.execute_unprepared(&format!(
        "INSERT INTO activity_daily (day, user_id, item_id, network, shares, humans, robots) \
         VALUES ({today}, {zoe}, 0, 'mastodon', 2, 7, 0) \
         ON CONFLICT (day, user_id, item_id, network) DO UPDATE SET \
         shares = activity_daily.shares + 2, humans = activity_daily.humans + 7"
    ))
    .await
    .unwrap();
    assert_eq!(
        totals(&analyst.get("/stats").await.body),
        (seeded.0 + 2, seeded.1 + 7)
    );

    // Zoé erases herself: her rows of past days, held in memory, are no longer counted.
    let (past_shares, past_clicks) = roll_up_totals(&db, Some(zoe)).await;
    assert!(past_shares > 0, "Zoé shared on past days");
    let zoe_client = app.client();
    zoe_client
        .sign_in("zoe@demo.chorus.test", "chorus-demo-2026")
        .await;
    let erased = zoe_client
        .post_form(
            "/account/erase",
            &[("confirm_email", "zoe@demo.chorus.test")],
        )
        .await;
    assert_eq!(erased.location(), "/sign-in?done=erased");
    let after = roll_up_totals(&db, None).await;
    assert!(after.0 <= seeded.0 - past_shares, "{after:?} {seeded:?}");
    assert!(after.1 <= seeded.1 - past_clicks);
    assert_eq!(totals(&analyst.get("/stats").await.body), after);
}

/// Settings are read and checked in one place: a stored minimum group size that does not parse
/// stops the dashboard with an error (and the log names the setting) instead of falling back to
/// the default, which could be lower than what the admin chose.
#[tokio::test]
async fn a_corrupt_stored_minimum_group_size_refuses_statistics_instead_of_defaulting() {
    let app = chorus_tests::TestApp::spawn().await;
    let analyst = app.signed_in("ana@example.org", "analyst").await;
    assert_eq!(analyst.get("/stats").await.status, 200);
    let db = Database::connect(app.database_url()).await.unwrap();
    db.execute_unprepared(
        "INSERT INTO org_settings (key, value) VALUES ('policy.min_group_size', 'banana')",
    )
    .await
    .unwrap();
    let refused = analyst.get("/stats").await;
    assert_eq!(refused.status, 500, "{}", refused.body);
    assert!(app.log().contains("policy.min_group_size"), "{}", app.log());
    let admin = app.signed_in("root@example.org", "admin").await;
    let page = admin.get("/admin/settings").await;
    assert_eq!(page.status, 200, "the admin can still correct it");
    assert!(page.body.contains(r#"value="banana""#), "{}", page.body);
    assert!(page.body.contains("The stored value is not valid"));
    let saved = admin
        .post_form("/admin/settings", &[("min_group_size", "7")])
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(analyst.get("/stats").await.status, 200);
}

/// The people (opted in, of `team` when given) with a roll-up row on each of the last four
/// weeks' days.
async fn active_per_day(db: &DatabaseConnection, team: Option<&str>) -> BTreeMap<i32, i64> {
    let team = team.map_or_else(String::new, |team| format!("u.team = '{team}' AND "));
    let today = chorus_ambassador::activity::day_number(chrono::Utc::now());
    let sql = format!(
        "SELECT a.day AS day, CAST(COUNT(DISTINCT a.user_id) AS BIGINT) AS people \
         FROM activity_daily a JOIN users u ON u.id = a.user_id \
         WHERE {team}a.day >= {} AND a.day <= {today} \
         AND a.user_id IN (SELECT user_id FROM consents WHERE withdrawn_at IS NULL) \
         GROUP BY a.day",
        today - 27
    );
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .into_iter()
        .map(|row| {
            (
                row.try_get::<i32>("", "day").unwrap(),
                row.try_get::<i64>("", "people").unwrap(),
            )
        })
        .collect()
}

fn date_of(day: i32) -> chrono::NaiveDate {
    chrono::DateTime::from_timestamp(i64::from(day) * 86_400, 0)
        .unwrap()
        .date_naive()
}

/// The total row of an exported view, `None` when the view was refused.
fn csv_total(csv: &str) -> Option<(String, String, String)> {
    csv.lines()
        .find(|line| line.starts_with("network,\"Total\""))
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (fields[2].into(), fields[3].into(), fields[4].into())
        })
}

/// Issue 13, finding 2: a team's view from one day and the same from the next day hold the
/// same people, but only a few of them were active on that first day. The second view would
/// single out their shares and clicks by difference, so it is refused, at either end of the
/// period, while a day on which nobody or at least k people of the team were active changes
/// nothing.
#[tokio::test]
async fn a_period_one_day_shorter_never_singles_out_the_few_active_that_day() {
    let app =
        chorus_tests::TestApp::spawn_with(chorus_tests::TestAppOptions::default().arg("--demo"))
            .await;
    let db = Database::connect(app.database_url()).await.unwrap();
    let k = 5;
    let active = active_per_day(&db, Some("Nantes")).await;
    let everyone = active_per_day(&db, None).await;
    let today = chorus_ambassador::activity::day_number(chrono::Utc::now());
    let days = (today - 20..today - 6).rev();
    let few = days
        .clone()
        .find(|day| (1..k).contains(&active.get(day).copied().unwrap_or(0)))
        .expect("the demo has days when 1 to 4 people of Nantes were active");
    let many = days
        .into_iter()
        .find(|day| everyone.get(day).copied().unwrap_or(0) >= k)
        .expect("and days when at least 5 people were");

    let export = async |client: &Client, query: String| {
        let answer = client.get(&format!("/stats/export.csv?{query}")).await;
        assert_eq!(answer.status, 200, "{query}: {}", answer.body);
        assert_eq!(answer.header("cache-control"), "no-store");
        csv_total(&answer.body)
    };
    // Each pair starts from a viewer with no earlier views.
    let mut viewers = 0;
    let mut fresh_analyst = async || {
        viewers += 1;
        let email = format!("analyst{viewers}@example.org");
        app.add_user(&email, "Analyst", "analyst").await;
        let client = app.client();
        client.sign_in(&email, chorus_tests::PASSWORD).await;
        client
    };
    let from = |day: i32| format!("team=Nantes&from={}", date_of(day));
    let period =
        |first: i32, last: i32| format!("team=Nantes&from={}&to={}", date_of(first), date_of(last));

    // The first day of the period: the whole team, then the team without that day.
    let analyst = fresh_analyst().await;
    let whole = export(&analyst, from(few)).await;
    assert!(whole.is_some(), "the team over the period is shown");
    assert_eq!(
        export(&analyst, from(few + 1)).await,
        None,
        "{} people of Nantes were active on that day alone",
        active[&few]
    );
    let refused = analyst
        .get(&format!("/stats/export.csv?{}", from(few + 1)))
        .await
        .body;
    assert!(
        refused
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("refused,\"")),
        "the file says why it holds no figure: {refused}"
    );
    let page = analyst.get(&format!("/stats?{}", from(few + 1))).await;
    assert!(
        page.body.contains(r#"data-testid="refused""#),
        "{}",
        page.body
    );
    // A refused view is not remembered: the first is still shown as it was.
    assert_eq!(export(&analyst, from(few)).await, whole);

    // The last day of the period.
    let analyst = fresh_analyst().await;
    assert!(export(&analyst, period(today - 27, few)).await.is_some());
    assert_eq!(export(&analyst, period(today - 27, few - 1)).await, None);

    // A day when at least k people were active sets no one apart.
    let analyst = fresh_analyst().await;
    let everyone_from = |day: i32| format!("from={}", date_of(day));
    let with_day = export(&analyst, everyone_from(many)).await.unwrap();
    let without = export(&analyst, everyone_from(many + 1)).await.unwrap();
    assert_ne!(
        with_day, without,
        "the day's activity is in the first view only"
    );
}

/// Issue 14: an item's figures say which period they cover (from its first share), and the
/// analysts' dashboard for that period gives the item the same numbers; an item nobody shared
/// says so instead of showing "< k".
#[tokio::test]
async fn an_items_figures_say_their_period_and_agree_with_the_dashboard() {
    let app =
        chorus_tests::TestApp::spawn_with(chorus_tests::TestAppOptions::default().arg("--demo"))
            .await;
    let db = Database::connect(app.database_url()).await.unwrap();
    let title = "Volunteering day: 1,200 hours for local charities";
    let id: i32 = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT id FROM content_items WHERE title = '{title}'"),
        ))
        .await
        .unwrap()
        .expect("the demo item")
        .try_get("", "id")
        .unwrap();
    let editor = app.client();
    editor
        .sign_in("editor@demo.chorus.test", "chorus-demo-2026")
        .await;
    let page = editor.get(&format!("/editor/items/{id}/stats")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let period = testid(&page.body, "period");
    let dates: Vec<&str> = period
        .split(' ')
        .map(|w| w.trim_end_matches([',', '.']))
        .filter(|w| w.len() == 10 && w.as_bytes()[4] == b'-')
        .collect();
    assert_eq!(dates.len(), 2, "{period}");
    let (from, to) = (dates[0], dates[1]);
    assert_eq!(
        to,
        chrono::Utc::now().date_naive().to_string(),
        "until today"
    );
    let item_total = row(&page.body, "network", "Total");
    assert!(
        item_total[0].parse::<u64>().unwrap() > 0,
        "the demo shared it: {item_total:?}"
    );

    let analyst = app.client();
    analyst
        .sign_in("analyst@demo.chorus.test", "chorus-demo-2026")
        .await;
    let dashboard = analyst.get(&format!("/stats?from={from}&to={to}")).await;
    assert_eq!(dashboard.status, 200);
    assert_eq!(
        row(&dashboard.body, "item", title),
        item_total,
        "shares, clicks and people for the same item and period"
    );

    // A new item, never shared: an empty state, not "< 5".
    let created = editor
        .post_form(
            "/editor/items",
            &[
                ("title", "A brand new item"),
                ("body", "Nobody has seen it yet."),
                ("why", "It is new."),
                ("language", "en"),
            ],
        )
        .await;
    let new_id = created.location();
    let new_id = new_id
        .trim_start_matches("/editor/items/")
        .split('?')
        .next()
        .unwrap();
    let page = editor.get(&format!("/editor/items/{new_id}/stats")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(r#"data-testid="no-share-yet""#),
        "{}",
        page.body
    );
}

/// Issue 14: hub cards say how many colleagues shared an item, only from k people on and
/// rounded down (k, 10, 20, 50...), counting people opted in with a published share; a new
/// ambassador's "My figures" shows how to start instead of zeros.
#[tokio::test]
async fn colleagues_who_shared_show_on_the_hub_only_from_k_and_rounded_down() {
    use chrono::Datelike as _;
    let app =
        chorus_tests::TestApp::spawn_with(chorus_tests::TestAppOptions::default().arg("--demo"))
            .await;
    let db = Database::connect(app.database_url()).await.unwrap();
    let sharers: Vec<(i32, i64)> = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT i.id AS id, CAST(COUNT(DISTINCT s.user_id) AS BIGINT) AS people \
             FROM content_items i LEFT JOIN shares s ON s.item_id = i.id \
             AND s.state IN ('published', 'deleted') \
             AND s.user_id IN (SELECT user_id FROM consents WHERE withdrawn_at IS NULL) \
             WHERE i.state = 'published' GROUP BY i.id"
                .to_owned(),
        ))
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.try_get("", "id").unwrap(),
                r.try_get("", "people").unwrap(),
            )
        })
        .collect();
    assert!(sharers.len() >= 3, "{sharers:?}");
    let ambassador = app.client();
    ambassador
        .sign_in("ambassador@demo.chorus.test", "chorus-demo-2026")
        .await;
    let expected = |people: i64| -> Option<String> {
        let people = usize::try_from(people).unwrap();
        let shown = [1000, 500, 200, 100, 50, 20, 10, 5]
            .into_iter()
            .find(|step| *step <= people)?;
        Some(format!("Shared by {shown}+ colleagues"))
    };
    let mut seen = 0;
    for (id, people) in &sharers {
        let page = ambassador.get(&format!("/hub/items/{id}")).await;
        assert_eq!(page.status, 200);
        match expected(*people) {
            Some(text) => {
                assert_eq!(testid(&page.body, "shared-by"), text, "item {id}");
                seen += 1;
            }
            None => assert!(
                !page.body.contains(r#"data-testid="shared-by""#),
                "item {id}: {people} people"
            ),
        }
    }
    assert!(seen > 0, "demo items were shared by at least k people");
    let hub = ambassador.get("/hub").await.body;
    assert!(hub.contains(r#"data-testid="shared-by""#));
    // Each card's date reads as the person's language writes it, the machine's form kept for
    // the <time> element.
    let today = chrono::Utc::now().date_naive();
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let written = format!(
        "{} {} {}",
        today.day(),
        months[today.month0() as usize],
        today.year()
    );
    assert!(
        hub.contains(&format!(r#"<time datetime="{today}">{written}</time>"#)),
        "{hub}"
    );

    // A new item nobody shared says nothing about colleagues.
    let editor = app.client();
    editor
        .sign_in("editor@demo.chorus.test", "chorus-demo-2026")
        .await;
    let created = editor
        .post_form(
            "/editor/items",
            &[
                ("title", "Fresh news"),
                ("body", "Just out."),
                ("why", "It is new."),
                ("language", "en"),
            ],
        )
        .await;
    let id = created.location();
    let id = id
        .trim_start_matches("/editor/items/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let form = editor.get(&format!("/editor/items/{id}")).await.body;
    let marker = r#"name="version" value=""#;
    let at = form.find(marker).unwrap() + marker.len();
    let version = &form[at..at + form[at..].find('"').unwrap()];
    let published = editor
        .post_form(
            &format!("/editor/items/{id}/action"),
            &[("action", "publish"), ("version", version)],
        )
        .await;
    assert_eq!(published.status, 303);
    let page = ambassador.get(&format!("/hub/items/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains(r#"data-testid="shared-by""#));

    // Someone who never shared sees how to start.
    let camille = app.client();
    camille
        .sign_in("camille@demo.chorus.test", "chorus-demo-2026")
        .await;
    let mine = camille.get("/hub/stats").await;
    assert_eq!(mine.status, 200);
    assert!(
        mine.body.contains(r#"data-testid="mine-empty""#),
        "{}",
        mine.body
    );
}

/// Shares, human clicks and active people (opted in) of the roll-up's days `first..=last`.
async fn period_totals(db: &DatabaseConnection, first: i32, last: i32) -> (u64, u64, u64) {
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(shares), 0) AS BIGINT) AS s, \
         CAST(COALESCE(SUM(humans), 0) AS BIGINT) AS h, \
         CAST(COUNT(DISTINCT user_id) AS BIGINT) AS p \
         FROM activity_daily WHERE day >= {first} AND day <= {last} \
         AND user_id IN (SELECT user_id FROM consents WHERE withdrawn_at IS NULL)"
    );
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    let get = |c: &str| u64::try_from(row.try_get::<i64>("", c).unwrap()).unwrap();
    (get("s"), get("h"), get("p"))
}

/// A key figure's change as the dashboard shows it: its kind and its words, tags stripped.
fn change(body: &str, id: &str) -> Option<(String, String)> {
    let at = body.find(&format!(r#"data-testid="{id}""#))?;
    let tag_end = at + body[at..].find('>').unwrap();
    let kind = body[at..tag_end]
        .split(r#"data-kind=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let end = tag_end + body[tag_end..].find("</p>").unwrap();
    let mut text = String::new();
    let mut in_tag = false;
    for c in body[tag_end + 1..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text.replace(['▲', '▼'], "").replace("&lt;", "<");
    Some((kind, text.trim().to_owned()))
}

/// What the dashboard should say of a count that went from `before` to `now`.
fn expected_change(now: u64, before: u64, days: i64) -> (String, String) {
    let digits = before.to_string();
    let mut was = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            was.push(',');
        }
        was.push(digit);
    }
    if now == before {
        return (
            "same".into(),
            format!("As in the previous {days} days ({was})"),
        );
    }
    let percent = (now.abs_diff(before) as f64 * 100.0 / before as f64).round();
    let percent = if percent == 0.0 {
        "<1".to_owned()
    } else {
        percent.to_string()
    };
    let (kind, word) = if now > before {
        ("up", "Up")
    } else {
        ("down", "Down")
    };
    (
        kind.into(),
        format!("{word} {percent}% on the previous {days} days ({was})"),
    )
}

/// Issue 14: the dashboard's key figures say how they changed against the period of the same
/// length just before, and that period's figures are exactly those its own dashboard shows
/// another analyst (one code path: the minimum group size, the comparison with earlier views
/// and the audit log, where the people included read it on their transparency page). Where the
/// earlier period has fewer than k people behind a figure, there is no comparison.
#[tokio::test]
async fn key_figures_compare_with_the_period_before_through_the_same_rules() {
    let app =
        chorus_tests::TestApp::spawn_with(chorus_tests::TestAppOptions::default().arg("--demo"))
            .await;
    let db = Database::connect(app.database_url()).await.unwrap();
    let today = chorus_ambassador::activity::day_number(chrono::Utc::now());
    let analyst = async |email: &str| {
        app.add_user(email, "Analyst", "analyst").await;
        let client = app.client();
        client.sign_in(email, chorus_tests::PASSWORD).await;
        client
    };
    let period =
        |first: i32, last: i32| format!("/stats?from={}&to={}", date_of(first), date_of(last));

    // The last two weeks, against the two weeks before: both inside the demo's eight weeks.
    let ann = analyst("ann@example.org").await;
    let now = ann.get(&period(today - 13, today)).await;
    assert_eq!(now.status, 200, "{}", now.body);
    let bea = analyst("bea@example.org").await;
    let before = bea.get(&period(today - 27, today - 14)).await;
    assert_eq!(before.status, 200, "{}", before.body);
    let (shares, clicks, _) = period_totals(&db, today - 13, today).await;
    let (shares_before, clicks_before, _) = period_totals(&db, today - 27, today - 14).await;
    let number = |body: &str, id: &str| testid(body, id).replace(',', "").parse::<u64>().unwrap();
    assert_eq!(number(&now.body, "total-shares"), shares);
    assert_eq!(number(&before.body, "total-shares"), shares_before);
    assert_eq!(number(&before.body, "total-clicks"), clicks_before);
    assert_eq!(
        change(&now.body, "shares-change").unwrap(),
        expected_change(shares, shares_before, 14)
    );
    assert_eq!(
        change(&now.body, "clicks-change").unwrap(),
        expected_change(clicks, clicks_before, 14)
    );
    // Participation, in points, when both periods show it (it is "–" when those who shared
    // or those who did not are fewer than k).
    let percent = |body: &str| {
        testid(body, "participation")
            .trim_end_matches('%')
            .trim()
            .parse::<i64>()
            .ok()
    };
    let participation = change(&now.body, "participation-change");
    match (percent(&now.body), percent(&before.body)) {
        (None, _) => assert_eq!(participation, None, "nothing shown, nothing compared"),
        (Some(_), None) => assert_eq!(participation.unwrap().0, "withheld"),
        (Some(now), Some(was)) => {
            let (kind, text) = participation.unwrap();
            let points = now - was;
            let expected = match points {
                0 => ("same", format!("As in the previous 14 days ({was}%)")),
                p if p > 0 => (
                    "up",
                    format!("Up {p} points on the previous 14 days ({was}%)"),
                ),
                p => (
                    "down",
                    format!("Down {} points on the previous 14 days ({was}%)", -p),
                ),
            };
            assert_eq!((kind.as_str(), text), expected);
        }
    }

    // The earlier period is a view of its own: audited, and read by the people it includes.
    let previous_views: i64 = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_log a JOIN users u ON u.id = a.actor_id \
                 WHERE u.email = 'ann@example.org' AND a.action = 'stats.previous' \
                 AND a.detail LIKE '%\"from\":\"{}\",\"to\":\"{}\"%'",
                date_of(today - 27),
                date_of(today - 14)
            ),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap();
    assert_eq!(previous_views, 1);
    let ambassador = app.client();
    ambassador
        .sign_in("ambassador@demo.chorus.test", "chorus-demo-2026")
        .await;
    let transparency = ambassador.get("/account/transparency").await;
    assert!(
        transparency
            .body
            .contains("compared the statistics dashboard with its totals for"),
        "{}",
        transparency.body
    );

    // Before the demo's eight weeks, fewer than k people were active (none: the demo keeps its
    // shares inside its eight weeks whatever the time of day): no comparison, and it says why.
    let cy = analyst("cy@example.org").await;
    let page = cy.get(&period(today - 55, today - 42)).await;
    let (_, _, active_before) = period_totals(&db, today - 69, today - 56).await;
    assert!(
        active_before < 5,
        "{active_before} people active before the demo"
    );
    assert_eq!(
        change(&page.body, "shares-change").unwrap(),
        (
            "withheld".to_owned(),
            "No comparison: the figure of the previous 14 days is not shown (fewer than 5 people are behind it, or it would let a smaller group be worked out)"
                .to_owned()
        )
    );
}

/// A dashboard answered from memory (the same views again, nothing changed) is still written to
/// the audit log every time, before it is shown, also when several come at once and are written
/// together: the log holds one entry per view and one per period compared, none lost or merged.
#[tokio::test]
async fn every_view_is_audited_also_when_remembered_and_written_together() {
    let (app, db, analyst) = demo_with_analyst().await;
    let views = async |action: &str| -> i64 {
        db.query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_log a JOIN users u ON u.id = a.actor_id \
                 WHERE u.email = 'analyst@demo.chorus.test' AND a.action = '{action}'"
            ),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap()
    };
    let first = analyst.get("/stats").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let shares = testid(&first.body, "total-shares");
    for _ in 0..2 {
        let again = analyst.get("/stats").await;
        assert_eq!(testid(&again.body, "total-shares"), shares);
    }
    let mut at_once = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let analyst = analyst.clone();
        at_once.spawn(async move { analyst.get("/stats").await });
    }
    for page in at_once.join_all().await {
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(testid(&page.body, "total-shares"), shares);
    }
    assert_eq!(views("stats.view").await, 11);
    assert_eq!(views("stats.previous").await, 11);
    let served: f64 = app
        .client()
        .get("/metrics")
        .await
        .body
        .lines()
        .find(|l| l.starts_with("chorus_memo_pages_served_total"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|n| n.parse().ok())
        .unwrap_or_default();
    // The second view's earlier views differ from the first's; from the third on, the same
    // views against the same memory: answered from memory unless the demo's own activity moved.
    assert!(
        served >= 5.0,
        "the same views answered from memory: {served}"
    );
}
