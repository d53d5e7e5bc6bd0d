"""Support for the interoperability tests: the real `lanyard` binary on a fresh data dir for each test, its
management API, and a browser without JavaScript (requests with a cookie jar) that signs in on the hosted page."""

from __future__ import annotations

import base64
import hashlib
import html
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

REPO = Path(__file__).resolve().parents[3]
PASSWORD = "Correct-Horse-9"
REDIRECT_URI = "http://localhost:3000/callback"


def lanyard_bin() -> str:
    """The binary under test: `LANYARD_BIN`, else `target/debug/lanyard` (under `CARGO_TARGET_DIR` when set)."""
    if os.environ.get("LANYARD_BIN"):
        return str(Path(os.environ["LANYARD_BIN"]).resolve())
    target = REPO / os.environ.get("CARGO_TARGET_DIR", "target")
    return str(target / "debug" / "lanyard")


def clean_env() -> dict[str, str]:
    """The environment for the binary: none of the caller's `LANYARD_*` settings leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANYARD_")}
    env["RUST_LOG"] = "warn,sqlx=warn"
    return env


@dataclass
class Lanyard:
    base: str
    token: str
    data_dir: str
    proc: subprocess.Popen
    stderr: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def api(self, method: str, path: str, body=None):
        """A management API call with the SSWS token; the parsed JSON body (None when empty)."""
        r = requests.request(
            method,
            self.url(path),
            headers={"Authorization": f"SSWS {self.token}", "Accept": "application/json"},
            json=body,
            timeout=30,
        )
        assert r.ok, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    def errors(self) -> list[str]:
        return [line for line in self.stderr if re.search(r"\bERROR\b", line)]

    # Fixtures for the tests.

    def create_user(self, login: str, first: str = "Ada", last: str = "Lovelace") -> str:
        user = self.api(
            "POST",
            "/api/v1/users",
            {
                "profile": {"firstName": first, "lastName": last, "email": login, "login": login},
                "credentials": {"password": {"value": PASSWORD}},
            },
        )
        return user["id"]

    def create_app(
        self,
        grant_types=("authorization_code", "refresh_token"),
        auth_method: str = "client_secret_basic",
        application_type: str | None = None,
    ) -> dict:
        grant_types = list(grant_types)
        code = "authorization_code" in grant_types
        app_type = application_type or ("browser" if auth_method == "none" else "web" if code else "service")
        return self.api(
            "POST",
            "/api/v1/apps?activate=true",
            {
                "label": f"Interop {app_type} {auth_method}",
                "signOnMode": "OPENID_CONNECT",
                "name": "oidc_client",
                "credentials": {"oauthClient": {"token_endpoint_auth_method": auth_method}},
                "settings": {
                    "oauthClient": {
                        "application_type": app_type,
                        "grant_types": grant_types,
                        "response_types": ["code"] if code else [],
                        "redirect_uris": [REDIRECT_URI] if code else [],
                    }
                },
            },
        )

    def assign(self, app_id: str, user_id: str) -> None:
        self.api("POST", f"/api/v1/apps/{app_id}/users", {"id": user_id, "scope": "USER"})

    def add_scope(self, name: str) -> None:
        self.api("POST", "/api/v1/authorizationServers/default/scopes", {"name": name, "description": name})


def start_lanyard() -> tuple[Lanyard, str]:
    """`lanyard serve --listen 127.0.0.1:0 --data-dir <fresh dir>`; waits for its banner, mints an API token."""
    tmp = tempfile.mkdtemp(prefix="lanyard-interop-py-")
    data_dir = os.path.join(tmp, "data")
    proc = subprocess.Popen(
        [lanyard_bin(), "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir],
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stderr: list[str] = []
    threading.Thread(target=lambda: stderr.extend(proc.stderr), daemon=True).start()
    base = None
    deadline = time.monotonic() + 60
    for line in proc.stdout:
        m = re.search(r"listening on (http://\S+)", line)
        if m:
            base = m.group(1)
            break
        if time.monotonic() > deadline:
            break
    if base is None:
        proc.kill()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
        raise RuntimeError("lanyard serve did not start:\n" + "".join(stderr))
    # Keep draining stdout so the server never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    token = subprocess.run(
        [lanyard_bin(), "api-token", "create", "--name", "t", "--data-dir", data_dir],
        env=clean_env(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return Lanyard(base=base, token=token, data_dir=data_dir, proc=proc, stderr=stderr), tmp


def stop_lanyard(server: Lanyard, tmp: str) -> None:
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()
    if os.environ.get("LANYARD_KEEP_TEST_DIR"):
        print(f"kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def lanyard():
    """A fresh `lanyard serve` for one test; it must log no errors."""
    server, tmp = start_lanyard()
    try:
        yield server
    finally:
        errors = server.errors()
        stop_lanyard(server, tmp)
    assert errors == [], "the server logged no errors"


def forms(page: str) -> list[dict]:
    """The forms of a page: action, method and the inputs' name/value pairs, as a browser would submit them."""

    def attr(tag: str, name: str):
        m = re.search(rf'\b{name}\s*=\s*"([^"]*)"', tag, re.I)
        return html.unescape(m.group(1)) if m else None

    out = []
    for m in re.finditer(r"<form\b([^>]*)>(.*?)</form>", page, re.I | re.S):
        fields = {}
        for tag in re.findall(r"<input\b[^>]*>", m.group(2), re.I):
            name = attr(tag, "name")
            if name:
                fields[name] = attr(tag, "value") or ""
        out.append({"action": attr(m.group(1), "action"), "method": (attr(m.group(1), "method") or "get").upper(), "fields": fields})
    return out


def sign_in_through_hosted_page(authorization_url: str, username: str, password: str = PASSWORD, redirect_uri: str = REDIRECT_URI) -> str:
    """A fresh browser (requests.Session: a cookie jar, redirects followed by hand) goes to the authorization URL,
    lands on the hosted sign-in page, fills in username and password (the page's hidden CSRF token and fromURI as
    they are) and follows the redirects back to the client: the callback URL with the code."""
    s = requests.Session()
    url = authorization_url
    r = s.get(url, allow_redirects=False, timeout=30)
    hops = 0
    while r.is_redirect:
        hops += 1
        assert hops < 10, "too many redirects"
        url = urljoin(url, r.headers["location"])
        if url.startswith(redirect_uri):
            return url
        r = s.get(url, allow_redirects=False, timeout=30)
    assert r.status_code == 200 and urlsplit(url).path == "/signin", f"expected the sign-in page: {r.status_code} {url}"
    form = next(f for f in forms(r.text) if "username" in f["fields"] and "password" in f["fields"])
    data = {**form["fields"], "username": username, "password": password}
    url = urljoin(url, form["action"] or url)
    r = s.post(url, data=data, allow_redirects=False, timeout=30)
    while r.is_redirect:
        hops += 1
        assert hops < 10, "too many redirects"
        url = urljoin(url, r.headers["location"])
        if url.startswith(redirect_uri):
            return url
        r = s.get(url, allow_redirects=False, timeout=30)
    raise AssertionError(f"{url} answered {r.status_code}: {r.text[:2000]}")


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(32)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge
