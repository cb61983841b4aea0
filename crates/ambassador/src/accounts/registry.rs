//! Where each network lives (production by default, stand-ins in tests) and the connector for
//! each, built from the organisation's client credentials.

// The parent module's imports and shared items.
use super::*;

/// Where each network lives (production by default; stand-ins in tests) and the HTTP client.
#[derive(Debug, Clone)]
pub struct Networks {
    /// Base URL replacing X's hosts (tests, proxies).
    pub x_base: Option<Url>,
    /// Base URL replacing LinkedIn's hosts.
    pub linkedin_base: Option<Url>,
    /// Base URL replacing Threads' hosts.
    pub threads_base: Option<Url>,
    /// The PLC directory that resolves Bluesky DIDs (`https://plc.directory` when `None`).
    pub bluesky_plc: Option<Url>,
    /// The `LinkedIn-Version` every LinkedIn call names (`YYYYMM`).
    pub linkedin_version: String,
    /// Accept `http://` and private Mastodon instances (tests only): see
    /// [`Networks::allow_private_for_tests`].
    pub allow_insecure_instances: bool,
    /// The client of the configured endpoints (X, LinkedIn, Threads): no redirects followed.
    pub http: HttpClient,
    /// The client for places a person named: a Mastodon instance, a Bluesky handle and the
    /// DID document, PDS and authorization server it leads to. Public addresses only.
    pub people_http: HttpClient,
    /// The DPoP nonces Bluesky servers sent, shared by every connector of the process.
    pub bluesky_nonces: DpopNonces,
}

impl Networks {
    /// Production endpoints.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn production() -> Result<Self, ConnectorError> {
        Ok(Networks {
            x_base: None,
            linkedin_base: None,
            threads_base: None,
            bluesky_plc: None,
            linkedin_version: crate::connectors::linkedin::DEFAULT_VERSION.to_owned(),
            allow_insecure_instances: false,
            http: HttpClient::new(Timeouts::default())?,
            people_http: HttpClient::guarded(Timeouts::default(), AddressGuard::public_only())?,
            bluesky_nonces: DpopNonces::default(),
        })
    }

    /// Lets Mastodon instances and Bluesky servers be `http://` and private addresses, as the
    /// stand-ins and test peers are. Never outside tests.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn allow_private_for_tests(&mut self) -> Result<(), ConnectorError> {
        self.allow_insecure_instances = true;
        self.people_http =
            HttpClient::guarded(Timeouts::default(), AddressGuard::allow_private_for_tests())?;
        Ok(())
    }

    /// Checks a Mastodon instance address typed by a person and returns its origin.
    ///
    /// # Errors
    /// [`AmbassadorError::InvalidInstance`], or [`AmbassadorError::PrivateAddress`] for an IP
    /// address outside the public internet.
    pub fn instance(&self, typed: &str) -> Result<Url, AmbassadorError> {
        let typed = typed.trim().trim_end_matches('/');
        let with_scheme = if typed.contains("://") {
            typed.to_owned()
        } else {
            format!("https://{typed}")
        };
        let url = Url::parse(&with_scheme).map_err(|_| AmbassadorError::InvalidInstance)?;
        let secure =
            url.scheme() == "https" || (self.allow_insecure_instances && url.scheme() == "http");
        if !secure || url.host_str().is_none() || !url.username().is_empty() {
            return Err(AmbassadorError::InvalidInstance);
        }
        // Names are checked once resolved, by the client (`people_http`).
        if !self.allow_insecure_instances && AddressGuard::public_only().check_url(&url).is_err() {
            return Err(AmbassadorError::PrivateAddress(
                url.host_str().unwrap_or_default().to_owned(),
            ));
        }
        Url::parse(&url.origin().ascii_serialization())
            .map_err(|_| AmbassadorError::InvalidInstance)
    }

    /// The Bluesky connector, with the account's PDS where known.
    #[must_use]
    pub fn bluesky(&self, pds: Option<&Url>) -> Bluesky {
        let defaults = BlueskyEndpoints::default();
        Bluesky::new(
            self.people_http.clone(),
            BlueskyEndpoints {
                plc: self.bluesky_plc.clone().unwrap_or(defaults.plc),
                pds: pds.cloned(),
                allow_http: self.allow_insecure_instances,
                ..defaults
            },
        )
        .with_nonces(self.bluesky_nonces.clone())
    }

    /// The connector for `network` (and the instance: Mastodon's, or the Bluesky PDS).
    #[must_use]
    pub fn connector(&self, network: Network, instance: Option<&Url>) -> Option<Connector> {
        let http = self.http.clone();
        Some(match network {
            Network::Mastodon => Connector::Mastodon(Mastodon::new(
                self.people_http.clone(),
                MastodonEndpoints {
                    instance: instance?.clone(),
                },
            )),
            Network::LinkedIn => Connector::LinkedIn(LinkedIn::new(
                http,
                LinkedInEndpoints {
                    version: self.linkedin_version.clone(),
                    ..self
                        .linkedin_base
                        .as_ref()
                        .map_or_else(LinkedInEndpoints::default, LinkedInEndpoints::at)
                },
            )),
            Network::X => Connector::X(X::new(
                http,
                self.x_base
                    .as_ref()
                    .map_or_else(XEndpoints::default, XEndpoints::at),
            )),
            Network::Threads => Connector::Threads(Threads::new(
                http,
                self.threads_base
                    .as_ref()
                    .map_or_else(ThreadsEndpoints::default, ThreadsEndpoints::at),
            )),
            Network::Bluesky => Connector::Bluesky(self.bluesky(instance)),
        })
    }
}
