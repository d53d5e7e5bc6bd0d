//! The management API's OpenAPI 3.1 document, generated from the code: every `routes()` of the API declares its
//! routes through [`Routes`], which adds each one to the axum router and records it (method, path template,
//! handler, query, body and response types) in the same call, so no route is served undocumented. The schemas are
//! the Rust types' own (`schemars`): the request structs the handlers parse, and the response structs the `*_json`
//! functions serialize. Served at `GET /api/v1/openapi.json`.

use std::sync::OnceLock;

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{self, MethodRouter};
use lanyard_core::okta_scopes;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::state::AppState;

/// A JSON object whose members are not described: request bodies the core validates member by member, and this
/// document itself. A response must not be one (`every_response_is_typed_but_okta_free_form_parts`).
pub type Object = Map<String, Value>;

type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// What a response carries.
#[derive(Clone, Copy)]
enum Payload {
    Empty,
    Json(SchemaFn),
    /// A text body of the given media type.
    Text(&'static str),
}

/// How one operation is called and what it answers, beside the route that serves it.
#[derive(Clone, Default)]
pub struct Doc {
    query: Option<SchemaFn>,
    /// The body's media types, each with its schema (`None`: text).
    body: Vec<(&'static str, Option<SchemaFn>)>,
    body_required: bool,
    responses: Vec<(u16, Payload)>,
}

/// An operation's documentation, to fill in.
pub fn doc() -> Doc {
    Doc::default()
}

impl Doc {
    /// The query string, parsed into `T` (`axum::extract::Query<T>`).
    pub fn query<T: JsonSchema>(mut self) -> Self {
        self.query = Some(schema_of::<T>);
        self
    }

    /// A JSON body, parsed into `T` (`OktaJson<T>`).
    pub fn body<T: JsonSchema>(mut self) -> Self {
        self.body.push(("application/json", Some(schema_of::<T>)));
        self.body_required = true;
        self
    }

    /// A JSON body that may be left out (`OktaJson<Option<T>>`).
    pub fn optional_body<T: JsonSchema>(mut self) -> Self {
        self.body.push(("application/json", Some(schema_of::<T>)));
        self
    }

    /// A text body of media type `mime` (as well as, or instead of, a JSON one).
    pub fn text_body(mut self, mime: &'static str) -> Self {
        self.body.push((mime, None));
        self.body_required = true;
        self
    }

    /// 200 with a `T`.
    pub fn ok<T: JsonSchema>(self) -> Self {
        self.json::<T>(200)
    }

    /// 200 with a page of `T`s (a JSON array; the next page in the `Link` header).
    pub fn list<T: JsonSchema>(self) -> Self {
        self.json::<Vec<T>>(200)
    }

    /// 201 with a `T`.
    pub fn created<T: JsonSchema>(self) -> Self {
        self.json::<T>(201)
    }

    /// `status` with a `T`.
    pub fn json<T: JsonSchema>(mut self, status: u16) -> Self {
        self.responses.push((status, Payload::Json(schema_of::<T>)));
        self
    }

    /// 204, no body.
    pub fn no_content(self) -> Self {
        self.empty(204)
    }

    /// `status` with no body.
    pub fn empty(mut self, status: u16) -> Self {
        self.responses.push((status, Payload::Empty));
        self
    }

    /// 200 with a text body of media type `mime`.
    pub fn text(mut self, mime: &'static str) -> Self {
        self.responses.push((200, Payload::Text(mime)));
        self
    }
}

/// One documented operation.
#[derive(Clone)]
pub struct Operation {
    pub method: Method,
    /// The path template below `/api/v1`, as the router declares it (`/users/{id}`).
    pub path: String,
    /// The handler's Rust path (`lanyard_server::api::users::list`).
    pub handler: &'static str,
    /// Served without an API token (the Authn API, the caller's own session).
    pub public: bool,
    doc: Doc,
}

impl Operation {
    /// A unique name: the handler's module and name below `api` (`users.list`), the method added when one handler
    /// serves two.
    fn base_id(&self) -> String {
        let name = self.handler.split('<').next().unwrap_or(self.handler);
        name.strip_prefix("lanyard_server::api::")
            .unwrap_or(name)
            .replace("::", ".")
    }

    /// The `okta.*` scope an app's access token needs for it; `None` when only an API token may call it.
    pub fn scope(&self) -> Option<&'static str> {
        if self.public || okta_scopes::acts_on_me(&self.path) {
            return None;
        }
        okta_scopes::required_scope(self.method == Method::GET, &self.path)
    }
}

/// Routes of the API, each added to the router and recorded for the document in one call.
#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    ops: Vec<Operation>,
}

macro_rules! method {
    ($($name:ident => $method:ident),*) => {$(
        #[doc = concat!("Serves `", stringify!($method), " path` with `handler`, documented by `doc`.")]
        pub fn $name<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H, doc: Doc) -> Self {
            self.add(Method::$method, path, routing::$name(handler), std::any::type_name::<H>(), doc)
        }
    )*};
}

impl Routes {
    pub fn new() -> Self {
        Self::default()
    }

    method!(get => GET, post => POST, put => PUT, delete => DELETE);

    fn add(
        mut self,
        method: Method,
        path: &str,
        route: MethodRouter<AppState>,
        handler: &'static str,
        doc: Doc,
    ) -> Self {
        // `Router::route` on a path already routed merges the method routers (and panics on a method served twice).
        self.router = self.router.route(path, route);
        self.ops.push(Operation {
            method,
            path: path.to_owned(),
            handler,
            public: false,
            doc,
        });
        self
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.ops.extend(other.ops);
        self
    }

    /// Marks every route so far as served without an API token.
    pub fn public(mut self) -> Self {
        for op in &mut self.ops {
            op.public = true;
        }
        self
    }

    pub fn operations(&self) -> &[Operation] {
        &self.ops
    }

    pub fn into_parts(self) -> (Router<AppState>, Vec<Operation>) {
        (self.router, self.ops)
    }
}

/// A link in `_links`.
#[derive(Serialize, JsonSchema)]
pub struct Href {
    pub href: String,
}

impl Href {
    pub fn new(href: String) -> Self {
        Href { href }
    }
}

/// A link in `_links` with the methods it allows.
#[derive(Serialize, JsonSchema)]
pub struct HintedHref {
    pub href: String,
    pub hints: Hints,
}

#[derive(Serialize, JsonSchema)]
pub struct Hints {
    pub allow: Vec<&'static str>,
}

impl HintedHref {
    pub fn new(href: String, allow: &[&'static str]) -> Self {
        HintedHref {
            href,
            hints: Hints {
                allow: allow.to_vec(),
            },
        }
    }
}

/// An object with no members (`{}`): Okta's answer to some operations, and its parts Lanyard has nothing for.
#[derive(Serialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// An error in Okta's form, as every management API error is sent (`ApiError`'s body).
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Error")]
pub struct ErrorBody {
    pub error_code: String,
    pub error_summary: String,
    pub error_link: String,
    pub error_id: String,
    pub error_causes: Vec<ErrorCause>,
}

/// One cause of an error.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorCause {
    pub error_summary: String,
}

/// `GET /api/v1/openapi.json`: this document.
pub async fn serve() -> Response {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let body = DOCUMENT.get_or_init(|| document(&super::operations()).to_string());
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.as_str(),
    )
        .into_response()
}

/// Path parameters of a template: `/users/{id}/factors/{fid}` → `id`, `fid`.
fn path_params(template: &str) -> Vec<&str> {
    template
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

/// A query string's parameters, from its type's (inlined) schema.
fn query_params(schema: SchemaFn) -> Vec<Value> {
    let mut g = SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .into_generator();
    let root = schema(&mut g);
    let object = root.as_object().cloned().unwrap_or_default();
    let required: Vec<&str> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = object.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, schema)| {
            let mut schema = schema.clone();
            // A parameter left out is how a query string says "none": `null` is not a value it can carry.
            if let Some(Value::Array(types)) = schema.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types[0].clone();
                    schema["type"] = only;
                }
            }
            let mut p = json!({
                "name": name,
                "in": "query",
                "required": required.contains(&name.as_str()),
                "schema": schema,
            });
            if let Some(d) = schema.get("description") {
                p["description"] = d.clone();
            }
            p
        })
        .collect()
}

fn generator(serialize: bool) -> SchemaGenerator {
    let settings = SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = "/components/schemas".into();
        s.meta_schema = None;
    });
    if serialize {
        settings.for_serialize().into_generator()
    } else {
        settings.for_deserialize().into_generator()
    }
}

fn error_response(description: &str, error: &Value) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": error } },
    })
}

/// The OpenAPI 3.1 document of `ops`.
pub fn document(ops: &[Operation]) -> Value {
    // Requests are described as they are parsed, responses as they are written; each its own set of components.
    let mut requests = generator(false);
    let mut responses = generator(true);
    let error = schema_of::<ErrorBody>(&mut responses).to_value();
    let mut paths: Map<String, Value> = Map::new();
    let mut ids: Vec<String> = Vec::new();
    for op in ops {
        let mut id = op.base_id();
        if ops
            .iter()
            .filter(|o| o.handler == op.handler)
            .take(2)
            .count()
            > 1
        {
            id = format!("{id}.{}", op.method.as_str().to_ascii_lowercase());
        }
        assert!(!ids.contains(&id), "operationId {id} twice");
        ids.push(id.clone());

        let mut parameters: Vec<Value> = path_params(&op.path)
            .into_iter()
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        if let Some(q) = op.doc.query {
            parameters.extend(query_params(q));
        }

        let mut out = Map::new();
        let documented = if op.doc.responses.is_empty() {
            vec![(200, Payload::Json(schema_of::<Value>))]
        } else {
            op.doc.responses.clone()
        };
        for (status, payload) in documented {
            let r = out
                .entry(status.to_string())
                .or_insert_with(|| json!({ "description": "Success." }));
            match payload {
                Payload::Empty => r["description"] = json!("Success, no content."),
                Payload::Json(s) => {
                    r["content"]["application/json"] =
                        json!({ "schema": s(&mut responses).to_value() })
                }
                Payload::Text(mime) => {
                    r["content"][mime] = json!({ "schema": { "type": "string" } })
                }
            }
        }
        let scope = op.scope();
        if !op.public {
            out.insert(
                "401".into(),
                error_response(
                    "E0000011: no API token, or one not valid (`SSWS`), or an access token not valid (`Bearer`, `DPoP`).",
                    &error,
                ),
            );
            out.insert(
                "403".into(),
                error_response(
                    "E0000006: the caller may not do this (an access token without the scope, a built-in object).",
                    &error,
                ),
            );
        }
        if !path_params(&op.path).is_empty() {
            out.insert(
                "404".into(),
                error_response("E0000007: no such object.", &error),
            );
        }
        out.insert(
            "429".into(),
            error_response("E0000047: too many requests; see `Retry-After`.", &error),
        );
        out.insert(
            "default".into(),
            error_response(
                "An error in Okta's form (400 E0000001 validation, E0000003 malformed body, ...).",
                &error,
            ),
        );

        let security = if op.public {
            json!([])
        } else {
            let mut s = vec![json!({ "apiToken": [] })];
            if let Some(scope) = scope {
                s.push(json!({ "oauth2": [scope] }));
            }
            Value::Array(s)
        };
        let tag = op
            .path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let mut operation = json!({
            "operationId": id,
            "tags": [tag],
            "parameters": parameters,
            "responses": out,
            "security": security,
        });
        if let Some(scope) = scope {
            operation["x-okta-scope"] = json!(scope);
        }
        if !op.doc.body.is_empty() {
            let mut content = Map::new();
            for (mime, schema) in &op.doc.body {
                let schema = match schema {
                    Some(s) => s(&mut requests).to_value(),
                    None => json!({ "type": "string" }),
                };
                content.insert((*mime).to_owned(), json!({ "schema": schema }));
            }
            operation["requestBody"] =
                json!({ "required": op.doc.body_required, "content": content });
        }
        let item = paths.entry(op.path.clone()).or_insert_with(|| json!({}));
        item[op.method.as_str().to_ascii_lowercase()] = operation;
    }

    let mut schemas = responses.take_definitions(true);
    for (name, schema) in requests.take_definitions(true) {
        match schemas.get(&name) {
            Some(existing) if *existing != schema => {
                panic!("schema {name} differs between requests and responses")
            }
            _ => {
                schemas.insert(name, schema);
            }
        }
    }
    let scopes: Map<String, Value> = okta_scopes::all_scopes()
        .map(|s| (s.to_owned(), json!(format!("Okta's {s}"))))
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Lanyard management API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Okta's management API dialect as Lanyard serves it. Generated from the code that builds \
                the router: every route below /api/v1 is here.",
        },
        "servers": [{ "url": "/api/v1" }],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "apiToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "An API token: `Authorization: SSWS <token>` (`lanyard api-token create`).",
                },
                "oauth2": {
                    "type": "oauth2",
                    "description": "An access token from the org authorization server (client credentials, \
                        `private_key_jwt`), sent as `Authorization: Bearer <token>` or `DPoP <token>`.",
                    "flows": {
                        "clientCredentials": { "tokenUrl": "/oauth2/v1/token", "scopes": scopes },
                    },
                },
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parts of responses left open on purpose: free-form in Okta too (as `Schema.field`; see `open_parts`).
    const FREE_FORM: &[&str] = &[
        // Profiles: the attributes the user's, the app's or the factor type's schema defines.
        "User.profile",
        "AppUser.profile",
        "ApplicationGroupAssignment.profile",
        "UserFactor.profile",
        "AuthnFactor.profile",
        // WebAuthn's own options (creation, request), passed through.
        "UserFactorActivation|1",
        "AuthnEmbedded.challenge",
        // The system log's free-form details.
        "LogDebugContext.debugData",
        "LogTransaction.detail",
        // A client's public keys (a JWK Set), as registered.
        "ApplicationOAuthClientSettings.jwks",
        // The document itself.
        "openapi.serve",
    ];

    fn doc_and_ops() -> (Value, Vec<Operation>) {
        let ops = crate::api::operations();
        (document(&ops), ops)
    }

    /// Every `$ref` in `v`.
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_route_is_documented_once_with_its_scope() {
        let (doc, ops) = doc_and_ops();
        let documented: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|item| item.as_object().unwrap().len())
            .sum();
        assert_eq!(documented, ops.len());
        let mut ids = std::collections::HashSet::new();
        for op in &ops {
            let method = op.method.as_str().to_ascii_lowercase();
            let o = &doc["paths"][&op.path][&method];
            assert!(o.is_object(), "{method} {} undocumented", op.path);
            assert!(ids.insert(o["operationId"].as_str().unwrap().to_owned()));
            let security = o["security"].as_array().unwrap();
            if op.public {
                assert!(security.is_empty(), "{}", op.path);
                continue;
            }
            assert_eq!(security[0], json!({ "apiToken": [] }));
            // The scope table covers every route an API token opens, but the caller's own ("me") ones.
            let scope = okta_scopes::required_scope(op.method == Method::GET, &op.path);
            assert!(scope.is_some(), "no okta.* scope for {method} {}", op.path);
            assert_eq!(security[1], json!({ "oauth2": [scope] }), "{}", op.path);
            assert_eq!(o["x-okta-scope"], json!(scope));
            for status in ["401", "403", "429", "default"] {
                assert_eq!(
                    o["responses"][status]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/Error"
                );
            }
        }
        // The public ones: sign-in, recovery, the caller's session and app links, this document.
        let public: Vec<&str> = ops
            .iter()
            .filter(|o| o.public)
            .map(|o| o.path.as_str())
            .collect();
        assert!(public.contains(&"/authn") && public.contains(&"/openapi.json"));
        assert!(public.contains(&"/sessions/me") && public.contains(&"/users/me/appLinks"));
    }

    #[test]
    fn the_document_is_openapi_3_1_with_every_reference_resolved() {
        let (doc, _) = doc_and_ops();
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(!all.is_empty());
        for r in all {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{r}"));
            assert!(schemas.contains_key(name), "{r} unresolved");
        }
        let methods = ["get", "put", "post", "delete", "patch", "head", "options"];
        for (path, item) in doc["paths"].as_object().unwrap() {
            assert!(path.starts_with('/'));
            for (method, o) in item.as_object().unwrap() {
                assert!(methods.contains(&method.as_str()));
                // Every template parameter declared, as a required path parameter.
                for name in path_params(path) {
                    assert!(
                        o["parameters"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|p| p["name"] == name
                                && p["in"] == "path"
                                && p["required"] == true),
                        "{method} {path}: {name}"
                    );
                }
                let responses = o["responses"].as_object().unwrap();
                assert!(
                    responses.keys().any(|s| s.starts_with('2')),
                    "{method} {path}"
                );
                for r in responses.values() {
                    assert!(r["description"].is_string());
                }
                for s in o["security"].as_array().unwrap() {
                    for scheme in s.as_object().unwrap().keys() {
                        assert!(doc["components"]["securitySchemes"][scheme].is_object());
                    }
                }
            }
        }
        // Fields always sent are required; ones that may be null say so.
        let user = &schemas["User"];
        let required = user["required"].as_array().unwrap();
        for field in [
            "id",
            "status",
            "created",
            "activated",
            "profile",
            "credentials",
            "_links",
        ] {
            assert!(required.contains(&json!(field)), "{field}");
        }
        assert_eq!(
            user["properties"]["activated"]["type"],
            json!(["string", "null"])
        );
    }

    /// The parts of 2xx JSON responses still described as open (any JSON, or an object without `properties`),
    /// as `Schema.field` (`operationId` for a response that is open itself, `[]` for an array's items).
    fn open_parts(doc: &Value) -> std::collections::BTreeSet<String> {
        fn walk(
            s: &Value,
            at: String,
            schemas: &Map<String, Value>,
            seen: &mut std::collections::HashSet<String>,
            out: &mut std::collections::BTreeSet<String>,
        ) {
            let Some(o) = s.as_object() else {
                // `true`: anything.
                out.insert(at);
                return;
            };
            if let Some(r) = o.get("$ref").and_then(Value::as_str) {
                let name = r.trim_start_matches("#/components/schemas/").to_owned();
                if seen.insert(name.clone()) {
                    walk(&schemas[&name], name, schemas, seen, out);
                }
                return;
            }
            let mut described = false;
            for k in ["anyOf", "oneOf", "allOf"] {
                for (i, s) in o
                    .get(k)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    described = true;
                    walk(s, format!("{at}|{i}"), schemas, seen, out);
                }
            }
            if o.get("maxItems") == Some(&json!(0)) {
                // Always empty.
                described = true;
            } else if let Some(items) = o.get("items") {
                walk(items, format!("{at}[]"), schemas, seen, out);
                described = true;
            }
            if let Some(props) = o.get("properties").and_then(Value::as_object) {
                for (name, s) in props {
                    walk(s, format!("{at}.{name}"), schemas, seen, out);
                }
                described = true;
            }
            match o.get("additionalProperties") {
                // `{}` and nothing more.
                Some(Value::Bool(false)) => described = true,
                Some(Value::Object(m)) if !m.is_empty() => {
                    walk(
                        &Value::Object(m.clone()),
                        format!("{at}{{}}"),
                        schemas,
                        seen,
                        out,
                    );
                    described = true;
                }
                _ => {}
            }
            let scalar = |t: &Value| t.as_str().is_some_and(|t| t != "object" && t != "array");
            let typed = match o.get("type") {
                Some(Value::Array(ts)) => ts.iter().all(|t| t == "null" || scalar(t)),
                Some(t) => scalar(t),
                None => o.contains_key("enum") || o.contains_key("const"),
            };
            if !described && !typed {
                out.insert(at);
            }
        }
        let schemas = doc["components"]["schemas"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let mut seen = std::collections::HashSet::new();
        let mut out = std::collections::BTreeSet::new();
        for item in doc["paths"]
            .as_object()
            .into_iter()
            .flat_map(|p| p.values())
        {
            for o in item.as_object().into_iter().flat_map(|i| i.values()) {
                for (status, r) in o["responses"].as_object().into_iter().flatten() {
                    let s = &r["content"]["application/json"]["schema"];
                    if status.starts_with('2') && !s.is_null() {
                        let id = o["operationId"].as_str().unwrap_or_default().to_owned();
                        walk(s, id, &schemas, &mut seen, &mut out);
                    }
                }
            }
        }
        out
    }

    /// Every 2xx JSON response is typed, but for the parts free-form in Okta too: a new response sent as an open
    /// object fails here.
    #[test]
    fn every_response_is_typed_but_okta_free_form_parts() {
        let (doc, _) = doc_and_ops();
        let open = open_parts(&doc);
        let allowed: std::collections::BTreeSet<String> =
            FREE_FORM.iter().map(|s| s.to_string()).collect();
        let untyped: Vec<&String> = open.difference(&allowed).collect();
        assert!(untyped.is_empty(), "responses not typed: {untyped:#?}");
        let stale: Vec<&String> = allowed.difference(&open).collect();
        assert!(
            stale.is_empty(),
            "allowed but typed (drop them from FREE_FORM): {stale:#?}"
        );
    }

    #[test]
    fn query_types_become_query_parameters() {
        let (doc, _) = doc_and_ops();
        let params = doc["paths"]["/users"]["get"]["parameters"]
            .as_array()
            .unwrap();
        for name in ["q", "filter", "search", "limit", "after"] {
            assert!(
                params.iter().any(|p| p["name"] == name
                    && p["in"] == "query"
                    && p["schema"]["type"] == "string"),
                "{name}"
            );
        }
        // A parameter the handler refuses to go without is required; the others are not.
        let policies = doc["paths"]["/policies"]["get"]["parameters"]
            .as_array()
            .unwrap();
        let param = |name: &str| {
            policies
                .iter()
                .find(|p| p["name"] == name)
                .cloned()
                .unwrap_or_else(|| panic!("{name}"))
        };
        assert_eq!(param("type")["required"], true);
        assert_eq!(param("type")["schema"]["type"], "string");
        assert_eq!(param("status")["required"], false);
        let setup = &doc["paths"]["/apps/{id}/setup"]["get"]["responses"]["200"]["content"];
        assert!(setup["application/json"].is_object() && setup["text/plain"].is_object());
    }
}
