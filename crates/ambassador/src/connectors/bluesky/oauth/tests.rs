//! Unit tests of the atproto OAuth client: client ids, the metadata document, and the DPoP
//! nonce retry against a scripted HTTP server on 127.0.0.1.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

use super::*;
use crate::connectors::{BlueskyEndpoints, HttpClient, Timeouts};

#[test]
fn a_loopback_base_gives_the_loopback_client_with_a_127_0_0_1_redirect() {
    let client = OAuthClient::for_base(&Url::parse("http://localhost:8080/").unwrap());
    assert!(client.loopback);
    assert_eq!(
        client.redirect_uri,
        "http://127.0.0.1:8080/hub/accounts/callback/bluesky"
    );
    assert_eq!(
        client.client_id,
        "http://localhost?redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fhub%2Faccounts%2Fcallback%2Fbluesky&scope=atproto%20transition%3Ageneric"
    );
    let same = OAuthClient::for_base(&Url::parse("http://127.0.0.1:8080").unwrap());
    assert_eq!(same, client);
}

#[test]
fn a_public_base_serves_a_metadata_document_naming_itself() {
    let client = OAuthClient::for_base(&Url::parse("https://chorus.example/").unwrap());
    assert!(!client.loopback);
    assert_eq!(
        client.client_id,
        "https://chorus.example/oauth/bluesky/client-metadata.json"
    );
    let document = client.metadata();
    assert_eq!(document["client_id"], client.client_id);
    assert_eq!(document["application_type"], "web");
    assert_eq!(document["dpop_bound_access_tokens"], true);
    assert_eq!(document["token_endpoint_auth_method"], "none");
    assert_eq!(
        document["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(document["response_types"], json!(["code"]));
    assert_eq!(
        document["redirect_uris"],
        json!(["https://chorus.example/hub/accounts/callback/bluesky"])
    );
    assert_eq!(document["scope"], "atproto transition:generic");
    assert_eq!(document["client_uri"], "https://chorus.example");
}

/// One scripted answer per connection, in order; returns the server's address and the raw
/// requests it received.
async fn scripted(answers: Vec<String>) -> (Url, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        for answer in answers {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buffer = [0_u8; 4096];
            loop {
                let read = socket.read(&mut buffer).await.unwrap();
                request.extend_from_slice(&buffer[..read]);
                let text = String::from_utf8_lossy(&request).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap())
                        })
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
                if read == 0 {
                    break;
                }
            }
            record
                .lock()
                .unwrap()
                .push(String::from_utf8_lossy(&request).to_string());
            socket.write_all(answer.as_bytes()).await.unwrap();
            socket.shutdown().await.unwrap();
        }
    });
    (Url::parse(&format!("http://{address}/")).unwrap(), seen)
}

fn answer(status: &str, headers: &[&str], body: &str) -> String {
    let mut text = format!(
        "HTTP/1.1 {status}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for header in headers {
        text.push_str(header);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    text.push_str(body);
    text
}

fn connector(pds: &Url) -> Bluesky {
    Bluesky::new(
        HttpClient::new(Timeouts::default()).unwrap(),
        BlueskyEndpoints {
            pds: Some(pds.clone()),
            allow_http: true,
            ..BlueskyEndpoints::default()
        },
    )
}

/// The claims of the DPoP proof in a raw request.
fn proof_claims(request: &str) -> Value {
    let proof = request
        .lines()
        .find_map(|l| l.strip_prefix("dpop: "))
        .unwrap_or_else(|| panic!("a DPoP header in {request}"));
    let claims = proof.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .unwrap(),
    )
    .unwrap()
}

fn server_at(base: &Url) -> AuthServer {
    AuthServer {
        issuer: base.origin().ascii_serialization(),
        par: base.join("oauth/par").unwrap(),
        authorize: base.join("oauth/authorize").unwrap(),
        token: base.join("oauth/token").unwrap(),
        revoke: None,
    }
}

#[tokio::test]
async fn a_pushed_request_refused_for_want_of_a_nonce_is_sent_again_once_with_it() {
    let (base, seen) = scripted(vec![
        answer(
            "400 Bad Request",
            &["DPoP-Nonce: nonce-from-server"],
            r#"{"error":"use_dpop_nonce","error_description":"Authorization server requires nonce in DPoP proof"}"#,
        ),
        answer(
            "201 Created",
            &["DPoP-Nonce: nonce-2"],
            r#"{"request_uri":"urn:ietf:params:oauth:request_uri:req-abc","expires_in":299}"#,
        ),
    ])
    .await;
    let bluesky = connector(&base);
    let server = server_at(&base);
    let client = OAuthClient::for_base(&Url::parse("http://127.0.0.1:3000").unwrap());
    let key = DpopKey::generate();
    let url = bluesky
        .push_authorization(
            &server,
            &Authorization {
                client: &client,
                login_hint: "did:plc:abc",
                state: "state-1",
                code_challenge: "challenge-1",
                key: &key,
            },
        )
        .await
        .unwrap();
    assert_eq!(url.path(), "/oauth/authorize");
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert_eq!(
        pairs,
        vec![
            ("client_id".to_owned(), client.client_id.clone()),
            (
                "request_uri".to_owned(),
                "urn:ietf:params:oauth:request_uri:req-abc".to_owned()
            ),
        ]
    );

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "one retry");
    let first = proof_claims(&seen[0]);
    let second = proof_claims(&seen[1]);
    assert!(first.get("nonce").is_none());
    assert_eq!(second["nonce"], "nonce-from-server");
    assert_ne!(first["jti"], second["jti"]);
    assert_eq!(second["htm"], "POST");
    assert_eq!(second["htu"], server.par.as_str());
    assert!(second.get("ath").is_none(), "no token yet");
    for part in [
        "code_challenge_method=S256",
        "code_challenge=challenge-1",
        "state=state-1",
        "login_hint=did%3Aplc%3Aabc",
        "response_type=code",
        "scope=atproto+transition%3Ageneric",
    ] {
        assert!(seen[1].contains(part), "{part} in {}", seen[1]);
    }
    // The next request to the same server starts with the latest nonce.
    assert_eq!(
        bluesky.nonces.get(&server.token).as_deref(),
        Some("nonce-2")
    );
}

#[tokio::test]
async fn a_resource_call_asked_for_a_nonce_is_retried_once_with_ath_and_then_given_up() {
    let token = Secret::new("oauth-access-token");
    let (base, seen) = scripted(vec![
        answer(
            "401 Unauthorized",
            &[
                r#"WWW-Authenticate: DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#,
                "DPoP-Nonce: resource-nonce",
            ],
            r#"{"error":"use_dpop_nonce"}"#,
        ),
        answer(
            "401 Unauthorized",
            &[
                r#"WWW-Authenticate: DPoP error="use_dpop_nonce""#,
                "DPoP-Nonce: resource-nonce-2",
            ],
            r#"{"error":"use_dpop_nonce"}"#,
        ),
    ])
    .await;
    let bluesky = connector(&base);
    let account = Account {
        access_token: token.clone(),
        dpop: Some(DpopKey::generate()),
        external_id: "did:plc:abc".to_owned(),
        handle: "abc.test".to_owned(),
    };
    let error = bluesky
        .delete(
            &account,
            "at://did:plc:abc/app.bsky.feed.post/3k4duaz5vfs2b",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, PublishError::Unauthorized { .. }),
        "a second refusal is not retried again: {error:?}"
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "exactly one retry");
    for request in &seen {
        assert!(
            request.contains("authorization: DPoP oauth-access-token"),
            "{request}"
        );
        let claims = proof_claims(request);
        assert_eq!(
            claims["ath"],
            crate::connectors::dpop::access_token_hash(&token)
        );
        assert_eq!(
            claims["htu"],
            format!("{base}xrpc/com.atproto.repo.deleteRecord")
        );
    }
    assert!(proof_claims(&seen[0]).get("nonce").is_none());
    assert_eq!(proof_claims(&seen[1])["nonce"], "resource-nonce");
}

#[tokio::test]
async fn tokens_for_another_account_or_without_atproto_are_refused() {
    let body = |sub: &str, scope: &str| {
        json!({"access_token": "a", "refresh_token": "r", "token_type": "DPoP",
               "expires_in": 3600, "scope": scope, "sub": sub})
        .to_string()
    };
    let (base, _) = scripted(vec![
        answer(
            "200 OK",
            &[],
            &body("did:plc:other", "atproto transition:generic"),
        ),
        answer("200 OK", &[], &body("did:plc:abc", "transition:generic")),
        answer(
            "200 OK",
            &[],
            &body("did:plc:abc", "atproto transition:generic"),
        ),
    ])
    .await;
    let bluesky = connector(&base);
    let server = server_at(&base);
    let client = OAuthClient::for_base(&Url::parse("http://127.0.0.1:3000").unwrap());
    let key = DpopKey::generate();
    let verifier = Secret::new("verifier");
    let exchange =
        || bluesky.exchange_oauth_code(&server, &client, "code", &verifier, &key, "did:plc:abc");
    let other = exchange().await.unwrap_err();
    assert!(other.to_string().contains("another account"), "{other}");
    let no_atproto = exchange().await.unwrap_err();
    assert!(no_atproto.to_string().contains("atproto"), "{no_atproto}");
    let tokens = exchange().await.unwrap();
    assert_eq!(tokens.access_token, Secret::new("a"));
    assert_eq!(tokens.refresh_token, Some(Secret::new("r")));
    assert!(tokens.expires_at.is_some());
}

#[test]
fn the_handle_is_read_from_the_did_document() {
    let document = json!({"alsoKnownAs": ["https://x", "at://ana.test"]});
    assert_eq!(handle_of(&document).as_deref(), Some("ana.test"));
    assert_eq!(handle_of(&json!({})), None);
}
