//! Email through SMTP with `lettre`: multipart text and HTML in the person's language, with a
//! one-click unsubscribe (RFC 8058) that needs no session. The bodies are tera templates
//! (`email/notice.txt`, `email/notice.html`); nothing in them is tracked.

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Tokio1Executor};

use crate::config::MailConfig;
use crate::i18n::Locale;

/// One message, its words already in the person's language.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Message {
    /// The person's address.
    pub to: String,
    /// Their name.
    pub name: String,
    /// Their language.
    #[serde(skip)]
    pub locale: Locale,
    /// The subject.
    pub subject: String,
    /// The first paragraph: what happened.
    pub lede: String,
    /// Items listed under it (a digest's new items, an announced item).
    pub items: Vec<Line>,
    /// The button's words.
    pub action: String,
    /// Where it goes (a Chorus page).
    pub action_url: String,
    /// Why they receive it.
    pub why: String,
    /// Their notification choices.
    pub prefs_url: String,
    /// One-click unsubscribe (no session needed).
    pub unsubscribe_url: String,
}

/// One item in a message: its title and its page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Line {
    /// Its title.
    pub title: String,
    /// Its page in the hub.
    pub url: String,
}

/// Why a message could not be handed to the SMTP server.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The message could not be built (an address that does not parse).
    #[error("the message could not be built: {0}")]
    Build(String),
    /// The server refused it or could not be reached.
    #[error("the SMTP server: {0}")]
    Smtp(String),
}

/// A message as its templates read it: the message and its language.
#[derive(serde::Serialize)]
struct EmailView<'a> {
    #[serde(flatten)]
    message: &'a Message,
    lang: &'static str,
}

/// Builds the message (both parts rendered from the templates).
///
/// # Errors
/// [`SendError::Build`].
pub fn build(
    from: &Mailbox,
    views: &crate::views::Views,
    message: &Message,
) -> Result<lettre::Message, SendError> {
    let view = EmailView {
        message,
        lang: message.locale.tag(),
    };
    let context =
        tera::Context::from_serialize(&view).map_err(|e| SendError::Build(e.to_string()))?;
    let text = views
        .render(message.locale, "email/notice.txt", &context)
        .map_err(|e| SendError::Build(e.to_string()))?;
    let html = views
        .render(message.locale, "email/notice.html", &context)
        .map_err(|e| SendError::Build(e.to_string()))?;
    let to = Mailbox::new(
        Some(message.name.clone()),
        message
            .to
            .parse()
            .map_err(|e: lettre::address::AddressError| SendError::Build(e.to_string()))?,
    );
    lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(message.subject.clone())
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Content-Language"),
            message.locale.tag().to_owned(),
        ))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            format!("<{}>", message.unsubscribe_url),
        ))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click".to_owned(),
        ))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_owned(),
        ))
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| SendError::Build(e.to_string()))
}

/// Hands a message to the SMTP server.
///
/// # Errors
/// [`SendError`].
pub async fn send(
    mail: &MailConfig,
    views: &crate::views::Views,
    message: &Message,
) -> Result<(), SendError> {
    let built = build(&mail.from, views, message)?;
    let smtp = |e: lettre::transport::smtp::Error| SendError::Smtp(e.to_string());
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(mail.smtp_url.as_str())
        .map_err(smtp)?
        .timeout(Some(std::time::Duration::from_secs(20)));
    if let (Some(pem), Some(host)) = (&mail.ca_pem, mail.smtp_url.host_str()) {
        // The same TLS as the address asks for, trusting the configured authority too.
        use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
        let parameters = TlsParameters::builder(host.to_owned())
            .add_root_certificate(Certificate::from_pem(pem).map_err(smtp)?)
            .build_rustls()
            .map_err(smtp)?;
        let tls = mail
            .smtp_url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        transport = match (mail.smtp_url.scheme(), tls.as_deref()) {
            ("smtps", _) => transport.tls(Tls::Wrapper(parameters)),
            (_, Some("required")) => transport.tls(Tls::Required(parameters)),
            (_, Some("opportunistic")) => transport.tls(Tls::Opportunistic(parameters)),
            _ => transport,
        };
    }
    let transport = transport.build();
    transport
        .send(built)
        .await
        .map(|_| ())
        .map_err(|e| SendError::Smtp(e.to_string()))
}
