//! The worlds the publishing tests start from: Chorus with the item "Solar in Lyon" published
//! on the hub, wired either to the X and Mastodon stand-ins with Ana's accounts connected
//! ([`StandInWorld`]), or to the reference Bluesky PDS ([`BlueskyWorld`]).

use crate::pds::{Pds, PdsAccount};
use crate::standins::{Mastodon, OAuthClient, StandIn, X};
use crate::web::Site;
use crate::{Client, TestApp, TestAppOptions};

/// Chorus wired to the X and Mastodon stand-ins, an admin (boss@) who registered the X app
/// and set k = 5 and the disclosure `#employee`, the published item, and Ana (ambassador)
/// with an X and a Mastodon account connected through the accounts page.
pub struct StandInWorld {
    /// The server, its worker running unless `CHORUS_WORKER=false` was given.
    pub app: TestApp,
    /// The X stand-in.
    pub x: StandIn<X>,
    /// The Mastodon stand-in (Ana's instance).
    pub mastodon: StandIn<Mastodon>,
    /// Ana, signed in, guidelines accepted.
    pub ana: Client,
    /// The published item's id.
    pub item: i32,
}

impl StandInWorld {
    /// The world with the default settings.
    pub async fn start() -> StandInWorld {
        StandInWorld::start_with(TestAppOptions::default()).await
    }

    /// The world with extra settings.
    pub async fn start_with(options: TestAppOptions) -> StandInWorld {
        let x: StandIn<X> = StandIn::start().await;
        let mastodon: StandIn<Mastodon> = StandIn::start().await;
        let app = TestApp::spawn_with(
            options
                .env("CHORUS_X_BASE_URL", x.base_url())
                .env("CHORUS_UNSAFE_ALLOW_PRIVATE_FETCH", "true"),
        )
        .await;
        let client_app = x.register_client(&app.url("/hub/accounts/callback/x"));
        let admin = app.signed_in("boss@example.org", "admin").await;
        admin
            .post_form(
                "/admin/networks",
                &[
                    ("network", "x"),
                    ("client_id", &client_app.client_id),
                    (
                        "client_secret",
                        client_app.client_secret.as_deref().unwrap_or(""),
                    ),
                ],
            )
            .await;
        admin
            .post_form(
                "/admin/settings",
                &[
                    ("min_group_size", "5"),
                    ("disclosure_en", "#employee"),
                    ("disclosure_fr", ""),
                ],
            )
            .await;
        let item = publish_solar_item(&app, &[]).await;

        let ana = app.ambassador("ana@example.org").await;
        assert!(
            ana.connect_follow("/hub/accounts/connect/x")
                .await
                .body
                .contains("account connected: it is offered on every share page.")
        );
        let instance: String =
            url::form_urlencoded::byte_serialize(mastodon.base_url().as_bytes()).collect();
        assert!(
            ana.connect_follow(&format!(
                "/hub/accounts/connect/mastodon?instance={instance}"
            ))
            .await
            .body
            .contains("account connected: it is offered on every share page.")
        );
        StandInWorld {
            app,
            x,
            mastodon,
            ana,
            item,
        }
    }

    /// Ana's X and Mastodon account ids, as the item's share page names them.
    pub async fn account_ids(&self) -> (String, String) {
        (
            self.ana.share_account_id(self.item, "x").await,
            self.ana.share_account_id(self.item, "mastodon").await,
        )
    }
}

/// The reference Bluesky PDS, Chorus pointed at its PLC directory, and the published item with
/// a link preview whose image a small site of the test serves (`/solar.png`). Nobody is
/// connected yet: the Bluesky tests connect through the pages they test.
pub struct BlueskyWorld {
    /// The PDS and its PLC directory.
    pub pds: Pds,
    /// The server, its worker running unless `CHORUS_WORKER=false` was given.
    pub app: TestApp,
    /// The published item's id.
    pub item: i32,
    /// The site serving the preview image.
    pub site: Site,
}

impl BlueskyWorld {
    /// The world with extra settings.
    pub async fn start(options: TestAppOptions) -> BlueskyWorld {
        let pds = Pds::start().await;
        let app = TestApp::spawn_with(
            options
                .env("CHORUS_BLUESKY_PLC_URL", &pds.plc_url)
                .env("CHORUS_UNSAFE_ALLOW_PRIVATE_FETCH", "true"),
        )
        .await;
        let site = Site::start().await;
        site.serve_bytes("/solar.png", "image/png", &crate::TINY_PNG);
        let image = site.url("/solar.png");
        let item = publish_solar_item(
            &app,
            &[
                ("preview_title", "Lyon's solar plant opens"),
                (
                    "preview_description",
                    "Ten hectares of panels by the Rhône.",
                ),
                ("preview_image", &image),
            ],
        )
        .await;
        BlueskyWorld {
            pds,
            app,
            item,
            site,
        }
    }
}

/// Publishes "Solar in Lyon" (in English, linking to `https://example.com/solar`) as Eli, an
/// editor, with `extra` fields (a link preview); returns its id.
async fn publish_solar_item(app: &TestApp, extra: &[(&str, &str)]) -> i32 {
    let editor = app.signed_in("eli@example.org", "editor").await;
    let mut fields = vec![
        ("title", "Solar in Lyon"),
        ("body", "We opened a solar plant."),
        ("why", "Our 2030 plan."),
        ("link", "https://example.com/solar"),
        ("language", "en"),
    ];
    fields.extend_from_slice(extra);
    editor.publish_item(&fields).await
}

/// An admin (boss@) enters `app_client` as the organisation's app on `network` (`linkedin`,
/// `threads`...), then `person` connects their account through the accounts page.
pub async fn connect_network(
    app: &TestApp,
    person: &Client,
    network: &str,
    app_client: &OAuthClient,
) {
    let admin = app.client();
    admin.sign_in("boss@example.org", crate::PASSWORD).await;
    let saved = admin
        .post_form(
            "/admin/networks",
            &[
                ("network", network),
                ("client_id", &app_client.client_id),
                (
                    "client_secret",
                    app_client.client_secret.as_deref().unwrap_or(""),
                ),
            ],
        )
        .await;
    assert_eq!(saved.location(), "/admin/networks?done=saved");
    let done = person
        .connect_follow(&format!("/hub/accounts/connect/{network}"))
        .await;
    assert!(
        done.body
            .contains("account connected: it is offered on every share page."),
        "{network}: {}",
        done.body
    );
}

/// A new PDS account with an app password for Chorus, which `client` connects through the
/// accounts page's form.
pub async fn connect_bluesky(pds: &Pds, client: &Client, name: &str) -> PdsAccount {
    let user = pds.create_account(name).await;
    let app_password = pds.create_app_password(&user, "chorus").await;
    let answer = client
        .post_form(
            "/hub/accounts/connect/bluesky",
            &[
                ("identifier", &user.did),
                ("app_password", &app_password),
                ("server", ""),
            ],
        )
        .await;
    assert!(
        answer
            .location()
            .starts_with("/hub/accounts?done=connected&network="),
        "{}",
        answer.location()
    );
    let page = client.get(&answer.location()).await.body;
    assert!(
        page.contains("account connected: it is offered on every share page."),
        "{page}"
    );
    assert!(
        page.contains(&format!("{name}.test")),
        "the handle is shown"
    );
    assert!(
        !page.contains(&app_password),
        "the app password never shows"
    );
    user
}
