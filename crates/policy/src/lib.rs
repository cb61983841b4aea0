//! Chorus's rules as pure code, with no I/O: who may enter which area, guidelines and consent,
//! visibility choices, the minimum group size (and the guard against figures that reveal a
//! person by difference), disclosure, advice on a draft, the OAuth scopes each network may be
//! asked for, and the proof that a person chose to publish.
//!
//! Nothing here knows about the web, the database or HTTP clients, so every rule is tested
//! without them and the rest of the system can only show what these types allow.

use serde::{Deserialize, Serialize};

pub mod advice;
pub mod consent;
pub mod difference;
pub mod disclosure;
pub mod error;
pub mod group_size;
pub mod ids;
pub mod network;
pub mod publishing;
pub mod retention;
pub mod rhythm;
pub mod roles;
pub mod sameness;
pub mod scopes;
pub mod tokens;
pub mod visibility;

pub use advice::{Advice, Draft, NEARLY_IDENTICAL_PERCENT, advise, blocks_publishing};
pub use consent::{ConsentReceipt, ConsentState, GuidelineVersion, default_guidelines};
pub use difference::{DifferenceGuard, Population};
pub use disclosure::{Disclosure, Disclosures, contains_disclosure};
pub use error::PolicyError;
pub use group_size::{
    AggregateTable, Contribution, Figure, FigureStatus, GroupCount, GroupFigure, Measure,
    MinGroupSize,
};
pub use ids::{AccountId, CampaignId, FeedId, ItemId, LinkId, MediaId, ShareId, TopicId, UserId};
pub use network::{Network, UnknownNetwork};
pub use publishing::{PersonalAction, PublishKind, ReminderPreference};
pub use rhythm::{Hold, QuietHours, Rhythm, Slot};
pub use roles::{Area, Role, Roles, UnknownRole};
pub use scopes::{check_requested, scope_parameter, scope_separator, scopes};
pub use visibility::{
    Audience, Detail, Named, PersonalDatum, TransparencyRow, VisibilityChoices, audience,
    transparency,
};

/// An opaque id for a person, as the database stores it. It goes into the rules (who
/// contributed to a figure, who chose to publish) and never comes out of a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonId(pub u64);
