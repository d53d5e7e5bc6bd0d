//! Standard claims (OIDC Core §5.1, §5.4) from a user's profile, as Okta maps them: `profile` → names, locale,
//! `preferred_username` = the login; `email`; `address` from the street fields; `phone` = `mobilePhone`.

use serde_json::{Map, Value, json};

use crate::model::User;

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
}
