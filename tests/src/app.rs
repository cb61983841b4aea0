//! [`TestApp`]: the real `chorus serve` process on a free port, with a database of its own.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::process::{Child, Command};

use crate::client::Client;
use crate::db::TestDb;

/// The `chorus` binary under test: `CHORUS_BIN` if set, else the `chorus-e2e` binary that
/// cargo builds beside the test executable (`target/<profile>/`) before running the tests.
pub fn chorus_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("CHORUS_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the test executable's path");
    let profile_dir = exe
        .parent()
        .and_then(std::path::Path::parent)
        .expect("target/<profile>/deps");
    let bin = profile_dir.join("chorus-e2e");
    assert!(
        bin.is_file(),
        "{} is missing: run the tests through cargo",
        bin.display()
    );
    bin
}

/// How to start the server.
#[derive(Debug, Default, Clone)]
pub struct TestAppOptions {
    /// Extra `CHORUS_*` variables.
    pub env: Vec<(String, String)>,
    /// Extra arguments after `serve` (such as `--demo`).
    pub args: Vec<String>,
}

impl TestAppOptions {
    /// Adds one environment variable.
    #[must_use]
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Adds one argument.
    #[must_use]
    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_owned());
        self
    }
}

/// What a CLI command printed.
#[derive(Debug)]
pub struct CliOutput {
    /// Whether it exited with 0.
    pub success: bool,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

/// A running Chorus server.
#[derive(Debug)]
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// What the server printed on stdout before it was ready.
    pub startup_output: Vec<String>,
    child: Option<Child>,
    env: Vec<(String, String)>,
    log_path: PathBuf,
    // Dropped after the child is killed (fields drop in order).
    db: TestDb,
    dir: tempfile::TempDir,
}

impl TestApp {
    /// Starts a server with an empty database.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(TestAppOptions::default()).await
    }

    /// Starts a server with extra settings.
    pub async fn spawn_with(options: TestAppOptions) -> TestApp {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let db = TestDb::create(dir.path()).await;
        let mut env = vec![
            ("CHORUS_DATABASE_URL".to_owned(), db.url().to_owned()),
            ("CHORUS_BIND".to_owned(), "127.0.0.1:0".to_owned()),
            (
                "CHORUS_SECRET_KEY".to_owned(),
                "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMDEyMzQ=".to_owned(),
            ),
            ("CHORUS_LOG".to_owned(), "info,sqlx=warn".to_owned()),
        ];
        env.extend(options.env.iter().cloned());
        let log_path = dir.path().join("server.log");
        let mut app = TestApp {
            base_url: String::new(),
            startup_output: Vec::new(),
            child: None,
            env,
            log_path,
            db,
            dir,
        };
        app.start(&options.args).await;
        app
    }

    async fn start(&mut self, args: &[String]) {
        let (child, url, output) = launch(&self.env, self.dir.path(), args, &self.log_path).await;
        self.startup_output = output;
        self.base_url = url;
        self.child = Some(child);
    }

    /// Starts another `chorus serve` process on the same database and settings, as a second
    /// instance behind a load balancer would run; it stops when the value is dropped.
    pub async fn another_server(&self, name: &str) -> OtherServer {
        let log_path = self.dir.path().join(format!("server-{name}.log"));
        let (child, base_url, _) = launch(&self.env, self.dir.path(), &[], &log_path).await;
        OtherServer {
            base_url,
            _child: child,
        }
    }

    /// An absolute URL on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Whether the test runs on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.db.is_postgres()
    }

    /// The database URL the server uses.
    pub fn database_url(&self) -> &str {
        self.db.url()
    }

    /// The test's own folder (the server's working folder).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// The publishing passes of this server's worker that ended with nothing left due
    /// (`chorus_worker_idle_passes` in `/metrics`).
    pub async fn worker_idle_passes(&self) -> u64 {
        worker_idle_passes(&self.base_url).await
    }

    /// Waits until the worker has finished two more passes with nothing left due: every share
    /// that was due (a retry included) has then been attempted, so counting posts afterwards
    /// shows whether anything went out twice. A condition, not a fixed sleep.
    pub async fn wait_for_worker_to_settle(&self) {
        wait_for_worker_to_settle(&self.base_url).await;
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Runs `chorus ARGS` against the same database and settings.
    pub async fn cli(&self, args: &[&str], stdin: Option<&str>) -> CliOutput {
        run_cli(&self.env, self.dir.path(), args, stdin).await
    }

    /// Creates an account through the CLI with [`crate::PASSWORD`].
    pub async fn add_user(&self, email: &str, name: &str, roles: &str) {
        let out = self
            .cli(
                &[
                    "user",
                    "add",
                    "--email",
                    email,
                    "--name",
                    name,
                    "--role",
                    roles,
                    "--password-stdin",
                ],
                Some(&format!("{}\n", crate::PASSWORD)),
            )
            .await;
        assert!(out.success, "user add failed: {}", out.stderr);
    }

    /// A fresh cookie-keeping client.
    pub fn client(&self) -> Client {
        Client::new(&self.base_url)
    }

    /// Creates an account and returns a client signed in as it.
    pub async fn signed_in(&self, email: &str, roles: &str) -> Client {
        self.add_user(email, email.split('@').next().unwrap_or(email), roles)
            .await;
        let client = self.client();
        let page = client.sign_in(email, crate::PASSWORD).await;
        assert_eq!(page.status, 303, "sign-in of {email} failed: {}", page.body);
        client
    }

    /// Creates an ambassador who accepted the current guidelines, signed in.
    pub async fn ambassador(&self, email: &str) -> Client {
        let client = self.signed_in(email, "ambassador").await;
        client.join().await;
        client
    }

    /// Sends SIGTERM and waits for the process to exit; returns whether it exited with 0.
    pub async fn terminate(&mut self) -> bool {
        let mut child = self.child.take().expect("the server is running");
        let pid = child.id().expect("a process id").to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(sent.success());
        let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
            .await
            .expect("chorus stops within 20 s of SIGTERM")
            .expect("wait for chorus");
        status.success()
    }

    /// Starts a `chorus worker` process on the same database, with extra settings.
    pub fn spawn_worker(&self, name: &str, extra: &[(&str, &str)]) -> WorkerProcess {
        let log_path = self.dir.path().join(format!("worker-{name}.log"));
        let log = std::fs::File::create(&log_path).expect("worker log");
        let child = Command::new(chorus_bin())
            .arg("worker")
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().cloned())
            // Links in the email it sends point at the server, as in production.
            .env("CHORUS_BASE_URL", self.url("/"))
            .envs(
                extra
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
            )
            .env("CHORUS_WORKER", "true")
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("start a worker");
        WorkerProcess { child, log_path }
    }

    /// Changes one setting for the next start and the next CLI commands.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
    }

    /// Starts the server again on the same database (after [`TestApp::terminate`]).
    pub async fn restart(&mut self, args: &[&str]) {
        assert!(self.child.is_none(), "stop the server first");
        self.startup_output.clear();
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        self.start(&args).await;
    }
}

/// Starts `chorus serve ARGS` with exactly these settings and waits until it listens.
async fn launch(
    env: &[(String, String)],
    dir: &std::path::Path,
    args: &[String],
    log_path: &std::path::Path,
) -> (Child, String, Vec<String>) {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .expect("server log file");
    let mut child = Command::new(chorus_bin())
        .arg("serve")
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().cloned())
        .stdout(Stdio::piped())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("start chorus");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut output = Vec::new();
    let ready = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(Some(line)) = lines.next_line().await {
            output.push(line.clone());
            if let Some(url) = line.strip_prefix("chorus listening on ") {
                return Some(url.to_owned());
            }
        }
        None
    })
    .await;
    let Ok(Some(url)) = ready else {
        panic!(
            "chorus did not start.\nstdout: {output:?}\nlog:\n{}",
            std::fs::read_to_string(log_path).unwrap_or_default()
        );
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url, output)
}

/// A second `chorus serve` process on a [`TestApp`]'s database.
#[derive(Debug)]
pub struct OtherServer {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    _child: Child,
}

impl OtherServer {
    /// [`TestApp::wait_for_worker_to_settle`], for this server's own worker.
    pub async fn wait_for_worker_to_settle(&self) {
        wait_for_worker_to_settle(&self.base_url).await;
    }
}

/// The worker passes with nothing left due that the server at `base_url` counted.
async fn worker_idle_passes(base_url: &str) -> u64 {
    let metrics = Client::new(base_url).get("/metrics").await;
    metrics
        .body
        .lines()
        .find_map(|line| line.strip_prefix("chorus_worker_idle_passes_total "))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no worker pass counter in /metrics:\n{}", metrics.body))
}

/// Waits (up to 30 s) until the worker of the server at `base_url` has finished two more
/// passes with nothing left due.
async fn wait_for_worker_to_settle(base_url: &str) {
    let start = worker_idle_passes(base_url).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while worker_idle_passes(base_url).await < start + 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the worker did not finish two passes in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs the `chorus` command with exactly these settings.
pub async fn run_cli(
    env: &[(String, String)],
    dir: &std::path::Path,
    args: &[&str],
    stdin: Option<&str>,
) -> CliOutput {
    let mut child = Command::new(chorus_bin())
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().cloned())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run chorus");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).await.expect("write stdin");
    }
    drop(input);
    let output = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("the command finishes")
        .expect("the command runs");
    CliOutput {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
        }
        if std::thread::panicking() {
            eprintln!("---- chorus log ----\n{}", self.log());
        }
    }
}

/// A `chorus worker` process started by a test.
#[derive(Debug)]
pub struct WorkerProcess {
    child: Child,
    log_path: PathBuf,
}

impl WorkerProcess {
    /// What it logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Waits up to `timeout` for `needle` in its log.
    pub async fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            if self.log().contains(needle) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    /// SIGKILL: no cleanup, no graceful shutdown.
    pub async fn kill(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}
