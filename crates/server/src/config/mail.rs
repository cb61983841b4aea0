//! The mail settings: the SMTP server, the sender, and an extra authority for the server's
//! certificate.

use std::fmt;

use url::Url;

use super::ConfigError;

/// The SMTP server email goes through, and who it comes from.
#[derive(Clone)]
pub struct MailConfig {
    /// `smtp://host:587?tls=required` (STARTTLS), `smtps://host:465` (TLS), or
    /// `smtp://host:25` (plain, for a relay on the same machine); user and password in the URL.
    pub smtp_url: Url,
    /// The sender (`Chorus <chorus@example.org>`).
    pub from: lettre::message::Mailbox,
    /// Certificate authorities trusted for the SMTP server besides the public ones (PEM), for a
    /// relay whose certificate an internal authority signed.
    pub ca_pem: Option<Vec<u8>>,
}

impl fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.smtp_url.clone();
        let _ = shown.set_password(None);
        f.debug_struct("MailConfig")
            .field("smtp_url", &shown.as_str())
            .field("from", &self.from.to_string())
            .field("ca_pem", &self.ca_pem.as_ref().map(Vec::len))
            .finish()
    }
}

impl MailConfig {
    /// Reads `CHORUS_SMTP_URL`, `CHORUS_MAIL_FROM` and `CHORUS_SMTP_CA_FILE` (each a setting's
    /// name and value): none of the first two means no email; one without the other, or a value
    /// that cannot be used, stops start-up with its name.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the setting.
    pub(super) fn from_settings(
        smtp_url: Option<(String, String)>,
        mail_from: Option<(String, String)>,
        ca_file: Option<(String, String)>,
    ) -> Result<Option<MailConfig>, ConfigError> {
        Ok(match (smtp_url, mail_from) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(ConfigError::Invalid {
                    setting: "CHORUS_MAIL_FROM".to_owned(),
                    value: String::new(),
                    expected: "the sender of Chorus's email, such as Chorus <chorus@example.org> (needed with CHORUS_SMTP_URL)",
                });
            }
            (None, Some(_)) => {
                return Err(ConfigError::Invalid {
                    setting: "CHORUS_SMTP_URL".to_owned(),
                    value: String::new(),
                    expected: "the SMTP server's address, such as smtp://user:password@mail.example.org:587?tls=required (needed with CHORUS_MAIL_FROM)",
                });
            }
            (Some((setting, value)), Some((from_setting, from_value))) => {
                let smtp_url = Url::parse(value.trim())
                .ok()
                .filter(|url| matches!(url.scheme(), "smtp" | "smtps") && url.host().is_some())
                .filter(|url| {
                    lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url.as_str())
                        .is_ok()
                })
                .ok_or(ConfigError::Invalid {
                    setting,
                    value: "<hidden: it may hold a password>".into(),
                    expected: "smtp://user:password@host:587?tls=required (STARTTLS), smtps://user:password@host:465 (TLS), or smtp://host:25 (a relay on this machine, unencrypted)",
                })?;
                let from = from_value.trim().parse().map_err(|_| ConfigError::Invalid {
                setting: from_setting,
                value: from_value.clone(),
                expected: "an address, with a name if you like: Chorus <chorus@example.org>",
            })?;
                let ca_pem = match ca_file {
                    None => None,
                    Some((setting, path)) => {
                        // lettre reads a file without any certificate as an empty list.
                        let pem = std::fs::read(path.trim()).ok().filter(|pem| {
                            pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----")
                                && lettre::transport::smtp::client::Certificate::from_pem(pem)
                                    .is_ok()
                        });
                        Some(pem.ok_or(ConfigError::Invalid {
                        setting,
                        value: path.clone(),
                        expected: "a PEM file Chorus can read, holding the certificate of the authority that signed the SMTP server's certificate",
                    })?)
                    }
                };
                Some(MailConfig {
                    smtp_url,
                    from,
                    ca_pem,
                })
            }
        })
    }
}
