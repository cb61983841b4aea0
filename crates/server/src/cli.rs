//! The `chorus` command: serve, run a worker alone, migrate, and manage accounts.

use std::io::{BufRead as _, IsTerminal as _};

use anyhow::{Context as _, bail};
use chorus_policy::Roles;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::accounts::{self, DisplayName, Email};
use crate::app::{App, Application, shutdown_signal};
use crate::auth::password::NewPassword;
use crate::config::{Config, KeySource, LogFormat};
use crate::store;

/// Chorus: an employee-ambassador content platform.
#[derive(Debug, Parser)]
#[command(name = "chorus", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Applies migrations, serves HTTP and runs the background worker.
    Serve {
        /// On an empty database, create a demo organisation and print how to sign in.
        #[arg(long)]
        demo: bool,
    },
    /// Runs the background worker alone (no HTTP).
    Worker,
    /// Applies pending database migrations and exits.
    Migrate,
    /// Manages accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Encryption keys for tokens at rest.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Text tools that need no database.
    Text {
        #[command(subcommand)]
        command: TextCommand,
    },
    /// Documents generated from the running system.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// How long data about people is kept (set by an admin on the settings page).
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
    /// Provisioning with SCIM 2.0 (also on the admin page Provisioning).
    Scim {
        #[command(subcommand)]
        command: ScimCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ScimCommand {
    /// Creates a token for an identity provider and prints it once (only its hash is kept).
    Token {
        /// Which provider uses it (shown on the admin page).
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// The works-council pack (what Chorus records about people, who sees it, how long, where
    /// it goes, the statistics rules, the settings, risks and measures) as a self-contained
    /// HTML file, or as PDF printed by headless Chromium.
    WorksCouncil {
        /// en or fr.
        #[arg(long, default_value = "en")]
        lang: String,
        /// The file to write (default: chorus-works-council-LANG.html, or .pdf).
        #[arg(long)]
        output: Option<std::path::PathBuf>,
        /// Write a PDF instead of HTML (needs Chromium or Google Chrome).
        #[arg(long)]
        pdf: bool,
        /// The Chromium to print with (default: chromium, chromium-browser or google-chrome
        /// found on the PATH).
        #[arg(long)]
        chromium: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum RetentionCommand {
    /// Deletes now what is older than its retention period (the worker also does this when it
    /// starts and every hour), and prints each period and what went. Counts back from
    /// CHORUS_RETENTION_CLOCK when it is set.
    Apply,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Re-seals every stored token under the current key (CHORUS_SECRET_KEY). Put the old key
    /// in CHORUS_PREVIOUS_SECRET_KEYS while it runs. Can be interrupted and run again.
    Rotate,
}

#[derive(Debug, Subcommand)]
enum TextCommand {
    /// Measures the text on stdin for a network (or every network) and prints JSON.
    Measure {
        /// bluesky, mastodon, linkedin, x or threads; every network when absent.
        #[arg(long)]
        network: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Creates an account. The password is read from stdin with --password-stdin, otherwise
    /// generated and printed once.
    Add {
        /// Email address (the sign-in name).
        #[arg(long)]
        email: String,
        /// Name shown to colleagues.
        #[arg(long)]
        name: String,
        /// Roles, comma-separated or repeated: editor, ambassador, analyst, admin.
        #[arg(long = "role", value_delimiter = ',')]
        roles: Vec<String>,
        /// Read the password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Replaces an account's roles.
    SetRoles {
        /// The account's email.
        #[arg(long)]
        email: String,
        /// Roles, comma-separated or repeated; none removes all.
        #[arg(long = "role", value_delimiter = ',')]
        roles: Vec<String>,
    },
    /// Sets the team of an account (used to filter statistics); an empty team clears it.
    SetTeam {
        /// The account's email.
        #[arg(long)]
        email: String,
        /// The team's name.
        #[arg(long)]
        team: String,
    },
    /// Deactivates an account and ends its sessions at once.
    Deactivate {
        /// The account's email.
        #[arg(long)]
        email: String,
    },
    /// Clears an account's failed sign-in counters, from every address.
    Unlock {
        /// The account's email.
        #[arg(long)]
        email: String,
    },
}

/// Parses the command line and runs it.
///
/// # Errors
/// Anything that stops the command, with a message for the person at the terminal.
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::Text { command } = &cli.command {
        return text(command);
    }
    let config = Config::from_env()?;
    init_logging(config.log_format);
    match cli.command {
        Command::Serve { demo } => serve(config, demo).await,
        Command::Worker => worker(config).await,
        Command::Migrate => {
            App::connect(config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::User { command } => user(config, command).await,
        Command::Keys {
            command: KeysCommand::Rotate,
        } => {
            let app = App::connect(config).await?;
            let rotation = chorus_ambassador::accounts::rotate_keys(&app.db, &app.vault).await?;
            let own = crate::store::sealed::rotate(&app.db, &app.vault).await?;
            println!(
                "key {}: {} secrets re-sealed, {} already current",
                app.vault.current_key_id(),
                rotation.resealed + own.resealed,
                rotation.current + own.current
            );
            Ok(())
        }
        Command::Report {
            command:
                ReportCommand::WorksCouncil {
                    lang,
                    output,
                    pdf,
                    chromium,
                },
        } => works_council(config, &lang, output, pdf, chromium).await,
        Command::Retention {
            command: RetentionCommand::Apply,
        } => {
            let app = App::connect(config.clone()).await?;
            let applied = crate::retention::run(&app.db, config.retention_clock).await?;
            println!("retention applied as of {}", applied.now.to_rfc3339());
            for (kind, days, deleted) in applied.kinds {
                println!(
                    "{:<18} kept {days:>4} days   deleted {deleted}",
                    kind.as_str()
                );
            }
            Ok(())
        }
        Command::Scim {
            command: ScimCommand::Token { name },
        } => {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 100 {
                bail!("give the token a name of 1 to 100 characters (the provider that uses it)");
            }
            let app = App::connect(config.clone()).await?;
            let token = crate::scim::create_token(&app.db, name).await?;
            eprintln!(
                "SCIM address: {}/scim/v2 (shown once; Chorus keeps only the token's hash)",
                config.base_url.as_str().trim_end_matches('/')
            );
            println!("{token}");
            Ok(())
        }
        Command::Text { .. } => Ok(()),
    }
}

async fn works_council(
    config: Config,
    lang: &str,
    output: Option<std::path::PathBuf>,
    pdf: bool,
    chromium: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    use crate::council::{self, Facts, Style};
    use crate::i18n::Locale;
    let Some(locale) = Locale::from_tag(lang).filter(|l| l.tag() == lang) else {
        bail!("--lang {lang:?} is not a language of Chorus: use en or fr");
    };
    let extension = if pdf { "pdf" } else { "html" };
    let output =
        output.unwrap_or_else(|| format!("chorus-works-council-{lang}.{extension}").into());
    let printer = if pdf {
        Some(match chromium {
            Some(path) => path,
            None => find_chromium().context(
                "no Chromium found on the PATH: install chromium, pass --chromium PATH, or write \
                 the HTML (without --pdf) and print it from a browser",
            )?,
        })
    } else {
        None
    };
    let base_url = config.base_url.to_string();
    let app = App::connect(config).await?;
    let facts = Facts::gather(&app, &base_url).await?;
    let html = council::render(&app.views, locale, &facts, Style::Inline)?;
    match printer {
        None => std::fs::write(&output, html)
            .with_context(|| format!("could not write {}", output.display()))?,
        Some(chromium) => print_pdf(&chromium, &html, &output)?,
    }
    if !facts.schema_problems.is_empty() {
        eprintln!(
            "warning: the schema has columns nobody declared: {}",
            facts.schema_problems.join("; ")
        );
    }
    println!(
        "works-council pack ({lang}) written to {}",
        output.display()
    );
    Ok(())
}

fn find_chromium() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|candidate| candidate.is_file())
}

/// Prints `html` to a PDF at `output` with headless Chromium (A4, no header or footer).
fn print_pdf(
    chromium: &std::path::Path,
    html: &str,
    output: &std::path::Path,
) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("chorus-report-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).context("could not create a temporary directory")?;
    let printed = print_in(chromium, html, output, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    printed
}

fn print_in(
    chromium: &std::path::Path,
    html: &str,
    output: &std::path::Path,
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    let page = dir.join("works-council.html");
    std::fs::write(&page, html).context("could not write the page to print")?;
    let target = std::path::absolute(output).context("the output path")?;
    let status = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            &format!("--user-data-dir={}", dir.join("profile").display()),
            &format!("--print-to-pdf={}", target.display()),
        ])
        .arg(
            url::Url::from_file_path(&page)
                .map_or_else(|()| page.display().to_string(), |u| u.to_string()),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .with_context(|| format!("could not run {}", chromium.display()))?;
    let written = std::fs::metadata(&target).map_or(0, |m| m.len());
    if !status.success() || written == 0 {
        bail!(
            "{} did not print the PDF ({status}); write the HTML (without --pdf) and print it from a browser",
            chromium.display()
        );
    }
    Ok(())
}

fn text(command: &TextCommand) -> anyhow::Result<()> {
    use std::io::Read as _;
    let TextCommand::Measure { network } = command;
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("could not read the text from stdin")?;
    let text = input.strip_suffix('\n').unwrap_or(&input);
    let json = match network {
        Some(name) => {
            let network: chorus_editorial::Network = name.parse()?;
            serde_json::to_string_pretty(&chorus_editorial::measure::measure(network, text))?
        }
        None => {
            let all: Vec<_> = chorus_editorial::Network::ALL
                .iter()
                .map(|n| chorus_editorial::measure::measure(*n, text))
                .collect();
            serde_json::to_string_pretty(&all)?
        }
    };
    println!("{json}");
    Ok(())
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("CHORUS_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init(),
    }
}

fn log_key_source(source: &KeySource) {
    match source {
        KeySource::Configured => tracing::info!("secret key taken from the configuration"),
        KeySource::File(path) => {
            tracing::info!(path = %path.display(), "secret key read from file");
        }
        KeySource::Generated(path) => tracing::warn!(
            path = %path.display(),
            "no secret key was configured: generated one and stored it with mode 0600; back it up, and set CHORUS_SECRET_KEY to the same value on every process that shares this database"
        ),
    }
}

async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    log_key_source(&config.key_source);
    let app = App::connect(config).await?;
    if demo {
        crate::demo::seed(&app).await?;
    }
    let application = Application::bind(app.clone()).await?;
    let addr = application.local_addr()?;
    tracing::info!(%addr, startup_ms = started.elapsed().as_millis(), "chorus is ready");
    // The one line on stdout: tests and scripts read the address from it.
    println!("chorus listening on http://{addr}");
    let warming = app.clone();
    tokio::spawn(async move {
        chorus_statistics::rollup::warm(&warming.db, &warming.rollup).await;
    });
    application.run_until(shutdown_signal()).await?;
    tracing::info!("chorus stopped");
    Ok(())
}

async fn worker(mut config: Config) -> anyhow::Result<()> {
    config.run_worker = true;
    if config.mail.is_some() && !config.base_url_configured {
        tracing::warn!(
            base_url = %config.base_url,
            "CHORUS_BASE_URL is not set: the links in the email this worker sends point at this \
             address; set it to the address people use"
        );
    }
    let app = App::connect(config).await?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let handle = tokio::spawn(crate::worker::run(app, stop_rx));
    tracing::info!("worker running; stop it with SIGTERM or Ctrl-C");
    shutdown_signal().await;
    let _ = stop_tx.send(true);
    handle.await?;
    Ok(())
}

fn parse_roles(names: &[String]) -> anyhow::Result<Roles> {
    Ok(Roles::parse_list(&names.join(","))?)
}

async fn user(config: Config, command: UserCommand) -> anyhow::Result<()> {
    let app = App::connect(config).await?;
    let db = &app.db;
    match command {
        UserCommand::Add {
            email,
            name,
            roles,
            password_stdin,
        } => {
            let email = Email::parse(&email)
                .map_err(|_| anyhow::anyhow!("--email {email:?} is not an email address"))?;
            let name = DisplayName::parse(&name)
                .map_err(|_| anyhow::anyhow!("--name must have 1 to 100 characters"))?;
            let roles = parse_roles(&roles)?;
            let (password, generated) = if password_stdin {
                if std::io::stdin().is_terminal() {
                    eprintln!("Type the password, then Enter:");
                }
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("could not read the password from stdin")?;
                let password =
                    NewPassword::parse(line.trim_end_matches(['\r', '\n'])).map_err(|_| {
                        anyhow::anyhow!(
                            "the password must have {} to {} characters",
                            NewPassword::MIN_CHARS,
                            NewPassword::MAX_CHARS
                        )
                    })?;
                (password, false)
            } else {
                (NewPassword::generate(), true)
            };
            let shown = password.reveal().to_owned();
            let row = accounts::create(db, &email, &name, password, roles)
                .await
                .map_err(|e| match e {
                    accounts::AccountError::EmailTaken => anyhow::anyhow!(
                        "an account with the email {} exists already",
                        email.as_str()
                    ),
                    other => anyhow::anyhow!(other),
                })?;
            println!(
                "created account {} <{}> with roles [{}]",
                row.display_name,
                row.email,
                roles.to_list()
            );
            if generated {
                println!("password (shown once; ask them to change it): {shown}");
            }
        }
        UserCommand::SetRoles { email, roles } => {
            let row = find(db, &email).await?;
            let roles = parse_roles(&roles)?;
            accounts::set_roles(db, row.id, roles)
                .await
                .map_err(|e| match e {
                    accounts::AccountError::LastAdmin => anyhow::anyhow!(
                        "{email} is the last active admin; make someone else admin first"
                    ),
                    other => anyhow::anyhow!(other),
                })?;
            println!("{email} now has roles [{}]", roles.to_list());
        }
        UserCommand::SetTeam { email, team } => {
            let row = find(db, &email).await?;
            let team = team.trim();
            if team.chars().count() > 100 {
                anyhow::bail!("--team must have at most 100 characters");
            }
            crate::store::users::set_team(
                db,
                row.id,
                Some(team.to_owned()).filter(|t| !t.is_empty()),
            )
            .await?;
            if team.is_empty() {
                println!("{email} is in no team");
            } else {
                println!("{email} is in team {team}");
            }
        }
        UserCommand::Deactivate { email } => {
            let row = find(db, &email).await?;
            accounts::set_active(db, row.id, false)
                .await
                .map_err(|e| match e {
                    accounts::AccountError::LastAdmin => anyhow::anyhow!(
                        "{email} is the last active admin; make someone else admin first"
                    ),
                    other => anyhow::anyhow!(other),
                })?;
            println!("{email} is deactivated and signed out everywhere");
        }
        UserCommand::Unlock { email } => {
            let cleared = accounts::unlock(db, app.config.secret_key.bytes(), &email).await?;
            println!("{email} can sign in again ({cleared} counter(s) cleared)");
        }
    }
    Ok(())
}

async fn find(
    db: &sea_orm::DatabaseConnection,
    email: &str,
) -> anyhow::Result<store::users::UserRow> {
    let parsed = Email::parse(email)
        .map_err(|_| anyhow::anyhow!("--email {email:?} is not an email address"))?;
    match store::users::by_email(db, parsed.as_str()).await? {
        Some(row) => Ok(row),
        None => bail!("no account has the email {email}"),
    }
}
