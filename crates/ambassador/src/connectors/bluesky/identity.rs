//! Finding an account's server: a DID's document (PLC directory or `did:web`), the PDS it
//! names, and the DID of a handle.

use serde_json::Value;
use url::Url;

use super::refused;
use super::{Bluesky, ConnectorError};

impl Bluesky {
    /// Whether `url` may be used as a PDS: `https`, or `http` where allowed (tests).
    pub(super) fn acceptable_pds(&self, url: &Url) -> bool {
        let scheme_ok =
            url.scheme() == "https" || (self.endpoints.allow_http && url.scheme() == "http");
        scheme_ok && url.host_str().is_some() && url.username().is_empty()
    }

    /// The PDS of `did`, from its DID document ([`Bluesky::did_document`]).
    ///
    /// # Errors
    /// [`ConnectorError::Refused`] for a DID that does not resolve or names no usable PDS.
    pub async fn resolve_pds(&self, did: &str) -> Result<Url, ConnectorError> {
        pds_of(&self.did_document(did).await?)
            .filter(|url| self.acceptable_pds(url))
            .ok_or_else(|| refused(400, format!("{did} names no usable Bluesky server")))
    }

    /// The DID document of `did`: from the PLC directory for `did:plc`,
    /// `https://{host}/.well-known/did.json` for `did:web`.
    ///
    /// # Errors
    /// [`ConnectorError::Refused`] for a DID that does not resolve.
    pub async fn did_document(&self, did: &str) -> Result<Value, ConnectorError> {
        let document_url = if did.starts_with("did:plc:")
            && did[8..].chars().all(|c| c.is_ascii_alphanumeric())
        {
            let mut url = self.endpoints.plc.clone();
            url.path_segments_mut()
                .map_err(|()| ConnectorError::Malformed {
                    detail: "the PLC directory URL cannot take a path".to_owned(),
                })?
                .pop_if_empty()
                .push(did);
            url
        } else if let Some(host) = did.strip_prefix("did:web:")
            && !host.contains(['/', '%', '@'])
        {
            Url::parse(&format!("https://{host}/.well-known/did.json"))
                .map_err(|_| refused(400, format!("{did} is not a DID that Chorus can resolve")))?
        } else {
            return Err(refused(
                400,
                format!("{did} is not a DID that Chorus can resolve"),
            ));
        };
        let answer = self
            .http
            .send(self.http.inner().get(document_url))
            .await
            .map_err(ConnectorError::from)?;
        if !answer.is_success() {
            return Err(refused(
                answer.status,
                format!("{did} was not found in its directory"),
            ));
        }
        Ok(answer.json())
    }

    /// The DIDs of the handles a post mentions, as the account's PDS resolves them
    /// (`com.atproto.identity.resolveHandle`, as the reference client asks its service), through
    /// the same guarded client as connecting; a handle that does not resolve is left out, so its
    /// mention stays plain text. At most 20 are asked.
    pub(super) async fn resolve_handles(
        &self,
        pds: &Url,
        handles: &[String],
    ) -> Vec<(String, String)> {
        let mut resolved = Vec::new();
        for handle in handles.iter().take(20) {
            let mut url = Self::xrpc(pds, "com.atproto.identity.resolveHandle");
            url.query_pairs_mut()
                .append_pair("handle", &handle.to_ascii_lowercase());
            let Ok(answer) = self.http.send(self.http.inner().get(url)).await else {
                continue;
            };
            let did = serde_json::from_str::<Value>(&answer.body)
                .ok()
                .and_then(|v| v.get("did").and_then(Value::as_str).map(str::to_owned));
            if let Some(did) = did.filter(|d| answer.is_success() && d.starts_with("did:")) {
                resolved.push((handle.clone(), did));
            }
        }
        resolved
    }

    /// The DID of a handle from `https://{handle}/.well-known/atproto-did` (the DNS method is
    /// not tried: sign-in then goes through the entryway, which knows its own handles).
    pub(super) async fn resolve_handle(&self, handle: &str) -> Option<String> {
        let url = Url::parse(&format!("https://{handle}/.well-known/atproto-did")).ok()?;
        let answer = self.http.send(self.http.inner().get(url)).await.ok()?;
        let did = answer.body.trim();
        (answer.is_success() && did.starts_with("did:") && !did.contains(char::is_whitespace))
            .then(|| did.to_owned())
    }
}

/// The `#atproto_pds` service endpoint of a DID document.
pub(super) fn pds_of(document: &Value) -> Option<Url> {
    document
        .get("service")?
        .as_array()?
        .iter()
        .find(|service| {
            service
                .get("id")
                .and_then(Value::as_str)
                .is_some_and(|id| id.ends_with("#atproto_pds"))
                && service.get("type").and_then(Value::as_str) == Some("AtprotoPersonalDataServer")
        })?
        .get("serviceEndpoint")?
        .as_str()
        .and_then(|endpoint| Url::parse(endpoint).ok())
}
