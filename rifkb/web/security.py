"""What keeps a local app local: a signed session cookie holding the CSRF token and the
flash messages, the token checked on every form posted, and headers that keep pages
from loading anything from elsewhere or being framed by another site.

The session is a cookie signed with HMAC-SHA256 under a secret drawn when the app is
made (a restart starts new sessions: a page left open must be reloaded before posting).
Every form carries the session's token; a post without it, or with another, is refused
with 403 (OWASP's synchroniser-token pattern). The cookie is HttpOnly and SameSite=Strict,
and named after the port, so two `rifkb serve` on one machine do not overwrite each
other's sessions (browsers share cookies between ports of a host).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_FIELD = "csrf"
# Nothing from elsewhere: scripts and styles from this app only (matplotlib's inline SVGs
# carry style attributes), pictures from this app or inline; never in another site's frame.
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
          "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")  # fmt: skip
HEADERS = {
    "content-security-policy": POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


class Sessions:
    """ASGI middleware: `request.session` (a dict with a `csrf` token and `flash`
    messages) from the signed cookie, written back when it changed; security headers
    on every response."""

    def __init__(self, app: ASGIApp, secret: bytes | None = None):
        self.app, self.secret = app, secret or secrets.token_bytes(32)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        name = f"rifkb_session_{(scope.get('server') or ('', 0))[1]}"
        cookie = Request(scope).cookies.get(name)
        session = self.load(cookie) if cookie else None
        scope["session"] = session or {CSRF_FIELD: secrets.token_urlsafe(32)}
        before = None if session is None else json.dumps(session, sort_keys=True)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in HEADERS.items():
                    headers.setdefault(key, value)
                if json.dumps(scope["session"], sort_keys=True) != before:
                    value = self.dump(scope["session"])
                    headers.append("set-cookie", f"{name}={value}; Path=/; HttpOnly; SameSite=Strict")
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def dump(self, session: dict[str, Any]) -> str:
        payload = _b64(json.dumps(session, sort_keys=True).encode())
        return f"{payload}.{self._sign(payload)}"

    def load(self, cookie: str) -> dict[str, Any] | None:
        """The session a cookie holds; None when it is not one this app signed."""
        payload, _, signature = cookie.partition(".")
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            session = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except ValueError:
            return None
        return session if isinstance(session, dict) and isinstance(session.get(CSRF_FIELD), str) else None

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self.secret, payload.encode(), hashlib.sha256).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def csrf_token(request: Request) -> str:
    return request.session[CSRF_FIELD]


def csrf_ok(request: Request, given: object) -> bool:
    """Whether a posted token is the session's (compared in constant time)."""
    return isinstance(given, str) and hmac.compare_digest(given.encode(), csrf_token(request).encode())


def flash(request: Request, kind: str, text: str) -> None:
    """A message for the next page shown (after a redirect): kind "ok", "info" or "error"."""
    request.session.setdefault("flash", []).append({"kind": kind, "text": text})


def take_flashes(request: Request) -> list[dict[str, str]]:
    return request.session.pop("flash", [])
