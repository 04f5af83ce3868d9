"""A polite HTTP client for the sources: a delay between calls, retries with back-off on 429/5xx."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import httpx

from papertide.numbers import whole_or_none
from papertide.sources import SourceError

USER_AGENT = "papertide/0.1 (+self-hosted paper discovery)"


class PoliteClient:
    """GETs with at least `delay` seconds between requests (arXiv asks for 3 s) and bounded retries.

    `sleep` and `clock` are passed in so tests run without waiting.
    """

    def __init__(
        self,
        delay: float = 3.0,
        retries: int = 4,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.delay = delay
        self.retries = retries
        self._sleep = sleep
        self._clock = clock
        self._last: float | None = None
        self._client = httpx.Client(timeout=timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=True)

    def _wait_turn(self) -> None:
        if self._last is not None:
            remaining = self.delay - (self._clock() - self._last)
            if remaining > 0:
                self._sleep(remaining)
        self._last = self._clock()

    def get(self, url: str, params: Mapping[str, str | int] | None = None) -> bytes:
        for attempt in range(self.retries + 1):
            self._wait_turn()
            try:
                response = self._client.get(url, params=params)
            except httpx.HTTPError as exc:
                if attempt == self.retries:
                    raise SourceError(f"GET {url} failed: {exc}") from exc
                self._sleep(2.0**attempt)
                continue
            if response.status_code == 200:
                return response.content
            if response.status_code in (429, 500, 502, 503, 504) and attempt < self.retries:
                # OAI-PMH servers (arXiv's among them) answer 503 with Retry-After for flow control.
                retry_after = response.headers.get("Retry-After", "")
                self._sleep(float(whole_or_none(retry_after, 0, 86_400) or 2.0**attempt))
                continue
            raise SourceError(f"GET {response.url} answered HTTP {response.status_code}")
        raise SourceError(f"GET {url} failed after {self.retries + 1} attempts")

    def close(self) -> None:
        self._client.close()
