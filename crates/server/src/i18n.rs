//! Languages. Every string a person sees goes through a catalogue; English and French are
//! complete (a test checks that both have the same keys). The language comes from the person's
//! setting, else from the browser's `Accept-Language`, else English.

use std::collections::BTreeMap;
use std::sync::Arc;

/// A language Chorus speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Locale {
    /// English.
    En,
    /// French.
    Fr,
}

impl Locale {
    /// Every language, in the order the language picker lists them.
    pub const ALL: [Locale; 2] = [Locale::En, Locale::Fr];

    /// BCP 47 tag.
    #[must_use]
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Fr => "fr",
        }
    }

    /// The language's own name, for the picker.
    #[must_use]
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::Fr => "Français",
        }
    }

    /// A date as this language writes it: `3 Dec 2026`, `3 déc. 2026`.
    #[must_use]
    pub fn date(self, on: chrono::NaiveDate) -> String {
        use chrono::Datelike as _;
        const EN: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        const FR: [&str; 12] = [
            "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
            "nov.", "déc.",
        ];
        let month = usize::try_from(on.month0()).unwrap_or(0).min(11);
        let (day, year) = (on.day(), on.year());
        match self {
            Locale::En => format!("{day} {} {year}", EN[month]),
            // Non-breaking spaces keep the date on one line.
            Locale::Fr => format!("{day}\u{a0}{}\u{a0}{year}", FR[month]),
        }
    }

    /// A date and time as this language writes it: `3 Dec 2026, 09:00`, `3 déc. 2026 à 09:00`.
    #[must_use]
    pub fn date_time(self, at: chrono::NaiveDateTime) -> String {
        use chrono::Timelike as _;
        let (date, hour, minute) = (self.date(at.date()), at.hour(), at.minute());
        match self {
            Locale::En => format!("{date}, {hour:02}:{minute:02}"),
            Locale::Fr => format!("{date} à {hour:02}:{minute:02}"),
        }
    }

    /// What groups thousands: a comma in English, a narrow no-break space in French.
    #[must_use]
    pub fn thousands_separator(self) -> &'static str {
        match self {
            Locale::En => ",",
            Locale::Fr => "\u{202f}",
        }
    }

    /// A whole number as this language writes it: `12,345`, `12 345`.
    #[must_use]
    pub fn number(self, n: i64) -> String {
        crate::views::group_thousands(n, self.thousands_separator())
    }

    /// The language for a tag such as `fr`, `fr-CA` or `EN`.
    #[must_use]
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Locale::ALL.into_iter().find(|l| l.tag() == primary)
    }

    /// The person's setting if any, else the best match in `Accept-Language`, else English.
    #[must_use]
    pub fn negotiate(setting: Option<&str>, accept_language: Option<&str>) -> Self {
        if let Some(locale) = setting.and_then(Locale::from_tag) {
            return locale;
        }
        let mut offers: Vec<(f32, usize, Locale)> = accept_language
            .unwrap_or_default()
            .split(',')
            .enumerate()
            .filter_map(|(position, item)| {
                let mut parts = item.split(';');
                let locale = Locale::from_tag(parts.next()?)?;
                let quality = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                (quality > 0.0).then_some((quality, position, locale))
            })
            .collect();
        offers.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        offers.first().map_or(Locale::En, |(_, _, l)| *l)
    }
}

/// One language's strings, by dotted key (`sign_in.title`).
pub type Catalog = BTreeMap<String, String>;

/// Every catalogue, loaded once at start-up.
#[derive(Debug, Clone)]
pub struct I18n {
    en: Arc<Catalog>,
    fr: Arc<Catalog>,
}

/// A catalogue that does not parse (a build defect, caught by tests).
#[derive(Debug, thiserror::Error)]
#[error("translation catalogue {locale}: {reason}")]
pub struct CatalogError {
    locale: &'static str,
    reason: String,
}

impl I18n {
    /// Loads the catalogues shipped in the binary.
    ///
    /// # Errors
    /// A catalogue is not valid TOML of strings.
    pub fn load() -> Result<Self, CatalogError> {
        Ok(I18n {
            en: Arc::new(parse("en", include_str!("../../../locales/en.toml"))?),
            fr: Arc::new(parse("fr", include_str!("../../../locales/fr.toml"))?),
        })
    }

    /// The catalogue of one language.
    #[must_use]
    pub fn catalog(&self, locale: Locale) -> Arc<Catalog> {
        match locale {
            Locale::En => self.en.clone(),
            Locale::Fr => self.fr.clone(),
        }
    }

    /// One string, with `{name}` placeholders filled from `args`. A missing key shows itself,
    /// so a gap is visible rather than silent (tests make sure there are none).
    #[must_use]
    pub fn text(&self, locale: Locale, key: &str, args: &[(&str, &str)]) -> String {
        let catalog = match locale {
            Locale::En => &self.en,
            Locale::Fr => &self.fr,
        };
        let Some(text) = catalog.get(key) else {
            tracing::warn!(key, locale = locale.tag(), "missing translation");
            return key.to_owned();
        };
        fill(text, args)
    }
}

/// Replaces `{name}` placeholders.
#[must_use]
pub fn fill(text: &str, args: &[(&str, &str)]) -> String {
    args.iter().fold(text.to_owned(), |acc, (name, value)| {
        acc.replace(&format!("{{{name}}}"), value)
    })
}

fn parse(locale: &'static str, text: &str) -> Result<Catalog, CatalogError> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| CatalogError {
        locale,
        reason: e.to_string(),
    })?;
    let mut out = Catalog::new();
    flatten("", &table, &mut out).map_err(|reason| CatalogError { locale, reason })?;
    Ok(out)
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut Catalog) -> Result<(), String> {
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::String(s) => {
                out.insert(full, s.clone());
            }
            toml::Value::Table(t) => flatten(&full, t, out)?,
            _ => return Err(format!("{full} is not a string")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {

    #[test]
    fn dates_and_times_read_as_each_language_writes_them() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 3)
            .unwrap()
            .and_hms_opt(9, 5, 0)
            .unwrap();
        assert_eq!(Locale::En.date_time(at), "3 Dec 2026, 09:05");
        assert_eq!(Locale::Fr.date_time(at), "3\u{a0}déc.\u{a0}2026 à 09:05");
        let may = chrono::NaiveDate::from_ymd_opt(2027, 5, 1).unwrap();
        assert_eq!(Locale::En.date(may), "1 May 2027");
        assert_eq!(Locale::Fr.date(may), "1\u{a0}mai\u{a0}2027");
    }

    use super::*;

    #[test]
    fn english_and_french_have_exactly_the_same_keys() {
        let i18n = I18n::load().unwrap();
        let en: Vec<_> = i18n.catalog(Locale::En).keys().cloned().collect();
        let fr: Vec<_> = i18n.catalog(Locale::Fr).keys().cloned().collect();
        let missing_fr: Vec<_> = en.iter().filter(|k| !fr.contains(k)).collect();
        let missing_en: Vec<_> = fr.iter().filter(|k| !en.contains(k)).collect();
        assert!(missing_fr.is_empty(), "missing in fr: {missing_fr:?}");
        assert!(missing_en.is_empty(), "missing in en: {missing_en:?}");
    }

    #[test]
    fn placeholders_match_between_languages() {
        let i18n = I18n::load().unwrap();
        let fr = i18n.catalog(Locale::Fr);
        for (key, en_text) in i18n.catalog(Locale::En).iter() {
            let names = |t: &str| {
                let mut v: Vec<String> = t
                    .split('{')
                    .skip(1)
                    .filter_map(|s| s.split_once('}').map(|(n, _)| n.to_owned()))
                    .collect();
                v.sort();
                v
            };
            assert_eq!(names(en_text), names(&fr[key]), "placeholders of {key}");
        }
    }

    /// French typography: a no-break space before `:` and a narrow one before `;` `?` `!`
    /// (a plain space would let the sign start a line), no-break spaces inside « », and the
    /// typographic apostrophe.
    #[test]
    fn french_follows_french_typography() {
        let i18n = I18n::load().unwrap();
        for (key, text) in i18n.catalog(Locale::Fr).iter() {
            for sign in [" :", " ;", " ?", " !", "« ", " »"] {
                assert!(
                    !text.contains(sign),
                    "fr {key}: a plain space in {sign:?}: {text}"
                );
            }
            let chars: Vec<char> = text.chars().collect();
            let straight = chars
                .windows(3)
                .any(|w| w[1] == '\'' && w[0].is_alphabetic() && w[2].is_alphabetic());
            assert!(!straight, "fr {key}: a straight apostrophe: {text}");
        }
    }

    #[test]
    fn negotiation_prefers_the_setting_then_quality_then_order() {
        assert_eq!(Locale::negotiate(Some("fr"), Some("en")), Locale::Fr);
        assert_eq!(
            Locale::negotiate(None, Some("de-DE,fr;q=0.8,en;q=0.5")),
            Locale::Fr
        );
        assert_eq!(
            Locale::negotiate(None, Some("en;q=0.4, fr-CA;q=0.9")),
            Locale::Fr
        );
        assert_eq!(Locale::negotiate(None, Some("fr;q=0, en")), Locale::En);
        assert_eq!(Locale::negotiate(None, Some("de, es")), Locale::En);
        assert_eq!(Locale::negotiate(None, None), Locale::En);
        assert_eq!(Locale::negotiate(Some("xx"), Some("fr")), Locale::Fr);
    }

    #[test]
    fn fill_replaces_named_placeholders() {
        assert_eq!(
            fill("Hello {name}, {name}!", &[("name", "Ana")]),
            "Hello Ana, Ana!"
        );
    }
}
