//! Authentication context classes (OIDC Core §2 `acr`, §3.1.2.1 `acr_values`) in Okta's `urn:okta:loa:…` form:
//! which class a sign-in satisfied, from its `amr`. A request's `acr_values` (or an `acr` claim request) names the
//! classes the client prefers; the ID token names the first of them the sign-in satisfied, else the strongest class
//! it satisfied.
//!
//! A request whose known classes the session satisfies none of is a step-up ([`requirement`]): a second factor
//! the user proves in the session, which then satisfies `urn:okta:loa:2fa:any`. Classes Lanyard does not know are
//! ignored (`acr_values` is a voluntary request, OIDC Core §3.1.2.1), unless an essential `acr` claim request
//! names only such classes: that cannot be met (§5.5.1.1).

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

/// What a request's classes ask of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// The session satisfies one of the classes asked, or nothing enforceable was asked.
    Met,
    /// Only a second factor would satisfy a class asked.
    StepUp,
    /// An essential `acr` request no sign-in here can meet (OIDC Core §5.5.1.1: a failed authentication).
    Unmet,
}

/// What `wanted` (the request's classes in order; `essential` when from an essential `acr` claim request) asks of
/// a session signed in with `amr`.
pub fn requirement(wanted: &[&str], essential: bool, amr: &[String]) -> Requirement {
    let known: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|w| SUPPORTED.contains(w))
        .collect();
    if known.iter().any(|k| satisfies(k, amr)) {
        Requirement::Met
    } else if known.contains(&LOA_2FA_ANY) {
        Requirement::StepUp
    } else if essential && !wanted.is_empty() {
        Requirement::Unmet
    } else {
        Requirement::Met
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

    #[test]
    fn only_known_classes_none_of_which_the_session_satisfies_ask_for_a_step_up() {
        let pwd = amr(&["pwd"]);
        let mfa = amr(&["pwd", "otp", "mfa"]);
        use Requirement::*;
        assert_eq!(requirement(&[], false, &pwd), Met);
        assert_eq!(requirement(&[LOA_2FA_ANY], false, &pwd), StepUp);
        assert_eq!(requirement(&[LOA_2FA_ANY], true, &pwd), StepUp);
        assert_eq!(requirement(&["1", LOA_2FA_ANY], false, &pwd), StepUp);
        assert_eq!(requirement(&[LOA_2FA_ANY], false, &mfa), Met);
        assert_eq!(
            requirement(&[LOA_2FA_ANY], false, &amr(&["pwd", "hwk"])),
            Met
        );
        // One class the session satisfies is enough.
        assert_eq!(requirement(&[LOA_2FA_ANY, LOA_1FA_PWD], false, &pwd), Met);
        // Unknown classes are voluntary, unless essential.
        assert_eq!(requirement(&["1", "2"], false, &pwd), Met);
        assert_eq!(requirement(&["1", "2"], true, &pwd), Unmet);
        assert_eq!(requirement(&[LOA_1FA_PWD], true, &amr(&["hwk"])), Unmet);
        assert_eq!(requirement(&[LOA_1FA_PWD], false, &amr(&["hwk"])), Met);
    }
}
