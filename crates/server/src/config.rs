//! Configuration: one typed struct, read from an optional `chorus.toml` and then from
//! `CHORUS_*` environment variables (which win). Every value is checked at start-up; a bad one
//! stops Chorus with a message that names the setting and the form it expects.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore as _;
use url::Url;

/// Where the default SQLite database lives.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://chorus.db?mode=rwc";
/// The default listening address.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// A setting that could not be used, with what was expected.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value did not have the expected form.
    #[error("configuration setting {setting} has an invalid value {value:?}: expected {expected}")]
    Invalid {
        /// The setting's name as the user writes it (`CHORUS_BIND`).
        setting: String,
        /// What was given (never a secret: secrets are shown as `<hidden>`).
        value: String,
        /// The form the setting takes.
        expected: &'static str,
    },
    /// The TOML file could not be read or parsed.
    #[error("configuration file {path} could not be read: {reason}")]
    File {
        /// The file's path.
        path: String,
        /// Why.
        reason: String,
    },
    /// The secret key file could not be created or read.
    #[error("secret key file {path}: {reason}")]
    KeyFile {
        /// The file's path.
        path: String,
        /// Why.
        reason: String,
    },
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The 32-byte key that signs CSRF tokens and encrypts tokens at rest. Never printed.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    /// The raw key bytes.
    #[must_use]
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn parse(text: &str) -> Option<Self> {
        let bytes = STANDARD.decode(text.trim()).ok()?;
        <[u8; 32]>::try_from(bytes.as_slice()).ok().map(SecretKey)
    }

    fn generate() -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        SecretKey(key)
    }

    fn encode(&self) -> String {
        STANDARD.encode(self.0)
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<hidden>)")
    }
}

/// Where the secret key came from, so start-up can say so in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `CHORUS_SECRET_KEY` or `secret_key` in the file.
    Configured,
    /// Read from the key file beside the database.
    File(PathBuf),
    /// Generated now and written to the key file.
    Generated(PathBuf),
}

/// The whole configuration of one `chorus` process.
#[derive(Debug, Clone)]
pub struct Config {
    /// Database URL: `sqlite://path?mode=rwc` or `postgres://user@host/db`.
    pub database_url: String,
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// The address people use to reach Chorus; decides Secure cookies and absolute links.
    pub base_url: Url,
    /// Whether `base_url` was configured (otherwise it follows the bound address).
    pub base_url_configured: bool,
    /// The key for CSRF tokens and for encrypting tokens at rest.
    pub secret_key: SecretKey,
    /// Where the key came from.
    pub key_source: KeySource,
    /// How logs are written.
    pub log_format: LogFormat,
    /// Whether this process runs the background worker.
    pub run_worker: bool,
    /// How often the worker polls curated feeds.
    pub feed_poll_interval: std::time::Duration,
    /// Lets link previews and feeds reach private and loopback addresses. For tests only:
    /// in production it would let anyone with an editor account probe the internal network.
    pub unsafe_allow_private_fetch: bool,
    /// Secret keys used before the current one, so tokens sealed under them still open until
    /// `chorus keys rotate` re-seals them.
    pub previous_secret_keys: Vec<SecretKey>,
    /// Base URLs replacing the networks' own hosts (stand-ins in tests, or a proxy).
    pub network_base_urls: NetworkBaseUrls,
    /// How long a worker holds a share while calling its network.
    pub share_lease: std::time::Duration,
    /// How many shares one worker sends at once (each waits on its network's answer).
    pub publish_concurrency: usize,
    /// How many calls each API token may make per minute, in each process.
    pub api_requests_per_minute: u32,
    /// `utm_medium` of tracked links.
    pub utm_medium: String,
    /// The `LinkedIn-Version` of every LinkedIn call.
    pub linkedin_version: chorus_ambassador::linkedin_version::ApiVersion,
    /// Reverse proxies whose `X-Forwarded-For` gives the client's address.
    pub trusted_proxies: crate::client_address::TrustedProxies,
    /// The instant the retention policy counts back from, when not now: to see what a policy
    /// would delete on a given day, and in tests.
    pub retention_clock: Option<chrono::DateTime<chrono::Utc>>,
    /// Where email goes out, when configured (notifications are email-less without it).
    pub mail: Option<MailConfig>,
}

/// Base URLs that replace the networks' production hosts.
#[derive(Debug, Clone, Default)]
pub struct NetworkBaseUrls {
    /// X.
    pub x: Option<Url>,
    /// LinkedIn.
    pub linkedin: Option<Url>,
    /// Threads.
    pub threads: Option<Url>,
    /// The PLC directory that resolves Bluesky DIDs (`https://plc.directory` when unset).
    pub bluesky_plc: Option<Url>,
}

/// Every setting, with its environment variable, file key and the form it expects.
const SETTINGS: [(&str, &str); 23] = [
    ("database_url", "CHORUS_DATABASE_URL"),
    ("bind", "CHORUS_BIND"),
    ("base_url", "CHORUS_BASE_URL"),
    ("secret_key", "CHORUS_SECRET_KEY"),
    ("log_format", "CHORUS_LOG_FORMAT"),
    ("worker", "CHORUS_WORKER"),
    ("feed_poll_seconds", "CHORUS_FEED_POLL_SECONDS"),
    (
        "unsafe_allow_private_fetch",
        "CHORUS_UNSAFE_ALLOW_PRIVATE_FETCH",
    ),
    ("previous_secret_keys", "CHORUS_PREVIOUS_SECRET_KEYS"),
    ("x_base_url", "CHORUS_X_BASE_URL"),
    ("linkedin_base_url", "CHORUS_LINKEDIN_BASE_URL"),
    ("threads_base_url", "CHORUS_THREADS_BASE_URL"),
    ("bluesky_plc_url", "CHORUS_BLUESKY_PLC_URL"),
    ("share_lease_seconds", "CHORUS_SHARE_LEASE_SECONDS"),
    ("publish_concurrency", "CHORUS_PUBLISH_CONCURRENCY"),
    ("api_requests_per_minute", "CHORUS_API_REQUESTS_PER_MINUTE"),
    ("utm_medium", "CHORUS_UTM_MEDIUM"),
    ("linkedin_version", "CHORUS_LINKEDIN_VERSION"),
    ("trusted_proxies", "CHORUS_TRUSTED_PROXIES"),
    ("retention_clock", "CHORUS_RETENTION_CLOCK"),
    ("smtp_url", "CHORUS_SMTP_URL"),
    ("mail_from", "CHORUS_MAIL_FROM"),
    ("smtp_ca_file", "CHORUS_SMTP_CA_FILE"),
];

impl Config {
    /// Reads the configuration from the process environment and `chorus.toml`
    /// (or the file named by `CHORUS_CONFIG`).
    ///
    /// # Errors
    /// Names the first setting whose value cannot be used.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env: BTreeMap<String, String> = std::env::vars().collect();
        Self::from_sources(&env)
    }

    /// Reads the configuration from the given environment (for tests and the CLI).
    ///
    /// # Errors
    /// Names the first setting whose value cannot be used.
    pub fn from_sources(env: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let file_path = env.get("CHORUS_CONFIG").map(PathBuf::from);
        let mut raw = match &file_path {
            Some(path) => read_file(path)?,
            None if Path::new("chorus.toml").exists() => read_file(Path::new("chorus.toml"))?,
            None => BTreeMap::new(),
        };
        for (key, var) in SETTINGS {
            if let Some(value) = env.get(var) {
                raw.insert(key.to_owned(), (var.to_owned(), value.clone()));
            }
        }
        let get = |key: &str| raw.get(key).cloned();

        let database_url = match get("database_url") {
            Some((setting, value)) => parse_database_url(&setting, &value)?,
            None => DEFAULT_DATABASE_URL.to_owned(),
        };
        let bind = match get("bind") {
            Some((setting, value)) => value.trim().parse().map_err(|_| ConfigError::Invalid {
                setting,
                value,
                expected: "an address and port such as 127.0.0.1:8080 or [::]:80",
            })?,
            None => DEFAULT_BIND.parse().map_err(|_| ConfigError::Invalid {
                setting: "CHORUS_BIND".into(),
                value: DEFAULT_BIND.into(),
                expected: "an address and port",
            })?,
        };
        let base_url_configured = get("base_url").is_some();
        let base_url = match get("base_url") {
            Some((setting, value)) => parse_base_url(&setting, &value)?,
            None => default_base_url(bind),
        };
        let log_format = match get("log_format") {
            Some((setting, value)) => match value.trim().to_ascii_lowercase().as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => {
                    return Err(ConfigError::Invalid {
                        setting,
                        value,
                        expected: "text or json",
                    });
                }
            },
            None => LogFormat::Text,
        };
        let run_worker = match get("worker") {
            Some((setting, value)) => parse_bool(&setting, &value)?,
            None => true,
        };
        let feed_poll_interval = match get("feed_poll_seconds") {
            Some((setting, value)) => match value.trim().parse::<u64>() {
                Ok(seconds) if (1..=86_400).contains(&seconds) => {
                    std::time::Duration::from_secs(seconds)
                }
                _ => {
                    return Err(ConfigError::Invalid {
                        setting,
                        value,
                        expected: "a number of seconds from 1 to 86400",
                    });
                }
            },
            None => std::time::Duration::from_secs(15 * 60),
        };
        let unsafe_allow_private_fetch = match get("unsafe_allow_private_fetch") {
            Some((setting, value)) => parse_bool(&setting, &value)?,
            None => false,
        };
        let previous_secret_keys = match get("previous_secret_keys") {
            Some((setting, value)) => value
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(|k| {
                    SecretKey::parse(k).ok_or(ConfigError::Invalid {
                        setting: setting.clone(),
                        value: "<hidden>".into(),
                        expected: "comma-separated keys, each 32 bytes in standard base64",
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let mut network_base_urls = NetworkBaseUrls::default();
        for (key, slot) in [
            ("x_base_url", &mut network_base_urls.x),
            ("linkedin_base_url", &mut network_base_urls.linkedin),
            ("threads_base_url", &mut network_base_urls.threads),
            ("bluesky_plc_url", &mut network_base_urls.bluesky_plc),
        ] {
            if let Some((setting, value)) = get(key) {
                *slot = Some(parse_base_url(&setting, &value)?);
            }
        }
        let share_lease = match get("share_lease_seconds") {
            Some((setting, value)) => match value.trim().parse::<u64>() {
                Ok(seconds) if (1..=3600).contains(&seconds) => {
                    std::time::Duration::from_secs(seconds)
                }
                _ => {
                    return Err(ConfigError::Invalid {
                        setting,
                        value,
                        expected: "a number of seconds from 1 to 3600",
                    });
                }
            },
            None => std::time::Duration::from_secs(60),
        };
        let publish_concurrency = match get("publish_concurrency") {
            Some((setting, value)) => match value.trim().parse::<usize>() {
                Ok(shares) if (1..=512).contains(&shares) => shares,
                _ => {
                    return Err(ConfigError::Invalid {
                        setting,
                        value,
                        expected: "a number of shares from 1 to 512",
                    });
                }
            },
            None => 32,
        };
        let api_requests_per_minute = match get("api_requests_per_minute") {
            Some((setting, value)) => match value.trim().parse::<u32>() {
                Ok(calls) if (1..=1_000_000).contains(&calls) => calls,
                _ => {
                    return Err(ConfigError::Invalid {
                        setting,
                        value,
                        expected: "a number of calls from 1 to 1000000",
                    });
                }
            },
            None => 600,
        };
        let linkedin_version = match get("linkedin_version") {
            Some((setting, value)) => chorus_ambassador::linkedin_version::ApiVersion::parse(
                &value,
            )
            .ok_or(ConfigError::Invalid {
                setting,
                value,
                expected: "a LinkedIn API version as YYYYMM, such as 202610 (see LinkedIn's versioning page for the active ones)",
            })?,
            None => chorus_ambassador::linkedin_version::ApiVersion::parse(
                chorus_ambassador::connectors::linkedin::DEFAULT_VERSION,
            )
            .unwrap_or_else(|| unreachable!("the default version is valid")),
        };
        let utm_medium = match get("utm_medium") {
            Some((setting, value)) => {
                let medium = value.trim();
                let ok = (1..=50).contains(&medium.len())
                    && medium
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if !ok {
                    return Err(ConfigError::Invalid {
                        setting,
                        value,
                        expected: "1 to 50 letters, digits, - or _ (for example employee_advocacy)",
                    });
                }
                medium.to_owned()
            }
            None => "employee_advocacy".to_owned(),
        };
        let trusted_proxies = match get("trusted_proxies") {
            Some((setting, value)) => crate::client_address::TrustedProxies::parse(&value)
                .map_err(|_| ConfigError::Invalid {
                    setting,
                    value,
                    expected: "comma-separated IP addresses or CIDR networks of your reverse proxies (for example 10.0.0.5, 192.168.0.0/16)",
                })?,
            None => crate::client_address::TrustedProxies::default(),
        };
        let retention_clock = match get("retention_clock") {
            Some((setting, value)) => Some(
                chrono::DateTime::parse_from_rfc3339(value.trim())
                    .map(|at| at.with_timezone(&chrono::Utc))
                    .map_err(|_| ConfigError::Invalid {
                        setting,
                        value,
                        expected: "an RFC 3339 instant (for example 2027-06-01T00:00:00Z)",
                    })?,
            ),
            None => None,
        };
        let mail =
            MailConfig::from_settings(get("smtp_url"), get("mail_from"), get("smtp_ca_file"))?;
        let (secret_key, key_source) = match get("secret_key") {
            Some((setting, value)) => (
                SecretKey::parse(&value).ok_or(ConfigError::Invalid {
                    setting,
                    value: "<hidden>".into(),
                    expected: "32 random bytes in standard base64 (for example `openssl rand -base64 32`)",
                })?,
                KeySource::Configured,
            ),
            None => load_or_create_key(&key_file_path(&database_url))?,
        };
        Ok(Config {
            database_url,
            bind,
            base_url,
            base_url_configured,
            secret_key,
            key_source,
            log_format,
            run_worker,
            feed_poll_interval,
            unsafe_allow_private_fetch,
            previous_secret_keys,
            network_base_urls,
            share_lease,
            publish_concurrency,
            api_requests_per_minute,
            utm_medium,
            linkedin_version,
            trusted_proxies,
            retention_clock,
            mail,
        })
    }

    /// Whether cookies must carry the `Secure` flag.
    #[must_use]
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }
}

fn read_file(path: &Path) -> Result<BTreeMap<String, (String, String)>, ConfigError> {
    let file_error = |reason: String| ConfigError::File {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| file_error(e.to_string()))?;
    let mut out = BTreeMap::new();
    for (key, value) in table {
        let Some((name, _)) = SETTINGS.iter().find(|(name, _)| *name == key) else {
            return Err(file_error(format!(
                "unknown setting `{key}`; known settings are {}",
                SETTINGS.map(|(n, _)| n).join(", ")
            )));
        };
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Boolean(b) => b.to_string(),
            other => other.to_string(),
        };
        out.insert(
            (*name).to_owned(),
            (format!("{key} in {}", path.display()), text),
        );
    }
    Ok(out)
}

fn parse_database_url(setting: &str, value: &str) -> Result<String, ConfigError> {
    let trimmed = value.trim();
    let ok = ["sqlite:", "postgres://", "postgresql://"]
        .iter()
        .any(|prefix| trimmed.starts_with(prefix));
    if ok && Url::parse(trimmed).is_ok() {
        Ok(trimmed.to_owned())
    } else {
        Err(ConfigError::Invalid {
            setting: setting.to_owned(),
            value: value.to_owned(),
            expected: "sqlite://path/to/chorus.db?mode=rwc or postgres://user:password@host:5432/database",
        })
    }
}

fn parse_base_url(setting: &str, value: &str) -> Result<Url, ConfigError> {
    let invalid = || ConfigError::Invalid {
        setting: setting.to_owned(),
        value: value.to_owned(),
        expected: "an absolute http or https URL such as https://chorus.example.com",
    };
    let url = Url::parse(value.trim()).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(invalid());
    }
    Ok(url)
}

fn parse_bool(setting: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Invalid {
            setting: setting.to_owned(),
            value: value.to_owned(),
            expected: "true or false",
        }),
    }
}

fn default_base_url(bind: SocketAddr) -> Url {
    let host = if bind.ip().is_unspecified() {
        "localhost".to_owned()
    } else {
        bind.to_string()
    };
    let with_port = if bind.ip().is_unspecified() {
        format!("http://{host}:{}/", bind.port())
    } else {
        format!("http://{host}/")
    };
    Url::parse(&with_port).unwrap_or_else(|_| {
        Url::parse("http://localhost/").unwrap_or_else(|_| unreachable!("a constant URL parses"))
    })
}

/// The key file sits beside the SQLite database, or in the working folder for PostgreSQL.
fn key_file_path(database_url: &str) -> PathBuf {
    let sqlite_path = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest));
    match sqlite_path {
        Some(path) if !path.is_empty() && path != ":memory:" => {
            let parent = Path::new(path)
                .parent()
                .filter(|p| !p.as_os_str().is_empty());
            parent.unwrap_or(Path::new(".")).join("chorus-secret.key")
        }
        _ => PathBuf::from("chorus-secret.key"),
    }
}

fn load_or_create_key(path: &Path) -> Result<(SecretKey, KeySource), ConfigError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;

    let key_error = |reason: String| ConfigError::KeyFile {
        path: path.display().to_string(),
        reason,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let key = SecretKey::parse(&text).ok_or_else(|| {
                key_error("does not hold 32 bytes in base64; restore it from a backup or set CHORUS_SECRET_KEY".into())
            })?;
            Ok((key, KeySource::File(path.to_owned())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SecretKey::generate();
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| key_error(format!("could not be created: {e}")))?;
            writeln!(file, "{}", key.encode()).map_err(|e| key_error(e.to_string()))?;
            Ok((key, KeySource::Generated(path.to_owned())))
        }
        Err(e) => Err(key_error(e.to_string())),
    }
}

mod mail;

pub use mail::MailConfig;

#[cfg(test)]
mod tests;
