//! A signed-in browser, as far as the benchmark needs one: it keeps cookies, signs in through
//! the real sign-in form with its CSRF token, submits forms, and hands its cookies to the load
//! generator so that every loaded request is made by that person.

use std::sync::Arc;

use anyhow::{Context as _, anyhow, bail};
use reqwest::cookie::{CookieStore as _, Jar};
use reqwest::redirect::Policy;

/// The demo accounts' password (`chorus serve --demo`).
pub const DEMO_PASSWORD: &str = "chorus-demo-2026";

/// One answer.
#[derive(Debug)]
pub struct Page {
    /// HTTP status.
    pub status: u16,
    /// The `Location` header, or "".
    pub location: String,
    /// The body.
    pub body: String,
}

/// A cookie-keeping client signed in as one person.
#[derive(Debug)]
pub struct Session {
    http: reqwest::Client,
    jar: Arc<Jar>,
    base: url::Url,
    csrf: Option<String>,
}

impl Session {
    /// Signs in as `email` through `/sign-in`.
    ///
    /// # Errors
    /// The server refused the sign-in or could not be reached.
    pub async fn sign_in(base: &str, email: &str, password: &str) -> anyhow::Result<Session> {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()?;
        let mut session = Session {
            http,
            jar,
            base: url::Url::parse(base)?,
            csrf: None,
        };
        session.get("/sign-in").await?;
        let answer = session
            .post_form("/sign-in", &[("email", email), ("password", password)])
            .await?;
        if answer.status != 303 {
            bail!("sign-in as {email} answered {}", answer.status);
        }
        // Signing in gives a new CSRF cookie: as a browser would, load a page for its token.
        session.csrf = None;
        session.get("/account").await?;
        Ok(session)
    }

    /// `GET path`, redirects not followed.
    ///
    /// # Errors
    /// The server could not be reached.
    pub async fn get(&mut self, path: &str) -> anyhow::Result<Page> {
        let response = self.http.get(self.base.join(path)?).send().await?;
        self.read(response).await
    }

    /// Posts a form with this browser's CSRF token, as a browser submitting it.
    ///
    /// # Errors
    /// No page gave a token yet, or the server could not be reached.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> anyhow::Result<Page> {
        let token = self
            .csrf
            .clone()
            .ok_or_else(|| anyhow!("no CSRF token seen before posting to {path}"))?;
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        let response = self
            .http
            .post(self.base.join(path)?)
            .form(&all)
            .send()
            .await?;
        self.read(response).await
    }

    /// The `Cookie` header this browser sends.
    ///
    /// # Errors
    /// The browser holds no cookie.
    pub fn cookie_header(&self) -> anyhow::Result<String> {
        let header = self
            .jar
            .cookies(&self.base)
            .context("the signed-in browser holds no cookie")?;
        Ok(header.to_str()?.to_owned())
    }

    async fn read(&mut self, response: reqwest::Response) -> anyhow::Result<Page> {
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.text().await?;
        if let Some(token) = value_after(&body, r#"name="csrf_token" value=""#) {
            self.csrf = Some(token);
        }
        Ok(Page {
            status,
            location,
            body,
        })
    }
}

/// The attribute value that follows `marker` (which ends with the opening quote).
pub fn value_after(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}
