"""One limit on request bodies for every route, applied before anything reads them, and the API's
writes authenticated before their JSON is parsed.

The outside probe sent an anonymous `POST /api/collections` with a 150 MB JSON body: FastAPI read
and parsed all of it (2.3 s, the server grew from 1.2 to 1.8 GB and never shrank below ~0.9 GB)
before the handler answered 401; four at once held a normal request up 1.5 s. Here, a pure ASGI
middleware in front of the app:
- a body longer than `MAX_BODY` is a 413 from its Content-Length alone, never read; a write without
  a Content-Length (a chunked upload, which no form or API client of this site sends) is a 411;
- an API write (`/api/…`) with a body and without a live session or personal API token is a 401 before its body is
  read (the session found is kept on the request's state, so the route does not look it up again).
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from papertide.numbers import whole_or_none

# The largest body a form or the API takes: a comment is at most 10,000 characters (≤ 40 kB of
# UTF-8, ~120 kB when a form percent-encodes every byte); everything else is far smaller.
MAX_BODY = 256 * 1024
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class BoundedBodies:
    def __init__(self, app: ASGIApp, authenticated: Callable[[Request], bool], max_body: int = MAX_BODY) -> None:
        self.app, self.authenticated, self.max_body = app, authenticated, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WRITES:
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        declared = headers.get(b"content-length")
        chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        if declared is None and chunked:
            await _answer(send, 411, "send the body with a Content-Length")
            return
        length = whole_or_none(declared.decode("latin-1"), 0, 2**62) if declared is not None else 0
        if length is None:
            await _answer(send, 400, "the Content-Length is not a number")
            return
        if length > self.max_body:
            await _answer(send, 413, f"the request body is too large (at most {self.max_body // 1024} kB)")
            return
        # Only a body is worth refusing early (an empty write reaches its route, which says what it needs).
        if (
            length
            and scope["path"].startswith("/api/")
            and not await run_in_threadpool(self.authenticated, Request(scope))
        ):
            await _answer(send, 401, "sign in (or send a personal API token) to write")
            return
        await self.app(scope, receive, send)


async def _answer(send: Send, status: int, message: str) -> None:
    """A plain JSON error, sent without reading the body (the connection closes after it)."""
    body = orjson.dumps({"error": message})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": [*headers, (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


__all__ = ["MAX_BODY", "BoundedBodies"]
