//! Custom claims: validation of claim bodies, a deliberately small expression language for EXPRESSION claims, and
//! [`custom_claims`], which computes what a token carries.
//!
//! The language (a subset of Okta's Expression Language, parsed, never string-matched):
//!
//! ```text
//! expr    := operand ( "+" operand )*          concatenation; one operand keeps its JSON type
//! operand := string | number | "true" | "false" | "null" | path
//! string  := '"' … '"' | "'" … "'"             with \" \' \\ \n \t escapes
//! path    := "user" "." ( "id" | "login" | "status" | attr | "profile" "." attr )
//! ```
//!
//! `user.<attr>` and `user.profile.<attr>` read the user's profile; a missing attribute is null, and a claim whose
//! value is null is left out of the token. `appuser.*`, `app.*`, `org.*` and function calls are not supported
//! (there are no app profiles yet) and are refused when the claim is saved.

use serde_json::{Map, Value};

use super::fields::{Invalid, Reader};
use crate::model::auth_server::LifecycleStatus;
use crate::model::{AppClaim, Claim, ClaimIn, ClaimType, ClaimValueType, GroupFilterType};

pub const NAME_MAX: usize = 100;
pub const VALUE_MAX: usize = 1024;
/// The most groups a GROUPS claim lists (Okta's limit); the first, by name, are kept.
pub const MAX_GROUPS: usize = 100;

/// Names no custom claim may take: those Lanyard sets itself in access and ID tokens.
pub const RESERVED_CLAIMS: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "cid",
    "uid",
    "scp",
    "ver",
    "auth_time",
    "nonce",
    "amr",
    "idp",
    "acr",
    "azp",
    "sid",
    "at_hash",
    "c_hash",
    "cnf",
    "client_id",
    "scope",
    "token_type",
    "_links",
    "_embedded",
];

/// A user attribute an expression reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserAttr {
    Id,
    Login,
    Status,
    Profile(String),
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(Value),
    User(UserAttr),
    Concat(Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Str(String),
    Num(serde_json::Number),
    Ident(String),
    Dot,
    Plus,
}

fn tokenize(src: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '.' => {
                out.push(Token::Dot);
                i += 1;
            }
            '+' => {
                out.push(Token::Plus);
                i += 1;
            }
            '"' | '\'' => {
                let quote = c;
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("unterminated string".into()),
                        Some(&q) if q == quote => {
                            i += 1;
                            break;
                        }
                        Some('\\') => {
                            let esc = chars.get(i + 1).ok_or("unterminated string")?;
                            s.push(match esc {
                                'n' => '\n',
                                't' => '\t',
                                '\\' | '"' | '\'' => *esc,
                                other => return Err(format!("unknown escape \\{other}")),
                            });
                            i += 2;
                        }
                        Some(&ch) => {
                            s.push(ch);
                            i += 1;
                        }
                    }
                }
                out.push(Token::Str(s));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                let num = if let Ok(n) = text.parse::<i64>() {
                    serde_json::Number::from(n)
                } else {
                    text.parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .ok_or_else(|| format!("bad number {text:?}"))?
                };
                out.push(Token::Num(num));
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == '$' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '$')
                {
                    i += 1;
                }
                out.push(Token::Ident(chars[start..i].iter().collect()));
            }
            other => return Err(format!("unexpected character {other:?}")),
        }
    }
    Ok(out)
}

/// Parses an expression; the error says what is wrong.
pub fn parse(src: &str) -> Result<Expr, String> {
    let tokens = tokenize(src)?;
    let mut pos = 0;
    let mut operands = vec![operand(&tokens, &mut pos)?];
    while pos < tokens.len() {
        match tokens[pos] {
            Token::Plus => {
                pos += 1;
                operands.push(operand(&tokens, &mut pos)?);
            }
            ref t => return Err(format!("unexpected {t:?}; only + joins operands")),
        }
    }
    Ok(if operands.len() == 1 {
        operands.remove(0)
    } else {
        Expr::Concat(operands)
    })
}

fn ident(tokens: &[Token], pos: &mut usize) -> Result<String, String> {
    match tokens.get(*pos) {
        Some(Token::Ident(s)) => {
            *pos += 1;
            Ok(s.clone())
        }
        _ => Err("expected an attribute name".into()),
    }
}

fn operand(tokens: &[Token], pos: &mut usize) -> Result<Expr, String> {
    let t = tokens.get(*pos).ok_or("expected a value")?.clone();
    *pos += 1;
    match t {
        Token::Str(s) => Ok(Expr::Literal(Value::String(s))),
        Token::Num(n) => Ok(Expr::Literal(Value::Number(n))),
        Token::Ident(word) => match word.as_str() {
            "true" => Ok(Expr::Literal(Value::Bool(true))),
            "false" => Ok(Expr::Literal(Value::Bool(false))),
            "null" => Ok(Expr::Literal(Value::Null)),
            "user" => {
                if tokens.get(*pos) != Some(&Token::Dot) {
                    return Err("user must be followed by .attribute".into());
                }
                *pos += 1;
                let attr = ident(tokens, pos)?;
                let attr = match attr.as_str() {
                    "id" => UserAttr::Id,
                    "login" => UserAttr::Login,
                    "status" => UserAttr::Status,
                    "profile" => {
                        if tokens.get(*pos) != Some(&Token::Dot) {
                            return Err("user.profile must be followed by .attribute".into());
                        }
                        *pos += 1;
                        UserAttr::Profile(ident(tokens, pos)?)
                    }
                    _ => UserAttr::Profile(attr),
                };
                if let Some(Token::Dot) = tokens.get(*pos) {
                    return Err("nested attributes are not supported".into());
                }
                Ok(Expr::User(attr))
            }
            other => Err(format!(
                "unsupported variable {other:?}: only user.<attribute>, user.profile.<attribute>, user.id, user.login, user.status and literals"
            )),
        },
        Token::Dot | Token::Plus => Err("expected a value".into()),
    }
}

/// The user a token is for, as claims read them.
#[derive(Debug, Clone, Copy)]
pub struct ClaimSubject<'a> {
    pub id: &'a str,
    pub login: &'a str,
    /// Okta's user status (`ACTIVE`, …).
    pub status: &'a str,
    /// The user's profile object.
    pub profile: &'a Value,
    /// The names of the user's groups, `Everyone` included.
    pub group_names: &'a [String],
}

impl Expr {
    /// The value for `subject` (`None`: no user, as with client credentials); `None` means "leave the claim out".
    pub fn eval(&self, subject: Option<&ClaimSubject<'_>>) -> Option<Value> {
        match self {
            Expr::Literal(v) => (!v.is_null()).then(|| v.clone()),
            Expr::User(attr) => {
                let s = subject?;
                let v = match attr {
                    UserAttr::Id => Value::String(s.id.to_owned()),
                    UserAttr::Login => Value::String(s.login.to_owned()),
                    UserAttr::Status => Value::String(s.status.to_owned()),
                    UserAttr::Profile(name) => s.profile.get(name)?.clone(),
                };
                (!v.is_null()).then_some(v)
            }
            Expr::Concat(parts) => {
                let mut out = String::new();
                for p in parts {
                    match p.eval(subject) {
                        None => {}
                        Some(Value::String(s)) => out.push_str(&s),
                        Some(other) => out.push_str(&other.to_string()),
                    }
                }
                Some(Value::String(out))
            }
        }
    }
}

/// Compiles a REGEX group filter, matched against the whole group name.
fn group_regex(pattern: &str) -> Result<regex_automata::meta::Regex, String> {
    regex_automata::meta::Regex::builder()
        .configure(regex_automata::meta::Config::new().nfa_size_limit(Some(1 << 20)))
        .build(&format!("^(?:{pattern})$"))
        .map_err(|e| format!("invalid regular expression: {e}"))
}

/// What a claim create or replace sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimFields {
    pub name: String,
    pub status: LifecycleStatus,
    pub claim_type: ClaimType,
    pub value_type: ClaimValueType,
    pub value: String,
    pub always_include_in_token: bool,
    pub scopes: Vec<String>,
    pub group_filter_type: Option<GroupFilterType>,
}

/// Validates a claim body against the server's scope names: `name` (not reserved), `claimType`, `value`,
/// `valueType` (default EXPRESSION; an expression must parse), `group_filter_type` (required for, and only for,
/// GROUPS; a REGEX must compile), `conditions.scopes` (names of the server's scopes), `alwaysIncludeInToken`
/// (default true), `status` (default ACTIVE).
pub fn validate_claim(body: &Value, server_scopes: &[String]) -> Result<ClaimFields, Invalid> {
    let mut r = Reader::new(body);
    let name = r.string("name", true, NAME_MAX);
    if let Some(n) = &name {
        if RESERVED_CLAIMS.contains(&n.as_str()) {
            r.fail("name", format!("{n:?} is a reserved claim name"));
        } else if n.chars().any(char::is_whitespace) {
            r.fail("name", "must not contain whitespace");
        }
    }
    let status = r
        .one_of("status", LifecycleStatus::parse, "ACTIVE, INACTIVE")
        .unwrap_or(LifecycleStatus::Active);
    let claim_type = r.one_of("claimType", ClaimType::parse, &ClaimType::names());
    if !r.has("claimType") {
        r.fail("claimType", "is required: RESOURCE or IDENTITY");
    }
    let value_type = r
        .one_of("valueType", ClaimValueType::parse, &ClaimValueType::names())
        .unwrap_or(ClaimValueType::Expression);
    let value = r.string("value", true, VALUE_MAX);
    let group_filter_type = r.one_of(
        "group_filter_type",
        GroupFilterType::parse,
        &GroupFilterType::names(),
    );
    match (value_type, group_filter_type) {
        (ClaimValueType::Groups, None) if !r.has("group_filter_type") => r.fail(
            "group_filter_type",
            format!(
                "is required for GROUPS claims: {}",
                GroupFilterType::names()
            ),
        ),
        (ClaimValueType::Expression, Some(_)) => {
            r.fail("group_filter_type", "applies only to GROUPS claims")
        }
        _ => {}
    }
    if let Some(v) = &value {
        match value_type {
            ClaimValueType::Expression => {
                if let Err(e) = parse(v) {
                    r.fail("value", format!("unsupported expression: {e}"));
                }
            }
            ClaimValueType::Groups => {
                if group_filter_type == Some(GroupFilterType::Regex)
                    && let Err(e) = group_regex(v)
                {
                    r.fail("value", e);
                }
            }
        }
    }
    let always = r.boolean("alwaysIncludeInToken").unwrap_or(true);
    let mut conditions = r.object("conditions");
    let scopes = conditions.strings("scopes").unwrap_or_default();
    for s in &scopes {
        if !server_scopes.contains(s) {
            conditions.fail(
                "scopes",
                format!("{s:?} is not a scope of this authorization server"),
            );
        }
    }
    r.absorb(conditions);
    let fields = ClaimFields {
        name: name.unwrap_or_default(),
        status,
        claim_type: claim_type.unwrap_or(ClaimType::Resource),
        value_type,
        value: value.unwrap_or_default(),
        always_include_in_token: always,
        scopes,
        group_filter_type,
    };
    r.finish(fields)
}

/// Which token the claims are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimTarget {
    /// RESOURCE claims.
    AccessToken,
    /// IDENTITY claims; with `with_access_token`, those not `alwaysIncludeInToken` are left to userinfo.
    IdToken { with_access_token: bool },
    /// IDENTITY claims, all of them.
    Userinfo,
}

fn group_matches(filter: GroupFilterType, value: &str, name: &str) -> bool {
    match filter {
        GroupFilterType::Equals => name.eq_ignore_ascii_case(value),
        GroupFilterType::StartsWith => name.to_lowercase().starts_with(&value.to_lowercase()),
        GroupFilterType::Contains => name.to_lowercase().contains(&value.to_lowercase()),
        GroupFilterType::Regex => false,
    }
}

/// The value of one claim, `None` when it is left out.
pub fn claim_value(claim: &Claim, subject: Option<&ClaimSubject<'_>>) -> Option<Value> {
    match claim.value_type {
        ClaimValueType::Expression => parse(&claim.value).ok()?.eval(subject),
        ClaimValueType::Groups => {
            let s = subject?;
            let filter = claim.group_filter_type?;
            let regex = match filter {
                GroupFilterType::Regex => Some(group_regex(&claim.value).ok()?),
                _ => None,
            };
            let mut names: Vec<&String> = s
                .group_names
                .iter()
                .filter(|n| match &regex {
                    Some(re) => re.is_match(n.as_str()),
                    None => group_matches(filter, &claim.value, n),
                })
                .collect();
            names.sort();
            names.dedup();
            names.truncate(MAX_GROUPS);
            Some(Value::Array(
                names
                    .into_iter()
                    .map(|n| Value::String(n.clone()))
                    .collect(),
            ))
        }
    }
}

/// The custom claims a token carries: the server's ACTIVE claims of the target's type whose scope condition is
/// empty or names a granted scope, with their values for `subject` (`None` for client credentials: user
/// expressions and GROUPS claims are then left out). Reserved names are skipped whatever was stored. Claims are
/// applied in the given order; a later claim of the same name wins.
pub fn custom_claims(
    claims: &[Claim],
    granted_scopes: &[String],
    target: ClaimTarget,
    subject: Option<&ClaimSubject<'_>>,
) -> Map<String, Value> {
    let want = match target {
        ClaimTarget::AccessToken => ClaimType::Resource,
        ClaimTarget::IdToken { .. } | ClaimTarget::Userinfo => ClaimType::Identity,
    };
    let mut out = Map::new();
    for c in claims {
        if c.status != LifecycleStatus::Active
            || c.claim_type != want
            || RESERVED_CLAIMS.contains(&c.name.as_str())
        {
            continue;
        }
        if matches!(
            target,
            ClaimTarget::IdToken {
                with_access_token: true
            }
        ) && !c.always_include_in_token
        {
            continue;
        }
        if !c.scopes.is_empty() && !c.scopes.iter().any(|s| granted_scopes.contains(s)) {
            continue;
        }
        if let Some(v) = claim_value(c, subject) {
            out.insert(c.name.clone(), v);
        }
    }
    out
}

/// An app's own claims (`OAuthClient::claims`) for `target`, about `subject` (none for client credentials): a
/// `groups` claim is the user's group names; any other value an expression. Only those whose scope, if they name
/// one, is granted. They are applied after the server's, so an app's claim of the same name wins for that app.
pub fn app_claims(
    claims: &[AppClaim],
    granted_scopes: &[String],
    target: ClaimTarget,
    subject: Option<&ClaimSubject<'_>>,
) -> Map<String, Value> {
    let want = match target {
        ClaimTarget::AccessToken => ClaimIn::AccessToken,
        ClaimTarget::IdToken { .. } => ClaimIn::IdToken,
        ClaimTarget::Userinfo => ClaimIn::Userinfo,
    };
    let mut out = Map::new();
    for c in claims {
        if !c.targets.contains(&want)
            || RESERVED_CLAIMS.contains(&c.name.as_str())
            || c.scope
                .as_ref()
                .is_some_and(|s| !granted_scopes.contains(s))
        {
            continue;
        }
        let value = if c.value == "groups" {
            subject.map(|s| {
                let mut names: Vec<&String> = s.group_names.iter().collect();
                names.sort();
                names.dedup();
                names.truncate(MAX_GROUPS);
                Value::Array(
                    names
                        .into_iter()
                        .map(|n| Value::String(n.clone()))
                        .collect(),
                )
            })
        } else {
            parse(&c.value).ok().and_then(|e| e.eval(subject))
        };
        if let Some(v) = value {
            out.insert(c.name.clone(), v);
        }
    }
    out
}

/// Whether an app's own claims need the user's groups.
pub fn app_claims_need_groups(claims: &[AppClaim]) -> bool {
    claims.iter().any(|c| c.value == "groups")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use serde_json::json;

    #[test]
    fn expressions_parse_into_a_tree() {
        assert_eq!(
            parse("user.email").unwrap(),
            Expr::User(UserAttr::Profile("email".into()))
        );
        assert_eq!(
            parse(" user.profile.firstName ").unwrap(),
            Expr::User(UserAttr::Profile("firstName".into()))
        );
        assert_eq!(parse("user.id").unwrap(), Expr::User(UserAttr::Id));
        assert_eq!(
            parse("user.firstName + \" \" + user.lastName").unwrap(),
            Expr::Concat(vec![
                Expr::User(UserAttr::Profile("firstName".into())),
                Expr::Literal(json!(" ")),
                Expr::User(UserAttr::Profile("lastName".into())),
            ])
        );
        assert_eq!(parse("'it\\'s'").unwrap(), Expr::Literal(json!("it's")));
        assert_eq!(parse("42").unwrap(), Expr::Literal(json!(42)));
        for bad in [
            "",
            "appuser.name",
            "user",
            "user.",
            "user.profile",
            "user.a.b",
            "String.substringAfter(user.email, \"@\")",
            "user.email ==",
            "\"open",
            "user.email user.login",
            "+",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    fn claim(name: &str, ct: ClaimType, vt: ClaimValueType, value: &str) -> Claim {
        Claim {
            id: format!("ocl{name}"),
            auth_server_id: "aus1".into(),
            name: name.into(),
            status: LifecycleStatus::Active,
            claim_type: ct,
            value_type: vt,
            value: value.into(),
            always_include_in_token: true,
            scopes: vec![],
            group_filter_type: None,
            system: false,
            created: Utc::now(),
            last_updated: Utc::now(),
        }
    }

    #[test]
    fn claims_follow_type_scopes_status_and_the_user() {
        let profile = json!({"email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace", "age": 36, "admin": true});
        let groups = vec![
            "Everyone".to_owned(),
            "eng-core".to_owned(),
            "Eng-web".to_owned(),
            "sales".to_owned(),
        ];
        let subject = ClaimSubject {
            id: "00u1",
            login: "ada@example.com",
            status: "ACTIVE",
            profile: &profile,
            group_names: &groups,
        };
        let mut scoped = claim(
            "mail",
            ClaimType::Resource,
            ClaimValueType::Expression,
            "user.email",
        );
        scoped.scopes = vec!["email".into()];
        let mut groups_claim = claim("groups", ClaimType::Identity, ClaimValueType::Groups, "eng");
        groups_claim.group_filter_type = Some(GroupFilterType::StartsWith);
        let mut regex_claim = claim(
            "rx",
            ClaimType::Identity,
            ClaimValueType::Groups,
            "s.*|Every.+",
        );
        regex_claim.group_filter_type = Some(GroupFilterType::Regex);
        let mut inactive = claim(
            "off",
            ClaimType::Resource,
            ClaimValueType::Expression,
            "'x'",
        );
        inactive.status = LifecycleStatus::Inactive;
        let mut userinfo_only = claim(
            "full",
            ClaimType::Identity,
            ClaimValueType::Expression,
            "user.firstName + ' ' + user.lastName",
        );
        userinfo_only.always_include_in_token = false;
        let claims = vec![
            scoped,
            claim(
                "age",
                ClaimType::Resource,
                ClaimValueType::Expression,
                "user.age",
            ),
            claim(
                "missing",
                ClaimType::Resource,
                ClaimValueType::Expression,
                "user.nope",
            ),
            claim(
                "tenant",
                ClaimType::Resource,
                ClaimValueType::Expression,
                "\"acme\"",
            ),
            claim(
                "sub",
                ClaimType::Resource,
                ClaimValueType::Expression,
                "'spoof'",
            ),
            groups_claim,
            regex_claim,
            inactive,
            userinfo_only,
        ];
        let at = custom_claims(
            &claims,
            &["email".into()],
            ClaimTarget::AccessToken,
            Some(&subject),
        );
        assert_eq!(
            Value::Object(at),
            json!({"mail": "ada@example.com", "age": 36, "tenant": "acme"})
        );
        let at = custom_claims(&claims, &[], ClaimTarget::AccessToken, Some(&subject));
        assert!(!at.contains_key("mail"));
        let id = custom_claims(
            &claims,
            &[],
            ClaimTarget::IdToken {
                with_access_token: true,
            },
            Some(&subject),
        );
        assert_eq!(
            Value::Object(id),
            json!({"groups": ["Eng-web", "eng-core"], "rx": ["Everyone", "sales"]})
        );
        let ui = custom_claims(&claims, &[], ClaimTarget::Userinfo, Some(&subject));
        assert_eq!(ui["full"], "Ada Lovelace");
        // Client credentials: no user, so only literals.
        let cc = custom_claims(&claims, &[], ClaimTarget::AccessToken, None);
        assert_eq!(Value::Object(cc), json!({"tenant": "acme"}));
    }

    #[test]
    fn groups_claims_are_capped() {
        let groups: Vec<String> = (0..150).map(|i| format!("g{i:03}")).collect();
        let profile = json!({});
        let subject = ClaimSubject {
            id: "u",
            login: "l",
            status: "ACTIVE",
            profile: &profile,
            group_names: &groups,
        };
        let mut c = claim("groups", ClaimType::Resource, ClaimValueType::Groups, "g");
        c.group_filter_type = Some(GroupFilterType::StartsWith);
        let v = claim_value(&c, Some(&subject)).unwrap();
        assert_eq!(v.as_array().unwrap().len(), MAX_GROUPS);
        assert_eq!(v[0], "g000");
    }

    #[test]
    fn claim_bodies_are_validated() {
        let scopes = vec!["email".to_owned()];
        let ok = validate_claim(
            &json!({"name": "mail", "claimType": "RESOURCE", "value": "user.email", "conditions": {"scopes": ["email"]}}),
            &scopes,
        )
        .unwrap();
        assert_eq!(ok.value_type, ClaimValueType::Expression);
        assert!(ok.always_include_in_token);
        let e = validate_claim(
            &json!({"name": "sub", "claimType": "RESOURCE", "value": "appuser.x", "conditions": {"scopes": ["nope"]}}),
            &scopes,
        )
        .unwrap_err();
        assert!(
            e.names("name") && e.names("value") && e.names("conditions.scopes"),
            "{e}"
        );
        let e = validate_claim(
            &json!({"name": "g", "claimType": "IDENTITY", "valueType": "GROUPS", "value": "x"}),
            &scopes,
        )
        .unwrap_err();
        assert!(e.names("group_filter_type"));
        let e = validate_claim(
            &json!({"name": "g", "claimType": "IDENTITY", "valueType": "GROUPS", "value": "(", "group_filter_type": "REGEX"}),
            &scopes,
        )
        .unwrap_err();
        assert!(e.names("value"));
        let e = validate_claim(&json!({"name": "x", "value": "'a'"}), &scopes).unwrap_err();
        assert!(e.names("claimType"));
    }

    #[test]
    fn an_app_s_own_claims_follow_its_targets_and_scope() {
        let profile = serde_json::json!({"department": "R&D"});
        let names = vec!["eng".to_owned(), "admins".to_owned(), "eng".to_owned()];
        let subject = ClaimSubject {
            id: "00u1",
            login: "ada@example.com",
            status: "ACTIVE",
            profile: &profile,
            group_names: &names,
        };
        let claims = vec![
            AppClaim {
                name: "groups".into(),
                value: "groups".into(),
                targets: vec![ClaimIn::IdToken, ClaimIn::Userinfo],
                scope: None,
            },
            AppClaim {
                name: "dept".into(),
                value: "user.profile.department".into(),
                targets: vec![ClaimIn::AccessToken],
                scope: Some("profile".into()),
            },
            AppClaim {
                name: "sub".into(),
                value: "'forged'".into(),
                targets: vec![ClaimIn::IdToken],
                scope: None,
            },
        ];
        let id = app_claims(
            &claims,
            &[],
            ClaimTarget::IdToken {
                with_access_token: true,
            },
            Some(&subject),
        );
        assert_eq!(
            id.get("groups"),
            Some(&serde_json::json!(["admins", "eng"]))
        );
        assert!(
            !id.contains_key("dept") && !id.contains_key("sub"),
            "{id:?}"
        );
        let at = app_claims(&claims, &[], ClaimTarget::AccessToken, Some(&subject));
        assert!(at.is_empty(), "the scope was not granted: {at:?}");
        let at = app_claims(
            &claims,
            &["profile".into()],
            ClaimTarget::AccessToken,
            Some(&subject),
        );
        assert_eq!(at.get("dept"), Some(&serde_json::json!("R&D")));
        assert!(app_claims_need_groups(&claims));
        assert!(app_claims(&claims, &[], ClaimTarget::Userinfo, None).is_empty());
    }
}
