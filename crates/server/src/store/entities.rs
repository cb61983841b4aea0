//! sea-orm entities for the server's tables, generated-style and free of behaviour.

use chorus_policy::{Roles, UnknownRole};

/// A person's roles as stored (`editor,analyst`). A stored name Chorus does not know makes
/// reading the row fail with that name in the error: it is never read as "no role" or as a
/// default role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sea_orm::DeriveValueType)]
#[sea_orm(
    value_type = "String",
    from_str = "RolesColumn::parse",
    to_str = "RolesColumn::stored"
)]
pub struct RolesColumn(pub Roles);

impl RolesColumn {
    fn parse(stored: &str) -> Result<Self, UnknownRole> {
        Roles::parse_list(stored).map(RolesColumn)
    }

    // Reason: the column derive calls `to_str(&value)`.
    #[allow(clippy::trivially_copy_pass_by_ref)]
    fn stored(&self) -> String {
        self.0.to_list()
    }
}

/// `users`: one row per person with an account.
pub mod user {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        #[sea_orm(unique)]
        pub email: String,
        pub display_name: String,
        pub password_hash: Option<String>,
        pub roles: super::RolesColumn,
        pub team: Option<String>,
        pub locale: Option<String>,
        pub active: bool,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
        pub last_sign_in_at: Option<ChronoDateTimeUtc>,
        /// `issuer|sub` at the company's identity provider, once they signed in through it.
        pub oidc_subject: Option<String>,
        /// The `externalId` a SCIM provider gave this person.
        pub scim_external_id: Option<String>,
        /// The SCIM `userName`, when it is not their email.
        pub scim_user_name: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `sessions`: signed-in browsers; the key is a hash of the cookie's secret.
pub mod session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub user_id: i32,
        pub created_at: ChronoDateTimeUtc,
        pub expires_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `sign_in_throttle`: failed sign-in counters per account and per address.
pub mod sign_in_throttle {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sign_in_throttle")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub failures: i32,
        pub last_failure_at: ChronoDateTimeUtc,
        pub blocked_until: Option<ChronoDateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `guideline_versions`: each published version of the guidelines, in English and French.
pub mod guideline_version {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "guideline_versions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub version: i32,
        pub body_en: String,
        pub body_fr: String,
        pub published_by: Option<i32>,
        pub published_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `consents`: consent receipts (accepted, and withdrawn when closed).
pub mod consent {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "consents")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub user_id: i32,
        pub version: i32,
        pub accepted_at: ChronoDateTimeUtc,
        pub withdrawn_at: Option<ChronoDateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `visibility_choices`: what each person lets others see; no row means everything off.
pub mod visibility_choice {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "visibility_choices")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i32,
        pub be_named_in_statistics: bool,
        pub show_name_on_shared_content: bool,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
