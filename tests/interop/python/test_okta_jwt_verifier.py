"""okta-jwt-verifier (Okta's Python verifier) against the real `lanyard` binary: it accepts Lanyard's access and ID
tokens, fetching keys from `{issuer}/v1/keys`, and rejects tampered and mis-addressed ones.

The library refuses non-https issuers and has no switch for tests, so these tests patch
`ConfigValidator.validate_issuer` to pass `https_check=False`. That check is on the configured issuer URL only:
every check on the tokens (signature, alg, iss, aud, exp, nonce) stays as the library does it."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
import requests
from okta_jwt_verifier import AccessTokenVerifier, IDTokenVerifier
from okta_jwt_verifier.config_validator import ConfigValidator
from okta_jwt_verifier.exceptions import JWTValidationException

from conftest import PASSWORD, REDIRECT_URI, pkce_pair

_validate_issuer = ConfigValidator.validate_issuer


@pytest.fixture(autouse=True)
def allow_http_issuer(monkeypatch):
    monkeypatch.setattr(
        ConfigValidator, "validate_issuer", lambda self, issuer=None, https_check=True: _validate_issuer(self, issuer, https_check=False)
    )


def tokens_for(lanyard, app, login, nonce=None, auth_server="default"):
    """Authn API sessionToken → /authorize with prompt=none and PKCE → the code at the token endpoint."""
    authn = requests.post(lanyard.url("/api/v1/authn"), json={"username": login, "password": PASSWORD}, timeout=30).json()
    assert authn["status"] == "SUCCESS", authn
    prefix = "/oauth2/v1" if auth_server == "org" else f"/oauth2/{auth_server}/v1"
    verifier, challenge = pkce_pair()
    params = {
        "client_id": app["id"],
        "response_type": "code",
        "scope": "openid profile email offline_access",
        "redirect_uri": REDIRECT_URI,
        "state": "st8",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "prompt": "none",
        "sessionToken": authn["sessionToken"],
    }
    if nonce:
        params["nonce"] = nonce
    r = requests.get(lanyard.url(f"{prefix}/authorize"), params=params, allow_redirects=False, timeout=30)
    assert r.status_code == 302, r.text
    code = requests.utils.urlparse(r.headers["location"]).query
    code = dict(p.split("=", 1) for p in code.split("&"))["code"]
    oc = app["credentials"]["oauthClient"]
    t = requests.post(
        lanyard.url(f"{prefix}/token"),
        auth=(oc["client_id"], oc["client_secret"]),
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier},
        timeout=30,
    )
    assert t.ok, t.text
    return t.json()


def tamper_claims(jwt: str) -> str:
    header, body, sig = jwt.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["sub"] = "mallory@example.com"
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return ".".join([header, body, sig])


def test_accepts_access_and_id_tokens_and_rejects_tampered_ones(lanyard):
    uid = lanyard.create_user("ada@example.com")
    app = lanyard.create_app()
    lanyard.assign(app["id"], uid)
    tokens = tokens_for(lanyard, app, "ada@example.com", nonce="n-0S6_WzA2Mj")
    issuer = lanyard.url("/oauth2/default")

    at = AccessTokenVerifier(issuer=issuer, audience="api://default")
    asyncio.run(at.verify(tokens["access_token"]))
    at.verify_sync(tokens["access_token"])

    idv = IDTokenVerifier(issuer=issuer, client_id=app["id"], audience="api://default")
    asyncio.run(idv.verify(tokens["id_token"], nonce="n-0S6_WzA2Mj"))

    with pytest.raises(JWTValidationException):
        at.verify_sync(tamper_claims(tokens["access_token"]))
    with pytest.raises(JWTValidationException):
        AccessTokenVerifier(issuer=issuer, audience="api://other").verify_sync(tokens["access_token"])
    with pytest.raises(JWTValidationException):
        AccessTokenVerifier(issuer=lanyard.url("/oauth2/other"), audience="api://default").verify_sync(tokens["access_token"])
    with pytest.raises(JWTValidationException):
        IDTokenVerifier(issuer=issuer, client_id="someone-else").verify_sync(tokens["id_token"], nonce="n-0S6_WzA2Mj")
    with pytest.raises(JWTValidationException):
        idv.verify_sync(tokens["id_token"], nonce="another")


def test_accepts_client_credentials_tokens_and_follows_key_rotation(lanyard):
    lanyard.add_scope("reports:read")
    svc = lanyard.create_app(grant_types=["client_credentials"], application_type="service")
    oc = svc["credentials"]["oauthClient"]

    def mint():
        r = requests.post(
            lanyard.url("/oauth2/default/v1/token"),
            auth=(oc["client_id"], oc["client_secret"]),
            data={"grant_type": "client_credentials", "scope": "reports:read"},
            timeout=30,
        )
        assert r.ok, r.text
        return r.json()["access_token"]

    issuer = lanyard.url("/oauth2/default")
    verifier = AccessTokenVerifier(issuer=issuer, audience="api://default")
    before = mint()
    verifier.verify_sync(before)
    lanyard.api("POST", "/api/v1/authorizationServers/default/credentials/lifecycle/keyRotate")
    after = mint()

    def kid(jwt: str) -> str:
        header = jwt.split(".")[0]
        return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]

    assert kid(after) != kid(before), "signed with the rotated key"
    # The cached JWKS lacks the new kid: the library clears its cache and fetches the keys again.
    verifier.verify_sync(after)
    asyncio.run(verifier.verify(after))
    verifier.verify_sync(before)
