//! Real headless Chromium, driven through chromedriver's WebDriver protocol. Only the few
//! commands the tests need are here; each maps one-to-one onto a WebDriver endpoint.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// The element reference key of the W3C WebDriver protocol.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One browser session.
#[derive(Debug)]
pub struct Browser {
    http: reqwest::Client,
    session: String,
    endpoint: String,
    /// The phone-or-desktop viewport the session started with.
    width: u32,
    height: u32,
    /// chromedriver's process group, which the Chromium it starts joins.
    group: u32,
    _driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    /// Kills chromedriver's process group: killing chromedriver alone left its Chromium
    /// running (about 200 MB with its renderers) until the machine stopped, dozens per test run.
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.group)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// `test-artifacts/` at the workspace root, where screenshots go.
fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-artifacts");
    std::fs::create_dir_all(&dir).expect("artifacts folder");
    dir
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a fresh profile, `width` pixels wide,
    /// asking for English pages.
    pub async fn start(width: u32, height: u32) -> Browser {
        Browser::start_in(width, height, "en-US,en").await
    }

    /// Like [`Browser::start`], with the browser's `Accept-Language` set to `languages`.
    pub async fn start_in(width: u32, height: u32, languages: &str) -> Browser {
        let driver_path = find_program(&["chromedriver"]).expect(
            "chromedriver is not installed: ./scripts/test installs Debian's chromium and chromium-driver",
        );
        let chromium = find_program(&["chromium", "chromium-browser"])
            .expect("chromium is not installed: ./scripts/test installs it");
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            listener.local_addr().expect("address").port()
        };
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .expect("start chromedriver");
        let group = driver.id().expect("chromedriver's process id");
        let endpoint = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client");
        let mut ready = false;
        for _ in 0..100 {
            if let Ok(response) = http.get(format!("{endpoint}/status")).send().await
                && response.status().is_success()
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "chromedriver did not start");
        let profile = tempfile::tempdir().expect("a profile folder");
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            &format!("--window-size={width},{height}"),
            &format!("--lang={}", languages.split(',').next().unwrap_or("en-US")),
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": args,
                "prefs": {"intl.accept_languages": languages},
                // Headless windows are at least 500 px wide: emulate the phone's viewport.
                "mobileEmulation": {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0}},
            },
        }}});
        let response: Value = http
            .post(format!("{endpoint}/session"))
            .json(&capabilities)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session JSON");
        let session = response["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {response}"))
            .to_owned();
        Browser {
            http,
            session,
            endpoint,
            width,
            height,
            group,
            _driver: driver,
            _profile: profile,
        }
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.endpoint, self.session);
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response: Value = request
            .send()
            .await
            .expect("WebDriver call")
            .json()
            .await
            .expect("WebDriver JSON");
        if let Some(error) = response["value"]["error"].as_str() {
            panic!(
                "WebDriver {path}: {error}: {}",
                response["value"]["message"]
            );
        }
        response["value"].clone()
    }

    /// Signs in through the sign-in form at `sign_in_url` and waits to land on `lands_on`.
    pub async fn sign_in(&self, sign_in_url: &str, email: &str, password: &str, lands_on: &str) {
        self.goto(sign_in_url).await;
        self.type_into("#email", email).await;
        self.type_into("#password", password).await;
        self.click("button[type=submit].primary").await;
        self.wait_for(&format!("return location.pathname === '{lands_on}';"))
            .await;
    }

    /// Opens a URL and waits for the page to load.
    pub async fn goto(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    /// The current URL.
    pub async fn current_url(&self) -> String {
        self.command(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn element(&self, css: &str) -> String {
        let value = self
            .command(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        value[ELEMENT_KEY]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_owned()
    }

    /// Types text into the element matching `css`.
    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// The visible text of the element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let id = self.element(css).await;
        self.command(reqwest::Method::GET, &format!("/element/{id}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Runs a script in the page and returns its result.
    pub async fn execute(&self, script: &str) -> Value {
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Runs an asynchronous script (its last argument is the callback) and returns its result.
    pub async fn execute_async(&self, script: &str) -> Value {
        self.command(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Runs axe-core (WCAG 2.1 A and AA rules) on the current page and returns the violations
    /// as `rule: selectors` lines; empty when the page passes.
    pub async fn accessibility_violations(&self) -> Vec<String> {
        let axe_path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/node_modules/axe-core/axe.min.js");
        let axe = std::fs::read_to_string(&axe_path).unwrap_or_else(|_| {
            panic!(
                "{} is missing: ./scripts/test installs it",
                axe_path.display()
            )
        });
        self.execute(&format!("{axe}\nreturn true;")).await;
        let result = self
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})
                    .then(r => done(r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
                    .catch(e => done(['axe failed: ' + e]));",
            )
            .await;
        let items = result
            .as_array()
            .unwrap_or_else(|| panic!("axe returned no list: {result}"));
        items
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Waits until `condition` (a script returning a boolean) holds, or panics after 10 s.
    pub async fn wait_for(&self, condition: &str) {
        for _ in 0..100 {
            if self.execute(condition).await.as_bool() == Some(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("timed out waiting for: {condition}");
    }

    /// Saves a PNG screenshot of the viewport under `test-artifacts/` at the workspace root.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let data = self
            .command(reqwest::Method::GET, "/screenshot", None)
            .await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or_default())
            .expect("a base64 PNG");
        let path = artifacts().join(format!("{name}.png"));
        std::fs::write(&path, bytes).expect("write screenshot");
        path
    }

    /// Runs a Chrome DevTools Protocol command through chromedriver.
    pub async fn devtools(&self, cmd: &str, params: Value) -> Value {
        self.command(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(json!({"cmd": cmd, "params": params})),
        )
        .await
    }

    async fn emulate(&self, width: u32, height: u32, mobile: bool, dark: bool) {
        self.devtools(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}),
        )
        .await;
        self.devtools(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": if dark { "dark" } else { "light" }}]}),
        )
        .await;
    }

    /// Saves the whole page (up to 6000 px tall) as PNG screenshots, as a person would see it on
    /// a 390 px phone and on a 1280 px desktop, each in light and dark mode:
    /// `test-artifacts/{name}-{width}-{light|dark}.png`. The session's viewport comes back after.
    pub async fn screenshots(&self, name: &str) -> Vec<PathBuf> {
        let mut saved = Vec::new();
        for (width, height, mobile) in [(390, 844, true), (1280, 800, false)] {
            for dark in [false, true] {
                self.emulate(width, height, mobile, dark).await;
                let scheme = if dark { "dark" } else { "light" };
                saved.push(
                    self.save_screenshot(&format!("{name}-{width}-{scheme}"), width, height)
                        .await,
                );
            }
        }
        self.emulate(self.width, self.height, self.width < 700, false)
            .await;
        saved
    }

    /// Saves the whole page as it is laid out now (at least `height`, at most 6000 px tall) as
    /// `test-artifacts/{file}.png`, `width` pixels wide.
    async fn save_screenshot(&self, file: &str, width: u32, height: u32) -> PathBuf {
        let metrics = self.devtools("Page.getLayoutMetrics", json!({})).await;
        let tall = metrics["cssContentSize"]["height"]
            .as_f64()
            .unwrap_or(f64::from(height))
            .clamp(f64::from(height), 6000.0);
        let shot = self
            .devtools(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true,
                       "clip": {"x": 0, "y": 0, "width": width, "height": tall, "scale": 1}}),
            )
            .await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap_or_default())
            .expect("a base64 PNG");
        let path = artifacts().join(format!("{file}.png"));
        std::fs::write(&path, bytes).expect("write screenshot");
        path
    }

    /// Looks at the page as people will: on a 390 px phone and a 1280 px desktop, in light and
    /// dark mode, saving each view as `test-artifacts/{name}-{width}-{light|dark}.png`, and
    /// answers what is wrong in any of them: axe-core's violations (colour contrast included,
    /// which differs between the schemes) and a page wider than the screen.
    pub async fn inspect(&self, name: &str) -> Vec<String> {
        let mut problems = Vec::new();
        for (width, height, mobile) in [(390, 844, true), (1280, 800, false)] {
            for dark in [false, true] {
                let scheme = if dark { "dark" } else { "light" };
                self.emulate(width, height, mobile, dark).await;
                let fits = self
                    .execute("return document.documentElement.scrollWidth <= window.innerWidth;")
                    .await;
                if fits != Value::Bool(true) {
                    problems.push(format!("{name} {width} {scheme}: wider than the screen"));
                }
                for violation in self.accessibility_violations().await {
                    problems.push(format!("{name} {width} {scheme}: {violation}"));
                }
                self.save_screenshot(&format!("{name}-{width}-{scheme}"), width, height)
                    .await;
            }
        }
        self.emulate(self.width, self.height, self.width < 700, false)
            .await;
        problems
    }

    /// Ends the session (the driver process ends with the value).
    pub async fn quit(self) {
        let url = format!("{}/session/{}", self.endpoint, self.session);
        let _ = self.http.delete(url).send().await;
    }
}
