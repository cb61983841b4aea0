//! The editorial workflow: draft -> in review -> published to the hub -> archived.
//!
//! Pure rules, no database. When the organisation requires a second editor's approval, the
//! editor who made the current version cannot publish it themselves, and editing a published
//! item sends it back to review so that nothing unapproved reaches the hub.

use std::fmt;
use std::str::FromStr;

use chorus_policy::UserId;
use serde::Serialize;

/// Where a content item is in its life. Stored as its name ([`State::as_str`]); a stored name
/// Chorus does not know makes reading the row fail, it never becomes a default state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, sea_orm::DeriveValueType)]
#[serde(rename_all = "snake_case")]
#[sea_orm(
    value_type = "String",
    from_str = "State::from_stored",
    to_str = "State::stored_name"
)]
pub enum State {
    /// Being written; only editors see it.
    Draft,
    /// Waiting for an editor's review.
    InReview,
    /// In the hub (within its availability window).
    Published,
    /// Taken down; kept for history.
    Archived,
}

impl State {
    /// Every state, in workflow order.
    pub const ALL: [State; 4] = [
        State::Draft,
        State::InReview,
        State::Published,
        State::Archived,
    ];

    /// The stable name stored in the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::InReview => "in_review",
            State::Published => "published",
            State::Archived => "archived",
        }
    }

    // Reason: the column derive calls `to_str(&value)`.
    #[allow(clippy::trivially_copy_pass_by_ref)]
    fn stored_name(&self) -> &'static str {
        self.as_str()
    }

    fn from_stored(stored: &str) -> Result<State, UnknownState> {
        stored.parse().map_err(|_| UnknownState(stored.to_owned()))
    }
}

/// A stored item state name Chorus does not know (corrupt data, or a newer Chorus wrote it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown item state {0:?}")]
pub struct UnknownState(pub String);

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for State {
    type Err = WorkflowError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        State::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or(WorkflowError::UnknownState)
    }
}

/// Something an editor can do to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Ask for review.
    Submit,
    /// Publish to the hub.
    Publish,
    /// Back to draft (from review, or take a published item off the hub).
    ReturnToDraft,
    /// Take down and keep for history.
    Archive,
    /// Bring an archived item back as a draft.
    Reopen,
}

impl Action {
    /// Every action, in the order buttons are shown.
    pub const ALL: [Action; 5] = [
        Action::Submit,
        Action::Publish,
        Action::ReturnToDraft,
        Action::Archive,
        Action::Reopen,
    ];

    /// The stable name used in forms.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Publish => "publish",
            Action::ReturnToDraft => "return_to_draft",
            Action::Archive => "archive",
            Action::Reopen => "reopen",
        }
    }
}

impl FromStr for Action {
    type Err = WorkflowError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::ALL
            .into_iter()
            .find(|action| action.as_str() == s)
            .ok_or(WorkflowError::UnknownAction)
    }
}

/// Why an action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// The action does not apply in this state.
    #[error("this action is not possible in the item's current state")]
    NotAllowed,
    /// The organisation requires a second editor, and the actor made the current version.
    #[error("a second editor must approve this item before it is published")]
    NeedsSecondEditor,
    /// Not a state name.
    #[error("unknown item state")]
    UnknownState,
    /// Not an action name.
    #[error("unknown action")]
    UnknownAction,
}

/// The organisation's workflow settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rules {
    /// Publishing needs an editor other than the one who made the current version.
    pub require_second_approval: bool,
}

/// Who acts, and who made the version being acted on.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// The editor acting.
    pub actor: UserId,
    /// The editor who made the current version, if still known.
    pub last_editor: Option<UserId>,
}

/// The state an action leads to.
///
/// # Errors
/// [`WorkflowError::NotAllowed`] when the action does not apply, and
/// [`WorkflowError::NeedsSecondEditor`] when the actor would approve their own version.
pub fn apply(
    state: State,
    action: Action,
    rules: Rules,
    context: Context,
) -> Result<State, WorkflowError> {
    use {Action as A, State as S};
    match (state, action) {
        (S::Draft, A::Submit) => Ok(S::InReview),
        (S::Draft | S::InReview, A::Publish) => {
            if !rules.require_second_approval {
                Ok(S::Published)
            } else if state == S::Draft {
                Err(WorkflowError::NotAllowed)
            } else if context.last_editor == Some(context.actor) {
                Err(WorkflowError::NeedsSecondEditor)
            } else {
                Ok(S::Published)
            }
        }
        (S::InReview | S::Published, A::ReturnToDraft) | (S::Archived, A::Reopen) => Ok(S::Draft),
        (S::Draft | S::InReview | S::Published, A::Archive) => Ok(S::Archived),
        _ => Err(WorkflowError::NotAllowed),
    }
}

/// The actions to offer this actor for an item in `state`.
#[must_use]
pub fn available(state: State, rules: Rules, context: Context) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|action| apply(state, *action, rules, context).is_ok())
        .collect()
}

/// The state after an edit: with second approval required, editing a published item sends it
/// back to review; otherwise the state does not change.
#[must_use]
pub fn after_edit(state: State, rules: Rules) -> State {
    if rules.require_second_approval && state == State::Published {
        State::InReview
    } else {
        state
    }
}

/// Whether an item can be edited in this state (archived items must be reopened first).
#[must_use]
pub fn editable(state: State) -> bool {
    state != State::Archived
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALONE: Rules = Rules {
        require_second_approval: false,
    };
    const TWO: Rules = Rules {
        require_second_approval: true,
    };
    const BY_ME: Context = Context {
        actor: UserId(1),
        last_editor: Some(UserId(1)),
    };
    const BY_OTHER: Context = Context {
        actor: UserId(2),
        last_editor: Some(UserId(1)),
    };

    #[test]
    fn the_happy_path() {
        let review = apply(State::Draft, Action::Submit, ALONE, BY_ME).unwrap();
        let published = apply(review, Action::Publish, ALONE, BY_ME).unwrap();
        let archived = apply(published, Action::Archive, ALONE, BY_ME).unwrap();
        assert_eq!(
            apply(archived, Action::Reopen, ALONE, BY_ME),
            Ok(State::Draft)
        );
    }

    #[test]
    fn without_the_setting_a_draft_can_be_published_directly() {
        assert_eq!(
            apply(State::Draft, Action::Publish, ALONE, BY_ME),
            Ok(State::Published)
        );
    }

    #[test]
    fn with_the_setting_only_another_editor_publishes_and_only_from_review() {
        assert_eq!(
            apply(State::Draft, Action::Publish, TWO, BY_OTHER),
            Err(WorkflowError::NotAllowed)
        );
        assert_eq!(
            apply(State::InReview, Action::Publish, TWO, BY_ME),
            Err(WorkflowError::NeedsSecondEditor)
        );
        assert_eq!(
            apply(State::InReview, Action::Publish, TWO, BY_OTHER),
            Ok(State::Published)
        );
        assert!(!available(State::InReview, TWO, BY_ME).contains(&Action::Publish));
        assert!(available(State::InReview, TWO, BY_OTHER).contains(&Action::Publish));
    }

    #[test]
    fn editing_a_published_item_needs_review_again_only_with_the_setting() {
        assert_eq!(after_edit(State::Published, TWO), State::InReview);
        assert_eq!(after_edit(State::Published, ALONE), State::Published);
        assert_eq!(after_edit(State::Draft, TWO), State::Draft);
    }

    #[test]
    fn impossible_moves_are_refused() {
        assert_eq!(
            apply(State::Archived, Action::Publish, ALONE, BY_ME),
            Err(WorkflowError::NotAllowed)
        );
        assert_eq!(
            apply(State::Published, Action::Submit, ALONE, BY_ME),
            Err(WorkflowError::NotAllowed)
        );
        assert_eq!(
            apply(State::Draft, Action::Reopen, ALONE, BY_ME),
            Err(WorkflowError::NotAllowed)
        );
        assert!(!editable(State::Archived));
    }

    #[test]
    fn names_round_trip() {
        for state in State::ALL {
            assert_eq!(state.as_str().parse::<State>(), Ok(state));
        }
        for action in Action::ALL {
            assert_eq!(action.as_str().parse::<Action>(), Ok(action));
        }
    }
}
