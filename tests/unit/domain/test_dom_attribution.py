"""Attribution models: who gets credit for a conversion, and that all of it is handed out."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.campaigns.attribution import Touch, last_touch, linear

T0 = datetime(2026, 3, 1, tzinfo=UTC)

touches = st.lists(
    st.builds(
        Touch,
        st.integers(0, 10_000).map(lambda minutes: T0 + timedelta(minutes=minutes)),
        st.integers(1, 10**9),
        st.integers(1, 8),
    ),
    min_size=1,
    max_size=60,
)
values = st.floats(0, 1e9, allow_nan=False, allow_infinity=False)


@given(touches, values)
def test_linear_credits_always_sum_to_the_conversion_value(
    found: list[Touch], value: float
) -> None:
    credits = linear(found, value)
    assert math.isclose(math.fsum(c.credit for c in credits), value, rel_tol=1e-12, abs_tol=1e-9)
    assert sum(c.touches for c in credits) == len(found)
    assert len({c.content_id for c in credits}) == len(credits)


@given(touches, values)
def test_last_touch_gives_everything_to_the_latest_touch(found: list[Touch], value: float) -> None:
    [credit] = last_touch(found, value)
    assert credit.content_id == max(found).content_id
    assert credit.credit == value


def test_linear_credits_content_by_its_share_of_the_touches() -> None:
    found = [Touch(T0 + timedelta(hours=h), h, c) for h, c in ((1, 7), (2, 8), (3, 7), (4, 9))]
    credits = {c.content_id: (c.touches, c.credit) for c in linear(found, 100.0)}
    assert credits == {7: (2, 50.0), 8: (1, 25.0), 9: (1, 25.0)}


def test_a_conversion_without_touches_credits_nobody() -> None:
    assert linear([], 10.0) == []
    assert last_touch([], 10.0) == []
