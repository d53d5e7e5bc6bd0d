//! Every request Lanyard makes to a URL someone else named — a client's `jwks_uri`, `sector_identifier_uri` and
//! `request_uri`, an app's `backchannel_logout_uri` — goes through [`Outbound`], under one policy
//! ([`lanyard_core::outbound`]): only addresses the policy permits (the public internet, and networks the operator
//! allowed with `--outbound-allow`), judged for an address written in the URL before anything is sent and for a
//! name on every address it resolves to (a name that also points inside is refused whole, so DNS cannot point a
//! fetch inside); http and https only; no redirects; 3 s to connect, 5 s in all; a size limit per use.
//!
//! What the requester learns of a failure says nothing of what is inside: refused, unreachable, timed out and an
//! error status all read "could not be fetched" ([`Refused`]'s `Display`); the detail goes to the log.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use lanyard_core::outbound::{OutboundPolicy, literal_host};

/// Why a request was not made or did not succeed. Displayed without detail.
#[derive(Debug)]
pub enum Refused {
    /// The URL is not http(s), or its address is not permitted.
    NotAllowed(String),
    /// Nothing useful answered: no connection, a timeout, an error status.
    Unreachable(String),
    /// The answer was larger than allowed.
    TooLarge,
    /// The answer is not what was asked for (JSON, UTF-8).
    Malformed,
}

impl Refused {
    /// What the log may say.
    pub fn detail(&self) -> String {
        match self {
            Refused::NotAllowed(d) => format!("not allowed: {d}"),
            Refused::Unreachable(d) => d.clone(),
            Refused::TooLarge => "too large".into(),
            Refused::Malformed => "malformed".into(),
        }
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refused::NotAllowed(_) | Refused::Unreachable(_) => "could not be fetched",
            Refused::TooLarge => "the document is too large",
            Refused::Malformed => "the document is not in the expected form",
        })
    }
}

/// Resolves names as the system does and keeps them only when every address is permitted.
struct PolicyResolver(Arc<OutboundPolicy>);

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let policy = self.0.clone();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if all.is_empty() || !all.iter().all(|a| policy.permits(a.ip())) {
                return Err(format!("{host}: an address is not permitted").into());
            }
            Ok(Box::new(all.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The one way out.
pub struct Outbound {
    policy: Arc<OutboundPolicy>,
    /// Built at the first request: building it reads the platform's trust store (≈ 10 ms at start otherwise, for
    /// a server that may never fetch anything). `None` when it cannot be built; every request is then refused.
    http: OnceLock<Option<reqwest::Client>>,
}

impl Outbound {
    pub fn new(policy: OutboundPolicy) -> Self {
        Outbound {
            policy: Arc::new(policy),
            http: OnceLock::new(),
        }
    }

    fn http(&self) -> Result<&reqwest::Client, Refused> {
        let built = self.http.get_or_init(|| {
            reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .connect_timeout(Duration::from_secs(3))
                .redirect(reqwest::redirect::Policy::none())
                .dns_resolver(Arc::new(PolicyResolver(self.policy.clone())))
                .user_agent(concat!("lanyard/", env!("CARGO_PKG_VERSION")))
                .build()
                .inspect_err(
                    |e| tracing::error!(error = %e, "cannot build the outbound HTTP client"),
                )
                .ok()
        });
        built
            .as_ref()
            .ok_or_else(|| Refused::Unreachable("no HTTP client".into()))
    }

    /// The URL, if a request to it may be made: http(s), and an address written in it permitted (a name is
    /// judged when it resolves).
    fn check(&self, url: &str) -> Result<url::Url, Refused> {
        let u = url::Url::parse(url).map_err(|_| Refused::NotAllowed("not a URL".into()))?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(Refused::NotAllowed(format!("scheme {}", u.scheme())));
        }
        if let Some(ip) = literal_host(&u)
            && !self.policy.permits(ip)
        {
            return Err(Refused::NotAllowed(format!("address {ip}")));
        }
        Ok(u)
    }

    fn unreachable(e: &reqwest::Error) -> Refused {
        let what = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "cannot connect"
        } else {
            "request failed"
        };
        // The resolver's refusal surfaces as a connect error: say it is one of ours.
        let text = format!("{e:?}");
        if text.contains("is not permitted") {
            return Refused::NotAllowed("an address of the name".into());
        }
        Refused::Unreachable(what.into())
    }

    /// A GET answered 200, its body at most `max` bytes.
    pub async fn get(&self, url: &str, accept: &str, max: usize) -> Result<Vec<u8>, Refused> {
        let u = self.check(url)?;
        let mut r = self
            .http()?
            .get(u)
            .header(reqwest::header::ACCEPT, accept)
            .send()
            .await
            .map_err(|e| Self::unreachable(&e))?;
        if r.status() != reqwest::StatusCode::OK {
            return Err(Refused::Unreachable(format!(
                "HTTP {}",
                r.status().as_u16()
            )));
        }
        let mut body = Vec::new();
        while let Some(chunk) = r.chunk().await.map_err(|e| Self::unreachable(&e))? {
            body.extend_from_slice(&chunk);
            if body.len() > max {
                return Err(Refused::TooLarge);
            }
        }
        Ok(body)
    }

    /// A GET of a JSON document of at most `max` bytes.
    pub async fn get_json(&self, url: &str, max: usize) -> Result<serde_json::Value, Refused> {
        let body = self.get(url, "application/json", max).await?;
        serde_json::from_slice(&body).map_err(|_| Refused::Malformed)
    }

    /// A form `POST` answered with a 2xx status.
    pub async fn post_form(&self, url: &str, body: String) -> Result<(), Refused> {
        let u = self.check(url)?;
        let r = self
            .http()?
            .post(u)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| Self::unreachable(&e))?;
        if r.status().is_success() {
            Ok(())
        } else {
            Err(Refused::Unreachable(format!(
                "HTTP {}",
                r.status().as_u16()
            )))
        }
    }

    /// Whether the policy permits `ip` (for tests and diagnostics).
    pub fn permits(&self, ip: IpAddr) -> bool {
        self.policy.permits(ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A listener on loopback that counts connections.
    async fn listener() -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = l.accept().await {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = conn
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
                    )
                    .await;
            }
        });
        (port, hits)
    }

    #[tokio::test]
    async fn inside_addresses_are_never_connected_to_by_default_in_any_spelling() {
        let (port, hits) = listener().await;
        let out = Outbound::new(OutboundPolicy::default());
        for url in [
            format!("http://127.0.0.1:{port}/jwks"),
            format!("http://2130706433:{port}/jwks"),
            format!("http://127.1:{port}/jwks"),
            format!("http://[::ffff:127.0.0.1]:{port}/jwks"),
            format!("http://localhost:{port}/jwks"),
        ] {
            let e = out.get_json(&url, 1024).await.unwrap_err();
            assert!(matches!(e, Refused::NotAllowed(_)), "{url}: {e:?}");
            assert_eq!(
                e.to_string(),
                "could not be fetched",
                "no detail for the requester"
            );
        }
        let e = out
            .post_form(&format!("http://127.0.0.1:{port}/bcl"), String::new())
            .await;
        assert!(matches!(e, Err(Refused::NotAllowed(_))));
        assert!(matches!(
            out.get_json("file:///etc/passwd", 1024).await,
            Err(Refused::NotAllowed(_))
        ));
        assert_eq!(
            hits.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "never connected"
        );
    }

    #[tokio::test]
    async fn an_allowed_network_is_fetched_with_the_limits() {
        let (port, hits) = listener().await;
        let out = Outbound::new("loopback".parse().unwrap());
        assert!(
            out.http.get().is_none(),
            "the HTTP client (and the trust store it reads) waits for the first request"
        );
        let url = format!("http://127.0.0.1:{port}/jwks");
        assert_eq!(
            out.get_json(&url, 1024).await.unwrap(),
            serde_json::json!({})
        );
        assert!(matches!(
            out.get_json(&url, 1).await,
            Err(Refused::TooLarge)
        ));
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);
        // A closed port reads as any other failure.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let e = out
            .get_json(&format!("http://127.0.0.1:{closed}/"), 1024)
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "could not be fetched");
    }
}
