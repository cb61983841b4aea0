//! No ghost posting: nothing is published for an ambassador without their own action for that
//! post, and nobody is nagged.
//!
//! A [`PersonalAction`] is the only proof the publishing queue accepts that a person chose to
//! publish a given share, now or at a time they picked. It can only be made by the share's own
//! author, while they have accepted the current guidelines. There is no auto-share, no
//! "share everything from this topic" and no setting to enable one: nothing in Chorus can make a
//! `PersonalAction` for someone else or for a share they did not write.

use serde::{Deserialize, Serialize};

use crate::consent::{ConsentState, GuidelineVersion};
use crate::{PersonId, PolicyError};

/// What the person chose to do with their share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "at", rename_all = "snake_case")]
pub enum PublishKind {
    /// Publish as soon as a worker picks it up.
    PublishNow,
    /// Publish at this time, in Unix seconds, which they chose for this share.
    ScheduledFor(i64),
}

/// A person's own decision to publish one share.
///
/// It is stored with the share, so the worker reloads it (deserialising trusts the queue,
/// where only this type is written); the worker then checks
/// [`PersonalAction::may_publish`] against the person's consent at sending time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalAction {
    person: PersonId,
    share: u64,
    kind: PublishKind,
}

impl PersonalAction {
    /// Records that `actor`, the signed-in person, chose to publish `share`, written by
    /// `share_author`.
    ///
    /// # Errors
    /// [`PolicyError::NotYourShare`] when `actor` did not write the share;
    /// [`PolicyError::GuidelinesNotAccepted`] unless `consent` accepts `current`.
    pub fn choose(
        actor: PersonId,
        share_author: PersonId,
        share: u64,
        kind: PublishKind,
        consent: &ConsentState,
        current: GuidelineVersion,
    ) -> Result<Self, PolicyError> {
        if actor != share_author {
            return Err(PolicyError::NotYourShare);
        }
        if !consent.is_ambassador(current) {
            return Err(PolicyError::GuidelinesNotAccepted);
        }
        Ok(PersonalAction {
            person: actor,
            share,
            kind,
        })
    }

    /// Who chose.
    pub fn person(&self) -> PersonId {
        self.person
    }

    /// Which share.
    pub fn share(&self) -> u64 {
        self.share
    }

    /// Now or when.
    pub fn kind(&self) -> PublishKind {
        self.kind
    }

    /// Whether the worker may send it at `now`: it is due and the person has not withdrawn.
    /// A newer version of the guidelines does not pause it (see [`crate::consent`]).
    pub fn may_publish(&self, consent: &ConsentState, now: i64) -> bool {
        let due = match self.kind {
            PublishKind::PublishNow => true,
            PublishKind::ScheduledFor(at) => at <= now,
        };
        due && consent.scheduled_shares_may_publish()
    }
}

/// Reminders a person asked for. None unless they ask; there is no reminder about inactivity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderPreference {
    /// No reminders at all (the default).
    #[default]
    Never,
    /// A weekly digest of new content in the hub.
    WeeklyDigest,
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: PersonId = PersonId(1);
    const V1: GuidelineVersion = GuidelineVersion(1);
    const ACCEPTED: ConsentState = ConsentState::Accepted { version: V1, at: 0 };

    #[test]
    fn only_the_author_can_choose_to_publish_their_share() {
        let action = PersonalAction::choose(ME, ME, 9, PublishKind::PublishNow, &ACCEPTED, V1);
        let action = action.unwrap();
        assert_eq!((action.person(), action.share()), (ME, 9));
        let someone_else =
            PersonalAction::choose(PersonId(2), ME, 9, PublishKind::PublishNow, &ACCEPTED, V1);
        assert_eq!(someone_else, Err(PolicyError::NotYourShare));
    }

    #[test]
    fn a_new_share_needs_the_current_guidelines() {
        let never = PersonalAction::choose(
            ME,
            ME,
            9,
            PublishKind::PublishNow,
            &ConsentState::NeverOptedIn,
            V1,
        );
        assert_eq!(never, Err(PolicyError::GuidelinesNotAccepted));
        let stale =
            PersonalAction::choose(ME, ME, 9, PublishKind::PublishNow, &ACCEPTED, V1.next());
        assert_eq!(stale, Err(PolicyError::GuidelinesNotAccepted));
    }

    #[test]
    fn a_scheduled_share_goes_out_at_its_time_unless_withdrawn() {
        let kind = PublishKind::ScheduledFor(1_000);
        let action = PersonalAction::choose(ME, ME, 9, kind, &ACCEPTED, V1).unwrap();
        assert!(!action.may_publish(&ACCEPTED, 999));
        assert!(action.may_publish(&ACCEPTED, 1_000));
        // A new version of the guidelines pauses nothing already scheduled...
        assert!(action.may_publish(&ACCEPTED, 2_000));
        // ...withdrawal pauses everything at once.
        let withdrawn = ACCEPTED.withdraw(500).unwrap();
        assert!(!action.may_publish(&withdrawn, 2_000));
        assert_eq!(action.kind(), kind);
    }

    #[test]
    fn nobody_gets_reminders_they_did_not_ask_for() {
        assert_eq!(ReminderPreference::default(), ReminderPreference::Never);
        let json = serde_json::to_string(&PublishKind::ScheduledFor(5)).unwrap();
        assert_eq!(json, r#"{"kind":"scheduled_for","at":5}"#);
    }
}
