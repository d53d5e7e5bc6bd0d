//! Ending SSO sessions everywhere they should end (the rules: `lanyard_core::signin::sessions`; here, telling the
//! apps and the system log). Every way a session ends goes through here — RP-initiated
//! logout, `/login/signout`, `DELETE /api/v1/sessions/me`, an administrator ending a session or all of a user's, a
//! user deactivated or suspended, a password reset — so the apps signed into the session are told: by back-channel
//! notices in the background (`crate::backchannel`), and, where a browser is there to see the signed-out page, by
//! front-channel frames in it. Sessions that run out (idle or absolute lifetime) end silently.
//!
//! Also the pages of logout: the signed-out page (with the front-channel frames, and a way on to the app when the
//! browser goes back to it), the confirmation asked before signing out on a request that cannot be trusted, and the
//! page of a refused request.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lanyard_core::model::EndedSession;
use lanyard_core::oauth::logout::frontchannel_url;
use lanyard_core::signin::sessions;
use lanyard_core::syslog::{LogEvent, Party};

use crate::pages::{Csp, html};
use crate::state::AppState;
use crate::syslog::Audit;
use lanyard_core::store::StoreError;

/// Records that `client_id` got a code or tokens from server `auth_server_id` in session `session_id`, so that it
/// is told when the session ends ([`sessions::app_signed_in`]).
pub async fn signed_in(
    state: &AppState,
    session_id: &str,
    client_id: &str,
    auth_server_id: &str,
) -> Result<(), StoreError> {
    sessions::app_signed_in(
        state.store.as_ref(),
        state.clock.now(),
        session_id,
        client_id,
        auth_server_id,
    )
    .await?;
    Ok(())
}

/// Ends a session and tells its apps (back-channel); the ended session, for the front-channel frames, or `None` if
/// it had already ended.
pub async fn end(state: &AppState, session_id: &str) -> Result<Option<EndedSession>, StoreError> {
    let ended = sessions::end(state.store.as_ref(), session_id).await?;
    announce(state, ended.as_slice());
    Ok(ended)
}

/// Ends every session of a user and tells their apps; how many ended.
pub async fn end_all(state: &AppState, user_id: &str) -> Result<usize, StoreError> {
    let ended = sessions::end_all(state.store.as_ref(), user_id).await?;
    announce(state, &ended);
    Ok(ended.len())
}

/// Tells the apps of sessions an operation ended (back-channel, in the background).
pub fn announce(state: &AppState, ended: &[EndedSession]) {
    for e in ended {
        crate::backchannel::announce(state, e);
    }
}

/// The system log's `user.session.end`, with the user as actor (they signed out) and target.
pub async fn log_end(state: &AppState, audit: &Audit, user_id: &str) {
    if let Ok(Some(user)) = state.store.user(user_id).await {
        let target = crate::syslog::user_target(&user);
        let actor = Party {
            kind: "User".into(),
            ..target.clone()
        };
        let (kind, message) = sessions::END_EVENT;
        let event = LogEvent::new(
            kind,
            message,
            actor,
            state.clock.now(),
            state.random.as_ref(),
        )
        .client(audit.ip.clone(), audit.user_agent.clone())
        .target(target);
        state.syslog.record(event);
    }
}

/// The front-channel logout URIs of the session's apps ([`sessions::frontchannel_targets`]), each with the `iss`
/// of the server that signed the app in and the session's `sid`.
pub async fn frontchannel_frames(
    state: &AppState,
    ended: &EndedSession,
) -> Result<Vec<String>, StoreError> {
    let mut frames = Vec::new();
    for target in sessions::frontchannel_targets(state.store.as_ref(), ended).await? {
        let Some(entry) = state.keyring.entry(&target.auth_server_id).await? else {
            continue;
        };
        frames.push(frontchannel_url(&target.uri, &entry.issuer, &ended.id));
    }
    Ok(frames)
}

/// Once the frames have loaded (or after 5 s), on to the app.
const CONTINUE_SCRIPT: &str = "function go(){location.replace(document.getElementById(\"continue\").href)}\
addEventListener(\"load\",go);setTimeout(go,5000)";

#[derive(Template)]
#[template(path = "signed_out.html")]
struct SignedOutPage<'a> {
    org: &'a str,
    frames: &'a [String],
    continue_to: Option<&'a str>,
    script: &'a str,
}

#[derive(Template)]
#[template(path = "logout_confirm.html")]
struct ConfirmPage<'a> {
    org: &'a str,
    action: &'a str,
    csrf: &'a str,
    app: Option<&'a str>,
    login: Option<&'a str>,
    params: &'a [(&'a str, &'a str)],
}

#[derive(Template)]
#[template(path = "logout_refused.html")]
struct RefusedPage<'a> {
    org: &'a str,
    reason: &'a str,
    sign_out: Option<&'a str>,
}

/// What every logout page is served with: its policy, no caching, no framing.
fn secure(mut r: Response, csp: &Csp) -> Response {
    csp.apply(&mut r);
    let h = r.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// After a session ended: to `continue_to` at once when no app has a page to load, else the signed-out page, which
/// loads the apps' front-channel logout URIs in hidden frames (CSP `frame-src` allows exactly their origins) and
/// then goes on to `continue_to`, if any (by script once the frames loaded, or by the link without JavaScript).
pub fn signed_out(state: &AppState, frames: &[String], continue_to: Option<&str>) -> Response {
    if frames.is_empty()
        && let Some(to) = continue_to
    {
        let mut r = StatusCode::FOUND.into_response();
        match HeaderValue::from_str(to) {
            Ok(v) => {
                r.headers_mut().insert(header::LOCATION, v);
            }
            Err(_) => return refused(state, "The post-logout redirect URI cannot be used.", None),
        }
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return r;
    }
    let org = state.org_name();
    let page = SignedOutPage {
        org: &org,
        frames,
        continue_to,
        script: CONTINUE_SCRIPT,
    };
    let mut csp = frames
        .iter()
        .fold(Csp::page().without_scripts(), |csp, f| csp.frames_from(f));
    if continue_to.is_some() {
        csp = csp.inline_script(CONTINUE_SCRIPT);
    }
    secure(html(StatusCode::OK, page.render()), &csp)
}

/// "Sign out?": a form that posts the request back to `action` with a CSRF token and `confirm=yes`. Forms may go
/// to this origin and, as the answer may redirect there, to the origin of the post-logout redirect URI.
pub fn confirm(
    state: &AppState,
    action: &str,
    csrf: &str,
    app: Option<&str>,
    login: Option<&str>,
    params: &[(&str, &str)],
    redirect_to: Option<&str>,
) -> Response {
    let org = state.org_name();
    let page = ConfirmPage {
        org: &org,
        action,
        csrf,
        app,
        login,
        params,
    };
    let mut csp = Csp::page().without_scripts();
    if let Some(to) = redirect_to {
        csp = csp.forms_to(to);
    }
    secure(html(StatusCode::OK, page.render()), &csp)
}

/// A refused request: why, and (when signed in) a way to sign out anyway, through the confirmation at `sign_out`.
pub fn refused(state: &AppState, reason: &str, sign_out: Option<&str>) -> Response {
    let org = state.org_name();
    let page = RefusedPage {
        org: &org,
        reason,
        sign_out,
    };
    secure(
        html(StatusCode::BAD_REQUEST, page.render()),
        &Csp::page().without_scripts(),
    )
}
