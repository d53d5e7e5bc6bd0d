//! `lanyard catalog test`: plays an integration's app against a running Lanyard, through the management API and
//! the OAuth endpoints only — what a vendor's CI can run against `lanyard serve` with no tenant anywhere.
//!
//! For each entry: the app (from the catalog by key, or a manifest file's client made by hand with its claims), a
//! user in a group assigned to it, then the app's own requests — authorization with its redirect URI, scopes, state,
//! nonce and PKCE (when it sends it), the code exchanged with its client authentication, the ID token verified
//! against the JWKS and read for the claims the app reads, userinfo, refresh (rotated, and the old token refused),
//! RP-initiated logout back to its post-logout URI. Each step passes or fails with what was seen.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use lanyard_catalog::Entry;
use lanyard_catalog::manifest::Pkce;
use lanyard_core::crypto::Jwk;
use lanyard_core::crypto::verify::UnverifiedJws;
use lanyard_core::random::{SystemRandom, b64url, bytes};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::cli::CatalogTestArgs;

/// The password of the users this command makes (they are removed afterwards).
const PASSWORD: &str = "Sesame-Grove-42!";

pub async fn run(args: CatalogTestArgs) -> anyhow::Result<()> {
    let api = Api::new(&args.base_url, &args.token)?;
    let overrides = parse_vars(&args.vars)?;
    let targets = if args.all {
        api.catalog_names().await?
    } else {
        args.targets.clone()
    };
    let (mut passed, mut failed) = (0, Vec::new());
    for target in &targets {
        let entry = match load(&api, target).await {
            Ok(e) => e,
            Err(e) => {
                println!("{target}\n  FAIL  entry        {e:#}");
                failed.push(target.clone());
                continue;
            }
        };
        let from_file = target.ends_with(".toml");
        println!(
            "{} ({}, revision {}{})",
            entry.name(),
            entry.manifest.display_name,
            entry.revision,
            if from_file { ", from file" } else { "" }
        );
        let mut probe = Probe {
            api: &api,
            entry: &entry,
            from_file,
            made: Made::default(),
            key: None,
        };
        let outcome = probe.play(&overrides).await;
        if !args.keep {
            probe.clean_up().await;
        } else {
            println!(
                "  kept  app {} user {} group {}",
                probe.made.app_id.as_deref().unwrap_or("-"),
                probe.made.user_id.as_deref().unwrap_or("-"),
                probe.made.group_id.as_deref().unwrap_or("-")
            );
        }
        match outcome {
            Ok(()) => passed += 1,
            Err(e) => {
                fail(&e);
                failed.push(entry.name().to_owned());
            }
        }
    }
    println!(
        "\n{} integration(s): {passed} passed, {} failed{}",
        targets.len(),
        failed.len(),
        if failed.is_empty() {
            String::new()
        } else {
            format!(" ({})", failed.join(", "))
        }
    );
    if failed.is_empty() {
        Ok(())
    } else {
        bail!("{} integration(s) failed", failed.len())
    }
}

fn parse_vars(vars: &[String]) -> anyhow::Result<Map<String, Value>> {
    vars.iter()
        .map(|v| {
            let (k, val) = v
                .split_once('=')
                .ok_or_else(|| anyhow!("--var {v}: expected NAME=VALUE"))?;
            Ok((k.to_owned(), Value::String(val.to_owned())))
        })
        .collect()
}

/// The entry a target names: a manifest file (checked as `catalog validate` does), or the server's entry.
async fn load(api: &Api, target: &str) -> anyhow::Result<Entry> {
    if target.ends_with(".toml") {
        return super::check_file(std::path::Path::new(target))
            .map_err(|p| anyhow!("{}", p.join("\n        ")));
    }
    let text = api
        .text(&format!("/api/v1/catalog/apps/{target}/manifest"))
        .await?;
    Entry::from_text(&text, None, false).map_err(|p| {
        anyhow!(
            "the server's manifest does not pass the checks here: {}",
            p.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )
    })
}

/// A step passed, printed as it happens.
fn pass(step: &str, detail: impl AsRef<str>) {
    println!("  PASS  {step:<12} {}", detail.as_ref());
}

/// A step that does not apply to the app.
fn skip(step: &str, why: &str) {
    println!("  SKIP  {step:<12} {why}");
}

fn fail(e: &Failure) {
    println!("  FAIL  {:<12} {:#}", e.step, e.error);
}

/// A failed step.
struct Failure {
    step: &'static str,
    error: anyhow::Error,
}

trait StepExt<T> {
    fn at(self, step: &'static str) -> Result<T, Failure>;
}

impl<T> StepExt<T> for anyhow::Result<T> {
    fn at(self, step: &'static str) -> Result<T, Failure> {
        self.map_err(|error| Failure { step, error })
    }
}

fn check(ok: bool, step: &'static str, what: impl FnOnce() -> String) -> Result<(), Failure> {
    if ok {
        Ok(())
    } else {
        Err(Failure {
            step,
            error: anyhow!(what()),
        })
    }
}

/// What the probe made, to remove afterwards.
#[derive(Default)]
struct Made {
    /// Scopes added to `default` for a manifest file's app (a catalog app's are added by the server).
    scope_ids: Vec<String>,
    app_id: Option<String>,
    user_id: Option<String>,
    group_id: Option<String>,
}

struct Probe<'a> {
    api: &'a Api,
    entry: &'a Entry,
    from_file: bool,
    made: Made,
    /// The app's own key when it authenticates with `private_key_jwt`, its JWKS served on a loopback listener.
    key: Option<AppKey>,
}

/// An app's key pair, and the loopback address its JWKS is served at (the URL variables point there).
struct AppKey {
    key: lanyard_core::crypto::SigningKey,
    origin: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for AppKey {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl AppKey {
    /// Generates a key and serves `{"keys": [its public JWK]}` to every request on 127.0.0.1.
    async fn serve() -> anyhow::Result<AppKey> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let key =
            lanyard_core::crypto::SigningKey::generate(lanyard_core::crypto::SigningAlg::RS256)
                .map_err(|e| anyhow!("generating the app's key: {e}"))?;
        let jwks = serde_json::to_string(&json!({"keys": [key.public_jwk()]}))?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let origin = format!("http://{}", listener.local_addr()?);
        let server = tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let body = jwks.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = conn.read(&mut buf).await;
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = conn.write_all(head.as_bytes()).await;
                    let _ = conn.write_all(body.as_bytes()).await;
                });
            }
        });
        Ok(AppKey {
            key,
            origin,
            server,
        })
    }

    /// A `client_assertion` (RFC 7523) for `client_id` at `audience`.
    fn assertion(&self, client_id: &str, audience: &str) -> anyhow::Result<String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let claims = json!({
            "iss": client_id, "sub": client_id, "aud": audience,
            "jti": b64url(&bytes::<16>(&SystemRandom)), "iat": now, "exp": now + 60,
        });
        lanyard_core::crypto::jws::sign(&self.key, None, &claims)
            .map_err(|e| anyhow!("signing: {e}"))
    }
}

/// The client as the server made it.
struct Client {
    id: String,
    secret: Option<String>,
    auth: String,
    redirect_uri: String,
    post_logout_redirect_uri: Option<String>,
    pkce_required: bool,
}

impl Probe<'_> {
    async fn play(&mut self, overrides: &Map<String, Value>) -> Result<(), Failure> {
        let m = &self.entry.manifest;
        let suffix = b64url(&bytes::<6>(&SystemRandom))
            .replace(['-', '_'], "x")
            .to_lowercase();

        // The app, the user, the group.
        let (client, discovery_url) = self.make_app(overrides, &suffix).await.at("app")?;
        check(
            client.redirect_uri.starts_with("http") || client.redirect_uri.contains(':'),
            "app",
            || format!("redirect URI {:?}", client.redirect_uri),
        )?;
        pass(
            "app",
            format!(
                "redirect {}; code flow; {}; {}",
                client.redirect_uri,
                if client.pkce_required {
                    "PKCE required"
                } else {
                    "no PKCE (the app cannot send it)"
                },
                client.auth
            ),
        );
        let group = format!("catalog-test-{suffix}");
        let login = format!("catalog-test-{suffix}@example.com");
        self.make_user_and_group(&group, &login).await.at("user")?;
        pass(
            "user",
            format!("{login}, member of {group}, which is assigned the app"),
        );

        // Discovery: where the app is told to go.
        let d = self.api.get_json(&discovery_url).await.at("discovery")?;
        let issuer = str_of(&d, "issuer").at("discovery")?;
        let endpoint = |k: &str| str_of(&d, k);
        pass("discovery", format!("issuer {issuer}"));

        // Sign-in: the Authn API gives a session token; the authorization request spends it.
        let session_token = self.api.session_token(&login).await.at("sign-in")?;
        let state = b64url(&bytes::<12>(&SystemRandom));
        let nonce = b64url(&bytes::<12>(&SystemRandom));
        let verifier = b64url(&bytes::<32>(&SystemRandom));
        let sends_pkce = m.client.pkce != Pkce::Unsupported;
        let mut q = vec![
            ("client_id", client.id.clone()),
            ("response_type", "code".into()),
            ("redirect_uri", client.redirect_uri.clone()),
            ("scope", m.client.scopes.join(" ")),
            ("state", state.clone()),
            ("nonce", nonce.clone()),
            ("sessionToken", session_token),
        ];
        if sends_pkce {
            let challenge =
                URL_SAFE_NO_PAD.encode(lanyard_core::crypto::sha256(verifier.as_bytes()));
            q.push(("code_challenge", challenge));
            q.push(("code_challenge_method", "S256".into()));
        }
        let authorize = endpoint("authorization_endpoint").at("authorize")?;
        let resp = self
            .api
            .raw(Method::GET, &with_query(&authorize, &q))
            .send()
            .await
            .map_err(anyhow::Error::from)
            .at("authorize")?;
        let cookies = cookies(&resp);
        let location = redirect_location(resp).await.at("authorize")?;
        check(
            location.starts_with(&client.redirect_uri),
            "authorize",
            || format!("redirected to {location}, not to {}", client.redirect_uri),
        )?;
        let params = query_params(&location);
        check(params.get("state") == Some(&state), "authorize", || {
            format!("state not returned: {location}")
        })?;
        check(params.get("iss") == Some(&issuer), "authorize", || {
            format!("iss (RFC 9207) not {issuer}: {location}")
        })?;
        let code = params
            .get("code")
            .cloned()
            .ok_or_else(|| anyhow!("no code: {location}"))
            .at("authorize")?;
        pass(
            "authorize",
            format!(
                "code at the redirect URI, with state and iss{}",
                if sends_pkce { "; S256 challenge" } else { "" }
            ),
        );

        // The code for tokens, as the app authenticates.
        let token_endpoint = endpoint("token_endpoint").at("token")?;
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code),
            ("redirect_uri", client.redirect_uri.clone()),
        ];
        if sends_pkce {
            form.push(("code_verifier", verifier));
        }
        let tokens = self
            .token(&token_endpoint, &client, form)
            .await
            .at("token")?;
        let id_token = str_of(&tokens, "id_token").at("token")?;
        let access_token = str_of(&tokens, "access_token").at("token")?;
        let refresh = tokens
            .get("refresh_token")
            .and_then(Value::as_str)
            .map(str::to_owned);
        check(
            refresh.is_some() == m.client.refresh_tokens,
            "token",
            || {
                format!(
                    "a refresh token {} expected ({})",
                    if m.client.refresh_tokens {
                        "was"
                    } else {
                        "was not"
                    },
                    tokens.get("scope").and_then(Value::as_str).unwrap_or("")
                )
            },
        )?;
        pass(
            "token",
            format!("{} with {}", token_kinds(&tokens), client.auth),
        );

        // The ID token: signature, issuer, audience, nonce, algorithm, and the claims the app reads.
        let jwks_uri = endpoint("jwks_uri").at("id token")?;
        let keys: lanyard_core::crypto::Jwks =
            serde_json::from_value(self.api.get_json(&jwks_uri).await.at("id token")?)
                .map_err(anyhow::Error::from)
                .at("id token")?;
        let claims = verify_id_token(
            &id_token,
            &keys.keys,
            &issuer,
            &client.id,
            &nonce,
            lanyard_catalog::instance::id_token_alg(m),
        )
        .at("id token")?;
        let mut read = Vec::new();
        for c in m
            .claims
            .iter()
            .filter(|c| c.targets.iter().any(|t| t == "id_token"))
        {
            expect_claim(&claims, &c.name, &c.value, &group).at("id token")?;
            read.push(c.name.as_str());
        }
        pass(
            "id token",
            format!(
                "{} signature, iss, aud, nonce, exp{}",
                lanyard_catalog::instance::id_token_alg(m),
                if read.is_empty() {
                    String::new()
                } else {
                    format!("; {}", read.join(", "))
                }
            ),
        );

        // Userinfo.
        let userinfo_endpoint = endpoint("userinfo_endpoint").at("userinfo")?;
        let info = self
            .api
            .raw(Method::GET, &userinfo_endpoint)
            .bearer_auth(&access_token)
            .send()
            .await
            .map_err(anyhow::Error::from)
            .at("userinfo")?;
        let info = json_ok(info).await.at("userinfo")?;
        check(info.get("sub") == claims.get("sub"), "userinfo", || {
            format!("sub {} is not the ID token's", info["sub"])
        })?;
        let mut read = Vec::new();
        let scopes = &m.client.scopes;
        if scopes.iter().any(|s| s == "email") {
            check(
                info.get("email").and_then(Value::as_str) == Some(login.as_str()),
                "userinfo",
                || format!("email: {info}"),
            )?;
            read.push("email");
        }
        if scopes.iter().any(|s| s == "profile") {
            for k in ["preferred_username", "name"] {
                check(
                    info.get(k)
                        .and_then(Value::as_str)
                        .is_some_and(|s| !s.is_empty()),
                    "userinfo",
                    || format!("{k}: {info}"),
                )?;
                read.push(k);
            }
        }
        for c in m
            .claims
            .iter()
            .filter(|c| c.targets.iter().any(|t| t == "userinfo"))
        {
            expect_claim(
                info.as_object().unwrap_or(&Map::new()),
                &c.name,
                &c.value,
                &group,
            )
            .at("userinfo")?;
            read.push(c.name.as_str());
        }
        pass(
            "userinfo",
            format!(
                "sub{}",
                read.iter().map(|k| format!(", {k}")).collect::<String>()
            ),
        );

        // Refresh: a new pair, and the old refresh token refused (rotation with reuse detection).
        match &refresh {
            Some(old) => {
                let form = vec![
                    ("grant_type", "refresh_token".to_owned()),
                    ("refresh_token", old.clone()),
                ];
                let fresh = self
                    .token(&token_endpoint, &client, form.clone())
                    .await
                    .at("refresh")?;
                let new = str_of(&fresh, "refresh_token").at("refresh")?;
                check(&new != old, "refresh", || {
                    "the refresh token was not rotated".into()
                })?;
                str_of(&fresh, "access_token").at("refresh")?;
                let replay = self
                    .token_response(&token_endpoint, &client, form)
                    .await
                    .at("refresh")?;
                check(
                    replay.0 == StatusCode::BAD_REQUEST && replay.1["error"] == "invalid_grant",
                    "refresh",
                    || {
                        format!(
                            "the old refresh token was not refused: {} {}",
                            replay.0, replay.1
                        )
                    },
                )?;
                pass(
                    "refresh",
                    "new access and refresh tokens; the old refresh token refused",
                );
            }
            None => skip("refresh", "the app does not use refresh tokens"),
        }

        // RP-initiated logout back to the app.
        match &client.post_logout_redirect_uri {
            Some(back) => {
                let end = endpoint("end_session_endpoint").at("logout")?;
                let logout_state = b64url(&bytes::<12>(&SystemRandom));
                let resp = self
                    .api
                    .raw(
                        Method::GET,
                        &with_query(
                            &end,
                            &[
                                ("id_token_hint", id_token.clone()),
                                ("post_logout_redirect_uri", back.clone()),
                                ("state", logout_state.clone()),
                            ],
                        ),
                    )
                    .header(reqwest::header::COOKIE, cookies)
                    .send()
                    .await
                    .map_err(anyhow::Error::from)
                    .at("logout")?;
                let location = redirect_location(resp).await.at("logout")?;
                check(location.starts_with(back.as_str()), "logout", || {
                    format!("redirected to {location}, not {back}")
                })?;
                check(
                    query_params(&location).get("state") == Some(&logout_state),
                    "logout",
                    || format!("state not returned: {location}"),
                )?;
                pass("logout", format!("back to {back}"));
            }
            None => skip("logout", "the app names no post-logout redirect URI"),
        }
        Ok(())
    }

    /// Makes the app: by key from the server's catalog, or the file's client by hand. Its client, and the
    /// discovery URL the app is told.
    async fn make_app(
        &mut self,
        overrides: &Map<String, Value>,
        suffix: &str,
    ) -> anyhow::Result<(Client, String)> {
        let m = &self.entry.manifest;
        let mut vars: Map<String, Value> = lanyard_catalog::instance::example_variables(m)
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        if lanyard_catalog::instance::strongest_auth(m) == "private_key_jwt" {
            // The app publishes its keys at its own URL: here, a listener of this command's, which the URL
            // variables point at (the server must be allowed to fetch from loopback: --outbound-allow loopback).
            let key = AppKey::serve().await?;
            for v in m
                .variables
                .iter()
                .filter(|v| v.kind == lanyard_catalog::manifest::VarType::Url)
            {
                vars.insert(v.name.clone(), Value::String(key.origin.clone()));
            }
            self.key = Some(key);
        }
        vars.extend(overrides.clone());
        let label = format!("{} (catalog test {suffix})", m.display_name);
        let body = if self.from_file {
            self.add_scopes().await?;
            let inst = lanyard_catalog::instance::instantiate(m, &vars).map_err(|p| {
                anyhow!(
                    "{}",
                    p.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })?;
            let mut settings = inst.oauth_client;
            settings.insert(
                lanyard_core::apps::APP_CLAIMS.into(),
                serde_json::to_value(&inst.claims)?,
            );
            json!({
                "name": "oidc_client",
                "label": label,
                "signOnMode": "OPENID_CONNECT",
                "credentials": {"oauthClient": inst.credentials},
                "settings": {"oauthClient": settings},
            })
        } else {
            json!({"name": m.name, "label": label, "settings": {"app": vars}})
        };
        let app = self
            .api
            .send(Method::POST, "/api/v1/apps?activate=true", Some(body))
            .await?;
        let id = str_of(&app, "id")?;
        self.made.app_id = Some(id.clone());
        let cred = &app["credentials"]["oauthClient"];
        let set = &app["settings"]["oauthClient"];
        let first = |v: &Value| {
            v.as_array()
                .and_then(|a| a.first())
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let client = Client {
            id: str_of(cred, "client_id")?,
            secret: cred
                .get("client_secret")
                .and_then(Value::as_str)
                .map(str::to_owned),
            auth: str_of(cred, "token_endpoint_auth_method")?,
            redirect_uri: first(&set["redirect_uris"])
                .ok_or_else(|| anyhow!("the app has no redirect URI"))?,
            post_logout_redirect_uri: first(&set["post_logout_redirect_uris"]),
            pkce_required: cred["pkce_required"] == true,
        };
        if set["response_types"] != json!(["code"]) {
            bail!(
                "response types {} (the code flow only was expected)",
                set["response_types"]
            );
        }
        if (m.client.pkce != Pkce::Unsupported) != client.pkce_required {
            bail!(
                "pkce_required is {} for an app whose PKCE support is {}",
                client.pkce_required,
                m.client.pkce.as_str()
            );
        }
        let strongest = lanyard_catalog::instance::strongest_auth(m);
        if client.auth != strongest {
            bail!(
                "authenticates with {}, not {strongest}, the strongest the app supports",
                client.auth
            );
        }
        let discovery = if self.from_file {
            self.api.discovery_url().await?
        } else {
            // The setup the administrator pastes: its discovery URL is where the app goes.
            let setup = self
                .api
                .send(Method::GET, &format!("/api/v1/apps/{id}/setup"), None)
                .await?;
            if setup["snippets"].as_array().is_none_or(Vec::is_empty) {
                bail!("the app's setup has no snippets: {setup}");
            }
            str_of(&setup["values"], "discoveryUrl")?
        };
        Ok((client, discovery))
    }

    /// Adds to `default` the scopes a manifest file's app requests that it lacks, as the server does for an app
    /// made from its catalog.
    async fn add_scopes(&mut self) -> anyhow::Result<()> {
        let path = "/api/v1/authorizationServers/default/scopes";
        let Ok(have) = self.api.send(Method::GET, path, None).await else {
            return Ok(());
        };
        for name in &self.entry.manifest.client.scopes {
            if have
                .as_array()
                .into_iter()
                .flatten()
                .any(|s| s["name"] == name.as_str())
            {
                continue;
            }
            let s = self
                .api
                .send(Method::POST, path, Some(json!({"name": name, "consent": "IMPLICIT", "metadataPublish": "NO_CLIENTS"})))
                .await?;
            self.made.scope_ids.push(str_of(&s, "id")?);
        }
        Ok(())
    }

    async fn make_user_and_group(&mut self, group: &str, login: &str) -> anyhow::Result<()> {
        let g = self
            .api
            .send(
                Method::POST,
                "/api/v1/groups",
                Some(json!({"profile": {"name": group}})),
            )
            .await?;
        let gid = str_of(&g, "id")?;
        self.made.group_id = Some(gid.clone());
        let u = self
            .api
            .send(
                Method::POST,
                "/api/v1/users?activate=true",
                Some(json!({
                    "profile": {"firstName": "Probe", "lastName": "User", "email": login, "login": login},
                    "credentials": {"password": {"value": PASSWORD}},
                })),
            )
            .await?;
        let uid = str_of(&u, "id")?;
        self.made.user_id = Some(uid.clone());
        self.api
            .send(
                Method::PUT,
                &format!("/api/v1/groups/{gid}/users/{uid}"),
                None,
            )
            .await?;
        let app = self.made.app_id.clone().unwrap_or_default();
        self.api
            .send(
                Method::PUT,
                &format!("/api/v1/apps/{app}/groups/{gid}"),
                Some(json!({})),
            )
            .await?;
        Ok(())
    }

    async fn token(
        &self,
        endpoint: &str,
        c: &Client,
        form: Vec<(&str, String)>,
    ) -> anyhow::Result<Value> {
        let (status, body) = self.token_response(endpoint, c, form).await?;
        if status != StatusCode::OK {
            bail!("{status}: {body}");
        }
        Ok(body)
    }

    async fn token_response(
        &self,
        endpoint: &str,
        c: &Client,
        mut form: Vec<(&str, String)>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut req = self.api.raw(Method::POST, endpoint);
        match (c.auth.as_str(), &c.secret) {
            ("client_secret_basic", Some(s)) => {
                let enc = |v: &str| {
                    url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
                };
                let basic = STANDARD.encode(format!("{}:{}", enc(&c.id), enc(s)));
                req = req.header(reqwest::header::AUTHORIZATION, format!("Basic {basic}"));
            }
            ("client_secret_post", Some(s)) => {
                form.push(("client_id", c.id.clone()));
                form.push(("client_secret", s.clone()));
            }
            ("none", _) => form.push(("client_id", c.id.clone())),
            ("private_key_jwt", _) if self.key.is_some() => {
                let key = self
                    .key
                    .as_ref()
                    .map(|k| k.assertion(&c.id, endpoint))
                    .transpose()?
                    .unwrap_or_default();
                form.push(("client_id", c.id.clone()));
                form.push((
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
                ));
                form.push(("client_assertion", key));
            }
            (other, _) => bail!("this command cannot authenticate as {other}"),
        }
        let resp = req.form(&form).send().await?;
        let status = resp.status();
        let body = resp.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// Removes what was made (best effort: a failure here is reported, not fatal).
    async fn clean_up(&mut self) {
        let api = self.api;
        if let Some(id) = self.made.app_id.take() {
            let _ = api
                .send(
                    Method::POST,
                    &format!("/api/v1/apps/{id}/lifecycle/deactivate"),
                    None,
                )
                .await;
            if let Err(e) = api
                .send(Method::DELETE, &format!("/api/v1/apps/{id}"), None)
                .await
            {
                println!("  note  could not remove app {id}: {e:#}");
            }
        }
        if let Some(id) = self.made.user_id.take() {
            // The first DELETE deactivates, the second deletes.
            for _ in 0..2 {
                let _ = api
                    .send(Method::DELETE, &format!("/api/v1/users/{id}"), None)
                    .await;
            }
        }
        if let Some(id) = self.made.group_id.take() {
            let _ = api
                .send(Method::DELETE, &format!("/api/v1/groups/{id}"), None)
                .await;
        }
        for id in std::mem::take(&mut self.made.scope_ids) {
            let _ = api
                .send(
                    Method::DELETE,
                    &format!("/api/v1/authorizationServers/default/scopes/{id}"),
                    None,
                )
                .await;
        }
    }
}

fn token_kinds(t: &Value) -> String {
    ["access_token", "id_token", "refresh_token"]
        .iter()
        .filter(|k| t.get(**k).is_some())
        .map(|k| k.trim_end_matches("_token"))
        .collect::<Vec<_>>()
        .join(", ")
        + " tokens"
}

/// `value` is `groups`: the claim lists the test group; else it is present.
fn expect_claim(
    claims: &Map<String, Value>,
    name: &str,
    value: &str,
    group: &str,
) -> anyhow::Result<()> {
    let got = claims.get(name).ok_or_else(|| anyhow!("no {name} claim"))?;
    if value == "groups" && !got.as_array().is_some_and(|a| a.iter().any(|g| g == group)) {
        bail!("{name} is {got}, without the user's group {group}");
    }
    Ok(())
}

fn verify_id_token(
    token: &str,
    keys: &[Jwk],
    issuer: &str,
    client_id: &str,
    nonce: &str,
    alg: &str,
) -> anyhow::Result<Map<String, Value>> {
    let jws = UnverifiedJws::parse(token).map_err(|e| anyhow!("{e}"))?;
    let got = jws.header.get("alg").and_then(Value::as_str).unwrap_or("");
    if got != alg {
        bail!("signed with {got}, not {alg}");
    }
    jws.verify(keys).map_err(|e| anyhow!("signature: {e}"))?;
    let c = jws.claims;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64;
    if c.get("iss").and_then(Value::as_str) != Some(issuer) {
        bail!("iss {} is not {issuer}", c["iss"]);
    }
    let aud_ok = match c.get("aud") {
        Some(Value::String(a)) => a == client_id,
        Some(Value::Array(a)) => a.iter().any(|x| x == client_id),
        _ => false,
    };
    if !aud_ok {
        bail!("aud {} is not {client_id}", c["aud"]);
    }
    if c.get("nonce").and_then(Value::as_str) != Some(nonce) {
        bail!("nonce {} is not the one sent", c["nonce"]);
    }
    if c.get("exp")
        .and_then(Value::as_i64)
        .is_none_or(|e| e <= now)
    {
        bail!("exp {} is not in the future", c["exp"]);
    }
    Ok(c)
}

fn str_of(v: &Value, key: &str) -> anyhow::Result<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no {key} in {}", truncate(&v.to_string())))
}

fn truncate(s: &str) -> String {
    if s.len() <= 300 {
        return s.to_owned();
    }
    let mut end = 300;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// The `Cookie` header that carries the response's cookies back.
fn cookies(resp: &reqwest::Response) -> String {
    let mut out = String::new();
    for v in resp.headers().get_all(reqwest::header::SET_COOKIE) {
        if let Some(pair) = v.to_str().ok().and_then(|s| s.split(';').next()) {
            if !out.is_empty() {
                out.push_str("; ");
            }
            let _ = write!(out, "{pair}");
        }
    }
    out
}

async fn redirect_location(resp: reqwest::Response) -> anyhow::Result<String> {
    let status = resp.status();
    if let Some(l) = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .filter(|_| status.is_redirection())
    {
        return Ok(l.to_str()?.to_owned());
    }
    let body = resp.text().await.unwrap_or_default();
    bail!("{status} instead of a redirect: {}", truncate(body.trim()))
}

fn with_query(url: &str, params: &[(&str, String)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        out.append_pair(k, v);
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{}", out.finish())
}

fn query_params(location: &str) -> BTreeMap<String, String> {
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or("");
    let query = query.split('#').next().unwrap_or("");
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

async fn json_ok(resp: reqwest::Response) -> anyhow::Result<Value> {
    let status = resp.status();
    let text = resp.text().await?;
    if !status.is_success() {
        bail!("{status}: {}", truncate(&text));
    }
    serde_json::from_str(&text).with_context(|| format!("not JSON: {}", truncate(&text)))
}

/// The management API and the server's other URLs, with redirects not followed (the app sees them).
struct Api {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Api {
    fn new(base: &str, token: &str) -> anyhow::Result<Api> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Api {
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            http,
        })
    }

    fn url(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http://") || path_or_url.starts_with("https://") {
            path_or_url.to_owned()
        } else {
            format!("{}{path_or_url}", self.base)
        }
    }

    fn raw(&self, method: Method, url: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(url))
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let mut req = self
            .raw(method.clone(), path)
            .header(
                reqwest::header::AUTHORIZATION,
                format!("SSWS {}", self.token),
            )
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            bail!("{method} {path}: {status}: {}", truncate(&text));
        }
        Ok(if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)?
        })
    }

    async fn get_json(&self, url: &str) -> anyhow::Result<Value> {
        json_ok(self.raw(Method::GET, url).send().await?).await
    }

    async fn text(&self, path: &str) -> anyhow::Result<String> {
        let resp = self
            .raw(Method::GET, path)
            .header(
                reqwest::header::AUTHORIZATION,
                format!("SSWS {}", self.token),
            )
            .send()
            .await?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            bail!("GET {path}: {status}: {}", truncate(&text));
        }
        Ok(text)
    }

    /// Every entry of the server's catalog, following `Link: rel="next"`.
    async fn catalog_names(&self) -> anyhow::Result<Vec<String>> {
        let mut names = Vec::new();
        let mut next = Some(format!("{}/api/v1/catalog/apps?limit=200", self.base));
        while let Some(url) = next.take() {
            let resp = self
                .raw(Method::GET, &url)
                .header(
                    reqwest::header::AUTHORIZATION,
                    format!("SSWS {}", self.token),
                )
                .send()
                .await?;
            next = resp
                .headers()
                .get_all(reqwest::header::LINK)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find(|l| l.contains("rel=\"next\""))
                .and_then(|l| {
                    l.split_once('<')
                        .and_then(|(_, r)| r.split_once('>'))
                        .map(|(u, _)| u.to_owned())
                });
            let page = json_ok(resp).await?;
            for e in page.as_array().into_iter().flatten() {
                names.push(str_of(e, "name")?);
            }
        }
        Ok(names)
    }

    /// The discovery URL of the server catalog apps use: `default` if it answers, else the org server.
    async fn discovery_url(&self) -> anyhow::Result<String> {
        let default = format!(
            "{}/oauth2/default/.well-known/openid-configuration",
            self.base
        );
        if self
            .raw(Method::GET, &default)
            .send()
            .await?
            .status()
            .is_success()
        {
            return Ok(default);
        }
        Ok(format!("{}/.well-known/openid-configuration", self.base))
    }

    async fn session_token(&self, login: &str) -> anyhow::Result<String> {
        let r = self
            .raw(Method::POST, "/api/v1/authn")
            .json(&json!({"username": login, "password": PASSWORD}))
            .send()
            .await?;
        let body = json_ok(r).await?;
        if body["status"] != "SUCCESS" {
            bail!(
                "sign-in ended in {} (an MFA or password policy of this org applies to the test user)",
                body["status"]
            );
        }
        str_of(&body, "sessionToken")
    }
}
