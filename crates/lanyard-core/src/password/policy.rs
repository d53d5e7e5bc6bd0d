//! Okta-style password policy: length, character classes, no username or name, history.
//!
//! **One combined cause, as Okta answers.** [`PasswordPolicy::check`] returns no cause when the password is
//! acceptable, and otherwise exactly one, naming the whole policy rather than the rules missed:
//!
//! ```text
//! password: Password requirements were not met. Password requirements: at least 8 characters, a lowercase
//! letter, an uppercase letter, a number, no parts of your username, does not include your first name, does not
//! include your last name. Your password cannot be any of your last 4 passwords.
//! ```
//!
//! This is Okta's wording (`errorCauses[].errorSummary` of an `E0000001` answer), so clients written for Okta show
//! what they already show; it also tells someone choosing a password everything at once instead of one rule per
//! attempt. The maximum length is not part of Okta's list: it is added to the list only for a password that
//! exceeds it. History is checked separately, by [`PasswordPolicy::reused`], since it needs the stored hashes;
//! Okta's cause for it is [`REUSED_CAUSE`].
//!
//! Lengths count characters (Unicode scalar values), not bytes; "a lowercase letter", "an uppercase letter" and "a
//! number" follow Unicode's categories; a symbol is any character that is none of these, nor whitespace or a
//! control character. Names and usernames are compared case-insensitively (Unicode lowercase).

use crate::password::hash::{self, Params};

/// The cause when [`PasswordPolicy::reused`] is true, in Okta's words.
pub const REUSED_CAUSE: &str = "password: Password has been used too recently";

/// What a password must be. `Default` is Okta's default policy, plus a 256-character maximum that bounds the
/// cost of hashing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// In characters. `0` for none.
    pub min_length: usize,
    /// In characters; longer passwords are refused.
    pub max_length: usize,
    pub require_lowercase: bool,
    pub require_uppercase: bool,
    pub require_number: bool,
    pub require_symbol: bool,
    /// Contains neither the login nor, when of 3 characters or more, the part of it before its last `@`.
    pub exclude_username: bool,
    /// Contains no part (3 characters or more, split at anything not a letter or digit) of the first or last name.
    pub exclude_attributes: bool,
    /// How many of the most recent passwords (the current one included) a new one must differ from; `0` for none.
    pub history_count: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_length: 8,
            max_length: 256,
            require_lowercase: true,
            require_uppercase: true,
            require_number: true,
            require_symbol: false,
            exclude_username: true,
            exclude_attributes: true,
            history_count: 4,
        }
    }
}

/// The user a password is for.
#[derive(Clone, Copy, Debug, Default)]
pub struct PolicyContext<'a> {
    pub login: &'a str,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
}

/// Usernames and name parts shorter than this are not looked for: they would refuse too many passwords.
const MIN_EXCLUDED_CHARS: usize = 3;

impl PasswordPolicy {
    /// The causes `password` is refused for: none when acceptable, else one (see the module doc). History is not
    /// checked here: see [`PasswordPolicy::reused`].
    pub fn check(&self, password: &str, ctx: &PolicyContext) -> Vec<String> {
        let length = password.chars().count();
        let too_long = length > self.max_length;
        // A refused overlong password is not looked at further.
        if !too_long && self.meets_all(password, length, ctx) {
            return Vec::new();
        }
        let mut list = self.requirement_list();
        if too_long {
            list.push(format!("at most {}", characters(self.max_length)));
        }
        vec![format!(
            "password: Password requirements were not met. Password requirements: {}",
            self.sentences(&list)
        )]
    }

    /// The requirements as the sign-in page shows them, after "Password requirements: ", e.g. `at least 8
    /// characters, a lowercase letter, an uppercase letter, a number, no parts of your username, does not include
    /// your first name, does not include your last name. Your password cannot be any of your last 4 passwords.`
    /// Empty for a policy requiring nothing.
    pub fn requirements(&self) -> String {
        self.sentences(&self.requirement_list())
    }

    /// Whether `password` matches one of the `history_count` first of `previous_hashes`, which are PHC strings,
    /// most recent first (the current password's hash first). Malformed entries match nothing. `params` are the
    /// current hashing parameters (only the stored ones matter for matching). Costs a hash verification per
    /// entry checked: run it where [`hash::verify`] may run.
    pub fn reused(&self, password: &str, previous_hashes: &[String], params: &Params) -> bool {
        previous_hashes
            .iter()
            .take(self.history_count)
            .any(|phc| hash::verify(password, phc, params).is_ok_and(|verified| verified.ok))
    }

    fn meets_all(&self, password: &str, length: usize, ctx: &PolicyContext) -> bool {
        let has = |class: fn(char) -> bool| password.chars().any(class);
        if length < self.min_length
            || (self.require_lowercase && !has(char::is_lowercase))
            || (self.require_uppercase && !has(char::is_uppercase))
            || (self.require_number && !has(char::is_numeric))
            || (self.require_symbol && !has(is_symbol))
        {
            return false;
        }
        if !self.exclude_username && !self.exclude_attributes {
            return true;
        }
        let lowered = password.to_lowercase();
        if self.exclude_username && contains_username(&lowered, ctx.login) {
            return false;
        }
        if self.exclude_attributes
            && [ctx.first_name, ctx.last_name]
                .into_iter()
                .flatten()
                .any(|name| contains_name_part(&lowered, name))
        {
            return false;
        }
        true
    }

    fn requirement_list(&self) -> Vec<String> {
        let mut list = Vec::new();
        if self.min_length > 0 {
            list.push(format!("at least {}", characters(self.min_length)));
        }
        let rules = [
            (self.require_lowercase, "a lowercase letter"),
            (self.require_uppercase, "an uppercase letter"),
            (self.require_number, "a number"),
            (self.require_symbol, "a symbol"),
            (self.exclude_username, "no parts of your username"),
            (self.exclude_attributes, "does not include your first name"),
            (self.exclude_attributes, "does not include your last name"),
        ];
        list.extend(
            rules
                .into_iter()
                .filter(|(on, _)| *on)
                .map(|(_, text)| text.to_owned()),
        );
        list
    }

    /// The list as a sentence, then history's sentence.
    fn sentences(&self, list: &[String]) -> String {
        let mut text = String::new();
        if !list.is_empty() {
            text.push_str(&list.join(", "));
            text.push('.');
        }
        let history = match self.history_count {
            0 => None,
            1 => Some("Your password cannot be your last password.".to_owned()),
            n => Some(format!(
                "Your password cannot be any of your last {n} passwords."
            )),
        };
        if let Some(history) = history {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&history);
        }
        text
    }
}

fn characters(n: usize) -> String {
    if n == 1 {
        "1 character".to_owned()
    } else {
        format!("{n} characters")
    }
}

fn is_symbol(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace() && !c.is_control()
}

fn long_enough(part: &str) -> bool {
    part.chars().count() >= MIN_EXCLUDED_CHARS
}

/// `lowered` (a lowercased password) contains the login, or the part of it before its last `@`.
fn contains_username(lowered: &str, login: &str) -> bool {
    let login = login.to_lowercase();
    let local = login.rsplit_once('@').map(|(local, _)| local);
    [Some(login.as_str()), local]
        .into_iter()
        .flatten()
        .any(|part| long_enough(part) && lowered.contains(part))
}

/// `lowered` (a lowercased password) contains a part of 3 characters or more of `name`.
fn contains_name_part(lowered: &str, name: &str) -> bool {
    name.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .any(|part| long_enough(part) && lowered.contains(part))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SystemRandom;

    const GOOD: &str = "Correct7horse";

    fn ctx() -> PolicyContext<'static> {
        PolicyContext {
            login: "isaac.brock@example.com",
            first_name: Some("Isaac"),
            last_name: Some("Brock"),
        }
    }

    /// A policy with every rule off, to test one at a time.
    fn nothing() -> PasswordPolicy {
        PasswordPolicy {
            min_length: 0,
            max_length: usize::MAX,
            require_lowercase: false,
            require_uppercase: false,
            require_number: false,
            require_symbol: false,
            exclude_username: false,
            exclude_attributes: false,
            history_count: 0,
        }
    }

    fn accepts(policy: &PasswordPolicy, password: &str) -> bool {
        policy.check(password, &ctx()).is_empty()
    }

    #[test]
    fn default_is_oktas() {
        let policy = PasswordPolicy::default();
        assert_eq!(
            (policy.min_length, policy.max_length, policy.history_count),
            (8, 256, 4)
        );
        assert!(accepts(&policy, GOOD));
        assert_eq!(
            policy.requirements(),
            "at least 8 characters, a lowercase letter, an uppercase letter, a number, no parts of your \
             username, does not include your first name, does not include your last name. Your password cannot \
             be any of your last 4 passwords."
        );
    }

    #[test]
    fn one_combined_cause_in_oktas_words() {
        let policy = PasswordPolicy::default();
        let causes = policy.check("short", &ctx());
        assert_eq!(
            causes,
            [
                "password: Password requirements were not met. Password requirements: at least 8 characters, a \
              lowercase letter, an uppercase letter, a number, no parts of your username, does not include your \
              first name, does not include your last name. Your password cannot be any of your last 4 \
              passwords."
            ]
        );
        // However many rules are missed.
        assert_eq!(policy.check("", &ctx()), causes);
        assert_eq!(policy.check("isaacbrock", &ctx()), causes);
    }

    #[test]
    fn min_length() {
        let policy = PasswordPolicy {
            min_length: 8,
            ..nothing()
        };
        assert!(accepts(&policy, "12345678"));
        assert!(!accepts(&policy, "1234567"));
        assert!(!accepts(&policy, ""));
        // Characters, not bytes: seven characters, fourteen bytes.
        assert!(!accepts(&policy, "ééééééé"));
        assert!(accepts(&policy, "éééééééé"));
        assert_eq!(policy.requirements(), "at least 8 characters.");
        let one = PasswordPolicy {
            min_length: 1,
            ..nothing()
        };
        assert_eq!(one.requirements(), "at least 1 character.");
    }

    #[test]
    fn max_length() {
        let policy = PasswordPolicy::default();
        let longest = format!("Aa1{}", "x".repeat(253));
        assert!(accepts(&policy, &longest));
        let too_long = format!("{longest}x");
        let causes = policy.check(&too_long, &ctx());
        assert_eq!(causes.len(), 1);
        assert!(
            causes[0].ends_with(
                "does not include your last name, at most 256 characters. Your password cannot be any of your \
                 last 4 passwords."
            ),
            "{}",
            causes[0]
        );
        // The maximum is not in the list shown beforehand, as in Okta's.
        assert!(!policy.requirements().contains("256"));
        // Characters, not bytes.
        let wide = format!("Aa1{}", "é".repeat(253));
        assert!(accepts(&policy, &wide));
    }

    #[test]
    fn lowercase() {
        let policy = PasswordPolicy {
            require_lowercase: true,
            ..nothing()
        };
        assert!(accepts(&policy, "ABCd"));
        assert!(accepts(&policy, "ÀÉß"));
        assert!(!accepts(&policy, "ABC123!"));
        assert_eq!(policy.requirements(), "a lowercase letter.");
    }

    #[test]
    fn uppercase() {
        let policy = PasswordPolicy {
            require_uppercase: true,
            ..nothing()
        };
        assert!(accepts(&policy, "abcD"));
        assert!(accepts(&policy, "àÉ"));
        assert!(!accepts(&policy, "abc123!"));
        assert_eq!(policy.requirements(), "an uppercase letter.");
    }

    #[test]
    fn number() {
        let policy = PasswordPolicy {
            require_number: true,
            ..nothing()
        };
        assert!(accepts(&policy, "abc9"));
        assert!(!accepts(&policy, "abc!"));
        assert_eq!(policy.requirements(), "a number.");
    }

    #[test]
    fn symbol() {
        let policy = PasswordPolicy {
            require_symbol: true,
            ..nothing()
        };
        for password in ["abc!", "a-b", "x_y", "€uro", "a~"] {
            assert!(accepts(&policy, password), "{password}");
        }
        for password in ["abc123", "with space", "tab\there", "ÀÉß"] {
            assert!(!accepts(&policy, password), "{password}");
        }
        assert_eq!(policy.requirements(), "a symbol.");
    }

    #[test]
    fn username() {
        let policy = PasswordPolicy {
            exclude_username: true,
            ..nothing()
        };
        for password in [
            "xisaac.brock@example.comx",
            "ISAAC.BROCK@EXAMPLE.COM",
            "1Isaac.Brock!",
            "isaac.brock",
        ] {
            assert!(!accepts(&policy, password), "{password}");
        }
        // Other parts of the login are allowed by this rule (first and last names are the next rule's).
        for password in ["isaac-brock", "example.com", "brock2024"] {
            assert!(accepts(&policy, password), "{password}");
        }
        assert_eq!(policy.requirements(), "no parts of your username.");
    }

    #[test]
    fn username_edges() {
        let policy = PasswordPolicy {
            exclude_username: true,
            ..nothing()
        };
        let check = |login: &str, password: &str| {
            let ctx = PolicyContext {
                login,
                ..PolicyContext::default()
            };
            policy.check(password, &ctx).is_empty()
        };
        // A local part under 3 characters is not looked for; the whole login still is.
        assert!(check("jo@example.com", "jo-jo-jo"));
        assert!(!check("jo@example.com", "xJO@Example.comx"));
        assert!(!check("joe@example.com", "hey-joe"));
        // A login without `@`, and logins under 3 characters.
        assert!(!check("isaac", "Isaac-123"));
        assert!(check("ib", "ib-ib-ib"));
        assert!(check("", "anything"));
        // The last `@` ends the local part.
        assert!(!check("\"a@b\"@example.com", "x\"a@b\"x"));
    }

    #[test]
    fn first_and_last_names() {
        let policy = PasswordPolicy {
            exclude_attributes: true,
            ..nothing()
        };
        for password in ["myisaac", "ISAAC", "BrOcK-9", "xbrockx"] {
            assert!(!accepts(&policy, password), "{password}");
        }
        assert!(accepts(&policy, "isaa-broc"));
        assert_eq!(
            policy.requirements(),
            "does not include your first name, does not include your last name."
        );
        let check = |first: Option<&str>, last: Option<&str>, password: &str| {
            let ctx = PolicyContext {
                login: "someone@example.com",
                first_name: first,
                last_name: last,
            };
            policy.check(password, &ctx).is_empty()
        };
        // Parts of 3 characters or more, split at anything not a letter or digit.
        assert!(!check(Some("Jean-Luc"), None, "LUC12345"));
        assert!(!check(Some("Mary Ann"), None, "x-mary-x"));
        assert!(!check(None, Some("O'Brien"), "brien!"));
        assert!(check(None, Some("O'Brien"), "o-o-o"));
        // Short names are not looked for.
        assert!(check(Some("Li"), Some("Wu"), "li-wu-li-wu"));
        // Absent names exclude nothing.
        assert!(check(None, None, "isaac-brock"));
        // Case-insensitive beyond ASCII.
        assert!(!check(Some("Ólafur"), None, "ÓLAFUR1"));
    }

    #[test]
    fn names_rules_off() {
        let policy = PasswordPolicy {
            exclude_username: false,
            exclude_attributes: false,
            ..PasswordPolicy::default()
        };
        assert!(accepts(&policy, "Isaac.Brock1"));
        assert!(
            !policy.requirements().contains("username") && !policy.requirements().contains("name")
        );
    }

    #[test]
    fn history_sentence() {
        let mut policy = nothing();
        assert_eq!(policy.requirements(), "");
        assert!(accepts(&policy, ""));
        policy.history_count = 1;
        assert_eq!(
            policy.requirements(),
            "Your password cannot be your last password."
        );
        policy.history_count = 24;
        policy.min_length = 12;
        assert_eq!(
            policy.requirements(),
            "at least 12 characters. Your password cannot be any of your last 24 passwords."
        );
    }

    #[test]
    fn every_rule_together() {
        let policy = PasswordPolicy {
            require_symbol: true,
            ..PasswordPolicy::default()
        };
        assert!(accepts(&policy, "Correct7horse!"));
        for password in [
            "Correct7horse",
            "correct7horse!",
            "CORRECT7HORSE!",
            "Correcthorse!",
            "Co7rse!",
            "Isaac.brock7!",
            "Isaac7horse!",
            "Correct7brock!",
        ] {
            assert_eq!(policy.check(password, &ctx()).len(), 1, "{password}");
        }
    }

    #[test]
    fn misconfigured_policy_refuses_without_panicking() {
        let policy = PasswordPolicy {
            min_length: 10,
            max_length: 5,
            ..PasswordPolicy::default()
        };
        assert_eq!(policy.check(GOOD, &ctx()).len(), 1);
        assert_eq!(policy.check("Ab1", &ctx()).len(), 1);
    }

    #[test]
    fn history() {
        let params = Params::new(64, 1, 1).unwrap();
        let phc = |password: &str| hash::hash(password, &params, &SystemRandom).unwrap();
        // Most recent first.
        let previous = vec![
            phc("Fifth5th"),
            "not a hash".to_owned(),
            phc("Third3rd"),
            phc("Second2nd"),
            phc("First1st"),
        ];
        let policy = PasswordPolicy::default();
        assert!(policy.reused("Fifth5th", &previous, &params));
        assert!(policy.reused("Third3rd", &previous, &params));
        assert!(policy.reused("Second2nd", &previous, &params));
        // The fifth most recent is beyond a history of 4.
        assert!(!policy.reused("First1st", &previous, &params));
        assert!(!policy.reused("Sixth6th", &previous, &params));
        assert!(!policy.reused("fifth5th", &previous, &params));
        let none = PasswordPolicy {
            history_count: 0,
            ..PasswordPolicy::default()
        };
        assert!(!none.reused("Fifth5th", &previous, &params));
        assert!(!policy.reused("Fifth5th", &[], &params));
        // Hashes made with other parameters still match.
        let other = Params::new(128, 2, 1).unwrap();
        assert!(policy.reused("Third3rd", &previous, &other));
        assert_eq!(
            REUSED_CAUSE,
            "password: Password has been used too recently"
        );
    }
}
