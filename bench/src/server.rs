//! Servers under test, each a child process on a free port of 127.0.0.1: the real `chorus`
//! release binary, or the baseline (this binary's hidden `baseline-server`). Both announce
//! themselves with one line `... listening on http://ADDR` on stdout.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

use crate::database::BenchDb;

/// A running server process.
#[derive(Debug)]
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    child: Child,
    log_path: PathBuf,
}

impl Server {
    /// Starts `command` (stderr to `log_path`) and waits for its `listening on` line.
    ///
    /// # Errors
    /// The process did not start, or exited or stayed silent for a minute.
    pub async fn start(mut command: Command, log_path: &Path) -> anyhow::Result<Server> {
        let log = std::fs::File::create(log_path)
            .with_context(|| format!("cannot create {}", log_path.display()))?;
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!("cannot start {}", command.as_std().get_program().display())
            })?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("no stdout from the server"))?;
        let mut lines = BufReader::new(stdout).lines();
        let mut startup_output = Vec::new();
        let ready = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some((_, url)) = line.split_once(" listening on http://") {
                    return url.trim_end_matches('/').parse::<SocketAddr>().ok();
                }
                startup_output.push(line);
            }
            None
        })
        .await;
        let Ok(Some(addr)) = ready else {
            let log = std::fs::read_to_string(log_path).unwrap_or_default();
            bail!(
                "the server did not start.\nstdout: {startup_output:?}\nlog ({}):\n{log}",
                log_path.display()
            );
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Server {
            addr,
            child,
            log_path: log_path.to_owned(),
        })
    }

    /// `http://ADDR` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends SIGTERM (as an operator or a service manager would) and waits for the exit.
    ///
    /// # Errors
    /// The signal could not be sent, or the process did not stop within 30 s.
    pub async fn terminate(mut self) -> anyhow::Result<ExitStatus> {
        let pid = self
            .child
            .id()
            .ok_or_else(|| anyhow!("the server exited already"))?;
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .context("cannot run kill")?;
        if !sent.success() {
            bail!("kill -TERM {pid} failed");
        }
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .map_err(|_| {
                anyhow!(
                    "the server did not stop within 30 s of SIGTERM; log: {}",
                    self.log_path.display()
                )
            })??;
        Ok(status)
    }
}

/// The `chorus` binary: `CHORUS_BIN` if set, else `chorus` beside this binary (both live in
/// `target/release/` after `cargo build --release -p chorus-server -p chorus-bench`).
///
/// # Errors
/// The binary is missing, with the command that builds it.
pub fn chorus_bin() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("CHORUS_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().context("cannot find the bench binary's path")?;
    let bin = exe
        .parent()
        .ok_or_else(|| anyhow!("the bench binary has no folder"))?
        .join("chorus");
    if !bin.is_file() {
        bail!(
            "{} is missing: build it first with `cargo build --release -p chorus-server` (same CARGO_TARGET_DIR), or set CHORUS_BIN",
            bin.display()
        );
    }
    Ok(bin)
}

/// `chorus serve [args]` in `dir`, on a free port, on `db` with its secret key; the environment
/// is otherwise the process's own minus any `CHORUS_*`, so that nothing from the shell changes
/// what is measured.
///
/// # Errors
/// See [`Server::start`].
pub async fn start_chorus(
    dir: &Path,
    db: &BenchDb,
    args: &[&str],
    log_name: &str,
) -> anyhow::Result<Server> {
    let mut command = chorus_command(dir, db)?;
    command
        .arg("serve")
        .args(args)
        .env("CHORUS_BIND", "127.0.0.1:0");
    Server::start(command, &dir.join(log_name)).await
}

/// `chorus` in `dir` on `db` with its secret key, and nothing else from the shell's `CHORUS_*`,
/// so that nothing from the shell changes what is measured.
///
/// # Errors
/// No `chorus` binary.
pub fn chorus_command(dir: &Path, db: &BenchDb) -> anyhow::Result<Command> {
    let mut command = Command::new(chorus_bin()?);
    command.current_dir(dir);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("CHORUS_") {
            command.env_remove(name);
        }
    }
    command
        .env("CHORUS_DATABASE_URL", db.url())
        .env("CHORUS_SECRET_KEY", db.secret_key());
    Ok(command)
}
