//! Reading what a page shows, as the tests assert it: an element's text by its `data-testid`,
//! a table row's cells, the links of a page, an id in a link. Plain string searches: the pages
//! are Chorus's own templates, and a miss panics with the page for the report.

/// The text of the first element carrying `data-testid="{id}"`, trimmed.
pub fn testid(body: &str, id: &str) -> String {
    let at = body
        .find(&format!(r#"data-testid="{id}""#))
        .unwrap_or_else(|| panic!("no {id} in {body}"));
    let start = at + body[at..].find('>').unwrap() + 1;
    body[start..start + body[start..].find('<').unwrap()]
        .trim()
        .to_owned()
}

/// The cells of the row labelled `label` (its `<th scope="row">`) in the table of the section
/// marked `data-table="{table}"`, inner tags stripped and trimmed.
pub fn row(body: &str, table: &str, label: &str) -> Vec<String> {
    let start = body
        .find(&format!(r#"data-table="{table}""#))
        .unwrap_or_else(|| panic!("no table {table}"));
    let section = &body[start..start + body[start..].find("</section>").unwrap()];
    let at = section
        .find(&format!(r#"<th scope="row">{label}</th>"#))
        .unwrap_or_else(|| panic!("no row {label} in {section}"));
    let line = &section[at..at + section[at..].find("</tr>").unwrap()];
    line.split("<td")
        .skip(1)
        .map(|cell| {
            let text = &cell[cell.find('>').unwrap() + 1..];
            // Strip any inner tags (the "< k" and "–" spans).
            let mut out = String::new();
            let mut in_tag = false;
            for c in text.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => out.push(c),
                    _ => {}
                }
            }
            out.replace("&lt;", "<").trim().to_owned()
        })
        .collect()
}

/// Every `href` of the page that starts with `prefix`, HTML entities undone.
pub fn hrefs(body: &str, prefix: &str) -> Vec<String> {
    body.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.replace("&amp;", "&").replace("&#x2F;", "/"))
        .filter(|href| href.starts_with(prefix))
        .collect()
}

/// The digits right after the first `marker` in `text`: the id in a link or a form's action
/// (`number_after(history, "/hub/shares/")`).
pub fn number_after(text: &str, marker: &str) -> String {
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in {text}"))
        + marker.len();
    text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect()
}
