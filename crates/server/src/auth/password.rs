//! Passwords: argon2id hashes, and what makes a new password acceptable.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString, rand_core::OsRng,
};

/// A new password that passed the length rule. Its `Debug` hides it.
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(<hidden>)")
    }
}

/// Why a new password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRule {
    /// Fewer than [`NewPassword::MIN_CHARS`] characters.
    #[error("password too short")]
    TooShort,
    /// More than [`NewPassword::MAX_CHARS`] characters.
    #[error("password too long")]
    TooLong,
}

impl NewPassword {
    /// The shortest acceptable password: length beats composition rules (NIST SP 800-63B).
    pub const MIN_CHARS: usize = 10;
    /// The longest, so that hashing stays cheap.
    pub const MAX_CHARS: usize = 256;

    /// Checks the length rule.
    ///
    /// # Errors
    /// Says which rule failed.
    pub fn parse(text: &str) -> Result<Self, PasswordRule> {
        let chars = text.chars().count();
        if chars < Self::MIN_CHARS {
            Err(PasswordRule::TooShort)
        } else if chars > Self::MAX_CHARS {
            Err(PasswordRule::TooLong)
        } else {
            Ok(NewPassword(text.to_owned()))
        }
    }

    /// A random password for accounts created from the command line.
    #[must_use]
    pub fn generate() -> Self {
        NewPassword(super::random_token()[..20].to_owned())
    }

    /// The password's text, to show once when it was generated.
    #[must_use]
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// The argon2id PHC string. Slow on purpose: call from a blocking thread.
    ///
    /// # Errors
    /// Only if the hasher fails, which argon2's defaults never do.
    pub fn hash(&self) -> Result<String, argon2::password_hash::Error> {
        let salt = SaltString::generate(&mut OsRng);
        Ok(Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)?
            .to_string())
    }
}

/// Whether `password` matches `hash`. A missing or unreadable hash never matches, but is
/// checked against a fixed hash first so that the time taken does not tell whether the account
/// exists.
#[must_use]
pub fn verify(password: &str, hash: Option<&str>) -> bool {
    let parsed = hash.and_then(|h| PasswordHash::new(h).ok());
    if let Some(parsed) = parsed {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    } else {
        if let Ok(dummy) = PasswordHash::new(DUMMY_HASH) {
            let _ = Argon2::default().verify_password(password.as_bytes(), &dummy);
        }
        false
    }
}

/// argon2id of a random string nobody knows, with the default parameters.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Jqfc1Pn2y0hDNlEGcQBFyUAozBLXfmGXF5SWKcROJvE";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password() {
        let password = NewPassword::parse("correct horse battery").unwrap();
        let hash = password.hash().unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", Some(&hash)));
        assert!(!verify("correct horse batterY", Some(&hash)));
        assert!(!verify("correct horse battery", None));
    }

    #[test]
    fn length_rules() {
        assert_eq!(
            NewPassword::parse("short").unwrap_err(),
            PasswordRule::TooShort
        );
        assert_eq!(
            NewPassword::parse(&"x".repeat(300)).unwrap_err(),
            PasswordRule::TooLong
        );
        assert!(NewPassword::parse("ten chars!").is_ok());
        assert_eq!(NewPassword::generate().reveal().len(), 20);
    }

    #[test]
    fn new_password_debug_hides_it() {
        let password = NewPassword::parse("a secret passphrase").unwrap();
        assert!(!format!("{password:?}").contains("secret"));
    }

    #[test]
    fn the_dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
