//! The Bluesky connector against the real reference PDS and a local PLC directory (see
//! `tests/peers/pds.mjs`): app-password sign-in, posts with facets and link cards, an rkey
//! that makes a retry harmless, refresh rotation, and error classes.

use chorus_ambassador::connectors::bluesky::{POST_COLLECTION, new_tid};
use chorus_ambassador::connectors::{
    Account, Bluesky, BlueskyEndpoints, ConnectorError, Post, PublishError, Secret,
};
use chorus_tests::{Pds, PdsAccount};
use url::Url;

use super::{assert_no_token, failed, http};

/// The connector as Chorus builds it for tests: the local PLC, `http://` allowed.
fn bluesky(pds: &Pds, account_pds: Option<&Url>) -> Bluesky {
    Bluesky::new(
        http(),
        BlueskyEndpoints {
            plc: Url::parse(&pds.plc_url).unwrap(),
            pds: account_pds.cloned(),
            allow_http: true,
            ..BlueskyEndpoints::default()
        },
    )
}

/// A fresh account on the PDS, signed in through the connector with an app password.
async fn signed_in(pds: &Pds, name: &str) -> (PdsAccount, Bluesky, Account, Secret) {
    let user = pds.create_account(name).await;
    let app_password = pds.create_app_password(&user, "chorus").await;
    let session = bluesky(pds, None)
        .sign_in(&user.did, &Secret::new(app_password), None)
        .await
        .unwrap();
    let connector = bluesky(pds, Some(&session.pds));
    let account = Account {
        access_token: session.tokens.access_token.clone(),
        dpop: None,
        external_id: session.identity.external_id.clone(),
        handle: session.identity.handle.clone(),
    };
    let refresh = session.tokens.refresh_token.clone().unwrap();
    (user, connector, account, refresh)
}

fn post(text: &str, link: Option<&str>) -> Post {
    Post {
        text: text.to_owned(),
        link: link.map(str::to_owned),
        link_title: Some("Solar in Lyon".to_owned()),
        link_description: Some("We opened a solar plant.".to_owned()),
        link_thumb: None,
        language: Some("en".to_owned()),
        image: None,
        idempotency_key: new_tid(),
    }
}

#[tokio::test]
async fn the_pds_harness_creates_accounts_and_reads_their_records_back() {
    let pds = Pds::start().await;
    assert!(pds.plc_url.starts_with("http://127.0.0.1:"));
    let ana = pds.create_account("ana").await;
    assert!(ana.did.starts_with("did:plc:"), "{}", ana.did);
    let app_password = pds.create_app_password(&ana, "chorus").await;
    assert_eq!(app_password.len(), 19, "xxxx-xxxx-xxxx-xxxx");
    assert!(
        pds.list_records(&ana.did, "app.bsky.feed.post")
            .await
            .is_empty()
    );
    assert!(
        pds.get_record(&ana.did, "app.bsky.feed.post", "3kabcdefghij2")
            .await
            .is_none()
    );
}

#[tokio::test]
async fn sign_in_with_a_did_finds_the_pds_through_plc_and_a_wrong_password_is_refused() {
    let pds = Pds::start().await;
    let user = pds.create_account("ana").await;
    let app_password = pds.create_app_password(&user, "chorus").await;
    let session = bluesky(&pds, None)
        .sign_in(&user.did, &Secret::new(app_password.clone()), None)
        .await
        .unwrap();
    assert_eq!(session.pds.as_str().trim_end_matches('/'), pds.pds_url);
    assert_eq!(session.identity.external_id, user.did);
    assert_eq!(session.identity.handle, "ana.test");
    let expires = session.tokens.expires_at.expect("read from the JWT");
    let minutes = (expires - chrono::Utc::now()).num_minutes();
    assert!((60..=180).contains(&minutes), "{minutes} minutes");
    assert!(session.tokens.refresh_token.is_some());

    // A handle with the server given (handles under .test do not resolve from outside).
    let server = Url::parse(&pds.pds_url).unwrap();
    let by_handle = bluesky(&pds, None)
        .sign_in("@ana.test", &Secret::new(app_password), Some(&server))
        .await
        .unwrap();
    assert_eq!(by_handle.identity.external_id, user.did);

    let refused = bluesky(&pds, None)
        .sign_in(&user.did, &Secret::new("wrong-wrong-wrong-wrong"), None)
        .await
        .unwrap_err();
    assert_eq!(
        refused,
        ConnectorError::Refused {
            status: 401,
            message: "Invalid identifier or password".to_owned()
        }
    );
    assert_no_token(&refused, "wrong-wrong-wrong-wrong");
}

#[tokio::test]
async fn a_post_with_a_link_and_a_tag_gets_exact_byte_facets_and_a_link_card() {
    let pds = Pds::start().await;
    let (user, connector, account, _) = signed_in(&pds, "ana").await;
    let text = "Fière de l’équipe ✨ https://example.com/solar #employee";
    let sent = post(text, Some("https://example.com/solar"));
    let published = connector.publish(&account, &sent).await.unwrap();
    assert_eq!(
        published.url,
        format!(
            "https://bsky.app/profile/{}/post/{}",
            user.did, sent.idempotency_key
        )
    );
    assert_eq!(
        published.external_id,
        format!(
            "at://{}/{POST_COLLECTION}/{}",
            user.did, sent.idempotency_key
        )
    );
    let record = pds
        .get_record(&user.did, POST_COLLECTION, &sent.idempotency_key)
        .await
        .expect("the record is in the repository");
    let value = &record.value;
    assert_eq!(value["text"], text);
    assert_eq!(value["langs"], serde_json::json!(["en"]));
    let bytes = text.as_bytes();
    let covered = |facet: &serde_json::Value| {
        let start = usize::try_from(facet["index"]["byteStart"].as_u64().unwrap()).unwrap();
        let end = usize::try_from(facet["index"]["byteEnd"].as_u64().unwrap()).unwrap();
        String::from_utf8(bytes[start..end].to_vec()).unwrap()
    };
    let facets = value["facets"].as_array().unwrap();
    assert_eq!(facets.len(), 2);
    assert_eq!(covered(&facets[0]), "https://example.com/solar");
    assert_eq!(
        facets[0]["features"][0],
        serde_json::json!({"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/solar"})
    );
    assert_eq!(covered(&facets[1]), "#employee");
    assert_eq!(
        facets[1]["features"][0],
        serde_json::json!({"$type": "app.bsky.richtext.facet#tag", "tag": "employee"})
    );
    assert_eq!(value["embed"]["$type"], "app.bsky.embed.external");
    assert_eq!(
        value["embed"]["external"]["uri"],
        "https://example.com/solar"
    );
    assert_eq!(value["embed"]["external"]["title"], "Solar in Lyon");
    assert_eq!(
        value["embed"]["external"]["description"],
        "We opened a solar plant."
    );
}

#[tokio::test]
async fn a_link_card_carries_its_image_uploaded_as_a_blob() {
    let pds = Pds::start().await;
    let (user, connector, account, _) = signed_in(&pds, "ana").await;
    let sent = Post {
        link_thumb: Some(chorus_ambassador::connectors::Thumb {
            bytes: chorus_tests::TINY_PNG.to_vec(),
            mime: "image/png".to_owned(),
        }),
        ..post(
            "Solar https://example.com/solar",
            Some("https://example.com/solar"),
        )
    };
    connector.publish(&account, &sent).await.unwrap();
    let record = pds
        .get_record(&user.did, POST_COLLECTION, &sent.idempotency_key)
        .await
        .expect("the record is in the repository");
    let thumb = &record.value["embed"]["external"]["thumb"];
    assert_eq!(thumb["$type"], "blob", "{thumb}");
    assert_eq!(thumb["mimeType"], "image/png");
    assert_eq!(thumb["size"], chorus_tests::TINY_PNG.len());
    let cid = thumb["ref"]["$link"].as_str().expect("a blob reference");
    assert_eq!(
        pds.get_blob(&user.did, cid).await,
        chorus_tests::TINY_PNG,
        "the PDS keeps the image"
    );

    // Without a link there is no card, so the image is not uploaded.
    let no_link = Post {
        link_thumb: sent.link_thumb.clone(),
        ..post("Just words", None)
    };
    connector.publish(&account, &no_link).await.unwrap();
    let plain = pds
        .get_record(&user.did, POST_COLLECTION, &no_link.idempotency_key)
        .await
        .unwrap();
    assert!(plain.value.get("embed").is_none());
}

#[tokio::test]
async fn publishing_the_same_post_again_with_its_record_key_leaves_one_record() {
    let pds = Pds::start().await;
    let (user, connector, account, _) = signed_in(&pds, "ana").await;
    let sent = post("Once only #solar", None);
    let first = connector.publish(&account, &sent).await.unwrap();
    // A retry after a crash: the same share, so the same key.
    let again = connector.publish(&account, &sent).await.unwrap();
    assert_eq!(again, first);
    let records = pds.list_records(&user.did, POST_COLLECTION).await;
    assert_eq!(records.len(), 1, "exactly one post: {records:?}");
    assert_eq!(records[0].rkey(), sent.idempotency_key);
    // Another share is another record.
    connector
        .publish(&account, &post("Twice is another share", None))
        .await
        .unwrap();
    assert_eq!(pds.list_records(&user.did, POST_COLLECTION).await.len(), 2);
}

#[tokio::test]
async fn refresh_rotates_the_session_and_a_bad_token_asks_for_a_refresh() {
    let pds = Pds::start().await;
    let (user, connector, account, refresh) = signed_in(&pds, "ana").await;
    let current = chorus_ambassador::connectors::TokenSet {
        access_token: account.access_token.clone(),
        refresh_token: Some(refresh.clone()),
        expires_at: None,
        scopes: vec![],
    };
    let fresh = connector.refresh(&current).await.unwrap();
    // (The access JWT may be byte-identical within the same second: same claims, same iat.)
    assert_ne!(fresh.refresh_token, current.refresh_token, "rotated");
    assert!(fresh.expires_at.is_some());
    let identity = connector.identity(&fresh.access_token).await.unwrap();
    assert_eq!(identity.external_id, user.did);

    // The PDS answers a token it cannot verify with 400 InvalidToken: the worker refreshes.
    let garbage = Account {
        access_token: Secret::new("garbage.token.value"),
        dpop: None,
        ..account.clone()
    };
    let error = failed(
        connector.publish(&garbage, &post("never", None)).await,
        &garbage,
    );
    assert!(
        matches!(error, PublishError::Unauthorized { .. }),
        "{error:?}"
    );
    assert!(
        pds.list_records(&user.did, POST_COLLECTION)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn refusals_carry_the_pds_words_and_a_post_can_be_deleted() {
    let pds = Pds::start().await;
    let (user, connector, account, _) = signed_in(&pds, "ana").await;
    let long = post(&"a".repeat(301), None);
    let error = failed(connector.publish(&account, &long).await, &account);
    assert!(matches!(error, PublishError::Rejected { .. }), "{error:?}");
    let mut bad_language = post("Bonjour", None);
    bad_language.language = Some("not a language tag at all".to_owned());
    let error = failed(connector.publish(&account, &bad_language).await, &account);
    let PublishError::Rejected { message } = &error else {
        panic!("{error:?}")
    };
    assert!(message.contains("langs"), "the PDS's own words: {message}");

    let sent = post("To be deleted", None);
    let published = connector.publish(&account, &sent).await.unwrap();
    connector
        .delete(&account, &published.external_id)
        .await
        .unwrap();
    assert!(
        pds.get_record(&user.did, POST_COLLECTION, &sent.idempotency_key)
            .await
            .is_none()
    );
}

#[tokio::test]
async fn a_mention_resolves_to_the_colleagues_did_and_a_bare_domain_is_linked() {
    let pds = Pds::start().await;
    let (user, connector, account, _) = signed_in(&pds, "ana").await;
    let ben = pds.create_account("ben").await;
    let text = format!(
        "Thanks @{} and @nobody.test, see example.com/solar.",
        ben.handle
    );
    let sent = post(&text, None);
    connector.publish(&account, &sent).await.unwrap();
    let record = pds
        .get_record(&user.did, POST_COLLECTION, &sent.idempotency_key)
        .await
        .expect("the record is in the repository");
    let bytes = text.as_bytes();
    let facets = record.value["facets"].as_array().unwrap().clone();
    let covered: Vec<(String, serde_json::Value)> = facets
        .iter()
        .map(|facet| {
            let start = usize::try_from(facet["index"]["byteStart"].as_u64().unwrap()).unwrap();
            let end = usize::try_from(facet["index"]["byteEnd"].as_u64().unwrap()).unwrap();
            (
                String::from_utf8(bytes[start..end].to_vec()).unwrap(),
                facet["features"][0].clone(),
            )
        })
        .collect();
    assert_eq!(
        covered,
        vec![
            (
                format!("@{}", ben.handle),
                serde_json::json!({"$type": "app.bsky.richtext.facet#mention", "did": ben.did})
            ),
            (
                "example.com/solar".to_owned(),
                serde_json::json!({"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/solar"})
            ),
        ],
        "the unknown handle stays plain text"
    );
}

#[tokio::test]
async fn an_image_goes_with_its_alt_text_and_aspect_ratio_and_one_bluesky_refuses_fails_the_post() {
    use chorus_ambassador::connectors::PostImage;
    let pds = Pds::start().await;
    let (user, connector, account, _) = signed_in(&pds, "ana").await;
    let image = PostImage {
        bytes: chorus_tests::TINY_PNG.to_vec(),
        mime: "image/png".to_owned(),
        alt: "Solar panels on a roof in Lyon".to_owned(),
        width: 1,
        height: 1,
        public_url: None,
    };
    let text = "Our plant https://example.com/solar";
    let sent = Post {
        image: Some(image.clone()),
        ..post(text, Some("https://example.com/solar"))
    };
    connector.publish(&account, &sent).await.unwrap();
    let record = pds
        .get_record(&user.did, POST_COLLECTION, &sent.idempotency_key)
        .await
        .expect("the record is in the repository");
    let embed = &record.value["embed"];
    assert_eq!(embed["$type"], "app.bsky.embed.images", "{embed}");
    let shown = &embed["images"][0];
    assert_eq!(shown["alt"], "Solar panels on a roof in Lyon");
    assert_eq!(
        shown["aspectRatio"],
        serde_json::json!({"width": 1, "height": 1})
    );
    let cid = shown["image"]["ref"]["$link"].as_str().expect("a blob");
    assert_eq!(pds.get_blob(&user.did, cid).await, chorus_tests::TINY_PNG);
    // The link is still a link, in the text.
    assert_eq!(
        record.value["facets"][0]["features"][0]["uri"],
        "https://example.com/solar"
    );

    // What Bluesky would not take fails the post with the reason: nothing is posted without
    // the image it was meant to carry.
    for (unfit, reason) in [
        (
            PostImage {
                bytes: vec![0; 1_000_001],
                ..image.clone()
            },
            "Bluesky takes at most 1000000 bytes",
        ),
        (
            PostImage {
                alt: "  ".to_owned(),
                ..image.clone()
            },
            "no description",
        ),
        (
            PostImage {
                mime: "image/tiff".to_owned(),
                ..image.clone()
            },
            "image/tiff",
        ),
    ] {
        let refused = Post {
            image: Some(unfit),
            ..post("Not without its image", None)
        };
        match connector.publish(&account, &refused).await {
            Err(PublishError::Rejected { message }) => {
                assert!(message.contains(reason), "{message}");
            }
            other => panic!("{reason}: {other:?}"),
        }
        assert!(
            pds.get_record(&user.did, POST_COLLECTION, &refused.idempotency_key)
                .await
                .is_none()
        );
    }
}
