//! `chorus serve --demo`: on an empty database, a small organisation to look around in.
//!
//! The demo accounts share one published password so that a newcomer can sign in at once; the
//! log says so plainly. On a database that already has accounts nothing is created.

use chorus_policy::{Role, Roles};

use crate::accounts::{self, DisplayName, Email};
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
    for (email, name, roles) in PEOPLE {
        let email = Email::parse(email)?;
        let name = DisplayName::parse(name)?;
        let password = NewPassword::parse(DEMO_PASSWORD)?;
        let roles: Roles = roles.iter().copied().collect();
        accounts::create(&app.db, &email, &name, password, roles).await?;
    }
    app.is_initialised().await?;
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
    println!("password for every demo account: {DEMO_PASSWORD}");
    Ok(())
}
