//! The hosted sign-in pages through the real binary, as a browser without JavaScript uses them: plain form posts
//! with the cookies the server sets.

mod common;

use common::browser::*;
use common::*;
use lanyard_core::mfa::totp::{TotpConfig, TotpSecret, code_at};
use serde_json::{Value, json};

/// Page steps on top of the shared test environment.
trait PageCalls {
    fn start_acme() -> Env;
    async fn post_admin(&self, path: &str, body: Value) -> Value;
    async fn user(&self, login: &str) -> String;
    async fn sign_in(
        &self,
        b: &mut Browser,
        username: &str,
        password: &str,
        from_uri: &str,
    ) -> Page;
}

impl PageCalls for Env {
    fn start_acme() -> Env {
        Env::start_with(&["--org-name", "Acme & Co"])
    }

    async fn post_admin(&self, path: &str, body: Value) -> Value {
        let (status, body) = self.admin(reqwest::Method::POST, path, Some(body)).await;
        assert!((200..300).contains(&status), "{path}: {status} {body}");
        body
    }

    async fn user(&self, login: &str) -> String {
        self.create_user(login).await
    }

    /// Opens the sign-in page and posts the credentials.
    async fn sign_in(
        &self,
        b: &mut Browser,
        username: &str,
        password: &str,
        from_uri: &str,
    ) -> Page {
        let page = b
            .get(&self.s.url(&format!(
                "/signin?fromURI={}",
                from_uri.replace(':', "%3A").replace('/', "%2F")
            )))
            .await;
        let csrf = hidden(&page.body, "csrf");
        b.post(
            &self.s.url("/signin"),
            &[
                ("csrf", &csrf),
                ("fromURI", from_uri),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }
}

#[tokio::test]
async fn the_page_is_accessible_branded_and_strict() {
    let env = Env::start_acme();
    let mut b = Browser::default();
    let page = b
        .get(&env.s.url("/signin?login_hint=ada%40example.com"))
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'")
            && csp.contains("frame-ancestors 'none'")
            && csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline")
    );
    let body = &page.body;
    assert!(
        !body.contains("<script"),
        "the sign-in page itself needs no script"
    );
    for needle in [
        "<html lang=\"en\">",
        "<label for=\"username\">",
        "<label for=\"password\">",
        "name=\"username\"",
        "autocomplete=\"username\"",
        "name=\"password\"",
        "autocomplete=\"current-password\"",
        "value=\"ada@example.com\"",
        "href=\"/signin/forgot-password\"",
    ] {
        assert!(body.contains(needle), "missing {needle}");
    }
    assert!(
        body.contains("Acme &amp; Co") || body.contains("Acme &#38; Co"),
        "the org's name, escaped"
    );
    assert!(!body.contains("<script"), "no JavaScript");
    assert!(b.cookies.contains_key("lanyard_csrf"));
    let css = b.get(&env.s.url("/static/lanyard.css")).await;
    assert_eq!(css.status, 200);
}

/// A browser gets pages, the APIs keep their JSON: an unknown page, an authorization request for an unknown server,
/// a bad one, an address a page cannot read — each a page with the pages' policy and no framing.
#[tokio::test]
async fn browsers_get_error_pages_and_the_apis_keep_their_json() {
    let env = Env::start_acme();
    let assert_page = |r: &reqwest::Response, status: u16| {
        assert_eq!(r.status().as_u16(), status);
        let h = r.headers();
        assert!(
            h["content-type"].to_str().unwrap().starts_with("text/html"),
            "{h:?}"
        );
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["cache-control"], "no-store");
        assert!(!h.contains_key("strict-transport-security"), "not on http");
    };
    // An unknown page; an authorization request for an unknown server or a bad one; an address a page cannot read
    // (a parameter given twice, a path that is not UTF-8), which gets the page, not axum's plain-text rejection.
    let not_found = "Page not found";
    let unreadable = "This request is not valid";
    for (path, status, says) in [
        ("/app/nope", 404, not_found),
        ("/nope", 404, not_found),
        ("/signin/nope", 404, not_found),
        ("/oauth2/nope/v1/authorize?client_id=x", 404, not_found),
        ("/oauth2/nope/v1/logout", 404, not_found),
        (
            "/oauth2/default/v1/authorize?client_id=unknown",
            400,
            "This sign-in request is not valid",
        ),
        ("/signin?fromURI=/a&fromURI=/b", 400, unreadable),
        ("/activate?user_code=A&user_code=B", 400, unreadable),
        ("/oauth2/%FF/v1/authorize?client_id=x", 400, unreadable),
        ("/oauth2/%FF/v1/logout", 400, unreadable),
        ("/welcome/%FF", 400, unreadable),
    ] {
        let r = client().get(env.s.url(path)).send().await.unwrap();
        assert_page(&r, status);
        let body = r.text().await.unwrap();
        assert!(body.contains(says), "{path}: {body}");
        assert!(
            body.contains("Acme &#38; Co") || body.contains("Acme &amp; Co"),
            "{path}: branded"
        );
        assert!(!body.contains("errorCode"), "{path}: {body}");
    }
    // The APIs answer in their own forms.
    for path in ["/api/v1/nope", "/oauth2/v1/nope", "/.well-known/nope"] {
        let r = client().get(env.s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
        assert_okta_error(&r.json().await.unwrap(), "E0000007");
    }
}

/// With an https base URL every response tells the browser to keep to https.
#[tokio::test]
async fn an_https_base_url_gets_hsts() {
    let env = Env::start_with(&["--base-url", "https://id.example.test"]);
    for path in ["/signin", "/.well-known/openid-configuration", "/nope"] {
        let r = client().get(env.s.url(path)).send().await.unwrap();
        assert_eq!(
            r.headers()["strict-transport-security"],
            "max-age=31536000",
            "{path}"
        );
    }
}

#[tokio::test]
async fn signing_in_sets_the_session_cookie_and_signing_out_ends_it() {
    let env = Env::start_acme();
    let uid = env.user("ada@example.com").await;
    let mut b = Browser::default();

    // Without the CSRF token the form is refused.
    let page = b
        .post(
            &env.s.url("/signin"),
            &[("username", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, 403);
    assert!(!b.cookies.contains_key("sid"));

    let page = env
        .sign_in(&mut b, "ada@example.com", "Wrong-Horse-1", "")
        .await;
    assert_eq!(page.status, 401);
    assert!(
        page.body.contains("role=\"alert\"") && page.body.contains("value=\"ada@example.com\"")
    );
    assert!(!b.cookies.contains_key("sid"));

    let page = env.sign_in(&mut b, "ada@example.com", PASSWORD, "").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location.as_deref(), Some(env.s.url("/app").as_str()));
    let set = page
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("sid="))
        .unwrap();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"));

    let home = b.get(&env.s.url("/app")).await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("ada@example.com"));
    let me = b.send(client().get(env.s.url("/api/v1/sessions/me"))).await;
    assert_eq!(me.status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&me.body).unwrap()["userId"],
        uid.as_str()
    );

    let out = b.get(&env.s.url("/login/signout")).await;
    assert_eq!(out.status, 200);
    assert!(!b.cookies.contains_key("sid"));
    let home = b.get(&env.s.url("/app")).await;
    assert_eq!(home.status, 303, "signed out: back to the sign-in page");
    assert!(home.location.unwrap().starts_with("/signin"));
}

#[tokio::test]
async fn from_uri_brings_the_browser_back_only_to_this_origin() {
    let env = Env::start_acme();
    env.user("grace@example.com").await;
    let mut b = Browser::default();
    let back = env.s.url("/app?x=1");
    let page = env
        .sign_in(&mut b, "grace@example.com", PASSWORD, &back)
        .await;
    assert_eq!(page.location.as_deref(), Some(back.as_str()));
    let mut b = Browser::default();
    let page = env
        .sign_in(
            &mut b,
            "grace@example.com",
            PASSWORD,
            "https://evil.example/steal",
        )
        .await;
    assert_eq!(page.location.as_deref(), Some(env.s.url("/app").as_str()));
    let mut b = Browser::default();
    let page = env
        .sign_in(&mut b, "grace@example.com", PASSWORD, "//evil.example/x")
        .await;
    assert_eq!(page.location.as_deref(), Some(env.s.url("/app").as_str()));
}

/// `fromURI` spelled so that a naive same-origin check passes (a backslash, which WHATWG parsers read as `/` but other
/// clients do not, control characters, a scheme-relative or scripted URL): never followed; a same-origin one is
/// followed as its parsed serialisation, never as the raw text.
#[tokio::test]
async fn from_uri_in_other_spellings_never_leaves_this_origin() {
    let env = Env::start_acme();
    env.user("grace@example.com").await;
    let base = env.s.url("");
    let home = env.s.url("/app");
    for from_uri in [
        format!("{base}\\@evil.example/"),
        format!("{base}/\\evil.example/"),
        "\\\\evil.example/x".to_owned(),
        "/\\evil.example/x".to_owned(),
        "//evil.example/x".to_owned(),
        "/\t/evil.example/x".to_owned(),
        format!("{base}/app\r\nSet-Cookie: x=1"),
        "javascript:alert(1)".to_owned(),
    ] {
        let mut b = Browser::default();
        let page = env
            .sign_in(&mut b, "grace@example.com", PASSWORD, &from_uri)
            .await;
        assert_eq!(page.status, 303, "{from_uri:?}");
        assert_eq!(
            page.location.as_deref(),
            Some(home.as_str()),
            "{from_uri:?}"
        );
    }
    let mut b = Browser::default();
    let page = env
        .sign_in(
            &mut b,
            "grace@example.com",
            PASSWORD,
            &format!("{base}/x/../app?y=%7B"),
        )
        .await;
    assert_eq!(page.location, Some(env.s.url("/app?y=%7B")));
}

#[tokio::test]
async fn the_mfa_step_takes_a_totp_code_once() {
    let env = Env::start_acme();
    let uid = env.user("alan@example.com").await;
    let factor = env
        .post_admin(
            &format!("/api/v1/users/{uid}/factors"),
            json!({"factorType": "token:software:totp", "provider": "GOOGLE"}),
        )
        .await;
    let fid = factor["id"].as_str().unwrap().to_owned();
    let secret = TotpSecret::from_base32(
        factor["_embedded"]["activation"]["sharedSecret"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let code = |t: u64| code_at(&secret, &TotpConfig::default(), t);
    env.post_admin(
        &format!("/api/v1/users/{uid}/factors/{fid}/lifecycle/activate"),
        json!({"passCode": code(now())}),
    )
    .await;

    let mut b = Browser::default();
    let page = env.sign_in(&mut b, "alan@example.com", PASSWORD, "").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("name=\"passCode\"")
            && page.body.contains("autocomplete=\"one-time-code\"")
    );
    assert!(
        !b.cookies.contains_key("sid"),
        "no session before the second factor"
    );
    let form = |body: &str, pass: &str| {
        vec![
            ("csrf".to_owned(), hidden(body, "csrf")),
            ("fromURI".to_owned(), String::new()),
            ("stateToken".to_owned(), hidden(body, "stateToken")),
            ("factorId".to_owned(), hidden(body, "factorId")),
            ("passCode".to_owned(), pass.to_owned()),
        ]
    };
    let url = env.s.url("/signin/verify");
    let wrong = post_owned(&mut b, &url, form(&page.body, "000000")).await;
    assert_eq!(wrong.status, 403);
    assert!(wrong.body.contains("role=\"alert\""));
    let next = code(now() + 30);
    let ok = post_owned(&mut b, &url, form(&wrong.body, &next)).await;
    assert_eq!(ok.status, 303);
    assert!(b.cookies.contains_key("sid"));
    let me: Value = serde_json::from_str(
        &b.send(client().get(env.s.url("/api/v1/sessions/me")))
            .await
            .body,
    )
    .unwrap();
    assert_eq!(me["amr"], json!(["pwd", "otp", "mfa"]));

    let mut other = Browser::default();
    let page = env
        .sign_in(&mut other, "alan@example.com", PASSWORD, "")
        .await;
    let replay = post_owned(&mut other, &url, form(&page.body, &next)).await;
    assert_eq!(replay.status, 403, "a used code does not sign in again");
}

#[tokio::test]
async fn an_expired_password_is_changed_on_the_page() {
    let env = Env::start_acme();
    let uid = env.user("edsger@example.com").await;
    env.post_admin(
        &format!("/api/v1/users/{uid}/lifecycle/expire_password"),
        json!({}),
    )
    .await;
    let mut b = Browser::default();
    let page = env
        .sign_in(&mut b, "edsger@example.com", PASSWORD, "")
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("autocomplete=\"new-password\""));
    let url = env.s.url("/signin/change-password");
    let submit = |body: &str, new: &str, confirm: &str| {
        vec![
            ("csrf".to_owned(), hidden(body, "csrf")),
            ("fromURI".to_owned(), String::new()),
            ("stateToken".to_owned(), hidden(body, "stateToken")),
            ("newPassword".to_owned(), new.to_owned()),
            ("confirmPassword".to_owned(), confirm.to_owned()),
        ]
    };
    let differ = post_owned(
        &mut b,
        &url,
        submit(&page.body, "Fresh-Horse-22", "Fresh-Horse-23"),
    )
    .await;
    assert_eq!(differ.status, 400);
    let weak = post_owned(&mut b, &url, submit(&page.body, "weak", "weak")).await;
    assert_eq!(weak.status, 400);
    assert!(weak.body.contains("at least 8 characters"), "{}", weak.body);
    let done = post_owned(
        &mut b,
        &url,
        submit(&page.body, "Fresh-Horse-22", "Fresh-Horse-22"),
    )
    .await;
    assert_eq!(done.status, 303);
    assert!(b.cookies.contains_key("sid"));
    let (_, _, user) = api_get(&env.s.url(&format!("/api/v1/users/{uid}")), &env.token).await;
    assert_eq!(user["status"], "ACTIVE");
}

#[tokio::test]
async fn forgot_password_emails_a_link_that_resets_once() {
    let env = Env::start_acme();
    let uid = env.user("grace@example.com").await;
    let mut b = Browser::default();
    let page = b.get(&env.s.url("/signin/forgot-password")).await;
    assert_eq!(page.status, 200);
    let csrf = hidden(&page.body, "csrf");
    let sent = b
        .post(
            &env.s.url("/signin/forgot-password"),
            &[("csrf", &csrf), ("username", "grace@example.com")],
        )
        .await;
    assert_eq!(sent.status, 200);
    let unknown = b
        .post(
            &env.s.url("/signin/forgot-password"),
            &[("csrf", &csrf), ("username", "nobody@example.com")],
        )
        .await;
    assert_eq!(
        unknown.body, sent.body,
        "the same page whether or not the account exists"
    );

    let outbox = env.dir.path().join("outbox");
    let mut link = None;
    assert!(
        eventually(10, || {
            let found = lanyard_server::email::read_outbox(&outbox)
                .unwrap_or_default()
                .into_iter()
                .find(|m| m.to == "grace@example.com");
            let ok = found.is_some();
            if let Some(m) = found {
                link = m
                    .text
                    .split_whitespace()
                    .find(|w| w.contains("/signin/reset-password/"))
                    .map(str::to_owned);
            }
            async move { ok }
        })
        .await,
        "no reset email"
    );
    let link = link.expect("a link in the email");
    assert!(link.starts_with(&env.s.addr));
    assert_eq!(
        lanyard_server::email::read_outbox(&outbox).unwrap().len(),
        1,
        "nothing sent for the unknown user"
    );

    // Opening the link (as a mail scanner would) does not spend it.
    assert_eq!(b.get(&link).await.status, 200);
    let page = b.get(&link).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("grace@example.com")
            && page.body.contains("autocomplete=\"new-password\"")
    );
    let action = link.trim_start_matches(&env.s.addr).to_owned();
    let submit = |body: &str, new: &str, confirm: &str| {
        vec![
            ("csrf".to_owned(), hidden(body, "csrf")),
            ("stateToken".to_owned(), hidden(body, "stateToken")),
            ("newPassword".to_owned(), new.to_owned()),
            ("confirmPassword".to_owned(), confirm.to_owned()),
        ]
    };
    let url = env.s.url(&action);
    let weak = post_owned(&mut b, &url, submit(&page.body, "weak", "weak")).await;
    assert_eq!(weak.status, 400);
    assert!(weak.body.contains("role=\"alert\""));
    let done = post_owned(
        &mut b,
        &url,
        submit(&weak.body, "Brand-New-Pass-5", "Brand-New-Pass-5"),
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(b.cookies.contains_key("sid"), "a reset signs the user in");

    let mut other = Browser::default();
    assert_eq!(other.get(&link).await.status, 403, "the link works once");
    assert_eq!(
        env.sign_in(&mut other, "grace@example.com", PASSWORD, "")
            .await
            .status,
        401
    );
    assert_eq!(
        env.sign_in(&mut other, "grace@example.com", "Brand-New-Pass-5", "")
            .await
            .status,
        303
    );
    let (_, _, user) = api_get(&env.s.url(&format!("/api/v1/users/{uid}")), &env.token).await;
    assert_eq!(user["status"], "ACTIVE");
}

/// The forms' CSRF field is signed and bound to the browser's cookie and session: a planted pair, another browser's
/// field, a form from before sign-in, or a post the browser says comes from another origin are all refused.
#[tokio::test]
async fn csrf_fields_are_signed_bound_rotated_at_sign_in_and_posts_from_elsewhere_refused() {
    let env = Env::start_acme();
    env.user("ada@example.com").await;
    let forgot = |csrf: &str| {
        vec![
            ("csrf".to_owned(), csrf.to_owned()),
            ("username".to_owned(), "ada@example.com".to_owned()),
        ]
    };
    let url = env.s.url("/signin/forgot-password");

    // An equal cookie and field, as the double-submit of old accepted: refused.
    let mut planted = Browser::default();
    planted
        .cookies
        .insert("lanyard_csrf".into(), "chosen-by-attacker".into());
    let p = post_owned(&mut planted, &url, forgot("chosen-by-attacker")).await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(p.body.contains("This form has expired"));

    // Another browser's field with this browser's cookie: refused; its own: taken.
    let mut a = Browser::default();
    let mut b = Browser::default();
    let page_a = a.get(&url).await;
    let page_b = b.get(&url).await;
    let (field_a, field_b) = (hidden(&page_a.body, "csrf"), hidden(&page_b.body, "csrf"));
    assert_ne!(
        field_a, a.cookies["lanyard_csrf"],
        "the field is not the cookie"
    );
    assert_eq!(post_owned(&mut a, &url, forgot(&field_b)).await.status, 403);
    assert_eq!(post_owned(&mut a, &url, forgot(&field_a)).await.status, 200);

    // The browser says the post comes from another origin: refused, the right field or not.
    for (name, value) in [
        ("Origin", "https://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Site", "same-site"),
    ] {
        let p = a
            .send(
                client()
                    .post(&url)
                    .header(name, value)
                    .form(&forgot(&field_a)),
            )
            .await;
        assert_eq!(p.status, 403, "{name}: {value}");
    }
    let p = a
        .send(
            client()
                .post(&url)
                .header("Origin", env.s.url(""))
                .header("Sec-Fetch-Site", "same-origin")
                .form(&forgot(&field_a)),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);

    // Signing in replaces the secret: a form made before no longer passes.
    let before = hidden(&a.get(&url).await.body, "csrf");
    let old_secret = a.cookies["lanyard_csrf"].clone();
    let signin = a.get(&env.s.url("/signin")).await;
    let p = a
        .post(
            &env.s.url("/signin"),
            &[
                ("csrf", &hidden(&signin.body, "csrf")),
                ("fromURI", ""),
                ("username", "ada@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_ne!(a.cookies["lanyard_csrf"], old_secret, "a new secret");
    assert_eq!(post_owned(&mut a, &url, forgot(&before)).await.status, 403);
    let after = hidden(&a.get(&url).await.body, "csrf");
    assert_eq!(post_owned(&mut a, &url, forgot(&after)).await.status, 200);
}

/// Under https the CSRF cookie is `__Host-` prefixed: Secure, `Path=/`, no `Domain`, so no other host sets it.
#[tokio::test]
async fn under_https_the_csrf_cookie_is_host_prefixed() {
    let env = Env::start_with(&["--base-url", "https://id.example.test"]);
    let r = client().get(env.s.url("/signin")).send().await.unwrap();
    let set = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set.starts_with("__Host-lanyard_csrf="), "{set}");
    assert!(
        set.contains("; Secure") && set.contains("Path=/") && !set.contains("Domain"),
        "{set}"
    );
}
