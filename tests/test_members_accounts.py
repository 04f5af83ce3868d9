from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher

from papertide.members.accounts import (
    AccountError,
    AccountGuarded,
    Accounts,
    RateLimited,
    csrf_ok,
    csrf_token,
    device_token,
    device_vouches,
    hash_token,
)
from papertide.model import Member
from papertide.store.sql import SqlStore

from conftest import FAST_HASHER, Clock

ON_BOTH_BACKENDS = True


@pytest.fixture
def accounts(store: SqlStore) -> Accounts:
    return Accounts(store.community, Clock(datetime(2025, 11, 5, 9, 0)), store.api_tokens, hasher=FAST_HASHER)


def test_sign_up_then_sign_in_with_any_case_email(accounts: Accounts) -> None:
    member = accounts.sign_up(" ada ", " Ada@Example.org ", "correct horse").member
    assert member is not None
    assert (member.handle, member.email) == ("ada", "ada@example.org")
    assert member.password_hash.startswith("$argon2id$")
    assert accounts.sign_in("ADA@example.org", "correct horse").id == member.id


@pytest.mark.parametrize(
    ("handle", "email", "password", "field"),
    [
        ("a", "a@example.org", "long enough", "handle"),
        ("-dash", "a@example.org", "long enough", "handle"),
        ("ok", "not-an-email", "long enough", "email"),
        ("ok", "a@example.org", "short", "password"),
        ("ok", "a@example.org", "x" * 1025, "password"),
    ],
)
def test_sign_up_refuses_bad_fields(accounts: Accounts, handle: str, email: str, password: str, field: str) -> None:
    with pytest.raises(AccountError) as err:
        accounts.sign_up(handle, email, password)
    assert err.value.field == field


def test_taken_email_and_handle(accounts: Accounts) -> None:
    ada = accounts.sign_up("ada", "ada@example.org", "correct horse").member
    with pytest.raises(AccountError, match="user name is taken"):
        accounts.sign_up("ADA", "other@example.org", "correct horse")
    # A taken address is not an error the person signing up sees: the owner is told by mail.
    again = accounts.sign_up("bob", "Ada@example.org", "correct horse")
    assert again.member is None and again.taken == ada


def test_wrong_password_and_unknown_email_give_the_same_answer(accounts: Accounts) -> None:
    accounts.sign_up("ada", "ada@example.org", "correct horse")
    with pytest.raises(AccountError) as wrong:
        accounts.sign_in("ada@example.org", "battery staple")
    with pytest.raises(AccountError) as unknown:
        accounts.sign_in("nobody@example.org", "battery staple")
    assert str(wrong.value) == str(unknown.value) == "wrong email or password"


def test_password_is_rehashed_on_sign_in_when_parameters_change(store: SqlStore) -> None:
    clock = Clock(datetime(2025, 11, 5))
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    old = Accounts(store.community, clock, store.api_tokens, hasher=weak)
    member = old.sign_up("ada", "ada@example.org", "correct horse").member
    strong = PasswordHasher(time_cost=2, memory_cost=16384, parallelism=1)
    stronger = Accounts(store.community, clock, store.api_tokens, hasher=strong)
    stronger.sign_in("ada@example.org", "correct horse")
    rehashed = store.community.member_by_id(member.id)
    assert "m=8192,t=1" in member.password_hash
    assert rehashed is not None and "m=16384,t=2" in rehashed.password_hash


def test_sessions_expire_end_and_end_on_password_change(accounts: Accounts, store: SqlStore) -> None:
    member = accounts.sign_up("ada", "ada@example.org", "correct horse").member
    first, second = accounts.start_session(member), accounts.start_session(member)
    assert accounts.session_member(first) == member
    accounts.end_session(first)
    assert accounts.session_member(first) is None and accounts.session_member(second) == member
    accounts.set_password(member.id, "new password!")
    assert accounts.session_member(second) is None  # every device signed out
    third = accounts.start_session(member)
    accounts.clock.now += timedelta(days=31)  # type: ignore[attr-defined]
    assert accounts.session_member(third) is None
    assert accounts.session_member("forged") is None and accounts.session_member(None) is None


def test_only_token_hashes_are_stored(accounts: Accounts, store: SqlStore) -> None:
    member = accounts.sign_up("ada", "ada@example.org", "correct horse").member
    token = accounts.start_session(member)
    with store.engine.connect() as conn:
        stored = [r[0] for r in conn.exec_driver_sql("SELECT token_hash FROM sessions")]
    assert stored == [hash_token(token)] and token not in stored


def test_csrf_tokens_are_bound_to_the_session() -> None:
    token = csrf_token("s" * 40, "session-a")
    assert csrf_ok("s" * 40, "session-a", token)
    assert not csrf_ok("s" * 40, "session-b", token)
    assert not csrf_ok("t" * 40, "session-a", token)
    assert not csrf_ok("s" * 40, "session-a", None) and not csrf_ok("s" * 40, "", csrf_token("s" * 40, ""))


def test_a_limit_counts_each_subject_over_its_window(accounts: Accounts) -> None:
    accounts.rate_limits["probe"] = (10, timedelta(minutes=15))
    for _ in range(10):
        accounts.limit("probe", "ip:10.0.0.1", "email:ada@example.org")
    with pytest.raises(RateLimited, match="too many probe attempts"):
        accounts.limit("probe", "ip:10.0.0.2", "email:ada@example.org")  # another address, same account
    with pytest.raises(RateLimited):
        accounts.limit("probe", "ip:10.0.0.1", "email:bob@example.org")  # same address, another account
    accounts.limit("probe", "ip:10.0.0.3", "email:bob@example.org")  # unrelated: allowed
    accounts.clock.now += timedelta(minutes=16)  # type: ignore[attr-defined]
    accounts.limit("probe", "ip:10.0.0.1", "email:ada@example.org")  # the window has passed


def test_failed_sign_ins_guard_the_account_and_only_a_known_device_passes(accounts: Accounts) -> None:
    ada = accounts.sign_up("ada", "ada@example.org", "correct horse").member
    assert ada is not None
    for i in range(10):
        with pytest.raises(AccountError, match="wrong email or password"):
            accounts.sign_in("ada@example.org", f"guess {i}", client=f"ip:10.0.0.{i}")
    for password in ("guess 11", "correct horse"):  # right or wrong: the same answer, from anywhere new
        with pytest.raises(AccountGuarded):
            accounts.sign_in("ada@example.org", password, client="ip:10.9.9.9")
    known = device_token("s" * 40, ada)
    vouched = accounts.sign_in(
        "ada@example.org", "correct horse", "ip:10.9.9.9", lambda m: device_vouches("s" * 40, known, m)
    )
    assert vouched == ada
    other = device_token("s" * 40, replace(ada, id=ada.id + 1))
    with pytest.raises(AccountGuarded):  # a device cookie vouches for its own member only
        accounts.sign_in(
            "ada@example.org", "correct horse", "ip:10.9.9.9", lambda m: device_vouches("s" * 40, other, m)
        )
    accounts.clock.now += timedelta(minutes=16)  # type: ignore[attr-defined]
    assert accounts.sign_in("ada@example.org", "correct horse", client="ip:10.9.9.9") == ada  # the guard lifts


def test_successful_sign_ins_never_count(accounts: Accounts) -> None:
    ada = accounts.sign_up("ada", "ada@example.org", "correct horse").member
    for _ in range(30):
        assert accounts.sign_in("ada@example.org", "correct horse", client="ip:10.0.0.1") == ada


def test_device_tokens_are_signed_canonical_and_bound_to_the_member() -> None:
    ada = Member(7, "ada", "ada@example.org", "x", datetime(2025, 1, 1), link_key="a" * 32)
    token = device_token("s" * 40, ada)
    assert device_vouches("s" * 40, token, ada)
    assert not device_vouches("t" * 40, token, ada)
    # The same id with another key (a member re-created under a reused id) is someone else.
    assert not device_vouches("s" * 40, token, replace(ada, link_key="b" * 32))
    assert not device_vouches("s" * 40, device_token("s" * 40, replace(ada, link_key="")), replace(ada, link_key=""))
    forgeries = (token.replace("7.", "8.", 1), "07" + token[1:], token + "x", "", None, "7", ".abc", "²." + token[2:])
    for forged in forgeries:
        assert not device_vouches("s" * 40, forged, ada)
    assert not device_vouches("s" * 40, token, None)


def test_a_password_reset_revokes_every_api_token(accounts: Accounts, store: SqlStore) -> None:
    member = accounts.sign_up("ada", "ada@example.org", "correct horse").member
    assert member is not None
    secret, _ = accounts.issue_api_token(member, "script", write=True)
    other = accounts.sign_up("bob", "bob@example.org", "correct horse").member
    assert other is not None
    kept, _ = accounts.issue_api_token(other, "theirs", write=False)
    assert accounts.api_token_member(secret) is not None
    accounts.reset_password(accounts.issue_link(member.id, "reset"), "a new password")
    assert accounts.api_token_member(secret) is None
    assert [t.revoked_at is not None for t in store.api_tokens.list(member.id)] == [True]
    assert accounts.api_token_member(kept) is not None  # someone else's tokens stay


def test_a_token_s_name_is_one_line_of_plain_text(accounts: Accounts) -> None:
    member = accounts.sign_up("ada", "ada@example.org", "correct horse").member
    assert member is not None
    _, token = accounts.issue_api_token(member, "  <b>my</b>\tscript\u202e\x00\nnightly ", write=False)
    assert token.name == "<b>my</b> script nightly"  # markup stays text: the template escapes it
    for bad in ("", " \u202e\x07 ", "x" * 101):
        with pytest.raises(AccountError, match="1 to 100 characters"):
            accounts.issue_api_token(member, bad, write=False)


def test_the_longest_address_is_counted_and_limited_like_any_other(accounts: Accounts) -> None:
    """Rate-limit keys stay within their column (200) on both backends, whatever the address."""
    longest = "a" * 64 + "@" + ".".join(["b" * 63, "c" * 63, "d" * 57]) + ".org"
    assert len(longest) == 254
    member = accounts.sign_up("longest", longest, "correct horse").member
    assert member is not None
    for _ in range(3):
        with pytest.raises(AccountError):
            accounts.sign_in(longest, "wrong password", client="ip:" + "f" * 300)
    budget = [accounts.mail_allowed(member) for _ in range(6)]
    assert budget == [True] * 5 + [False]
