"""Records as the fact pages show them: each field's values (dated ones with their periods,
references as links), and tables of records of one kind, a page at a time."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import Enum
from typing import Protocol, TypeVar, cast

from pydantic import BaseModel

from policyeval import FactRecord
from policyeval.service.web.fact_index import FactIndex

PAGE_SIZE = 50
"""Rows of a list or of a section of a record's page, per page."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "organization": ("name", "org_kind", "city"),
    "person": ("name", "works_at", "position"),
    "ownership": ("owner", "owned", "percent", "valid_from", "valid_to"),
    "secret": ("name", "stamp", "carrier", "disposer"),
    "request": ("customer", "addressee", "executor", "sent", "received"),
    "answer": ("request", "by", "decision", "date", "executor"),
    "agreement": ("customer", "executor", "concluded", "subject"),
    "addendum": ("agreement", "date", "assignee"),
    "notice": ("customer", "authority", "date", "agreement"),
    "permit": ("holder", "number", "issued", "valid_until", "issuer"),
    "admission": ("person", "number", "form", "level", "issued", "valid_until", "issuer"),
    "transfer": ("customer", "executor", "date", "agreement", "secrets"),
    "secret_return": ("executor", "customer", "date", "agreement", "secrets"),
}
"""The fields a table of records of a kind shows; other kinds show their first four."""

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Shown:
    """One value of a field: its text, a link when it names a record, a yes/no flag's truth
    (said in words by the page), and a dated value's first and last day (None: open)."""

    text: str
    url: str | None = None
    title: str | None = None
    flag: bool | None = None
    dated: bool = False
    start: str | None = None
    end: str | None = None


@dataclass(frozen=True, slots=True)
class FieldRow:
    """A field of a record (parts dotted: ``executor_details.bin``) and its values."""

    name: str
    values: list[Shown]


@dataclass(frozen=True, slots=True)
class TableRow:
    """A record in a table: its page, its source and the values of the table's columns."""

    id: str
    url: str
    source: str | None
    cells: list[list[Shown]]
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Section:
    """One page of a table of records of one kind (``key`` names it in anchors and URLs)."""

    key: str
    kind: str
    columns: tuple[str, ...]
    rows: list[TableRow]
    total: int
    page: int
    pages: int


def paged(items: Sequence[_T], page: int, size: int | None = None) -> tuple[Sequence[_T], int, int]:
    """The items of page ``page`` (clamped to the pages there are), the page and the pages;
    ``size`` items a page, by default :data:`PAGE_SIZE`.

    >>> paged(list(range(5)), 9, size=2)
    ([4], 3, 3)
    """
    size = size or PAGE_SIZE
    pages = max(1, math.ceil(len(items) / size))
    page = min(max(1, page), pages)
    return items[(page - 1) * size : page * size], page, pages


def section(
    key: str,
    records: Sequence[FactRecord],
    index: FactIndex,
    page: int,
    kind: str,
    naming: Sequence[str] = (),
) -> Section:
    """Page ``page`` of a table of ``records`` (all of ``kind``); the fields ``naming`` the
    record whose page it is are shown too."""
    shown, page, pages = paged(records, page)
    usual = COLUMNS.get(kind) or _first_fields(records)
    columns = (*usual, *(name for name in naming if name not in usual and "." not in name))
    rows = [table_row(record, columns, index) for record in shown]
    return Section(key, kind, columns, rows, len(records), page, pages)


def _first_fields(records: Sequence[FactRecord]) -> tuple[str, ...]:
    if not records:
        return ()
    return tuple(name for name in type(records[0]).model_fields if name not in ("kind", "id"))[:4]


def table_row(record: FactRecord, columns: Sequence[str], index: FactIndex) -> TableRow:
    refs = _references(record)
    cells = [_values(getattr(record, name, None), (name,), index, refs) for name in columns]
    url = index.url(record.id) or ""
    return TableRow(record.id, url, index.sources.get(record.id), cells, index.name(record.id))


def fields(record: FactRecord, index: FactIndex) -> list[FieldRow]:
    """Every field of ``record`` with a value (a flag's ``false`` included), in the model's
    order, nested parts' fields dotted."""
    return list(_fields(record, (), index, _references(record)))


def _fields(
    model: BaseModel,
    path: tuple[str | int, ...],
    index: FactIndex,
    refs: dict[tuple[object, ...], str],
) -> Iterator[FieldRow]:
    for name in type(model).model_fields:
        if not path and name in ("kind", "id"):
            continue
        value = getattr(model, name)
        if isinstance(value, BaseModel) and not _is_dated(value):
            yield from _fields(value, (*path, name), index, refs)
            continue
        values = _values(value, (*path, name), index, refs)
        if values:
            yield FieldRow(".".join(str(step) for step in (*path, name)), values)


def _references(record: FactRecord) -> dict[tuple[object, ...], str]:
    return {tuple(ref.path): ref.target for ref in record.references()}


def _values(
    value: object, path: tuple[object, ...], index: FactIndex, refs: dict[tuple[object, ...], str]
) -> list[Shown]:
    if value is None:
        return []
    if isinstance(value, list):
        return [s for n, item in enumerate(value) for s in _values(item, (*path, n), index, refs)]
    if isinstance(value, BaseModel) and _is_dated(value):
        dated = cast(_Dated, value)
        inner = _values(dated.value, (*path, "value"), index, refs)
        start, end = _day(dated.valid_from), _day(dated.valid_to)
        return [replace(s, dated=True, start=start, end=end) for s in inner]
    if isinstance(value, bool):
        return [Shown(str(value).lower(), flag=value)]
    if path in refs:
        target = refs[path]
        return [Shown(target, url=index.url(target), title=index.name(target))]
    return [Shown(text(value))]


class _Dated(Protocol):
    """A dated field's value with its period (``policyeval.facts.model.InForce``)."""

    value: object
    valid_from: dt.date | None
    valid_to: dt.date | None


def _is_dated(model: BaseModel) -> bool:
    """Whether ``model`` is a dated field's value with its period."""
    return set(type(model).model_fields) == {"value", "valid_from", "valid_to"}


def _day(day: object) -> str | None:
    return day.isoformat() if isinstance(day, dt.date) else None


def text(value: object) -> str:
    """A field value as the fact files write it.

    >>> text(Decimal("25.50")), text(dt.date(2026, 3, 1)), text(12)
    ('25.5', '2026-03-01', '12')
    """
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
