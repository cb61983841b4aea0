//! What the hub and editors read about shares of an item, always of people opted in: how many
//! shared it, the published texts (for how varied they were), and the names of those who chose
//! to be named.

use chorus_policy::{ItemId, Network, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, EntityTrait as _, QueryFilter as _, QueryOrder as _,
    QuerySelect as _, Statement,
};

use super::ShareState;
use crate::store::entities::share;

/// How many people (currently opted in) have a published share of each of `items` (a share
/// later deleted from its network still counts: it was shared).
///
/// # Errors
/// Database failure.
pub async fn sharers_per_item(
    db: &impl ConnectionTrait,
    items: &[ItemId],
) -> Result<std::collections::HashMap<ItemId, usize>, sea_orm::DbErr> {
    if items.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let list = items
        .iter()
        .map(ItemId::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT item_id, CAST(COUNT(DISTINCT user_id) AS BIGINT) AS people FROM shares \
                 WHERE item_id IN ({list}) AND state IN ('{}', '{}') \
                 AND user_id IN (SELECT user_id FROM consents WHERE withdrawn_at IS NULL) \
                 GROUP BY item_id",
                ShareState::Published.as_str(),
                ShareState::Deleted.as_str()
            ),
        ))
        .await?;
    let mut out = std::collections::HashMap::new();
    for row in rows {
        let item: i32 = row.try_get("", "item_id")?;
        let people: i64 = row.try_get("", "people")?;
        out.insert(ItemId(item), usize::try_from(people).unwrap_or_default());
    }
    Ok(out)
}

/// The published posts of `item`, the latest per person and network, of people opted in: what
/// editors see as a distribution (how varied the posts were) and what a person's draft is
/// compared with ([`chorus_policy::sameness`]); never shown one by one, never named.
///
/// # Errors
/// Database failure.
pub async fn published_texts(
    db: &impl ConnectionTrait,
    item: ItemId,
) -> Result<Vec<(UserId, Network, String)>, sea_orm::DbErr> {
    let rows: Vec<(i32, String, String)> = share::Entity::find()
        .select_only()
        .column(share::Column::UserId)
        .column(share::Column::Network)
        .column(share::Column::Text)
        .filter(share::Column::ItemId.eq(item.get()))
        .filter(share::Column::State.eq(ShareState::Published.as_str()))
        .filter(
            share::Column::UserId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column("user_id")
                    .from("consents")
                    .and_where(sea_orm::sea_query::ExprTrait::is_null(Expr::col(
                        "withdrawn_at",
                    )))
                    .to_owned(),
            ),
        )
        .order_by_desc(share::Column::Id)
        .limit(20_000)
        .into_tuple()
        .all(db)
        .await?;
    let mut seen = std::collections::HashSet::new();
    Ok(rows
        .into_iter()
        .filter_map(|(user, network, text)| {
            let network: Network = network.parse().ok()?;
            seen.insert((user, network))
                .then_some((UserId(user), network, text))
        })
        .collect())
}

/// The names of the people who chose to show their name on what they shared
/// (`show_name_on_shared_content`, off by default), per item of `items`, in name order: people
/// currently opted in and active, with a share of the item still published (a share they
/// deleted from its network no longer names them).
///
/// # Errors
/// Database failure.
pub async fn named_sharers_per_item(
    db: &impl ConnectionTrait,
    items: &[ItemId],
) -> Result<std::collections::HashMap<ItemId, Vec<String>>, sea_orm::DbErr> {
    let mut out: std::collections::HashMap<ItemId, Vec<String>> = std::collections::HashMap::new();
    if items.is_empty() {
        return Ok(out);
    }
    let list = items
        .iter()
        .map(ItemId::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT DISTINCT s.item_id AS item_id, u.display_name AS name FROM shares s \
                 JOIN users u ON u.id = s.user_id \
                 JOIN visibility_choices v ON v.user_id = s.user_id \
                 WHERE s.item_id IN ({list}) AND s.state = '{}' AND u.active = TRUE \
                 AND v.show_name_on_shared_content = TRUE \
                 AND s.user_id IN (SELECT user_id FROM consents WHERE withdrawn_at IS NULL) \
                 ORDER BY s.item_id, u.display_name",
                ShareState::Published.as_str(),
            ),
        ))
        .await?;
    for row in rows {
        let item: i32 = row.try_get("", "item_id")?;
        out.entry(ItemId(item))
            .or_default()
            .push(row.try_get("", "name")?);
    }
    Ok(out)
}
