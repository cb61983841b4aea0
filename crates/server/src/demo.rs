//! `chorus serve --demo`: on an empty database, a small organisation to look around in.
//!
//! The demo accounts share one published password so that a newcomer can sign in at once; the
//! log says so plainly. On a database that already has accounts nothing is created.

use chorus_policy::{CampaignId, ShareId, TopicId, UserId};
use chorus_policy::{Role, Roles};

use sea_orm::{DatabaseTransaction, TransactionTrait as _};

use crate::accounts::{DisplayName, Email};
use crate::app::AppState;
use crate::auth::password::NewPassword;

/// The demo accounts' password, printed at start-up and in the README.
pub const DEMO_PASSWORD: &str = "chorus-demo-2026";

/// The demo people: email, name, roles.
const PEOPLE: [(&str, &str, &[Role]); 5] = [
    ("admin@demo.chorus.test", "Adèle Admin", &[Role::Admin]),
    (
        "editor@demo.chorus.test",
        "Élise Editor",
        &[Role::Editor, Role::Ambassador],
    ),
    (
        "ambassador@demo.chorus.test",
        "Amir Ambassador",
        &[Role::Ambassador],
    ),
    ("analyst@demo.chorus.test", "Ana Analyst", &[Role::Analyst]),
    (
        "camille@demo.chorus.test",
        "Camille Colleague",
        &[Role::Ambassador],
    ),
];

/// Creates the demo organisation when the database has no account.
///
/// # Errors
/// Database failure.
pub async fn seed(app: &AppState) -> anyhow::Result<()> {
    if app.is_initialised().await? {
        tracing::info!("demo: the database already has accounts; nothing created");
        println!(
            "demo: accounts exist already; sign in with the demo password {DEMO_PASSWORD} if they are the demo ones"
        );
        return Ok(());
    }
    // One argon2 hash for every demo account (they share the published password anyway), and
    // one transaction for the whole organisation: the demo is the first thing a newcomer
    // runs, and it is ready in well under a second instead of one commit per row.
    let password_hash = NewPassword::parse(DEMO_PASSWORD)?
        .hash()
        .map_err(|e| anyhow::anyhow!("hashing the demo password: {e}"))?;
    let txn = app.db.begin().await?;
    let current = crate::store::policy::current_guidelines(&txn).await?;
    let mut editor_id = None;
    for (email, name, roles) in PEOPLE {
        let email = Email::parse(email)?;
        let name = DisplayName::parse(name)?;
        let roles: Roles = roles.iter().copied().collect();
        let row = crate::store::users::insert(
            &txn,
            crate::store::users::NewUserRow {
                email: email.as_str(),
                display_name: name.as_str(),
                password_hash: Some(&password_hash),
                roles,
            },
        )
        .await?;
        if roles.has(Role::Editor) {
            editor_id = Some(row.id);
        }
        if roles.has(Role::Ambassador) && row.email != "camille@demo.chorus.test" {
            // Demo ambassadors have opted in; Camille has not, to show the join page.
            crate::store::policy::accept(&txn, row.id, current.version).await?;
        }
    }
    txn.commit().await?;
    app.is_initialised().await?;
    if let Some(editor) = editor_id {
        // Items go through the editors' own writes (each its transaction, with revisions).
        seed_content(app, editor).await?;
        let txn = app.db.begin().await?;
        seed_activity(app, &txn, &password_hash, current.version).await?;
        txn.commit().await?;
    }
    tracing::warn!(
        "demo organisation created; its accounts share a published password: do not expose this instance"
    );
    println!(
        "demo organisation created. Sign in at {} with one of:",
        app.config.base_url
    );
    for (email, _, roles) in PEOPLE {
        let roles: Vec<_> = roles.iter().map(|r| r.as_str()).collect();
        println!("  {email:<32} ({})", roles.join(", "));
    }
    println!(
        "  and {} colleagues (such as {}) with eight weeks of sample shares and clicks for the statistics",
        COLLEAGUES.len(),
        COLLEAGUES[0].0
    );
    println!("password for every demo account: {DEMO_PASSWORD}");
    Ok(())
}

/// One demo item: title, body, why it matters, link, language, topic names.
struct DemoItem {
    title: &'static str,
    body: &'static str,
    why: &'static str,
    link: &'static str,
    language: &'static str,
    topics: &'static [&'static str],
}

const ITEMS: [DemoItem; 5] = [
    DemoItem {
        title: "Our Lyon plant now runs on sunlight",
        body: "From today, **40% of the power** of our Lyon plant comes from the solar roof the site team designed. #energy #lyon",
        why: "This is the first step of our *2030 plan*: every site halves its emissions. The Lyon team did it a year early; your story of how you work here is the best proof that the plan is real.",
        link: "https://example.com/news/lyon-solar",
        language: "en",
        topics: &["Climate & energy"],
    },
    DemoItem {
        title: "L’usine de Lyon fonctionne au soleil",
        body: "Depuis aujourd’hui, **40 % de l’électricité** de notre usine de Lyon vient du toit solaire conçu par l’équipe du site. #énergie #lyon",
        why: "C’est la première étape de notre *plan 2030* : chaque site divise ses émissions par deux. L’équipe de Lyon y est arrivée un an en avance ; votre regard sur votre travail ici est la meilleure preuve que le plan est réel.",
        link: "https://example.com/fr/actus/lyon-solaire",
        language: "fr",
        topics: &["Climate & energy"],
    },
    DemoItem {
        title: "We are hiring 40 apprentices this autumn",
        body: "Forty apprenticeships open across our sites, in maintenance, logistics and software. Know someone who should apply?",
        why: "Most of our team leads started as apprentices. Sharing this helps a friend or a neighbour find their way in, and you know better than any ad what the job is really like.",
        link: "https://example.com/careers/apprentices",
        language: "en",
        topics: &["Careers"],
    },
    DemoItem {
        title: "Nous recrutons 40 apprentis cet automne",
        body: "Quarante contrats d’apprentissage s’ouvrent sur nos sites : maintenance, logistique et logiciel. Vous connaissez quelqu’un qui devrait postuler ?",
        why: "La plupart de nos responsables d’équipe ont commencé en apprentissage. Partager, c’est aider un proche à trouver sa voie, et vous savez mieux qu’une annonce ce que le métier est vraiment.",
        link: "https://example.com/fr/carrieres/apprentis",
        language: "fr",
        topics: &["Careers"],
    },
    DemoItem {
        title: "Volunteering day: 1,200 hours for local charities",
        body: "Last Friday, 300 of us spent the day with twelve local charities. Photos and stories on the blog.",
        why: "Nobody asked for a post: the day itself was the point. If you took part and want to say why it mattered to you, your words will mean more than ours.",
        link: "https://example.com/news/volunteering-day",
        language: "en",
        topics: &["Community"],
    },
];

/// Topics, a campaign and published items in English and French, so the hub is alive.
async fn seed_content(app: &AppState, editor: i32) -> anyhow::Result<()> {
    use chorus_editorial::content::ItemInput;
    use chorus_editorial::store::{items, topics};
    use chorus_editorial::workflow::State;

    let db = &app.db;

    let mut topic_ids = std::collections::HashMap::new();
    for name in ["Climate & energy", "Careers", "Community"] {
        let topic = topics::create_topic(db, name).await?;
        topic_ids.insert(name, topic.id);
    }
    let campaign =
        topics::create_campaign(db, "Plan 2030", "Our sites halve their emissions by 2030.")
            .await?;
    for item in ITEMS {
        let mut input = ItemInput {
            title: item.title.to_owned(),
            body_md: item.body.to_owned(),
            why_md: item.why.to_owned(),
            link_url: Some(item.link.to_owned()),
            preview_title: Some(item.title.to_owned()),
            preview_description: None,
            preview_image_url: None,
            language: item.language.to_owned(),
            campaign_id: item
                .topics
                .contains(&"Climate & energy")
                .then_some(CampaignId(campaign.id)),
            topic_ids: item
                .topics
                .iter()
                .filter_map(|t| topic_ids.get(t).copied().map(TopicId))
                .collect(),
            available_from: None,
            available_until: None,
            copy: std::collections::BTreeMap::new(),
        };
        input.fill_missing_copy();
        let id = items::create(db, &input, UserId(editor)).await?;
        items::set_state(
            db,
            id,
            1,
            State::Published,
            UserId(editor),
            "state draft → published",
        )
        .await?;
    }
    Ok(())
}

/// Demo colleagues who opted in and shared: email, name, team, chose to be named.
const COLLEAGUES: [(&str, &str, &str, bool); 24] = [
    ("bruno@demo.chorus.test", "Bruno Martin", "Lyon", true),
    ("chloe@demo.chorus.test", "Chloé Bernard", "Paris", false),
    ("david@demo.chorus.test", "David Thomas", "Nantes", false),
    ("emma@demo.chorus.test", "Emma Petit", "Lyon", false),
    ("farid@demo.chorus.test", "Farid Robert", "Paris", true),
    ("gaelle@demo.chorus.test", "Gaëlle Richard", "Nantes", false),
    ("hugo@demo.chorus.test", "Hugo Durand", "Lyon", false),
    ("ines@demo.chorus.test", "Inès Dubois", "Paris", false),
    ("jules@demo.chorus.test", "Jules Moreau", "Nantes", true),
    ("karima@demo.chorus.test", "Karima Laurent", "Lyon", false),
    ("leo@demo.chorus.test", "Léo Simon", "Paris", false),
    ("maya@demo.chorus.test", "Maya Michel", "Nantes", false),
    ("nina@demo.chorus.test", "Nina Lefebvre", "Lyon", true),
    ("omar@demo.chorus.test", "Omar Leroy", "Paris", false),
    ("paul@demo.chorus.test", "Paul Roux", "Nantes", false),
    ("quentin@demo.chorus.test", "Quentin David", "Lyon", false),
    ("rose@demo.chorus.test", "Rose Bertrand", "Paris", true),
    ("sami@demo.chorus.test", "Sami Morel", "Nantes", false),
    ("tess@demo.chorus.test", "Tess Fournier", "Lyon", false),
    ("ugo@demo.chorus.test", "Ugo Girard", "Paris", false),
    ("vera@demo.chorus.test", "Véra Bonnet", "Nantes", true),
    ("william@demo.chorus.test", "William Dupont", "Lyon", false),
    (
        "yasmine@demo.chorus.test",
        "Yasmine Lambert",
        "Paris",
        false,
    ),
    ("zoe@demo.chorus.test", "Zoé Fontaine", "Nantes", false),
];

/// Sample activity, so that the statistics have something to show: each demo colleague's
/// published shares of the demo items over the last eight weeks, with their tracked links and
/// clicks, counted into the daily roll-up as the worker and the redirect do. Nothing was posted
/// anywhere: these shares have no account and no live post.
async fn seed_activity(
    app: &AppState,
    db: &DatabaseTransaction,
    password_hash: &str,
    guidelines: i32,
) -> anyhow::Result<()> {
    use chorus_ambassador::activity;
    use chrono::{Duration, DurationRound as _, TimeDelta, Utc};
    use sea_orm::{ConnectionTrait as _, Statement};

    let backend = db.get_database_backend();
    let mut people = Vec::new();
    for (email, name, team, named) in COLLEAGUES {
        let row = crate::store::users::insert(
            db,
            crate::store::users::NewUserRow {
                email: Email::parse(email)?.as_str(),
                display_name: DisplayName::parse(name)?.as_str(),
                password_hash: Some(password_hash),
                roles: [Role::Ambassador].into_iter().collect(),
            },
        )
        .await?;
        crate::store::policy::accept(db, row.id, guidelines).await?;
        crate::store::users::set_team(db, row.id, Some(team.to_owned())).await?;
        if named {
            let choices = chorus_policy::VisibilityChoices {
                be_named_in_statistics: true,
                show_name_on_shared_content: false,
            };
            crate::store::policy::set_choices(db, row.id, choices).await?;
        }
        people.push(row.id);
    }
    let items = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id, link_url FROM content_items WHERE state = 'published' ORDER BY id",
        ))
        .await?;
    let items: Vec<(i32, String)> = items
        .iter()
        .filter_map(|row| {
            Some((
                row.try_get("", "id").ok()?,
                row.try_get("", "link_url").ok()?,
            ))
        })
        .collect();
    let networks = ["bluesky", "mastodon", "linkedin", "x", "threads"];
    let now = Utc::now().duration_trunc(TimeDelta::hours(1))?;
    let first_day = (now - Duration::days(55)).duration_trunc(TimeDelta::days(1))?;
    let mut n: usize = 0;
    for (p, person) in people.iter().enumerate() {
        for day in 0..56_usize {
            // Two shares in five days over the last four weeks, three in ten the four weeks
            // before: the dashboard's key figures have a period to compare with, and grew.
            let shares_that_day = if day < 28 {
                (p * 7 + day * 3) % 5 <= 1
            } else {
                (p * 7 + day * 3) % 10 < 3
            };
            if !shares_that_day {
                continue;
            }
            n += 1;
            let (item, link) = &items[(p + day) % items.len()];
            let network = networks[(p + day / 2) % networks.len()];
            // A few hours earlier for some people, but never before the first of the eight
            // weeks' days (UTC, as the roll-up counts them): near midnight the hours would
            // otherwise spill into a 57th day, and the period before the demo would show
            // people at whatever time the demo was started.
            let at = (now
                - Duration::days(i64::try_from(day)?)
                - Duration::hours(i64::try_from(p % 9)?))
            .max(first_day);
            let row = db
                .query_one_raw(Statement::from_sql_and_values(
                    backend,
                    "INSERT INTO shares (user_id, item_id, network, text, link, state, scheduled_at, \
                     next_attempt_at, attempts, idempotency_key, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, 'published', $6, $6, 1, $7, $6, $6) RETURNING id",
                    [
                        (*person).into(),
                        (*item).into(),
                        network.into(),
                        format!("(demo share {n}) {link}").into(),
                        link.clone().into(),
                        at.into(),
                        format!("demo-{n}").into(),
                    ],
                ))
                .await?
                .ok_or_else(|| anyhow::anyhow!("demo share not inserted"))?;
            let share: i32 = row.try_get("", "id")?;
            activity::count_published(db, ShareId(share), at).await?;
            let target = chorus_ambassador::links::target_with_utm(
                link,
                network,
                &app.config.utm_medium,
                "chorus",
            )
            .unwrap_or_else(|| link.clone());
            let (link_id, _) = chorus_ambassador::links::create(db, &target).await?;
            chorus_ambassador::links::attach(db, link_id, ShareId(share)).await?;
            // Clicks come two hours after the share, and never later than now.
            let hour = (at + Duration::hours(2)).min(now);
            let humans = i64::try_from((p * 5 + day * 11) % 23)?;
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                "INSERT INTO click_counts (link_id, hour, humans, robots) VALUES ($1, $2, $3, $4)",
                [
                    link_id.get().into(),
                    hour.into(),
                    humans.into(),
                    2_i64.into(),
                ],
            ))
            .await?;
            activity::count_clicks(db, link_id, hour, humans, 2).await?;
        }
    }
    tracing::info!(shares = n, "demo: sample activity created");
    Ok(())
}
