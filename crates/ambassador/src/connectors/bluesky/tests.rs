use super::*;
use base64::Engine as _;

#[test]
fn tids_are_13_sortable_characters_and_keys_map_to_stable_tids() {
    let first = new_tid();
    assert!(is_tid(&first), "{first}");
    std::thread::sleep(std::time::Duration::from_millis(2));
    let second = new_tid();
    assert!(second > first, "{second} sorts after {first}");
    assert_eq!(record_key(&first), first);
    let derived = record_key("0123456789abcdef0123456789abcdef");
    assert!(is_tid(&derived), "{derived}");
    assert_eq!(derived, record_key("0123456789abcdef0123456789abcdef"));
    assert_ne!(derived, record_key("another key"));
    assert!(!is_tid("not-a-tid"));
    assert!(!is_tid("zzzzzzzzzzzzz"), "the top bit must be zero");
}

#[test]
fn the_access_token_expiry_is_read_from_its_exp_claim() {
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(br#"{"scope":"com.atproto.appPass","exp":1780000000}"#);
    let jwt = format!("eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln");
    assert_eq!(jwt_expiry(&jwt), DateTime::from_timestamp(1_780_000_000, 0));
    assert_eq!(jwt_expiry("not a jwt"), None);
}

#[test]
fn the_pds_is_the_atproto_pds_service_of_the_did_document() {
    let document = json!({
        "id": "did:plc:abc",
        "service": [
            {"id": "#other", "type": "Else", "serviceEndpoint": "https://else.example"},
            {"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
             "serviceEndpoint": "https://pds.example"}
        ]
    });
    assert_eq!(
        pds_of(&document).map(String::from),
        Some("https://pds.example/".to_owned())
    );
    assert_eq!(pds_of(&json!({"service": []})), None);
}

#[test]
fn the_record_carries_language_facets_and_the_link_card() {
    let post = Post {
        text: "Nouveau billet ✨ https://example.com/a #rust".to_owned(),
        link: Some("https://example.com/a".to_owned()),
        link_title: Some("T".to_owned()),
        link_description: Some("D".to_owned()),
        link_thumb: None,
        language: Some("fr".to_owned()),
        image: None,
        idempotency_key: new_tid(),
    };
    let at = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
    let record = Bluesky::record(&post, at, None, &[]);
    assert_eq!(record["createdAt"], "2026-05-28T20:26:40.000Z");
    assert_eq!(record["langs"], json!(["fr"]));
    // The example of the contract: the URL starts at character 17 but byte 19.
    assert_eq!(
        record["facets"][0]["index"],
        json!({"byteStart": 19, "byteEnd": 40})
    );
    assert_eq!(
        record["facets"][1]["index"],
        json!({"byteStart": 41, "byteEnd": 46})
    );
    assert_eq!(
        record["embed"],
        json!({"$type": "app.bsky.embed.external",
               "external": {"uri": "https://example.com/a", "title": "T", "description": "D"}})
    );
    let plain = Post {
        link: None,
        language: None,
        text: "plain".to_owned(),
        ..post
    };
    let record = Bluesky::record(&plain, at, None, &[]);
    assert!(record.get("embed").is_none() && record.get("facets").is_none());
    assert!(record.get("langs").is_none());
}
