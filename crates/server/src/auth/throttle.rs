//! Sign-in throttling. Failures are counted per account *from one address* (whether or not the
//! account exists, so the answer is the same for unknown emails) and per address. Past a free
//! allowance, each failure blocks the key for a while that doubles up to a cap: an attacker is
//! slowed to a crawl from their own address, while the real person, signing in from theirs, is
//! never blocked by someone else's failures (a block renewed by one wrong password an hour kept
//! a person locked out for good). The client address comes from the trusted proxies' header
//! when Chorus is behind one ([`crate::client_address`]). An admin can clear an account's
//! counters (`chorus user unlock`).
//!
//! Keys are HMAC-SHA-256 under the server's secret key: the table never holds an email or an
//! address, and without the key its keys cannot be reversed by hashing guesses.

use chrono::{Duration, Utc};
use sea_orm::DatabaseConnection;

use crate::store::{StoreError, throttle as store};

/// One kind of throttle key and its rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Key prefix.
    pub prefix: &'static str,
    /// Failures allowed before any wait.
    pub free: i32,
    /// The first wait.
    pub first_block: Duration,
    /// The longest wait.
    pub max_block: Duration,
    /// Failures older than this are forgotten.
    pub window: Duration,
}

/// Per account and address: five tries, then one minute, doubling to fifteen.
pub const ACCOUNT: Rule = Rule {
    prefix: "account:",
    free: 5,
    first_block: Duration::minutes(1),
    max_block: Duration::minutes(15),
    window: Duration::hours(1),
};

/// Per address: more generous (offices share addresses), same shape.
pub const ADDRESS: Rule = Rule {
    prefix: "address:",
    free: 30,
    first_block: Duration::minutes(1),
    max_block: Duration::minutes(15),
    window: Duration::hours(1),
};

impl Rule {
    /// How long `failures` failures block the key; `None` while within the allowance.
    #[must_use]
    pub fn block_for(&self, failures: i32) -> Option<Duration> {
        let over = failures - self.free;
        if over < 0 {
            return None;
        }
        let doublings = u32::try_from(over).unwrap_or(u32::MAX).min(16);
        let block = self.first_block * 2_i32.pow(doublings);
        Some(block.min(self.max_block))
    }
}

fn mac(secret: &[u8; 32], purpose: &str, id: &str) -> String {
    use hmac::{Hmac, Mac as _};
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(b"throttle:");
    mac.update(purpose.as_bytes());
    mac.update(b":");
    mac.update(id.as_bytes());
    crate::auth::to_hex(&mac.finalize().into_bytes())
}

/// The prefix of every key that counts failures against `email`, whatever the address: what
/// an admin's unlock and an erasure delete.
#[must_use]
pub fn account_prefix(secret: &[u8; 32], email: &str) -> String {
    format!(
        "{}{}:",
        ACCOUNT.prefix,
        mac(secret, "account", &email.trim().to_lowercase())
    )
}

/// The keys one attempt counts against: the account from this address, and this address.
#[must_use]
pub fn keys(secret: &[u8; 32], email: &str, address: &str) -> [(Rule, String); 2] {
    let address = mac(secret, "address", address);
    [
        (
            ACCOUNT,
            format!("{}{address}", account_prefix(secret, email)),
        ),
        (ADDRESS, format!("{}{address}", ADDRESS.prefix)),
    ]
}

/// The remaining wait if any key is blocked now.
///
/// # Errors
/// Database failure.
pub async fn blocked(
    db: &DatabaseConnection,
    keys: &[(Rule, String)],
) -> Result<Option<Duration>, StoreError> {
    let now = Utc::now();
    let mut longest: Option<Duration> = None;
    for (_, key) in keys {
        if let Some(until) = store::get(db, key).await?.and_then(|row| row.blocked_until)
            && until > now
        {
            let wait = until - now;
            longest = Some(longest.map_or(wait, |l| l.max(wait)));
        }
    }
    Ok(longest)
}

/// Counts a failure against every key and blocks those over their allowance.
///
/// # Errors
/// Database failure.
pub async fn record_failure(
    db: &DatabaseConnection,
    keys: &[(Rule, String)],
) -> Result<(), StoreError> {
    for (rule, key) in keys {
        let row = store::add_failure(db, key, rule.window).await?;
        if let Some(block) = rule.block_for(row.failures) {
            store::block_until(db, key, Utc::now() + block).await?;
        }
    }
    Ok(())
}

/// Forgets the account's failures after a successful sign-in (the address keeps its count).
///
/// # Errors
/// Database failure.
pub async fn record_success(
    db: &DatabaseConnection,
    keys: &[(Rule, String)],
) -> Result<(), StoreError> {
    if let Some((_, key)) = keys.iter().find(|(rule, _)| rule.prefix == ACCOUNT.prefix) {
        store::clear(db, key).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowance_is_free_then_waits_double_up_to_the_cap() {
        assert_eq!(ACCOUNT.block_for(4), None);
        assert_eq!(ACCOUNT.block_for(5), Some(Duration::minutes(1)));
        assert_eq!(ACCOUNT.block_for(6), Some(Duration::minutes(2)));
        assert_eq!(ACCOUNT.block_for(8), Some(Duration::minutes(8)));
        assert_eq!(ACCOUNT.block_for(9), Some(Duration::minutes(15)));
        assert_eq!(ACCOUNT.block_for(10_000), Some(Duration::minutes(15)));
    }

    #[test]
    fn account_keys_ignore_case_and_spaces_and_are_per_address() {
        let secret = [7u8; 32];
        let [(_, a), _] = keys(&secret, " Ana@Example.org ", "127.0.0.1");
        let [(_, b), _] = keys(&secret, "ana@example.org", "127.0.0.1");
        let [(_, elsewhere), _] = keys(&secret, "ana@example.org", "10.0.0.1");
        assert_eq!(a, b);
        assert_ne!(
            a, elsewhere,
            "failures from one address do not block another"
        );
        let prefix = account_prefix(&secret, "ANA@example.org");
        assert!(a.starts_with(&prefix) && elsewhere.starts_with(&prefix));
    }

    #[test]
    fn keys_are_keyed_hashes_that_a_dictionary_cannot_reverse() {
        let [(_, account), (_, address)] = keys(&[1u8; 32], "ana@example.org", "192.0.2.1");
        let [(_, other_key), _] = keys(&[2u8; 32], "ana@example.org", "192.0.2.1");
        assert_ne!(account, other_key, "another secret, other keys");
        let plain = crate::auth::sha256_hex("192.0.2.1");
        assert!(!address.contains(&plain) && !account.contains(&plain));
        assert!(!account.contains("ana"));
    }
}
