"""Schemathesis against the real binary: starts `lanyard serve` on a fresh data directory, mints an API token,
creates a few objects of each kind (so generated requests reach past "not found"), and runs `schemathesis run` on
`/api/v1/openapi.json` with the checks CI demands. Exits with schemathesis's status.

LANYARD_BIN names the binary (default target/debug/lanyard); SCHEMATHESIS_MAX_EXAMPLES bounds the examples per
operation (default 10); extra arguments go to `schemathesis run` (e.g. `--include-path-regex /users`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# Every check schemathesis has for responses: no 5xx, every status documented, the body matching its schema and the
# Content-Type the one documented.
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"

# Operations left out, each for a reason:
EXCLUDED = [
    # Revokes an API token by id, `current` included: the run's own token, after which every request is a 401.
    "api_tokens.revoke",
]


def lanyard_bin() -> str:
    return os.path.abspath(os.environ.get("LANYARD_BIN") or os.path.join(ROOT, "target", "debug", "lanyard"))


class Server:
    def __init__(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="lanyard-schemathesis-")
        self.data_dir = os.path.join(self.tmp, "data")
        env = {k: v for k, v in os.environ.items() if not k.startswith("LANYARD_")}
        # The sign-in throttle (per client IP) would answer most generated Authn requests with 429 and leave the
        # logic behind them untested; the run is one client.
        env["LANYARD_SIGNIN_RATE_LIMIT"] = "100000"
        env["LANYARD_API_RATE_LIMIT"] = "100000"
        self.env = env
        self.proc = subprocess.Popen(
            [lanyard_bin(), "serve", "--listen", "127.0.0.1:0", "--data-dir", self.data_dir],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stderr: list[str] = []
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True).start()
        self.base = None
        for line in self.proc.stdout:
            m = re.search(r"listening on (http://\S+)", line)
            if m:
                self.base = m.group(1)
                break
        if self.base is None:
            self.stop()
            raise RuntimeError("lanyard serve did not start:\n" + "".join(self.stderr))
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()
        self.token = subprocess.run(
            [lanyard_bin(), "api-token", "create", "--name", "schemathesis", "--data-dir", self.data_dir],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    def api(self, method: str, path: str, body: object | None = None) -> object:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base + "/api/v1" + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"SSWS {self.token}",
                "Accept": "application/json",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(req) as r:
                text = r.read().decode()
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{method} {path}: {e.code} {e.read().decode()}") from e
        return json.loads(text) if text else None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, D102
        return None


def sign_in(s: Server, login: str, password: str) -> str:
    """A browser's session for `login`, as the `sid` cookie's value: the Authn API's session token, exchanged at
    /login/sessionCookieRedirect."""
    req = urllib.request.Request(
        s.base + "/api/v1/authn",
        data=json.dumps({"username": login, "password": password}).encode(),
        method="POST",
        headers={"Accept": "application/json", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as r:
        token = json.loads(r.read().decode())["sessionToken"]
    query = urllib.parse.urlencode({"token": token, "redirectUrl": s.base + "/"})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(s.base + "/login/sessionCookieRedirect?" + query)
        raise RuntimeError("/login/sessionCookieRedirect did not redirect")
    except urllib.error.HTTPError as e:
        if e.code != 302:
            raise
        for cookie in e.headers.get_all("Set-Cookie") or []:
            m = re.match(r"sid=([^;]+)", cookie)
            if m:
                return m.group(1)
    raise RuntimeError("/login/sessionCookieRedirect set no sid cookie")


def seed(s: Server) -> dict[str, list[str]]:
    """A few objects of each kind; the values each path parameter may take, by name."""
    values: dict[str, list[str]] = {}

    def add(name: str, *items: object) -> None:
        for item in items:
            if isinstance(item, str) and item not in values.setdefault(name, []):
                values[name].append(item)

    users = []
    for i in range(2):
        u = s.api(
            "POST",
            "/users?activate=true",
            {
                "profile": {
                    "login": f"fuzz{i}@example.com",
                    "email": f"fuzz{i}@example.com",
                    "firstName": "Fuzz",
                    "lastName": str(i),
                },
                "credentials": {"password": {"value": "Correct-Horse-Battery-9"}},
            },
        )
        users.append(u["id"])
    add("id", *users)
    add("uid", *users)
    group = s.api("POST", "/groups", {"profile": {"name": "Fuzzers"}})["id"]
    add("gid", group)
    s.api("PUT", f"/groups/{group}/users/{users[0]}")
    app = s.api(
        "POST",
        "/apps?activate=true",
        {
            "label": "Fuzzed app",
            "signOnMode": "OPENID_CONNECT",
            "name": "oidc_client",
            "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic"}},
            "settings": {
                "oauthClient": {
                    "application_type": "web",
                    "grant_types": ["authorization_code"],
                    "response_types": ["code"],
                    "redirect_uris": ["https://app.example.com/callback"],
                }
            },
        },
    )["id"]
    add("id", app)
    s.api("POST", f"/apps/{app}/users", {"id": users[0], "scope": "USER"})
    s.api("PUT", f"/apps/{app}/groups/{group}", {})
    add("sid", *[x["id"] for x in s.api("GET", f"/apps/{app}/credentials/secrets")])
    # The user the caller's own routes (`/sessions/me`, `/users/me/appLinks`) are signed in as: in no dictionary, so
    # that no generated request suspends it or ends its sessions; assigned the app, so that its app links list one.
    me = s.api(
        "POST",
        "/users?activate=true",
        {
            "profile": {"login": ME_LOGIN, "email": ME_LOGIN, "firstName": "Me", "lastName": "Fuzz"},
            "credentials": {"password": {"value": ME_PASSWORD}},
        },
    )["id"]
    s.api("POST", f"/apps/{app}/users", {"id": me, "scope": "USER"})
    add("id", "default")
    add("pid", *[p["id"] for p in s.api("GET", "/authorizationServers/default/policies")])
    for p in s.api("GET", "/authorizationServers/default/policies"):
        add("rid", *[r["id"] for r in s.api("GET", f"/authorizationServers/default/policies/{p['id']}/rules")])
    add("sid", *[x["id"] for x in s.api("GET", "/authorizationServers/default/scopes")][:3])
    add("cid", *[x["id"] for x in s.api("GET", "/authorizationServers/default/claims")])
    add("kid", *[x["kid"] for x in s.api("GET", "/authorizationServers/default/credentials/keys")])
    for p in s.api("GET", "/policies?type=OKTA_SIGN_ON"):
        add("pid", p["id"])
        add("rid", *[r["id"] for r in s.api("GET", f"/policies/{p['id']}/rules")])
    origin = s.api(
        "POST",
        "/trustedOrigins",
        {"name": "Fuzz", "origin": "https://fuzz.example.com", "scopes": [{"type": "CORS"}]},
    )["id"]
    add("id", origin)
    factor = s.api("POST", f"/users/{users[1]}/factors", {"factorType": "token:software:totp", "provider": "OKTA"})
    add("fid", factor["id"])
    add("name", *[e["name"] for e in s.api("GET", "/catalog/apps?limit=3")])
    # The lifecycle operations of users, apps, trusted origins and secrets.
    add("operation", "activate", "deactivate", "suspend", "unsuspend", "unlock", "expire_password", "reset_password")
    add("op", "activate", "deactivate")
    return values


# The signed-in user of the caller's own routes.
ME_LOGIN = "me@example.com"
ME_PASSWORD = "Correct-Horse-Battery-9"
# The operations a browser's session cookie opens (not an API token). `DELETE /sessions/me` ends its session: it gets
# a session of its own, so that the others keep theirs.
ME_OPERATIONS = ["sessions.me.get", "sessions.me.post", "app_links.for_me"]
END_ME = "sessions.end_me"


def write_config(path: str, values: dict[str, list[str]], cookies: tuple[str, str] | None = None) -> None:
    lines = []
    for name, items in sorted(values.items()):
        lines.append(f"[dictionaries.{name}]")
        lines.append("values = " + json.dumps(items))
        lines.append("")
    lines.append("[parameters]")
    for name in sorted(values):
        # Half the time a real object; otherwise whatever schemathesis makes up.
        lines.append(f'"path.{name}" = {{ dictionary = "{name}", probability = 0.5 }}')
    if cookies is not None:
        for ops, sid in ((ME_OPERATIONS, cookies[0]), ([END_ME], cookies[1])):
            lines.append("")
            lines.append("[[operations]]")
            lines.append("include-operation-id = " + json.dumps(ops))
            lines.append("headers = { Cookie = " + json.dumps(f"sid={sid}") + " }")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def main() -> int:
    venv_bin = os.path.join(HERE, ".venv", "bin")
    started = time.monotonic()
    s = Server()
    try:
        values = seed(s)
        cookies = (sign_in(s, ME_LOGIN, ME_PASSWORD), sign_in(s, ME_LOGIN, ME_PASSWORD))
        config = os.path.join(s.tmp, "schemathesis.toml")
        write_config(config, values, cookies)
        cmd = [
            os.path.join(venv_bin, "schemathesis"),
            "--config-file",
            config,
            "run",
            f"{s.base}/api/v1/openapi.json",
            "--url",
            f"{s.base}/api/v1",
            "--header",
            f"Authorization: SSWS {s.token}",
            # The token above stands for the security schemes; no made-up credentials.
            "--generation-with-security-parameters",
            "false",
            "--checks",
            CHECKS,
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"),
            # One worker: Hypothesis's lambda introspection is not thread-safe on Python 3.11.
            "--workers",
            "1",
            "--no-color",
            "--generation-database",
            "none",
            "--seed",
            os.environ.get("SCHEMATHESIS_SEED", "1"),
        ]
        for op in EXCLUDED:
            cmd += ["--exclude-operation-id", op]
        cmd += sys.argv[1:]
        status = subprocess.run(cmd, env={**os.environ, "SCHEMATHESIS_HOOKS": ""}).returncode
        if s.proc.poll() is not None:
            print("lanyard serve exited during the run:\n" + "".join(s.stderr), file=sys.stderr)
            status = status or 1
        print(f"schemathesis: exit {status} in {time.monotonic() - started:.0f} s", file=sys.stderr)
        return status
    finally:
        s.stop()


if __name__ == "__main__":
    sys.exit(main())
