//! What editors do to an item, each a use case the web layer calls once: save a new version,
//! restore an old one, and move the item through the workflow. Each checks the item can take
//! it, applies the organisation's workflow rules, and writes in one transaction over the
//! version the editor opened (a version saved by someone else in between is a
//! [`EditorialError::Conflict`], never overwritten).

use chorus_policy::{ItemId, UserId};
use sea_orm::DatabaseConnection;

use crate::EditorialError;
use crate::content::ItemInput;
use crate::store::{items, settings};
use crate::workflow::{self, Action, State};

/// What saving did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// Nothing changed since the version the editor opened: no new version.
    Unchanged,
    /// The new version's number.
    Version(i32),
}

/// Saves `input` as a new version of `item` over version `opened`. An edit to a published
/// item goes back to review when the organisation requires a second editor.
///
/// # Errors
/// [`EditorialError::NotFound`], [`EditorialError::NotEditable`] (archived),
/// [`EditorialError::Conflict`], [`EditorialError::Invalid`] for a topic or campaign that no
/// longer exists, or a database failure.
pub async fn save(
    db: &DatabaseConnection,
    item: ItemId,
    opened: i32,
    input: &ItemInput,
    editor: UserId,
) -> Result<Saved, EditorialError> {
    let id = item;
    let item = items::get(db, id).await?;
    if !workflow::editable(item.state) {
        return Err(EditorialError::NotEditable);
    }
    let changed = input.changed_fields(&item.input);
    if changed.is_empty() && opened == item.version {
        return Ok(Saved::Unchanged);
    }
    let summary = if changed.is_empty() {
        "saved".to_owned()
    } else {
        format!("changed {}", changed.join(", "))
    };
    let state = state_after_edit(db, item.state).await?;
    items::update(db, id, opened, input, state, editor, &summary)
        .await
        .map(Saved::Version)
}

/// Makes the content of version `from` a new version of `item`, over version `opened`.
///
/// # Errors
/// As [`save`], and [`EditorialError::NotFound`] for a version that does not exist.
pub async fn restore(
    db: &DatabaseConnection,
    item: ItemId,
    from: i32,
    opened: i32,
    editor: UserId,
) -> Result<i32, EditorialError> {
    let id = item;
    let item = items::get(db, id).await?;
    if !workflow::editable(item.state) {
        return Err(EditorialError::NotEditable);
    }
    let revision = items::revision(db, id, from).await?;
    let state = state_after_edit(db, item.state).await?;
    items::update(
        db,
        id,
        opened,
        &revision.snapshot,
        state,
        editor,
        &format!("restored version {from}"),
    )
    .await
}

/// Applies a workflow action (submit, publish, return to draft, archive, reopen) to `item`
/// over version `opened`, by `actor`; returns the item's new state.
///
/// # Errors
/// [`EditorialError::Conflict`], [`EditorialError::Workflow`] for an action the state or the
/// rules refuse (publishing one's own version when a second editor is required), or a
/// database failure.
pub async fn apply_action(
    db: &DatabaseConnection,
    item: ItemId,
    opened: i32,
    action: Action,
    actor: UserId,
) -> Result<State, EditorialError> {
    let id = item;
    let item = items::get(db, id).await?;
    if item.version != opened {
        return Err(EditorialError::Conflict {
            current_version: item.version,
        });
    }
    let rules = settings::workflow_rules(db).await?;
    let next = workflow::apply(
        item.state,
        action,
        rules,
        workflow::Context {
            actor,
            last_editor: item.updated_by,
        },
    )?;
    items::set_state(
        db,
        id,
        opened,
        next,
        actor,
        &format!("state {} → {next}", item.state),
    )
    .await?;
    Ok(next)
}

async fn state_after_edit(db: &DatabaseConnection, state: State) -> Result<State, EditorialError> {
    let rules = settings::workflow_rules(db).await?;
    Ok(workflow::after_edit(state, rules))
}
