"""Members' accounts: sign-up, sign-in with argon2id passwords, server-side sessions, CSRF tokens
and rate limits. Pure rules (validation, token derivation) sit beside thin calls to the store."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .model import Member
from .store import Community, Conflict

HANDLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$")
# Deliberately loose: one @, something on each side, a dot in the domain. The verification mail
# (accounts issue) is what proves an address.
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD, MAX_PASSWORD = 8, 1024

# (attempts, window) per action; each is counted per client address and per account or email.
RATE_LIMITS: dict[str, tuple[int, timedelta]] = {
    "sign-in": (10, timedelta(minutes=15)),
    "sign-up": (5, timedelta(hours=1)),
    "reset": (5, timedelta(hours=1)),
    "vote": (120, timedelta(minutes=1)),
    "submit": (20, timedelta(hours=1)),
}


# How long a mailed link works.
LINK_TTL = {"verify": timedelta(hours=48), "reset": timedelta(hours=1)}


class AccountError(ValueError):
    """Something a person typed cannot be accepted; `field` names the form field to point at."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class RateLimited(Exception):
    def __init__(self, action: str, retry_after: timedelta) -> None:
        super().__init__(f"too many {action} attempts; try again in {int(retry_after.total_seconds()) // 60 + 1} min")
        self.action = action
        self.retry_after = retry_after


def normalise_email(email: str) -> str:
    return email.strip().lower()


def validate_sign_up(handle: str, email: str, password: str) -> None:
    """Raise AccountError for the first field that cannot be accepted."""
    if not HANDLE.match(handle):
        raise AccountError("a user name is 2–32 letters, digits, '-' or '_', starting with a letter or digit", "handle")
    if len(email) > 254 or not EMAIL.match(email):
        raise AccountError("that does not look like an email address", "email")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters", "password")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"a password has at most {MAX_PASSWORD} characters", "password")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(secret: str, session_key: str) -> str:
    """The token every form carries: bound to the visitor's session (or anonymous cookie)."""
    return hmac.new(secret.encode(), b"csrf:" + session_key.encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: str, session_key: str, token: str | None) -> bool:
    return bool(session_key and token) and hmac.compare_digest(csrf_token(secret, session_key), token or "")


@dataclass
class Accounts:
    community: Community
    clock: Callable[[], datetime]
    hasher: PasswordHasher = field(default_factory=PasswordHasher)
    session_ttl: timedelta = timedelta(days=30)
    rate_limits: dict[str, tuple[int, timedelta]] = field(default_factory=lambda: dict(RATE_LIMITS))

    def __post_init__(self) -> None:
        # Verified against when the email is unknown, so that both answers take the same time.
        self._dummy_hash = self.hasher.hash(secrets.token_hex(16))

    def sign_up(self, handle: str, email: str, password: str) -> Member:
        handle, email = handle.strip(), normalise_email(email)
        validate_sign_up(handle, email, password)
        if self.community.member_by_handle(handle):
            raise AccountError("that user name is taken", "handle")
        try:
            return self.community.create_member(handle, email, self.hasher.hash(password), self.clock())
        except Conflict as exc:
            raise AccountError(f"that {'email' if exc.field == 'email' else 'user name'} is taken", exc.field) from exc

    def sign_in(self, email: str, password: str) -> Member:
        member = self.community.member_by_email(normalise_email(email))
        try:
            self.hasher.verify(member.password_hash if member else self._dummy_hash, password[:MAX_PASSWORD])
        except (VerificationError, InvalidHashError):
            member = None
        if member is None:
            raise AccountError("wrong email or password", "password")
        if self.hasher.check_needs_rehash(member.password_hash):  # parameters moved on since it was hashed
            self.community.update_member(member.id, password_hash=self.hasher.hash(password))
        return member

    def set_password(self, member_id: int, password: str) -> None:
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise AccountError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters", "password")
        self.community.update_member(member_id, password_hash=self.hasher.hash(password))
        self.community.end_member_sessions(member_id)  # a new password signs every device out

    # --- single-use links: verify an address, reset a password ------------------------------------
    def issue_link(self, member_id: int, purpose: str) -> str:
        """A token for a mailed link; only its hash is stored, it expires, it works once."""
        token = secrets.token_urlsafe(32)
        ttl = LINK_TTL[purpose]
        self.community.create_token(hash_token(token), member_id, purpose, self.clock() + ttl)
        return token

    def verify_email(self, token: str) -> Member | None:
        member_id = self.community.consume_token(hash_token(token), "verify", self.clock())
        if member_id is None:
            return None
        self.community.update_member(member_id, verified_at=self.clock())
        return self.community.member_by_id(member_id)

    def reset_password(self, token: str, password: str) -> Member:
        """Set a new password with a reset link's token (checked before the token is spent)."""
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise AccountError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters", "password")
        member_id = self.community.consume_token(hash_token(token), "reset", self.clock())
        member = self.community.member_by_id(member_id) if member_id is not None else None
        if member is None:
            raise AccountError("this reset link has expired or was used already; ask for a new one", "token")
        self.set_password(member.id, password)
        return member

    def start_session(self, member: Member) -> str:
        """A new session for `member`; the returned token goes into the cookie, its hash to the store."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        self.community.create_session(hash_token(token), member.id, now, now + self.session_ttl)
        return token

    def session_member(self, token: str | None) -> Member | None:
        return self.community.session_member(hash_token(token), self.clock()) if token else None

    def end_session(self, token: str | None) -> None:
        if token:
            self.community.end_session(hash_token(token))

    def limit(self, action: str, *subjects: str) -> None:
        """Count an attempt at `action` for each subject (client address, account); raise
        RateLimited when any of them is over its budget."""
        attempts, window = self.rate_limits[action]
        now = self.clock()
        for subject in subjects:
            if subject and not self.community.rate_hit(f"{action}:{subject}", now, now - window, attempts):
                raise RateLimited(action, window)
