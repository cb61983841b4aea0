//! What signed-in pages are made of, remembered between requests and forgotten the moment the
//! database changes: who is behind a session cookie, whether a person is opted in, and whole
//! pages that only depend on the database and the clock (the hub, an item, one's shares).
//!
//! Every process sharing the database reads two numbers per signed-in request, the cache
//! generations (table `cache_generation`), which database triggers move on at every write to the
//! tables these answers come from (see the migration `m20261206_000002_cache_generation`): an
//! edit, a withdrawal, a sign-out or a role change made on any process, by any path, is seen by
//! all the others on their next request. The *content* generation covers people, sessions,
//! consent, settings and the content; when it moves, everything is forgotten. The *activity*
//! generation covers shares, their links, clicks and images, and connected accounts (the worker
//! changes them all day); when it moves, only the pages made from them ("My shares") are
//! forgotten. The numbers are read before the data they guard, and an answer is kept only under
//! the numbers read before it, so nothing older than what it is filed under is ever served.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Statement};

use crate::i18n::Locale;
use crate::store::users::UserRow;

/// The cache generations a request read before anything else: answers read after them may be
/// kept under them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation {
    /// People, sessions, consent, settings, content.
    pub content: i64,
    /// Shares, links, clicks, share images, connected accounts, onboarding.
    pub activity: i64,
}

/// What a remembered page is made of: the content only, or one's activity too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Forgotten when the content generation moves (the hub, an item's page).
    Content,
    /// Forgotten when either generation moves ("My shares").
    Activity,
}

/// Reads the current generations, in one query: the sums of their rows.
///
/// # Errors
/// Database failure, or no generation row (a database not migrated).
pub async fn read_generation(db: &impl ConnectionTrait) -> Result<Generation, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            // One row on SQLite; on PostgreSQL several, each writer moving one (see the
            // migration `m20261207_000003_cache_generation_shards`).
            "SELECT CAST(SUM(content) AS BIGINT) AS content, \
             CAST(SUM(activity) AS BIGINT) AS activity FROM cache_generation",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("cache_generation".to_owned()))?;
    Ok(Generation {
        content: row.try_get("", "content")?,
        activity: row.try_get("", "activity")?,
    })
}

/// A page remembered for one person: its HTML with the CSRF token it was rendered with (each
/// browser has its own; it is swapped on the way out), and until when it may be served.
#[derive(Debug, Clone)]
pub struct Page {
    /// The rendered page.
    pub html: Arc<str>,
    /// The CSRF token written in it.
    pub csrf: String,
    /// After this instant the page is made again (an item's availability window opens or
    /// closes; a date changes).
    pub until: DateTime<Utc>,
}

impl Page {
    /// The page with `csrf` in place of the token it was rendered with.
    #[must_use]
    pub fn for_browser(&self, csrf: &str) -> String {
        if self.csrf == csrf || self.csrf.is_empty() {
            self.html.to_string()
        } else {
            self.html.replace(&self.csrf, csrf)
        }
    }
}

/// Which page, for whom, in which language.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    /// The person.
    pub user: i32,
    /// The language the page is written in.
    pub locale: Locale,
    /// Path and query.
    pub uri: String,
}

/// The most sessions, people or pages remembered: past it, that part is forgotten at once
/// (and filled again by the next requests), so memory stays bounded whatever the traffic.
const MAX_SESSIONS: usize = 20_000;
const MAX_PEOPLE: usize = 20_000;
/// Pages are tens of kilobytes each: 500 of them stay under about 25 MB.
const MAX_PAGES: usize = 500;
/// Values of each kind (dashboard views are a few kilobytes each).
const MAX_VALUES: usize = 500;

/// The remembered answers of one process.
#[derive(Debug, Default)]
pub struct Memo {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    content: i64,
    activity: i64,
    /// Session hash → the active person behind it and the session's end; `None`: no such
    /// session (or an inactive person).
    sessions: HashMap<String, Option<(UserRow, DateTime<Utc>)>>,
    /// Person → opted in (accepted the current guidelines and not withdrawn).
    opted_in: HashMap<i32, bool>,
    pages: HashMap<PageKey, Page>,
    /// Pages made from one's activity too.
    activity_pages: HashMap<PageKey, Page>,
    /// Values made from the content (the dashboard's sources, labels and menus), by name.
    values: HashMap<(&'static str, String), Value>,
    /// Values made from the activity too (the roll-up's open days).
    activity_values: HashMap<(&'static str, String), Value>,
}

/// A remembered value of any type.
#[derive(Clone)]
struct Value(Arc<dyn std::any::Any + Send + Sync>);

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Value")
    }
}

impl Inner {
    /// Forgets what newer numbers make stale; returns whether what is held of `kind` is of
    /// `generation` (an older request must neither read nor fill it).
    fn at(&mut self, generation: Generation, kind: Kind) -> bool {
        if generation.content > self.content {
            self.content = generation.content;
            self.sessions.clear();
            self.opted_in.clear();
            self.pages.clear();
            self.activity_pages.clear();
            self.values.clear();
            self.activity_values.clear();
        }
        if generation.activity > self.activity {
            self.activity = generation.activity;
            self.activity_pages.clear();
            self.activity_values.clear();
        }
        generation.content == self.content
            && (kind == Kind::Content || generation.activity == self.activity)
    }

    fn pages(&mut self, kind: Kind) -> &mut HashMap<PageKey, Page> {
        match kind {
            Kind::Content => &mut self.pages,
            Kind::Activity => &mut self.activity_pages,
        }
    }

    fn values(&mut self, kind: Kind) -> &mut HashMap<(&'static str, String), Value> {
        match kind {
            Kind::Content => &mut self.values,
            Kind::Activity => &mut self.activity_values,
        }
    }
}

fn keep<K: Eq + Hash, V>(map: &mut HashMap<K, V>, max: usize, key: K, value: V) {
    if map.len() >= max {
        map.clear();
    }
    map.insert(key, value);
}

impl Memo {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The maps stay consistent whatever panicked while holding the lock: keep using them.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The person behind a session hash, as remembered under `generation`: `Some(None)` for a
    /// known dead session, `None` when not remembered.
    #[must_use]
    #[allow(
        clippy::option_option,
        reason = "remembered or not, and what was found"
    )]
    pub fn session(
        &self,
        generation: Generation,
        hash: &str,
    ) -> Option<Option<(UserRow, DateTime<Utc>)>> {
        let mut inner = self.lock();
        if !inner.at(generation, Kind::Content) {
            return None;
        }
        inner.sessions.get(hash).cloned()
    }

    /// Remembers what a session hash was found to be, read after `generation`.
    pub fn remember_session(
        &self,
        generation: Generation,
        hash: &str,
        found: Option<(UserRow, DateTime<Utc>)>,
    ) {
        let mut inner = self.lock();
        if inner.at(generation, Kind::Content) {
            keep(&mut inner.sessions, MAX_SESSIONS, hash.to_owned(), found);
        }
    }

    /// Whether a person is opted in, as remembered under `generation`.
    #[must_use]
    pub fn opted_in(&self, generation: Generation, user: i32) -> Option<bool> {
        let mut inner = self.lock();
        if !inner.at(generation, Kind::Content) {
            return None;
        }
        inner.opted_in.get(&user).copied()
    }

    /// Remembers whether a person is opted in, read after `generation`.
    pub fn remember_opted_in(&self, generation: Generation, user: i32, opted_in: bool) {
        let mut inner = self.lock();
        if inner.at(generation, Kind::Content) {
            keep(&mut inner.opted_in, MAX_PEOPLE, user, opted_in);
        }
    }

    /// A page of `kind` remembered under `generation` and still within its time.
    #[must_use]
    pub fn page(
        &self,
        generation: Generation,
        kind: Kind,
        key: &PageKey,
        now: DateTime<Utc>,
    ) -> Option<Page> {
        let mut inner = self.lock();
        if !inner.at(generation, kind) {
            return None;
        }
        inner
            .pages(kind)
            .get(key)
            .filter(|page| page.until > now)
            .cloned()
    }

    /// Remembers a page of `kind` rendered from data read after `generation`.
    pub fn remember_page(&self, generation: Generation, kind: Kind, key: PageKey, page: Page) {
        let mut inner = self.lock();
        if inner.at(generation, kind) {
            keep(inner.pages(kind), MAX_PAGES, key, page);
        }
    }
}

impl Memo {
    /// The value `name` for `key` remembered under `generation`, if it is of type `T`.
    #[must_use]
    pub fn value<T: std::any::Any + Send + Sync>(
        &self,
        generation: Generation,
        kind: Kind,
        name: &'static str,
        key: &str,
    ) -> Option<Arc<T>> {
        let mut inner = self.lock();
        if !inner.at(generation, kind) {
            return None;
        }
        let value = inner.values(kind).get(&(name, key.to_owned()))?.0.clone();
        value.downcast::<T>().ok()
    }

    /// Remembers a value of `kind` made from data read after `generation`.
    pub fn remember_value<T: std::any::Any + Send + Sync>(
        &self,
        generation: Generation,
        kind: Kind,
        name: &'static str,
        key: String,
        value: Arc<T>,
    ) {
        let mut inner = self.lock();
        if inner.at(generation, kind) {
            keep(inner.values(kind), MAX_VALUES, (name, key), Value(value));
        }
    }

    /// The value called `name` (see [`Memo::remembered_by`]).
    ///
    /// # Errors
    /// What `make` returns.
    pub async fn remembered<T, E>(
        &self,
        generation: Option<Generation>,
        kind: Kind,
        name: &'static str,
        make: impl Future<Output = Result<T, E>>,
    ) -> Result<Arc<T>, E>
    where
        T: std::any::Any + Send + Sync,
    {
        self.remembered_by(generation, kind, name, String::new(), make)
            .await
    }

    /// The value `name` for `key` (everything else it depends on besides the database of
    /// `kind`), remembered under `generation` or made by `make` (from data read after
    /// `generation`) and remembered. Without a generation (no signed-in request), it is made
    /// every time.
    ///
    /// # Errors
    /// What `make` returns.
    pub async fn remembered_by<T, E>(
        &self,
        generation: Option<Generation>,
        kind: Kind,
        name: &'static str,
        key: String,
        make: impl Future<Output = Result<T, E>>,
    ) -> Result<Arc<T>, E>
    where
        T: std::any::Any + Send + Sync,
    {
        if let Some(value) = generation.and_then(|g| self.value::<T>(g, kind, name, &key)) {
            return Ok(value);
        }
        let value = Arc::new(make.await?);
        if let Some(generation) = generation {
            self.remember_value(generation, kind, name, key, Arc::clone(&value));
        }
        Ok(value)
    }
}

/// Answers a signed-in page of `kind` for `user` (`page`: its path and query, and whatever
/// else it depends on besides the database and the clock) from memory when the database has not changed
/// since it was made (and its time has not passed); else makes it with `make` (the page and
/// until when it stays true whatever the database does), remembers it, and answers it.
///
/// # Errors
/// What `make` returns.
pub async fn serve(
    ctx: &crate::views::Ctx,
    user: i32,
    generation: Option<Generation>,
    kind: Kind,
    page: String,
    make: impl Future<Output = Result<(String, DateTime<Utc>), crate::error::AppError>>,
) -> Result<axum::response::Response, crate::error::AppError> {
    use axum::response::{Html, IntoResponse as _};
    let key = PageKey {
        user,
        locale: ctx.locale,
        uri: page,
    };
    let now = Utc::now();
    if let Some(page) = generation.and_then(|g| ctx.app.memo.page(g, kind, &key, now)) {
        ctx.app.metrics.memo_page(true);
        return Ok(Html(page.for_browser(&ctx.csrf)).into_response());
    }
    let (html, until) = make.await?;
    ctx.app.metrics.memo_page(false);
    if let Some(generation) = generation
        && !ctx.csrf.is_empty()
    {
        let page = Page {
            html: Arc::from(html.as_str()),
            csrf: ctx.csrf.clone(),
            until,
        };
        ctx.app.memo.remember_page(generation, kind, key, page);
    }
    Ok(Html(html).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(html: &str, csrf: &str) -> Page {
        Page {
            html: Arc::from(html),
            csrf: csrf.to_owned(),
            until: Utc::now() + chrono::Duration::minutes(1),
        }
    }

    fn g(content: i64, activity: i64) -> Generation {
        Generation { content, activity }
    }

    fn key(uri: &str) -> PageKey {
        PageKey {
            user: 7,
            locale: Locale::En,
            uri: uri.to_owned(),
        }
    }

    #[test]
    fn a_newer_generation_forgets_everything_and_an_older_one_neither_reads_nor_fills() {
        let memo = Memo::default();
        memo.remember_opted_in(g(3, 1), 7, true);
        memo.remember_page(g(3, 1), Kind::Content, key("/hub"), page("<p>old</p>", ""));
        assert_eq!(memo.opted_in(g(3, 1), 7), Some(true));
        assert!(
            memo.page(g(3, 1), Kind::Content, &key("/hub"), Utc::now())
                .is_some()
        );
        // Another process wrote: the next request reads 4.
        assert_eq!(memo.opted_in(g(4, 1), 7), None);
        assert!(
            memo.page(g(4, 1), Kind::Content, &key("/hub"), Utc::now())
                .is_none()
        );
        // A request that read 3 before the write finishes late: what it read is not kept.
        memo.remember_opted_in(g(3, 1), 7, true);
        assert_eq!(memo.opted_in(g(4, 1), 7), None);
        assert_eq!(memo.opted_in(g(3, 1), 7), None);
        memo.remember_opted_in(g(4, 1), 7, false);
        assert_eq!(memo.opted_in(g(4, 1), 7), Some(false));
    }

    #[test]
    fn a_page_past_its_time_is_not_served_and_carries_each_browsers_own_token() {
        let memo = Memo::default();
        let mut expiring = page(r#"<input name="csrf_token" value="aaa">"#, "aaa");
        expiring.until = Utc::now();
        memo.remember_page(g(1, 1), Kind::Content, key("/hub"), expiring);
        assert!(
            memo.page(g(1, 1), Kind::Content, &key("/hub"), Utc::now())
                .is_none()
        );
        memo.remember_page(
            g(1, 1),
            Kind::Content,
            key("/hub"),
            page(r#"value="aaa""#, "aaa"),
        );
        let found = memo
            .page(g(1, 1), Kind::Content, &key("/hub"), Utc::now())
            .unwrap();
        assert_eq!(found.for_browser("bbb"), r#"value="bbb""#);
        assert!(
            memo.page(g(1, 1), Kind::Content, &key("/hub?page=2"), Utc::now())
                .is_none()
        );
    }

    #[test]
    fn activity_forgets_only_the_pages_made_from_it() {
        let memo = Memo::default();
        memo.remember_opted_in(g(1, 1), 7, true);
        memo.remember_page(g(1, 1), Kind::Content, key("/hub"), page("hub", ""));
        memo.remember_page(
            g(1, 1),
            Kind::Activity,
            key("/hub/shares"),
            page("mine", ""),
        );
        assert!(
            memo.page(g(1, 1), Kind::Activity, &key("/hub/shares"), Utc::now())
                .is_some()
        );
        // The worker published a share: "My shares" is made again, the hub is not.
        assert!(
            memo.page(g(1, 2), Kind::Activity, &key("/hub/shares"), Utc::now())
                .is_none()
        );
        assert!(
            memo.page(g(1, 2), Kind::Content, &key("/hub"), Utc::now())
                .is_some()
        );
        assert_eq!(memo.opted_in(g(1, 2), 7), Some(true));
        // A request that read the older activity number does not fill it.
        memo.remember_page(g(1, 1), Kind::Activity, key("/hub/shares"), page("old", ""));
        assert!(
            memo.page(g(1, 2), Kind::Activity, &key("/hub/shares"), Utc::now())
                .is_none()
        );
        // A content change forgets both.
        memo.remember_page(
            g(1, 2),
            Kind::Activity,
            key("/hub/shares"),
            page("mine", ""),
        );
        assert!(
            memo.page(g(2, 2), Kind::Activity, &key("/hub/shares"), Utc::now())
                .is_none()
        );
        assert!(
            memo.page(g(2, 2), Kind::Content, &key("/hub"), Utc::now())
                .is_none()
        );
    }

    #[test]
    fn memory_stays_bounded() {
        let memo = Memo::default();
        for n in 0..(MAX_PAGES + 10) {
            memo.remember_page(
                g(1, 1),
                Kind::Content,
                key(&format!("/hub?page={n}")),
                page("x", ""),
            );
        }
        assert!(memo.lock().pages.len() <= MAX_PAGES);
    }
}
