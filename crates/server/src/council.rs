//! The works-council pack: what Chorus records about people, why, who sees it and for how
//! long, where data goes, the statistics rules, the audit log, the settings in force and a
//! DPIA-style list of risks and measures. It is written from the running system (the
//! declarations of every column, checked against the live schema; the settings; the networks
//! configured), in English or French, as one self-contained HTML document: the admin page
//! shows it, `chorus report works-council` writes it to a file, as HTML or as PDF through
//! headless Chromium's print.

pub mod declarations;

use std::fmt::Write as _;

use chorus_editorial::store::settings::Settings;
use chorus_policy::Network;
use serde::Serialize;
use tera::Context;

use crate::charts::escape;
use crate::i18n::Locale;
use crate::views::Views;
use declarations::{Kept, TABLES};

/// One table about people, in the pack's language.
#[derive(Serialize)]
struct TableView {
    name: &'static str,
    why: String,
    who: String,
    kept: String,
    personal: &'static [&'static str],
    other: &'static [&'static str],
}

/// One network: how Chorus reaches it, what it sends, the permissions it asks for.
#[derive(Serialize)]
struct FlowView {
    network: &'static str,
    /// `api` (Chorus publishes with the person's token) or `composer` (the person's browser
    /// opens the network's own composer; Chorus sends nothing).
    how: &'static str,
    scopes: String,
}

/// One setting and its current value.
#[derive(Serialize)]
struct SettingView {
    name: String,
    value: String,
}

/// Everything the pack shows, gathered from the live system.
/// The document, as its template reads it.
#[derive(Serialize)]
struct Report<'a> {
    lang: &'static str,
    generated_at: String,
    base_url: &'a str,
    mail_host: Option<&'a str>,
    chat: String,
    k: String,
    tables: Vec<TableView>,
    other_tables: Vec<&'static str>,
    schema_problems: &'a [String],
    flows: Vec<FlowView>,
    settings: Vec<SettingView>,
    diagram: String,
    /// `report.css`, when the style is written into the document.
    inline_css: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Facts {
    /// The settings in force.
    pub settings: Settings,
    /// Networks Chorus can publish to through their API (credentials present, not "post it
    /// yourself" only).
    pub api_networks: Vec<Network>,
    /// What the declarations and the live schema disagree on (empty when they agree).
    pub schema_problems: Vec<String>,
    /// The address people use.
    pub base_url: String,
    /// When the pack was generated.
    pub generated_at: chrono::DateTime<chrono::Utc>,
    /// The SMTP server email goes through, when one is configured (its host only).
    pub mail_host: Option<String>,
    /// The chat services announcements are posted to (`Slack`, `Microsoft Teams`, `Matrix`).
    pub chat: Vec<&'static str>,
}

impl Facts {
    /// Reads the facts from the database.
    ///
    /// # Errors
    /// Database failure, or a stored setting that does not parse.
    pub async fn gather(
        app: &crate::app::App,
        base_url: &str,
    ) -> Result<Facts, crate::error::AppError> {
        let db = &app.db;
        let mail = app.config.mail.as_ref();
        let connected = crate::notify::chat::channels(db, &app.vault).await?;
        let chat = crate::notify::chat::Channel::ALL
            .into_iter()
            .filter(|c| connected.has(*c))
            .map(crate::notify::chat::Channel::label)
            .collect();
        let settings = chorus_editorial::store::settings::load(db).await?;
        let api_networks = chorus_ambassador::accounts::configured_networks(db)
            .await?
            .into_iter()
            .filter(|n| settings.allows_direct(*n))
            .collect();
        Ok(Facts {
            settings,
            api_networks,
            schema_problems: declarations::undeclared(db).await?,
            base_url: base_url.to_owned(),
            generated_at: chrono::Utc::now(),
            mail_host: mail.and_then(|m| m.smtp_url.host_str().map(str::to_owned)),
            chat,
        })
    }
}

/// Where the document's style comes from: the site's stylesheet (the admin page, under its
/// CSP) or written into the document (a file read anywhere, and printed to PDF).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// A `<link>` to `report.css`.
    Linked,
    /// `report.css` inside a `<style>` element.
    Inline,
}

/// The pack as one HTML document in `locale`.
///
/// # Errors
/// The template fails (a defect).
pub fn render(
    views: &Views,
    locale: Locale,
    facts: &Facts,
    style: Style,
) -> Result<String, crate::error::AppError> {
    let t = |key: &str| views.i18n.text(locale, key, &[]);
    let tables: Vec<TableView> = TABLES
        .iter()
        .filter(|table| table.about_people())
        .map(|table| TableView {
            name: table.name,
            why: t(&format!("council.{}_why", table.name)),
            who: t(&format!("council.{}_who", table.name)),
            kept: kept_text(views, locale, table.kept, &facts.settings),
            personal: table.personal,
            other: table.other,
        })
        .collect();
    let other_tables: Vec<&str> = TABLES
        .iter()
        .filter(|table| !table.about_people())
        .map(|table| table.name)
        .collect();
    let flows: Vec<FlowView> = Network::ALL
        .into_iter()
        .filter(|n| facts.api_networks.contains(n) || facts.settings.composer_only.contains(n))
        .map(|n| FlowView {
            network: n.display_name(),
            how: if facts.api_networks.contains(&n) {
                "api"
            } else {
                "composer"
            },
            scopes: chorus_policy::scopes(n).join(" "),
        })
        .collect();
    let k = facts.settings.min_group_size.get().to_string();
    let mut settings = vec![
        SettingView {
            name: t("council.setting_k"),
            value: k.clone(),
        },
        SettingView {
            name: t("council.setting_second_approval"),
            value: t(if facts.settings.workflow.require_second_approval {
                "council.yes"
            } else {
                "council.no"
            }),
        },
        SettingView {
            name: t("council.setting_disclosure_en"),
            value: facts
                .settings
                .disclosure_en
                .as_ref()
                .map_or_else(|| t("council.none"), |d| d.as_str().to_owned()),
        },
        SettingView {
            name: t("council.setting_disclosure_fr"),
            value: facts
                .settings
                .disclosure_fr
                .as_ref()
                .map_or_else(|| t("council.none"), |d| d.as_str().to_owned()),
        },
        SettingView {
            name: t("council.setting_composer_only"),
            value: if facts.settings.composer_only.is_empty() {
                t("council.none")
            } else {
                facts
                    .settings
                    .composer_only
                    .iter()
                    .map(|n| n.display_name())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        },
        SettingView {
            name: t("council.setting_daily_cap"),
            value: facts
                .settings
                .daily_cap
                .map_or_else(|| t("council.none"), |n| n.to_string()),
        },
    ];
    for (kind, days) in facts.settings.retention.iter() {
        settings.push(SettingView {
            name: views.i18n.text(
                locale,
                "council.setting_retention",
                &[("kind", &t(&format!("retention.{}", kind.as_str())))],
            ),
            value: views.i18n.text(
                locale,
                if days == 1 {
                    "retention.kept_for_one"
                } else {
                    "retention.kept_for"
                },
                &[("days", &days.to_string())],
            ),
        });
    }
    let inline_css = (style == Style::Inline).then(|| {
        views
            .asset("report.css")
            .map(|asset| String::from_utf8_lossy(&asset.bytes).into_owned())
            .unwrap_or_default()
    });
    let report = Report {
        lang: locale.tag(),
        generated_at: locale.date_time(facts.generated_at.naive_utc()),
        base_url: &facts.base_url,
        mail_host: facts.mail_host.as_deref(),
        chat: facts.chat.join(", "),
        k,
        tables,
        other_tables,
        schema_problems: &facts.schema_problems,
        flows,
        settings,
        diagram: diagram(views, locale, facts),
        inline_css,
    };
    let context = Context::from_serialize(&report)?;
    views.render(locale, "reports/works_council.html", &context)
}

fn kept_text(views: &Views, locale: Locale, kept: Option<Kept>, settings: &Settings) -> String {
    let Some(kept) = kept else {
        return String::new();
    };
    let key = format!("council.kept_{}", kept.key());
    match kept {
        Kept::Retention(kind) => {
            let days = settings.retention.days(kind);
            let key = if days == 1 { format!("{key}_one") } else { key };
            views
                .i18n
                .text(locale, &key, &[("days", &days.to_string())])
        }
        _ => views.i18n.text(locale, &key, &[]),
    }
}

/// The data flows as an SVG drawing: people's browsers, Chorus and its database, each network
/// it publishes to (and the ones where people post themselves), readers of posts through the
/// tracked links, and the channels (email, chat) that are configured: none yet.
fn diagram(views: &Views, locale: Locale, facts: &Facts) -> String {
    let t = |key: &str| escape(&views.i18n.text(locale, key, &[]));
    let networks: Vec<(Network, bool)> = Network::ALL
        .into_iter()
        .filter_map(|n| {
            if facts.api_networks.contains(&n) {
                Some((n, true))
            } else if facts.settings.composer_only.contains(&n) {
                Some((n, false))
            } else {
                None
            }
        })
        .collect();
    let row = 54.0;
    let top = 40.0;
    let height = (top + row * networks.len().max(3) as f64 + 90.0).max(300.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="flows" viewBox="0 0 900 {height}" role="img" aria-labelledby="flows-diagram" xmlns="http://www.w3.org/2000/svg"><title id="flows-diagram">{}</title>"#,
        t("council.diagram_title")
    );
    svg.push_str(r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#475569"/></marker></defs>"##);
    let node = |svg: &mut String,
                x: f64,
                y: f64,
                w: f64,
                h: f64,
                label: &str,
                note: &str,
                fill: &str| {
        let _ = write!(
            svg,
            r##"<g class="node"><rect x="{x}" y="{y}" width="{w}" height="{h}" rx="8" fill="{fill}" stroke="#334155"/><text x="{}" y="{}" text-anchor="middle" font-size="15" font-weight="700" fill="#0f172a">{label}</text><text x="{}" y="{}" text-anchor="middle" font-size="11.5" fill="#334155">{note}</text></g>"##,
            x + w / 2.0,
            y + h / 2.0 - 3.0,
            x + w / 2.0,
            y + h / 2.0 + 14.0
        );
    };
    let arrow = |svg: &mut String, x1: f64, y1: f64, x2: f64, y2: f64, label: &str| {
        let _ = write!(
            svg,
            r##"<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#475569" stroke-width="1.6" marker-end="url(#arrow)"/><text x="{}" y="{}" text-anchor="middle" font-size="11" fill="#1e293b">{label}</text>"##,
            f64::midpoint(x1, x2),
            f64::midpoint(y1, y2) - 6.0
        );
    };
    let middle = top + row * networks.len().max(3) as f64 / 2.0;
    node(
        &mut svg,
        20.0,
        middle - 35.0,
        190.0,
        70.0,
        &t("council.node_people"),
        &t("council.node_people_note"),
        "#e0f2fe",
    );
    node(
        &mut svg,
        340.0,
        middle - 45.0,
        210.0,
        90.0,
        "Chorus",
        &escape(&facts.base_url),
        "#ede9fe",
    );
    node(
        &mut svg,
        360.0,
        middle + 70.0,
        170.0,
        46.0,
        &t("council.node_database"),
        &t("council.node_database_note"),
        "#f1f5f9",
    );
    arrow(
        &mut svg,
        210.0,
        middle - 10.0,
        340.0,
        middle - 10.0,
        &t("council.flow_choices"),
    );
    arrow(&mut svg, 445.0, middle + 45.0, 445.0, middle + 70.0, "");
    for (i, (network, api)) in networks.iter().enumerate() {
        let y = top + row * i as f64;
        let (label, fill) = if *api {
            (t("council.node_network_api"), "#dcfce7")
        } else {
            (t("council.node_network_composer"), "#fef9c3")
        };
        node(
            &mut svg,
            700.0,
            y,
            180.0,
            44.0,
            network.display_name(),
            &label,
            fill,
        );
        if *api {
            arrow(
                &mut svg,
                550.0,
                middle,
                700.0,
                y + 22.0,
                // One label for the fan of arrows: on the first, where there is room.
                &if i == 0 {
                    t("council.flow_post")
                } else {
                    String::new()
                },
            );
        } else {
            let _ = write!(
                svg,
                r##"<path d="M115 {} C 115 {}, 600 {}, 700 {}" fill="none" stroke="#a16207" stroke-width="1.4" stroke-dasharray="5 4" marker-end="url(#arrow)"/>"##,
                middle - 35.0,
                y + 22.0,
                y + 22.0,
                y + 22.0
            );
        }
    }
    if networks.is_empty() {
        let _ = write!(
            svg,
            r##"<text x="790" y="{}" text-anchor="middle" font-size="12" fill="#334155">{}</text>"##,
            middle,
            t("council.no_networks")
        );
    }
    let bottom = height - 40.0;
    node(
        &mut svg,
        20.0,
        bottom - 10.0,
        190.0,
        44.0,
        &t("council.node_readers"),
        &t("council.node_readers_note"),
        "#f1f5f9",
    );
    arrow(
        &mut svg,
        210.0,
        bottom + 12.0,
        340.0,
        middle + 40.0,
        &t("council.flow_clicks"),
    );
    let mut channels = Vec::new();
    let mut words = Vec::new();
    if let Some(host) = &facts.mail_host {
        channels.push("email");
        words.push(
            views
                .i18n
                .text(locale, "council.channel_email", &[("host", host.as_str())]),
        );
    }
    if !facts.chat.is_empty() {
        channels.push("chat");
        words.push(views.i18n.text(
            locale,
            "council.channel_chat",
            &[("services", &facts.chat.join(", "))],
        ));
    }
    let (channels, words) = if channels.is_empty() {
        ("none".to_owned(), t("council.no_channels"))
    } else {
        (channels.join(" "), words.join(" "))
    };
    let _ = write!(
        svg,
        r##"<text x="700" y="{}" font-size="12" fill="#334155" data-channels="{channels}">{}</text>"##,
        bottom + 18.0,
        escape(&words)
    );
    svg.push_str("</svg>");
    svg
}
