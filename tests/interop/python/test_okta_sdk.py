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
