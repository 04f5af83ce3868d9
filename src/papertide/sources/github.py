"""GitHub's REST API for the star counts of papers' code repositories (`papertide ingest github`).

Polite and cheap: a token from the environment (GITHUB_TOKEN) when there is one, a delay between
requests, and conditional requests — each repository's ETag is kept and sent back as If-None-Match,
and GitHub answers an unchanged repository with 304, which does not count against the rate limit,
so a daily refresh of 100,000 repositories costs little. A rate-limit answer (403 or 429 with
X-RateLimit-Remaining 0, or Retry-After) stops the run and says until when; the next run goes on
with the repositories checked longest ago.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import orjson

from papertide.numbers import whole_or_none
from papertide.sources import SourceError
from papertide.sources.http import USER_AGENT

API = "https://api.github.com"


@dataclass(frozen=True)
class RepoState:
    status: str  # "ok", "not_modified" (304: nothing changed) or "gone" (404, 410, 451)
    stars: int | None = None
    etag: str | None = None


class RateLimited(SourceError):
    """GitHub asked to slow down; `until` says when the limit resets (UTC), when it said."""

    def __init__(self, until: datetime | None) -> None:
        super().__init__(f"GitHub's rate limit is reached{f' until {until:%Y-%m-%d %H:%M} UTC' if until else ''}")
        self.until = until


class GithubClient:
    def __init__(
        self,
        base_url: str = API,
        token: str | None = None,
        delay: float = 0.5,
        retries: int = 2,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.base_url, self.delay, self.retries = base_url.rstrip("/"), delay, retries
        self._sleep, self._clock = sleep, clock
        self._last: float | None = None
        self._client = httpx.Client(timeout=30, headers=headers, follow_redirects=True)  # a renamed repo redirects

    def _wait_turn(self) -> None:
        if self._last is not None and (remaining := self.delay - (self._clock() - self._last)) > 0:
            self._sleep(remaining)
        self._last = self._clock()

    def repo(self, full_name: str, etag: str | None = None) -> RepoState:
        """The repository's star count, or that it did not change since `etag`, or that it is gone."""
        headers = {"If-None-Match": etag} if etag else {}
        for attempt in range(self.retries + 1):
            self._wait_turn()
            try:
                response = self._client.get(f"{self.base_url}/repos/{full_name}", headers=headers)
            except httpx.HTTPError as exc:
                if attempt == self.retries:
                    raise SourceError(f"GitHub {full_name}: {exc}") from exc
                self._sleep(2.0**attempt)
                continue
            status = response.status_code
            if status == 304:
                return RepoState("not_modified", etag=etag)
            if status == 200:
                try:
                    stars = orjson.loads(response.content)["stargazers_count"]
                except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
                    raise SourceError(f"GitHub {full_name}: not a repository answer") from exc
                if not isinstance(stars, int) or isinstance(stars, bool) or stars < 0:
                    raise SourceError(f"GitHub {full_name}: stargazers_count is not a count")
                return RepoState("ok", stars, response.headers.get("ETag"))
            if status in (404, 410, 451):
                return RepoState("gone")
            if status in (403, 429) and (
                response.headers.get("X-RateLimit-Remaining") == "0" or "Retry-After" in response.headers
            ):
                reset = response.headers.get("X-RateLimit-Reset", "")
                raise RateLimited(
                    datetime.fromtimestamp(reset_at, UTC).replace(tzinfo=None)
                    if (reset_at := whole_or_none(reset, 0, 2**33)) is not None
                    else None
                )
            if status >= 500 and attempt < self.retries:
                self._sleep(2.0**attempt)
                continue
            raise SourceError(f"GitHub {full_name} answered HTTP {status}")
        raise SourceError(f"GitHub {full_name}: no answer")

    def close(self) -> None:
        self._client.close()
