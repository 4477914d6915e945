"""The fact base as the fact pages read it: every record by id, where it was written, and
which records name it — worked out once per facts version, not per page.

A generated world of 1,000 executors holds about 22,000 records; scanning them on every page
would make an organization's page take seconds. :func:`fact_index` builds the index on the
first page of a facts version and keeps it (the last few versions) until a reload brings
another.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from policyeval import FactBase, FactRecord, Snapshot

KEPT_VERSIONS = 2
"""Indexes kept: the version served and the one before it (requests still reading it)."""

RECORD_PAGES = {"organization": "/organizations", "secret": "/secrets"}
"""Kinds with pages of their own; other records are shown at ``/records/{kind}/{id}``."""


def record_url(kind: str, record_id: str) -> str:
    """The page of a record.

    >>> record_url("organization", "acme"), record_url("permit", "p_1")
    ('/organizations/acme', '/records/permit/p_1')
    """
    if kind in RECORD_PAGES:
        return f"{RECORD_PAGES[kind]}/{record_id}"
    return f"/records/{kind}/{record_id}"


@dataclass(frozen=True, slots=True)
class Referrer:
    """A record naming another one in its field ``field`` (the field's name, parts dotted)."""

    record: FactRecord
    field: str


@dataclass(frozen=True, slots=True)
class Listed:
    """A record of a list page, with the lower-case text a search looks in."""

    record: FactRecord
    search: str


@dataclass(frozen=True)
class FactIndex:
    """One facts version's records by id, their sources and who names whom."""

    version: str
    records: dict[str, FactRecord]
    sources: dict[str, str]
    """Record id → ``file:line`` where the record starts."""
    referrers: dict[str, list[Referrer]] = field(default_factory=dict)
    """Record id → the records naming it, in file order."""
    lists: dict[str, list[Listed]] = field(default_factory=dict)
    """Organizations and secrets, sorted by name, for the list pages."""
    kinds: tuple[str, ...] = ()
    """Every record kind, in the vocabulary's order."""

    def get(self, kind: str, record_id: str) -> FactRecord | None:
        """The record ``record_id`` if it is of ``kind``."""
        record = self.records.get(record_id)
        return record if record is not None and record.kind == kind else None

    def url(self, record_id: str) -> str | None:
        """The page of the record ``record_id``, None when there is no such record."""
        record = self.records.get(record_id)
        return record_url(record.kind, record_id) if record is not None else None

    def name(self, record_id: str) -> str | None:
        """The record's ``name`` field, if it has one."""
        name = getattr(self.records.get(record_id), "name", None)
        return name if isinstance(name, str) else None

    def naming(
        self,
        target: str,
        kind: str,
        fields: Iterable[str] | None = None,
        *,
        besides: Iterable[str] = (),
    ) -> list[FactRecord]:
        """The records of ``kind`` naming ``target`` in one of ``fields`` (by default any),
        not counting the fields ``besides``; each once, in file order."""
        wanted = set(fields) if fields is not None else None
        unwanted = set(besides)
        found: dict[str, FactRecord] = {}
        for referrer in self.referrers.get(target, ()):
            if referrer.record.kind != kind or referrer.field in unwanted:
                continue
            if wanted is None or referrer.field in wanted:
                found.setdefault(referrer.record.id, referrer.record)
        return list(found.values())

    def naming_fields(self, target: str, kind: str) -> list[str]:
        """The fields in which records of ``kind`` name ``target``, in the order met."""
        found = (r.field for r in self.referrers.get(target, ()) if r.record.kind == kind)
        return list(dict.fromkeys(found))

    def naming_kinds(self, target: str) -> list[str]:
        """The kinds of the records naming ``target``, in the vocabulary's order."""
        kinds = {referrer.record.kind for referrer in self.referrers.get(target, ())}
        return [kind for kind in self.kinds if kind in kinds]


_lock = threading.Lock()
_cache: OrderedDict[tuple[str, Path | None], FactIndex] = OrderedDict()


def fact_index(snapshot: Snapshot, facts: Path | None = None) -> FactIndex:
    """The index of ``snapshot``'s facts, built on first use per facts version; sources are
    written relative to the fact directory ``facts`` (as the pages link them)."""
    key = (snapshot.facts_version, facts.resolve() if facts is not None else None)
    with _lock:
        found = _cache.get(key)
        if found is None:
            found = _cache[key] = build(snapshot.fact_base, facts)
            while len(_cache) > KEPT_VERSIONS:
                _cache.popitem(last=False)
        _cache.move_to_end(key)
        return found


def is_indexed(snapshot: Snapshot, facts: Path | None = None) -> bool:
    """Whether the index of ``snapshot``'s facts is built already."""
    key = (snapshot.facts_version, facts.resolve() if facts is not None else None)
    with _lock:
        return key in _cache


def build(fact_base: FactBase, facts: Path | None = None) -> FactIndex:
    """Index every record of ``fact_base`` (one pass over its records, one over its facts)."""
    records = {rid: r for by_id in fact_base.records.values() for rid, r in by_id.items()}
    files = _Relative(facts)
    sources: dict[str, str] = {}
    for fact in fact_base.facts:
        source = fact.source
        if source is not None and source.record is not None and source.record not in sources:
            sources[source.record] = f"{files(source.file)}:{source.line}"
    return FactIndex(
        fact_base.version,
        records,
        sources,
        _referrers(records.values()),
        _lists(records),
        tuple(fact_base.vocabulary.record_types),
    )


class _Relative:
    """A fact file's path relative to the fact directory, when it lies in it (worked out once
    per file)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root.resolve() if root is not None else None
        self.seen: dict[str, str] = {}

    def __call__(self, file: str) -> str:
        if file not in self.seen:
            path = Path(file).resolve()
            root = self.root
            inside = root is not None and path.is_relative_to(root)
            self.seen[file] = path.relative_to(root).as_posix() if root and inside else file
        return self.seen[file]


def _referrers(records: Iterable[FactRecord]) -> dict[str, list[Referrer]]:
    found: dict[str, list[Referrer]] = {}
    for record in records:
        for ref in record.references():
            name = ".".join(step for step in ref.path if isinstance(step, str))
            found.setdefault(ref.target, []).append(Referrer(record, name.removesuffix(".value")))
    return found


_LISTED = {
    "organization": ("name", "org_kind", "city"),
    "secret": ("name", "stamp", "carrier", "disposer", "owner"),
}
"""The kinds with list pages and the fields their search looks in (besides the id)."""


def _lists(records: dict[str, FactRecord]) -> dict[str, list[Listed]]:
    lists: dict[str, list[Listed]] = {kind: [] for kind in _LISTED}
    for record in records.values():
        if record.kind in _LISTED:
            words = [record.id, *(_words(getattr(record, f, None)) for f in _LISTED[record.kind])]
            lists[record.kind].append(Listed(record, " ".join(words).lower()))
    for listed in lists.values():
        listed.sort(
            key=lambda item: (str(getattr(item.record, "name", "")).lower(), item.record.id)
        )
    return lists


def _words(value: object) -> str:
    """A field's values as searchable text: a dated field's every value, an enum's symbol.

    >>> _words(None), _words("astana"), _words(["a", "b"])
    ('', 'astana', 'a b')
    """
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(_words(item) for item in value)
    return str(getattr(value, "value", value))  # a dated value's, an enum member's symbol
