//! Reading a JSON request body field by field, collecting one cause per problem (`field: message`), as Okta's
//! `errorCauses` name them.

use std::fmt;

use serde_json::{Map, Value};

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// The field's path, e.g. `conditions.scopes.include`.
    pub field: String,
    pub message: String,
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A body that failed validation: at least one cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub Vec<Cause>);

impl Invalid {
    pub fn one(field: &str, message: impl Into<String>) -> Self {
        Invalid(vec![Cause {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    /// The first cause's field, for the error summary.
    pub fn field(&self) -> &str {
        self.0.first().map(|c| c.field.as_str()).unwrap_or("body")
    }

    pub fn causes(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }

    /// Whether some cause names `field`.
    pub fn names(&self, field: &str) -> bool {
        self.0.iter().any(|c| c.field == field)
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.causes().join("; "))
    }
}

impl std::error::Error for Invalid {}

/// Reads fields of one JSON object, recording causes instead of failing at the first.
pub struct Reader<'a> {
    obj: Option<&'a Map<String, Value>>,
    prefix: String,
    pub causes: Vec<Cause>,
}

static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

impl<'a> Reader<'a> {
    /// A reader of `body`, which must be an object.
    pub fn new(body: &'a Value) -> Self {
        let mut r = Reader {
            obj: body.as_object(),
            prefix: String::new(),
            causes: Vec::new(),
        };
        if r.obj.is_none() {
            r.fail("body", "must be a JSON object");
        }
        r
    }

    fn path(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        let field = self.path(field);
        self.causes.push(Cause {
            field,
            message: message.into(),
        });
    }

    /// The raw value of `name`, `None` when absent or null.
    pub fn raw(&self, name: &str) -> Option<&'a Value> {
        self.obj?.get(name).filter(|v| !v.is_null())
    }

    /// A reader of the object at `name` (absent: an empty object; not an object: a cause).
    pub fn object(&mut self, name: &str) -> Reader<'a> {
        let prefix = self.path(name);
        let obj = match self.raw(name) {
            None => Some(&*EMPTY),
            Some(Value::Object(m)) => Some(m),
            Some(_) => {
                self.fail(name, "must be an object");
                Some(&*EMPTY)
            }
        };
        Reader {
            obj,
            prefix,
            causes: Vec::new(),
        }
    }

    /// Takes the causes of a nested reader.
    pub fn absorb(&mut self, nested: Reader<'_>) {
        self.causes.extend(nested.causes);
    }

    /// A cause for every member not in `allowed` (with `why`): for conditions, where a member ignored would
    /// widen what a policy or rule covers. Members that say nothing (`null`, `[]`, `{}`) pass, as SDKs send them.
    pub fn only(&mut self, allowed: &[&str], why: &str) {
        let empty = |v: &Value| match v {
            Value::Null => true,
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
            _ => false,
        };
        let unknown: Vec<String> = self
            .obj
            .map(|o| {
                o.iter()
                    .filter(|(k, v)| !empty(v) && !allowed.contains(&k.as_str()))
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        for k in unknown {
            self.fail(&k, why.to_owned());
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.raw(name).is_some()
    }

    /// A string of at most `max` characters; blank counts as absent for a required field.
    pub fn string(&mut self, name: &str, required: bool, max: usize) -> Option<String> {
        match self.raw(name) {
            None if required => {
                self.fail(name, "is required");
                None
            }
            None => None,
            Some(Value::String(s)) => {
                if required && s.trim().is_empty() {
                    self.fail(name, "must not be blank");
                    None
                } else if s.chars().count() > max {
                    self.fail(name, format!("must be at most {max} characters"));
                    None
                } else {
                    Some(s.clone())
                }
            }
            Some(_) => {
                self.fail(name, "must be a string");
                None
            }
        }
    }

    pub fn boolean(&mut self, name: &str) -> Option<bool> {
        match self.raw(name) {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.fail(name, "must be true or false");
                None
            }
        }
    }

    pub fn integer(&mut self, name: &str) -> Option<i64> {
        match self.raw(name) {
            None => None,
            Some(v) => match v.as_i64() {
                Some(n) => Some(n),
                None => {
                    self.fail(name, "must be an integer");
                    None
                }
            },
        }
    }

    /// One of an enum's values.
    pub fn one_of<T>(
        &mut self,
        name: &str,
        parse: impl Fn(&str) -> Option<T>,
        names: &str,
    ) -> Option<T> {
        match self.raw(name) {
            None => None,
            Some(Value::String(s)) => match parse(s) {
                Some(t) => Some(t),
                None => {
                    self.fail(name, format!("must be one of {names}, not {s:?}"));
                    None
                }
            },
            Some(_) => {
                self.fail(name, format!("must be one of {names}"));
                None
            }
        }
    }

    /// An array of strings (absent: `None`).
    pub fn strings(&mut self, name: &str) -> Option<Vec<String>> {
        match self.raw(name) {
            None => None,
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match item.as_str() {
                        Some(s) => out.push(s.to_owned()),
                        None => {
                            self.fail(name, "must be an array of strings");
                            return None;
                        }
                    }
                }
                Some(out)
            }
            Some(_) => {
                self.fail(name, "must be an array of strings");
                None
            }
        }
    }

    /// The result: `value` when no cause was recorded.
    pub fn finish<T>(self, value: T) -> Result<T, Invalid> {
        if self.causes.is_empty() {
            Ok(value)
        } else {
            Err(Invalid(self.causes))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn causes_name_nested_fields() {
        let body = json!({"name": 5, "conditions": {"scopes": "x"}, "flag": true});
        let mut r = Reader::new(&body);
        assert_eq!(r.string("name", true, 10), None);
        let mut c = r.object("conditions");
        assert_eq!(c.strings("scopes"), None);
        r.absorb(c);
        assert_eq!(r.boolean("flag"), Some(true));
        let err = r.finish(()).unwrap_err();
        assert_eq!(err.field(), "name");
        assert!(err.names("conditions.scopes"));
        assert!(Reader::new(&json!([1])).finish(()).is_err());
    }
}
