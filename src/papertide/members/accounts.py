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
from email_validator import EmailNotValidError, validate_email

from papertide.errors import Forbidden, Invalid, NotFound
from papertide.errors import RateLimited as _Limited
from papertide.mail.links import member_sig, member_sig_ok
from papertide.model import ApiToken, Member
from papertide.numbers import is_whole
from papertide.store import ApiTokens, Community, Conflict
from papertide.text import clean_line, same_secret

HANDLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$")
MIN_PASSWORD, MAX_PASSWORD = 8, 1024
API_TOKEN_PREFIX = "pt_"

# (attempts, window) per action, counted per client address and per account or email. Sign-in
# counts only failures: per address (a guesser is slowed whatever account it tries), and per
# account, where passing the limit does not lock the owner out: it only makes a correct password
# need a device that signed in to the account before, or a mailed link (see `sign_in`).
RATE_LIMITS: dict[str, tuple[int, timedelta]] = {
    "sign-in-address": (20, timedelta(minutes=15)),
    "sign-in-account": (10, timedelta(minutes=15)),
    "sign-up": (5, timedelta(hours=1)),
    "reset": (5, timedelta(hours=1)),
    "vote": (120, timedelta(minutes=1)),
    "submit": (20, timedelta(hours=1)),
    "api-token": (600, timedelta(minutes=1)),  # every call made with one personal API token
    "settings": (60, timedelta(minutes=1)),
    "save": (120, timedelta(minutes=1)),  # saving papers, collections, saved searches, signals
    "comment": (30, timedelta(minutes=10)),  # posting, editing and deleting comments
    "report": (20, timedelta(hours=1)),
    "moderate": (300, timedelta(minutes=10)),
    # Mail a request makes the site send to someone, per recipient address and per account: a
    # stranger who signs up with someone else's address cannot flood it (the probe had 12 "confirm
    # your email" mails reach a victim in 2.6 s through the digest settings form).
    "mail-account": (5, timedelta(hours=1)),  # confirm, reset, "your address already has an account"
    "mail-mention": (20, timedelta(hours=1)),  # "X mentioned you"
}


# How long a mailed link works.
LINK_TTL = {"verify": timedelta(hours=48), "reset": timedelta(hours=1)}


class AccountError(Invalid):
    """Something a person typed cannot be accepted; `field` names the form field to point at."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field

    def form_field(self) -> str:
        return self.field


class AccountSuspended(AccountError, Forbidden):
    """A session for a member a moderator suspended (an old verification link, say): refused."""

    def __init__(self) -> None:
        super().__init__("this account is suspended by a moderator", "email")


class AccountGuarded(AccountError):
    """Too many failed sign-ins for this address lately: a password alone is not enough now, from a
    device that has not signed in to the account before. The same answer whether the password was
    right or not, so it tells a guesser nothing."""

    def __init__(self) -> None:
        super().__init__(
            "this account had too many failed sign-ins lately: sign in from a device you used before, or "
            "ask for a sign-in link by email (the password reset page)",
            "password",
        )


class NoSuchMember(NotFound):
    """A user name nobody has."""


class RateLimited(_Limited):
    def __init__(self, action: str, retry_after: timedelta) -> None:
        minutes = int(retry_after.total_seconds()) // 60 + 1
        super().__init__(f"too many {action} attempts; try again in {minutes} min", retry_after)
        self.action = action


def normalise_email(email: str) -> str:
    """The form an address is stored and looked up in (lower case: one member per mailbox)."""
    return email.strip().lower()


def valid_email(email: str) -> str:
    """`email` as stored, when it is one plain address (no display name, no list, no control
    characters: a kept validator, email-validator, decides); AccountError otherwise."""
    try:
        # No SMTPUTF8: a non-ASCII local part (ünï@example.com) could be stored but never mailed (the
        # mail server needs SMTPUTF8, smtplib raised UnicodeEncodeError). Said at sign-up instead;
        # an internationalised domain is kept in its ASCII (IDNA) form, which every server takes.
        checked = validate_email(
            email.strip(), check_deliverability=False, allow_display_name=False, allow_smtputf8=False
        )
    except EmailNotValidError as exc:
        raise AccountError(f"that is not an email address we can send to: {exc}", "email") from None
    return normalise_email(checked.ascii_email or checked.normalized)


def validate_sign_up(handle: str, email: str, password: str) -> None:
    """Raise AccountError for the first field that cannot be accepted."""
    if not HANDLE.match(handle):
        raise AccountError("a user name is 2–32 letters, digits, '-' or '_', starting with a letter or digit", "handle")
    if len(email) > 254:
        raise AccountError("that email address is too long", "email")
    valid_email(email)
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters", "password")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"a password has at most {MAX_PASSWORD} characters", "password")


def rate_key(action: str, subject: str) -> str:
    """The rate-limit row's key for `subject` (an address, an account, an email): as it is while it
    fits `rate_events.key` (200), else its SHA-256, so a 254-character address never overflows the
    column on PostgreSQL."""
    key = f"{action}:{subject}"
    return key if len(key) <= 200 else f"{action}:sha256:{hashlib.sha256(subject.encode()).hexdigest()}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(secret: str, session_key: str) -> str:
    """The token every form carries: bound to the visitor's session (or anonymous cookie)."""
    return hmac.new(secret.encode(), b"csrf:" + session_key.encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: str, session_key: str, token: str | None) -> bool:
    return bool(session_key and token) and same_secret(csrf_token(secret, session_key), token)


def device_token(secret: str, member: Member) -> str:
    """What a browser that signed in to the account keeps (a long-lived cookie): it vouches for
    the device when the account is guarded after failed sign-ins. Signed for the member's id, own
    key (`links.member_sig`) and current password, so it never vouches for another account, nor
    after the password changed."""
    return f"{member.id}.{member_sig(secret, 'device', member, _password_mark(member))}"


def device_vouches(secret: str, token: str | None, member: Member | None) -> bool:
    """Whether the device cookie `token` was made for `member` (its id in canonical spelling, then
    the signature)."""
    head, _, mac = (token or "").partition(".")
    if member is None or not is_whole(head) or head != str(member.id):
        return False
    return member_sig_ok(secret, mac, "device", member, _password_mark(member))


def _password_mark(member: Member) -> str:
    """What a device cookie also covers: the password it signed in with (a digest of its hash), so
    that a new password (a reset) ends every device's standing, not just the sessions."""
    return hashlib.sha256(member.password_hash.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SignUp:
    """What a sign-up did: made `member`, or found the address already `taken` by that member (who
    is told by mail; the person signing up is told the same as a new member: check your inbox)."""

    member: Member | None = None
    taken: Member | None = None


@dataclass
class Accounts:
    community: Community
    clock: Callable[[], datetime]
    tokens: ApiTokens
    hasher: PasswordHasher = field(default_factory=PasswordHasher)
    session_ttl: timedelta = timedelta(days=30)
    rate_limits: dict[str, tuple[int, timedelta]] = field(default_factory=lambda: dict(RATE_LIMITS))

    def __post_init__(self) -> None:
        # Verified against when the email is unknown, so that both answers take the same time.
        self._dummy_hash = self.hasher.hash(secrets.token_hex(16))

    def sign_up(self, handle: str, email: str, password: str) -> SignUp:
        """A new member, or the member who already has the address (`SignUp.taken`): both cost a
        password hash, and the caller answers both alike, so a sign-up never tells whether an
        address has an account. A taken user name is said: names are public (/u/NAME)."""
        handle = handle.strip()
        validate_sign_up(handle, email, password)
        email = valid_email(email)
        if self.community.member_by_handle(handle):
            raise AccountError("that user name is taken", "handle")
        password_hash = self.hasher.hash(password)
        try:
            return SignUp(member=self.community.create_member(handle, email, password_hash, self.clock()))
        except Conflict as exc:
            if exc.field != "email":
                raise AccountError("that user name is taken", exc.field) from exc
            return SignUp(taken=self.community.member_by_email(email))

    def sign_in(
        self, email: str, password: str, client: str = "", trusted: Callable[[Member], bool] | None = None
    ) -> Member:
        """The member whose password this is. Failures are counted per client address (past the
        limit: RateLimited) and per account; past the account's limit the account is guarded: a
        password is accepted only from a device that signed in to it before (`trusted`, e.g.
        `device_vouches` over the browser's cookie), and right or wrong it gets the same
        AccountGuarded answer. So strangers cannot lock the owner out, and a guarded account tells a guesser nothing."""
        email = normalise_email(email)
        now = self.clock()
        by_address = rate_key("sign-in-address", client) if client else ""
        by_account = rate_key("sign-in-account", f"email:{email}")
        address_limit, address_window = self.rate_limits["sign-in-address"]
        account_limit, account_window = self.rate_limits["sign-in-account"]
        if by_address and self.community.rate_count(by_address, now - address_window) >= address_limit:
            raise RateLimited("sign-in", address_window)
        member = self.community.member_by_email(email)
        try:
            self.hasher.verify(member.password_hash if member else self._dummy_hash, password[:MAX_PASSWORD])
            right = member is not None
        except (VerificationError, InvalidHashError):
            right = False
        vouched = member is not None and trusted is not None and trusted(member)
        guarded = not vouched and self.community.rate_count(by_account, now - account_window) >= account_limit
        if not right:  # only failures count (10**9: always recorded, never refused here)
            if by_address:
                self.community.rate_hit(by_address, now, now - address_window, 10**9)
            self.community.rate_hit(by_account, now, now - account_window, 10**9)
        if guarded:
            raise AccountGuarded()
        if not right or member is None:
            raise AccountError("wrong email or password", "password")
        if member.suspended_at is not None:
            raise AccountError("this account is suspended by a moderator", "email")
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
        # A confirmed address is one that works again: a bounce recorded earlier no longer stops mail.
        self.community.update_member(member_id, verified_at=self.clock(), email_status="ok")
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
        # Every other mailed link of the account ends too: reset links, and confirmation links (one
        # signed its holder in after the reset). The reset link came through the mailbox, so the
        # address stands confirmed.
        for purpose in LINK_TTL:
            self.community.spend_tokens(member.id, purpose, self.clock())
        if member.verified_at is None:
            self.community.update_member(member.id, verified_at=self.clock(), email_status="ok")
        # A reset is what someone does when they fear the account is known to another: scripts'
        # tokens end with the old password.
        self.tokens.revoke_all(member.id, self.clock())
        return member

    def start_session(self, member: Member) -> str:
        """A new session for `member`; the returned token goes into the cookie, its hash to the store."""
        if member.suspended_at is not None:
            raise AccountSuspended
        token = secrets.token_urlsafe(32)
        now = self.clock()
        self.community.create_session(hash_token(token), member.id, now, now + self.session_ttl)
        return token

    def session_member(self, token: str | None) -> Member | None:
        member = self.community.session_member(hash_token(token), self.clock()) if token else None
        return None if member is None or member.suspended_at is not None else member

    def end_session(self, token: str | None) -> None:
        if token:
            self.community.end_session(hash_token(token))

    # --- looking members up ---------------------------------------------------------------------------
    def member_by_id(self, member_id: int | None) -> Member | None:
        return self.community.member_by_id(member_id) if member_id is not None else None

    def member_by_handle(self, handle: str) -> Member | None:
        """The member with this user name (any case)."""
        return self.community.member_by_handle(handle)

    def member_named(self, handle: str) -> Member:
        """The member with this user name (any case); NoSuchMember when nobody has it."""
        member = self.community.member_by_handle(handle)
        if member is None:
            raise NoSuchMember(f"no member {handle}")
        return member

    def member_by_email(self, email: str) -> Member | None:
        """The member with this address, as typed (normalised as at sign-up)."""
        return self.community.member_by_email(normalise_email(email))

    # --- personal API tokens ------------------------------------------------------------------------
    def api_tokens(self, member_id: int) -> list[ApiToken]:
        """The member's tokens, live and revoked (never the secret: only its hash is kept)."""
        return self.tokens.list(member_id)

    def revoke_api_token(self, member_id: int, token_id: int) -> bool:
        """Revoke one of the member's own tokens; False when they have no such live token."""
        return self.tokens.revoke(member_id, token_id, self.clock())

    def issue_api_token(self, member: Member, name: str, write: bool) -> tuple[str, ApiToken]:
        """A new token for scripts (returned once; only its hash is kept) and its record."""
        name = clean_line(name)  # shown on the tokens page: one line, no control or bidi characters
        if not 1 <= len(name) <= 100:
            raise AccountError("give the token a name of 1 to 100 characters", "name")
        token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
        scopes = ("read", "write") if write else ("read",)
        return token, self.tokens.create(member.id, name, hash_token(token), scopes, self.clock())

    def api_token_member(self, token: str) -> tuple[ApiToken, Member] | None:
        """The live token and its member for a bearer token, or None."""
        if not token.startswith(API_TOKEN_PREFIX) or len(token) > 200:
            return None
        found = self.tokens.resolve(hash_token(token), self.clock())
        return None if found is None or found[1].suspended_at is not None else found

    def mail_allowed(self, member: Member, kind: str = "account") -> bool:
        """Count one mail of `kind` (account, mention) to `member`; False once their address or
        their account is over its budget (`RATE_LIMITS["mail-…"]`): that mail is not sent."""
        try:
            self.limit(f"mail-{kind}", f"to:{member.email.lower()}", f"member:{member.id}")
        except RateLimited:
            return False
        return True

    def limit(self, action: str, *subjects: str) -> None:
        """Count an attempt at `action` for each subject (client address, account); raise
        RateLimited when any of them is over its budget."""
        attempts, window = self.rate_limits[action]
        now = self.clock()
        for subject in subjects:
            if subject and not self.community.rate_hit(rate_key(action, subject), now, now - window, attempts):
                raise RateLimited(action, window)
