from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher

from papertide.accounts import AccountError, Accounts, RateLimited, csrf_ok, csrf_token, hash_token
from papertide.store.sql import SqlStore

from conftest import FAST_HASHER, Clock


@pytest.fixture
def accounts(store: SqlStore) -> Accounts:
    return Accounts(store.community, Clock(datetime(2025, 11, 5, 9, 0)), hasher=FAST_HASHER)


def test_sign_up_then_sign_in_with_any_case_email(accounts: Accounts) -> None:
    member = accounts.sign_up(" ada ", " Ada@Example.org ", "correct horse")
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
    accounts.sign_up("ada", "ada@example.org", "correct horse")
    with pytest.raises(AccountError, match="user name is taken"):
        accounts.sign_up("ADA", "other@example.org", "correct horse")
    with pytest.raises(AccountError, match="email is taken"):
        accounts.sign_up("bob", "ada@example.org", "correct horse")


def test_wrong_password_and_unknown_email_give_the_same_answer(accounts: Accounts) -> None:
    accounts.sign_up("ada", "ada@example.org", "correct horse")
    with pytest.raises(AccountError) as wrong:
        accounts.sign_in("ada@example.org", "battery staple")
    with pytest.raises(AccountError) as unknown:
        accounts.sign_in("nobody@example.org", "battery staple")
    assert str(wrong.value) == str(unknown.value) == "wrong email or password"


def test_password_is_rehashed_on_sign_in_when_parameters_change(store: SqlStore) -> None:
    clock = Clock(datetime(2025, 11, 5))
    old = Accounts(store.community, clock, hasher=PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    member = old.sign_up("ada", "ada@example.org", "correct horse")
    stronger = Accounts(store.community, clock, hasher=PasswordHasher(time_cost=2, memory_cost=16384, parallelism=1))
    stronger.sign_in("ada@example.org", "correct horse")
    rehashed = store.community.member_by_id(member.id)
    assert "m=8192,t=1" in member.password_hash
    assert rehashed is not None and "m=16384,t=2" in rehashed.password_hash


def test_sessions_expire_end_and_end_on_password_change(accounts: Accounts, store: SqlStore) -> None:
    member = accounts.sign_up("ada", "ada@example.org", "correct horse")
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
    member = accounts.sign_up("ada", "ada@example.org", "correct horse")
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


def test_sign_in_burst_is_throttled_per_address_and_per_email(accounts: Accounts) -> None:
    for _ in range(10):
        accounts.limit("sign-in", "ip:10.0.0.1", "email:ada@example.org")
    with pytest.raises(RateLimited, match="too many sign-in attempts"):
        accounts.limit("sign-in", "ip:10.0.0.2", "email:ada@example.org")  # another address, same account
    with pytest.raises(RateLimited):
        accounts.limit("sign-in", "ip:10.0.0.1", "email:bob@example.org")  # same address, another account
    accounts.limit("sign-in", "ip:10.0.0.3", "email:bob@example.org")  # unrelated: allowed
    accounts.clock.now += timedelta(minutes=16)  # type: ignore[attr-defined]
    accounts.limit("sign-in", "ip:10.0.0.1", "email:ada@example.org")  # the window has passed
