//! `policy`'s closed sets as database columns. `policy` has no database dependency, so the
//! column type is a wrapper here, in the lowest crate that owns tables.
//!
//! A network is stored as its stable name ([`Network::as_str`]). A stored name Chorus does not
//! know makes reading the row fail with that name in the error: it is never replaced by a
//! default network, which would send a post to the wrong place or hide corrupt data.

use std::sync::Arc;

use chorus_policy::Network;
use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, StringLen, ValueType, ValueTypeErr};
use sea_orm::{
    ColIdx, DbErr, IntoActiveValue, QueryResult, TryFromU64, TryGetError, TryGetable, Value,
};

/// A network column (`shares.network`, `connected_accounts.network`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NetworkColumn(pub Network);

impl NetworkColumn {
    /// The network.
    #[must_use]
    pub fn get(self) -> Network {
        self.0
    }
}

impl From<Network> for NetworkColumn {
    fn from(network: Network) -> Self {
        NetworkColumn(network)
    }
}

impl From<NetworkColumn> for Network {
    fn from(column: NetworkColumn) -> Self {
        column.0
    }
}

impl PartialEq<Network> for NetworkColumn {
    fn eq(&self, other: &Network) -> bool {
        self.0 == *other
    }
}

impl serde::Serialize for NetworkColumn {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.as_str())
    }
}

impl From<NetworkColumn> for Value {
    fn from(column: NetworkColumn) -> Self {
        column.0.as_str().into()
    }
}

impl TryGetable for NetworkColumn {
    fn try_get_by<I: ColIdx>(result: &QueryResult, index: I) -> Result<Self, TryGetError> {
        let stored = String::try_get_by(result, index)?;
        stored.parse().map(NetworkColumn).map_err(|error| {
            TryGetError::DbErr(DbErr::TryIntoErr {
                from: "String",
                into: "Network",
                source: Arc::new(error),
            })
        })
    }
}

impl ValueType for NetworkColumn {
    fn try_from(value: Value) -> Result<Self, ValueTypeErr> {
        let stored = <String as ValueType>::try_from(value)?;
        stored.parse().map(NetworkColumn).map_err(|_| ValueTypeErr)
    }

    fn type_name() -> String {
        "Network".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::String
    }

    fn column_type() -> ColumnType {
        ColumnType::String(StringLen::None)
    }
}

impl Nullable for NetworkColumn {
    fn null() -> Value {
        Value::String(None)
    }
}

impl IntoActiveValue<NetworkColumn> for NetworkColumn {
    fn into_active_value(self) -> sea_orm::ActiveValue<NetworkColumn> {
        sea_orm::ActiveValue::Set(self)
    }
}

/// Network is part of a composite primary key (`network_copy`); it is never generated.
impl TryFromU64 for NetworkColumn {
    fn try_from_u64(_: u64) -> Result<Self, DbErr> {
        Err(DbErr::ConvertFromU64("Network"))
    }
}
