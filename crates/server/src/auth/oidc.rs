//! Signing in with the company's identity provider over OpenID Connect: the authorization code
//! flow with PKCE (S256), `state` and `nonce`, and an ID token checked in full before anyone is
//! signed in: its signature against the provider's published keys (fetched again when a token
//! names a key Chorus has not seen: the provider rotated them), the issuer, the audience, the
//! expiry and the nonce sent with the request.
//!
//! RS256 signatures are checked with `ring` (already in the build through rustls), ES256 with
//! `p256` (already there for Bluesky's DPoP): no JWT library is needed for the two algorithms
//! providers use.

use std::sync::RwLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

/// How far a clock may drift between the provider and Chorus.
const LEEWAY_SECONDS: i64 = 60;

/// Why a sign-in through the provider was refused. The person sees a plain sentence; the
/// log says which.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OidcError {
    /// The provider could not be reached, or answered something that is not OpenID Connect.
    #[error("the identity provider could not be reached or answered unexpectedly: {0}")]
    Provider(String),
    /// The token is not a signed JWT Chorus can read.
    #[error("the ID token is malformed: {0}")]
    Malformed(&'static str),
    /// The token is signed with an algorithm Chorus does not accept (`none`, HS256, ...).
    #[error("the ID token's algorithm {0} is not accepted")]
    Algorithm(String),
    /// No published key of the provider verifies the signature.
    #[error("the ID token's signature does not verify against the provider's keys")]
    Signature,
    /// The token was issued by someone else.
    #[error("the ID token was issued by {0}, not by the configured provider")]
    Issuer(String),
    /// The token is for another client.
    #[error("the ID token is for another client")]
    Audience,
    /// The token expired (or is not valid yet).
    #[error("the ID token expired")]
    Expired,
    /// The token does not carry the nonce of this sign-in.
    #[error("the ID token does not belong to this sign-in (nonce)")]
    Nonce,
}

/// What the provider publishes at `/.well-known/openid-configuration`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Discovery {
    /// Its issuer identifier; must equal the one configured.
    pub issuer: String,
    /// Where the person is sent to sign in.
    pub authorization_endpoint: String,
    /// Where the code is exchanged.
    pub token_endpoint: String,
    /// Its signing keys.
    pub jwks_uri: String,
    /// Where signing out at the provider starts (RP-initiated logout), if offered.
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
}

/// One published key.
#[derive(Debug, Clone, Deserialize)]
struct Jwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
}

/// A provider's key set.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Jwks {
    keys: Vec<Jwk>,
}

impl Jwks {
    /// Parses a JWKS document.
    ///
    /// # Errors
    /// Not a key set.
    pub fn parse(json: &str) -> Result<Jwks, OidcError> {
        serde_json::from_str(json)
            .map_err(|_| OidcError::Provider("the key set is not JSON Web Keys".into()))
    }

    fn has(&self, kid: Option<&str>) -> bool {
        kid.is_none_or(|kid| self.keys.iter().any(|k| k.kid.as_deref() == Some(kid)))
    }
}

/// What a verified ID token says about the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The provider's stable id for the person.
    pub subject: String,
    /// All the token's claims, for the configured email and group claims.
    pub claims: Value,
}

/// What the token must match.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The configured issuer.
    pub issuer: &'a str,
    /// Chorus's client id at the provider.
    pub client_id: &'a str,
    /// The nonce sent with this sign-in.
    pub nonce: &'a str,
    /// Now.
    pub now: DateTime<Utc>,
}

fn decode(part: &str) -> Result<Vec<u8>, OidcError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| OidcError::Malformed("not base64url"))
}

/// The key id a token names (to know whether the key set must be fetched again).
///
/// # Errors
/// The token is not a JWT.
pub fn key_id(token: &str) -> Result<Option<String>, OidcError> {
    let header = token
        .split('.')
        .next()
        .ok_or(OidcError::Malformed("empty"))?;
    let header: Value = serde_json::from_slice(&decode(header)?)
        .map_err(|_| OidcError::Malformed("header is not JSON"))?;
    Ok(header["kid"].as_str().map(str::to_owned))
}

/// Checks an ID token: signature with one of `keys`, then issuer, audience (and authorized
/// party when there are several audiences), expiry and nonce.
///
/// # Errors
/// The first check that fails.
pub fn verify(token: &str, keys: &Jwks, expected: &Expected<'_>) -> Result<Identity, OidcError> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header_part, payload_part, signature_part] = parts[..] else {
        return Err(OidcError::Malformed("not three parts"));
    };
    let header: Value = serde_json::from_slice(&decode(header_part)?)
        .map_err(|_| OidcError::Malformed("header is not JSON"))?;
    let alg = header["alg"].as_str().unwrap_or("none");
    let kid = header["kid"].as_str();
    let signature = decode(signature_part)?;
    let message = format!("{header_part}.{payload_part}");
    let candidates = keys
        .keys
        .iter()
        .filter(|k| kid.is_none() || k.kid.as_deref() == kid);
    let verified = match alg {
        "RS256" => candidates
            .filter(|k| k.kty == "RSA")
            .any(|k| verify_rs256(k, message.as_bytes(), &signature)),
        "ES256" => candidates
            .filter(|k| k.kty == "EC" && k.crv.as_deref() == Some("P-256"))
            .any(|k| verify_es256(k, message.as_bytes(), &signature)),
        other => return Err(OidcError::Algorithm(other.to_owned())),
    };
    if !verified {
        return Err(OidcError::Signature);
    }
    let claims: Value = serde_json::from_slice(&decode(payload_part)?)
        .map_err(|_| OidcError::Malformed("claims are not JSON"))?;
    let issuer = claims["iss"].as_str().unwrap_or_default();
    if issuer != expected.issuer {
        return Err(OidcError::Issuer(issuer.to_owned()));
    }
    let audiences: Vec<&str> = match &claims["aud"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&expected.client_id)
        || (audiences.len() > 1 && claims["azp"].as_str() != Some(expected.client_id))
    {
        return Err(OidcError::Audience);
    }
    let now = expected.now.timestamp();
    let exp = claims["exp"].as_i64().ok_or(OidcError::Expired)?;
    if exp + LEEWAY_SECONDS <= now {
        return Err(OidcError::Expired);
    }
    if claims["iat"]
        .as_i64()
        .is_some_and(|iat| iat > now + LEEWAY_SECONDS)
        || claims["nbf"]
            .as_i64()
            .is_some_and(|nbf| nbf > now + LEEWAY_SECONDS)
    {
        return Err(OidcError::Expired);
    }
    if claims["nonce"].as_str() != Some(expected.nonce) {
        return Err(OidcError::Nonce);
    }
    let subject = claims["sub"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or(OidcError::Malformed("no subject"))?
        .to_owned();
    Ok(Identity { subject, claims })
}

fn verify_rs256(key: &Jwk, message: &[u8], signature: &[u8]) -> bool {
    let (Some(n), Some(e)) = (key.n.as_deref(), key.e.as_deref()) else {
        return false;
    };
    let (Ok(n), Ok(e)) = (decode(n), decode(e)) else {
        return false;
    };
    ring::signature::RsaPublicKeyComponents { n: &n, e: &e }
        .verify(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            message,
            signature,
        )
        .is_ok()
}

fn verify_es256(key: &Jwk, message: &[u8], signature: &[u8]) -> bool {
    use p256::ecdsa::signature::Verifier as _;
    let (Some(x), Some(y)) = (key.x.as_deref(), key.y.as_deref()) else {
        return false;
    };
    let (Ok(x), Ok(y)) = (decode(x), decode(y)) else {
        return false;
    };
    if x.len() != 32 || y.len() != 32 {
        return false;
    }
    let point = p256::EncodedPoint::from_affine_coordinates(
        p256::FieldBytes::from_slice(&x),
        p256::FieldBytes::from_slice(&y),
        false,
    );
    let Ok(verifying) = p256::ecdsa::VerifyingKey::from_encoded_point(&point) else {
        return false;
    };
    let Ok(signature) = p256::ecdsa::Signature::from_slice(signature) else {
        return false;
    };
    verifying.verify(message, &signature).is_ok()
}

/// A provider as Chorus talks to it: its discovery document and its keys, fetched again when
/// a token names a key not seen yet.
#[derive(Debug)]
pub struct Provider {
    /// The discovery document.
    pub discovery: Discovery,
    keys: RwLock<Jwks>,
}

impl Provider {
    /// Reads `{issuer}/.well-known/openid-configuration` and the keys it names.
    ///
    /// # Errors
    /// Unreachable, not OpenID Connect, or an issuer that differs from the one configured.
    pub async fn discover(http: &reqwest::Client, issuer: &str) -> Result<Provider, OidcError> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let discovery: Discovery = get_json(http, &url).await?;
        if discovery.issuer != issuer {
            return Err(OidcError::Issuer(discovery.issuer));
        }
        let keys = fetch_keys(http, &discovery.jwks_uri).await?;
        Ok(Provider {
            discovery,
            keys: RwLock::new(keys),
        })
    }

    /// Verifies an ID token, fetching the provider's keys again once when the token names a
    /// key Chorus does not have (the provider rotated its keys).
    ///
    /// # Errors
    /// As [`verify`], or the keys could not be fetched.
    pub async fn verify(
        &self,
        http: &reqwest::Client,
        token: &str,
        expected: &Expected<'_>,
    ) -> Result<Identity, OidcError> {
        let kid = key_id(token)?;
        let known = self.keys.read().is_ok_and(|keys| keys.has(kid.as_deref()));
        if !known {
            let fresh = fetch_keys(http, &self.discovery.jwks_uri).await?;
            if let Ok(mut keys) = self.keys.write() {
                *keys = fresh;
            }
        }
        let keys = self
            .keys
            .read()
            .map(|keys| keys.clone())
            .unwrap_or_default();
        verify(token, &keys, expected)
    }
}

async fn get_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> Result<T, OidcError> {
    let answer = http
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| OidcError::Provider(format!("{url}: {e}")))?;
    if !answer.status().is_success() {
        return Err(OidcError::Provider(format!("{url}: {}", answer.status())));
    }
    answer
        .json()
        .await
        .map_err(|e| OidcError::Provider(format!("{url}: {e}")))
}

async fn fetch_keys(http: &reqwest::Client, url: &str) -> Result<Jwks, OidcError> {
    get_json(http, url).await
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::signature::Signer as _;
    use p256::ecdsa::{Signature, SigningKey};

    use super::*;

    struct Key {
        signing: SigningKey,
        kid: &'static str,
    }

    impl Key {
        fn new(kid: &'static str) -> Key {
            Key {
                signing: SigningKey::random(&mut rand::rngs::OsRng),
                kid,
            }
        }

        fn jwk(&self) -> Value {
            let point = self.signing.verifying_key().to_encoded_point(false);
            serde_json::json!({
                "kty": "EC", "crv": "P-256", "kid": self.kid,
                "x": URL_SAFE_NO_PAD.encode(point.x().unwrap()),
                "y": URL_SAFE_NO_PAD.encode(point.y().unwrap()),
            })
        }

        fn sign(&self, claims: &Value) -> String {
            let header = serde_json::json!({"alg": "ES256", "kid": self.kid, "typ": "JWT"});
            let message = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            );
            let signature: Signature = self.signing.sign(message.as_bytes());
            format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
        }
    }

    fn keys(of: &[&Key]) -> Jwks {
        Jwks::parse(
            &serde_json::json!({"keys": of.iter().map(|k| k.jwk()).collect::<Vec<_>>()})
                .to_string(),
        )
        .unwrap()
    }

    fn claims(now: i64) -> Value {
        serde_json::json!({
            "iss": "https://id.example", "aud": "chorus", "sub": "u-42",
            "exp": now + 300, "iat": now, "nonce": "n-1", "email": "ana@example.org",
        })
    }

    fn expected(now: DateTime<Utc>) -> Expected<'static> {
        Expected {
            issuer: "https://id.example",
            client_id: "chorus",
            nonce: "n-1",
            now,
        }
    }

    #[test]
    fn a_good_token_verifies_and_every_tampering_is_refused_with_its_reason() {
        let now = Utc::now();
        let t = now.timestamp();
        let key = Key::new("k1");
        let set = keys(&[&key]);
        let identity = verify(&key.sign(&claims(t)), &set, &expected(now)).unwrap();
        assert_eq!(identity.subject, "u-42");
        assert_eq!(identity.claims["email"], "ana@example.org");

        let with = |change: &dyn Fn(&mut Value)| {
            let mut c = claims(t);
            change(&mut c);
            verify(&key.sign(&c), &set, &expected(now))
        };
        assert_eq!(
            with(&|c| c["iss"] = "https://evil.example".into()),
            Err(OidcError::Issuer("https://evil.example".into()))
        );
        assert_eq!(
            with(&|c| c["aud"] = "another".into()),
            Err(OidcError::Audience)
        );
        assert_eq!(
            with(&|c| c["aud"] = serde_json::json!(["chorus", "another"])),
            Err(OidcError::Audience),
            "several audiences need azp = Chorus"
        );
        assert!(
            with(&|c| {
                c["aud"] = serde_json::json!(["chorus", "another"]);
                c["azp"] = "chorus".into();
            })
            .is_ok()
        );
        assert_eq!(
            with(&|c| c["exp"] = (t - 120).into()),
            Err(OidcError::Expired)
        );
        assert_eq!(with(&|c| c["nonce"] = "n-2".into()), Err(OidcError::Nonce));
        assert_eq!(
            with(&|c| {
                c.as_object_mut().unwrap().remove("nonce");
            }),
            Err(OidcError::Nonce)
        );

        // Signed by a key that is not the provider's; a payload changed after signing.
        let stranger = Key::new("k1");
        assert_eq!(
            verify(&stranger.sign(&claims(t)), &set, &expected(now)),
            Err(OidcError::Signature)
        );
        let good = key.sign(&claims(t));
        let mut parts: Vec<&str> = good.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(claims(t).to_string().replace("u-42", "u-1"));
        parts[1] = &forged;
        assert_eq!(
            verify(&parts.join("."), &set, &expected(now)),
            Err(OidcError::Signature)
        );
        // `alg: none` and HS256 are never accepted.
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(claims(t).to_string())
        );
        assert_eq!(
            verify(&none, &set, &expected(now)),
            Err(OidcError::Algorithm("none".into()))
        );
        assert_eq!(key_id(&good).unwrap().as_deref(), Some("k1"));
        assert!(!set.has(Some("k2")) && set.has(Some("k1")));
    }
}
