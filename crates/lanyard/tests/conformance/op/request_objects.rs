//! Request objects as the OIDF suite builds them, and a small HTTP server that hosts one at a `request_uri` (the
//! suite serves its own over https; here a loopback address the RP registers in `request_uris`).

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::{AuthRequest, Op};

/// The request as a request object's claims (`ConvertAuthorizationEndpointRequestToRequestObject`,
/// `AddAudToRequestObject`, `AddIssToRequestObject`).
pub fn claims(op: &Op, req: &AuthRequest) -> Value {
    let mut claims = serde_json::Map::new();
    for (k, v) in &req.params {
        claims.insert(k.clone(), json!(v));
    }
    claims.insert("aud".into(), json!(op.issuer));
    claims.insert("iss".into(), json!(req.get("client_id")));
    Value::Object(claims)
}

/// The URL parameters next to a request object (`BuildRequestObjectRedirectToAuthorizationEndpoint`, and the by
/// reference variant): only `response_type`, `client_id`, `scope` and `redirect_uri` (so no `state`).
pub fn outside_the_object(req: &AuthRequest) -> AuthRequest {
    let mut out = req.clone();
    out.params.retain(|(k, _)| {
        ["response_type", "client_id", "scope", "redirect_uri"].contains(&k.as_str())
    });
    out
}

/// A request object hosted at [`Hosted::url`] on a fresh loopback server, as `application/oauth-authz-req+jwt`;
/// set it with [`Hosted::put`] (the RP registers the URL before it knows its client id).
pub struct Hosted {
    pub url: String,
    body: Arc<Mutex<String>>,
}

impl Hosted {
    pub async fn start() -> Hosted {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let body = Arc::new(Mutex::new(String::new()));
        let served = body.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut conn, _)) = listener.accept().await else {
                    return;
                };
                let body = served.lock().expect("lock").clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = conn.read(&mut buf).await;
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/oauth-authz-req+jwt\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = conn.write_all(reply.as_bytes()).await;
                });
            }
        });
        Hosted {
            url: format!("http://{addr}/request.jwt"),
            body,
        }
    }

    pub fn put(&self, object: &str) {
        *self.body.lock().expect("lock") = object.to_owned();
    }
}
