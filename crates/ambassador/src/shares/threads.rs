//! Publishing a Threads share in two recorded steps. Threads has no idempotency: its post is a
//! container created first, then published. The container id is committed on the share (by the
//! lease holder) before the publish step, so a publish step that fails with a server error or
//! gets no answer is retried on that same container: its status says whether to publish it
//! (FINISHED), or that the post already exists (PUBLISHED), and no second container is made.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait as _, DatabaseConnection, EntityTrait as _, QueryFilter as _};

use super::{ShareRow, ShareState};
use crate::connectors::{Account, ContainerStatus, Post, PublishError, Published, Threads};
use crate::store::entities::share;

/// One attempt at a claimed Threads share: the recorded container looked at first, otherwise
/// a new container, recorded, then published.
///
/// # Errors
/// As [`Threads::publish_container`]; [`PublishError::Uncertain`] without a container id when
/// the recorded container is already published (the post exists but Threads does not tell its
/// id: its owner checks); `Unavailable` when the container could not be recorded.
pub async fn publish_threads(
    db: &DatabaseConnection,
    threads: &Threads,
    claimed: &ShareRow,
    owner: &str,
    account: &Account,
    post: &Post,
) -> Result<Published, PublishError> {
    let recorded = share::Entity::find_by_id(claimed.id)
        .one(db)
        .await
        .map_err(not_recorded)?
        .and_then(|row| row.container_id);
    if let Some(container_id) = recorded {
        match threads.container_status(account, &container_id).await? {
            ContainerStatus::Finished | ContainerStatus::InProgress => {
                return threads.publish_container(account, &container_id).await;
            }
            ContainerStatus::Published => {
                return Err(PublishError::Uncertain {
                    detail: format!(
                        "Threads reports container {container_id} as published: the post is on the profile"
                    ),
                    container_id: None,
                });
            }
            // Never published and never will be: a new container is safe.
            ContainerStatus::Expired | ContainerStatus::Error(_) => {}
        }
    }
    let container_id = threads.create_container(account, post).await?;
    record_container(db, claimed.id, owner, &container_id).await?;
    threads.publish_container(account, &container_id).await
}

/// Commits the container id on the share, only while `owner` holds its lease. Without it the
/// publish step is not taken: a container alone is not a post, so trying again is harmless.
async fn record_container(
    db: &DatabaseConnection,
    share_id: i32,
    owner: &str,
    container_id: &str,
) -> Result<(), PublishError> {
    let result = share::Entity::update_many()
        .col_expr(share::Column::ContainerId, Expr::value(container_id))
        .col_expr(share::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(share::Column::Id.eq(share_id))
        .filter(share::Column::State.eq(ShareState::Sending.as_str()))
        .filter(share::Column::LeaseOwner.eq(owner))
        .exec(db)
        .await
        .map_err(not_recorded)?;
    if result.rows_affected == 1 {
        Ok(())
    } else {
        Err(PublishError::Unavailable {
            retryable_before_send: true,
            status: None,
            detail: "the share's lease was lost before its Threads container was recorded"
                .to_owned(),
        })
    }
}

fn not_recorded(error: sea_orm::DbErr) -> PublishError {
    PublishError::Unavailable {
        retryable_before_send: true,
        status: None,
        detail: format!("the Threads container could not be recorded: {error}"),
    }
}
