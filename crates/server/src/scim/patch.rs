//! SCIM PATCH (RFC 7644 §3.5.2) applied to a resource's JSON representation, as identity
//! providers send it: Microsoft Entra ID (`"op": "Replace"`, `"value": "False"`, members
//! removed by value list), Okta (no path and an object of attributes, members removed with a
//! `members[value eq "id"]` path), and the RFC's own forms. The result is then read exactly as a
//! PUT body is, so one code path decides what a resource becomes.

use serde_json::{Map, Value};

use super::filter::{AttrPath, Filter, get};
use super::{ENTERPRISE_SCHEMA, ScimError, is_core_schema};

/// One operation.
#[derive(Debug, Clone)]
pub struct Operation {
    op: Kind,
    path: Option<String>,
    value: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Add,
    Replace,
    Remove,
}

/// A path as PATCH writes it: `attr`, `attr.sub`, `attr[filter]`, `attr[filter].sub`, each
/// optionally qualified by a schema URN.
#[derive(Debug)]
struct Target {
    schema: Option<String>,
    attr: String,
    filter: Option<Filter>,
    sub: Option<String>,
}

fn bad_path(path: &str, why: &str) -> ScimError {
    ScimError::bad(
        "invalidPath",
        format!("the path {path:?} does not read: {why}"),
    )
}

impl Target {
    fn parse(path: &str) -> Result<Self, ScimError> {
        let Some(open) = path.find('[') else {
            let p = AttrPath::parse(path).map_err(|e| bad_path(path, &e))?;
            return Ok(Self {
                schema: p.schema,
                attr: p.attr,
                filter: None,
                sub: p.sub,
            });
        };
        let close = path
            .rfind(']')
            .filter(|close| *close > open)
            .ok_or_else(|| bad_path(path, "a bracket is not closed"))?;
        let head = AttrPath::parse(&path[..open]).map_err(|e| bad_path(path, &e))?;
        if head.sub.is_some() {
            return Err(bad_path(path, "a filter follows the attribute itself"));
        }
        let filter = Filter::parse(&path[open + 1..close]).map_err(|e| bad_path(path, &e))?;
        let sub = match &path[close + 1..] {
            "" => None,
            rest => Some(
                rest.strip_prefix('.')
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| bad_path(path, "write .subAttribute after the filter"))?
                    .to_owned(),
            ),
        };
        Ok(Self {
            schema: head.schema,
            attr: head.attr,
            filter: Some(filter),
            sub,
        })
    }
}

/// Reads the operations of a `PatchOp` request body.
///
/// # Errors
/// A body that is not a `PatchOp` message, or an operation that is not add, replace or remove.
pub fn operations(body: &Value) -> Result<Vec<Operation>, ScimError> {
    let Some(Value::Array(list)) = get(body, "Operations") else {
        return Err(ScimError::bad(
            "invalidSyntax",
            "a PATCH body holds an \"Operations\" list".to_owned(),
        ));
    };
    list.iter()
        .map(|op| {
            let kind = match get(op, "op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
            {
                Some(k) if k == "add" => Kind::Add,
                Some(k) if k == "replace" => Kind::Replace,
                Some(k) if k == "remove" => Kind::Remove,
                _ => {
                    return Err(ScimError::bad(
                        "invalidSyntax",
                        "each operation's \"op\" is add, replace or remove".to_owned(),
                    ));
                }
            };
            let path = match get(op, "path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) if p.trim().is_empty() => None,
                Some(Value::String(p)) => Some(p.trim().to_owned()),
                Some(_) => return Err(bad_path("?", "a path is a string")),
            };
            Ok(Operation {
                op: kind,
                path,
                value: get(op, "value").cloned(),
            })
        })
        .collect()
}

/// Applies the operations to `resource`, in order.
///
/// # Errors
/// An operation that cannot apply (a remove without a path, a path that does not read, an
/// add without a value).
pub fn apply(resource: &mut Value, operations: &[Operation]) -> Result<(), ScimError> {
    for operation in operations {
        match (&operation.path, operation.op) {
            (None, Kind::Remove) => {
                return Err(ScimError::bad(
                    "noTarget",
                    "a remove operation names the attribute in \"path\"".to_owned(),
                ));
            }
            (None, kind) => {
                let Some(Value::Object(values)) = &operation.value else {
                    return Err(ScimError::bad(
                        "invalidValue",
                        "an operation without a path carries an object of attributes".to_owned(),
                    ));
                };
                for (key, value) in values {
                    if is_core_schema(key) {
                        apply(
                            resource,
                            &[Operation {
                                op: kind,
                                path: None,
                                value: Some(value.clone()),
                            }],
                        )?;
                    } else if key.eq_ignore_ascii_case(ENTERPRISE_SCHEMA) {
                        let extension = child(root(resource), ENTERPRISE_SCHEMA);
                        merge(extension, value);
                    } else {
                        one(resource, kind, &Target::parse(key)?, Some(value))?;
                    }
                }
            }
            (Some(path), kind) if path.eq_ignore_ascii_case(ENTERPRISE_SCHEMA) => {
                // The whole extension: its sub-attributes merged, or all of it removed.
                let object = root(resource);
                match (&operation.value, kind) {
                    (_, Kind::Remove) => {
                        let key = key_in(object, ENTERPRISE_SCHEMA);
                        object.remove(&key);
                    }
                    (Some(value @ Value::Object(_)), _) => {
                        merge(child(object, ENTERPRISE_SCHEMA), value);
                    }
                    _ => {
                        return Err(ScimError::bad(
                            "invalidValue",
                            "the enterprise extension's value is an object of attributes"
                                .to_owned(),
                        ));
                    }
                }
            }
            (Some(path), kind) => {
                if kind != Kind::Remove && operation.value.is_none() {
                    return Err(ScimError::bad(
                        "invalidValue",
                        format!("the {path:?} operation carries no value"),
                    ));
                }
                one(
                    resource,
                    kind,
                    &Target::parse(path)?,
                    operation.value.as_ref(),
                )?;
            }
        }
    }
    Ok(())
}

/// `value` as an object (made one when it is not).
fn root(value: &mut Value) -> &mut Map<String, Value> {
    if !value.is_object() {
        *value = Value::Object(Map::new());
    }
    match value {
        Value::Object(map) => map,
        _ => unreachable!("made an object above"),
    }
}

/// `value` as a list (a single value becomes a list of one, nothing an empty list).
fn list(value: &mut Value) -> &mut Vec<Value> {
    if !value.is_array() {
        let one = std::mem::take(value);
        *value = Value::Array(if one.is_null() { vec![] } else { vec![one] });
    }
    match value {
        Value::Array(items) => items,
        _ => unreachable!("made a list above"),
    }
}

fn no_value() -> ScimError {
    ScimError::bad("invalidValue", "this operation carries no value".to_owned())
}

/// The key of `name` in `object`, ignoring case; `name` itself when absent.
fn key_in(object: &Map<String, Value>, name: &str) -> String {
    object
        .keys()
        .find(|key| key.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}

/// The value of `name` in `object` (created as an empty object when absent).
fn child<'a>(object: &'a mut Map<String, Value>, name: &str) -> &'a mut Value {
    let key = key_in(object, name);
    object
        .entry(key)
        .or_insert_with(|| Value::Object(Map::new()))
}

/// Replaces the sub-attributes `value` names and keeps the others (a complex attribute).
fn merge(target: &mut Value, value: &Value) {
    match (target, value) {
        (Value::Object(target), Value::Object(value)) => {
            for (key, v) in value {
                let key = key_in(target, key);
                target.insert(key, v.clone());
            }
        }
        (target, value) => *target = value.clone(),
    }
}

/// Two values of a multi-valued attribute are the same when equal, or when their `value`s are.
fn same(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    match (get(a, "value"), get(b, "value")) {
        (Some(Value::String(x)), Some(Value::String(y))) => x.eq_ignore_ascii_case(y),
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// The element an unmatched `attr[type eq "work"].sub` add or replace creates: the filter's
/// equalities, with the value.
fn element_from(filter: &Filter) -> Map<String, Value> {
    let mut element = Map::new();
    let mut stack = vec![filter];
    while let Some(filter) = stack.pop() {
        match filter {
            Filter::Compare(path, super::filter::Op::Eq, value) if path.sub.is_none() => {
                element.insert(path.attr.clone(), value.clone());
            }
            Filter::And(a, b) => {
                stack.push(a);
                stack.push(b);
            }
            _ => {}
        }
    }
    element
}

fn one(
    resource: &mut Value,
    kind: Kind,
    target: &Target,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let object = root(resource);
    let container = match target.schema.as_deref() {
        Some(schema) if !is_core_schema(schema) => {
            if !schema.eq_ignore_ascii_case(ENTERPRISE_SCHEMA) {
                return Err(ScimError::bad(
                    "invalidPath",
                    format!("Chorus does not serve the schema {schema}"),
                ));
            }
            root(child(object, ENTERPRISE_SCHEMA))
        }
        _ => object,
    };
    let key = key_in(container, &target.attr);
    match (&target.filter, &target.sub, kind) {
        (None, None, Kind::Remove) => match (container.get_mut(&key), value) {
            (Some(Value::Array(items)), Some(Value::Array(gone))) => {
                items.retain(|item| !gone.iter().any(|g| same(item, g)));
            }
            _ => {
                container.remove(&key);
            }
        },
        (None, None, kind) => {
            let value = value.ok_or_else(no_value)?;
            match (container.get_mut(&key), value, kind) {
                (Some(Value::Array(items)), Value::Array(new), Kind::Add) => {
                    for v in new {
                        if !items.iter().any(|item| same(item, v)) {
                            items.push(v.clone());
                        }
                    }
                }
                (Some(Value::Array(items)), v, Kind::Add) if !v.is_array() => {
                    if !items.iter().any(|item| same(item, v)) {
                        items.push(v.clone());
                    }
                }
                (Some(existing @ Value::Object(_)), Value::Object(_), _) => merge(existing, value),
                _ => {
                    container.insert(key, value.clone());
                }
            }
        }
        (None, Some(sub), kind) => {
            let attr = container
                .entry(key)
                .or_insert_with(|| Value::Object(Map::new()));
            let set = |item: &mut Value| {
                if let Value::Object(item) = item {
                    let sub_key = key_in(item, sub);
                    match (kind, value) {
                        (Kind::Remove, _) | (_, None) => {
                            item.remove(&sub_key);
                        }
                        (_, Some(value)) => {
                            item.insert(sub_key, value.clone());
                        }
                    }
                }
            };
            match attr {
                Value::Array(items) => items.iter_mut().for_each(set),
                item => set(item),
            }
        }
        (Some(filter), sub, kind) => {
            let items = list(container.entry(key).or_insert_with(|| Value::Array(vec![])));
            if kind == Kind::Remove {
                match sub {
                    None => items.retain(|item| !filter.matches(item)),
                    Some(sub) => {
                        for item in items.iter_mut().filter(|item| filter.matches(item)) {
                            if let Value::Object(item) = item {
                                let sub_key = key_in(item, sub);
                                item.remove(&sub_key);
                            }
                        }
                    }
                }
                return Ok(());
            }
            let value = value.ok_or_else(no_value)?;
            let mut matched = false;
            for item in items.iter_mut().filter(|item| filter.matches(item)) {
                matched = true;
                match sub {
                    Some(sub) => {
                        if let Value::Object(item) = item {
                            let sub_key = key_in(item, sub);
                            item.insert(sub_key, value.clone());
                        }
                    }
                    None => merge(item, value),
                }
            }
            if !matched {
                // Entra sets `emails[type eq "work"].value` on a person who has no work email
                // yet: the element is created from the filter.
                let mut element = element_from(filter);
                match sub {
                    Some(sub) => {
                        element.insert(sub.clone(), value.clone());
                    }
                    None => {
                        if let Value::Object(v) = value {
                            element.extend(v.clone());
                        }
                    }
                }
                items.push(Value::Object(element));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patched(mut resource: Value, body: Value) -> Value {
        apply(&mut resource, &operations(&body).unwrap()).unwrap();
        resource
    }

    fn user() -> Value {
        json!({
            "userName": "ann@example.com",
            "displayName": "Ann",
            "active": true,
            "emails": [{"value": "ann@example.com", "type": "work", "primary": true}],
        })
    }

    #[test]
    fn entra_shapes() {
        let u = patched(
            user(),
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ann.b@example.com"},
                {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Lyon"},
                {"op": "Replace", "path": "displayName", "value": "Ann B"},
                {"op": "Add", "path": "externalId", "value": "e-1"},
            ]}),
        );
        assert_eq!(u["active"], "False");
        assert_eq!(u["emails"][0]["value"], "ann.b@example.com");
        assert_eq!(
            u["emails"][0]["primary"], true,
            "the other sub-attributes stay"
        );
        assert_eq!(
            u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
            "Lyon"
        );
        assert_eq!(u["displayName"], "Ann B");
        assert_eq!(u["externalId"], "e-1");

        let group = json!({"displayName": "editors", "members": [{"value": "1"}, {"value": "2"}]});
        let g = patched(
            group,
            json!({"Operations": [
                {"op": "Add", "path": "members", "value": [{"value": "3"}, {"value": "1"}]},
                {"op": "Remove", "path": "members", "value": [{"value": "2"}]},
            ]}),
        );
        assert_eq!(g["members"], json!([{"value": "1"}, {"value": "3"}]));
    }

    #[test]
    fn okta_shapes() {
        let u = patched(
            user(),
            json!({"Operations": [{"op": "replace", "value": {"active": false}}]}),
        );
        assert_eq!(u["active"], false);
        let u = patched(
            user(),
            json!({"Operations": [{"op": "replace", "value": {
                "name.givenName": "Annie",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Paris"},
                "emails": [{"value": "annie@example.com", "primary": true}],
            }}]}),
        );
        assert_eq!(u["name"]["givenName"], "Annie");
        assert_eq!(
            u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
            "Paris"
        );
        assert_eq!(
            u["emails"],
            json!([{"value": "annie@example.com", "primary": true}])
        );

        let group = json!({"displayName": "editors", "members": [{"value": "1"}, {"value": "2"}]});
        let g = patched(
            group,
            json!({"Operations": [
                {"op": "remove", "path": "members[value eq \"2\"]"},
                {"op": "replace", "value": {"id": "9", "displayName": "Editors FR"}},
            ]}),
        );
        assert_eq!(g["members"], json!([{"value": "1"}]));
        assert_eq!(g["displayName"], "Editors FR");
    }

    #[test]
    fn rfc_shapes_and_refusals() {
        let u = patched(
            user(),
            json!({"Operations": [
                {"op": "add", "path": "emails", "value": [{"value": "ann@home.example", "type": "home"}]},
                {"op": "remove", "path": "emails[type eq \"home\"]"},
                {"op": "remove", "path": "displayName"},
            ]}),
        );
        assert_eq!(u["emails"].as_array().unwrap().len(), 1);
        assert!(u.get("displayName").is_none());

        let mut resource = user();
        for bad in [
            json!({"Operations": [{"op": "remove"}]}),
            json!({"Operations": [{"op": "add", "path": "displayName"}]}),
            json!({"Operations": [{"op": "move", "path": "displayName", "value": "x"}]}),
            json!({"Operations": [{"op": "add", "path": "emails[type eq", "value": "x"}]}),
            json!({"Operations": [{"op": "add", "path": "urn:example:Other:x", "value": "x"}]}),
            json!({"nothing": []}),
        ] {
            let result = operations(&bad).and_then(|ops| apply(&mut resource, &ops));
            assert!(result.is_err(), "{bad} should be refused");
        }
    }
}
