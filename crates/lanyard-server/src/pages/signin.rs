//! The hosted sign-in: `/signin` (username and password), `/signin/verify` (a TOTP code), `/signin/enroll` (a TOTP
//! factor the sign-on policy requires, set up during the sign-in: the shared secret, its otpauth URI and an inline
//! SVG QR code, then a code), `/signin/change-password` (an expired password), `/signin/step-up` (the MFA step for
//! the signed-in user, when an authorization request asks more of the session than it has: `acr_values`), and
//! `/app/security` (the user's passkeys). It is where an authorization request sends a
//! browser without a session, and `fromURI` brings it back (same origin only).

use std::net::SocketAddr;

use crate::pages::extract::Query;
use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lanyard_core::directory::accounts::AccountError;
use lanyard_core::mfa::webauthn::Assertion;
use lanyard_core::model::{FactorStatus, FactorType, User};
use lanyard_core::syslog::{LogEvent, Party};
use serde::Deserialize;

use super::{Csp, CsrfForm, csrf_token, flow_csp, html};
use crate::login::own_origin;
use crate::pages::PageError;
use crate::signin_flow::{
    self, Change, Client, Enroll, Enrolment, Mfa, MfaOf, Primary, WebAuthnStep,
};
use crate::state::AppState;
use crate::syslog::user_target;
use crate::webauthn::RegistrationFailure;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/signin", get(show).post(submit))
        .route("/login/login.htm", get(show))
        .route("/signin/verify", axum::routing::post(verify))
        .route("/signin/step-up", get(step_up))
        .route("/signin/enroll", axum::routing::post(enroll))
        .route(
            "/signin/change-password",
            axum::routing::post(change_password),
        )
        .route(
            "/signin/verify/webauthn",
            axum::routing::post(verify_webauthn),
        )
        .route("/app/security", get(security))
        .route("/app/security/passkeys", axum::routing::post(add_passkey))
        .merge(recovery_routes())
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SigninPage<'a> {
    org: &'a str,
    csrf: &'a str,
    from_uri: &'a str,
    username: &'a str,
    error: Option<&'a str>,
    /// The app the sign-in is for, when it registered a logo, a privacy policy or terms of service.
    client: Option<&'a ClientBrand>,
}

/// What the sign-in page shows of the app a sign-in is for: its name, and the logo, privacy policy and terms of
/// service it registered (`logo_uri`, `policy_uri`, `tos_uri`; https URLs, checked when the app was saved).
pub struct ClientBrand {
    pub name: String,
    pub logo_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
}

impl ClientBrand {
    /// What the sign-in page shows of `app`, if it registered a logo, a policy or terms of service.
    fn of(app: &lanyard_core::model::App) -> Option<ClientBrand> {
        let url = |name: &str| {
            app.client
                .extra
                .get(name)
                .and_then(serde_json::Value::as_str)
                .filter(|u| lanyard_core::apps::check_https_url(u).is_ok())
                .map(str::to_owned)
        };
        let brand = ClientBrand {
            logo_uri: url("logo_uri"),
            policy_uri: url("policy_uri"),
            tos_uri: url("tos_uri"),
            name: app.label.clone(),
        };
        (brand.logo_uri.is_some() || brand.policy_uri.is_some() || brand.tos_uri.is_some())
            .then_some(brand)
    }
}

/// What the sign-in page learns from the authorization request it continues (`fromURI`), if any: the page's policy
/// (forms' answers may redirect to the request's redirect URI; images may come from the app's logo origin) and
/// the app's brand.
struct Flow {
    csp: Csp,
    brand: Option<ClientBrand>,
}

async fn flow(state: &AppState, from_uri: &str) -> Result<Flow, PageError> {
    let Some(pending) = crate::oauth::authorize::pending(state, from_uri).await? else {
        return Ok(Flow {
            csp: Csp::page(),
            brand: None,
        });
    };
    let brand = ClientBrand::of(&pending.app);
    let mut csp = Csp::page().forms_to(&pending.to.redirect_uri);
    if let Some(logo) = brand.as_ref().and_then(|b| b.logo_uri.as_deref()) {
        csp = csp.images_from(logo);
    }
    Ok(Flow { csp, brand })
}

#[derive(Template)]
#[template(path = "mfa.html")]
struct MfaPage<'a> {
    org: &'a str,
    csrf: &'a str,
    from_uri: &'a str,
    state_token: &'a str,
    /// The user's TOTP factor, if any.
    totp_factor_id: Option<&'a str>,
    /// WebAuthn request options (JSON) for the user's passkeys, if any.
    passkey_options: Option<String>,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "enroll.html")]
struct EnrollPage<'a> {
    org: &'a str,
    csrf: &'a str,
    from_uri: &'a str,
    state_token: &'a str,
    login: &'a str,
    /// The QR code of the otpauth URI, an `<svg>` element made here (never user input).
    qr_svg: &'a str,
    otpauth_uri: &'a str,
    /// The base32 secret in groups of four, as people type it.
    secret_groups: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "security.html")]
struct SecurityPage<'a> {
    org: &'a str,
    csrf: &'a str,
    login: &'a str,
    /// Each passkey: a name and when it was added.
    passkeys: Vec<(String, String)>,
    /// WebAuthn creation options (JSON) and the handle of the registration they belong to.
    options: Option<String>,
    handle: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    /// Why the session may not add a passkey now (then there is no form, and a link to sign in again).
    sign_in_again: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "change_password.html")]
struct ChangePasswordPage<'a> {
    org: &'a str,
    csrf: &'a str,
    from_uri: &'a str,
    state_token: &'a str,
    requirements: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage<'a> {
    pub org: &'a str,
    pub title: &'a str,
    pub message: &'a str,
    pub link: Option<(&'a str, &'a str)>,
}

fn client(peer: SocketAddr, headers: &HeaderMap) -> Client {
    Client::of(Some(peer), headers)
}

/// Where to go after signing in: the requested destination on this origin (as parsed), else the home page.
fn destination(state: &AppState, from_uri: &str) -> String {
    own_origin(state, from_uri).unwrap_or_else(|| format!("{}/app", state.config.base_url))
}

fn with_cookie(mut r: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = cookie {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

fn expired_form(state: &AppState) -> Response {
    let org = state.org_name();
    let page = MessagePage {
        org: &org,
        title: "Please try again",
        message: "This form has expired. Please sign in again.",
        link: Some(("/signin", "Sign in")),
    };
    html(StatusCode::FORBIDDEN, page.render())
}

/// A wait as people read it: "12 seconds", "1 minute", "5 minutes".
fn wait_text(wait: chrono::Duration) -> String {
    let seconds = lanyard_core::signin::attempts::wait_seconds(wait);
    match seconds {
        1 => "1 second".to_owned(),
        s if s < 60 => format!("{s} seconds"),
        s if s < 120 => "1 minute".to_owned(),
        s => format!("{} minutes", (s + 59) / 60),
    }
}

const WRONG_CODE: &str = "That code didn't work. Enter the current code from your app.";

/// What the MFA step says, with what status, when a second factor is to be tried again: `wrong` for a wrong answer,
/// or how long the factor makes its user wait.
fn try_again(outcome: &Mfa, wrong: &str) -> (String, StatusCode) {
    match outcome {
        Mfa::TooManyAttempts { wait } => (
            format!(
                "Too many wrong answers. Wait {}, then try again.",
                wait_text(*wait)
            ),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        _ => (wrong.to_owned(), StatusCode::FORBIDDEN),
    }
}

/// A sign-in that ended after too many wrong second-factor answers: start again, back to the same place.
fn sign_in_again(state: &AppState, from_uri: &str) -> Response {
    let org = state.org_name();
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    if !from_uri.is_empty() {
        q.append_pair("fromURI", from_uri);
    }
    let href = format!("/signin?{}", q.finish());
    let page = MessagePage {
        org: &org,
        title: "Too many wrong answers",
        message: "This sign-in has ended after too many wrong answers. Sign in again to continue.",
        link: Some((&href, "Sign in again")),
    };
    html(StatusCode::FORBIDDEN, page.render())
}

#[derive(Deserialize, Default)]
struct ShowQuery {
    #[serde(rename = "fromURI")]
    from_uri: Option<String>,
    login_hint: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    let (csrf, cookie) = csrf_token(&state, &headers);
    let org = state.org_name();
    let from_uri = q.from_uri.as_deref().unwrap_or("");
    let flow = flow(&state, from_uri).await?;
    let page = SigninPage {
        org: &org,
        csrf: &csrf,
        from_uri,
        username: q.login_hint.as_deref().unwrap_or(""),
        error: None,
        client: flow.brand.as_ref(),
    };
    Ok(with_cookie(
        flow.csp.on(html(StatusCode::OK, page.render())),
        cookie,
    ))
}

/// Signs the browser in: a session, its cookie, and a redirect to where it was going.
async fn signed_in(
    state: &AppState,
    client: &Client,
    user: &User,
    amr: &[&str],
    from_uri: &str,
) -> Result<Response, PageError> {
    let amr = amr.iter().map(|s| (*s).to_owned()).collect();
    // Only `last_login` is written, and only while the user may still sign in.
    if !state
        .store
        .record_login(&user.id, state.clock.now())
        .await?
    {
        let org = state.org_name();
        let page = SigninPage {
            org: &org,
            csrf: "",
            from_uri,
            username: &user.login,
            error: Some("Unable to sign in."),
            client: None,
        };
        return Ok(html(StatusCode::UNAUTHORIZED, page.render()));
    }
    let (_, cookie) = crate::session::start(
        state,
        &user.id,
        amr,
        client.ip.clone(),
        client.user_agent.clone(),
    )
    .await?;
    // This browser is now one of the user's known devices: a lock by others' failures will not keep it out.
    let device = signin_flow::remember_device(state, client, user).await?;
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(to) = HeaderValue::from_str(&destination(state, from_uri)) {
        r.headers_mut().insert(header::LOCATION, to);
    }
    r.headers_mut().insert(
        header::SET_COOKIE,
        crate::session::set_cookie(state, &cookie),
    );
    if let Some(d) = device.and_then(|v| signin_flow::device_cookie(state, &v)) {
        r.headers_mut().append(header::SET_COOKIE, d);
    }
    // A new CSRF secret with the new session: forms made before sign-in no longer pass.
    if let Some(c) = super::csrf::rotated(state) {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(r)
}

#[derive(Deserialize)]
struct SigninForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, rename = "fromURI")]
    from_uri: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<SigninForm>,
) -> Result<Response, PageError> {
    let client = client(peer, &headers);
    let org = state.org_name();
    let flow = flow(&state, &form.from_uri).await?;
    let retry = |error: &str, status: StatusCode| {
        let page = SigninPage {
            org: &org,
            csrf: &form.csrf,
            from_uri: &form.from_uri,
            username: &form.username,
            error: Some(error),
            client: flow.brand.as_ref(),
        };
        flow.csp.on(html(status, page.render()))
    };
    let outcome =
        signin_flow::primary(&state, &client, form.username.trim(), &form.password).await?;
    let fields = MfaForm {
        csrf: &form.csrf,
        from_uri: &form.from_uri,
        state_token: "",
    };
    match outcome {
        Primary::LockedOut => Ok(retry(
            "Your account is locked. Try again later or contact your administrator.",
            StatusCode::FORBIDDEN,
        )),
        Primary::Failed => Ok(retry(
            "Unable to sign in: the username or the password is wrong.",
            StatusCode::UNAUTHORIZED,
        )),
        Primary::Throttled { wait } => {
            let mut r = retry(
                &format!(
                    "There have been too many failed sign-ins from your network. Wait {}, then try again.",
                    wait_text(wait)
                ),
                StatusCode::TOO_MANY_REQUESTS,
            );
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(lanyard_core::signin::attempts::wait_seconds(wait)),
            );
            Ok(r)
        }
        other => next_page(&state, &client, fields, other).await,
    }
}

/// The page that follows a verified password (or a changed expired one): the MFA step, enrolment, the password
/// change, or signed in. `Failed` here is a policy's DENY after a password change; `LockedOut` cannot follow.
async fn next_page(
    state: &AppState,
    client: &Client,
    form: MfaForm<'_>,
    outcome: Primary,
) -> Result<Response, PageError> {
    let org = state.org_name();
    match outcome {
        Primary::Success { user } => signed_in(state, client, &user, &["pwd"], form.from_uri).await,
        Primary::MfaRequired { state_token, .. } => {
            mfa_page(
                state,
                client,
                MfaForm {
                    state_token: &state_token.value,
                    ..form
                },
                None,
                StatusCode::OK,
            )
            .await
        }
        Primary::MfaEnroll { state_token, .. } => {
            match signin_flow::enroll_totp(state, client, &state_token.value, "GOOGLE").await? {
                Enroll::Started(e) => {
                    enroll_page(
                        state,
                        MfaForm {
                            state_token: &state_token.value,
                            ..form
                        },
                        &e,
                        None,
                        StatusCode::OK,
                    )
                    .await
                }
                Enroll::InvalidState => Ok(expired_form(state)),
            }
        }
        Primary::PasswordExpired { state_token, .. } => {
            let requirements = state.password_policy.requirements();
            let page = ChangePasswordPage {
                org: &org,
                csrf: form.csrf,
                from_uri: form.from_uri,
                state_token: &state_token.value,
                requirements: &requirements,
                error: None,
            };
            let csp = flow_csp(state, form.from_uri).await?;
            Ok(csp.on(html(StatusCode::OK, page.render())))
        }
        Primary::LockedOut | Primary::Failed | Primary::Throttled { .. } => {
            let page = MessagePage {
                org: &org,
                title: "Unable to sign in",
                message: "You cannot sign in at the moment. Contact your administrator.",
                link: Some(("/signin", "Back to sign in")),
            };
            Ok(html(StatusCode::UNAUTHORIZED, page.render()))
        }
    }
}

/// The enrolment step: the secret three ways (QR code, key, otpauth link) and the code form.
async fn enroll_page(
    state: &AppState,
    form: MfaForm<'_>,
    e: &Enrolment,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let uri = crate::api::authn::enrolment_uri(state, e);
    let svg = lanyard_core::mfa::totp::qr_svg(&uri)
        .map_err(|err| PageError::internal(err.to_string()))?;
    let secret = e.secret.to_base32();
    let groups = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let org = state.org_name();
    let page = EnrollPage {
        org: &org,
        csrf: form.csrf,
        from_uri: form.from_uri,
        state_token: form.state_token,
        login: &e.user.login,
        qr_svg: &svg,
        otpauth_uri: &uri,
        secret_groups: &groups,
        error,
    };
    let csp = flow_csp(state, form.from_uri).await?;
    Ok(csp.on(html(status, page.render())))
}

#[derive(Deserialize)]
struct EnrollForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, rename = "fromURI")]
    from_uri: String,
    #[serde(default, rename = "stateToken")]
    state_token: String,
    #[serde(default, rename = "passCode")]
    pass_code: String,
}

/// The code that activates the factor being enrolled, and signs in.
async fn enroll(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<EnrollForm>,
) -> Result<Response, PageError> {
    let client = client(peer, &headers);
    let Some(pending) = signin_flow::pending_enrolment(&state, &form.state_token).await? else {
        return Ok(expired_form(&state));
    };
    let outcome = signin_flow::activate_enrolment(
        &state,
        &client,
        &form.state_token,
        &pending.factor.id,
        &form.pass_code,
    )
    .await?;
    match outcome {
        Mfa::Success(user) => {
            signed_in(
                &state,
                &client,
                &user,
                &["pwd", "otp", "mfa"],
                &form.from_uri,
            )
            .await
        }
        Mfa::Ended => Ok(sign_in_again(&state, &form.from_uri)),
        Mfa::InvalidState | Mfa::UnknownFactor => Ok(expired_form(&state)),
        again => {
            let (text, status) = try_again(&again, WRONG_CODE);
            let fields = MfaForm {
                csrf: &form.csrf,
                from_uri: &form.from_uri,
                state_token: &form.state_token,
            };
            enroll_page(&state, fields, &pending, Some(&text), status).await
        }
    }
}

#[derive(Deserialize)]
struct VerifyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, rename = "fromURI")]
    from_uri: String,
    #[serde(default, rename = "stateToken")]
    state_token: String,
    #[serde(default, rename = "factorId")]
    factor_id: String,
    #[serde(default, rename = "passCode")]
    pass_code: String,
}

async fn verify(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<VerifyForm>,
) -> Result<Response, PageError> {
    let client = client(peer, &headers);
    let Some((of, _)) = signin_flow::mfa_of(&state, &form.state_token).await? else {
        return Ok(expired_form(&state));
    };
    match signin_flow::verify_mfa_of(
        &state,
        &client,
        &of,
        &form.state_token,
        &form.factor_id,
        &form.pass_code,
    )
    .await?
    {
        Mfa::Success(user) => {
            second_factor_passed(&state, &client, &headers, of, &user, "otp", &form.from_uri).await
        }
        Mfa::Ended => Ok(sign_in_again(&state, &form.from_uri)),
        Mfa::InvalidState | Mfa::UnknownFactor => Ok(expired_form(&state)),
        again => {
            let (text, status) = try_again(&again, WRONG_CODE);
            let fields = MfaForm {
                csrf: &form.csrf,
                from_uri: &form.from_uri,
                state_token: &form.state_token,
            };
            mfa_page(&state, &client, fields, Some(&text), status).await
        }
    }
}

#[derive(Deserialize, Default)]
struct StepUpQuery {
    #[serde(rename = "fromURI")]
    from_uri: Option<String>,
}

/// `/signin/step-up`: the MFA step for the browser's signed-in user, no password asked (an authorization request
/// sends the browser here when its `acr_values` ask for a second factor the session has not seen); then back to
/// `fromURI` with the session upgraded. Without a session, the sign-in page (and back).
async fn step_up(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<StepUpQuery>,
) -> Result<Response, PageError> {
    let from_uri = q.from_uri.unwrap_or_default();
    let session = crate::session::current(&state, &headers).await?;
    let user = match &session {
        Some(s) => state
            .store
            .user(&s.user_id)
            .await?
            .filter(|u| u.status == lanyard_core::model::UserStatus::Active),
        None => None,
    };
    let (Some(session), Some(user)) = (session, user) else {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("fromURI", &from_uri);
        let mut r = StatusCode::SEE_OTHER.into_response();
        if let Ok(v) = HeaderValue::from_str(&format!("/signin?{}", query.finish())) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        return Ok(r);
    };
    if !signin_flow::can_step_up(&state, &user.id).await? {
        let org = state.org_name();
        let page = MessagePage {
            org: &org,
            title: "A second factor is needed",
            message: "This application asks you to verify it's you with a second factor, and you have none set up. Contact your administrator.",
            link: None,
        };
        return Ok(html(StatusCode::FORBIDDEN, page.render()));
    }
    let token = signin_flow::begin_step_up(&state, &user, &session.id).await?;
    let (csrf, cookie) = csrf_token(&state, &headers);
    let client = client(peer, &headers);
    let form = MfaForm {
        csrf: &csrf,
        from_uri: &from_uri,
        state_token: &token.value,
    };
    Ok(with_cookie(
        mfa_page(&state, &client, form, None, StatusCode::OK).await?,
        cookie,
    ))
}

/// A second factor (`method`: `otp`, `hwk`) verified: the sign-in it completes, or the step-up of the session
/// it was asked for.
async fn second_factor_passed(
    state: &AppState,
    client: &Client,
    headers: &HeaderMap,
    of: MfaOf,
    user: &User,
    method: &str,
    from_uri: &str,
) -> Result<Response, PageError> {
    match of {
        MfaOf::SignIn => signed_in(state, client, user, &["pwd", method, "mfa"], from_uri).await,
        MfaOf::StepUp { session_id } => {
            stepped_up(state, headers, &session_id, user, &[method], from_uri).await
        }
    }
}

/// A step-up verified: the browser's session — the one the step-up began in, of the same user — records the
/// factor (`methods`, with `mfa`) under a new cookie, and the browser goes on to `fromURI`.
async fn stepped_up(
    state: &AppState,
    headers: &HeaderMap,
    session_id: &str,
    user: &User,
    methods: &[&str],
    from_uri: &str,
) -> Result<Response, PageError> {
    let session = crate::session::current(state, headers)
        .await?
        .filter(|s| s.id == session_id && s.user_id == user.id);
    let Some(session) = session else {
        return Ok(expired_form(state));
    };
    let Some(cookie) = crate::session::elevate(state, &session, methods).await? else {
        return Ok(expired_form(state));
    };
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(to) = HeaderValue::from_str(&destination(state, from_uri)) {
        r.headers_mut().insert(header::LOCATION, to);
    }
    r.headers_mut().insert(
        header::SET_COOKIE,
        crate::session::set_cookie(state, &cookie),
    );
    if let Some(c) = super::csrf::rotated(state) {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(r)
}

/// The fields every MFA form carries.
#[derive(Clone, Copy)]
struct MfaForm<'a> {
    csrf: &'a str,
    from_uri: &'a str,
    state_token: &'a str,
}

/// The MFA step for the sign-in a state token carries: a passkey button when the user has a passkey (with a fresh
/// challenge), the code form when they have TOTP.
async fn mfa_page(
    state: &AppState,
    client: &Client,
    form: MfaForm<'_>,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let Some((of, user)) = signin_flow::mfa_of(state, form.state_token).await? else {
        return Ok(expired_form(state));
    };
    let factors = state.store.factors(&user.id).await?;
    let totp = factors
        .iter()
        .find(|f| f.factor_type == FactorType::Totp && f.status == FactorStatus::Active);
    let mut passkey_options = None;
    if state.webauthn.is_some()
        && factors.iter().any(crate::webauthn::is_active_webauthn)
        && let WebAuthnStep::Challenge { options, .. } =
            signin_flow::webauthn_mfa_of(state, client, &of, form.state_token, "*", None).await?
    {
        passkey_options = Some(options.to_string());
    }
    let org = state.org_name();
    let page = MfaPage {
        org: &org,
        csrf: form.csrf,
        from_uri: form.from_uri,
        state_token: form.state_token,
        totp_factor_id: totp.map(|f| f.id.as_str()),
        passkey_options,
        error,
    };
    let csp = flow_csp(state, form.from_uri).await?;
    Ok(csp.on(html(status, page.render())))
}

#[derive(Deserialize)]
struct WebAuthnForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, rename = "fromURI")]
    from_uri: String,
    #[serde(default, rename = "stateToken")]
    state_token: String,
    #[serde(default, rename = "credentialId")]
    credential_id: String,
    #[serde(default, rename = "clientData")]
    client_data: String,
    #[serde(default, rename = "authenticatorData")]
    authenticator_data: String,
    #[serde(default, rename = "signatureData")]
    signature_data: String,
    #[serde(default, rename = "userHandle")]
    user_handle: String,
}

async fn verify_webauthn(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<WebAuthnForm>,
) -> Result<Response, PageError> {
    let client = client(peer, &headers);
    let again_fields = || MfaForm {
        csrf: &form.csrf,
        from_uri: &form.from_uri,
        state_token: &form.state_token,
    };
    if form.signature_data.is_empty() || state.webauthn.is_none() {
        // Sent without the script's answer (JavaScript off, or an old browser).
        return mfa_page(
            &state,
            &client,
            again_fields(),
            Some("Your browser did not use a passkey. Signing in with a passkey needs JavaScript."),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let assertion = Assertion {
        client_data: &form.client_data,
        authenticator_data: &form.authenticator_data,
        signature: &form.signature_data,
        user_handle: Some(form.user_handle.as_str()),
    };
    let Some((of, _)) = signin_flow::mfa_of(&state, &form.state_token).await? else {
        return Ok(expired_form(&state));
    };
    let step = signin_flow::webauthn_mfa_of(
        &state,
        &client,
        &of,
        &form.state_token,
        "*",
        Some((Some(form.credential_id.as_str()), assertion)),
    )
    .await?;
    match step {
        WebAuthnStep::Done(Mfa::Success(user)) => {
            second_factor_passed(&state, &client, &headers, of, &user, "hwk", &form.from_uri).await
        }
        WebAuthnStep::Done(Mfa::Ended) => Ok(sign_in_again(&state, &form.from_uri)),
        WebAuthnStep::Done(Mfa::InvalidState | Mfa::UnknownFactor)
        | WebAuthnStep::Challenge { .. } => Ok(expired_form(&state)),
        WebAuthnStep::Done(again) => {
            let (text, status) = try_again(&again, "That passkey didn't work. Try again.");
            mfa_page(&state, &client, again_fields(), Some(&text), status).await
        }
    }
}

#[derive(Deserialize)]
struct ChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, rename = "fromURI")]
    from_uri: String,
    #[serde(default, rename = "stateToken")]
    state_token: String,
    #[serde(default, rename = "newPassword")]
    new_password: String,
    #[serde(default, rename = "confirmPassword")]
    confirm_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<ChangeForm>,
) -> Result<Response, PageError> {
    let org = state.org_name();
    let requirements = state.password_policy.requirements();
    let csp = flow_csp(&state, &form.from_uri).await?;
    let again = |error: String| {
        let page = ChangePasswordPage {
            org: &org,
            csrf: &form.csrf,
            from_uri: &form.from_uri,
            state_token: &form.state_token,
            requirements: &requirements,
            error: Some(&error),
        };
        csp.on(html(StatusCode::BAD_REQUEST, page.render()))
    };
    if form.new_password != form.confirm_password {
        return Ok(again("The two passwords differ.".into()));
    }
    match signin_flow::change_expired_password(&state, &form.state_token, None, &form.new_password)
        .await
    {
        Ok(Change::Success(user)) => {
            // The sign-on policy decides again: the MFA step or enrolment may follow.
            let client = client(peer, &headers);
            let outcome = signin_flow::after_password_change(&state, &client, user).await?;
            let fields = MfaForm {
                csrf: &form.csrf,
                from_uri: &form.from_uri,
                state_token: "",
            };
            next_page(&state, &client, fields, outcome).await
        }
        Ok(Change::InvalidState | Change::WrongPassword) => Ok(expired_form(&state)),
        Err(AccountError::PasswordRejected(causes)) => {
            let why = causes
                .iter()
                .map(|c| c.trim_start_matches("password: "))
                .collect::<Vec<_>>()
                .join(" ");
            Ok(again(why))
        }
        Err(e) => Err(e.into()),
    }
}

/// The signed-in user, or a redirect to sign in and come back to `back`.
async fn signed_in_user(
    state: &AppState,
    headers: &HeaderMap,
    back: &'static str,
) -> Result<Result<User, Response>, PageError> {
    let user = match crate::session::current(state, headers).await? {
        Some(session) => state.store.user(&session.user_id).await?,
        None => None,
    };
    Ok(user.ok_or_else(|| {
        let mut r = StatusCode::SEE_OTHER.into_response();
        r.headers_mut()
            .insert(header::LOCATION, HeaderValue::from_static(back));
        r
    }))
}

/// Whether the browser's session may add a passkey now ([`lanyard_core::signin::may_enrol_factor`]).
async fn may_add_passkey(
    state: &AppState,
    headers: &HeaderMap,
    user: &User,
) -> Result<bool, PageError> {
    let Some(session) = crate::session::current(state, headers).await? else {
        return Ok(false);
    };
    let has_factor = state
        .store
        .factors(&user.id)
        .await?
        .iter()
        .any(|f| f.status == lanyard_core::model::FactorStatus::Active);
    Ok(lanyard_core::signin::may_enrol_factor(
        session.created,
        &session.amr,
        has_factor,
        state.clock.now(),
    ))
}

/// What the security page says instead of the passkey form when the session may not add one.
const SIGN_IN_AGAIN: &str = "To add a passkey, sign in again first: a passkey can only be added within 10 minutes of signing in, and with your existing second step if you have one.";

#[derive(Deserialize, Default)]
struct SecurityQuery {
    added: Option<String>,
}

/// `/app/security`: the user's passkeys, and a form to add one.
async fn security(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<SecurityQuery>,
) -> Result<Response, PageError> {
    let user = match signed_in_user(&state, &headers, "/signin?fromURI=%2Fapp%2Fsecurity").await? {
        Ok(u) => u,
        Err(redirect) => return Ok(redirect),
    };
    let (csrf, cookie) = csrf_token(&state, &headers);
    let notice = q.added.is_some().then_some("Passkey added.");
    let may_add = may_add_passkey(&state, &headers, &user).await?;
    Ok(with_cookie(
        security_page(&state, &user, &csrf, notice, None, may_add, StatusCode::OK).await?,
        cookie,
    ))
}

async fn security_page(
    state: &AppState,
    user: &User,
    csrf: &str,
    notice: Option<&str>,
    error: Option<&str>,
    may_add: bool,
    status: StatusCode,
) -> Result<Response, PageError> {
    let passkeys = crate::webauthn::passkeys(state, &user.id)
        .await?
        .into_iter()
        .map(|(f, _)| {
            (
                "Passkey".to_owned(),
                f.created.format("%Y-%m-%d %H:%M UTC").to_string(),
            )
        })
        .collect();
    let (options, handle) = if state.webauthn.is_some() && may_add {
        let (options, handle) = crate::webauthn::begin_registration(state, user, None).await?;
        (Some(options.to_string()), handle.value)
    } else {
        (None, String::new())
    };
    let org = state.org_name();
    let page = SecurityPage {
        org: &org,
        csrf,
        login: &user.login,
        passkeys,
        options,
        handle: &handle,
        notice,
        error,
        sign_in_again: (state.webauthn.is_some() && !may_add).then_some(SIGN_IN_AGAIN),
    };
    Ok(html(status, page.render()))
}

#[derive(Deserialize)]
struct AddPasskeyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    handle: String,
    #[serde(default)]
    attestation: String,
    #[serde(default, rename = "clientData")]
    client_data: String,
}

/// Registers the passkey the page's script created: a new ACTIVE `webauthn` factor.
async fn add_passkey(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<AddPasskeyForm>,
) -> Result<Response, PageError> {
    let user = match signed_in_user(&state, &headers, "/signin?fromURI=%2Fapp%2Fsecurity").await? {
        Ok(u) => u,
        Err(redirect) => return Ok(redirect),
    };
    if !may_add_passkey(&state, &headers, &user).await? {
        return security_page(
            &state,
            &user,
            &form.csrf,
            None,
            Some(SIGN_IN_AGAIN),
            false,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let again = |error| {
        security_page(
            &state,
            &user,
            &form.csrf,
            None,
            Some(error),
            true,
            StatusCode::BAD_REQUEST,
        )
    };
    if form.attestation.is_empty() || state.webauthn.is_none() {
        return again("Your browser did not create a passkey. Adding a passkey needs JavaScript.")
            .await;
    }
    let key = lanyard_core::signin::hash(&form.handle);
    let outcome = crate::webauthn::finish_registration(
        &state,
        &user,
        &key,
        &form.attestation,
        &form.client_data,
    )
    .await?;
    let passkey = match outcome {
        Ok(p) => p,
        Err(RegistrationFailure::Duplicate) => {
            return again("That passkey is already registered.").await;
        }
        Err(RegistrationFailure::Expired) => {
            return again("The request expired. Try again.").await;
        }
        Err(RegistrationFailure::Malformed(_) | RegistrationFailure::Refused) => {
            return again("That passkey could not be registered. Try again.").await;
        }
    };
    let now = state.clock.now();
    lanyard_core::signin::passkeys::add(
        state.store.as_ref(),
        &state.master,
        state.random.as_ref(),
        now,
        &user.id,
        &passkey,
    )
    .await?;
    let client = client(peer, &headers);
    state.syslog.record(
        LogEvent::new(
            "user.mfa.factor.activate",
            "Activate factor",
            Party {
                kind: "User".into(),
                ..user_target(&user)
            },
            now,
            state.random.as_ref(),
        )
        .client(client.ip, client.user_agent)
        .target(user_target(&user)),
    );
    let mut r = StatusCode::SEE_OTHER.into_response();
    r.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_static("/app/security?added=1"),
    );
    Ok(r)
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage<'a> {
    org: &'a str,
    csrf: &'a str,
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage<'a> {
    org: &'a str,
    csrf: &'a str,
    token: &'a str,
    state_token: &'a str,
    login: &'a str,
    requirements: &'a str,
    error: Option<&'a str>,
}

pub fn recovery_routes() -> Router<AppState> {
    Router::new()
        .route("/signin/forgot-password", get(forgot).post(forgot_submit))
        .route(
            "/signin/reset-password/{token}",
            get(reset).post(reset_submit),
        )
}

async fn forgot(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (csrf, cookie) = csrf_token(&state, &headers);
    let org = state.org_name();
    with_cookie(
        html(
            StatusCode::OK,
            ForgotPage {
                org: &org,
                csrf: &csrf,
            }
            .render(),
        ),
        cookie,
    )
}

#[derive(Deserialize)]
struct ForgotForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
}

async fn forgot_submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<ForgotForm>,
) -> Result<Response, PageError> {
    if !form.username.trim().is_empty() {
        crate::recovery::start(&state, &client(peer, &headers), form.username.trim()).await?;
    }
    let org = state.org_name();
    // The same answer whether or not the account exists.
    let page = MessagePage {
        org: &org,
        title: "Check your email",
        message: "If the username has an account that can be recovered, a link to reset its password is on its way. The link works once, for an hour.",
        link: Some(("/signin", "Back to sign in")),
    };
    Ok(html(StatusCode::OK, page.render()))
}

fn link_expired(state: &AppState) -> Response {
    let org = state.org_name();
    let page = MessagePage {
        org: &org,
        title: "This link has expired",
        message: "The password reset link is no longer valid. Ask for a new one.",
        link: Some(("/signin/forgot-password", "Reset your password")),
    };
    html(StatusCode::FORBIDDEN, page.render())
}

/// Opening the link only shows the form: mail scanners open links, so the link is spent only when the form is sent.
async fn reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    crate::pages::extract::Path(token): crate::pages::extract::Path<String>,
) -> Result<Response, PageError> {
    let Some(user) = crate::recovery::check_reset_token(&state, &token).await? else {
        return Ok(link_expired(&state));
    };
    let (csrf, cookie) = csrf_token(&state, &headers);
    let org = state.org_name();
    let requirements = state.password_policy.requirements();
    let page = ResetPage {
        org: &org,
        csrf: &csrf,
        token: &token,
        state_token: "",
        login: &user.login,
        requirements: &requirements,
        error: None,
    };
    Ok(with_cookie(html(StatusCode::OK, page.render()), cookie))
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, rename = "stateToken")]
    state_token: String,
    #[serde(default, rename = "newPassword")]
    new_password: String,
    #[serde(default, rename = "confirmPassword")]
    confirm_password: String,
}

async fn reset_submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    crate::pages::extract::Path(token): crate::pages::extract::Path<String>,
    CsrfForm(form): CsrfForm<ResetForm>,
) -> Result<Response, PageError> {
    let client = client(peer, &headers);
    let org = state.org_name();
    let requirements = state.password_policy.requirements();
    // The first submission spends the emailed link for a state token; a retry after a refused password reuses it.
    let (state_token, login) = if form.state_token.is_empty() {
        if form.new_password != form.confirm_password {
            let Some(user) = crate::recovery::check_reset_token(&state, &token).await? else {
                return Ok(link_expired(&state));
            };
            let page = ResetPage {
                org: &org,
                csrf: &form.csrf,
                token: &token,
                state_token: "",
                login: &user.login,
                requirements: &requirements,
                error: Some("The two passwords differ."),
            };
            return Ok(html(StatusCode::BAD_REQUEST, page.render()));
        }
        match crate::recovery::begin_reset(&state, &token).await? {
            Some(step) => (step.state_token.value, step.user.login),
            None => return Ok(link_expired(&state)),
        }
    } else {
        let Some((_, user)) =
            signin_flow::state_token(&state, &form.state_token, "password_reset").await?
        else {
            return Ok(link_expired(&state));
        };
        (form.state_token.clone(), user.login)
    };
    let again = |error: String| {
        let page = ResetPage {
            org: &org,
            csrf: &form.csrf,
            token: &token,
            state_token: &state_token,
            login: &login,
            requirements: &requirements,
            error: Some(&error),
        };
        html(StatusCode::BAD_REQUEST, page.render())
    };
    if form.new_password != form.confirm_password {
        return Ok(again("The two passwords differ.".into()));
    }
    match crate::recovery::finish_reset(&state, &client, &state_token, &form.new_password).await {
        Ok(Some(user)) => {
            // The sign-on policy decides, as after any password: the MFA step or enrolment may follow.
            let outcome = signin_flow::after_password_change(&state, &client, user).await?;
            let fields = MfaForm {
                csrf: &form.csrf,
                from_uri: "",
                state_token: "",
            };
            next_page(&state, &client, fields, outcome).await
        }
        Ok(None) => Ok(link_expired(&state)),
        Err(AccountError::PasswordRejected(causes)) => {
            let why = causes
                .iter()
                .map(|c| c.trim_start_matches("password: "))
                .collect::<Vec<_>>()
                .join(" ");
            Ok(again(why))
        }
        Err(e) => Err(e.into()),
    }
}

crate::csrf_field!(
    SigninForm,
    EnrollForm,
    VerifyForm,
    WebAuthnForm,
    ChangeForm,
    AddPasskeyForm,
    ForgotForm,
    ResetForm
);
