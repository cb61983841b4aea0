//! Notifications, only as each person chooses (`/account/notifications`; nothing is on by
//! default): what concerns them (their shares published, failed or to check, an account to
//! reconnect, a suggestion published), a digest of what is new in the topics they follow
//! (daily or weekly), and editors' announcements of published items to their topics'
//! followers; each by email, in their own chat, or both. Messages are jobs in
//! the database, queued once (a unique dedupe key), sent by whichever worker claims them with
//! a lease, retried with back-off, and checked again when sent: never to a person who turned
//! them off since, or was deactivated. No tracking pixel and no tracked link: messages link to
//! Chorus pages only, and carry a one-click unsubscribe (RFC 8058) that works without signing
//! in.

mod announce;
pub mod chat;
pub mod email;
mod message;
mod prefs;
mod queue;
mod send;
mod unsubscribe;

pub use announce::{AnnounceError, Announcement, announce, announcement};
pub(crate) use prefs::chat_place;
pub use prefs::{
    Digest, PersonalChat, Prefs, Topic, Via, hearing_events, personal_chat, prefs,
    save_personal_chat, save_prefs, ways,
};
pub use queue::{
    Kind, RECONNECT_NOTICE, queue_digests, queue_reconnect_notices, share_settled,
    suggestion_accepted,
};
pub use send::{address_guard, purge, send_due};
pub use unsubscribe::{unsubscribe_person, unsubscribe_token};

// Shared between the parts.
use message::message;
use prefs::ways_of;
use queue::{NewJob, enqueue};
use send::Job;
