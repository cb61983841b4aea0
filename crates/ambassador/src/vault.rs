//! Tokens at rest: AES-256-GCM under a key derived from the configured secret, with the key's
//! id in every ciphertext so keys can rotate, and the row and column bound into the
//! associated data so that a ciphertext copied to another row or column does not decrypt.
//!
//! Sealed form: `v1.<key id>.<nonce b64>.<ciphertext b64>`. Plaintext never appears in a
//! `Debug`, a log or an error.

use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

/// Why a sealed value could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// Not in the sealed form.
    #[error("the stored token is not in the expected form")]
    Malformed,
    /// Sealed under a key this process does not have.
    #[error(
        "the stored token was sealed with a key that is not configured; add the old key to CHORUS_PREVIOUS_SECRET_KEYS"
    )]
    UnknownKey,
    /// Tampered with, or moved to another row or column.
    #[error("the stored token does not match its row; it may have been tampered with")]
    Tampered,
}

/// One token-encryption key and its id.
#[derive(Clone)]
struct TokenKey {
    id: String,
    key: [u8; 32],
}

impl TokenKey {
    fn derive(master: &[u8; 32]) -> Option<Self> {
        let mut mac = <Hmac<Sha256> as hmac::Mac>::new_from_slice(master).ok()?;
        mac.update(b"chorus/token-encryption/v1");
        let key: [u8; 32] = mac.finalize().into_bytes().into();
        let digest = Sha256::digest(key);
        let id = URL_SAFE_NO_PAD.encode(&digest[..6]);
        Some(TokenKey { id, key })
    }
}

/// The keys this process can use: the current one seals, every one opens.
#[derive(Clone)]
pub struct Vault {
    current: TokenKey,
    previous: Vec<TokenKey>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("current_key_id", &self.current.id)
            .finish_non_exhaustive()
    }
}

/// Where a sealed value lives: it only opens there.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    /// Table.
    pub table: &'a str,
    /// Column.
    pub column: &'a str,
    /// Row id.
    pub row: i64,
}

impl Place<'_> {
    fn aad(&self) -> String {
        format!("{}:{}:{}", self.table, self.column, self.row)
    }
}

impl Vault {
    /// A vault from the configured secret and any previous secrets (oldest last).
    #[must_use]
    pub fn new(current: &[u8; 32], previous: &[[u8; 32]]) -> Option<Vault> {
        Some(Vault {
            current: TokenKey::derive(current)?,
            previous: previous.iter().filter_map(TokenKey::derive).collect(),
        })
    }

    /// The id of the key that seals now.
    #[must_use]
    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    /// Seals `plaintext` for `place` under the current key.
    #[must_use]
    pub fn seal(&self, place: Place<'_>, plaintext: &str) -> String {
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.current.key));
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = place.aad();
        // Encrypting into a Vec cannot fail for inputs of this size.
        let ciphertext = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .unwrap_or_default();
        format!(
            "v1.{}.{}.{}",
            self.current.id,
            URL_SAFE_NO_PAD.encode(nonce),
            URL_SAFE_NO_PAD.encode(ciphertext)
        )
    }

    /// Opens a sealed value stored at `place`.
    ///
    /// # Errors
    /// [`VaultError`]; never includes the secret.
    pub fn open(&self, place: Place<'_>, sealed: &str) -> Result<String, VaultError> {
        let mut parts = sealed.split('.');
        let (Some("v1"), Some(key_id), Some(nonce), Some(ciphertext), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(VaultError::Malformed);
        };
        let key = std::iter::once(&self.current)
            .chain(self.previous.iter())
            .find(|k| k.id == key_id)
            .ok_or(VaultError::UnknownKey)?;
        let nonce = URL_SAFE_NO_PAD
            .decode(nonce)
            .map_err(|_| VaultError::Malformed)?;
        let ciphertext = URL_SAFE_NO_PAD
            .decode(ciphertext)
            .map_err(|_| VaultError::Malformed)?;
        if nonce.len() != 12 {
            return Err(VaultError::Malformed);
        }
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key.key));
        let aad = place.aad();
        let plaintext = cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Tampered)?;
        String::from_utf8(plaintext).map_err(|_| VaultError::Tampered)
    }

    /// Whether `sealed` was sealed under an older key (and so needs re-sealing).
    #[must_use]
    pub fn needs_rotation(&self, sealed: &str) -> bool {
        sealed
            .split('.')
            .nth(1)
            .is_some_and(|id| id != self.current.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROW_7: Place<'static> = Place {
        table: "connected_accounts",
        column: "access_token",
        row: 7,
    };

    fn vault(current: u8, previous: &[u8]) -> Vault {
        let previous: Vec<[u8; 32]> = previous.iter().map(|b| [*b; 32]).collect();
        Vault::new(&[current; 32], &previous).unwrap()
    }

    #[test]
    fn a_sealed_token_opens_only_in_its_place() {
        let v = vault(1, &[]);
        let sealed = v.seal(ROW_7, "secret-token");
        assert!(!sealed.contains("secret-token"));
        assert_eq!(v.open(ROW_7, &sealed).unwrap(), "secret-token");
        let other_row = Place { row: 8, ..ROW_7 };
        assert_eq!(v.open(other_row, &sealed), Err(VaultError::Tampered));
        let other_column = Place {
            column: "refresh_token",
            ..ROW_7
        };
        assert_eq!(v.open(other_column, &sealed), Err(VaultError::Tampered));
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() {
        let v = vault(1, &[]);
        assert_ne!(v.seal(ROW_7, "t"), v.seal(ROW_7, "t"));
    }

    #[test]
    fn tampering_and_garbage_are_refused() {
        let v = vault(1, &[]);
        let sealed = v.seal(ROW_7, "secret-token");
        let mut bytes = sealed.into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            v.open(ROW_7, &String::from_utf8(bytes).unwrap()),
            Err(VaultError::Tampered)
        );
        assert_eq!(v.open(ROW_7, "plain-token"), Err(VaultError::Malformed));
    }

    #[test]
    fn an_old_key_still_opens_and_rotation_is_detected() {
        let old = vault(1, &[]);
        let sealed = old.seal(ROW_7, "secret-token");
        let rotated = vault(2, &[1]);
        assert!(rotated.needs_rotation(&sealed));
        assert_eq!(rotated.open(ROW_7, &sealed).unwrap(), "secret-token");
        let resealed = rotated.seal(ROW_7, "secret-token");
        assert!(!rotated.needs_rotation(&resealed));
        assert_eq!(
            vault(2, &[]).open(ROW_7, &sealed),
            Err(VaultError::UnknownKey)
        );
        assert_ne!(old.current_key_id(), rotated.current_key_id());
    }

    #[test]
    fn debug_shows_no_key_material() {
        let text = format!("{:?}", vault(1, &[]));
        assert!(text.contains("current_key_id") && !text.contains("[1,"));
    }
}
