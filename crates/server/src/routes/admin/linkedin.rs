//! LinkedIn's API version as admins see it: the configured `LinkedIn-Version`, when LinkedIn is
//! expected to stop serving it (a warning from 60 days before), and the versions it refused
//! lately with the shares they failed (those go out again once the setting names another).

use chorus_ambassador::linkedin_version::{self, Refusal};
use chorus_policy::Network;
use serde::Serialize;

use crate::error::AppResult;
use crate::views::Ctx;

/// What admins are told.
#[derive(Debug, Serialize)]
pub(crate) struct LinkedInStatus {
    /// `YYYYMM`.
    version: String,
    /// Its expected end, in the admin's language.
    ends: String,
    /// Within 60 days of it, or past it.
    ends_soon: bool,
    /// Past it.
    ended: bool,
    /// Versions LinkedIn refused in the last 7 days.
    refusals: Vec<Refusal>,
}

impl LinkedInStatus {
    /// Whether an admin should act.
    pub(crate) fn needs_action(&self) -> bool {
        self.ends_soon || !self.refusals.is_empty()
    }
}

/// The status, when the organisation registered a LinkedIn app (otherwise nobody publishes to
/// LinkedIn through Chorus and there is nothing to say).
pub(crate) async fn status(ctx: &Ctx) -> AppResult<Option<LinkedInStatus>> {
    let db = &ctx.app.db;
    if !chorus_ambassador::accounts::configured_networks(db)
        .await?
        .contains(&Network::LinkedIn)
    {
        return Ok(None);
    }
    let version = ctx.app.config.linkedin_version;
    let now = chrono::Utc::now();
    let today = now.date_naive();
    Ok(Some(LinkedInStatus {
        version: version.to_string(),
        ends: ctx.locale.date(version.expected_end()),
        ends_soon: version.ends_soon(today),
        ended: version.days_left(today) <= 0,
        refusals: linkedin_version::refusals(db, now).await?,
    }))
}
