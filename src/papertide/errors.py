"""The few kinds of refusal every domain error is one of, so that a shell maps them once (the web
app: invalid → 400, not found → 404, forbidden → 403, conflict → 409, rate limited → 429; the CLI:
a message and exit status 1). Each domain keeps its own class, named for what went wrong, derived
from one of these; the message is always fit to show the person who asked."""

from __future__ import annotations

from datetime import timedelta


class PapertideError(Exception):
    """A request the catalogue refuses; `str(error)` says why, in words for the person who asked."""

    def details(self) -> dict[str, str]:
        """What a JSON answer carries beside the message (e.g. the existing paper of a duplicate)."""
        return {}

    def form_field(self) -> str:
        """The form field a page points at when it shows the refusal ("" for the form as a whole)."""
        return ""


class Invalid(PapertideError, ValueError):
    """What was asked cannot be accepted as given (a bad id, query, date, form field…)."""


class NotFound(PapertideError, LookupError):
    """The thing asked about does not exist (or is someone else's private thing: the same answer)."""


class Forbidden(PapertideError, PermissionError):
    """The thing exists, and this member may not do that to it."""


class Conflict(PapertideError):
    """It would clash with what is there already (a taken handle, a paper already in the feed)."""


class RateLimited(PapertideError):
    """Too many of these lately; `retry_after` says when to try again."""

    def __init__(self, message: str, retry_after: timedelta) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def status_of(error: PapertideError) -> int:
    """The HTTP status of a refusal (the web app's one mapping; checked most specific first)."""
    for kind, status in ((RateLimited, 429), (Conflict, 409), (Forbidden, 403), (NotFound, 404)):
        if isinstance(error, kind):
            return status
    return 400


__all__ = ["Conflict", "Forbidden", "Invalid", "NotFound", "PapertideError", "RateLimited", "status_of"]
