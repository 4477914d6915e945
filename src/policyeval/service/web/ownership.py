"""Who owns an organization: its owners, their owners, up to the top of each chain, with the
share recorded at each step and the share held of the organization through the chain.

Ownership records (``ownership``: ``owner`` holds ``percent`` of ``owned`` from ``valid_from``
to ``valid_to``) can form a ring (two companies holding each other); an owner already on the
path is shown, marked, and not followed again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, cast

from policyeval.service.web.fact_index import FactIndex
from policyeval.service.web.fact_views import text

MAX_DEPTH = 16
"""Steps followed up a chain (the generated worlds' chains are six deep at most)."""
MAX_ROWS = 500
"""Shares shown: a page stays readable and fast whatever the fact base holds."""

Period = tuple[dt.date | None, dt.date | None]
"""First and last day, None where open."""


@dataclass(frozen=True, slots=True)
class Holding:
    """One share in the chain: ``owner`` holds ``share`` % of ``owned`` (``depth`` 1: of the
    organization itself) over ``start``–``end``; ``through`` is the share of the organization
    this makes the owner hold over ``through_start``–``through_end`` (None when the periods
    along the chain never meet); ``ring``: the owner is already on the path, not followed."""

    depth: int
    record: str
    source: str | None
    owner: str
    owned: str
    share: str
    start: str | None
    end: str | None
    through: str | None
    through_start: str | None
    through_end: str | None
    ring: bool


class _Share(Protocol):
    """The fields of an ``ownership`` record read here."""

    id: str
    owner: str
    owned: str
    percent: Decimal
    valid_from: dt.date | None
    valid_to: dt.date | None


@dataclass(frozen=True, slots=True)
class _Step:
    """Where the walk is: the organizations below (the path), the share held through it."""

    path: tuple[str, ...]
    through: Decimal | None
    period: Period | None


def owners(index: FactIndex, organization: str) -> list[Holding]:
    """Every share up the chains of owners of ``organization``, depth first, larger first."""
    rows: list[Holding] = []
    _walk(index, organization, _Step((organization,), Decimal(100), (None, None)), rows)
    return rows


def _walk(index: FactIndex, owned: str, step: _Step, rows: list[Holding]) -> None:
    shares = [cast(_Share, r) for r in index.naming(owned, "ownership", ["owned"])]
    for record in sorted(shares, key=lambda r: (-r.percent, r.owner)):
        if len(rows) >= MAX_ROWS:
            return
        holding, above = _holding(index, record, step)
        rows.append(holding)
        followed = not holding.ring and len(above.path) <= MAX_DEPTH
        if followed and index.get("organization", holding.owner) is not None:
            _walk(index, holding.owner, above, rows)


def _holding(index: FactIndex, record: _Share, step: _Step) -> tuple[Holding, _Step]:
    owner, share = record.owner, record.percent
    own: Period = (record.valid_from, record.valid_to)
    period = meet(step.period, own) if step.period is not None else None
    through = step.through * share / 100 if step.through is not None and period else None
    holding = Holding(
        depth=len(step.path),
        record=record.id,
        source=index.sources.get(record.id),
        owner=owner,
        owned=record.owned,
        share=text(share),
        start=_day(own[0]),
        end=_day(own[1]),
        through=percent(through) if through is not None else None,
        through_start=_day(period[0]) if period else None,
        through_end=_day(period[1]) if period else None,
        ring=owner in step.path,
    )
    return holding, _Step((*step.path, owner), through, period)


def meet(one: Period, other: Period) -> Period | None:
    """The days two periods share, None when they share none.

    >>> day = dt.date
    >>> meet((None, day(2026, 3, 31)), (day(2026, 1, 1), None))
    (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    >>> meet((None, day(2026, 3, 31)), (day(2026, 4, 1), None)) is None
    True
    """
    starts = [day for day in (one[0], other[0]) if day is not None]
    ends = [day for day in (one[1], other[1]) if day is not None]
    start, end = max(starts, default=None), min(ends, default=None)
    if start is not None and end is not None and start > end:
        return None
    return start, end


def percent(share: Decimal) -> str:
    """A share held through a chain: exact up to four decimals, else rounded with ``≈``.

    >>> percent(Decimal("17.850")), percent(Decimal(100) / 3)
    ('17.85', '≈33.3333')
    """
    rounded = share.quantize(Decimal("0.0001"))
    exact = rounded == share
    return ("" if exact else "≈") + text(rounded)


def _day(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None
