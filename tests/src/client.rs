//! A cookie-keeping HTTP client that behaves like a browser for forms: it keeps cookies, reads
//! the CSRF token from the pages it loads, and follows redirects only when asked.

use std::sync::{Arc, Mutex};

use reqwest::cookie::{CookieStore as _, Jar};
use reqwest::header::HeaderMap;

/// One answer from the server.
#[derive(Debug, Clone)]
pub struct Page {
    /// HTTP status.
    pub status: u16,
    /// The final URL (after redirects when followed).
    pub url: String,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub body: String,
}

impl Page {
    /// A header's value, or "".
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    /// Every `Set-Cookie` header.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }

    /// Where the page sends the browser next: its `Location`, or its immediate
    /// `<meta http-equiv="refresh">` (Chorus's "continue to your server" page).
    pub fn next(&self) -> String {
        meta_refresh(&self.body).unwrap_or_else(|| self.location())
    }

    /// The `Location` of a redirect.
    pub fn location(&self) -> String {
        self.header("location")
    }

    /// The path of the final URL.
    pub fn path(&self) -> String {
        url::Url::parse(&self.url)
            .map(|u| u.path().to_owned())
            .unwrap_or_default()
    }
}

/// Finds the CSRF token in a page's forms.
pub fn csrf_token(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

/// A browser-like client.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    jar: Arc<Jar>,
    base: String,
    csrf: Arc<Mutex<Option<String>>>,
    accept_language: Arc<Mutex<Option<String>>>,
    forwarded_for: Arc<Mutex<Option<String>>>,
}

impl Client {
    /// A client with no cookies.
    pub fn new(base: &str) -> Client {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("an HTTP client");
        Client {
            http,
            jar,
            base: base.to_owned(),
            csrf: Arc::default(),
            accept_language: Arc::default(),
            forwarded_for: Arc::default(),
        }
    }

    /// Sends `X-Forwarded-For` from now on, as a reverse proxy in front of Chorus would.
    pub fn set_forwarded_for(&self, value: &str) {
        *self.forwarded_for.lock().unwrap() = Some(value.to_owned());
    }

    /// Sends `Accept-Language` from now on.
    pub fn set_accept_language(&self, value: &str) {
        *self.accept_language.lock().unwrap() = Some(value.to_owned());
    }

    /// The value of one cookie this client holds.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = url::Url::parse(&self.base).ok()?;
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }

    /// The underlying reqwest client (shares the cookies), for requests a form cannot send.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The absolute URL of a path.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    async fn read(&self, response: reqwest::Response) -> Page {
        let page = Page {
            status: response.status().as_u16(),
            url: response.url().to_string(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap_or_default(),
        };
        // A new CSRF cookie (as at sign-in) makes earlier tokens worthless, as in a browser,
        // whose next page carries the new one.
        let new_cookie = page
            .headers
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| v.starts_with("chorus_csrf=")));
        if let Some(token) = csrf_token(&page.body) {
            *self.csrf.lock().unwrap() = Some(token);
        } else if new_cookie {
            *self.csrf.lock().unwrap() = None;
        }
        page
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut builder = self.http.request(method, self.url(path));
        if let Some(lang) = self.accept_language.lock().unwrap().clone() {
            builder = builder.header("accept-language", lang);
        }
        if let Some(forwarded) = self.forwarded_for.lock().unwrap().clone() {
            builder = builder.header("x-forwarded-for", forwarded);
        }
        builder
    }

    /// `GET path`, without following redirects.
    pub async fn get(&self, path: &str) -> Page {
        let response = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .expect("GET");
        self.read(response).await
    }

    /// `GET path`, following redirects like a browser.
    pub async fn get_follow(&self, path: &str) -> Page {
        let page = self.get(path).await;
        self.follow(page).await
    }

    /// Follows redirects from `page`, and an immediate `<meta http-equiv="refresh">` as a
    /// browser does (Chorus's "continue to your server" page).
    pub async fn follow(&self, mut page: Page) -> Page {
        for _ in 0..10 {
            let refresh = meta_refresh(&page.body);
            if !(300..400).contains(&page.status) && refresh.is_none() {
                return page;
            }
            let target = refresh.unwrap_or_else(|| page.location());
            let next = url::Url::parse(&page.url)
                .and_then(|u| u.join(&target))
                .expect("a valid Location");
            page = self.get(next.as_str()).await;
        }
        panic!("too many redirects");
    }

    /// Starts connecting an account as the accounts page does: posts the connect form of
    /// `path` (`?instance=` for Mastodon becomes the form's field). The answer is the page that
    /// sends the person on to the network ([`Page::next`]), or back to the accounts page.
    pub async fn connect(&self, path: &str) -> Page {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let fields: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.post_form(path, &pairs).await
    }

    /// [`Client::connect`], then on through the network and back, as a browser goes.
    pub async fn connect_follow(&self, path: &str) -> Page {
        let page = self.connect(path).await;
        self.follow(page).await
    }

    /// The CSRF token this client last saw, loading a page to get one if needed.
    pub async fn token(&self) -> String {
        if let Some(token) = self.csrf.lock().unwrap().clone() {
            return token;
        }
        let page = self.get_follow("/").await;
        csrf_token(&page.body)
            .unwrap_or_else(|| panic!("no CSRF token on {}: {}", page.url, page.body))
    }

    /// Writes an item through the editor's form with `fields` (title, body, why, link,
    /// language...), publishes it, and returns its id. The client must be an editor.
    pub async fn publish_item(&self, fields: &[(&str, &str)]) -> i32 {
        let created = self.post_form("/editor/items", fields).await;
        let item: i32 = created
            .location()
            .trim_start_matches("/editor/items/")
            .split('?')
            .next()
            .unwrap()
            .parse()
            .unwrap_or_else(|_| panic!("item created: {} {}", created.status, created.body));
        let page = self.get(&format!("/editor/items/{item}")).await;
        let marker = r#"name="version" value=""#;
        let start = page.body.find(marker).unwrap() + marker.len();
        let version = page.body[start..start + page.body[start..].find('"').unwrap()].to_owned();
        let published = self
            .post_form(
                &format!("/editor/items/{item}/action"),
                &[("action", "publish"), ("version", &version)],
            )
            .await;
        assert_eq!(published.status, 303, "published: {}", published.body);
        item
    }

    /// The id of this person's account on `network`, read from the personalise page of `item`.
    pub async fn share_account_id(&self, item: i32, network: &str) -> String {
        let page = self.get(&format!("/hub/items/{item}/share")).await;
        let at = page
            .body
            .find(&format!(r#"data-measure="{network}""#))
            .unwrap_or_else(|| panic!("no {network} editor: {}", page.body));
        let before = &page.body[..at];
        let start = before.rfind(r#"name="text_"#).unwrap() + r#"name="text_"#.len();
        before[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect()
    }

    /// Posts a form with the CSRF token, like a browser submitting it. Does not follow the
    /// redirect that usually answers.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.token().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Posts a form exactly as given (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let response = self
            .request(reqwest::Method::POST, path)
            .form(fields)
            .send()
            .await
            .expect("POST");
        self.read(response).await
    }

    /// Signs in through the sign-in form; returns the answer (303 on success).
    pub async fn sign_in(&self, email: &str, password: &str) -> Page {
        let form = self.get("/sign-in").await;
        assert!(
            form.status == 200 || form.status == 303,
            "sign-in page: {}",
            form.status
        );
        self.post_form("/sign-in", &[("email", email), ("password", password)])
            .await
    }

    /// Accepts the current guidelines (opt-in), as the join page offers.
    pub async fn join(&self) -> Page {
        let page = self.get("/hub/join").await;
        assert_eq!(page.status, 200, "join page: {}", page.body);
        let marker = r#"name="version" value=""#;
        let start = page.body.find(marker).expect("the join form") + marker.len();
        let version =
            page.body[start..start + page.body[start..].find('"').unwrap_or(0)].to_owned();
        let answer = self.post_form("/hub/join", &[("version", &version)]).await;
        assert_eq!(
            answer.location(),
            "/hub/welcome?joined=1",
            "join failed: {}",
            answer.body
        );
        answer
    }

    /// Signs out through the navigation's form.
    pub async fn sign_out(&self) -> Page {
        self.post_form("/sign-out", &[]).await
    }
}

/// The target of an immediate `<meta http-equiv="refresh" content="0; url=...">`, unescaped.
pub fn meta_refresh(body: &str) -> Option<String> {
    let marker = r#"<meta http-equiv="refresh" content="0; url="#;
    let start = body.find(marker)? + marker.len();
    let end = start + body[start..].find('"')?;
    Some(body[start..end].replace("&amp;", "&"))
}
