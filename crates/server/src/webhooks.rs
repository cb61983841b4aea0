//! Outgoing webhooks, Standard Webhooks style: admins subscribe an address to events; each
//! event becomes one delivery per subscribed address, stored first, then sent by a worker with
//! a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), signed with HMAC-SHA256 over
//! `{id}.{timestamp}.{body}` with the address's own secret (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature: v1,<base64>`), retried with back-off (5 s, 30 s, 2 min, 10 min, 1 h) and
//! given up after six attempts. The deliveries are the log an admin reads. The address guard of
//! link previews applies (no redirect, no private or loopback address, checked after DNS), so a
//! webhook cannot point Chorus at its own network. No event says who did something: an item
//! published or archived, a suggestion received (not by whom), and a share published as the
//! number of shares of its item, never whose.

use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac as _};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::app::App;
use crate::store::StoreError;

/// What an address may subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// An item reached the hub.
    ItemPublished,
    /// An item left the hub for good.
    ItemArchived,
    /// An ambassador suggested content (who is not said).
    SuggestionReceived,
    /// A share of an item was published: the item's count of published shares, never whose.
    SharePublished,
}

impl Event {
    /// Every event, in the order pages list them.
    pub const ALL: [Event; 4] = [
        Event::ItemPublished,
        Event::ItemArchived,
        Event::SuggestionReceived,
        Event::SharePublished,
    ];

    /// Its name in payloads and forms.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Event::ItemPublished => "item.published",
            Event::ItemArchived => "item.archived",
            Event::SuggestionReceived => "suggestion.received",
            Event::SharePublished => "share.published",
        }
    }

    /// The event named `name`.
    #[must_use]
    pub fn parse(name: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.as_str() == name.trim())
    }
}

/// How long a worker holds a delivery while the address answers.
const LEASE: Duration = Duration::seconds(60);
/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i32 = 6;
/// The wait after each failed attempt.
const BACKOFF_SECONDS: [i64; 5] = [5, 30, 120, 600, 3600];

/// A subscribed address.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Id.
    pub id: i32,
    /// Where events are posted.
    pub url: String,
    /// The events it receives.
    pub events: Vec<Event>,
    /// When it was subscribed.
    pub created_at: DateTime<Utc>,
}

/// One delivery, as the log shows it.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The event.
    pub event: String,
    /// `pending`, `sending`, `delivered` or `failed`.
    pub state: String,
    /// Attempts made.
    pub attempts: i32,
    /// The address's last HTTP status.
    pub last_status: Option<i32>,
    /// What went wrong last.
    pub last_error: Option<String>,
    /// When the event happened.
    pub created_at: DateTime<Utc>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Where an address's secret is sealed (its row, so a sealed value cannot be moved to another).
#[must_use]
pub fn secret_place(id: i32) -> chorus_ambassador::vault::Place<'static> {
    chorus_ambassador::vault::Place {
        table: "webhook_endpoints",
        column: "secret_sealed",
        row: i64::from(id),
    }
}

/// A new signing secret: `whsec_` and 32 random bytes in base64.
fn new_secret() -> String {
    use rand::RngCore as _;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Subscribes `url` to `events`; returns its id and its signing secret (shown once).
///
/// # Errors
/// Database failure.
pub async fn subscribe(
    app: &App,
    url: &str,
    events: &[Event],
    by: i32,
) -> Result<(i32, String), StoreError> {
    let txn = chorus_editorial::store::begin_write(&app.db).await?;
    let names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "INSERT INTO webhook_endpoints (url, secret_sealed, events, created_by, created_at) \
             VALUES ($1, '', $2, $3, $4) RETURNING id",
            [
                url.into(),
                names.join(" ").into(),
                by.into(),
                Utc::now().into(),
            ],
        ))
        .await?
        .ok_or(StoreError::NotFound)?;
    let id: i32 = row.try_get("", "id")?;
    let secret = new_secret();
    txn.execute_raw(Statement::from_sql_and_values(
        txn.get_database_backend(),
        "UPDATE webhook_endpoints SET secret_sealed = $1 WHERE id = $2",
        [app.vault.seal(secret_place(id), &secret).into(), id.into()],
    ))
    .await?;
    txn.commit().await?;
    app.webhooks.forget();
    Ok((id, secret))
}

/// Removes an address and its log; whether there was one.
///
/// # Errors
/// Database failure.
pub async fn unsubscribe(app: &App, id: i32) -> Result<bool, StoreError> {
    let db = &app.db;
    app.webhooks.forget();
    Ok(db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "DELETE FROM webhook_endpoints WHERE id = $1",
            [id.into()],
        ))
        .await?
        .rows_affected()
        == 1)
}

/// Every subscribed address, oldest first.
///
/// # Errors
/// Database failure.
pub async fn endpoints(db: &impl ConnectionTrait) -> Result<Vec<Endpoint>, StoreError> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id, url, events, created_at FROM webhook_endpoints ORDER BY id",
        ))
        .await?;
    rows.iter()
        .map(|row| {
            let events: String = row.try_get("", "events")?;
            Ok(Endpoint {
                id: row.try_get("", "id")?,
                url: row.try_get("", "url")?,
                events: events.split(' ').filter_map(Event::parse).collect(),
                created_at: row.try_get("", "created_at")?,
            })
        })
        .collect()
}

/// The latest deliveries to address `id`, newest first.
///
/// # Errors
/// Database failure.
pub async fn log(
    db: &impl ConnectionTrait,
    id: i32,
    limit: u64,
) -> Result<Vec<Delivery>, StoreError> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT event, state, attempts, last_status, last_error, created_at, delivered_at \
             FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2",
            [id.into(), i64::try_from(limit).unwrap_or(i64::MAX).into()],
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Delivery {
                event: row.try_get("", "event")?,
                state: row.try_get("", "state")?,
                attempts: row.try_get("", "attempts")?,
                last_status: row.try_get("", "last_status")?,
                last_error: row.try_get("", "last_error")?,
                created_at: row.try_get("", "created_at")?,
                delivered_at: row.try_get("", "delivered_at")?,
            })
        })
        .collect()
}

/// The addresses subscribed to each event, as one process last read them: read again at
/// most every few seconds, so that a campaign's thousands of published shares do not each read
/// the subscriptions (an address subscribed in another process is heard of within that time).
#[derive(Debug, Default)]
pub struct Subscriptions {
    read: std::sync::RwLock<Option<(std::time::Instant, Vec<Endpoint>)>>,
}

/// How long the subscriptions read are trusted.
const SUBSCRIPTIONS_FOR: std::time::Duration = std::time::Duration::from_secs(5);

impl Subscriptions {
    /// The ids of the addresses subscribed to `event`.
    async fn to(&self, db: &DatabaseConnection, event: Event) -> Result<Vec<i32>, StoreError> {
        let fresh = self.read.read().ok().and_then(|read| {
            read.as_ref()
                .filter(|(at, _)| at.elapsed() < SUBSCRIPTIONS_FOR)
                .map(|(_, all)| all.clone())
        });
        let all = match fresh {
            Some(all) => all,
            None => {
                let all = endpoints(db).await?;
                if let Ok(mut read) = self.read.write() {
                    *read = Some((std::time::Instant::now(), all.clone()));
                }
                all
            }
        };
        Ok(all
            .into_iter()
            .filter(|e| e.events.contains(&event))
            .map(|e| e.id)
            .collect())
    }

    /// Forgets what was read (this process changed the subscriptions).
    pub fn forget(&self) {
        if let Ok(mut read) = self.read.write() {
            *read = None;
        }
    }
}

/// Records `event` with `data` for every address subscribed to it (none: nothing). A failure
/// is logged, never the caller's: what happened happened.
pub async fn emit(app: &App, event: Event, data: Value) {
    if let Err(e) = queue(app, event, data).await {
        tracing::warn!(event = event.as_str(), error = %e, "could not queue a webhook event");
    }
}

/// A share of `item` was published: its item's count of published shares (never whose).
pub async fn share_published(app: &App, item: i32) {
    let subscribed = match app.webhooks.to(&app.db, Event::SharePublished).await {
        Ok(subscribed) => subscribed,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the webhook subscriptions");
            return;
        }
    };
    if subscribed.is_empty() {
        return;
    }
    let count = app
        .db
        .query_one_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM shares WHERE item_id = $1 AND state IN ('published', 'deleted')",
            [item.into()],
        ))
        .await
        .ok()
        .flatten()
        .and_then(|row| row.try_get::<i64>("", "n").ok())
        .unwrap_or(0);
    emit(
        app,
        Event::SharePublished,
        json!({"item": {"id": item}, "published_shares": count}),
    )
    .await;
}

async fn queue(app: &App, event: Event, data: Value) -> Result<u64, StoreError> {
    let db = &app.db;
    let subscribed = app.webhooks.to(db, event).await?;
    if subscribed.is_empty() {
        return Ok(0);
    }
    let now = Utc::now();
    let txn = chorus_editorial::store::begin_write(db).await?;
    for endpoint in &subscribed {
        let message_id = format!("msg_{}", uuid::Uuid::new_v4().simple());
        let payload = json!({
            "type": event.as_str(),
            "timestamp": now,
            "data": data,
        });
        txn.execute_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "INSERT INTO webhook_deliveries (endpoint_id, event, message_id, payload, state, \
             attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)",
            [
                (*endpoint).into(),
                event.as_str().into(),
                message_id.into(),
                payload.to_string().into(),
                now.into(),
            ],
        ))
        .await?;
    }
    txn.commit().await?;
    Ok(subscribed.len() as u64)
}

/// The `webhook-signature` of `body` sent as message `id` at `timestamp` with `secret`
/// (`whsec_` and the key in base64): `v1,` and the HMAC-SHA256 of `{id}.{timestamp}.{body}`.
///
/// # Errors
/// A secret that is not `whsec_` and base64 (a corrupt row).
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, String> {
    let key = secret
        .strip_prefix("whsec_")
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .ok_or_else(|| "the stored signing secret is not valid".to_owned())?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// A delivery claimed for sending.
struct Claimed {
    id: i32,
    endpoint: i32,
    url: String,
    sealed: String,
    message_id: String,
    payload: String,
    attempts: i32,
}

async fn claim(
    db: &DatabaseConnection,
    owner: &str,
    now: DateTime<Utc>,
) -> Result<Option<Claimed>, sea_orm::DbErr> {
    // A delivery whose lease expired (its worker stopped mid-send) is claimed again: at least
    // once, as Standard Webhooks expects (receivers deduplicate by `webhook-id`).
    let queue = crate::store::queue::Queue {
        table: "webhook_deliveries",
        returning: "id, endpoint_id, message_id, payload, attempts",
    };
    let Some(row) = queue.claim(db, owner, now, LEASE).await? else {
        return Ok(None);
    };
    let backend = db.get_database_backend();
    let endpoint: i32 = row.try_get("", "endpoint_id")?;
    let target = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT url, secret_sealed FROM webhook_endpoints WHERE id = $1",
            [endpoint.into()],
        ))
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("webhook endpoint".into()))?;
    Ok(Some(Claimed {
        id: row.try_get("", "id")?,
        endpoint,
        url: target.try_get("", "url")?,
        sealed: target.try_get("", "secret_sealed")?,
        message_id: row.try_get("", "message_id")?,
        payload: row.try_get("", "payload")?,
        attempts: row.try_get("", "attempts")?,
    }))
}

/// What one attempt came to.
struct Attempt {
    status: Option<i32>,
    error: Option<String>,
}

async fn settle(
    db: &DatabaseConnection,
    delivery: &Claimed,
    owner: &str,
    attempt: &Attempt,
) -> Result<(), sea_orm::DbErr> {
    let now = Utc::now();
    let (state, next) = match &attempt.error {
        None => ("delivered", now),
        Some(_) if delivery.attempts >= MAX_ATTEMPTS => ("failed", now),
        Some(_) => {
            let index = usize::try_from(delivery.attempts - 1)
                .unwrap_or(0)
                .min(BACKOFF_SECONDS.len() - 1);
            ("pending", now + Duration::seconds(BACKOFF_SECONDS[index]))
        }
    };
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "UPDATE webhook_deliveries SET state = $1, next_attempt_at = $2, last_status = $3, \
         last_error = $4, delivered_at = $5, lease_owner = NULL, lease_until = NULL \
         WHERE id = $6 AND lease_owner = $7 AND state = 'sending'",
        [
            state.into(),
            next.into(),
            attempt.status.into(),
            attempt.error.clone().into(),
            (state == "delivered").then_some(now).into(),
            delivery.id.into(),
            owner.into(),
        ],
    ))
    .await?;
    tracing::info!(
        delivery = delivery.id,
        endpoint = delivery.endpoint,
        state,
        attempts = delivery.attempts,
        status = attempt.status,
        "webhook delivery settled"
    );
    Ok(())
}

async fn send(app: &App, client: &reqwest::Client, delivery: &Claimed) -> Attempt {
    let secret = match app
        .vault
        .open(secret_place(delivery.endpoint), &delivery.sealed)
    {
        Ok(secret) => secret,
        Err(e) => {
            return Attempt {
                status: None,
                error: Some(format!("the signing secret could not be opened: {e}")),
            };
        }
    };
    let timestamp = Utc::now().timestamp();
    let signed = match signature(&secret, &delivery.message_id, timestamp, &delivery.payload) {
        Ok(signed) => signed,
        Err(error) => {
            return Attempt {
                status: None,
                error: Some(error),
            };
        }
    };
    let answer = client
        .post(&delivery.url)
        .header("content-type", "application/json")
        .header("webhook-id", &delivery.message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signed)
        .body(delivery.payload.clone())
        .send()
        .await;
    match answer {
        Ok(answer) if answer.status().is_success() => Attempt {
            status: Some(i32::from(answer.status().as_u16())),
            error: None,
        },
        Ok(answer) => Attempt {
            status: Some(i32::from(answer.status().as_u16())),
            error: Some(format!("the address answered {}", answer.status())),
        },
        Err(e) => Attempt {
            status: None,
            error: Some(format!("the address could not be reached: {e}")),
        },
    }
}

/// The client that posts webhooks: no redirect, timeouts, and only the addresses the address
/// guard permits.
fn client(app: &App) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(15))
        .no_proxy()
        .user_agent("Chorus-Webhooks/1")
        .dns_resolver(std::sync::Arc::new(
            chorus_editorial::preview::GuardedResolver::new(crate::notify::address_guard(app)),
        ))
        .build()
        .unwrap_or_default()
}

/// Sends the deliveries that are due, a bounded batch per call.
pub async fn deliver_due(app: &App, owner: &str) {
    let mut client_made = None;
    for _ in 0..20 {
        let delivery = match claim(&app.db, owner, Utc::now()).await {
            Ok(Some(delivery)) => delivery,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "could not claim a webhook delivery");
                return;
            }
        };
        let client = client_made.get_or_insert_with(|| client(app));
        let attempt = send(app, client, &delivery).await;
        if let Err(e) = settle(&app.db, &delivery, owner, &attempt).await {
            tracing::warn!(delivery = delivery.id, error = %e, "could not record a webhook delivery");
        }
    }
}

/// Whether `url` may be subscribed: http(s), and, when its host is written as an address, one
/// the address guard permits (a name is checked after DNS, at each delivery).
///
/// # Errors
/// The message key of what is wrong with it.
pub fn acceptable_url(app: &App, url: &str) -> Result<url::Url, &'static str> {
    let parsed = url::Url::parse(url.trim()).map_err(|_| "webhooks.error_url")?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host().is_none() {
        return Err("webhooks.error_url");
    }
    let guard = crate::notify::address_guard(app);
    let port = parsed.port_or_known_default().unwrap_or(443);
    let literal = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
        _ => None,
    };
    let local_name = parsed
        .host_str()
        .is_some_and(|h| h.eq_ignore_ascii_case("localhost") || h.ends_with(".localhost"));
    if literal.is_some_and(|ip| !guard.permits(ip, port))
        || (local_name && !guard.permits(std::net::IpAddr::from([127, 0, 0, 1]), port))
    {
        return Err("webhooks.error_private");
    }
    Ok(parsed)
}
