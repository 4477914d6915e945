"""The decree's built-ins: periods counted in Kazakhstan's working days (clause 5).

The generic engine knows only comparisons and calendar days; the decree hands these to it with
:data:`BUILTINS`, the set its rules are checked and compiled with. As for ``add_days``, a value
the calendar cannot take (a day before 1991, a count outside 0 to
:data:`~policyeval.decree743.calendar.MAX_WORKING_DAYS`, a period ending after 9999-12-31) raises
:class:`~policyeval.errors.OutOfRangeError` naming the call, not an answer of no row
(:mod:`policyeval.engine.builtins` says why).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from policyeval.decree743 import calendar
from policyeval.engine.builtins import BUILTINS as GENERIC_BUILTINS
from policyeval.engine.builtins import Builtin, Pattern, Row, out_of_range

__all__ = ["BUILTINS"]


_ADD_WORKING_DAYS = ("Start", "Days", "End")


def _add_working_days(pattern: Pattern) -> Iterator[Row]:
    start, days, _ = pattern
    if isinstance(start, dt.date) and isinstance(days, int):
        try:
            end = calendar.add_working_days(start, days)
        except calendar.CalendarRangeError as exc:
            raise out_of_range("add_working_days", _ADD_WORKING_DAYS, pattern, str(exc)) from None
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
    if not isinstance(day, dt.date):
        return
    try:
        working = calendar.is_working_day(day)
    except calendar.CalendarRangeError as exc:
        raise out_of_range("working_day", ("Day",), pattern, str(exc)) from None
    if working:
        yield (day,)


BUILTINS: dict[str, Builtin] = {
    **GENERIC_BUILTINS,
    **{
        b.name: b
        for b in (
            Builtin(
                "add_working_days",
                _ADD_WORKING_DAYS,
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
