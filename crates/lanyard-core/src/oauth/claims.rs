//! Standard claims (OIDC Core §5.1, §5.4) from a user's profile, as Okta maps them: `profile` → names, locale,
//! `preferred_username` = the login; `email`; `address` from the street fields; `phone` = `mobilePhone`. And the
//! `claims` request parameter (§5.5), which asks for standard claims by name, for the ID token or for userinfo.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::model::{ClaimRequest, ClaimsRequest, User};
use crate::oauth_error::{ErrorCode, OAuthError};

/// The scopes whose claims a `claims` request may ask for one by one.
const CLAIM_SCOPES: [&str; 4] = ["profile", "email", "address", "phone"];

fn put(out: &mut Map<String, Value>, claim: &str, value: Option<&str>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        out.insert(claim.to_owned(), json!(v));
    }
}

/// The claims the granted `scopes` release about `user`.
pub fn user_claims(user: &User, scopes: &[String]) -> Map<String, Value> {
    let mut out = Map::new();
    let has = |s: &str| scopes.iter().any(|x| x == s);
    if has("profile") {
        let first = user.attr("firstName");
        let last = user.attr("lastName");
        let full = user.full_name();
        let name = user
            .attr("displayName")
            .map(str::to_owned)
            .or_else(|| (!full.is_empty()).then_some(full));
        put(&mut out, "name", name.as_deref());
        put(&mut out, "given_name", first);
        put(&mut out, "family_name", last);
        put(&mut out, "middle_name", user.attr("middleName"));
        put(&mut out, "nickname", user.attr("nickName"));
        out.insert("preferred_username".into(), json!(user.login));
        put(&mut out, "profile", user.attr("profileUrl"));
        put(&mut out, "website", user.attr("website"));
        put(&mut out, "zoneinfo", user.attr("timezone"));
        put(&mut out, "locale", user.attr("locale"));
        out.insert("updated_at".into(), json!(user.last_updated.timestamp()));
    }
    if has("email")
        && let Some(email) = user.attr("email")
    {
        out.insert("email".into(), json!(email));
        out.insert("email_verified".into(), json!(true));
    }
    if has("phone") {
        put(&mut out, "phone_number", user.attr("mobilePhone"));
    }
    if has("address") {
        let mut addr = Map::new();
        put(&mut addr, "street_address", user.attr("streetAddress"));
        put(&mut addr, "locality", user.attr("city"));
        put(&mut addr, "region", user.attr("state"));
        put(&mut addr, "postal_code", user.attr("zipCode"));
        put(&mut addr, "country", user.attr("countryCode"));
        if !addr.is_empty() {
            out.insert("address".into(), Value::Object(addr));
        }
    }
    out
}

/// The claims released about `user`: those of the granted `scopes`, plus the standard claims `requested` by name
/// through the `claims` parameter for this destination (the ID token or userinfo). A requested claim the user has
/// no value for is left out (§5.5.1: essential claims are still not an error).
pub fn released_claims(
    user: &User,
    scopes: &[String],
    requested: Option<&BTreeMap<String, ClaimRequest>>,
) -> Map<String, Value> {
    let mut out = user_claims(user, scopes);
    if let Some(requested) = requested.filter(|r| !r.is_empty()) {
        let all: Vec<String> = CLAIM_SCOPES.iter().map(|s| (*s).to_owned()).collect();
        let available = user_claims(user, &all);
        for name in requested.keys() {
            if let Some(v) = available.get(name) {
                out.entry(name.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    out
}

fn invalid_claims(detail: impl Into<String>) -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidRequest,
        "The 'claims' parameter must be a JSON object with 'id_token' and 'userinfo' members (OIDC Core 5.5).",
    )
    .with_detail(detail.into())
}

/// Parses the `claims` request parameter (OIDC Core §5.5): a JSON object whose `id_token` and `userinfo` members
/// map claim names to `null` or to `{essential, value, values}`. Other members are ignored, as §5.5 asks.
pub fn parse_claims_request(raw: &str) -> Result<ClaimsRequest, OAuthError> {
    let v: Value = serde_json::from_str(raw).map_err(|e| invalid_claims(e.to_string()))?;
    let Value::Object(top) = v else {
        return Err(invalid_claims("not an object"));
    };
    let member = |name: &str| -> Result<BTreeMap<String, ClaimRequest>, OAuthError> {
        let mut out = BTreeMap::new();
        match top.get(name) {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (claim, spec) in m {
                    let req = match spec {
                        Value::Null => ClaimRequest::default(),
                        Value::Object(o) => {
                            let essential = match o.get("essential") {
                                None | Some(Value::Null) => false,
                                Some(Value::Bool(b)) => *b,
                                Some(_) => {
                                    return Err(invalid_claims(format!(
                                        "{name}.{claim}.essential is not a boolean"
                                    )));
                                }
                            };
                            let values = match o.get("values") {
                                None | Some(Value::Null) => None,
                                Some(Value::Array(a)) => Some(a.clone()),
                                Some(_) => {
                                    return Err(invalid_claims(format!(
                                        "{name}.{claim}.values is not an array"
                                    )));
                                }
                            };
                            ClaimRequest {
                                essential,
                                value: o.get("value").filter(|v| !v.is_null()).cloned(),
                                values,
                            }
                        }
                        _ => {
                            return Err(invalid_claims(format!(
                                "{name}.{claim} is neither null nor an object"
                            )));
                        }
                    };
                    out.insert(claim.clone(), req);
                }
            }
            Some(_) => return Err(invalid_claims(format!("{name} is not an object"))),
        }
        Ok(out)
    };
    Ok(ClaimsRequest {
        id_token: member("id_token")?,
        userinfo: member("userinfo")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ada() -> User {
        let now = crate::clock::from_millis(1_700_000_000_000);
        User {
            id: "00u1".into(),
            status: crate::model::UserStatus::Active,
            login: "ada@example.com".into(),
            profile: json!({"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
                "mobilePhone": "+44 1", "city": "London", "countryCode": "GB", "locale": "en_GB"})
            .as_object()
            .unwrap()
            .clone(),
            created: now,
            activated: None,
            status_changed: None,
            last_login: None,
            last_updated: now,
            password_changed: None,
        }
    }

    #[test]
    fn scopes_release_their_claims_only() {
        let c = user_claims(&ada(), &["openid".into()]);
        assert!(c.is_empty());
        let c = user_claims(
            &ada(),
            &[
                "profile".into(),
                "email".into(),
                "phone".into(),
                "address".into(),
            ],
        );
        assert_eq!(c["name"], "Ada Lovelace");
        assert_eq!(c["preferred_username"], "ada@example.com");
        assert_eq!(c["updated_at"], 1_700_000_000);
        assert_eq!(c["email_verified"], true);
        assert_eq!(c["phone_number"], "+44 1");
        assert_eq!(c["address"], json!({"locality": "London", "country": "GB"}));
        assert_eq!(c["locale"], "en_GB");
    }

    #[test]
    fn the_claims_parameter_is_parsed_strictly_and_releases_claims_by_name() {
        let r = parse_claims_request(
            r#"{"userinfo": {"name": {"essential": true}, "email": null, "nickname": null},
                "id_token": {"acr": {"values": ["urn:okta:loa:2fa:any", 2]}, "sub": {"value": "00u1"}},
                "other": 1}"#,
        )
        .unwrap();
        assert!(r.userinfo["name"].essential);
        assert_eq!(r.userinfo["email"], ClaimRequest::default());
        assert_eq!(r.id_token["acr"].wanted(), vec!["urn:okta:loa:2fa:any"]);
        assert_eq!(r.id_token["sub"].wanted(), vec!["00u1"]);
        for bad in [
            "[]",
            "not json",
            r#"{"userinfo": []}"#,
            r#"{"userinfo": {"name": 1}}"#,
            r#"{"userinfo": {"name": {"essential": "yes"}}}"#,
            r#"{"id_token": {"acr": {"values": "x"}}}"#,
        ] {
            assert_eq!(
                parse_claims_request(bad).unwrap_err().code,
                ErrorCode::InvalidRequest,
                "{bad}"
            );
        }
        // Only openid granted: the named claims the user has, nothing else.
        let c = released_claims(&ada(), &["openid".into()], Some(&r.userinfo));
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(c["name"], "Ada Lovelace");
        assert_eq!(c["email"], "ada@example.com");
        assert!(released_claims(&ada(), &["openid".into()], None).is_empty());
        // Unknown and absent claims are left out.
        let mut odd = BTreeMap::new();
        odd.insert("shoe_size".to_owned(), ClaimRequest::default());
        odd.insert("website".to_owned(), ClaimRequest::default());
        assert!(released_claims(&ada(), &["openid".into()], Some(&odd)).is_empty());
    }
}
