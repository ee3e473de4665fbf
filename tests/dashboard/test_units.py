"""The dashboard's building blocks: signed session cookie, CSRF token, password hashing, the
month being declared, the French wording of times left."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from api.dashboard import session as cookies
from api.dashboard.templating import time_left
from dsnlink.declarations.monthly import declaring_month
from dsnlink.tenants import passwords
from dsnlink.tenants.errors import WeakPassword

SECRET = "unit-test-secret"


def test_session_cookie_round_trips_and_refuses_tampering_and_age() -> None:
    data = cookies.SessionData.anonymous()
    value = cookies.encode(data, secret=SECRET)
    assert cookies.decode(value, secret=SECRET) == data
    payload, signature = value.split(".")
    assert cookies.decode(f"{payload}x.{signature}", secret=SECRET) is None
    assert cookies.decode(value, secret="another secret") is None
    assert cookies.decode("garbage", secret=SECRET) is None
    later = time.time() + cookies.MAX_AGE_SECONDS + 1
    assert cookies.decode(value, secret=SECRET, now=later) is None


def test_csrf_token_is_bound_to_the_session_nonce() -> None:
    mine, theirs = cookies.SessionData.anonymous(), cookies.SessionData.anonymous()
    token = cookies.csrf_token(mine, secret=SECRET)
    assert cookies.csrf_matches(mine, token, secret=SECRET)
    assert not cookies.csrf_matches(theirs, token, secret=SECRET)
    assert not cookies.csrf_matches(mine, "", secret=SECRET)
    assert not cookies.csrf_matches(None, token, secret=SECRET)


def test_passwords_are_salted_scrypt_hashes() -> None:
    first, second = (
        passwords.hash_password("long enough secret"),
        passwords.hash_password("long enough secret"),
    )
    assert first != second and first.startswith("scrypt$14$8$1$")
    assert passwords.verify_password("long enough secret", first)
    assert not passwords.verify_password("long enough secreT", first)
    assert not passwords.verify_password("long enough secret", None)
    assert not passwords.verify_password("long enough secret", "md5$abc")
    assert passwords.session_stamp(first) != passwords.session_stamp(second)
    with pytest.raises(WeakPassword):
        passwords.check_strength("short")


@pytest.mark.parametrize(
    ("now", "month"),
    [
        (datetime(2026, 11, 2, 10, tzinfo=UTC), "2026-10"),
        (datetime(2026, 11, 20, 10, tzinfo=UTC), "2026-10"),  # due day 20: until 12:00 Paris
        (datetime(2026, 11, 20, 12, tzinfo=UTC), "2026-11"),
        (datetime(2027, 1, 3, 10, tzinfo=UTC), "2026-12"),
    ],
)
def test_the_month_being_declared(now: datetime, month: str) -> None:
    assert declaring_month(now=now) == month


def test_time_left_in_french() -> None:
    now = datetime(2026, 11, 2, 10, tzinfo=UTC)
    assert time_left(datetime(2026, 11, 4, 14, 30, tzinfo=UTC), now) == "dans 2 j 4 h"
    assert time_left(datetime(2026, 11, 2, 11, 5, tzinfo=UTC), now) == "dans 1 h 05 min"
    assert time_left(datetime(2026, 11, 2, 9, 20, tzinfo=UTC), now) == "dépassée depuis 40 min"
    assert time_left(None, now) == "—"
