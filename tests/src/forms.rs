//! The links and forms of a page, read with html5ever's tokenizer (already built for the link
//! previews), for the crawler that submits every form with hostile values.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// One form of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// `get` or `post`.
    pub method: String,
    /// Where it goes (the page's own path when the form has no `action`).
    pub action: String,
    /// Its named fields, in order.
    pub fields: Vec<Field>,
}

/// One named field of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// `name`.
    pub name: String,
    /// The input's `type`, or `textarea` or `select`.
    pub kind: String,
    /// The value the page gave it.
    pub value: String,
}

#[derive(Default)]
struct Scanner {
    page_path: String,
    links: RefCell<Vec<String>>,
    forms: RefCell<Vec<Form>>,
    open: RefCell<Option<Form>>,
    /// Inside a `<textarea>`: its field, collecting its text.
    textarea: RefCell<Option<Field>>,
}

fn attribute(tag: &Tag, name: &str) -> Option<String> {
    tag.attrs
        .iter()
        .find(|a| &*a.name.local == name)
        .map(|a| a.value.to_string())
}

impl Scanner {
    fn start(&self, tag: &Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        match name {
            "a" => {
                if let Some(href) = attribute(tag, "href") {
                    self.links.borrow_mut().push(href);
                }
            }
            "form" => {
                let form = Form {
                    method: attribute(tag, "method")
                        .unwrap_or_else(|| "get".into())
                        .to_lowercase(),
                    action: attribute(tag, "action").unwrap_or_else(|| self.page_path.clone()),
                    fields: Vec::new(),
                };
                *self.open.borrow_mut() = Some(form);
            }
            "input" | "select" | "button" => {
                let Some(field_name) = attribute(tag, "name") else {
                    return TokenSinkResult::Continue;
                };
                let kind = if name == "input" {
                    attribute(tag, "type").unwrap_or_else(|| "text".into())
                } else {
                    name.to_owned()
                };
                if let Some(form) = self.open.borrow_mut().as_mut() {
                    form.fields.push(Field {
                        name: field_name,
                        kind,
                        value: attribute(tag, "value").unwrap_or_default(),
                    });
                }
            }
            "textarea" => {
                if let Some(field_name) = attribute(tag, "name") {
                    *self.textarea.borrow_mut() = Some(Field {
                        name: field_name,
                        kind: "textarea".into(),
                        value: String::new(),
                    });
                }
                return TokenSinkResult::RawData(RawKind::Rcdata);
            }
            "script" => return TokenSinkResult::RawData(RawKind::ScriptData),
            "style" | "title" => {
                return TokenSinkResult::RawData(if name == "title" {
                    RawKind::Rcdata
                } else {
                    RawKind::Rawtext
                });
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }

    fn end(&self, name: &str) {
        match name {
            "form" => {
                if let Some(form) = self.open.borrow_mut().take() {
                    self.forms.borrow_mut().push(form);
                }
            }
            "textarea" => {
                if let (Some(field), Some(form)) = (
                    self.textarea.borrow_mut().take(),
                    self.open.borrow_mut().as_mut(),
                ) {
                    form.fields.push(field);
                }
            }
            _ => {}
        }
    }
}

impl TokenSink for Scanner {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        match token {
            Token::TagToken(tag) => match tag.kind {
                TagKind::StartTag => return self.start(&tag),
                TagKind::EndTag => self.end(&tag.name),
            },
            Token::CharacterTokens(text) => {
                if let Some(field) = self.textarea.borrow_mut().as_mut() {
                    field.value.push_str(&text);
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// The `href` of every link and every form of `html`, served at `page_path`.
#[must_use]
pub fn read(html: &str, page_path: &str) -> (Vec<String>, Vec<Form>) {
    let scanner = Scanner {
        page_path: page_path.to_owned(),
        ..Scanner::default()
    };
    let tokenizer = Tokenizer::new(scanner, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let scanner = tokenizer.sink;
    (scanner.links.into_inner(), scanner.forms.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_keep_their_fields_and_textarea_text_and_links_are_listed() {
        let (links, forms) = read(
            r#"<a href="/hub">Hub</a><form method="POST" action="/x"><input type="hidden" name="csrf_token" value="t">
               <textarea name="body"><b>not a tag</b></textarea><select name="topic"><option value="1">A</option></select>
               <button type="submit">Go</button></form><form><input name="q"></form>"#,
            "/page",
        );
        assert_eq!(links, ["/hub"]);
        assert_eq!(forms.len(), 2);
        assert_eq!(
            (forms[0].method.as_str(), forms[0].action.as_str()),
            ("post", "/x")
        );
        let names: Vec<_> = forms[0].fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["csrf_token", "body", "topic"]);
        assert_eq!(forms[0].fields[1].value, "<b>not a tag</b>");
        assert_eq!(
            (forms[1].method.as_str(), forms[1].action.as_str()),
            ("get", "/page")
        );
    }
}
