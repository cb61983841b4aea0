//! DPoP (RFC 9449) for atproto OAuth: one P-256 key per Bluesky account, proofs signed with it
//! (ES256 JWTs, `typ: dpop+jwt`, the public key in the `jwk` header), and the server nonces the
//! proofs must carry, remembered per origin.
//!
//! The key is written by hand over the `p256` crate: a JWK has two coordinates to encode and a
//! proof is three base64url segments, which reads more plainly than a JOSE library's builder.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use rand::RngCore as _;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use url::Url;

use super::Secret;

/// A DPoP private key. Its `Debug` shows only the public key's thumbprint-like prefix, never
/// the private scalar.
#[derive(Clone)]
pub struct DpopKey {
    signing: SigningKey,
}

impl PartialEq for DpopKey {
    fn eq(&self, other: &Self) -> bool {
        self.signing.verifying_key() == other.signing.verifying_key()
    }
}

impl Eq for DpopKey {}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("DpopKey")
            .field("public_x", &self.public_jwk()["x"])
            .finish_non_exhaustive()
    }
}

impl DpopKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Self {
        Self {
            signing: SigningKey::random(&mut rand::rngs::OsRng),
        }
    }

    /// The private key as base64url text, to be sealed at rest.
    pub fn export(&self) -> Secret {
        Secret::new(URL_SAFE_NO_PAD.encode(self.signing.to_bytes()))
    }

    /// The key [`DpopKey::export`] wrote, or `None` when the text is not one.
    pub fn import(exported: &Secret) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(exported.expose()).ok()?;
        let signing = SigningKey::from_slice(&bytes).ok()?;
        Some(Self { signing })
    }

    /// The public key as a JWK (`kty: EC`, `crv: P-256`, `x`, `y`).
    pub fn public_jwk(&self) -> Value {
        let point = self.signing.verifying_key().to_encoded_point(false);
        let coordinate = |c: Option<&p256::FieldBytes>| c.map(|c| URL_SAFE_NO_PAD.encode(c));
        json!({
            "kty": "EC",
            "crv": "P-256",
            "x": coordinate(point.x()),
            "y": coordinate(point.y()),
        })
    }

    /// A proof for one request: `htm` the method, `htu` the URL without query or fragment,
    /// `nonce` the server's latest, `ath` the hash of the access token for resource calls.
    pub fn proof(
        &self,
        method: &str,
        url: &Url,
        nonce: Option<&str>,
        access_token: Option<&Secret>,
    ) -> String {
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.public_jwk()});
        let mut jti = [0_u8; 16];
        rand::thread_rng().fill_bytes(&mut jti);
        let mut claims = json!({
            "jti": URL_SAFE_NO_PAD.encode(jti),
            "htm": method,
            "htu": htu(url),
            "iat": Utc::now().timestamp(),
        });
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        if let Some(token) = access_token {
            claims["ath"] = json!(access_token_hash(token));
        }
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature: Signature = self.signing.sign(signing_input.as_bytes());
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        )
    }
}

/// `b64url(SHA-256(token))`, the `ath` claim binding a proof to its access token.
pub fn access_token_hash(token: &Secret) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.expose().as_bytes()))
}

/// The `htu` claim: the URL without its query and fragment.
fn htu(url: &Url) -> String {
    let mut bare = url.clone();
    bare.set_query(None);
    bare.set_fragment(None);
    bare.into()
}

/// The latest DPoP nonce of each server (by origin), shared by every connector of a process so
/// that most requests carry a valid nonce at the first try.
#[derive(Debug, Clone, Default)]
pub struct DpopNonces {
    by_origin: Arc<Mutex<HashMap<String, String>>>,
}

impl DpopNonces {
    /// The nonce last seen from `url`'s origin.
    pub fn get(&self, url: &Url) -> Option<String> {
        let origin = url.origin().ascii_serialization();
        self.by_origin
            .lock()
            .ok()
            .and_then(|nonces| nonces.get(&origin).cloned())
    }

    /// Remembers the `DPoP-Nonce` a server sent.
    pub fn remember(&self, url: &Url, nonce: &str) {
        let origin = url.origin().ascii_serialization();
        if let Ok(mut nonces) = self.by_origin.lock() {
            nonces.insert(origin, nonce.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier as _;

    use super::*;

    fn decode(segment: &str) -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
    }

    #[test]
    fn a_proof_carries_its_header_claims_and_a_signature_the_public_key_verifies() {
        let key = DpopKey::generate();
        let url =
            Url::parse("https://pds.example/xrpc/com.atproto.repo.getRecord?repo=x#f").unwrap();
        let token = Secret::new("access-token-123");
        let proof = key.proof("GET", &url, Some("nonce-1"), Some(&token));
        let parts: Vec<&str> = proof.split('.').collect();
        assert_eq!(parts.len(), 3);

        let header = decode(parts[0]);
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["jwk"], key.public_jwk());
        assert!(header["jwk"].get("d").is_none(), "never the private key");

        let claims = decode(parts[1]);
        assert_eq!(claims["htm"], "GET");
        assert_eq!(
            claims["htu"], "https://pds.example/xrpc/com.atproto.repo.getRecord",
            "no query, no fragment"
        );
        assert_eq!(claims["nonce"], "nonce-1");
        assert!((claims["iat"].as_i64().unwrap() - Utc::now().timestamp()).abs() < 5);
        assert!(claims["jti"].as_str().unwrap().len() >= 20);
        // b64url(SHA-256("access-token-123")), computed apart with Python.
        assert_eq!(
            claims["ath"],
            URL_SAFE_NO_PAD.encode(Sha256::digest(b"access-token-123"))
        );
        assert_eq!(claims["ath"], access_token_hash(&token));

        // Verified from the JWK alone, as a server does.
        let jwk = &header["jwk"];
        let x = URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap();
        let y = URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap();
        let point = p256::EncodedPoint::from_affine_coordinates(
            p256::FieldBytes::from_slice(&x),
            p256::FieldBytes::from_slice(&y),
            false,
        );
        let verifying = VerifyingKey::from_encoded_point(&point).unwrap();
        let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
        let signed = format!("{}.{}", parts[0], parts[1]);
        verifying.verify(signed.as_bytes(), &signature).unwrap();
        let tampered = format!("{}.{}x", parts[0], parts[1]);
        assert!(verifying.verify(tampered.as_bytes(), &signature).is_err());

        let second = key.proof("GET", &url, None, None);
        let second_claims = decode(second.split('.').nth(1).unwrap());
        assert_ne!(second_claims["jti"], claims["jti"], "a fresh jti each time");
        assert!(second_claims.get("nonce").is_none() && second_claims.get("ath").is_none());
    }

    #[test]
    fn a_key_survives_export_and_import_and_never_shows_in_debug() {
        let key = DpopKey::generate();
        let exported = key.export();
        assert_eq!(DpopKey::import(&exported), Some(key.clone()));
        assert_ne!(DpopKey::generate(), key);
        assert!(!format!("{key:?}").contains(exported.expose()));
        assert_eq!(DpopKey::import(&Secret::new("not a key")), None);
    }

    #[test]
    fn nonces_are_remembered_per_origin() {
        let nonces = DpopNonces::default();
        let a = Url::parse("https://a.example/oauth/par").unwrap();
        let a_token = Url::parse("https://a.example/oauth/token").unwrap();
        let b = Url::parse("https://b.example/oauth/par").unwrap();
        assert_eq!(nonces.get(&a), None);
        nonces.remember(&a, "n1");
        assert_eq!(nonces.get(&a_token).as_deref(), Some("n1"));
        assert_eq!(nonces.get(&b), None);
        nonces.clone().remember(&a, "n2");
        assert_eq!(
            nonces.get(&a).as_deref(),
            Some("n2"),
            "clones share the store"
        );
    }
}
