//! The programme page: why the company asks people to share (the vision), what each person
//! gains, and who does what (the roles), written by editors in Markdown in English and French,
//! versioned like the guidelines (each publication is a new version; none is ever changed).
//!
//! The company's commitments are not written here: [`Commitments::of`] reads them from the
//! settings in force, so the page cannot promise what the software does not do.

use chorus_policy::{Network, UserId};
use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait, QueryOrder as _};
use serde::{Deserialize, Serialize};

use crate::EditorialError;
use crate::content::FieldError;
use crate::store::settings::Settings;

/// `programme_versions`: every published version of the programme page.
pub mod entity {
    use sea_orm::entity::prelude::*;

    /// One version.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "programme_versions")]
    pub struct Model {
        /// 1, 2, 3...
        #[sea_orm(primary_key, auto_increment = false)]
        pub version: i32,
        /// Why the company asks, in English.
        pub vision_en: String,
        /// The same in French.
        pub vision_fr: String,
        /// What each person gains, in English.
        pub gains_en: String,
        /// The same in French.
        pub gains_fr: String,
        /// Who writes, who shares, who looks at figures, in English.
        pub roles_en: String,
        /// The same in French.
        pub roles_fr: String,
        /// The editor who published it (none once they are erased).
        pub published_by: Option<i32>,
        /// When.
        pub published_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The three written sections, in both languages, as a form holds them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProgrammeText {
    /// Why the company asks, in English (Markdown).
    pub vision_en: String,
    /// The same in French.
    pub vision_fr: String,
    /// What each person gains, in English.
    pub gains_en: String,
    /// The same in French.
    pub gains_fr: String,
    /// Who does what, in English.
    pub roles_en: String,
    /// The same in French.
    pub roles_fr: String,
}

/// The longest section accepted.
pub const MAX_SECTION: usize = 20_000;

impl ProgrammeText {
    /// The form's text, trimmed, or what is wrong by field: every section in both languages is
    /// required (a person reads the page in their own language).
    ///
    /// # Errors
    /// The fields that are empty or too long.
    pub fn parse(&self) -> Result<ProgrammeText, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut check = |field: &str, text: &str| {
            let text = text.trim();
            if text.is_empty() {
                errors.push(FieldError::new(field, "programme.error_empty"));
            } else if text.chars().count() > MAX_SECTION {
                errors.push(FieldError::new(field, "programme.error_long"));
            }
            text.to_owned()
        };
        let parsed = ProgrammeText {
            vision_en: check("vision_en", &self.vision_en),
            vision_fr: check("vision_fr", &self.vision_fr),
            gains_en: check("gains_en", &self.gains_en),
            gains_fr: check("gains_fr", &self.gains_fr),
            roles_en: check("roles_en", &self.roles_en),
            roles_fr: check("roles_fr", &self.roles_fr),
        };
        if errors.is_empty() {
            Ok(parsed)
        } else {
            Err(errors)
        }
    }

    /// The sections in one language (`fr` or anything else for English): vision, gains, roles.
    #[must_use]
    pub fn in_language(&self, language: &str) -> [&str; 3] {
        if language.starts_with("fr") {
            [&self.vision_fr, &self.gains_fr, &self.roles_fr]
        } else {
            [&self.vision_en, &self.gains_en, &self.roles_en]
        }
    }
}

/// The programme in force.
#[derive(Debug, Clone)]
pub struct Programme {
    /// Its version; 0 before editors published one (the text is Chorus's starting point).
    pub version: i32,
    /// Its sections.
    pub text: ProgrammeText,
    /// When it was published, if it was.
    pub published_at: Option<DateTime<Utc>>,
}

/// The latest version, or Chorus's starting text (version 0) before editors wrote one.
///
/// # Errors
/// Database failure.
pub async fn current(db: &impl ConnectionTrait) -> Result<Programme, EditorialError> {
    let latest = entity::Entity::find()
        .order_by_desc(entity::Column::Version)
        .one(db)
        .await?;
    Ok(latest.map_or_else(starting_point, |row| Programme {
        version: row.version,
        text: ProgrammeText {
            vision_en: row.vision_en,
            vision_fr: row.vision_fr,
            gains_en: row.gains_en,
            gains_fr: row.gains_fr,
            roles_en: row.roles_en,
            roles_fr: row.roles_fr,
        },
        published_at: Some(row.published_at),
    }))
}

/// Publishes `text` (already parsed) as the next version, by `editor`; returns its number.
///
/// # Errors
/// Database failure (two editors publishing at the same instant: one of them fails and may
/// publish again).
pub async fn publish(
    db: &impl ConnectionTrait,
    text: ProgrammeText,
    editor: UserId,
) -> Result<i32, EditorialError> {
    let latest = entity::Entity::find()
        .order_by_desc(entity::Column::Version)
        .one(db)
        .await?
        .map_or(0, |row| row.version);
    let version = latest + 1;
    entity::ActiveModel {
        version: Set(version),
        vision_en: Set(text.vision_en),
        vision_fr: Set(text.vision_fr),
        gains_en: Set(text.gains_en),
        gains_fr: Set(text.gains_fr),
        roles_en: Set(text.roles_en),
        roles_fr: Set(text.roles_fr),
        published_by: Set(Some(editor.get())),
        published_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(version)
}

fn starting_point() -> Programme {
    Programme {
        version: 0,
        text: ProgrammeText {
            vision_en: STARTING_VISION_EN.to_owned(),
            vision_fr: STARTING_VISION_FR.to_owned(),
            gains_en: STARTING_GAINS_EN.to_owned(),
            gains_fr: STARTING_GAINS_FR.to_owned(),
            roles_en: STARTING_ROLES_EN.to_owned(),
            roles_fr: STARTING_ROLES_FR.to_owned(),
        },
        published_at: None,
    }
}

const STARTING_VISION_EN: &str = "We do things worth talking about, and the people who do them \
tell it best. This programme asks you to share, in your own words and only when you want to, \
what you are proud of in our work.";
const STARTING_VISION_FR: &str = "Nous faisons des choses qui méritent d’être racontées, et ceux \
qui les font les racontent le mieux. Ce programme vous propose de partager, avec vos mots et \
seulement quand vous le souhaitez, ce dont vous êtes fier ou fière dans notre travail.";
const STARTING_GAINS_EN: &str = "- **Visibility for your expertise**: your network sees what \
you work on, in your voice.\n- **Your future colleagues**: people you know hear about our \
openings from someone they trust.\n- **Nothing to lose**: not taking part changes nothing for \
you.";
const STARTING_GAINS_FR: &str = "- **De la visibilité pour votre expertise**\u{a0}: votre réseau \
voit ce sur quoi vous travaillez, avec votre voix.\n- **Vos futurs collègues**\u{a0}: les \
personnes que vous connaissez apprennent nos recrutements par quelqu’un en qui elles ont \
confiance.\n- **Rien à perdre**\u{a0}: ne pas participer ne change rien pour vous.";
const STARTING_ROLES_EN: &str = "- **Editors** (the communication team) write content worth \
sharing and say why it matters.\n- **You** choose what you share, rewrite it in your own \
voice, and publish it to your own accounts, when you choose.\n- **Analysts** see totals of \
shares and clicks, never about a small group.";
const STARTING_ROLES_FR: &str = "- **Les éditeurs** (l’équipe communication) écrivent des \
contenus qui méritent d’être partagés et disent pourquoi ils comptent.\n- **Vous** choisissez \
ce que vous partagez, le réécrivez avec vos mots et le publiez sur vos propres comptes, quand \
vous le décidez.\n- **Les analystes** voient des totaux de partages et de clics, jamais sur un \
petit groupe.";

/// What the company commits to, read from the settings in force: each is a fact the software
/// enforces, said on the page in the person's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Commitments {
    /// No figure about fewer people than this is ever shown.
    pub min_group_size: usize,
    /// A second editor approves what the first wrote before it reaches the hub.
    pub second_approval: bool,
    /// The disclosure suggested on English and French posts, if any.
    pub disclosure_en: Option<String>,
    /// The same for French posts.
    pub disclosure_fr: Option<String>,
    /// Networks on which Chorus never publishes through an API ("post it yourself" only).
    pub composer_only: Vec<&'static str>,
    /// At most this many of each person's shares go out on one day (they may choose fewer).
    pub daily_cap: Option<u32>,
}

impl Commitments {
    /// The commitments the settings make true.
    #[must_use]
    pub fn of(settings: &Settings) -> Commitments {
        Commitments {
            min_group_size: settings.min_group_size.get(),
            second_approval: settings.workflow.require_second_approval,
            disclosure_en: settings
                .disclosure_en
                .as_ref()
                .map(|d| d.as_str().to_owned()),
            disclosure_fr: settings
                .disclosure_fr
                .as_ref()
                .map(|d| d.as_str().to_owned()),
            composer_only: settings
                .composer_only
                .iter()
                .map(|n: &Network| n.display_name())
                .collect(),
            daily_cap: settings.daily_cap,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_is_required_in_both_languages_and_kept_trimmed() {
        let form = ProgrammeText {
            vision_en: "  Why we ask ".into(),
            gains_fr: "x".repeat(MAX_SECTION + 1),
            ..ProgrammeText::default()
        };
        let errors = form.parse().unwrap_err();
        let fields: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.message_key))
            .collect();
        assert_eq!(
            fields,
            [
                ("vision_fr", "programme.error_empty"),
                ("gains_en", "programme.error_empty"),
                ("gains_fr", "programme.error_long"),
                ("roles_en", "programme.error_empty"),
                ("roles_fr", "programme.error_empty"),
            ]
        );
        let full = ProgrammeText {
            vision_en: " a ".into(),
            vision_fr: "b".into(),
            gains_en: "c".into(),
            gains_fr: "d".into(),
            roles_en: "e".into(),
            roles_fr: "f".into(),
        };
        let parsed = full.parse().unwrap();
        assert_eq!(parsed.vision_en, "a");
        assert_eq!(parsed.in_language("fr-CA"), ["b", "d", "f"]);
        assert_eq!(parsed.in_language("en"), ["a", "c", "e"]);
    }
}
