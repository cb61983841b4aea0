//! The statistics crate's one error type.

/// Everything reading or recording statistics can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StatisticsError {
    /// The database failed or could not be reached (try again).
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// The grouping of a view stopped before it finished (its task panicked or was cancelled):
    /// a defect, logged with the view's filter.
    #[error("the view could not be computed: {0}")]
    Interrupted(String),
    /// A view's filter could not be written to the audit log (a defect: a filter always
    /// serialises).
    #[error("the view's filter could not be written: {0}")]
    Filter(#[from] serde_json::Error),
}
