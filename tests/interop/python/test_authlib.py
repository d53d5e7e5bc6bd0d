"""Authlib against the real `lanyard` binary: discovery, the authorization code flow with PKCE through the hosted
sign-in page, Authlib's own ID token validation (signature by the discovered JWKS, iss, aud, exp, iat, nonce,
at_hash), refresh, client credentials, introspection and revocation, with client_secret_basic, client_secret_post
and private_key_jwt."""

from __future__ import annotations

import os
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.integrations.base_client import BaseApp, OAuth2Mixin, OpenIDMixin
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import RSAKey
from joserfc.errors import JoseError

from conftest import REDIRECT_URI, sign_in_through_hosted_page

# Lanyard serves plain http on 127.0.0.1 in tests: Authlib refuses http URLs unless this is set (a transport
# check only; every token and ID token check still applies).
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"

SCOPE = "openid profile email offline_access"


class _NoFramework:
    """What Authlib's web-framework integrations supply; these tests keep state themselves."""

    def update_token(self, *args, **kwargs):
        pass


class OidcApp(OAuth2Mixin, OpenIDMixin, BaseApp):
    """Authlib's OpenID Connect relying party, as its Flask/Django/Starlette integrations compose it, without a
    web framework: discovery from `server_metadata_url`, PKCE and nonce, the code exchange, `parse_id_token`."""

    client_cls = OAuth2Session

    def __init__(self, **kwargs):
        super().__init__(_NoFramework(), **kwargs)


def rp(lanyard, app, **client_kwargs) -> OidcApp:
    oc = app["credentials"]["oauthClient"]
    return OidcApp(
        client_id=oc["client_id"],
        client_secret=oc.get("client_secret"),
        server_metadata_url=lanyard.url("/oauth2/default/.well-known/openid-configuration"),
        client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", **client_kwargs},
    )


def sign_in(app: OidcApp, login="ada@example.com") -> tuple[dict, dict]:
    """The full browser round trip: authorization URL, hosted sign-in, callback, the code exchange; the token
    response and the ID token's claims as Authlib validated them."""
    request = app.create_authorization_url(redirect_uri=REDIRECT_URI)
    assert "code_challenge=" in request["url"] and "nonce=" in request["url"]
    callback = sign_in_through_hosted_page(request["url"], login)
    params = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
    assert params["state"] == request["state"], "state comes back"
    assert params["iss"] == app.load_server_metadata()["issuer"]
    token = app.fetch_access_token(
        redirect_uri=REDIRECT_URI, code=params["code"], code_verifier=request["code_verifier"], state=params["state"]
    )
    userinfo = app.parse_id_token(token, nonce=request["nonce"])
    return token, userinfo


@pytest.fixture
def ada(lanyard):
    return lanyard.create_user("ada@example.com")


def test_code_pkce_through_the_hosted_page_then_refresh_introspect_revoke(lanyard, ada):
    app = lanyard.create_app()
    lanyard.assign(app["id"], ada)
    oidc = rp(lanyard, app)
    meta = oidc.load_server_metadata()
    assert meta["issuer"] == lanyard.url("/oauth2/default")

    token, claims = sign_in(oidc)
    assert token["token_type"].lower() == "bearer"
    assert token["expires_at"] > time.time() + 3500
    assert claims["sub"] == ada
    assert claims["aud"] == app["id"]
    assert claims["email"] == "ada@example.com"
    assert claims["name"] == "Ada Lovelace"
    assert "refresh_token" in token

    oc = app["credentials"]["oauthClient"]
    session = OAuth2Session(oc["client_id"], oc["client_secret"], token_endpoint_auth_method="client_secret_basic")

    # Refresh: new tokens, the refresh token rotated, an ID token that still validates.
    refreshed = session.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
    assert refreshed["access_token"] != token["access_token"]
    assert refreshed["refresh_token"]
    if "id_token" in refreshed:
        assert oidc.parse_id_token(refreshed, nonce=None)["sub"] == ada

    # Introspection.
    r = session.introspect_token(meta["introspection_endpoint"], token=refreshed["access_token"])
    r.raise_for_status()
    body = r.json()
    assert body["active"] is True
    assert body["client_id"] == app["id"]
    assert body["uid"] == ada
    r = session.introspect_token(meta["introspection_endpoint"], token=refreshed["refresh_token"], token_type_hint="refresh_token")
    assert r.json()["active"] is True

    # Revocation ends the refresh token and, with it, refreshing.
    r = session.revoke_token(meta["revocation_endpoint"], token=refreshed["refresh_token"], token_type_hint="refresh_token")
    assert r.status_code == 200, r.text
    assert session.introspect_token(meta["introspection_endpoint"], token=refreshed["refresh_token"]).json()["active"] is False
    with pytest.raises(OAuthError) as err:
        session.refresh_token(meta["token_endpoint"], refresh_token=refreshed["refresh_token"])
    assert err.value.error == "invalid_grant"
    r = session.revoke_token(meta["revocation_endpoint"], token=refreshed["access_token"])
    assert r.status_code == 200
    assert session.introspect_token(meta["introspection_endpoint"], token=refreshed["access_token"]).json()["active"] is False


def test_authlib_rejects_an_id_token_for_another_nonce(lanyard, ada):
    app = lanyard.create_app()
    lanyard.assign(app["id"], ada)
    oidc = rp(lanyard, app)
    request = oidc.create_authorization_url(redirect_uri=REDIRECT_URI)
    callback = sign_in_through_hosted_page(request["url"], "ada@example.com")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    token = oidc.fetch_access_token(redirect_uri=REDIRECT_URI, code=code, code_verifier=request["code_verifier"])
    with pytest.raises(JoseError):
        oidc.parse_id_token(token, nonce="not-the-nonce-we-sent")
    # A wrong PKCE verifier is refused by the server.
    request = oidc.create_authorization_url(redirect_uri=REDIRECT_URI)
    callback = sign_in_through_hosted_page(request["url"], "ada@example.com")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    with pytest.raises(OAuthError) as err:
        oidc.fetch_access_token(redirect_uri=REDIRECT_URI, code=code, code_verifier="x" * 64)
    assert err.value.error == "invalid_grant"


def test_client_secret_post_and_private_key_jwt(lanyard, ada):
    post = lanyard.create_app(auth_method="client_secret_post")
    lanyard.assign(post["id"], ada)
    _, claims = sign_in(rp(lanyard, post, token_endpoint_auth_method="client_secret_post"))
    assert claims["aud"] == post["id"]

    key = RSAKey.generate_key(2048, parameters={"kid": "authlib-1", "alg": "RS256", "use": "sig"})
    pkj = lanyard.api(
        "POST",
        "/api/v1/apps?activate=true",
        {
            "label": "Interop private_key_jwt",
            "signOnMode": "OPENID_CONNECT",
            "name": "oidc_client",
            "credentials": {"oauthClient": {"token_endpoint_auth_method": "private_key_jwt"}},
            "settings": {
                "oauthClient": {
                    "application_type": "web",
                    "grant_types": ["authorization_code", "refresh_token"],
                    "response_types": ["code"],
                    "redirect_uris": [REDIRECT_URI],
                    "jwks": {"keys": [key.as_dict(private=False)]},
                }
            },
        },
    )
    lanyard.assign(pkj["id"], ada)
    app = OidcApp(
        client_id=pkj["id"],
        client_secret=key.as_dict(private=True),
        server_metadata_url=lanyard.url("/oauth2/default/.well-known/openid-configuration"),
        client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "token_endpoint_auth_method": PrivateKeyJWT()},
    )
    token, claims = sign_in(app)
    assert claims["aud"] == pkj["id"]
    assert token["refresh_token"]


def test_client_credentials_with_a_custom_scope(lanyard):
    lanyard.add_scope("reports:read")
    svc = lanyard.create_app(grant_types=["client_credentials"], application_type="service")
    oc = svc["credentials"]["oauthClient"]
    token_endpoint = lanyard.url("/oauth2/default/v1/token")
    session = OAuth2Session(oc["client_id"], oc["client_secret"], scope="reports:read")
    token = session.fetch_token(token_endpoint, grant_type="client_credentials")
    assert token["scope"] == "reports:read"
    assert "refresh_token" not in token and "id_token" not in token
    r = session.introspect_token(lanyard.url("/oauth2/default/v1/introspect"), token=token["access_token"])
    assert r.json()["active"] is True
    assert r.json()["sub"] == svc["id"]
    with pytest.raises(OAuthError) as err:
        OAuth2Session(oc["client_id"], oc["client_secret"], scope="reports:nope").fetch_token(
            token_endpoint, grant_type="client_credentials"
        )
    assert err.value.error == "invalid_scope"
    with pytest.raises(OAuthError) as err:
        OAuth2Session(oc["client_id"], "not-the-secret", scope="reports:read").fetch_token(
            token_endpoint, grant_type="client_credentials"
        )
    assert err.value.error == "invalid_client"
