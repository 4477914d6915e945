"""Tests of the Kazakhstan working-day calendar against real dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policyeval.decree743.calendar import (
    add_working_days,
    holiday_name,
    is_working_day,
    working_days_between,
)


def test_plain_fortnight() -> None:
    # April 2026 has no holidays: Monday + 10 working days = Monday two weeks later.
    assert add_working_days(date(2026, 4, 6), 10) == date(2026, 4, 20)
    assert working_days_between(date(2026, 4, 6), date(2026, 4, 20)) == 10


def test_womens_day_on_sunday_shifts_to_monday() -> None:
    # 8 March 2026 is a Sunday, so Monday 9 March is a day off.
    assert not is_working_day(date(2026, 3, 9))
    assert holiday_name(date(2026, 3, 9)) == "International Women's Day (observed)"
    assert add_working_days(date(2026, 3, 2), 10) == date(2026, 3, 17)


def test_nauryz_2026() -> None:
    # 21-23 March are Nauryz; 21-22 fall on Sat/Sun, so 24-25 March are days off too.
    for d in range(21, 26):
        assert not is_working_day(date(2026, 3, d))
    assert is_working_day(date(2026, 3, 20))
    assert is_working_day(date(2026, 3, 26))
    # Receipt on Friday 20 March: day 1 is Thursday 26 March, day 10 is 8 April.
    assert add_working_days(date(2026, 3, 20), 1) == date(2026, 3, 26)
    assert add_working_days(date(2026, 3, 20), 10) == date(2026, 4, 8)


def test_new_year() -> None:
    # 1-2 January (Thu-Fri) and Orthodox Christmas on Wednesday 7 January 2026.
    assert not is_working_day(date(2026, 1, 1))
    assert not is_working_day(date(2026, 1, 2))
    assert not is_working_day(date(2026, 1, 7))
    assert holiday_name(date(2026, 1, 7)) == "Orthodox Christmas"
    assert add_working_days(date(2025, 12, 31), 10) == date(2026, 1, 19)
    assert working_days_between(date(2025, 12, 31), date(2026, 1, 19)) == 10


def test_government_transfer_2024() -> None:
    # Government decree: day off moved from Saturday 4 May 2024 to Wednesday 8 May.
    assert is_working_day(date(2024, 5, 4))
    assert not is_working_day(date(2024, 5, 8))
    assert holiday_name(date(2024, 5, 4)) is None
    name = holiday_name(date(2024, 5, 8))
    assert name is not None and name.startswith("Day off (substituted from")
    # Receipt Friday 3 May: Sat 4 (1), Mon 6 (2), 7-9 off, Fri 10 (3), ... Tue 21 (10).
    assert add_working_days(date(2024, 5, 3), 1) == date(2024, 5, 4)
    assert add_working_days(date(2024, 5, 3), 10) == date(2024, 5, 21)


def test_government_transfer_2025_working_sunday() -> None:
    # Day off moved from Sunday 5 January 2025 to Friday 3 January.
    assert not is_working_day(date(2025, 1, 3))
    assert is_working_day(date(2025, 1, 5))
    assert not is_working_day(date(2025, 1, 4))


def test_working_weekend_across_new_year() -> None:
    # Saturday 28 December 2013 was worked for Friday 3 January 2014.
    assert is_working_day(date(2013, 12, 28))
    assert not is_working_day(date(2014, 1, 3))


def test_no_constitution_day_in_2026() -> None:
    # The 2026 Constitution moved Constitution Day from 30 August to 15 March (from
    # 2027); Monday 31 August 2026 is an ordinary working day.
    assert is_working_day(date(2026, 8, 31))
    assert not is_working_day(date(2027, 3, 15))


def test_ordinary_days() -> None:
    assert is_working_day(date(2026, 11, 25))  # Wednesday
    assert not is_working_day(date(2026, 11, 28))  # Saturday
    assert not is_working_day(date(2026, 11, 29))  # Sunday
    assert holiday_name(date(2026, 11, 28)) is None


def test_zero_count_returns_start() -> None:
    assert add_working_days(date(2026, 3, 20), 0) == date(2026, 3, 20)
    # Even on a non-working day: an empty period ends at the event itself.
    assert add_working_days(date(2026, 3, 22), 0) == date(2026, 3, 22)


def test_negative_count_raises() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2026, 3, 20), -1)


def test_between_empty_and_reversed() -> None:
    assert working_days_between(date(2026, 4, 6), date(2026, 4, 6)) == 0
    assert working_days_between(date(2026, 4, 20), date(2026, 4, 6)) == 0


def test_bad_input() -> None:
    with pytest.raises(TypeError):
        is_working_day(datetime(2026, 4, 6, 12, 0))
    with pytest.raises(ValueError):
        is_working_day(date(1990, 1, 3))


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
    count=st.integers(min_value=0, max_value=40),
)
def test_add_and_between_are_inverse(start: date, count: int) -> None:
    end = add_working_days(start, count)
    assert working_days_between(start, end) == count
    if count:
        assert is_working_day(end)
        # No earlier day completes the period.
        assert working_days_between(start, end - timedelta(days=1)) == count - 1
