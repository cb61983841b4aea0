//! The OAuth 2.0 authorization-code machinery the stand-ins share: registered clients and users,
//! `/authorize` checks (client, exact redirect URI, scope subset, PKCE), single-use expiring
//! codes, access tokens and rotating refresh tokens. Each network turns the outcomes into its own
//! bodies; nothing here knows a wire format.

use std::collections::HashMap;

use base64::Engine as _;
use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest as _, Sha256};

use super::store::{Fields, random_string};
use super::{Authorization, IssuedToken, OAuthClient, User};

/// How a network treats PKCE on `/authorize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pkce {
    /// Mandatory, `S256` or `plain` (X).
    Required,
    /// Optional, `S256` only (Mastodon 4.3+).
    OptionalS256,
    /// Not part of the web flow (LinkedIn, Threads): the parameters are ignored.
    Ignored,
}

/// The per-network rules of `/authorize`.
pub(crate) struct AuthorizeRules {
    pub scope_separator: char,
    pub default_scope: &'static str,
    pub pkce: Pkce,
    pub require_state: bool,
    pub code_lifetime: TimeDelta,
    /// The `error` of a redirect for a scope the client may not ask (LinkedIn has its own).
    pub invalid_scope_error: &'static str,
}

/// Why `/authorize` refused.
#[derive(Debug)]
pub(crate) enum AuthorizeProblem {
    /// Never redirect to an unverified place: an error page instead.
    UnknownClient,
    RedirectMismatch,
    MissingState,
    /// Reported to the client on its (verified) redirect URI.
    Redirected {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
}

impl AuthorizeProblem {
    /// The error redirect (`error`, `error_description`, `state`), for the problems that get one.
    pub fn location(&self) -> Option<String> {
        let Self::Redirected {
            redirect_uri,
            state,
            error,
            description,
        } = self
        else {
            return None;
        };
        let mut pairs = vec![("error", *error), ("error_description", description)];
        if let Some(state) = state {
            pairs.push(("state", state));
        }
        Some(with_query(redirect_uri, &pairs))
    }
}

/// Why a code was not exchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeProblem {
    Unknown,
    Used,
    Expired,
    ClientMismatch,
    RedirectMismatch,
    VerifierMissing,
    VerifierMismatch,
}

/// What a valid code grants.
#[derive(Debug, Clone)]
pub(crate) struct CodeGrant {
    pub user_id: String,
    pub scopes: Vec<String>,
}

/// What kind of access token (Threads has two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Standard,
    ShortLived,
    LongLived,
}

/// How long a token lives and whether a refresh token comes with it.
#[derive(Debug, Clone, Copy)]
pub struct TokenPolicy {
    pub lifetime: Option<TimeDelta>,
    pub refresh: bool,
    pub kind: TokenKind,
}

/// A live (or once live) access token.
#[derive(Debug, Clone)]
pub(crate) struct AccessToken {
    pub user_id: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked: bool,
    pub kind: TokenKind,
}

impl AccessToken {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes
            .iter()
            .any(|granted| scope_covers(granted, scope))
    }
}

/// Why a request's token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    Missing,
    Unknown,
    Expired,
    Revoked,
}

struct Grant {
    client_id: String,
    user_id: String,
    scopes: Vec<String>,
    redirect_uri: String,
    challenge: Option<(String, String)>,
    expires_at: DateTime<Utc>,
    used: bool,
}

struct RefreshToken {
    user_id: String,
    client_id: String,
    scopes: Vec<String>,
    used: bool,
}

/// Clients, users, codes and tokens of one stand-in.
#[derive(Default)]
pub(crate) struct OAuth {
    pub clients: HashMap<String, OAuthClient>,
    pub users: Vec<User>,
    /// The user who approves the next `/authorize` (default: the first user).
    pub approver: Option<String>,
    pub authorizations: Vec<Authorization>,
    codes: HashMap<String, Grant>,
    tokens: HashMap<String, AccessToken>,
    refresh_tokens: HashMap<String, RefreshToken>,
}

impl OAuth {
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|user| user.id == id)
    }

    /// The client if `secret` is its secret (a public client never authenticates this way).
    pub fn authenticate(&self, client_id: &str, secret: Option<&str>) -> Option<&OAuthClient> {
        let client = self.clients.get(client_id)?;
        (client.client_secret.is_some() && client.client_secret.as_deref() == secret)
            .then_some(client)
    }

    /// `/authorize` approved at once by the current approver: the redirect with `code` and
    /// `state`, or why not.
    pub fn authorize(
        &mut self,
        fields: &Fields,
        rules: &AuthorizeRules,
        now: DateTime<Utc>,
    ) -> Result<String, AuthorizeProblem> {
        let client_id = fields.get("client_id").unwrap_or_default();
        let client = self
            .clients
            .get(client_id)
            .ok_or(AuthorizeProblem::UnknownClient)?;
        let redirect_uri = fields.get("redirect_uri").unwrap_or_default().to_owned();
        if !client.redirect_uris.contains(&redirect_uri) {
            return Err(AuthorizeProblem::RedirectMismatch);
        }
        let state = fields.get("state").map(str::to_owned);
        if rules.require_state && state.is_none() {
            return Err(AuthorizeProblem::MissingState);
        }
        let refuse = |error, description: &str| AuthorizeProblem::Redirected {
            redirect_uri: redirect_uri.clone(),
            state: state.clone(),
            error,
            description: description.to_owned(),
        };
        if fields.get("response_type") != Some("code") {
            return Err(refuse(
                "unsupported_response_type",
                "response_type must be code",
            ));
        }
        let asked = fields.get("scope").unwrap_or(rules.default_scope);
        let scopes: Vec<String> = asked
            .split(rules.scope_separator)
            .map(str::trim)
            .filter(|scope| !scope.is_empty())
            .map(str::to_owned)
            .collect();
        let refused: Vec<&str> = scopes
            .iter()
            .filter(|wanted| {
                !client
                    .scopes
                    .iter()
                    .any(|granted| scope_covers(granted, wanted))
            })
            .map(String::as_str)
            .collect();
        if scopes.is_empty() || !refused.is_empty() {
            let description = format!(
                "Scope \"{}\" is not authorized for your application",
                refused.join(" ")
            );
            return Err(refuse(rules.invalid_scope_error, &description));
        }
        let challenge = match (rules.pkce, fields.get("code_challenge")) {
            (Pkce::Ignored, _) | (Pkce::OptionalS256, None) => None,
            (Pkce::Required, None) => {
                return Err(refuse(
                    "invalid_request",
                    "Missing required parameter [code_challenge].",
                ));
            }
            (pkce, Some(challenge)) => {
                let method = fields.get("code_challenge_method").unwrap_or("plain");
                let allowed = match pkce {
                    Pkce::Required => ["S256", "plain"].contains(&method),
                    _ => method == "S256",
                };
                if !allowed || !(43..=128).contains(&challenge.len()) {
                    return Err(refuse(
                        "invalid_request",
                        "Invalid code_challenge or code_challenge_method.",
                    ));
                }
                Some((challenge.to_owned(), method.to_owned()))
            }
        };
        let user_id = self
            .approver
            .clone()
            .or_else(|| self.users.first().map(|user| user.id.clone()))
            .ok_or_else(|| refuse("access_denied", "No account to approve with."))?;
        let code = random_string(40);
        self.authorizations.push(Authorization {
            client_id: client_id.to_owned(),
            user_id: user_id.clone(),
            scopes: scopes.clone(),
            redirect_uri: redirect_uri.clone(),
            at: now,
        });
        self.codes.insert(
            code.clone(),
            Grant {
                client_id: client_id.to_owned(),
                user_id,
                scopes,
                redirect_uri: redirect_uri.clone(),
                challenge,
                expires_at: now + rules.code_lifetime,
                used: false,
            },
        );
        let mut pairs = vec![("code", code.as_str())];
        if let Some(state) = &state {
            pairs.push(("state", state));
        }
        Ok(with_query(&redirect_uri, &pairs))
    }

    /// Exchanges a code once: checks expiry, client, exact redirect URI and the PKCE verifier.
    pub fn redeem(
        &mut self,
        code: &str,
        client_id: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<CodeGrant, CodeProblem> {
        let grant = self.codes.get_mut(code).ok_or(CodeProblem::Unknown)?;
        if grant.used {
            return Err(CodeProblem::Used);
        }
        if now >= grant.expires_at {
            return Err(CodeProblem::Expired);
        }
        if grant.client_id != client_id {
            return Err(CodeProblem::ClientMismatch);
        }
        if redirect_uri != Some(grant.redirect_uri.as_str()) {
            return Err(CodeProblem::RedirectMismatch);
        }
        if let Some((challenge, method)) = &grant.challenge {
            let verifier = verifier.ok_or(CodeProblem::VerifierMissing)?;
            if !pkce_matches(verifier, challenge, method) {
                return Err(CodeProblem::VerifierMismatch);
            }
        }
        grant.used = true;
        Ok(CodeGrant {
            user_id: grant.user_id.clone(),
            scopes: grant.scopes.clone(),
        })
    }

    pub fn issue(
        &mut self,
        user_id: &str,
        client_id: &str,
        scopes: &[String],
        policy: TokenPolicy,
        now: DateTime<Utc>,
    ) -> IssuedToken {
        let access_token = random_string(43);
        let expires_at = policy.lifetime.map(|lifetime| now + lifetime);
        self.tokens.insert(
            access_token.clone(),
            AccessToken {
                user_id: user_id.to_owned(),
                client_id: client_id.to_owned(),
                scopes: scopes.to_vec(),
                issued_at: now,
                expires_at,
                revoked: false,
                kind: policy.kind,
            },
        );
        let refresh_token = policy.refresh.then(|| {
            let token = random_string(50);
            self.refresh_tokens.insert(
                token.clone(),
                RefreshToken {
                    user_id: user_id.to_owned(),
                    client_id: client_id.to_owned(),
                    scopes: scopes.to_vec(),
                    used: false,
                },
            );
            token
        });
        IssuedToken {
            access_token,
            refresh_token,
            expires_at,
            scopes: scopes.to_vec(),
        }
    }

    /// The token a request carries, if it is live.
    pub fn check(
        &self,
        token: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<AccessToken, TokenProblem> {
        let token = token.ok_or(TokenProblem::Missing)?;
        let access = self.tokens.get(token).ok_or(TokenProblem::Unknown)?;
        if access.revoked {
            return Err(TokenProblem::Revoked);
        }
        if access.expires_at.is_some_and(|at| now >= at) {
            return Err(TokenProblem::Expired);
        }
        Ok(access.clone())
    }

    /// A single-use refresh token exchanged for a new pair; a used or unknown one gives `None`.
    pub fn rotate(
        &mut self,
        refresh_token: &str,
        client_id: &str,
        policy: TokenPolicy,
        now: DateTime<Utc>,
    ) -> Option<IssuedToken> {
        let old = self.refresh_tokens.get_mut(refresh_token)?;
        if old.used || old.client_id != client_id {
            return None;
        }
        old.used = true;
        let (user_id, scopes) = (old.user_id.clone(), old.scopes.clone());
        Some(self.issue(&user_id, client_id, &scopes, policy, now))
    }

    /// Revokes an access or refresh token (of `client_id` only, when given); whether it did.
    pub fn revoke(&mut self, token: &str, client_id: Option<&str>) -> bool {
        let owned_by = |owner: &str| client_id.is_none_or(|client_id| client_id == owner);
        if let Some(access) = self.tokens.get_mut(token) {
            access.revoked |= owned_by(&access.client_id);
            return access.revoked;
        }
        match self.refresh_tokens.get_mut(token) {
            Some(refresh) if owned_by(&refresh.client_id) => {
                refresh.used = true;
                true
            }
            _ => false,
        }
    }

    /// Makes a token expired from `now` on (the `ExpiredToken` fault).
    pub fn expire(&mut self, token: &str, now: DateTime<Utc>) {
        if let Some(access) = self.tokens.get_mut(token) {
            access.expires_at = Some(now);
        }
    }
}

/// Whether a granted scope covers a wanted one: itself, or its parent (`write` ⊇ `write:statuses`).
pub(crate) fn scope_covers(granted: &str, wanted: &str) -> bool {
    wanted == granted
        || wanted
            .strip_prefix(granted)
            .is_some_and(|rest| rest.starts_with(':'))
}

/// RFC 7636: a 43–128-character verifier whose `plain` form or `BASE64URL(SHA256())` is the challenge.
pub(crate) fn pkce_matches(verifier: &str, challenge: &str, method: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    well_formed
        && match method {
            "S256" => {
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier))
                    == challenge
            }
            _ => verifier == challenge,
        }
}

/// `uri` with the pairs appended to its query.
pub(crate) fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(pairs);
            url.to_string()
        }
        Err(_) => uri.to_owned(),
    }
}
