//! atproto OAuth, by hand: the account's DID → its PDS → the PDS's authorization server
//! (`issuer` checked against the origin it was fetched from), a pushed authorization request
//! (PKCE S256, `state`, `login_hint`), the code exchanged for DPoP-bound tokens whose `sub`
//! must be the DID we started from, refresh and revocation, and resource calls with
//! `Authorization: DPoP` and a proof carrying `ath`.
//!
//! Every request to the authorization server and the PDS carries a DPoP proof; a server that
//! wants a fresh nonce (400 `use_dpop_nonce`, or 401 with `WWW-Authenticate: DPoP
//! error="use_dpop_nonce"`) is asked once more with the nonce it sent.
//!
//! Chorus is a public client (no secret): the loopback client of the atproto profile when its
//! own address is loopback, otherwise the client metadata document it serves itself
//! ([`OAuthClient::metadata`]).

use reqwest::Method;
use reqwest::header::AUTHORIZATION;
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use super::{Bluesky, refused};
use crate::connectors::dpop::DpopKey;
use crate::connectors::http::{Answer, TokenAnswer, oauth_failure};
use crate::connectors::{Account, ConnectorError, PublishError, Secret, TokenSet};

/// The scopes Chorus asks for: the atproto base scope and the app-password-equivalent one.
pub const SCOPE: &str = "atproto transition:generic";

/// Where Chorus receives the authorization server's answer.
pub const CALLBACK_PATH: &str = "/hub/accounts/callback/bluesky";

/// Where Chorus serves its client metadata document.
pub const METADATA_PATH: &str = "/oauth/bluesky/client-metadata.json";

/// How Chorus names itself to Bluesky's authorization servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthClient {
    /// The `client_id`: the loopback form, or the URL of the metadata document.
    pub client_id: String,
    /// The one redirect URI.
    pub redirect_uri: String,
    /// Whether this is the loopback development client (no metadata document).
    pub loopback: bool,
}

impl OAuthClient {
    /// The client for Chorus at `base` (its public address). A loopback `http` base gives the
    /// loopback client, whose redirect goes to `127.0.0.1` (or `[::1]`): the profile forbids
    /// `localhost` there.
    pub fn for_base(base: &Url) -> Self {
        let prefix = base.path().trim_end_matches('/');
        let host = base.host_str().unwrap_or_default();
        let loopback =
            base.scheme() == "http" && matches!(host, "localhost" | "127.0.0.1" | "[::1]");
        if loopback {
            let ip = if host == "[::1]" {
                "[::1]"
            } else {
                "127.0.0.1"
            };
            let port = base.port().map(|p| format!(":{p}")).unwrap_or_default();
            let redirect_uri = format!("http://{ip}{port}{prefix}{CALLBACK_PATH}");
            let client_id = format!(
                "http://localhost?redirect_uri={}&scope={}",
                percent_encode(&redirect_uri),
                percent_encode(SCOPE)
            );
            Self {
                client_id,
                redirect_uri,
                loopback: true,
            }
        } else {
            let origin = base.origin().ascii_serialization();
            Self {
                client_id: format!("{origin}{prefix}{METADATA_PATH}"),
                redirect_uri: format!("{origin}{prefix}{CALLBACK_PATH}"),
                loopback: false,
            }
        }
    }

    /// The client metadata document served at the `client_id` URL (public web client,
    /// DPoP-bound tokens).
    pub fn metadata(&self) -> Value {
        let client_uri = self
            .client_id
            .strip_suffix(METADATA_PATH)
            .unwrap_or(&self.client_id);
        json!({
            "client_id": self.client_id,
            "client_name": "Chorus",
            "client_uri": client_uri,
            "application_type": "web",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": SCOPE,
            "redirect_uris": [self.redirect_uri],
            "dpop_bound_access_tokens": true,
            "token_endpoint_auth_method": "none",
        })
    }
}

/// RFC 3986 percent-encoding of everything but the unreserved characters (spaces as `%20`).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// An authorization server's endpoints, from its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthServer {
    /// The `issuer`, equal to the origin the metadata came from.
    pub issuer: String,
    /// The pushed authorization request endpoint.
    pub par: Url,
    /// Where the person is sent.
    pub authorize: Url,
    /// The token endpoint.
    pub token: Url,
    /// The revocation endpoint, where there is one.
    pub revoke: Option<Url>,
}

/// The account an OAuth sign-in is for, found before the person is sent anywhere.
#[derive(Debug, Clone)]
pub struct Discovered {
    /// `did:plc:…` or `did:web:…`.
    pub did: String,
    /// The handle from the DID document (the DID when it names none).
    pub handle: String,
    /// The PDS holding the account.
    pub pds: Url,
    /// The PDS's authorization server.
    pub server: AuthServer,
}

/// What a pushed authorization request needs.
#[derive(Debug)]
pub struct Authorization<'a> {
    /// Chorus as a client.
    pub client: &'a OAuthClient,
    /// The handle or DID typed, as a hint for the sign-in page.
    pub login_hint: &'a str,
    /// The single-use state.
    pub state: &'a str,
    /// The PKCE S256 challenge.
    pub code_challenge: &'a str,
    /// The account's new DPoP key.
    pub key: &'a DpopKey,
}

/// A token answer of an atproto authorization server. No `Debug`: it holds tokens.
#[derive(Deserialize)]
struct AtprotoTokens {
    #[serde(flatten)]
    tokens: TokenAnswer,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    sub: Option<String>,
}

impl Bluesky {
    /// Finds where `identifier` (a handle or DID) signs in: its DID, PDS, and the PDS's
    /// authorization server. `server` is the PDS of a self-hosted account, asked to resolve a
    /// handle that does not resolve on its own.
    ///
    /// # Errors
    /// [`ConnectorError::Refused`] for an identifier that does not resolve, a PDS without
    /// OAuth, or an authorization server whose `issuer` is not its own origin.
    pub async fn discover(
        &self,
        identifier: &str,
        server: Option<&Url>,
    ) -> Result<Discovered, ConnectorError> {
        let identifier = identifier.trim().trim_start_matches('@');
        if identifier.is_empty() {
            return Err(refused(400, "a handle or DID is needed".to_owned()));
        }
        if let Some(server) = server
            && !self.acceptable_pds(server)
        {
            return Err(refused(
                400,
                "the Bluesky server address must start with https://".to_owned(),
            ));
        }
        let did = if identifier.starts_with("did:") {
            identifier.to_owned()
        } else if let Some(did) = self.resolve_handle(identifier).await {
            did
        } else {
            let asked = server.unwrap_or(&self.endpoints.entryway);
            self.resolve_handle_at(asked, identifier).await?
        };
        let document = self.did_document(&did).await?;
        let pds = super::pds_of(&document)
            .filter(|url| self.acceptable_pds(url))
            .ok_or_else(|| refused(400, format!("{did} names no usable Bluesky server")))?;
        let handle = handle_of(&document).unwrap_or_else(|| did.clone());
        let server = self.protected_resource_server(&pds).await?;
        Ok(Discovered {
            did,
            handle,
            pds,
            server,
        })
    }

    /// `com.atproto.identity.resolveHandle` at `server`.
    async fn resolve_handle_at(
        &self,
        server: &Url,
        handle: &str,
    ) -> Result<String, ConnectorError> {
        let request = self
            .http
            .inner()
            .get(Self::xrpc(server, "com.atproto.identity.resolveHandle"))
            .query(&[("handle", handle)]);
        let answer = self.http.send(request).await?;
        answer.json()["did"]
            .as_str()
            .filter(|did| answer.is_success() && did.starts_with("did:"))
            .map(str::to_owned)
            .ok_or_else(|| refused(400, format!("the handle {handle} was not found")))
    }

    /// The authorization server of `pds` (`/.well-known/oauth-protected-resource`).
    async fn protected_resource_server(&self, pds: &Url) -> Result<AuthServer, ConnectorError> {
        let url = super::endpoint(pds, "/.well-known/oauth-protected-resource");
        let answer = self.http.send(self.http.inner().get(url)).await?;
        let issuer = answer.json()["authorization_servers"][0]
            .as_str()
            .filter(|_| answer.is_success())
            .and_then(|issuer| Url::parse(issuer).ok())
            .ok_or_else(|| {
                refused(
                    answer.status,
                    "this Bluesky server does not offer OAuth sign-in; use an app password"
                        .to_owned(),
                )
            })?;
        self.authorization_server(issuer.as_str()).await
    }

    /// The metadata of the authorization server `issuer`
    /// (`/.well-known/oauth-authorization-server`), whose `issuer` must be that origin.
    ///
    /// # Errors
    /// [`ConnectorError::Refused`] for a server that is not usable (`http` outside tests,
    /// another `issuer`, no PAR endpoint, no `atproto` scope).
    pub async fn authorization_server(&self, issuer: &str) -> Result<AuthServer, ConnectorError> {
        let unusable = |why: &str| refused(400, format!("the Bluesky sign-in server {why}"));
        let base = Url::parse(issuer).map_err(|_| unusable("has no valid address"))?;
        if !self.acceptable_pds(&base) {
            return Err(unusable("is not on https://"));
        }
        let origin = base.origin().ascii_serialization();
        let url = super::endpoint(&base, "/.well-known/oauth-authorization-server");
        let answer = self.http.send(self.http.inner().get(url)).await?;
        if !answer.is_success() {
            return Err(unusable("has no OAuth metadata"));
        }
        let metadata = answer.json();
        if metadata["issuer"].as_str().map(|i| i.trim_end_matches('/')) != Some(origin.as_str()) {
            return Err(unusable("names another issuer than itself"));
        }
        let scopes_ok = metadata["scopes_supported"]
            .as_array()
            .is_some_and(|scopes| scopes.iter().any(|s| s == "atproto"));
        if !scopes_ok {
            return Err(unusable("does not offer the atproto scope"));
        }
        let endpoint = |name: &str| {
            metadata[name]
                .as_str()
                .and_then(|e| Url::parse(e).ok())
                .filter(|e| self.acceptable_pds(e))
        };
        Ok(AuthServer {
            issuer: origin,
            par: endpoint("pushed_authorization_request_endpoint")
                .ok_or_else(|| unusable("takes no pushed authorization requests"))?,
            authorize: endpoint("authorization_endpoint")
                .ok_or_else(|| unusable("has no authorization endpoint"))?,
            token: endpoint("token_endpoint").ok_or_else(|| unusable("has no token endpoint"))?,
            revoke: endpoint("revocation_endpoint"),
        })
    }

    /// Pushes the authorization request and returns where to send the person
    /// (`{authorize}?client_id=…&request_uri=…`).
    ///
    /// # Errors
    /// [`ConnectorError::Refused`] with the server's words when it refuses the request.
    pub async fn push_authorization(
        &self,
        server: &AuthServer,
        request: &Authorization<'_>,
    ) -> Result<Url, ConnectorError> {
        let form = [
            ("client_id", request.client.client_id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", request.client.redirect_uri.as_str()),
            ("scope", SCOPE),
            ("state", request.state),
            ("code_challenge", request.code_challenge),
            ("code_challenge_method", "S256"),
            ("login_hint", request.login_hint),
        ];
        let answer = self
            .send_with_dpop(request.key, Method::POST, &server.par, None, |r| {
                r.form(&form)
            })
            .await?;
        if !answer.is_success() {
            return Err(oauth_failure(&answer, Self::classify(&answer)));
        }
        let request_uri = answer.json()["request_uri"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| ConnectorError::Malformed {
                detail: "the pushed authorization answer has no request_uri".to_owned(),
            })?;
        let mut url = server.authorize.clone();
        url.query_pairs_mut()
            .append_pair("client_id", &request.client.client_id)
            .append_pair("request_uri", &request_uri);
        Ok(url)
    }

    /// Exchanges the callback's code for DPoP-bound tokens of `did`.
    ///
    /// # Errors
    /// [`ConnectorError::Refused`] for a bad or used code; [`ConnectorError::Malformed`] for
    /// tokens of another account, of another type, or without the `atproto` scope.
    pub async fn exchange_oauth_code(
        &self,
        server: &AuthServer,
        client: &OAuthClient,
        code: &str,
        verifier: &Secret,
        key: &DpopKey,
        did: &str,
    ) -> Result<TokenSet, ConnectorError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("code_verifier", verifier.expose()),
            ("client_id", client.client_id.as_str()),
        ];
        let answer = self
            .send_with_dpop(key, Method::POST, &server.token, None, |r| r.form(&form))
            .await?;
        Self::tokens_of(&answer, did)
    }

    /// Refreshes DPoP-bound tokens (`grant_type=refresh_token`, same key). Refresh tokens are
    /// single use: the caller stores the answer at once.
    ///
    /// # Errors
    /// [`ConnectorError::Unsupported`] without a refresh token; [`ConnectorError::Refused`]
    /// for a used, expired or revoked one.
    pub async fn refresh_oauth(
        &self,
        server: &AuthServer,
        client_id: &str,
        current: &TokenSet,
        key: &DpopKey,
        did: &str,
    ) -> Result<TokenSet, ConnectorError> {
        let Some(refresh_token) = &current.refresh_token else {
            return Err(ConnectorError::Unsupported {
                network: chorus_policy::Network::Bluesky,
                operation: "refreshing a session without its refresh token",
            });
        };
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
            ("client_id", client_id),
        ];
        let answer = self
            .send_with_dpop(key, Method::POST, &server.token, None, |r| r.form(&form))
            .await?;
        Ok(Self::tokens_of(&answer, did)?.merge_refresh(current))
    }

    /// Revokes a token (RFC 7009), where the server has a revocation endpoint.
    ///
    /// # Errors
    /// The server's refusal.
    pub async fn revoke_oauth(
        &self,
        server: &AuthServer,
        client_id: &str,
        token: &Secret,
        key: &DpopKey,
    ) -> Result<(), ConnectorError> {
        let Some(revoke) = &server.revoke else {
            return Ok(());
        };
        let form = [("token", token.expose()), ("client_id", client_id)];
        let answer = self
            .send_with_dpop(key, Method::POST, revoke, None, |r| r.form(&form))
            .await?;
        if answer.is_success() {
            Ok(())
        } else {
            Err(oauth_failure(&answer, Self::classify(&answer)))
        }
    }

    fn tokens_of(answer: &Answer, did: &str) -> Result<TokenSet, ConnectorError> {
        if !answer.is_success() {
            return Err(oauth_failure(answer, Self::classify(answer)));
        }
        let parsed: AtprotoTokens =
            serde_json::from_str(&answer.body).map_err(|_| ConnectorError::Malformed {
                detail: "the token answer has no access_token".to_owned(),
            })?;
        let malformed = |detail: &str| ConnectorError::Malformed {
            detail: detail.to_owned(),
        };
        if parsed.sub.as_deref() != Some(did) {
            return Err(malformed(
                "the Bluesky server gave tokens for another account than the one asked for",
            ));
        }
        if !parsed
            .token_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("DPoP"))
        {
            return Err(malformed(
                "the Bluesky server gave tokens that are not DPoP-bound",
            ));
        }
        let set = parsed.tokens.into_token_set(chrono::Utc::now(), &[]);
        if !set.scopes.iter().any(|scope| scope == "atproto") {
            return Err(malformed(
                "the Bluesky server did not grant the atproto scope",
            ));
        }
        Ok(set)
    }

    /// Sends a request with a DPoP proof (and, for a resource call, `Authorization: DPoP`
    /// with `ath`), asking once more with the server's nonce when it wants one. `build` adds
    /// the body; it is called for each attempt.
    pub(crate) async fn send_with_dpop(
        &self,
        key: &DpopKey,
        method: Method,
        url: &Url,
        access_token: Option<&Secret>,
        build: impl Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<Answer, PublishError> {
        let attempt = |nonce: Option<String>| {
            let proof = key.proof(method.as_str(), url, nonce.as_deref(), access_token);
            let mut request = self
                .http
                .inner()
                .request(method.clone(), url.clone())
                .header("DPoP", proof);
            if let Some(token) = access_token {
                request = request.header(AUTHORIZATION, format!("DPoP {}", token.expose()));
            }
            self.http.send(build(request))
        };
        let sent_nonce = self.nonces.get(url);
        let answer = attempt(sent_nonce.clone()).await?;
        let fresh = answer.header("dpop-nonce").map(str::to_owned);
        if let Some(fresh) = &fresh {
            self.nonces.remember(url, fresh);
        }
        match fresh {
            Some(fresh) if wants_nonce(&answer) && sent_nonce.as_ref() != Some(&fresh) => {
                let retried = attempt(Some(fresh)).await?;
                if let Some(next) = retried.header("dpop-nonce") {
                    self.nonces.remember(url, next);
                }
                Ok(retried)
            }
            _ => Ok(answer),
        }
    }

    /// A call to the account's PDS: `Authorization: DPoP` with a proof for an OAuth account,
    /// `Bearer` for an app-password one.
    pub(crate) async fn authorized(
        &self,
        account: &Account,
        method: Method,
        url: Url,
        body: Option<Body<'_>>,
    ) -> Result<Answer, PublishError> {
        let with_body = |request: reqwest::RequestBuilder| match body {
            Some(Body::Json(body)) => request.json(body),
            Some(Body::Bytes { bytes, mime }) => request
                .header(reqwest::header::CONTENT_TYPE, mime)
                .body(bytes.to_vec()),
            None => request,
        };
        match &account.dpop {
            Some(key) => {
                self.send_with_dpop(key, method, &url, Some(&account.access_token), with_body)
                    .await
            }
            None => {
                let request = self
                    .http
                    .inner()
                    .request(method, url)
                    .bearer_auth(account.access_token.expose());
                self.http.send(with_body(request)).await
            }
        }
    }
}

/// The body of a call to the PDS.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Body<'a> {
    /// A JSON document (records).
    Json(&'a Value),
    /// Raw bytes of a media type (a blob).
    Bytes {
        /// The content.
        bytes: &'a [u8],
        /// Its `Content-Type`.
        mime: &'a str,
    },
}

/// Whether the answer asks for a (new) DPoP nonce: 400 `use_dpop_nonce` from an
/// authorization server, 401 with `WWW-Authenticate: DPoP error="use_dpop_nonce"` from a
/// resource server.
fn wants_nonce(answer: &Answer) -> bool {
    let from_server = answer.status == 400 && answer.json()["error"] == "use_dpop_nonce";
    let from_resource = answer.status == 401
        && answer
            .header("www-authenticate")
            .is_some_and(|h| h.contains("use_dpop_nonce"));
    from_server || from_resource
}

/// The handle a DID document claims (`alsoKnownAs: ["at://alice.example"]`).
fn handle_of(document: &Value) -> Option<String> {
    document["alsoKnownAs"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .find_map(|aka| aka.strip_prefix("at://"))
        .filter(|handle| !handle.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests;
