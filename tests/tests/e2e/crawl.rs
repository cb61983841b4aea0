//! Issue 13: a crawler signs in as each role of the demo organisation, follows every link of
//! the site it can reach, and submits every form it finds with hostile values: overlong text,
//! control characters, huge and negative numbers, wrong types, markup, missing fields. Bad
//! input gets a 4xx and a page that says what to do, never a 5xx, and the server never panics.

use std::collections::{BTreeSet, VecDeque};

use chorus_tests::forms::{Form, read};
use chorus_tests::{Client, TestApp};

/// Values each field of each form is given, one submission per value.
fn hostile_values() -> Vec<(&'static str, String)> {
    vec![
        ("empty", String::new()),
        ("overlong", "A".repeat(100_000)),
        (
            "control",
            "\u{0}\u{1}\u{8}\u{1b}[31m\u{7f}\r\n\t".to_owned(),
        ),
        ("negative", "-1".to_owned()),
        ("huge", "18446744073709551616".to_owned()),
        ("many digits", "9".repeat(400)),
        ("float", "1e308".to_owned()),
        ("not a number", "NaN".to_owned()),
        (
            "markup",
            "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>".to_owned(),
        ),
        ("path", "../../../etc/passwd".to_owned()),
        ("bidi", "\u{202e}\u{fffe}\u{feff}\u{200b}".to_owned()),
        ("emoji", "🙂".repeat(5_000)),
        ("encoded", "%00%0d%0a%25".to_owned()),
        ("json", "{\"a\":[1,2]}".to_owned()),
        ("date", "-262143-01-01T00:00".to_owned()),
    ]
}

/// Forms the crawler leaves alone: they end its own session or take part away, which is
/// tested on their own elsewhere.
fn skipped(form: &Form) -> bool {
    ["/sign-out", "/account/erase", "/account/privacy/withdraw"]
        .iter()
        .any(|path| form.action.starts_with(path))
}

/// A link worth following: a page of this site that is not a download of a share's link.
fn followable(href: &str) -> Option<String> {
    let href = href.split('#').next()?;
    (href.starts_with('/')
        && !href.starts_with("//")
        && !["/l/", "/assets/", "/media/", "/sign-out"]
            .iter()
            .any(|prefix| href.starts_with(prefix)))
    .then(|| href.replace("&amp;", "&"))
}

struct Report {
    /// Answers to the submitted forms, by status.
    statuses: std::collections::BTreeMap<u16, usize>,
    /// Answers that sent the crawler to sign in again (its session ended).
    signed_out: usize,
    pages: usize,
    forms: usize,
    fields: usize,
    submissions: usize,
    failures: Vec<String>,
}

async fn crawl(client: &Client, role: &str, report: &mut Report) {
    let mut queue = VecDeque::from(["/".to_owned()]);
    let mut seen = BTreeSet::new();
    let mut forms_seen = BTreeSet::new();
    let mut forms = Vec::new();
    while let Some(path) = queue.pop_front() {
        if seen.len() >= 80 || !seen.insert(path.clone()) {
            continue;
        }
        let page = client.get(&path).await;
        report.pages += 1;
        if page.status >= 500 {
            report
                .failures
                .push(format!("{role}: GET {path} -> {}", page.status));
        }
        if page.status == 303 || page.status == 302 {
            if let Some(next) = followable(&page.location()) {
                queue.push_back(next);
            }
            continue;
        }
        let (links, found) = read(&page.body, path.split('?').next().unwrap_or("/"));
        queue.extend(links.iter().filter_map(|href| followable(href)));
        for form in found {
            let names: Vec<&str> = form.fields.iter().map(|f| f.name.as_str()).collect();
            let key = format!("{} {} {}", form.method, form.action, names.join(","));
            if !skipped(&form) && forms_seen.insert(key) {
                forms.push(form);
            }
        }
    }
    for form in &forms {
        report.forms += 1;
        report.fields += form.fields.len();
        let mut submissions: Vec<(String, Vec<(String, String)>)> = hostile_values()
            .into_iter()
            .map(|(kind, value)| {
                let fields = form
                    .fields
                    .iter()
                    .filter(|f| f.kind != "submit" || !f.value.is_empty())
                    .map(|f| {
                        if f.name == "csrf_token" {
                            (f.name.clone(), f.value.clone())
                        } else {
                            (f.name.clone(), value.clone())
                        }
                    })
                    .collect();
                (kind.to_owned(), fields)
            })
            .collect();
        // Every field missing but the CSRF token.
        submissions.push((
            "missing".to_owned(),
            form.fields
                .iter()
                .filter(|f| f.name == "csrf_token")
                .map(|f| (f.name.clone(), f.value.clone()))
                .collect(),
        ));
        for (kind, fields) in submissions {
            let pairs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let answer = if form.method == "post" {
                // The token of this session, as the page would carry it.
                let token = client.token().await;
                let pairs: Vec<(&str, &str)> = pairs
                    .iter()
                    .map(|(k, v)| {
                        if *k == "csrf_token" {
                            (*k, token.as_str())
                        } else {
                            (*k, *v)
                        }
                    })
                    .collect();
                client.post_raw(&form.action, &pairs).await
            } else {
                // An address of 100,000 characters cannot be sent (URIs stop at 64 KiB): 200 per value.
                let query = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(pairs.iter().map(|(k, v)| {
                        let cut = v.char_indices().nth(200).map_or(v.len(), |(at, _)| at);
                        (*k, &v[..cut])
                    }))
                    .finish();
                client.get(&format!("{}?{query}", form.action)).await
            };
            report.submissions += 1;
            *report.statuses.entry(answer.status).or_default() += 1;
            if answer.status == 303 && answer.location().starts_with("/sign-in") {
                report.signed_out += 1;
            }
            if answer.status >= 500 {
                report.failures.push(format!(
                    "{role}: {} {} with {kind} values -> {}",
                    form.method.to_uppercase(),
                    form.action,
                    answer.status
                ));
            }
        }
    }
}

#[tokio::test]
async fn every_form_of_every_role_takes_hostile_values_without_a_5xx_or_a_panic() {
    let app = TestApp::spawn_with(chorus_tests::TestAppOptions::default().arg("--demo")).await;
    let mut report = Report {
        statuses: std::collections::BTreeMap::new(),
        signed_out: 0,
        pages: 0,
        forms: 0,
        fields: 0,
        submissions: 0,
        failures: Vec::new(),
    };
    // The admin goes last: their forms deactivate the others.
    for (role, email) in [
        ("editor", "editor@demo.chorus.test"),
        ("ambassador", "ambassador@demo.chorus.test"),
        ("analyst", "analyst@demo.chorus.test"),
        ("new ambassador", "camille@demo.chorus.test"),
        ("admin", "admin@demo.chorus.test"),
    ] {
        let client = app.client();
        let signed_in = client.sign_in(email, "chorus-demo-2026").await;
        assert_eq!(signed_in.status, 303, "{role} signs in");
        crawl(&client, role, &mut report).await;
    }
    println!(
        "crawled {} pages; {} forms with {} fields, {} submissions; {} answers 5xx; by status {:?}",
        report.pages,
        report.forms,
        report.fields,
        report.submissions,
        report.failures.len(),
        report.statuses
    );
    println!("{} answers asked to sign in again", report.signed_out);
    assert!(
        report.signed_out * 4 < report.submissions,
        "the crawler kept its sessions"
    );
    // The submissions reached the handlers: not refused wholesale by the CSRF check.
    let refused = report.statuses.get(&403).copied().unwrap_or(0);
    assert!(
        refused * 4 < report.submissions,
        "{refused} of {} refused with 403",
        report.submissions
    );
    assert!(
        report.forms >= 30,
        "the crawl reached the forms: {}",
        report.forms
    );
    assert_eq!(report.failures, Vec::<String>::new());
    let log = app.log();
    assert!(!log.contains("panicked"), "a panic in the log");
}
