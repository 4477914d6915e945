"""Tests of the Kazakhstan working-day calendar against real dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policyeval.decree743.builtins import BUILTINS
from policyeval.decree743.calendar import (
    SkippedDay,
    add_working_days,
    describe_period,
    holiday_name,
    is_estimated,
    is_working_day,
    skipped_days,
    working_days_between,
)
from policyeval.engine.store import FactStore
from policyeval.evaluator import Evaluator, build_knowledge_base
from policyeval.language.parser import parse_rules
from policyeval.language.syntax import RuleSet


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


# -- what a deadline skipped (issue 10, item 17) ------------------------------------------------


def test_kurban_ait_2026_is_an_estimate_and_2025_is_not() -> None:
    assert is_estimated(date(2026, 5, 27))
    assert not is_estimated(date(2025, 6, 6))
    assert not is_estimated(date(2026, 3, 23))  # Nauryz: a fixed date
    assert not is_estimated(date(2026, 5, 26))  # not a holiday at all


def test_skipped_days_name_holidays_transfers_and_working_weekends() -> None:
    # 2025-01-03 was a day off transferred from Sunday 5 January, which was worked.
    assert skipped_days(date(2024, 12, 31), date(2025, 1, 10)) == [
        SkippedDay(date(2025, 1, 1), "New Year's Day", False, False),
        SkippedDay(date(2025, 1, 2), "New Year's Day", False, False),
        SkippedDay(date(2025, 1, 3), "Day off (substituted from 01/05/2025)", False, False),
        SkippedDay(date(2025, 1, 5), "working Sunday", True, False),
        SkippedDay(date(2025, 1, 7), "Orthodox Christmas", False, False),
    ]


def test_a_period_over_an_estimated_holiday_is_flagged() -> None:
    text = describe_period(date(2026, 5, 20), date(2026, 6, 5))
    first, weekends, estimated = text.split("; ")
    assert first == "skipped 2026-05-27 Eid al-Adha (estimated)"
    assert weekends.startswith("skipped the weekends 2026-05-23") and estimated.startswith(
        "ESTIMATED: "
    )


def test_an_estimated_holiday_on_a_weekend_is_flagged_though_nothing_was_skipped() -> None:
    # Kurban Ait 2027 is estimated for Sunday 16 May: a decreed date one day off would be a Monday.
    assert is_estimated(date(2027, 5, 16))
    text = describe_period(date(2027, 5, 12), date(2027, 5, 19))
    assert "; ESTIMATED: the date of 2027-05-16" in text


DEADLINE_RULES = (
    '@id("due") @clause("5") @reading("the answer to {R} is due by {Due}")\n'
    "due(R, Due) :- received(R, Day), add_working_days(Day, 10, Due).\n"
)


def _deadline_evaluator(received: date) -> Evaluator:
    store = FactStore({"received": 2})
    store.add("received", ("r", received))
    rules = RuleSet(tuple(parse_rules(DEADLINE_RULES, "due.md")))
    return Evaluator(build_knowledge_base(rules, store, builtins=BUILTINS))


def test_a_deadline_proof_names_what_it_skipped() -> None:
    proof = _deadline_evaluator(date(2025, 12, 15)).prove("due", ["r", date(2025, 12, 30)])
    assert proof is not None
    (step,) = [child for child in proof.children if child.kind == "builtin"]
    assert step.detail == (
        "skipped 2025-12-16 Independence Day; "
        "skipped the weekends 2025-12-20, 2025-12-21, 2025-12-27, 2025-12-28"
    )
    assert "(builtin: skipped 2025-12-16 Independence Day; skipped the weekends" in proof.render()


def test_a_deadline_proof_flags_an_estimated_holiday() -> None:
    evaluator = _deadline_evaluator(date(2026, 5, 20))
    (due,) = evaluator.ask("due", ["r", None])
    proof = evaluator.prove("due", list(due))
    assert proof is not None
    (step,) = [child for child in proof.children if child.kind == "builtin"]
    assert step.detail is not None and "ESTIMATED" in step.detail
    assert "Eid al-Adha (estimated)" in step.detail
