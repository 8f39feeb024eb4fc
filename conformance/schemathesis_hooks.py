"""schemathesis hooks for conformance/run.sh: the credentials of the document's security schemes.

`preview_secret` is PREVIEW_SECRET as `?secret=` on /api/preview. (Given here rather than in
schemathesis.toml's `[auth.openapi]`, which would turn off the providers below.) The preview cookie
is optional wherever it is accepted (without it drafts are hidden), so none is given.

The webhook's credential is not a key but an HMAC-SHA256 of each body, keyed by WEBHOOK_SECRET
(`X-Signature-256: sha256=<hex>`), so no static `[auth]` entry can supply it. This provider signs the
JSON text schemathesis sends for the case (`json.dumps`, as its requests transport writes JSON
bodies), so deliveries reach the route's own checks (shape, post, replay) instead of stopping at
401. schemathesis's `ignored_auth` check still sends them unsigned and wrongly signed.
"""

import hashlib
import hmac
import json
import os

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
        signature = hmac.new(key, body, hashlib.sha256).hexdigest()
        case.headers = {**(case.headers or {}), "X-Signature-256": f"sha256={signature}"}
