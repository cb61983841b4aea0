//! sea-orm entities for the ambassador tables, free of behaviour.

/// `network_apps`: Chorus's client credentials per network (and per instance for Mastodon).
pub mod network_app {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "network_apps")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub network: chorus_editorial::store::NetworkColumn,
        pub instance: String,
        pub client_id: String,
        pub client_secret: String,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `oauth_states`: one pending authorisation, single-use, bound to a session.
pub mod oauth_state {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "oauth_states")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub state: String,
        pub user_id: i32,
        pub session_hash: String,
        pub network: chorus_editorial::store::NetworkColumn,
        pub instance: String,
        pub pkce_verifier: String,
        pub created_at: ChronoDateTimeUtc,
        /// Bluesky OAuth: the account's new DPoP key, sealed.
        pub dpop_key: Option<String>,
        /// Bluesky OAuth: the DID the sign-in started from.
        pub account_did: Option<String>,
        /// Bluesky OAuth: its PDS.
        pub pds_url: Option<String>,
        /// Bluesky OAuth: the authorization server (`iss` of the callback must match).
        pub issuer: Option<String>,
        /// Bluesky OAuth: the client id the request was pushed with.
        pub client_id: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `connected_accounts`: a person's own account on a network; tokens sealed.
pub mod connected_account {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "connected_accounts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub user_id: i32,
        pub network: chorus_editorial::store::NetworkColumn,
        pub instance: String,
        pub external_id: String,
        pub handle: String,
        pub display_name: String,
        pub profile_url: Option<String>,
        pub access_token: String,
        pub refresh_token: Option<String>,
        pub expires_at: Option<ChronoDateTimeUtc>,
        pub scopes: String,
        pub needs_reconnect: bool,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
        /// Bluesky OAuth: the DPoP key the tokens are bound to, sealed; `None` for bearer tokens.
        pub dpop_key: Option<String>,
        /// Bluesky OAuth: the authorization server that issued the tokens.
        pub oauth_issuer: Option<String>,
        /// Bluesky OAuth: the client id the tokens were issued to.
        pub oauth_client_id: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `shares`: the publishing queue; one row per post to one account.
pub mod share {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "shares")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub user_id: i32,
        pub item_id: Option<i32>,
        pub account_id: Option<i32>,
        pub network: chorus_editorial::store::NetworkColumn,
        pub text: String,
        pub link: Option<String>,
        pub link_title: Option<String>,
        pub language: Option<String>,
        pub state: crate::shares::ShareState,
        pub scheduled_at: ChronoDateTimeUtc,
        pub next_attempt_at: ChronoDateTimeUtc,
        pub attempts: i32,
        pub idempotency_key: String,
        pub lease_owner: Option<String>,
        pub lease_until: Option<ChronoDateTimeUtc>,
        pub external_id: Option<String>,
        pub external_url: Option<String>,
        pub last_error: Option<String>,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
        pub published_at: Option<ChronoDateTimeUtc>,
        /// Threads: the container created by the first step, committed before the second.
        pub container_id: Option<String>,
        /// "Post it yourself": the network's composer opened with the text (no account).
        pub composer_url: Option<String>,
        /// Why the person's rhythm moved it (`quiet_hours`, `daily_cap`), while it waits.
        pub held_by: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `share_images`: the image a person chose to post with a share (at most one per share).
pub mod share_image {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "share_images")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub share_id: i32,
        /// One of the item's images (null once the editors removed it).
        pub media_id: Option<i32>,
        /// The person's own upload, metadata stripped.
        pub data: Option<Vec<u8>>,
        pub content_type: String,
        pub alt: String,
        pub size: i32,
        pub width: i32,
        pub height: i32,
        /// The unguessable part of its public address (`/share-images/{token}`).
        #[sea_orm(unique)]
        pub token: String,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `tracked_links`: one short code per share.
pub mod tracked_link {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tracked_links")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub code: String,
        pub share_id: Option<i32>,
        pub target_url: String,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `onboarding`: what a person said in the welcome step, and when they finished it.
pub mod onboarding {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "onboarding")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i32,
        pub welcomed_at: Option<ChronoDateTimeUtc>,
        /// The networks the person uses, comma-separated (`linkedin,x`).
        pub networks: Option<String>,
        /// An IANA time zone name (`Europe/Paris`).
        pub time_zone: Option<String>,
        /// The start of their quiet hours, `HH:MM` in their zone.
        pub quiet_from: Option<String>,
        /// Their end.
        pub quiet_until: Option<String>,
        /// At most this many of their shares go out on one day.
        pub daily_cap: Option<i32>,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
