"""What every answer of the page's server goes through: whose requests it takes, and the headers it adds.

    app = Guard(app, hosts=LOCAL)   # only requests addressed to this machine by name
    app = Guard(app, hosts=None)    # any Host (the server listens on a network: --host 0.0.0.0)

Host: a page on another site can make a browser send requests to 127.0.0.1 by pointing its
own name at that address (DNS rebinding); the browser then names that site in the Host
header. A server that listens on the loopback address only answers requests whose Host is
one of LOCAL (any port), so another site can never read the model or its answers.
Origin: a browser names the page that sends a request; one from any other origin than the
server's own (another port of localhost too) is refused, whatever `hosts` is (no CORS is
offered: there is no Access-Control-Allow-Origin anywhere).
Headers: a Content-Security-Policy that lets the page run only its own scripts and connect
only to its own server (no inline script, no frames, nothing from elsewhere), and
X-Content-Type-Options: nosniff. Refusals are JSON errors like the API's (403).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

LOCAL = ("localhost", "127.0.0.1", "::1")
HEADERS = [
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self'; "
                                 b"img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
                                 b"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


def hostname(value: str) -> str:
    """The name in a Host header or an Origin's authority, without the port or IPv6 brackets, lower case."""
    try:
        name = urlsplit("//" + value).hostname
    except ValueError:  # a malformed port or bracket
        return value.lower()
    return (name or "").lower()


class Guard:
    """ASGI middleware: refuses requests from elsewhere (see the module docstring), adds the headers."""

    def __init__(self, app, hosts=LOCAL):
        self.app = app
        self.hosts = None if hosts is None else {h.lower().strip("[]") for h in hosts}

    def refusal(self, scope) -> str | None:
        """Why this request is refused, or None."""
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if self.hosts is not None and hostname(host) not in self.hosts:
            return (f"this server answers requests addressed to {', '.join(sorted(self.hosts))} only, "
                    f"not to {host or 'no host'!r}")
        origin = headers.get("origin")
        if origin is not None and urlsplit(origin).netloc.lower() != host.lower():  # "null" too
            return f"requests from pages of {origin!r} are not answered, only the page's own"
        return None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        why = self.refusal(scope)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *HEADERS]}
            await send(message)

        if why is None:
            return await self.app(scope, receive, send_with_headers)
        body = json.dumps({"error": why}).encode()
        await send_with_headers({"type": "http.response.start", "status": 403,
                                 "headers": [(b"content-type", b"application/json"),
                                             (b"content-length", str(len(body)).encode())]})
        await send_with_headers({"type": "http.response.body", "body": body})
