"""The Python `okta` management SDK against the real `lanyard` binary: a user, an OIDC app (the body its pydantic
models send, defaults filled in), the assignment, lists with pagination; then the app it made signs the user in.

The SDK refuses http org URLs unless OKTA_TESTING_TESTINGDISABLEHTTPSCHECK=true is in the environment when the
client is built (a `testing` key in the config dict does not work)."""

from __future__ import annotations

import asyncio

import pytest
from okta.client import Client as OktaClient
from okta.pagination import PaginationHelper
from okta.models import AppUserAssignRequest, CreateUserRequest, OpenIdConnectApplication

from conftest import PASSWORD, REDIRECT_URI
from test_okta_jwt_verifier import tokens_for


@pytest.fixture
def okta(lanyard, monkeypatch):
    monkeypatch.setenv("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true")
    return OktaClient({"orgUrl": lanyard.base, "token": lanyard.token})


def oidc_app(label: str, grant_types=("authorization_code", "refresh_token"), app_type="web") -> OpenIdConnectApplication:
    code = "authorization_code" in grant_types
    return OpenIdConnectApplication.from_dict(
        {
            "label": label,
            "signOnMode": "OPENID_CONNECT",
            "name": "oidc_client",
            "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic"}},
            "settings": {
                "oauthClient": {
                    "application_type": app_type,
                    "grant_types": list(grant_types),
                    "response_types": ["code"] if code else ["token"],
                    "redirect_uris": [REDIRECT_URI] if code else [],
                }
            },
        }
    )


async def all_pages(call, *args, **kwargs):
    """Every item of a list call, page by page with the SDK's PaginationHelper (the `after` cursor of the `next`
    Link header)."""
    items = []
    while True:
        page, resp, err = await call(*args, **kwargs)
        assert err is None, err
        items.extend(page)
        cursor = PaginationHelper.extract_next_cursor(resp.headers)
        if cursor is None:
            return items
        kwargs["after"] = cursor


def test_user_app_assignment_and_lists(lanyard, okta):
    async def run():
        user, _, err = await okta.create_user(
            CreateUserRequest.from_dict(
                {
                    "profile": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com", "login": "ada@example.com"},
                    "credentials": {"password": {"value": PASSWORD}},
                }
            ),
            activate=True,
        )
        assert err is None, err
        assert user.id.startswith("00u")
        assert user.status.value == "ACTIVE"
        got, _, err = await okta.get_user("ada@example.com")
        assert err is None, err
        assert got.id == user.id

        app, _, err = await okta.create_application(oidc_app("Python SDK app"), activate=True)
        assert err is None, err
        assert app.id.startswith("0oa")
        assert app.status.value == "ACTIVE"
        assert app.credentials.oauth_client.client_id == app.id
        secret = app.credentials.oauth_client.client_secret
        assert secret

        app_user, _, err = await okta.assign_user_to_application(
            app.id, AppUserAssignRequest.from_dict({"id": user.id, "scope": "USER", "credentials": {"userName": "ada@example.com"}})
        )
        assert err is None, err
        assert app_user.id == user.id
        members = await all_pages(okta.list_application_users, app.id)
        assert [m.id for m in members] == [user.id]

        for label in ("Second", "Third"):
            _, _, err = await okta.create_application(oidc_app(label, ["client_credentials"], "service"))
            assert err is None, err
        first, resp, err = await okta.list_applications(limit=1)
        assert len(first) == 1 and PaginationHelper.has_next_page(resp.headers), "a next link"
        apps = await all_pages(okta.list_applications, limit=1)
        assert sorted(a.label for a in apps) == ["Python SDK app", "Second", "Third"]
        users = await all_pages(okta.list_users, q="ada")
        assert [u.id for u in users] == [user.id]
        return user.id, {"id": app.id, "credentials": {"oauthClient": {"client_id": app.id, "client_secret": secret}}}

    uid, app = asyncio.run(run())
    # The app made through the SDK works: the assigned user gets tokens for it.
    tokens = tokens_for(lanyard, app, "ada@example.com")
    assert tokens["access_token"] and tokens["id_token"]


def test_errors_come_back_in_okta_s_shape(lanyard, okta):
    async def run():
        return await okta.get_user("nobody@example.com")

    _, resp, err = asyncio.run(run())
    assert err is not None
    assert resp.status == 404
    assert getattr(err, "error_code", None) == "E0000007", err


def private_key_app(lanyard, scopes, dpop=False):
    """A service app with `private_key_jwt` and a fresh RSA key (registered as its JWKS through the Apps API with
    SSWS), granted `scopes` through the Grants API; its client id and the private key as PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwcrypto import jwk

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = jwk.JWK.from_pem(pem.encode()).export_public(as_dict=True)
    public.update({"kid": "sdk-key", "alg": "RS256", "use": "sig"})
    app = lanyard.api(
        "POST",
        "/api/v1/apps?activate=true",
        {
            "label": "Python PrivateKey app",
            "signOnMode": "OPENID_CONNECT",
            "name": "oidc_client",
            "credentials": {"oauthClient": {"token_endpoint_auth_method": "private_key_jwt"}},
            "settings": {
                "oauthClient": {
                    "application_type": "service",
                    "grant_types": ["client_credentials"],
                    "response_types": ["token"],
                    "redirect_uris": [],
                    "jwks": {"keys": [public]},
                    "dpop_bound_access_tokens": dpop,
                }
            },
        },
    )
    for scope in scopes:
        grant = lanyard.api("POST", f"/api/v1/apps/{app['id']}/grants", {"issuer": lanyard.base, "scopeId": scope})
        assert (grant["scopeId"], grant["source"], grant["status"]) == (scope, "ADMIN", "ACTIVE")
    return app["credentials"]["oauthClient"]["client_id"], pem


def private_key_client(lanyard, client_id, pem, scopes, dpop=False):
    config = {
        "orgUrl": lanyard.base,
        "authorizationMode": "PrivateKey",
        "clientId": client_id,
        "scopes": scopes,
        "privateKey": pem,
        "kid": "sdk-key",
    }
    if dpop:
        config["dpopEnabled"] = True
    return OktaClient(config)


def new_user(login):
    return CreateUserRequest.from_dict(
        {"profile": {"firstName": "No", "lastName": "Scope", "email": login, "login": login}}
    )


@pytest.mark.parametrize("dpop", [False, True], ids=["bearer", "dpop"])
def test_private_key_mode_lists_users_with_okta_users_read_and_may_not_create_one(lanyard, okta, monkeypatch, dpop):
    """Acceptance (issue 13): the SDK fetches its own token from /oauth2/v1/token (client credentials, a
    private_key_jwt assertion, okta.users.read granted through the Grants API) — a DPoP-bound one when the app asks
    for it — lists users with it, and is refused creating one with 403 E0000006; SSWS still works."""
    monkeypatch.setenv("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true")
    lanyard.create_user("grace@example.com", "Grace", "Hopper")
    client_id, pem = private_key_app(lanyard, ["okta.users.read"], dpop=dpop)
    scoped = private_key_client(lanyard, client_id, pem, ["okta.users.read"], dpop=dpop)

    async def run():
        users = await all_pages(scoped.list_users)
        assert "grace@example.com" in [u.profile.login for u in users]
        user, _, err = await scoped.get_user("grace@example.com")
        assert err is None, err
        assert user.profile.first_name == "Grace"

        _, resp, err = await scoped.create_user(new_user("no@example.com"))
        assert err is not None
        assert resp.status == 403
        assert getattr(err, "error_code", None) == "E0000006", err
        assert "okta.users.manage" in str(getattr(err, "error_causes", err)), err

        # The SSWS client still reaches everything.
        created, _, err = await okta.create_user(new_user("ssws@example.com"))
        assert err is None, err
        assert created.id.startswith("00u")

    asyncio.run(run())


def test_private_key_mode_gets_no_scope_the_admin_did_not_grant(lanyard, monkeypatch):
    monkeypatch.setenv("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true")
    client_id, pem = private_key_app(lanyard, ["okta.users.read"])
    greedy = private_key_client(lanyard, client_id, pem, ["okta.users.manage"])

    async def run():
        return await greedy.list_users()

    _, _, err = asyncio.run(run())
    assert err is not None
    assert "invalid_scope" in str(err) or "okta.users.manage" in str(err), err
