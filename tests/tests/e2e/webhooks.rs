//! Issue 19, part 3: outgoing webhooks through the real server and worker. A stand-in receiver
//! checks each call as a Standard Webhooks library would (the HMAC-SHA256 signature computed
//! here, independently of Chorus's code), answers the first call 500 so the retry is seen, and
//! the events say nothing about who did what. The address guard refuses private addresses.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use chorus_tests::html::testid;
use chorus_tests::shares::{queue_now, wait_for_state};
use chorus_tests::world::StandInWorld;
use chorus_tests::{PASSWORD, TestApp};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// One call the receiver got.
#[derive(Debug, Clone)]
struct Call {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
    answered: u16,
}

/// A webhook receiver on 127.0.0.1 that answers the first `failures` calls 500.
struct Receiver {
    url: String,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl Receiver {
    async fn start(failures: usize) -> Receiver {
        let calls: Arc<Mutex<Vec<Call>>> = Arc::default();
        let seen = Arc::clone(&calls);
        let app = axum::Router::new().route(
            "/hooks/chorus",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let seen = Arc::clone(&seen);
                async move {
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .map(|v| v.to_str().unwrap().to_owned())
                            .unwrap_or_default()
                    };
                    let mut calls = seen.lock().unwrap();
                    let status = if calls.len() < failures {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::NO_CONTENT
                    };
                    calls.push(Call {
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp"),
                        signature: header("webhook-signature"),
                        body,
                        answered: status.as_u16(),
                    });
                    status
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks/chorus", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, calls }
    }

    /// Waits (up to 60 s) for `count` calls answered 2xx; returns every call.
    async fn wait_for(&self, count: usize) -> Vec<Call> {
        for _ in 0..600 {
            let calls = self.calls.lock().unwrap().clone();
            if calls.iter().filter(|c| c.answered < 300).count() >= count {
                return calls;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "no {count} delivered calls: {:?}",
            self.calls.lock().unwrap()
        );
    }
}

/// HMAC-SHA256, written out (RFC 2104), so the check does not reuse Chorus's own code.
fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .to_vec()
}

/// Checks a call as a receiver does: the signature over `{id}.{timestamp}.{body}`, with the
/// secret's bytes, and a timestamp within five minutes.
fn verify(secret: &str, call: &Call) {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let expected = base64::engine::general_purpose::STANDARD.encode(hmac_sha256(
        &key,
        format!("{}.{}.{}", call.id, call.timestamp, call.body).as_bytes(),
    ));
    assert_eq!(call.signature, format!("v1,{expected}"), "{call:?}");
    let sent: i64 = call.timestamp.parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - sent).abs() < 300);
    assert!(call.id.starts_with("msg_"), "{call:?}");
    // A body changed on the way no longer matches.
    let forged = base64::engine::general_purpose::STANDARD.encode(hmac_sha256(
        &key,
        format!("{}.{}.{}x", call.id, call.timestamp, call.body).as_bytes(),
    ));
    assert_ne!(call.signature, format!("v1,{forged}"));
}

#[tokio::test]
async fn subscribed_addresses_get_signed_events_retried_until_answered_and_never_who() {
    let w = StandInWorld::start().await;
    let receiver = Receiver::start(1).await;
    let admin = w.app.client();
    admin.sign_in("boss@example.org", PASSWORD).await;
    let subscribed = admin
        .post_form(
            "/admin/webhooks",
            &[
                ("url", receiver.url.as_str()),
                ("event", "item.published"),
                ("event", "share.published"),
                ("event", "suggestion.received"),
            ],
        )
        .await;
    assert_eq!(subscribed.status, 200, "{}", subscribed.body);
    let secret = testid(&subscribed.body, "webhook-secret");
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert!(
        !admin.get("/admin/webhooks").await.body.contains(&secret),
        "the secret is shown once"
    );

    // An editor publishes an item, Ana shares one, Ana suggests one.
    let editor = w.app.signed_in("ed@example.org", "editor").await;
    let item = editor
        .publish_item(&[
            ("title", "Wind farm opens"),
            ("body", "It powers 10,000 homes."),
            ("why", "It is ours."),
            ("language", "en"),
        ])
        .await;
    let (_, mastodon) = w.account_ids().await;
    queue_now(
        &w.ana,
        w.item,
        &[(
            mastodon,
            "Our plant runs on the sun, and I am proud of it #employee",
        )],
    )
    .await;
    wait_for_state(&w.ana, "published", 1).await;
    let suggested = w
        .ana
        .post_form(
            "/hub/suggest",
            &[("link", "https://example.com/story"), ("idea", "A story")],
        )
        .await;
    assert_eq!(suggested.status, 303, "{}", suggested.body);

    // The first call was answered 500: the same message came again, a few seconds later.
    let calls = receiver.wait_for(3).await;
    assert_eq!(calls[0].answered, 500);
    assert!(
        calls[1..]
            .iter()
            .any(|c| c.id == calls[0].id && c.answered == 204),
        "the refused message is retried with its id: {calls:?}"
    );
    let delivered: Vec<&Call> = calls.iter().filter(|c| c.answered == 204).collect();
    assert_eq!(delivered.len(), 3, "{calls:?}");
    let mut types = Vec::new();
    for call in &delivered {
        verify(&secret, call);
        let body: Value = serde_json::from_str(&call.body).unwrap();
        let kind = body["type"].as_str().unwrap().to_owned();
        match kind.as_str() {
            "item.published" => {
                assert_eq!(body["data"]["item"]["id"], item);
                assert_eq!(body["data"]["item"]["title"], "Wind farm opens");
            }
            "share.published" => {
                assert_eq!(body["data"]["item"]["id"], w.item);
                assert_eq!(body["data"]["published_shares"], 1);
            }
            "suggestion.received" => {
                assert_eq!(
                    body["data"]["item"]["link_url"],
                    "https://example.com/story"
                );
            }
            other => panic!("unexpected event {other}"),
        }
        // Never who: no name, email or account of the person.
        for who in ["ana", "Ana", "example.org", "user"] {
            assert!(!call.body.contains(who), "{who} in {}", call.body);
        }
        types.push(kind);
    }
    types.sort();
    assert_eq!(
        types,
        ["item.published", "share.published", "suggestion.received"]
    );

    // The log says what happened to each.
    let log = admin.get("/admin/webhooks").await.body;
    assert_eq!(log.matches(r#"data-state="delivered""#).count(), 3, "{log}");
    assert!(
        log.contains(r#"<td data-label="Attempts" class="number">2</td>"#),
        "{log}"
    );

    // Removed, the address hears nothing more.
    let start = log.find("/admin/webhooks/").unwrap() + "/admin/webhooks/".len();
    let id: String = log[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let removed = admin
        .post_form(&format!("/admin/webhooks/{id}/remove"), &[])
        .await;
    assert_eq!(removed.status, 303);
    editor
        .publish_item(&[
            ("title", "Another"),
            ("body", "b"),
            ("why", "w"),
            ("language", "en"),
        ])
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receiver.calls.lock().unwrap().len(), calls.len());
}

#[tokio::test]
async fn a_webhook_cannot_point_chorus_at_its_own_network() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("boss@example.org", "admin").await;
    assert_eq!(
        app.signed_in("ed@example.org", "editor")
            .await
            .get("/admin/webhooks")
            .await
            .status,
        403
    );
    for (url, why) in [
        ("http://127.0.0.1:9/hooks", "private network"),
        ("http://[::1]/hooks", "private network"),
        ("http://169.254.169.254/latest/meta-data", "private network"),
        ("http://localhost:8080/hooks", "private network"),
        ("ftp://example.com/hooks", "http:// or https://"),
    ] {
        let refused = admin
            .post_form(
                "/admin/webhooks",
                &[("url", url), ("event", "item.published")],
            )
            .await;
        assert_eq!(refused.status, 422, "{url}");
        assert!(refused.body.contains(why), "{url}: {}", refused.body);
        assert!(refused.body.contains(url), "the address is kept: {url}");
    }
    let no_event = admin
        .post_form("/admin/webhooks", &[("url", "https://example.com/hooks")])
        .await;
    assert_eq!(no_event.status, 422);
    assert!(no_event.body.contains("Tick at least one event"));
}
