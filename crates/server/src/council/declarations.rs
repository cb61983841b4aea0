//! Every table and column of the database, declared: which columns hold data about a person,
//! why the table exists, who can see it and how long it is kept. The works-council pack is
//! written from these declarations, and [`undeclared`] compares them with the real schema: a
//! column added by a migration and not declared here is reported (and fails the tests) until
//! someone says what it holds.

use std::collections::{BTreeMap, BTreeSet};

use chorus_policy::retention::DataKind;
use sea_orm::{ConnectionTrait as _, DatabaseConnection, DbBackend, DbErr, Statement};

/// How long a table's rows about people are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// The admin's retention period for this kind.
    Retention(DataKind),
    /// Until the person erases their account (or an admin does).
    UntilErased,
    /// Until the person disconnects the account, or erases theirs.
    UntilDisconnected,
    /// Until sign-out or the session's expiry (at most 14 days).
    Session,
    /// Until the connection it belongs to finishes, or 10 minutes at most.
    Minutes,
    /// The person's name goes at erasure; the content stays, without its author.
    AuthorshipUntilErased,
}

impl Kept {
    /// The name of its sentence in the catalogues (`council.kept_{name}`).
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Kept::Retention(_) => "retention",
            Kept::UntilErased => "until_erased",
            Kept::UntilDisconnected => "until_disconnected",
            Kept::Session => "session",
            Kept::Minutes => "minutes",
            Kept::AuthorshipUntilErased => "authorship",
        }
    }
}

/// One table as declared.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    /// Its name in the database.
    pub name: &'static str,
    /// The columns holding data about a person (directly, or by an id that leads to one).
    pub personal: &'static [&'static str],
    /// The other columns.
    pub other: &'static [&'static str],
    /// How long what it holds about people is kept (`None`: it holds nothing about people).
    pub kept: Option<Kept>,
}

impl Table {
    /// Whether it holds data about people.
    #[must_use]
    pub fn about_people(&self) -> bool {
        !self.personal.is_empty()
    }
}

const fn table(
    name: &'static str,
    personal: &'static [&'static str],
    other: &'static [&'static str],
    kept: Option<Kept>,
) -> Table {
    Table {
        name,
        personal,
        other,
        kept,
    }
}

/// Every table of Chorus's database. Each one about people has `council.{name}_why` and
/// `council.{name}_who` in both catalogues.
pub const TABLES: &[Table] = &[
    table(
        "users",
        &[
            "id",
            "email",
            "display_name",
            "password_hash",
            "roles",
            "team",
            "locale",
            "active",
            "created_at",
            "updated_at",
            "last_sign_in_at",
            "oidc_subject",
            "scim_external_id",
            "scim_user_name",
        ],
        &[],
        Some(Kept::UntilErased),
    ),
    table(
        "sessions",
        &["id", "user_id", "created_at", "expires_at"],
        &[],
        Some(Kept::Session),
    ),
    table(
        "sign_in_throttle",
        &["key", "failures", "last_failure_at", "blocked_until"],
        &[],
        Some(Kept::Retention(DataKind::SignInCounters)),
    ),
    table(
        "consents",
        &["id", "user_id", "version", "accepted_at", "withdrawn_at"],
        &[],
        Some(Kept::UntilErased),
    ),
    table(
        "visibility_choices",
        &[
            "user_id",
            "be_named_in_statistics",
            "show_name_on_shared_content",
            "updated_at",
        ],
        &[],
        Some(Kept::UntilErased),
    ),
    table(
        "onboarding",
        &[
            "user_id",
            "welcomed_at",
            "networks",
            "time_zone",
            "updated_at",
            "quiet_from",
            "quiet_until",
            "daily_cap",
        ],
        &[],
        Some(Kept::UntilErased),
    ),
    table(
        "topic_follows",
        &["user_id", "topic_id"],
        &[],
        Some(Kept::UntilErased),
    ),
    table(
        "item_passes",
        &["item_id", "user_id", "reason", "created_at"],
        &[],
        Some(Kept::UntilErased),
    ),
    table(
        "connected_accounts",
        &[
            "id",
            "user_id",
            "network",
            "instance",
            "external_id",
            "handle",
            "display_name",
            "profile_url",
            "access_token",
            "refresh_token",
            "expires_at",
            "scopes",
            "needs_reconnect",
            "created_at",
            "updated_at",
            "dpop_key",
            "oauth_issuer",
            "oauth_client_id",
        ],
        &[],
        Some(Kept::UntilDisconnected),
    ),
    table(
        "oauth_states",
        &[
            "state",
            "user_id",
            "session_hash",
            "network",
            "instance",
            "pkce_verifier",
            "created_at",
            "dpop_key",
            "account_did",
            "pds_url",
            "issuer",
            "client_id",
        ],
        &[],
        Some(Kept::Minutes),
    ),
    table(
        "shares",
        &[
            "id",
            "user_id",
            "item_id",
            "account_id",
            "network",
            "text",
            "link",
            "link_title",
            "language",
            "state",
            "scheduled_at",
            "next_attempt_at",
            "attempts",
            "idempotency_key",
            "lease_owner",
            "lease_until",
            "external_id",
            "external_url",
            "last_error",
            "created_at",
            "updated_at",
            "published_at",
            "container_id",
            "composer_url",
            "held_by",
        ],
        &[],
        Some(Kept::Retention(DataKind::Shares)),
    ),
    table(
        "share_images",
        &[
            "share_id",
            "media_id",
            "data",
            "content_type",
            "alt",
            "size",
            "width",
            "height",
            "token",
            "created_at",
        ],
        &[],
        Some(Kept::Retention(DataKind::Shares)),
    ),
    table(
        "tracked_links",
        &["share_id"],
        &["id", "code", "target_url", "created_at"],
        Some(Kept::Retention(DataKind::Shares)),
    ),
    table(
        "click_counts",
        &["link_id", "hour", "humans", "robots"],
        &[],
        Some(Kept::Retention(DataKind::ClickHours)),
    ),
    table(
        "activity_daily",
        &[
            "day", "user_id", "item_id", "network", "shares", "humans", "robots",
        ],
        &[],
        Some(Kept::Retention(DataKind::DailyActivity)),
    ),
    table(
        "audit_log",
        &["id", "at", "actor_id", "action", "detail", "people"],
        &[],
        Some(Kept::Retention(DataKind::AuditLog)),
    ),
    table(
        "content_items",
        &["author_id", "updated_by", "suggested_by"],
        &[
            "id",
            "title",
            "body_md",
            "why_md",
            "link_url",
            "preview_title",
            "preview_description",
            "preview_image_url",
            "language",
            "campaign_id",
            "state",
            "available_from",
            "available_until",
            "version",
            "created_at",
            "updated_at",
            "published_at",
            "origin",
        ],
        Some(Kept::AuthorshipUntilErased),
    ),
    table(
        "content_revisions",
        &["author_id"],
        &[
            "id",
            "item_id",
            "version",
            "summary",
            "snapshot",
            "created_at",
        ],
        Some(Kept::Retention(DataKind::Revisions)),
    ),
    table(
        "review_comments",
        &["author_id", "body"],
        &["id", "item_id", "created_at"],
        Some(Kept::AuthorshipUntilErased),
    ),
    table(
        "media",
        &["uploaded_by"],
        &[
            "id",
            "item_id",
            "content_type",
            "data",
            "alt",
            "size",
            "created_at",
        ],
        Some(Kept::AuthorshipUntilErased),
    ),
    table(
        "feeds",
        &["added_by"],
        &[
            "id",
            "url",
            "title",
            "language",
            "created_at",
            "last_polled_at",
            "last_error",
            "entries_imported",
        ],
        Some(Kept::AuthorshipUntilErased),
    ),
    table(
        "guideline_versions",
        &["published_by"],
        &["version", "body_en", "body_fr", "published_at"],
        Some(Kept::AuthorshipUntilErased),
    ),
    table(
        "programme_versions",
        &["published_by"],
        &[
            "version",
            "vision_en",
            "vision_fr",
            "gains_en",
            "gains_fr",
            "roles_en",
            "roles_fr",
            "published_at",
        ],
        Some(Kept::AuthorshipUntilErased),
    ),
    table(
        "campaigns",
        &[],
        &["id", "name", "description", "archived", "created_at"],
        None,
    ),
    table("topics", &[], &["id", "slug", "name", "created_at"], None),
    table("content_item_topics", &[], &["item_id", "topic_id"], None),
    table("network_copy", &[], &["item_id", "network", "text"], None),
    table(
        "feed_entries",
        &[],
        &["feed_id", "guid", "item_id", "seen_at"],
        None,
    ),
    table(
        "network_apps",
        &[],
        &[
            "id",
            "network",
            "instance",
            "client_id",
            "client_secret",
            "created_at",
        ],
        None,
    ),
    table("org_settings", &[], &["key", "value"], None),
    table(
        "oidc_logins",
        &[],
        &["state", "nonce", "pkce_verifier", "next", "created_at"],
        None,
    ),
    table(
        "scim_tokens",
        &[],
        &["id", "name", "token_hash", "created_at", "last_used_at"],
        None,
    ),
    table(
        "api_tokens",
        &["owner_id", "name", "last_used_at"],
        &[
            "id",
            "kind",
            "scopes",
            "token_hash",
            "created_at",
            "expires_at",
            "revoked_at",
        ],
        Some(Kept::UntilErased),
    ),
    table(
        "webhook_endpoints",
        &["created_by"],
        &["id", "url", "secret_sealed", "events", "created_at"],
        Some(Kept::AuthorshipUntilErased),
    ),
    table(
        "webhook_deliveries",
        &[],
        &[
            "id",
            "endpoint_id",
            "event",
            "message_id",
            "payload",
            "state",
            "attempts",
            "next_attempt_at",
            "lease_owner",
            "lease_until",
            "last_status",
            "last_error",
            "created_at",
            "delivered_at",
        ],
        None,
    ),
    table(
        "scim_groups",
        &[],
        &[
            "id",
            "display_name",
            "external_id",
            "created_at",
            "updated_at",
        ],
        None,
    ),
    table(
        "scim_group_members",
        &["user_id"],
        &["group_id"],
        Some(Kept::UntilErased),
    ),
    table(
        "notification_prefs",
        &[
            "user_id",
            "email_events",
            "email_announcements",
            "digest",
            "digest_sent_at",
            "email_digest",
            "chat_events",
            "chat_announcements",
            "chat_digest",
            "chat_service",
            "chat_address",
            "chat_room",
        ],
        &["updated_at"],
        Some(Kept::UntilErased),
    ),
    table(
        "notification_jobs",
        &["user_id", "kind", "ref_id"],
        &[
            "id",
            "dedupe",
            "state",
            "attempts",
            "next_attempt_at",
            "lease_owner",
            "lease_until",
            "last_error",
            "created_at",
            "sent_at",
            "via",
            "window_start",
        ],
        Some(Kept::UntilErased),
    ),
    table(
        "announcements",
        &["author_id"],
        &["item_id", "message", "recipients", "created_at"],
        Some(Kept::AuthorshipUntilErased),
    ),
    table("task_leases", &[], &["name", "holder", "expires_at"], None),
    table(
        "cache_generation",
        &[],
        &["id", "content", "activity"],
        None,
    ),
    table("seaql_migrations", &[], &["version", "applied_at"], None),
];

/// The tables and columns of the live database.
///
/// # Errors
/// Database failure.
pub async fn schema(db: &DatabaseConnection) -> Result<BTreeMap<String, BTreeSet<String>>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT table_name AS t, column_name AS c FROM information_schema.columns \
             WHERE table_schema = current_schema()"
        }
        _ => {
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
        }
    };
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in db
        .query_all_raw(Statement::from_string(backend, sql.to_owned()))
        .await?
    {
        let table: String = row.try_get("", "t")?;
        let column: String = row.try_get("", "c")?;
        out.entry(table).or_default().insert(column);
    }
    Ok(out)
}

/// What the declarations and the live schema disagree on, one line each (`table.column is
/// not declared`, `table.column is declared but not in the database`); empty when they agree.
///
/// # Errors
/// Database failure.
pub async fn undeclared(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    let live = schema(db).await?;
    let mut problems = Vec::new();
    for (table, columns) in &live {
        let Some(declared) = TABLES.iter().find(|t| t.name == table) else {
            problems.push(format!("table {table} is not declared"));
            continue;
        };
        for column in columns {
            if !declared.personal.contains(&column.as_str())
                && !declared.other.contains(&column.as_str())
            {
                problems.push(format!("{table}.{column} is not declared"));
            }
        }
    }
    for declared in TABLES {
        let columns = live.get(declared.name);
        for column in declared.personal.iter().chain(declared.other) {
            if columns.is_none_or(|c| !c.contains(*column)) {
                problems.push(format!(
                    "{}.{column} is declared but not in the database",
                    declared.name
                ));
            }
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_about_people_says_how_long_and_no_column_is_declared_twice() {
        for table in TABLES {
            assert_eq!(
                table.about_people(),
                table.kept.is_some(),
                "{}: a table about people says how long it keeps them, and only then",
                table.name
            );
            let mut seen = BTreeSet::new();
            for column in table.personal.iter().chain(table.other) {
                assert!(seen.insert(column), "{}.{column} twice", table.name);
            }
        }
    }
}
