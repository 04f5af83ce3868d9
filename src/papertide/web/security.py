"""Security headers on every response: a Content-Security-Policy that allows no inline script
(every script is a file of this site, so markup injected into a page could not run code even if it
got through), no framing, no MIME sniffing, and referrers kept to this origin. A pure ASGI
middleware: one header list added to each response start, no per-request Python objects."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Pages, the API and feeds: only this site's own files, nothing inline, no plugins, no framing.
STRICT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; manifest-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# The web view of a digest is the email's own HTML, styled by style attributes (mail clients read
# no stylesheets); it has no script at all.
EMAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# The API docs (Swagger UI, served from this site): its bundle sets inline styles.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)

_COMMON: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]


def csp_for(path: str) -> str:
    if path == "/digest":
        return EMAIL_CSP
    if path == "/api/docs":
        return DOCS_CSP
    return STRICT_CSP


class SecurityHeaders:
    def __init__(self, app: ASGIApp, extra: Iterable[tuple[bytes, bytes]] = ()) -> None:
        self.app = app
        self.extra = list(extra)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = (b"content-security-policy", csp_for(scope.get("path", "")).encode())
        added = [policy, *_COMMON, *self.extra]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in added if h[0] not in names)]
            await send(message)

        await self.app(scope, receive, with_headers)
