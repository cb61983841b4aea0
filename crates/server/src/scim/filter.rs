//! SCIM filters (RFC 7644 §3.4.2.2) and attribute paths, read and evaluated against a
//! resource's JSON representation. Attribute names and string comparisons ignore case, as
//! every attribute Chorus serves is `caseExact: false` except `id`, which is a number.

use serde_json::Value;

/// An attribute path: an optional schema URN, an attribute, an optional sub-attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URN the attribute is qualified with (`urn:...:enterprise:2.0:User`).
    pub schema: Option<String>,
    /// The attribute (`emails`).
    pub attr: String,
    /// The sub-attribute (`value`).
    pub sub: Option<String>,
}

impl AttrPath {
    /// Reads `name`, `name.sub`, `urn:...:Schema:name` or `urn:...:Schema:name.sub`.
    ///
    /// # Errors
    /// An empty name.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (schema, rest) = if text.len() > 4 && text[..4].eq_ignore_ascii_case("urn:") {
            match text.rsplit_once(':') {
                Some((schema, rest)) => (Some(schema.to_owned()), rest),
                None => (None, text),
            }
        } else {
            (None, text)
        };
        let (attr, sub) = match rest.split_once('.') {
            Some((attr, sub)) => (attr, Some(sub.to_owned())),
            None => (rest, None),
        };
        if attr.is_empty() || sub.as_deref() == Some("") {
            return Err(format!("{text:?} is not an attribute path"));
        }
        Ok(Self {
            schema,
            attr: attr.to_owned(),
            sub,
        })
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Contains.
    Co,
    /// Starts with.
    Sw,
    /// Ends with.
    Ew,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
}

impl Op {
    fn parse(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "co" => Op::Co,
            "sw" => Op::Sw,
            "ew" => Op::Ew,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            _ => return None,
        })
    }
}

/// A filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `path op value`.
    Compare(AttrPath, Op, Value),
    /// `path pr`.
    Present(AttrPath),
    /// Both.
    And(Box<Filter>, Box<Filter>),
    /// Either.
    Or(Box<Filter>, Box<Filter>),
    /// Not.
    Not(Box<Filter>),
    /// `attr[filter]`: some value of a multi-valued attribute matches.
    Within(AttrPath, Box<Filter>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Literal(Value),
    Open,
    Close,
    OpenBracket,
    CloseBracket,
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | '[' | ']' => {
                chars.next();
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    '[' => Token::OpenBracket,
                    _ => Token::CloseBracket,
                });
            }
            '"' => {
                chars.next();
                let mut end = None;
                let mut escaped = false;
                for (i, c) in chars.by_ref() {
                    match c {
                        '\\' if !escaped => escaped = true,
                        '"' if !escaped => {
                            end = Some(i);
                            break;
                        }
                        _ => escaped = false,
                    }
                }
                let end = end.ok_or("a string is not closed")?;
                let literal: String = serde_json::from_str(&text[start..=end])
                    .map_err(|_| "a string has a bad escape".to_owned())?;
                out.push(Token::Literal(Value::String(literal)));
            }
            _ => {
                let mut end = text.len();
                while let Some(&(i, c)) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"') {
                        end = i;
                        break;
                    }
                    chars.next();
                }
                let word = &text[start..end];
                out.push(match word.to_ascii_lowercase().as_str() {
                    "true" => Token::Literal(Value::Bool(true)),
                    "false" => Token::Literal(Value::Bool(false)),
                    "null" => Token::Literal(Value::Null),
                    _ => match word.parse::<serde_json::Number>() {
                        Ok(n) if word.starts_with(|c: char| c.is_ascii_digit() || c == '-') => {
                            Token::Literal(Value::Number(n))
                        }
                        _ => Token::Word(word.to_owned()),
                    },
                });
            }
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.at += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.factor()?;
        while self.keyword("and") {
            self.at += 1;
            left = Filter::And(Box::new(left), Box::new(self.factor()?));
        }
        Ok(left)
    }

    fn factor(&mut self) -> Result<Filter, String> {
        if self.keyword("not") {
            self.at += 1;
            if self.next() != Some(Token::Open) {
                return Err("write not (filter)".to_owned());
            }
            let inner = self.or()?;
            if self.next() != Some(Token::Close) {
                return Err("a parenthesis is not closed".to_owned());
            }
            return Ok(Filter::Not(Box::new(inner)));
        }
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or()?;
                if self.next() != Some(Token::Close) {
                    return Err("a parenthesis is not closed".to_owned());
                }
                Ok(inner)
            }
            Some(Token::Word(word)) => {
                let path = AttrPath::parse(&word)?;
                if self.peek() == Some(&Token::OpenBracket) {
                    self.at += 1;
                    let inner = self.or()?;
                    if self.next() != Some(Token::CloseBracket) {
                        return Err("a bracket is not closed".to_owned());
                    }
                    return Ok(Filter::Within(path, Box::new(inner)));
                }
                let op = match self.next() {
                    Some(Token::Word(op)) if op.eq_ignore_ascii_case("pr") => {
                        return Ok(Filter::Present(path));
                    }
                    Some(Token::Word(op)) => {
                        Op::parse(&op).ok_or_else(|| format!("{op:?} is not an operator"))?
                    }
                    _ => return Err(format!("an operator is missing after {word}")),
                };
                match self.next() {
                    Some(Token::Literal(value)) => Ok(Filter::Compare(path, op, value)),
                    _ => Err(format!("a value is missing after {word}")),
                }
            }
            _ => Err("a filter starts with an attribute".to_owned()),
        }
    }
}

impl Filter {
    /// Reads a filter.
    ///
    /// # Errors
    /// What does not read, in words.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parser = Parser {
            tokens: tokens(text)?,
            at: 0,
        };
        let filter = parser.or()?;
        if parser.at < parser.tokens.len() {
            return Err("the filter goes on after its end".to_owned());
        }
        Ok(filter)
    }

    /// The value of `userName eq "..."` (or `externalId`, `displayName`, ...) when the filter
    /// is exactly that comparison on `attr`: answered from an index rather than a scan.
    #[must_use]
    pub fn equality_on(&self, attr: &str) -> Option<&str> {
        match self {
            Filter::Compare(path, Op::Eq, Value::String(value))
                if path.attr.eq_ignore_ascii_case(attr) && path.sub.is_none() =>
            {
                Some(value)
            }
            _ => None,
        }
    }

    /// Whether `resource` matches.
    #[must_use]
    pub fn matches(&self, resource: &Value) -> bool {
        match self {
            Filter::And(a, b) => a.matches(resource) && b.matches(resource),
            Filter::Or(a, b) => a.matches(resource) || b.matches(resource),
            Filter::Not(inner) => !inner.matches(resource),
            Filter::Present(path) => values(resource, path)
                .iter()
                .any(|v| !v.is_null() && v.as_str() != Some("")),
            Filter::Compare(path, Op::Ne, value) => !values(resource, path)
                .iter()
                .any(|v| compare(v, Op::Eq, value)),
            Filter::Compare(path, op, value) => values(resource, path)
                .iter()
                .any(|v| compare(v, *op, value)),
            Filter::Within(path, inner) => {
                let container = container(resource, path.schema.as_deref());
                match container.and_then(|c| get(c, &path.attr)) {
                    Some(Value::Array(items)) => items.iter().any(|item| inner.matches(item)),
                    Some(item @ Value::Object(_)) => inner.matches(item),
                    _ => false,
                }
            }
        }
    }
}

/// The value of `name` in an object, ignoring the case of keys.
#[must_use]
pub fn get<'a>(object: &'a Value, name: &str) -> Option<&'a Value> {
    object
        .as_object()?
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

/// The object holding a path's attribute: the extension's object when the path names an
/// extension schema, else the resource itself.
fn container<'a>(resource: &'a Value, schema: Option<&str>) -> Option<&'a Value> {
    match schema {
        Some(schema) if !super::is_core_schema(schema) => get(resource, schema),
        _ => Some(resource),
    }
}

/// Every value at `path` (several for a multi-valued attribute).
fn values<'a>(resource: &'a Value, path: &AttrPath) -> Vec<&'a Value> {
    let Some(found) = container(resource, path.schema.as_deref()).and_then(|c| get(c, &path.attr))
    else {
        return Vec::new();
    };
    let items: Vec<&Value> = match found {
        Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    items
        .into_iter()
        .filter_map(|item| match (&path.sub, item) {
            (Some(sub), item) => get(item, sub),
            // A multi-valued complex attribute compared as a whole compares its `value`.
            (None, item @ Value::Object(_)) => get(item, "value"),
            (None, item) => Some(item),
        })
        .collect()
}

fn compare(actual: &Value, op: Op, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::String(a), Value::String(e)) => {
            let (a, e) = (a.to_lowercase(), e.to_lowercase());
            match op {
                Op::Eq => a == e,
                Op::Ne => a != e,
                Op::Co => a.contains(&e),
                Op::Sw => a.starts_with(&e),
                Op::Ew => a.ends_with(&e),
                Op::Gt => a > e,
                Op::Ge => a >= e,
                Op::Lt => a < e,
                Op::Le => a <= e,
            }
        }
        (Value::Number(a), Value::Number(e)) => {
            use std::cmp::Ordering;
            let (Some(a), Some(e)) = (a.as_f64(), e.as_f64()) else {
                return false;
            };
            let Some(order) = a.partial_cmp(&e) else {
                return false;
            };
            match op {
                Op::Eq => order == Ordering::Equal,
                Op::Ne => order != Ordering::Equal,
                Op::Gt => order == Ordering::Greater,
                Op::Ge => order != Ordering::Less,
                Op::Lt => order == Ordering::Less,
                Op::Le => order != Ordering::Greater,
                Op::Co | Op::Sw | Op::Ew => false,
            }
        }
        // `id` is served as a string; a provider may compare it with a number.
        (Value::String(a), Value::Number(e)) => op == Op::Eq && *a == e.to_string(),
        (a, e) => match op {
            Op::Eq => a == e,
            Op::Ne => a != e,
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "id": "12",
            "userName": "Ann@Example.com",
            "active": true,
            "emails": [{"value": "ann@example.com", "type": "work", "primary": true}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Lyon"},
        })
    }

    #[test]
    fn what_identity_providers_send_reads_and_matches() {
        let u = user();
        for (filter, expected) in [
            (r#"userName eq "ann@example.com""#, true),
            (r#"username EQ "ANN@example.com""#, true),
            (r#"userName eq "bob@example.com""#, false),
            (r#"externalId eq "x""#, false),
            (r#"emails[type eq "work" and value co "ann"]"#, true),
            (r#"emails.value eq "ann@example.com""#, true),
            (r#"emails eq "ann@example.com""#, true),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "lyon""#,
                true,
            ),
            (r#"active eq true and userName sw "ann""#, true),
            (r#"active eq false or (userName ew "example.com")"#, true),
            (r"not (active eq true)", false),
            (r"userName pr", true),
            (r"externalId pr", false),
            (r"id eq 12", true),
            (r#"userName ne "ann@example.com""#, false),
        ] {
            let parsed = Filter::parse(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
            assert_eq!(parsed.matches(&u), expected, "{filter}");
        }
    }

    #[test]
    fn the_indexed_case_is_recognised() {
        let filter = Filter::parse(r#"userName eq "a\"b@x.y""#).unwrap();
        assert_eq!(filter.equality_on("username"), Some("a\"b@x.y"));
        assert_eq!(filter.equality_on("externalId"), None);
        let both = Filter::parse(r#"userName eq "a" and active eq true"#).unwrap();
        assert_eq!(both.equality_on("userName"), None);
    }

    #[test]
    fn bad_filters_say_what_is_wrong() {
        for bad in [
            "",
            "userName",
            r"userName eq",
            r#"userName equals "x""#,
            r#"userName eq "x"#,
            r#"(userName eq "x""#,
            r#"userName eq "x" garbage"#,
            r#"emails[type eq "work""#,
        ] {
            assert!(Filter::parse(bad).is_err(), "{bad:?} should not read");
        }
    }

    #[test]
    fn paths_with_schemas_and_sub_attributes() {
        assert_eq!(
            AttrPath::parse(
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
            )
            .unwrap(),
            AttrPath {
                schema: Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".into()),
                attr: "department".into(),
                sub: None,
            }
        );
        assert_eq!(
            AttrPath::parse("name.givenName").unwrap(),
            AttrPath {
                schema: None,
                attr: "name".into(),
                sub: Some("givenName".into()),
            }
        );
        assert!(AttrPath::parse("name.").is_err());
    }
}
