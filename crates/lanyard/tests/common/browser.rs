//! A browser without JavaScript for the end-to-end tests: a cookie jar, plain form posts, no redirects followed.

use super::client;

/// A browser: a cookie jar and no redirects followed.
#[derive(Default)]
pub struct Browser {
    pub cookies: std::collections::BTreeMap<String, String>,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Browser {
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let r = req
            .header("Cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        for set in r.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (pair, attrs) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || attrs.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let headers = r.headers().clone();
        Page {
            status,
            location,
            headers,
            body: r.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, url: &str) -> Page {
        self.send(client().get(url)).await
    }

    pub async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        self.send(client().post(url).form(form)).await
    }
}

pub async fn post_owned(b: &mut Browser, url: &str, pairs: Vec<(String, String)>) -> Page {
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post(url, &refs).await
}

/// The value of a hidden input in a page.
pub fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {body}"))
        + marker.len();
    body[start..].split('"').next().unwrap().to_owned()
}

/// A browser signed in as `login` (with [`super::PASSWORD`]), through the Authn API's session token and
/// `/login/sessionCookieRedirect`.
pub async fn signed_in_as(env: &super::Env, login: &str) -> Browser {
    let r = client()
        .post(env.s.url("/api/v1/authn"))
        .json(&serde_json::json!({"username": login, "password": super::PASSWORD}))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    let token = body["sessionToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"));
    let mut b = Browser::default();
    let page = b
        .get(
            &env.s
                .url(&format!("/login/sessionCookieRedirect?token={token}")),
        )
        .await;
    assert!(
        b.cookies.contains_key("sid"),
        "{} {}",
        page.status,
        page.body
    );
    b
}
