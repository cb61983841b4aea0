//! Images in posts, end to end: an ambassador chooses the item's image (or their own, stripped
//! of its metadata) on the share page, and the worker publishes it with its alt text to all
//! five networks (the X, Mastodon, LinkedIn and Threads stand-ins, each enforcing its media
//! contract, and the reference Bluesky PDS); what a network would not take is said before
//! anything is queued, with the person's texts kept; Threads fetches the image from an address
//! Chorus serves only while the share waits.

use chorus_tests::pictures::jpeg_with_exif;
use chorus_tests::shares::{add_item_image, submit_share_with_image, wait_for_state};
use chorus_tests::standins::{LinkedIn, StandIn, Threads};
use chorus_tests::world::{StandInWorld, connect_bluesky, connect_network};
use chorus_tests::{Pds, TestAppOptions};

/// A 1 × 1 lossless WebP.
fn webp() -> Vec<u8> {
    let data = [0x2F, 0, 0, 0, 0, 0];
    let mut chunk = b"VP8L".to_vec();
    chunk.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
    chunk.extend_from_slice(&data);
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&u32::try_from(4 + chunk.len()).unwrap().to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend(chunk);
    out
}

const ALT: &str = "Rows of solar panels by the Rhône at sunrise";

#[tokio::test]
async fn the_items_image_goes_with_its_alt_text_to_all_five_networks() {
    let pds = Pds::start().await;
    let linkedin: StandIn<LinkedIn> = StandIn::start().await;
    let threads: StandIn<Threads> = StandIn::start().await;
    let w = StandInWorld::start_with(
        TestAppOptions::default()
            .env("CHORUS_LINKEDIN_BASE_URL", linkedin.base_url())
            .env("CHORUS_THREADS_BASE_URL", threads.base_url())
            .env("CHORUS_BLUESKY_PLC_URL", &pds.plc_url),
    )
    .await;
    connect_network(
        &w.app,
        &w.ana,
        "linkedin",
        &linkedin.register_client(&w.app.url("/hub/accounts/callback/linkedin")),
    )
    .await;
    connect_network(
        &w.app,
        &w.ana,
        "threads",
        &threads.register_client(&w.app.url("/hub/accounts/callback/threads")),
    )
    .await;
    let ana_bsky = connect_bluesky(&pds, &w.ana, "ana").await;
    let editor = w.app.client();
    editor
        .sign_in("eli@example.org", chorus_tests::PASSWORD)
        .await;
    let media = add_item_image(&editor, w.item, &chorus_tests::TINY_PNG, ALT).await;

    // The share page offers the item's image, chosen, with "my own" and "none".
    let page = w
        .ana
        .get(&format!("/hub/items/{}/share", w.item))
        .await
        .body;
    let offered = format!(r#"value="item:{media}" checked"#);
    assert!(page.contains(&offered), "{page}");
    assert!(page.contains(r#"value="own""#) && page.contains(r#"value="none""#));
    assert!(page.contains(r#"enctype="multipart/form-data""#));

    let mut texts = Vec::new();
    for network in ["x", "mastodon", "linkedin", "threads", "bluesky"] {
        let id = w.ana.share_account_id(w.item, network).await;
        texts.push((id, format!("Sunrise on our {network} plant, in my words")));
    }
    let image = format!("item:{media}");
    let queued = submit_share_with_image(
        &w.ana,
        w.item,
        &texts,
        &[("when", "now"), ("image", &image)],
        None,
    )
    .await;
    assert!(
        queued.location().starts_with("/hub/shares/ready?ids="),
        "{} {}",
        queued.status,
        queued.body
    );
    wait_for_state(&w.ana, "published", 5).await;

    for (network, posts) in [
        ("X", w.x.posts()),
        ("Mastodon", w.mastodon.posts()),
        ("LinkedIn", linkedin.posts()),
        ("Threads", threads.posts()),
    ] {
        assert_eq!(posts.len(), 1, "{network}: one post");
        assert_eq!(posts[0].images.len(), 1, "{network}: its image");
        assert_eq!(
            posts[0].images[0].bytes,
            chorus_tests::TINY_PNG,
            "{network}: the image's bytes"
        );
        assert_eq!(posts[0].images[0].alt, ALT, "{network}: its alt text");
        assert_eq!(posts[0].images[0].mime, "image/png", "{network}");
    }
    let records = pds.list_records(&ana_bsky.did, "app.bsky.feed.post").await;
    assert_eq!(records.len(), 1);
    let embed = &records[0].value["embed"];
    assert_eq!(embed["$type"], "app.bsky.embed.images", "{embed}");
    assert_eq!(embed["images"][0]["alt"], ALT);
    assert_eq!(embed["images"][0]["aspectRatio"]["width"], 1);
    let cid = embed["images"][0]["image"]["ref"]["$link"]
        .as_str()
        .expect("a blob reference");
    assert_eq!(
        pds.get_blob(&ana_bsky.did, cid).await,
        chorus_tests::TINY_PNG
    );

    // Threads fetched the image from Chorus; once the share is published, the address is gone.
    let image_url = threads
        .requests()
        .iter()
        .find_map(|r| {
            url::form_urlencoded::parse(r.body.as_bytes())
                .chain(url::form_urlencoded::parse(r.query.as_bytes()))
                .find(|(name, _)| name == "image_url")
                .map(|(_, url)| url.into_owned())
        })
        .expect("Threads was given the image's address");
    assert!(image_url.contains("/share-images/"), "{image_url}");
    let gone = reqwest::get(&image_url).await.unwrap();
    assert_eq!(gone.status(), 404, "served only while the share waits");

    // The person's export says which image went with each share.
    let export = w.ana.get("/account/export").await;
    let document: serde_json::Value = serde_json::from_str(&export.body).unwrap();
    let with_image = document["shares"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["image"]["alt"] == ALT && s["image"]["item_image"] == media)
        .count();
    assert_eq!(with_image, 5, "{}", document["shares"]);
}

#[tokio::test]
async fn ones_own_image_is_stripped_checked_for_each_network_before_queueing_and_kept_on_error() {
    let threads: StandIn<Threads> = StandIn::start().await;
    let w = StandInWorld::start_with(
        TestAppOptions::default().env("CHORUS_THREADS_BASE_URL", threads.base_url()),
    )
    .await;
    connect_network(
        &w.app,
        &w.ana,
        "threads",
        &threads.register_client(&w.app.url("/hub/accounts/callback/threads")),
    )
    .await;
    let (x_id, m_id) = w.account_ids().await;
    let th_id = w.ana.share_account_id(w.item, "threads").await;
    let my_text = "Our plant at dawn, my own photo";
    let texts = [(&m_id, my_text), (&th_id, my_text)];

    // WebP is taken by Mastodon, not by Threads: said before anything is queued, texts kept.
    let refused = submit_share_with_image(
        &w.ana,
        w.item,
        &texts,
        &[("when", "now"), ("image", "own"), ("image_alt", "Dawn")],
        Some(&webp()),
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains(
            "Threads does not take WEBP images. Choose a JPEG or PNG image, or no image."
        ),
        "{}",
        refused.body
    );
    assert!(refused.body.contains(my_text), "the texts are kept");
    assert!(
        refused.body.contains("Choose your image file again"),
        "the file must be chosen again"
    );
    assert!(
        refused.body.contains(">Dawn</textarea>"),
        "the description is kept"
    );
    // No description, no file: each said.
    let no_alt = submit_share_with_image(
        &w.ana,
        w.item,
        &texts,
        &[("when", "now"), ("image", "own")],
        Some(&jpeg_with_exif(100)),
    )
    .await;
    assert_eq!(no_alt.status, 422);
    assert!(
        no_alt
            .body
            .contains("Describe the image for people who cannot see it.")
    );
    let no_file = submit_share_with_image(
        &w.ana,
        w.item,
        &texts,
        &[("when", "now"), ("image", "own"), ("image_alt", "Dawn")],
        None,
    )
    .await;
    assert!(
        no_file
            .body
            .contains("Choose an image file, or another choice for the image.")
    );
    // X: an image over 5 MB is refused as an upload (the same rule as editors' uploads).
    let too_big = submit_share_with_image(
        &w.ana,
        w.item,
        &[(&x_id, my_text)],
        &[("when", "now"), ("image", "own"), ("image_alt", "Dawn")],
        Some(&jpeg_with_exif(5 * 1024 * 1024)),
    )
    .await;
    assert_eq!(too_big.status, 422);
    assert!(too_big.body.contains("The image is larger than 5 MB"));
    w.app.wait_for_worker_to_settle().await;
    assert!(w.mastodon.posts().is_empty() && threads.posts().is_empty());

    // A JPEG goes, without its EXIF, GPS position or comment, with the description typed.
    let queued = submit_share_with_image(
        &w.ana,
        w.item,
        &texts,
        &[
            ("when", "now"),
            ("image", "own"),
            ("image_alt", "  The plant at dawn  "),
        ],
        Some(&jpeg_with_exif(100)),
    )
    .await;
    assert!(
        queued.location().starts_with("/hub/shares/ready?ids="),
        "{}",
        queued.body
    );
    wait_for_state(&w.ana, "published", 2).await;
    for (network, posts) in [
        ("Mastodon", w.mastodon.posts()),
        ("Threads", threads.posts()),
    ] {
        assert_eq!(posts.len(), 1, "{network}");
        let image = &posts[0].images[0];
        assert_eq!(image.alt, "The plant at dawn", "{network}");
        assert_eq!(image.mime, "image/jpeg", "{network}");
        let seen = String::from_utf8_lossy(&image.bytes);
        assert!(
            !seen.contains("GPS") && !seen.contains("Exif") && !seen.contains("taken by Ana"),
            "{network}: the metadata was stripped"
        );
        assert!(image.bytes.starts_with(&[0xFF, 0xD8]) && image.bytes.ends_with(&[0xFF, 0xD9]));
    }
}

#[tokio::test]
async fn an_image_too_large_for_bluesky_is_refused_before_queueing_and_a_removed_image_fails_the_share()
 {
    let pds = Pds::start().await;
    // No worker until the image is removed.
    let w = StandInWorld::start_with(
        TestAppOptions::default()
            .env("CHORUS_BLUESKY_PLC_URL", &pds.plc_url)
            .env("CHORUS_WORKER", "false"),
    )
    .await;
    connect_bluesky(&pds, &w.ana, "ana").await;
    let editor = w.app.client();
    editor
        .sign_in("eli@example.org", chorus_tests::PASSWORD)
        .await;
    let large = add_item_image(&editor, w.item, &jpeg_with_exif(1_200_000), "A wide view").await;
    let bsky = w.ana.share_account_id(w.item, "bluesky").await;
    let (_, m_id) = w.account_ids().await;
    let item_image = format!("item:{large}");
    let refused = submit_share_with_image(
        &w.ana,
        w.item,
        &[(&bsky, "The wide view"), (&m_id, "The wide view")],
        &[("when", "now"), ("image", &item_image)],
        None,
    )
    .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .body
            .contains("Bluesky takes images up to 1 MB, and this one is 1.2 MB."),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains(&format!(r#"value="{item_image}" checked"#)),
        "the choice is kept"
    );

    // Queued with the image, which the editors then remove before a worker takes the share:
    // the share fails with the reason, and nothing is posted without the image.
    let queued = submit_share_with_image(
        &w.ana,
        w.item,
        &[(&m_id, "The wide view, later")],
        &[("when", "now"), ("image", &item_image)],
        None,
    )
    .await;
    assert!(
        queued.location().starts_with("/hub/shares/ready?ids="),
        "{}",
        queued.body
    );
    let removed = editor
        .post_form(
            &format!("/editor/items/{}/images/{large}/delete", w.item),
            &[],
        )
        .await;
    assert_eq!(removed.status, 303);
    let _worker = w.app.spawn_worker("after-removal", &[]);
    let history = wait_for_state(&w.ana, "failed", 1).await;
    assert!(
        history.contains("the item’s image chosen for this post was removed by the editors")
            && history.contains("The image chosen for this post could not go with it to Mastodon"),
        "{history}"
    );
    assert!(w.mastodon.posts().is_empty(), "never without its image");
}
