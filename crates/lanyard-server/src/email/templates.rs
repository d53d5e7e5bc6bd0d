//! The notices Lanyard sends: activation, password reset and lockout, each as plain text and as a small HTML page.
//!
//! Every interpolated value goes through [`escape_html`] in the HTML version; links are only made of `http(s)` URLs.
//! Subjects and display names are kept to one line (see [`super::Email`]), so no value can add a header.

use std::fmt::Write as _;

use super::Email;

/// The email asking a new user to activate their account (and choose a password) at `url`.
pub fn activation(org_name: &str, user_display: &str, to: &str, url: &str) -> Email {
    let subject = format!("Activate your {org_name} account");
    let greeting = greeting(user_display);
    let text = format!(
        "{greeting}\n\
         \n\
         An account has been created for you at {org_name}.\n\
         To activate it, open this link:\n\
         \n\
         {url}\n\
         \n\
         If you were not expecting this message, you can ignore it.\n\
         \n\
         -- \n\
         {org_name}\n"
    );
    let html = page(
        &subject,
        &[
            Block::Para(escape_html(&greeting)),
            Block::Para(format!(
                "An account has been created for you at {}. To activate it, use the button below.",
                escape_html(org_name)
            )),
            Block::Button(url, "Activate your account"),
            Block::Fallback(url),
            Block::Para("If you were not expecting this message, you can ignore it.".into()),
        ],
        org_name,
    );
    email(to, user_display, subject, text, html)
}

/// The email carrying a password reset link, valid for `valid_for_minutes`.
pub fn password_reset(
    org_name: &str,
    user_display: &str,
    to: &str,
    url: &str,
    valid_for_minutes: u32,
) -> Email {
    let subject = format!("Reset your {org_name} password");
    let greeting = greeting(user_display);
    let valid = duration_words(valid_for_minutes);
    let text = format!(
        "{greeting}\n\
         \n\
         A password reset was requested for your {org_name} account.\n\
         To choose a new password, open this link within {valid}:\n\
         \n\
         {url}\n\
         \n\
         If you did not ask for this, you can ignore this message:\n\
         your password stays as it is.\n\
         \n\
         -- \n\
         {org_name}\n"
    );
    let html = page(
        &subject,
        &[
            Block::Para(escape_html(&greeting)),
            Block::Para(format!(
                "A password reset was requested for your {} account. To choose a new password, use the button \
                 below within {}.",
                escape_html(org_name),
                escape_html(&valid)
            )),
            Block::Button(url, "Reset your password"),
            Block::Fallback(url),
            Block::Para(
                "If you did not ask for this, you can ignore this message: your password stays as it is.".into(),
            ),
        ],
        org_name,
    );
    email(to, user_display, subject, text, html)
}

/// The email telling a user their account was locked after too many failed sign-ins. `unlock_after_minutes` is
/// when it unlocks by itself; `None` when only an administrator can unlock it.
pub fn lockout(
    org_name: &str,
    user_display: &str,
    to: &str,
    unlock_after_minutes: Option<u32>,
) -> Email {
    let subject = format!("Your {org_name} account is locked");
    let greeting = greeting(user_display);
    let when = match unlock_after_minutes {
        Some(minutes) => format!("It will unlock by itself in {}.", duration_words(minutes)),
        None => "An administrator has to unlock it.".to_owned(),
    };
    let text = format!(
        "{greeting}\n\
         \n\
         Your {org_name} account has been locked after too many\n\
         failed sign-in attempts. {when}\n\
         \n\
         If these attempts were not yours, someone may be trying to guess\n\
         your password: tell your administrator.\n\
         \n\
         -- \n\
         {org_name}\n"
    );
    let html = page(
        &subject,
        &[
            Block::Para(escape_html(&greeting)),
            Block::Para(format!(
                "Your {} account has been locked after too many failed sign-in attempts. {}",
                escape_html(org_name),
                escape_html(&when)
            )),
            Block::Para(
                "If these attempts were not yours, someone may be trying to guess your password: tell your \
                 administrator."
                    .into(),
            ),
        ],
        org_name,
    );
    email(to, user_display, subject, text, html)
}

/// `&`, `<`, `>`, `"` and `'` as character references: safe in HTML text and in quoted attribute values.
pub fn escape_html(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// "Hello Ada," or, without a name, "Hello,".
fn greeting(user_display: &str) -> String {
    match user_display.trim() {
        "" => "Hello,".to_owned(),
        name => format!("Hello {name},"),
    }
}

/// "1 minute", "45 minutes", "1 hour", "2 hours", "1 day", "90 minutes".
fn duration_words(minutes: u32) -> String {
    let (n, unit) = if minutes >= 1440 && minutes.is_multiple_of(1440) {
        (minutes / 1440, "day")
    } else if minutes >= 60 && minutes.is_multiple_of(60) {
        (minutes / 60, "hour")
    } else {
        (minutes, "minute")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

fn email(to: &str, user_display: &str, subject: String, text: String, html: String) -> Email {
    let name = user_display.trim();
    Email {
        to: to.to_owned(),
        // A display name that is the address itself adds nothing.
        to_name: (!name.is_empty() && name != to).then(|| name.to_owned()),
        subject,
        text,
        html: Some(html),
    }
}

/// A piece of an HTML notice. `Para` holds HTML already escaped; the others escape their URL.
enum Block<'a> {
    Para(String),
    /// The main action, as a button-styled link.
    Button(&'a str, &'static str),
    /// The same URL spelled out, for clients that do not show the button or readers that copy it.
    Fallback(&'a str),
}

fn is_web_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// A plain, readable page: a language, a title, one heading, system fonts, enough contrast (white on #1d4ed8 and
/// #1a1a1a on white are both above 7:1), links that name what they do, and no images or layout tables.
fn page(title: &str, blocks: &[Block<'_>], org_name: &str) -> String {
    let mut body = String::new();
    for block in blocks {
        match block {
            Block::Para(html) => {
                let _ = writeln!(body, "<p>{html}</p>");
            }
            Block::Button(url, label) if is_web_url(url) => {
                let _ = writeln!(
                    body,
                    "<p><a href=\"{}\" style=\"display:inline-block;padding:12px 20px;background:#1d4ed8;\
                     color:#ffffff;text-decoration:none;border-radius:6px;font-weight:bold\">{}</a></p>",
                    escape_html(url),
                    escape_html(label)
                );
            }
            Block::Fallback(url) if is_web_url(url) => {
                let _ = writeln!(
                    body,
                    "<p>If the button does not work, copy this address into your browser:<br>\
                     <a href=\"{0}\" style=\"color:#1d4ed8;word-break:break-all\">{0}</a></p>",
                    escape_html(url)
                );
            }
            // Not a web URL: shown, never linked.
            Block::Button(url, _) | Block::Fallback(url) => {
                let _ = writeln!(body, "<p>{}</p>", escape_html(url));
            }
        }
    }
    format!(
        "<!DOCTYPE html>\n\
         <html lang=\"en\">\n\
         <head>\n\
         <meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n\
         </head>\n\
         <body style=\"margin:0;padding:24px;background:#ffffff;color:#1a1a1a;\
         font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5\">\n\
         <main style=\"max-width:560px;margin:0 auto\">\n\
         <h1 style=\"font-size:22px;margin:0 0 16px\">{title}</h1>\n\
         {body}\
         <p style=\"color:#4a4a4a;font-size:14px\">{org}</p>\n\
         </main>\n\
         </body>\n\
         </html>\n",
        title = escape_html(title),
        org = escape_html(org_name),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://id.example.com/signin/activate/Xy9_token-123?x=1&y=2";

    #[test]
    fn activation_carries_its_link_in_both_versions() {
        let e = activation("Acme", "Ada Lovelace", "ada@example.com", URL);
        assert_eq!(e.to, "ada@example.com");
        assert_eq!(e.to_name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(e.subject, "Activate your Acme account");
        assert!(e.text.contains(URL));
        assert!(e.text.contains("Hello Ada Lovelace,"));
        let html = e.html.unwrap();
        // The `&` of the query is escaped in the attribute and in the text.
        let escaped = URL.replace('&', "&amp;");
        assert!(html.contains(&format!("href=\"{escaped}\"")));
        assert!(html.contains(&format!(">{escaped}</a>")));
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html.contains("<title>Activate your Acme account</title>"));
    }

    #[test]
    fn password_reset_carries_its_link_and_validity() {
        let e = password_reset("Acme", "Ada", "ada@example.com", URL, 60);
        assert_eq!(e.subject, "Reset your Acme password");
        assert!(e.text.contains(URL));
        assert!(e.text.contains("within 1 hour"));
        assert!(e.html.as_deref().unwrap().contains("within 1 hour"));
        let e = password_reset("Acme", "Ada", "ada@example.com", URL, 15);
        assert!(e.text.contains("within 15 minutes"));
    }

    #[test]
    fn lockout_says_when_it_ends() {
        let e = lockout("Acme", "Ada", "ada@example.com", Some(30));
        assert_eq!(e.subject, "Your Acme account is locked");
        assert!(
            e.text
                .contains("attempts. It will unlock by itself in 30 minutes.\n")
        );
        assert!(e.html.as_deref().unwrap().contains("30 minutes"));
        let e = lockout("Acme", "Ada", "ada@example.com", None);
        assert!(e.text.contains("An administrator has to unlock it."));
        assert!(!e.html.as_deref().unwrap().contains("href"));
    }

    #[test]
    fn every_interpolated_value_is_escaped_in_html() {
        let evil = "<script>alert('x')</script> & \"q\"";
        for e in [
            activation(evil, evil, "a@example.com", "https://x/\"><script>"),
            password_reset(evil, evil, "a@example.com", "https://x/\"><script>", 5),
            lockout(evil, evil, "a@example.com", Some(5)),
        ] {
            let html = e.html.unwrap();
            assert!(!html.contains("<script>"), "{html}");
            assert!(!html.contains("\"q\""), "{html}");
            assert!(
                html.contains(
                    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
                )
            );
            // The text version is text: left as it is.
            assert!(e.text.contains(evil));
        }
    }

    #[test]
    fn only_web_urls_become_links() {
        let html = activation("Acme", "Ada", "a@example.com", "javascript:alert(1)")
            .html
            .unwrap();
        assert!(!html.contains("href=\"javascript"));
        assert!(html.contains("javascript:alert(1)"));
    }

    #[test]
    fn escape_html_covers_the_five_characters() {
        assert_eq!(
            escape_html("a&b<c>d\"e'f"),
            "a&amp;b&lt;c&gt;d&quot;e&#39;f"
        );
        assert_eq!(escape_html("José ✓"), "José ✓");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_words(1), "1 minute");
        assert_eq!(duration_words(0), "0 minutes");
        assert_eq!(duration_words(90), "90 minutes");
        assert_eq!(duration_words(120), "2 hours");
        assert_eq!(duration_words(1440), "1 day");
        assert_eq!(duration_words(10080), "7 days");
    }

    #[test]
    fn a_display_name_equal_to_the_address_is_dropped() {
        let e = lockout("Acme", "ada@example.com", "ada@example.com", None);
        assert_eq!(e.to_name, None);
        let e = lockout("Acme", "  ", "ada@example.com", None);
        assert_eq!(e.to_name, None);
    }
}
