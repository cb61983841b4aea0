//! The load generator: a fixed number of keep-alive HTTP/1.1 connections, each sending one
//! request after the other as fast as the server answers (a closed loop), redirects never
//! followed. Every request of the measured window is timed; the warm-up's are only counted.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HOST, HeaderName, HeaderValue};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// Warm-up before the measured window: connections open, caches fill, the CPU settles.
pub const WARM_UP: Duration = Duration::from_secs(2);

/// The machine the figures come from: the load generator shares its CPUs with the server, and
/// on a shared machine the load average says whether anything else was running.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    format!(
        "{cpus} CPUs shared by the server and the load generator, load average {load} (1 min) at start"
    )
}

/// The one request every connection sends, again and again.
#[derive(Debug, Clone)]
pub struct Probe {
    /// Path and query (`/l/abc`).
    pub path: String,
    /// Headers sent with it besides `Host` (`Cookie`, `User-Agent`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The status that counts as a success; anything else is an error.
    pub expect: StatusCode,
}

/// What the load produced.
#[derive(Debug, Default)]
pub struct Report {
    /// Latencies of the successful requests of the measured window, sorted, in nanoseconds.
    latencies: Vec<u64>,
    /// Failed requests (transport failure or unexpected status) in the measured window.
    pub errors: u64,
    /// Successful requests over the whole run, warm-up included.
    pub total_ok: u64,
    /// Failed requests over the whole run, warm-up included.
    pub total_errors: u64,
    /// Length of the measured window in seconds.
    seconds: f64,
}

impl Report {
    /// Successful requests per second in the measured window.
    pub fn requests_per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.seconds
    }

    /// The latency at percentile `p` (nearest rank), in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let n = self.latencies.len() as f64;
        let rank = (p / 100.0 * n).ceil().clamp(1.0, n);
        // Reason: rank is between 1 and n, an exact small integer.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let index = rank as usize - 1;
        self.latencies[index] as f64 / 1e6
    }

    /// The slowest successful request of the measured window, in milliseconds.
    pub fn max_ms(&self) -> f64 {
        self.latencies.last().map_or(f64::NAN, |l| *l as f64 / 1e6)
    }

    /// One line of figures.
    pub fn line(&self, name: &str) -> String {
        format!(
            "{name:<36} {:>9.0} req/s   p50 {:>7.3} ms   p99 {:>7.3} ms   max {:>8.3} ms   errors {}",
            self.requests_per_second(),
            self.percentile_ms(50.0),
            self.percentile_ms(99.0),
            self.max_ms(),
            self.errors,
        )
    }
}

/// One connection's share of the figures.
#[derive(Debug, Default)]
struct Tally {
    latencies: Vec<u64>,
    errors: u64,
    total_ok: u64,
    total_errors: u64,
}

/// Runs `connections` closed loops against `addr` for the warm-up plus `seconds`.
///
/// # Errors
/// A connection task that panicked.
pub async fn run(
    addr: SocketAddr,
    probe: &Probe,
    connections: usize,
    seconds: u64,
) -> anyhow::Result<Report> {
    let probe = Arc::new(probe.clone());
    let host = HeaderValue::from_str(&addr.to_string())?;
    let warm_end = Instant::now() + WARM_UP;
    let end = warm_end + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(drive(addr, host.clone(), probe.clone(), warm_end, end)))
        .collect();
    let mut report = Report {
        seconds: seconds as f64,
        ..Report::default()
    };
    for task in tasks {
        let tally = task
            .await
            .context("a load connection stopped unexpectedly")?;
        report.latencies.extend(tally.latencies);
        report.errors += tally.errors;
        report.total_ok += tally.total_ok;
        report.total_errors += tally.total_errors;
    }
    report.latencies.sort_unstable();
    Ok(report)
}

async fn connect(addr: SocketAddr) -> anyhow::Result<SendRequest<Empty<Bytes>>> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

/// One keep-alive connection's loop; it reconnects when the server closes the connection.
async fn drive(
    addr: SocketAddr,
    host: HeaderValue,
    probe: Arc<Probe>,
    warm_end: Instant,
    end: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let mut open: Option<SendRequest<Empty<Bytes>>> = None;
    while Instant::now() < end {
        let mut sender = match open.take() {
            Some(sender) => sender,
            None => match connect(addr).await {
                Ok(sender) => sender,
                Err(_) => {
                    tally.record_error(Instant::now() >= warm_end);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        // A connection the server closed between requests is reopened; that is no error.
        if sender.ready().await.is_err() {
            continue;
        }
        let started = Instant::now();
        let measured = started >= warm_end;
        match exchange(&mut sender, &host, &probe).await {
            Ok(status) if status == probe.expect => {
                let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
                tally.total_ok += 1;
                if measured {
                    tally.latencies.push(nanos);
                }
                open = Some(sender);
            }
            Ok(_) => {
                tally.record_error(measured);
                open = Some(sender);
            }
            Err(_) => tally.record_error(measured),
        }
    }
    tally
}

impl Tally {
    fn record_error(&mut self, measured: bool) {
        self.total_errors += 1;
        if measured {
            self.errors += 1;
        }
    }
}

/// Sends the probe and reads the whole answer.
async fn exchange(
    sender: &mut SendRequest<Empty<Bytes>>,
    host: &HeaderValue,
    probe: &Probe,
) -> anyhow::Result<StatusCode> {
    let mut request = Request::get(probe.path.as_str()).header(HOST, host.clone());
    for (name, value) in &probe.headers {
        request = request.header(name, value);
    }
    let response = sender.send_request(request.body(Empty::new())?).await?;
    let status = response.status();
    response.into_body().collect().await?;
    Ok(status)
}
