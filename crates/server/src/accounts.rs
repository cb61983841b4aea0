//! Accounts: the checked values a form becomes (`Email`, `DisplayName`), and the operations on
//! accounts that pages and the CLI share: create, sign in, change password, set roles,
//! deactivate.

use chorus_policy::{Role, Roles};
use sea_orm::DatabaseConnection;

use crate::auth::password::{self, NewPassword, PasswordRule};
use crate::auth::throttle;
use crate::store::{self, StoreError, users::UserRow};

/// A lower-cased email address of plausible form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Trims, lower-cases and checks the form `local@domain`.
    ///
    /// # Errors
    /// [`AccountError::InvalidEmail`].
    pub fn parse(text: &str) -> Result<Self, AccountError> {
        let email = text.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(email.split_once('@'), Some((local, domain))
                if !local.is_empty() && !domain.is_empty() && !domain.contains('@')
                    && !domain.starts_with('.') && !domain.ends_with('.'));
        if valid {
            Ok(Email(email))
        } else {
            Err(AccountError::InvalidEmail)
        }
    }

    /// The address.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A name shown to colleagues: 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Trims and checks the name.
    ///
    /// # Errors
    /// [`AccountError::InvalidName`].
    pub fn parse(text: &str) -> Result<Self, AccountError> {
        let name = text.trim();
        let chars = name.chars().count();
        if (1..=100).contains(&chars) && !name.chars().any(char::is_control) {
            Ok(DisplayName(name.to_owned()))
        } else {
            Err(AccountError::InvalidName)
        }
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What can go wrong with an account operation. Each maps to a field and a message.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Not an email address.
    #[error("invalid email")]
    InvalidEmail,
    /// Empty or too long name.
    #[error("invalid name")]
    InvalidName,
    /// The new password breaks a rule.
    #[error("password: {0}")]
    Password(#[from] PasswordRule),
    /// The current password given is wrong.
    #[error("current password is wrong")]
    WrongPassword,
    /// The email is in use.
    #[error("email taken")]
    EmailTaken,
    /// No such account.
    #[error("no such account")]
    NotFound,
    /// The change would leave no active admin.
    #[error("this would leave no active admin")]
    LastAdmin,
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
    /// Hashing failed (never with argon2's defaults).
    #[error("password hashing failed")]
    Hashing,
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::EmailTaken => AccountError::EmailTaken,
            StoreError::NotFound => AccountError::NotFound,
            other @ (StoreError::Db(_) | StoreError::Statistics(_)) => AccountError::Store(other),
        }
    }
}

impl AccountError {
    /// The form field the error belongs to, and its message key.
    #[must_use]
    pub fn field(&self) -> (&'static str, &'static str) {
        match self {
            AccountError::InvalidEmail => ("email", "form.invalid_email"),
            AccountError::EmailTaken => ("email", "form.email_taken"),
            AccountError::InvalidName => ("name", "form.invalid_name"),
            AccountError::Password(PasswordRule::TooShort) => {
                ("password", "form.password_too_short")
            }
            AccountError::Password(PasswordRule::TooLong) => ("password", "form.password_too_long"),
            AccountError::WrongPassword => ("current_password", "form.wrong_password"),
            AccountError::LastAdmin => ("roles", "form.last_admin"),
            AccountError::NotFound => ("form", "error.not_found"),
            AccountError::Store(_) | AccountError::Hashing => ("form", "error.internal"),
        }
    }
}

async fn hash(password: NewPassword) -> Result<String, AccountError> {
    tokio::task::spawn_blocking(move || password.hash())
        .await
        .map_err(|_| AccountError::Hashing)?
        .map_err(|_| AccountError::Hashing)
}

async fn verify(password: &str, hash: Option<String>) -> bool {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || password::verify(&password, hash.as_deref()))
        .await
        .unwrap_or(false)
}

/// Creates an account.
///
/// # Errors
/// [`AccountError`].
pub async fn create(
    db: &DatabaseConnection,
    email: &Email,
    name: &DisplayName,
    password: NewPassword,
    roles: Roles,
) -> Result<UserRow, AccountError> {
    let password_hash = hash(password).await?;
    Ok(store::users::insert(
        db,
        store::users::NewUserRow {
            email: email.as_str(),
            display_name: name.as_str(),
            password_hash: Some(&password_hash),
            roles,
        },
    )
    .await?)
}

/// Why signing in did not work.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Wrong email or password: the same answer whether or not the account exists.
    #[error("wrong email or password")]
    Invalid,
    /// Too many failures: try again after this many minutes.
    #[error("too many attempts")]
    Throttled {
        /// Minutes to wait, rounded up.
        minutes: i64,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks an email and password, counting failures per account and per address.
///
/// # Errors
/// [`SignInError`].
pub async fn authenticate(
    db: &DatabaseConnection,
    secret: &[u8; 32],
    email: &str,
    password: &str,
    address: &str,
) -> Result<UserRow, SignInError> {
    let keys = throttle::keys(secret, email, address);
    if let Some(wait) = throttle::blocked(db, &keys).await? {
        return Err(SignInError::Throttled {
            minutes: (wait.num_seconds() + 59) / 60,
        });
    }
    let row = match Email::parse(email) {
        Ok(email) => store::users::by_email(db, email.as_str()).await?,
        Err(_) => None,
    };
    let active = row.filter(|r| r.active);
    let hash = active.as_ref().and_then(|r| r.password_hash.clone());
    if verify(password, hash).await
        && let Some(row) = active
    {
        throttle::record_success(db, &keys).await?;
        return Ok(row);
    }
    throttle::record_failure(db, &keys).await?;
    Err(SignInError::Invalid)
}

/// Changes a password after checking the current one.
///
/// # Errors
/// [`AccountError::WrongPassword`] or a rule of the new one.
pub async fn change_password(
    db: &DatabaseConnection,
    user_id: i32,
    current: &str,
    new: &str,
) -> Result<(), AccountError> {
    let new = NewPassword::parse(new)?;
    let row = store::users::by_id(db, user_id)
        .await?
        .ok_or(AccountError::NotFound)?;
    if !verify(current, row.password_hash.clone()).await {
        return Err(AccountError::WrongPassword);
    }
    let hashed = hash(new).await?;
    store::users::set_password_hash(db, user_id, &hashed).await?;
    Ok(())
}

async fn active_admins_other_than(
    db: &DatabaseConnection,
    user_id: i32,
) -> Result<usize, AccountError> {
    Ok(store::users::list(db)
        .await?
        .iter()
        .filter(|u| u.id != user_id && u.active)
        .filter(|u| u.roles.0.has(Role::Admin))
        .count())
}

/// Replaces an account's roles, refusing to remove the last active admin.
///
/// # Errors
/// [`AccountError::LastAdmin`], [`AccountError::NotFound`].
pub async fn set_roles(
    db: &DatabaseConnection,
    user_id: i32,
    roles: Roles,
) -> Result<UserRow, AccountError> {
    let row = store::users::by_id(db, user_id)
        .await?
        .ok_or(AccountError::NotFound)?;
    let was_admin = row.roles.0.has(Role::Admin);
    if was_admin
        && row.active
        && !roles.has(Role::Admin)
        && active_admins_other_than(db, user_id).await? == 0
    {
        return Err(AccountError::LastAdmin);
    }
    Ok(store::users::set_roles(db, user_id, roles).await?)
}

/// Deactivates an account (ending its sessions at once) or reactivates it.
///
/// # Errors
/// [`AccountError::LastAdmin`], [`AccountError::NotFound`].
pub async fn set_active(
    db: &DatabaseConnection,
    user_id: i32,
    active: bool,
) -> Result<UserRow, AccountError> {
    let row = store::users::by_id(db, user_id)
        .await?
        .ok_or(AccountError::NotFound)?;
    let is_admin = row.roles.0.has(Role::Admin);
    if !active && is_admin && row.active && active_admins_other_than(db, user_id).await? == 0 {
        return Err(AccountError::LastAdmin);
    }
    Ok(store::users::set_active(db, user_id, active).await?)
}

/// Gives an account a new generated password, returned to be shown once: the person's
/// sessions end, and the sign-in counters against their account are cleared (a person locked
/// out by someone else's guesses can sign in again at once).
///
/// # Errors
/// [`AccountError::NotFound`], or a database or hashing failure.
pub async fn reset_password(
    db: &DatabaseConnection,
    secret: &[u8; 32],
    user_id: i32,
) -> Result<(UserRow, NewPassword), AccountError> {
    let row = store::users::by_id(db, user_id)
        .await?
        .ok_or(AccountError::NotFound)?;
    let password = NewPassword::generate();
    let shown = NewPassword::parse(password.reveal())?;
    let hashed = hash(password).await?;
    store::users::set_password_hash(db, user_id, &hashed).await?;
    store::sessions::delete_for_user(db, user_id, None).await?;
    unlock(db, secret, &row.email).await?;
    Ok((row, shown))
}

/// Clears the sign-in counters against `email`'s account, from every address; returns how
/// many were cleared.
///
/// # Errors
/// Database failure.
pub async fn unlock(
    db: &DatabaseConnection,
    secret: &[u8; 32],
    email: &str,
) -> Result<u64, AccountError> {
    let prefix = crate::auth::throttle::account_prefix(secret, email);
    Ok(store::throttle::clear_prefix(db, &prefix).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(
            Email::parse("  Ana@Example.ORG ").unwrap().as_str(),
            "ana@example.org"
        );
        for bad in [
            "",
            "ana",
            "@x.org",
            "ana@",
            "a b@x.org",
            "ana@x@y",
            "ana@.x",
            "ana@x.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            DisplayName::parse("  Ana Lima ").unwrap().as_str(),
            "Ana Lima"
        );
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"x".repeat(101)).is_err());
        assert!(DisplayName::parse("a\u{0}b").is_err());
    }
}
