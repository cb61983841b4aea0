//! The editorial crate's one error type.

use crate::content::FieldError;
use crate::workflow::WorkflowError;

/// Everything an editorial operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum EditorialError {
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// No such item, topic or campaign.
    #[error("not found")]
    NotFound,
    /// Someone saved the item since this editor opened it.
    #[error("the item was changed by someone else (now at version {current_version})")]
    Conflict {
        /// The version now stored.
        current_version: i32,
    },
    /// The workflow refused the action.
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    /// The form has errors.
    #[error("the form has {} error(s)", .0.len())]
    Invalid(Vec<FieldError>),
    /// Archived items are read-only until reopened.
    #[error("archived items cannot be edited; reopen it first")]
    NotEditable,
    /// A topic or campaign with this name exists.
    #[error("the name is taken")]
    NameTaken,
    /// A stored revision could not be read back.
    #[error("revision {0} is unreadable")]
    BadRevision(i32),
    /// A stored organisation setting does not parse (corrupt data): named, never defaulted.
    #[error("the stored setting {0} is not valid; set it again on the settings page")]
    BadSetting(&'static str),
}
