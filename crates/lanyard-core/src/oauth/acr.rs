//! Authentication context classes (OIDC Core §2 `acr`, §3.1.2.1 `acr_values`) in Okta's `urn:okta:loa:…` form:
//! which class a sign-in satisfied, from its `amr`. A request's `acr_values` (or an `acr` claim request) names the
//! classes the client prefers; the ID token names the first of them the sign-in satisfied, else the strongest class
//! it satisfied. Lanyard does not step a session up to satisfy a class it does not: the client reads `acr`.

/// Any single factor.
pub const LOA_1FA_ANY: &str = "urn:okta:loa:1fa:any";
/// A password.
pub const LOA_1FA_PWD: &str = "urn:okta:loa:1fa:pwd";
/// Two factors (a password and a TOTP code or a passkey).
pub const LOA_2FA_ANY: &str = "urn:okta:loa:2fa:any";

/// The classes Lanyard names (discovery's `acr_values_supported`).
pub const SUPPORTED: [&str; 3] = [LOA_1FA_ANY, LOA_1FA_PWD, LOA_2FA_ANY];

fn two_factors(amr: &[String]) -> bool {
    let has = |m: &str| amr.iter().any(|a| a == m);
    has("mfa") || (has("pwd") && (has("otp") || has("hwk") || has("swk")))
}

/// Whether a sign-in with `amr` satisfies `class`.
pub fn satisfies(class: &str, amr: &[String]) -> bool {
    match class {
        LOA_1FA_ANY => !amr.is_empty(),
        LOA_1FA_PWD => amr.iter().any(|a| a == "pwd"),
        LOA_2FA_ANY => two_factors(amr),
        _ => false,
    }
}

/// The `acr` of a sign-in with `amr` for a request that prefers `wanted` (in order).
pub fn acr_for(amr: &[String], wanted: &[&str]) -> String {
    if let Some(w) = wanted.iter().find(|w| satisfies(w, amr)) {
        return (*w).to_owned();
    }
    let strongest = if two_factors(amr) {
        LOA_2FA_ANY
    } else if satisfies(LOA_1FA_PWD, amr) {
        LOA_1FA_PWD
    } else {
        LOA_1FA_ANY
    };
    strongest.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amr(m: &[&str]) -> Vec<String> {
        m.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_first_wanted_class_satisfied_else_the_strongest() {
        let pwd = amr(&["pwd"]);
        let mfa = amr(&["pwd", "otp", "mfa"]);
        assert_eq!(acr_for(&pwd, &[]), LOA_1FA_PWD);
        assert_eq!(acr_for(&mfa, &[]), LOA_2FA_ANY);
        assert_eq!(acr_for(&amr(&["pwd", "hwk"]), &[]), LOA_2FA_ANY);
        assert_eq!(acr_for(&pwd, &[LOA_1FA_ANY, LOA_1FA_PWD]), LOA_1FA_ANY);
        assert_eq!(acr_for(&mfa, &[LOA_1FA_PWD, LOA_2FA_ANY]), LOA_1FA_PWD);
        // Unknown or unsatisfied classes: what the sign-in achieved.
        assert_eq!(acr_for(&pwd, &["1", "2"]), LOA_1FA_PWD);
        assert_eq!(acr_for(&pwd, &[LOA_2FA_ANY]), LOA_1FA_PWD);
        assert!(!satisfies(LOA_1FA_ANY, &[]));
    }
}
