//! The Bluesky connector against the real reference PDS and a local PLC directory (see
//! `tests/peers/pds.mjs`): app-password sign-in, posts with facets and link cards, an rkey
//! that makes a retry harmless, refresh, and error classes.

use chorus_tests::Pds;

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
