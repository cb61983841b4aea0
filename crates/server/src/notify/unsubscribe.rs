//! The one-click unsubscribe link: a person's id and a MAC under the server's key.

use hmac::Mac as _;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

fn unsubscribe_mac(secret: &[u8; 32], user: i32) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(secret).unwrap_or_else(|_| unreachable!("any key length"));
    mac.update(b"chorus-unsubscribe:");
    mac.update(&user.to_be_bytes());
    mac
}

/// The token of a person's unsubscribe link: their id and a MAC under the server's key, so the
/// link works without signing in and cannot be made for someone else.
#[must_use]
pub fn unsubscribe_token(secret: &[u8; 32], user: i32) -> String {
    use base64::Engine as _;
    let mac = unsubscribe_mac(secret, user).finalize().into_bytes();
    format!(
        "{user}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&mac[..16])
    )
}

/// The person an unsubscribe token names, when it is genuine.
#[must_use]
pub fn unsubscribe_person(secret: &[u8; 32], token: &str) -> Option<i32> {
    use base64::Engine as _;
    let (user, mac) = token.split_once('.')?;
    let user: i32 = user.parse().ok()?;
    let given = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(mac)
        .ok()?;
    // Compared in constant time, on the 16 bytes the link carries.
    (given.len() == 16
        && unsubscribe_mac(secret, user)
            .verify_truncated_left(&given)
            .is_ok())
    .then_some(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsubscribe_tokens_name_one_person_and_cannot_be_forged() {
        let key = [7u8; 32];
        let token = unsubscribe_token(&key, 42);
        assert_eq!(unsubscribe_person(&key, &token), Some(42));
        assert_eq!(unsubscribe_person(&[8u8; 32], &token), None, "another key");
        let other = token.replacen("42.", "43.", 1);
        assert_eq!(unsubscribe_person(&key, &other), None, "another person");
        for bad in ["", "42", "42.", "x.y", "42.AAAA"] {
            assert_eq!(unsubscribe_person(&key, bad), None, "{bad:?}");
        }
    }
}
