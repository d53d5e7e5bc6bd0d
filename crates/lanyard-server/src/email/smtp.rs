//! SMTP delivery: the settings, read from one URL, and the lettre transport made from them.
//!
//! | URL | Connection |
//! |---|---|
//! | `smtp://user:pass@host[:587]` | STARTTLS, required: nothing is sent before the connection is encrypted |
//! | `smtps://user:pass@host[:465]` | TLS from the first byte (implicit TLS) |
//! | `smtp://host:1025?tls=none` | plaintext, for a local test server; credentials only to a loopback address |
//!
//! User name and password are percent-decoded (`p%40ss` for `p@ss`). Certificates are checked against the system's
//! trust store (rustls with aws-lc-rs). The password is never shown: not by `Debug`, not by `Display`, not in errors.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};

use super::EmailError;

/// How long one SMTP command may take before the attempt fails (and is retried).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtp://`: a plaintext connection upgraded with STARTTLS before anything else is sent; a server that does
    /// not offer STARTTLS is an error, never a reason to go on in plaintext.
    StartTls,
    /// `smtps://`: TLS from the first byte.
    Tls,
    /// `smtp://…?tls=none`: no encryption at all. For a local test server.
    None,
}

/// Where and how to deliver mail, parsed from `--smtp-url`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    /// A DNS name or an IP address (without brackets).
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    password: Option<String>,
}

impl SmtpSettings {
    /// Reads an `smtp://` or `smtps://` URL (see the module documentation). Errors never repeat the URL, which
    /// may hold a password.
    pub fn parse(url: &str) -> Result<Self, EmailError> {
        let config = |message: &str| EmailError::Config(format!("--smtp-url: {message}"));
        let parsed = url::Url::parse(url.trim()).map_err(|e| {
            config(&format!(
                "not a URL ({e}); expected smtp://user:password@host:587 or smtps://user:password@host:465"
            ))
        })?;
        let (mut security, default_port) = match parsed.scheme() {
            "smtp" => (SmtpSecurity::StartTls, 587),
            "smtps" => (SmtpSecurity::Tls, 465),
            other => {
                return Err(config(&format!(
                    "the scheme must be smtp:// (STARTTLS) or smtps:// (implicit TLS), not {other}://"
                )));
            }
        };
        let (host, loopback) = match parsed.host() {
            // `smtp:` is not a special scheme to the URL parser: an IPv4 address arrives as a name.
            Some(url::Host::Domain(name)) if !name.is_empty() => {
                let name = name.to_ascii_lowercase();
                let loopback = match name.parse::<std::net::IpAddr>() {
                    Ok(ip) => ip.is_loopback(),
                    Err(_) => name == "localhost" || name.ends_with(".localhost"),
                };
                (name, loopback)
            }
            Some(url::Host::Ipv4(ip)) => (ip.to_string(), ip.is_loopback()),
            Some(url::Host::Ipv6(ip)) => (ip.to_string(), ip.is_loopback()),
            _ => return Err(config("the URL needs a host")),
        };
        if !matches!(parsed.path(), "" | "/") {
            return Err(config("the URL must not have a path"));
        }
        if parsed.fragment().is_some() {
            return Err(config("the URL must not have a fragment"));
        }
        for (key, value) in parsed.query_pairs() {
            match (key.as_ref(), value.as_ref(), security) {
                ("tls", "none", SmtpSecurity::StartTls) => security = SmtpSecurity::None,
                ("tls", "required" | "starttls", SmtpSecurity::StartTls) => {}
                ("tls", _, SmtpSecurity::Tls) => {
                    return Err(config(
                        "smtps:// is always TLS; `tls=` only applies to smtp://",
                    ));
                }
                ("tls", other, _) => {
                    return Err(config(&format!(
                        "unknown tls={other:?}: leave it out for STARTTLS, or use tls=none for a local test server"
                    )));
                }
                (other, _, _) => {
                    return Err(config(&format!(
                        "unknown parameter {other:?}; only `tls` is known"
                    )));
                }
            }
        }
        let decode = |s: &str, what: &str| {
            percent_decode(s)
                .ok_or_else(|| config(&format!("the {what} is not valid percent-encoded UTF-8")))
        };
        let username = Some(parsed.username())
            .filter(|u| !u.is_empty())
            .map(|u| decode(u, "user name"))
            .transpose()?;
        let password = parsed
            .password()
            .map(|p| decode(p, "password"))
            .transpose()?;
        match (&username, &password) {
            (Some(_), None) => {
                return Err(config(
                    "a user name needs a password: smtp://user:password@host",
                ));
            }
            (None, Some(_)) => {
                return Err(config(
                    "a password needs a user name: smtp://user:password@host",
                ));
            }
            _ => {}
        }
        if security == SmtpSecurity::None && password.is_some() && !loopback {
            return Err(config(
                "refusing to send credentials unencrypted (tls=none) to a host other than this machine; \
                 use STARTTLS (smtp://) or TLS (smtps://)",
            ));
        }
        Ok(SmtpSettings {
            host,
            port: parsed.port().unwrap_or(default_port),
            security,
            username,
            password,
        })
    }

    pub fn has_credentials(&self) -> bool {
        self.password.is_some()
    }

    /// The transport, ready to send. Loads the system's trust store when TLS is used.
    pub(super) fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, EmailError> {
        let tls = |host: &str| {
            TlsParameters::new_rustls(host.to_owned())
                .map_err(|e| EmailError::Config(format!("--smtp-url: cannot set up TLS: {e}")))
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .timeout(Some(COMMAND_TIMEOUT));
        builder = match self.security {
            SmtpSecurity::StartTls => builder.tls(Tls::Required(tls(&self.host)?)),
            SmtpSecurity::Tls => builder.tls(Tls::Wrapper(tls(&self.host)?)),
            SmtpSecurity::None => builder.tls(Tls::None),
        };
        if let (Some(user), Some(password)) = (&self.username, &self.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(builder.build())
    }
}

impl FromStr for SmtpSettings {
    type Err = EmailError;
    fn from_str(url: &str) -> Result<Self, EmailError> {
        SmtpSettings::parse(url)
    }
}

/// The URL without its password: `smtp://user@host:587`, `smtp://127.0.0.1:1025?tls=none`.
impl fmt::Display for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.security {
            SmtpSecurity::Tls => "smtps",
            SmtpSecurity::StartTls | SmtpSecurity::None => "smtp",
        };
        write!(f, "{scheme}://")?;
        if let Some(user) = &self.username {
            // Shown as given; `@` and `:` re-encoded so the result still reads as a URL.
            write!(
                f,
                "{}@",
                user.replace('%', "%25")
                    .replace('@', "%40")
                    .replace(':', "%3A")
            )?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)?;
        } else {
            write!(f, "{}:{}", self.host, self.port)?;
        }
        if self.security == SmtpSecurity::None {
            f.write_str("?tls=none")?;
        }
        Ok(())
    }
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> SmtpSettings {
        SmtpSettings::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    fn error(url: &str) -> String {
        SmtpSettings::parse(url)
            .err()
            .unwrap_or_else(|| panic!("{url} should be refused"))
            .to_string()
    }

    #[test]
    fn smtp_is_starttls_on_587_and_smtps_is_tls_on_465() {
        let s = parse("smtp://mailer:s3cret@mail.example.com");
        assert_eq!(s.host, "mail.example.com");
        assert_eq!(s.port, 587);
        assert_eq!(s.security, SmtpSecurity::StartTls);
        assert_eq!(s.username.as_deref(), Some("mailer"));
        assert!(s.has_credentials());

        let s = parse("smtps://mailer:s3cret@Mail.Example.com:2465/");
        assert_eq!(s.host, "mail.example.com");
        assert_eq!(s.port, 2465);
        assert_eq!(s.security, SmtpSecurity::Tls);

        let s = parse("smtp://relay.internal:25?tls=required");
        assert_eq!(s.security, SmtpSecurity::StartTls);
        assert_eq!(s.username, None);
        assert!(!s.has_credentials());
    }

    #[test]
    fn tls_none_is_plaintext_and_keeps_credentials_on_this_machine() {
        let s = parse("smtp://127.0.0.1:1025?tls=none");
        assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 1025));
        assert_eq!(s.security, SmtpSecurity::None);
        let s = parse("smtp://u:p@localhost:1025?tls=none");
        assert!(s.has_credentials());
        let s = parse("smtp://u:p@[::1]:1025?tls=none");
        assert_eq!(s.host, "::1");
        // A test server elsewhere (docker compose) is fine without credentials, refused with them.
        parse("smtp://mailpit:1025?tls=none");
        assert!(error("smtp://u:p@mailpit:1025?tls=none").contains("unencrypted"));
        assert!(error("smtp://u:p@10.0.0.1:25?tls=none").contains("unencrypted"));
        parse("smtp://u:p@127.0.0.2:25?tls=none");
        parse("smtp://u:p@mail.localhost:25?tls=none");
    }

    #[test]
    fn credentials_are_percent_decoded() {
        let s = parse("smtp://apikey%40example.com:p%40ss%3Aw%2Frd@smtp.example.com");
        assert_eq!(s.username.as_deref(), Some("apikey@example.com"));
        assert_eq!(s.password.as_deref(), Some("p@ss:w/rd"));
    }

    #[test]
    fn bad_urls_are_refused_with_a_reason() {
        assert!(error("mail.example.com:587").contains("scheme"));
        assert!(error("not a url").contains("not a URL"));
        assert!(error("http://mail.example.com").contains("scheme"));
        assert!(error("smtp://").contains("host"));
        assert!(error("smtp://h/ehlo-name").contains("path"));
        assert!(error("smtp://h#x").contains("fragment"));
        assert!(error("smtp://h?tls=opportunistic").contains("tls="));
        assert!(error("smtps://h?tls=none").contains("always TLS"));
        assert!(error("smtp://h?timeout=5").contains("unknown parameter"));
        assert!(error("smtp://user@h").contains("needs a password"));
        assert!(error("smtp://:pw@h").contains("needs a user name"));
        assert!(error("smtp://u:%ff@h").contains("percent-encoded"));
        assert!(error("smtp://h:99999").contains("not a URL"));
    }

    #[test]
    fn errors_never_repeat_the_password() {
        for url in [
            "smtp://u:hunter2@h/path",
            "ftp://u:hunter2@h",
            "smtp://u:hunter2@remote?tls=none",
            "smtp://u:hunter2@h?x=1",
            "smtp://u:hunter2@h:bad",
        ] {
            assert!(!error(url).contains("hunter2"), "{url}");
        }
    }

    #[test]
    fn debug_and_display_redact_the_password() {
        let s = parse("smtp://mailer:hunter2@mail.example.com");
        let debug = format!("{s:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("<redacted>"));
        assert_eq!(s.to_string(), "smtp://mailer@mail.example.com:587");
        assert_eq!(
            parse("smtps://a%40b:x@h").to_string(),
            "smtps://a%40b@h:465"
        );
        assert_eq!(
            parse("smtp://[::1]:1025?tls=none").to_string(),
            "smtp://[::1]:1025?tls=none"
        );
        // Display reads back as the same settings, less the password.
        let again = parse(&parse("smtp://127.0.0.1:1025?tls=none").to_string());
        assert_eq!(again, parse("smtp://127.0.0.1:1025?tls=none"));
    }

    #[test]
    fn transports_build_for_every_kind() {
        for url in [
            "smtp://u:p@mail.example.com",
            "smtps://u:p@mail.example.com",
            "smtp://127.0.0.1:1025?tls=none",
        ] {
            parse(url).transport().unwrap();
        }
    }
}
