"""Signed links: capabilities in a URL or cookie that act without a session (unsubscribe, alerts
off, the digest's web view, a saved search's private feed, the device cookie).

Each signature covers what the link grants *and whose it is*: its purpose, the owner's id, and
the row's own random `link_key` (migration 0017), with any values (a day, a feed generation). An id
alone is not an identity: the outside probe deleted a saved search and saw its feed URL open the
next search saved under the same id. With the key signed in, a link made for one row never opens
another, whatever ids the database hands out (and it hands none out twice: AUTOINCREMENT on SQLite).
A row without a key (never the case after 0017) is never granted.
"""

from __future__ import annotations

import hashlib
import hmac

from papertide.model import Member, SavedSearch
from papertide.text import same_secret


def sign(secret: str, *parts: object) -> str:
    message = ":".join(str(p) for p in parts).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def signature_ok(secret: str, signature: str, *parts: object) -> bool:
    return same_secret(sign(secret, *parts), signature)


def member_sig(secret: str, purpose: str, member: Member, *values: object) -> str:
    """The signature of a link that acts for `member` (unsubscribe, alerts-off, digest, device)."""
    return sign(secret, purpose, member.id, member.link_key, *values)


def member_sig_ok(secret: str, signature: str, purpose: str, member: Member | None, *values: object) -> bool:
    return (
        member is not None
        and bool(member.link_key)
        and same_secret(member_sig(secret, purpose, member, *values), signature)
    )


def feed_key(secret: str, search: SavedSearch) -> str:
    """The private feed URL's key: owner, search, the search's own key and its generation (revoking
    moves the generation, so every copy of the old URL dies)."""
    return sign(secret, "saved-feed", search.member_id, search.id, search.link_key, search.feed_generation)


def feed_key_ok(secret: str, key: str, search: SavedSearch) -> bool:
    return bool(search.link_key) and same_secret(feed_key(secret, search), key)


__all__ = ["feed_key", "feed_key_ok", "member_sig", "member_sig_ok", "sign", "signature_ok"]
