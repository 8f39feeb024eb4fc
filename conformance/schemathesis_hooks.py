"""schemathesis hooks for conformance/run.sh: the credentials of the document's security schemes.

`preview_secret` is PREVIEW_SECRET as `?secret=` on /api/preview. (Given here rather than in
schemathesis.toml's `[auth.openapi]`, which would turn off the providers below.) The preview cookie
is optional wherever it is accepted (without it drafts are hidden), so none is given.

The webhook's credential is not a key but an HMAC-SHA256 of each delivery, keyed by WEBHOOK_SECRET
(`X-Signature-256: sha256=<hex of "{X-Webhook-Timestamp}.{X-Delivery-Id}.{body}">`), so no static
`[auth]` entry can supply it. This provider signs the JSON text schemathesis sends for the case
(`json.dumps`, as its requests transport writes JSON bodies) with the case's delivery id, so
deliveries reach the route's own checks (shape, post, replay) instead of stopping at 401. The
timestamp is set to now where the case has a well-formed one (any digits); a missing or malformed
one is left as schemathesis made it, to be refused. schemathesis's `ignored_auth` check still sends
deliveries unsigned and wrongly signed.

The create routes' `Idempotency-Key` (issue 25): a key the document allows is answered by what it was
first used for, so schemathesis, which sends the same few generated keys with ever other bodies, would
hear 422 ("used for other values") for valid requests. Each valid key is made unique to its request
(a UUID, as clients send); malformed keys are left as generated, to be refused with 400. Replays and
reuse are tested by tests/api/idempotency_key.rs.
"""

import hashlib
import hmac
import json
import os
import re
import time
import uuid

import schemathesis
from schemathesis.core import NOT_SET


@schemathesis.auth().apply_to(path="/api/preview")
class PreviewSecret:
    def get(self, case, context):
        return os.environ["PREVIEW_SECRET"]

    def set(self, case, secret, context):
        case.query = {**(case.query or {}), "secret": secret}


@schemathesis.auth().apply_to(path="/api/webhook")
class WebhookSignature:
    def get(self, case, context):
        return os.environ["WEBHOOK_SECRET"].encode()

    def set(self, case, key, context):
        if case.body is NOT_SET or not (case.media_type or "").startswith("application/json"):
            return
        if isinstance(case.body, bytes):
            body = case.body
        else:
            try:
                body = json.dumps(case.body, allow_nan=False).encode()
            except (TypeError, ValueError):
                # Not something schemathesis sends as JSON text: left unsigned, refused with 401.
                return
        headers = dict(case.headers or {})
        delivery = header(headers, "x-delivery-id") or ""
        timestamp = header(headers, "x-webhook-timestamp")
        if timestamp is not None and re.fullmatch(r"[0-9]+", timestamp.strip(" \t")):
            headers = {name: value for name, value in headers.items()
                       if name.lower() != "x-webhook-timestamp"}
            timestamp = str(int(time.time()))
            headers["X-Webhook-Timestamp"] = timestamp
        # The server reads both headers without the spaces and tabs around them, as HTTP does.
        blanks = " \t"
        signed = f"{(timestamp or '').strip(blanks)}.{delivery.strip(blanks)}.".encode() + body
        signature = hmac.new(key, signed, hashlib.sha256).hexdigest()
        case.headers = {**headers, "X-Signature-256": f"sha256={signature}"}


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    key = next((name for name in headers if name.lower() == "idempotency-key"), None)
    if key is not None and isinstance(headers[key], str) and re.fullmatch(r"[!-~]{1,255}", headers[key]):
        case.headers = {**headers, key: str(uuid.uuid4())}


@schemathesis.auth().apply_to(path=["/api/post", "/api/post/{id}"])
class BearerToken:
    """An API token of the account `_token` signs up: the posts schemathesis creates are its own,
    so PATCH and DELETE of a post (and its page's form route) reach past the author check (the
    `ignored_auth` check still sends them without it, to be answered 401)."""

    def get(self, case, context):
        return _token()

    def set(self, case, token, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}


def header(headers, name):
    """The value of header `name` (any case) in `headers`, or None."""
    return next((value for key, value in headers.items() if key.lower() == name), None)


# Accounts (issue 22): the `session_cookie` and `bearer_token` schemes. One account is signed up
# for the run, once; the routes that need a user get its API token (a Bearer header, which no
# fuzzed sign-out can end). A fuzzed `DELETE /api/auth/tokens/{id}` may revoke it: a new one is
# made from the session cookie whenever the last one stopped working.
_account = {}


def _call(method, path, body=None, headers=None):
    import urllib.request

    request = urllib.request.Request(
        os.environ["CONFORMANCE_BASE_URL"] + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"content-type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read()


def _token():
    if "cookie" not in _account:
        name = "conformance_" + os.urandom(4).hex()
        _, headers, _ = _call("POST", "/api/auth/signup",
                              {"username": name, "password": "conformance password"})
        _account["cookie"] = headers["set-cookie"].split(";")[0]
    _, _, body = _call("POST", "/api/auth/tokens", headers={"cookie": _account["cookie"]})
    return json.loads(body)["token"]


@schemathesis.auth(refresh_interval=1).apply_to(path_regex="^/api/auth/(me|tokens)")
class AccountToken:
    def get(self, case, context):
        return _token()

    def set(self, case, token, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
