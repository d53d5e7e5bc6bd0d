"""Authlib's OpenID Connect ID token classes against the implicit and hybrid flows of the real `lanyard` binary:
each response type through the hosted sign-in page, the authorization endpoint's ID token validated with
`ImplicitIDToken` (nonce required, at_hash whenever an access token comes with it) or `HybridIDToken` (c_hash as
well), and the hybrid flow's code redeemed for tokens whose ID token `CodeIDToken` validates, about the same user."""

from __future__ import annotations

import os
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken, HybridIDToken, ImplicitIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from conftest import REDIRECT_URI, sign_in_through_hosted_page

os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"


@pytest.fixture
def ada(lanyard):
    return lanyard.create_user("ada@example.com")


@pytest.fixture
def app(lanyard, ada):
    """A web app that opts in to the implicit grant (off by default) with every response type."""
    created = lanyard.api(
        "POST",
        "/api/v1/apps?activate=true",
        {
            "label": "Interop hybrid",
            "signOnMode": "OPENID_CONNECT",
            "name": "oidc_client",
            "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic"}},
            "settings": {
                "oauthClient": {
                    "application_type": "web",
                    "grant_types": ["authorization_code", "implicit", "refresh_token"],
                    "response_types": ["code", "id_token", "token"],
                    "redirect_uris": [REDIRECT_URI],
                }
            },
        },
    )
    lanyard.assign(created["id"], ada)
    return created


def metadata(lanyard) -> tuple[dict, dict]:
    meta = requests.get(lanyard.url("/oauth2/default/.well-known/openid-configuration"), timeout=30).json()
    return meta, requests.get(meta["jwks_uri"], timeout=30).json()


def validated(meta: dict, jwks: dict, client_id: str, id_token: str, claims_cls, **params):
    """Verifies `id_token` against the JWKS and validates it with Authlib's `claims_cls`, as `parse_id_token` does
    (iss, aud, azp, exp, iat, nonce, and the class's own rules)."""
    token = jwt.decode(
        id_token,
        KeySet.import_key_set(jwks),
        registry=JWSRegistry(algorithms=meta["id_token_signing_alg_values_supported"], strict_check_header=False),
    )
    options = {"iss": {"essential": True, "values": [meta["issuer"]]}, "aud": {"essential": True, "values": [client_id]}}
    claims = claims_cls(token.claims, token.header, options, {"client_id": client_id, **params})
    claims.validate(leeway=120)
    return claims


def authorize(lanyard, app, meta, response_type: str, **extra):
    """The browser round trip for `response_type`; the session, the fragment's parameters, the nonce and verifier."""
    oc = app["credentials"]["oauthClient"]
    session = OAuth2Session(
        oc["client_id"],
        oc["client_secret"],
        scope="openid profile email",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
    )
    nonce = secrets.token_urlsafe(16)
    verifier = secrets.token_urlsafe(48)
    if "code" in response_type.split():
        # Authlib adds PKCE to response_type=code only; the app requires it for every code.
        extra = {**extra, "code_challenge": create_s256_code_challenge(verifier), "code_challenge_method": "S256"}
    url, state = session.create_authorization_url(
        meta["authorization_endpoint"], response_type=response_type, nonce=nonce, **extra
    )
    callback = sign_in_through_hosted_page(url, "ada@example.com")
    parts = urlsplit(callback)
    assert parts.query == "", f"nothing in the query: {callback}"
    params = {k: v[0] for k, v in parse_qs(parts.fragment).items()}
    assert params["state"] == state
    assert params["iss"] == meta["issuer"]
    return session, params, nonce, verifier


@pytest.mark.parametrize("response_type", ["id_token", "id_token token", "code id_token", "code token", "code id_token token"])
def test_authlib_validates_the_id_tokens_of_every_implicit_and_hybrid_response_type(lanyard, ada, app, response_type):
    meta, jwks = metadata(lanyard)
    assert response_type in meta["response_types_supported"]
    session, params, nonce, verifier = authorize(lanyard, app, meta, response_type)
    types = response_type.split()
    assert ("code" in params, "id_token" in params, "access_token" in params) == (
        "code" in types,
        "id_token" in types,
        "token" in types,
    )
    if "id_token" in types:
        cls = HybridIDToken if "code" in types else ImplicitIDToken
        front = validated(
            meta, jwks, app["id"], params["id_token"], cls, nonce=nonce, access_token=params.get("access_token"), code=params.get("code")
        )
        assert front["sub"] == ada
        if "token" not in types and "code" not in types:
            assert front["email"] == "ada@example.com", "no access token: the claims are in the ID token"
    if "token" in types:
        assert params["token_type"].lower() == "bearer" and int(params["expires_in"]) > 0
        assert "refresh_token" not in params
    if "code" in types:
        token = session.fetch_token(
            meta["token_endpoint"], grant_type="authorization_code", code=params["code"], code_verifier=verifier
        )
        back = validated(meta, jwks, app["id"], token["id_token"], CodeIDToken, nonce=nonce, access_token=token["access_token"])
        assert back["sub"] == ada


def test_authlib_refuses_hashes_that_do_not_match(lanyard, ada, app):
    meta, jwks = metadata(lanyard)
    _, first, nonce, _ = authorize(lanyard, app, meta, "code id_token token")
    _, second, _, _ = authorize(lanyard, app, meta, "code id_token token")
    # The first ID token with the second flow's access token, or code: at_hash, c_hash refuse them.
    with pytest.raises(JoseError):
        validated(meta, jwks, app["id"], first["id_token"], ImplicitIDToken, nonce=nonce, access_token=second["access_token"])
    with pytest.raises(JoseError):
        validated(meta, jwks, app["id"], first["id_token"], HybridIDToken, nonce=nonce, code=second["code"])
    with pytest.raises(JoseError):
        validated(meta, jwks, app["id"], first["id_token"], ImplicitIDToken, nonce="another")


def test_no_nonce_no_id_token_from_the_authorization_endpoint(lanyard, ada, app):
    meta, _ = metadata(lanyard)
    oc = app["credentials"]["oauthClient"]
    session = OAuth2Session(oc["client_id"], oc["client_secret"], scope="openid", redirect_uri=REDIRECT_URI)
    url, state = session.create_authorization_url(meta["authorization_endpoint"], response_type="id_token")
    assert "nonce=" not in url
    r = requests.get(url, allow_redirects=False, timeout=30)
    assert r.status_code == 302
    location = urlsplit(r.headers["location"])
    assert location.query == ""
    params = {k: v[0] for k, v in parse_qs(location.fragment).items()}
    assert params["error"] == "invalid_request"
    assert params["state"] == state
