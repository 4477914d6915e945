"""Working-day calendar of the Republic of Kazakhstan.

Used for periods counted in working days, e.g. clause 5 of Decree 743 ("within ten
working days from the date of their receipt").

A day is a working day unless it is a Saturday, a Sunday or a public holiday. Holidays
come from the ``holidays`` library (``holidays.KZ``), which covers:

* the holidays of the Law "On holidays" (incl. Orthodox Christmas and the first day of
  Kurban Ait), with the statutory shift of a holiday that falls on a weekend to the
  next working day (Labour Code, art. 85);
* the days off transferred by the Government (a weekday made a day off), and the
  weekend days thereby made working days (``weekend_workdays``), for 2000-2025;
  no transfers were decreed for 2026.

Transfers the Government decrees for later years appear only with a newer ``holidays``
release; Kurban Ait dates after 2025 are the library's estimates. The calendar runs from
:data:`FIRST_DAY` (1991, the library's first year) to :data:`LAST_DAY` (the last day Python
can write); a day outside it, a period longer than :data:`MAX_WORKING_DAYS` or one running
past its end raises :class:`CalendarRangeError`. So that a deadline can be checked by hand,
:func:`describe_period` names the holidays and transferred days a period skipped, the
working weekends it counted, and flags a holiday whose date is only estimated
(:func:`is_estimated`); proofs of ``add_working_days`` show it.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any, NamedTuple

import holidays

__all__ = [
    "FIRST_DAY",
    "LAST_DAY",
    "LAST_PERIOD_START",
    "MAX_WORKING_DAYS",
    "CalendarRangeError",
    "SkippedDay",
    "add_working_days",
    "describe_period",
    "holiday_name",
    "is_estimated",
    "is_working_day",
    "skipped_days",
    "working_days_between",
]

_FIRST_YEAR = 1991
_ONE_DAY = dt.timedelta(days=1)

FIRST_DAY = dt.date(_FIRST_YEAR, 1, 1)
"""The first day the calendar knows."""
LAST_DAY = dt.date.max
"""The last day the calendar knows (9999-12-31)."""
LAST_PERIOD_START = dt.date(LAST_DAY.year - 1, 12, 31)
"""The last day the decree's periods of working days may be counted from: a year before
:data:`LAST_DAY`, so that they end within the calendar."""
MAX_WORKING_DAYS = 10_000
"""The longest period :func:`add_working_days` counts (about forty years)."""


class CalendarRangeError(ValueError):
    """A day outside the calendar, or a period too long or ending after :data:`LAST_DAY`."""


@lru_cache(maxsize=64)
def _calendar(year: int, language: str = "en_US") -> Any:
    """The library calendar for ``year``, populated with ``year + 1`` too.

    ``year + 1`` is needed because a working weekend can precede the day off it is
    transferred to across New Year (2013-12-28 worked for 2014-01-03), and the library
    records it when it populates the later year. ``expand=False`` keeps the cached
    object from being mutated by look-ups.
    """
    years = range(year, min(year + 1, dt.MAXYEAR) + 1)
    return holidays.country_holidays("KZ", years=years, language=language, expand=False)


@lru_cache(maxsize=64)
def _plain_calendar(year: int) -> Any:
    """The calendar of ``year`` with no "(estimated)" mark on Islamic holidays' names."""
    return holidays.country_holidays(
        "KZ", years=[year], language="en_US", expand=False, islamic_show_estimated=False
    )


def _check(day: dt.date) -> None:
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise TypeError(f"expected a datetime.date, got {type(day).__name__}")
    if day < FIRST_DAY:
        raise CalendarRangeError(
            f"{day} is before {FIRST_DAY}, the first day of Kazakhstan's working-day calendar"
        )


def is_working_day(day: dt.date) -> bool:
    """Whether ``day`` is a working day in Kazakhstan (five-day week).

    >>> is_working_day(dt.date(2026, 3, 24))  # Nauryz, shifted from Saturday 21 March
    False
    >>> is_working_day(dt.date(2024, 5, 4))  # Saturday worked for Wednesday 8 May
    True
    """
    _check(day)
    return bool(_calendar(day.year).is_working_day(day))


def add_working_days(start: dt.date, count: int) -> dt.date:
    """The last day of a period of ``count`` working days running from ``start``.

    The period begins on the day after the event (receipt): the first day counted is
    the first working day after ``start``, as for any period computed in days (Civil
    Code of RK, arts. 173-174). Because only working days are counted, a period never
    ends on a non-working day, so the rule moving such an end to the next working day
    needs no separate step. ``count == 0`` returns ``start`` itself (an empty period);
    a ``count`` below 0 or above :data:`MAX_WORKING_DAYS`, or a period ending after
    :data:`LAST_DAY`, raises :class:`CalendarRangeError`.

    >>> add_working_days(dt.date(2026, 4, 6), 10)  # a Monday; no holidays in April 2026
    datetime.date(2026, 4, 20)
    >>> add_working_days(dt.date(2026, 3, 20), 1)  # skips Nauryz, 21-25 March
    datetime.date(2026, 3, 26)
    """
    _check(start)
    if not 0 <= count <= MAX_WORKING_DAYS:
        raise CalendarRangeError(
            f"a period counts from 0 to {MAX_WORKING_DAYS} working days, not {count}"
        )
    day = start
    while count:
        if day == LAST_DAY:
            raise CalendarRangeError(f"the period would end after {LAST_DAY}")
        day += _ONE_DAY
        if is_working_day(day):
            count -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """The number of working days ``d`` with ``start < d <= end`` (0 if ``end <= start``).

    The inverse of `add_working_days`: ``working_days_between(s, add_working_days(s, n))
    == n``.

    >>> working_days_between(dt.date(2025, 12, 31), dt.date(2026, 1, 9))
    4
    """
    _check(start)
    _check(end)
    span = (end - start).days
    return sum(is_working_day(start + dt.timedelta(days=i)) for i in range(1, span + 1))


def holiday_name(day: dt.date, language: str = "en_US") -> str | None:
    """The holiday or day-off name of ``day``, or ``None`` if it is not one.

    Ordinary weekends and working weekends give ``None``. ``language`` is one the
    library supports for KZ: ``"en_US"``, ``"kk"`` or ``"uk"``.

    >>> holiday_name(dt.date(2026, 3, 24))
    'Nowruz Holiday (observed)'
    >>> holiday_name(dt.date(2026, 3, 24), "kk")
    'Наурыз мейрамы (қайта белгіленген демалыс)'
    """
    _check(day)
    name = _calendar(day.year, language).get(day)
    return None if name is None else str(name)


def is_estimated(day: dt.date) -> bool:
    """Whether ``day`` is a holiday whose date the ``holidays`` library only estimates.

    The library computes Kurban Ait (Eid al-Adha) from the lunar calendar beyond the years
    whose dates it has been given; such a date may move by a day or two once decreed. It marks
    the name "(estimated)"; the same calendar built without the mark tells the two apart, in
    any language.

    >>> is_estimated(dt.date(2026, 5, 27)), is_estimated(dt.date(2025, 6, 6))
    (True, False)
    """
    _check(day)
    marked = _calendar(day.year).get(day)
    return marked is not None and str(marked) != str(_plain_calendar(day.year).get(day))


class SkippedDay(NamedTuple):
    """A day that made a working-day period differ from a plain Monday-to-Friday count."""

    day: dt.date
    name: str
    """The holiday or day-off name, or "working Saturday" / "working Sunday"."""
    worked: bool
    """True for a weekend day the Government made a working day (it was counted)."""
    estimated: bool
    """True for a holiday whose date the library only estimates."""


def skipped_days(start: dt.date, end: dt.date) -> list[SkippedDay]:
    """The days ``d`` with ``start < d <= end`` that a weekday count would get wrong.

    Weekdays that are not working days (public holidays, their observed days, the
    Government's transferred days off) were skipped; weekend days made working days were
    counted. Holidays falling on a weekend change nothing and are left out.

    >>> days = skipped_days(dt.date(2025, 12, 15), dt.date(2025, 12, 30))
    >>> [(d.day.isoformat(), d.name) for d in days]
    [('2025-12-16', 'Independence Day')]
    >>> [(d.name, d.estimated) for d in skipped_days(dt.date(2026, 5, 20), dt.date(2026, 6, 5))]
    [('Eid al-Adha (estimated)', True)]
    """
    _check(start)
    _check(end)
    found: list[SkippedDay] = []
    for offset in range(1, (end - start).days + 1):
        day = start + dt.timedelta(days=offset)
        weekend = day.weekday() >= 5
        working = is_working_day(day)
        if weekend and working:
            label = "working Saturday" if day.weekday() == 5 else "working Sunday"
            found.append(SkippedDay(day, label, True, False))
        elif not weekend and not working:
            name = holiday_name(day) or "day off"
            found.append(SkippedDay(day, name, False, is_estimated(day)))
    return found


def describe_period(start: dt.date, end: dt.date) -> str:
    """What a working-day period from ``start`` to ``end`` skipped, for a proof.

    >>> describe_period(dt.date(2025, 12, 15), dt.date(2025, 12, 30)).split("; ")[0]
    'skipped 2025-12-16 Independence Day'
    >>> describe_period(dt.date(2025, 12, 15), dt.date(2025, 12, 30)).split("; ")[1]
    'skipped the weekends 2025-12-20, 2025-12-21, 2025-12-27, 2025-12-28'
    >>> describe_period(dt.date(2026, 4, 6), dt.date(2026, 4, 20)).split("; ")[0]
    'no holiday, day off or working weekend in the period'
    >>> describe_period(dt.date(2026, 5, 20), dt.date(2026, 6, 5)).split("; ")[0]
    'skipped 2026-05-27 Eid al-Adha (estimated)'
    >>> describe_period(dt.date(2026, 5, 20), dt.date(2026, 6, 5)).split("; ")[2][:50]
    'ESTIMATED: the date of 2026-05-27 is the holidays '
    """
    days = skipped_days(start, end)
    skipped = [f"{d.day.isoformat()} {d.name}" for d in days if not d.worked]
    worked = [f"{d.day.isoformat()} {d.name}" for d in days if d.worked]
    parts = []
    if skipped:
        parts.append("skipped " + ", ".join(skipped))
    if worked:
        parts.append("counted " + ", ".join(worked))
    span = range(1, (end - start).days + 1)
    weekends = [
        day.isoformat()
        for day in (start + dt.timedelta(days=offset) for offset in span)
        if day.weekday() >= 5 and not is_working_day(day)
    ]
    estimated = [
        day.isoformat()
        for day in (start + dt.timedelta(days=offset) for offset in span)
        if is_estimated(day)
    ]
    if not parts:
        parts.append("no holiday, day off or working weekend in the period")
    if weekends:
        parts.append("skipped the weekends " + ", ".join(weekends))
    if estimated:  # also one on a weekend: if the decreed date differs, it may fall on a weekday
        parts.append(
            f"ESTIMATED: the date of {', '.join(estimated)} is the holidays library's"
            " estimate, not a decreed date: the deadline may differ by the days it moves"
        )
    return "; ".join(parts)
