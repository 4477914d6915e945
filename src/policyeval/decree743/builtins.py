"""The decree's built-ins: periods counted in Kazakhstan's working days (clause 5).

The generic engine knows only comparisons and calendar days; the decree hands these to it with
:data:`BUILTINS`, the set its rules are checked and compiled with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from policyeval.decree743 import calendar
from policyeval.engine.builtins import BUILTINS as GENERIC_BUILTINS
from policyeval.engine.builtins import Builtin, Pattern, Row

__all__ = ["BUILTINS"]


def _add_working_days(pattern: Pattern) -> Iterator[Row]:
    start, days, _ = pattern
    if isinstance(start, dt.date) and isinstance(days, int) and days >= 0:
        end = calendar.add_working_days(start, days)
        if pattern[2] is None or pattern[2] == end:
            yield (start, days, end)


def _describe_period(row: Row) -> str | None:
    """The holidays, days off and working weekends a period skipped or counted, with a flag on
    a holiday whose date is only estimated (:func:`calendar.describe_period`)."""
    start, _, end = row
    if isinstance(start, dt.date) and isinstance(end, dt.date):
        return calendar.describe_period(start, end)
    return None


def _working_day(pattern: Pattern) -> Iterator[Row]:
    (day,) = pattern
    if isinstance(day, dt.date) and calendar.is_working_day(day):
        yield (day,)


BUILTINS: dict[str, Builtin] = {
    **GENERIC_BUILTINS,
    **{
        b.name: b
        for b in (
            Builtin(
                "add_working_days",
                ("Start", "Days", "End"),
                (0, 1),
                "`End` is the last day of a period of `Days` working days of Kazakhstan that "
                "begins the day after `Start` (weekends, public holidays and the Government's "
                "transferred days off are skipped). Its proof names the days skipped and the "
                "working weekends counted, and flags a holiday whose date is only estimated.",
                _add_working_days,
                _describe_period,
            ),
            Builtin(
                "working_day",
                ("Day",),
                (0,),
                "`Day` is a working day in Kazakhstan.",
                _working_day,
            ),
        )
    },
}
"""Every built-in the decree's rules may use: the generic ones and the calendar's."""
