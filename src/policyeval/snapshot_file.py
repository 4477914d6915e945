"""A loaded fact base and its computed tables in one file, so that a restart need not load again.

Loading a national fact base means reading every fact file and computing every
question-independent table; both depend only on the fact files, the rule files and this
program's code. A snapshot file keeps their result for one :class:`SnapshotKey` (the digests of
those three and the format): it is used only when every part of the key is the same, and read
in any other case as missing, so a snapshot is never trusted across versions.

The format cannot run code: MessagePack (maps, lists, text, numbers, bytes; a day as a
MessagePack extension holding its ordinal) after a magic line and the sha256 of the rest. The
records are validated again by their pydantic models when read; the rows of facts and tables
are numbers into one value list (:mod:`policyeval.engine.store_columns`). A snapshot is as
trusted as the directory it is in: it must be writable only by the service, like the fact
files themselves.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import msgpack
from pydantic import TypeAdapter, ValidationError

from policyeval.engine.materialize import Tables
from policyeval.engine.slicing import Slice
from policyeval.engine.store import BaseFact, FactSource, FactStore
from policyeval.engine.store_columns import (
    NONE,
    FactList,
    Interner,
    as_bytes,
    as_numbers,
    decode_table,
    encode_table,
)
from policyeval.facts.loader import FactBase
from policyeval.facts.model import FactRecord, Vocabulary
from policyeval.language.syntax import Atom, RuleSet, Value, Var

FORMAT = 1
KEPT = 3
"""Snapshot files a directory keeps: the newest, and two before it (another replica may still
start from one of those versions)."""
"""The layout written; a file of another format is rebuilt, never read."""
MAGIC = b"policyeval snapshot\n"
_DAY = 1
"""The MessagePack extension code of a day (its proleptic Gregorian ordinal, 4 bytes)."""


@dataclass(frozen=True, slots=True)
class SnapshotKey:
    """What a snapshot was computed from: the program's code, the fact files' bytes and each
    redaction's rule files, and the layout. Any difference means a rebuild."""

    code: str
    facts: str
    policies: tuple[str, ...]
    facts_path: str = ""
    """The fact directory as given: the facts' sources name their files by it."""
    format: int = FORMAT

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "facts": self.facts,
            "policies": list(self.policies),
            "facts_path": self.facts_path,
            "format": self.format,
            "byteorder": sys.byteorder,
        }

    def file_name(self) -> str:
        digest = hashlib.sha256(repr(sorted(self.as_dict().items())).encode("utf-8"))
        return f"{digest.hexdigest()[:24]}.snapshot"


@dataclass(frozen=True, slots=True)
class StoredEdition:
    """One redaction's rules' version and the tables computed for them (the tabled
    predicates, the rule slices and the store holding the facts and those rows; which
    predicates were left untabled is not kept)."""

    policy_version: str
    tables: Tables


@dataclass(frozen=True, slots=True)
class StoredFacts:
    """What a snapshot restores: the fact base, its store, and each redaction's tables."""

    fact_base: FactBase
    store: FactStore
    editions: tuple[StoredEdition, ...]


@cache
def code_version() -> str:
    """A digest of this program's source (the package's ``.py`` and ``.lark`` files): a
    snapshot written by other code is rebuilt."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".lark")):
        digest.update(path.relative_to(package).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def write_snapshot(directory: Path, key: SnapshotKey, stored: StoredFacts) -> Path:
    """Write ``stored`` under ``directory`` for ``key``, atomically (a reader sees the old file
    or the whole new one), readable by this user only, and prune the older ones
    (:data:`KEPT`); returns the file's path."""
    body = msgpack.packb(_encode(key, stored), default=encode_day, use_bin_type=True)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = directory / key.file_name()
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".writing-", suffix=".snapshot")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(MAGIC + hashlib.sha256(body).digest() + body)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _prune(directory)
    return target


def _prune(directory: Path) -> None:
    """Remove all but the :data:`KEPT` newest snapshot files of ``directory``."""
    files = []
    for path in directory.glob("*.snapshot"):
        try:
            files.append((path.stat().st_mtime_ns, path))
        except OSError:
            continue
    for _, path in sorted(files, reverse=True)[KEPT:]:
        path.unlink(missing_ok=True)


def read_snapshot(
    directory: Path, key: SnapshotKey, vocabulary: Vocabulary, rules: Sequence[RuleSet]
) -> StoredFacts | None:
    """The snapshot under ``directory`` for ``key`` (``rules``: each redaction's, in the
    key's order), or ``None`` when there is none or it is not one: damaged, of another key or
    format, or holding records its models refuse. Never raises for what the file holds."""
    path = directory / key.file_name()
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = len(MAGIC) + hashlib.sha256().digest_size
    if (
        not data.startswith(MAGIC)
        or hashlib.sha256(data[head:]).digest() != data[len(MAGIC) : head]
    ):
        return None
    try:
        document = msgpack.unpackb(data[head:], ext_hook=decode_day, use_list=True, raw=False)
        if document.get("key") != key.as_dict():
            return None
        return _decode(document, vocabulary, rules)
    except (ValueError, TypeError, KeyError, IndexError, ValidationError):
        return None


# -- encoding -----------------------------------------------------------------------------


def _encode(key: SnapshotKey, stored: StoredFacts) -> dict[str, Any]:
    values: Interner[Value] = Interner()
    sources: Interner[FactSource] = Interner()
    base = {name: encode_table(t, values, sources) for name, t in stored.store.own_tables().items()}
    editions = [_encode_edition(edition, values, sources) for edition in stored.editions]
    fact_base = stored.fact_base
    return {
        "key": key.as_dict(),
        "version": fact_base.version,
        "records": {
            kind: [record.model_dump(mode="json") for record in by_id.values()]
            for kind, by_id in fact_base.records.items()
        },
        "base": base,
        "editions": editions,
        "facts": _encode_fact_order(fact_base.facts, stored.store, sources),
        "sources": _encode_sources(sources.items, values),
        "values": values.items,
    }


def _encode_edition(
    edition: StoredEdition, values: Interner[Value], sources: Interner[FactSource]
) -> dict[str, Any]:
    return {
        "policy_version": edition.policy_version,
        "tabled": sorted(edition.tables.tabled),
        "slices": {
            rule_id: _encode_slice(piece) for rule_id, piece in edition.tables.slices.items()
        },
        "tables": {
            name: encode_table(table, values, sources)
            for name, table in edition.tables.store.own_tables().items()
        },
    }


def _encode_slice(piece: Slice) -> dict[str, Any]:
    """A slice by its rule's conditions: which of them (in the slice's order) and the hidden
    table's arguments."""
    positions = {id(literal): i for i, literal in enumerate(piece.rule.body)}
    return {
        "atom": piece.atom.predicate,
        "variables": [term.name for term in piece.atom.terms if isinstance(term, Var)],
        "body": [positions[id(literal)] for literal in piece.body],
    }


def _encode_sources(sources: Sequence[FactSource], values: Interner[Value]) -> list[Any]:
    """Sources as columns: file, line, record id and period (value numbers; -1 for none)."""
    files = [values.number(s.file) for s in sources]
    lines = [s.line for s in sources]
    records = [-1 if s.record is None else values.number(s.record) for s in sources]
    periods = [None if s.period is None else list(s.period) for s in sources]
    return [files, lines, records, periods]


def _encode_fact_order(
    facts: Sequence[BaseFact], store: FactStore, sources: Interner[FactSource]
) -> list[Any]:
    """The fact base's facts, in their order, as their table, their row's number in it and
    their source (a dated fact's as its record gave it, without the period)."""
    listed = facts if isinstance(facts, FactList) else FactList.of(facts, store)
    numbers = [NONE if n == NONE else sources.number(listed.source_list[n]) for n in listed.sources]
    names = [name for name, _ in listed.tables]
    return [names, as_bytes(listed.predicates), as_bytes(listed.rows), as_bytes(numbers)]


def encode_day(value: object) -> msgpack.ExtType:
    """A day as the snapshot writes it (MessagePack's ``default``); nothing else is written."""
    if type(value) is dt.date:
        return msgpack.ExtType(_DAY, value.toordinal().to_bytes(4, "big"))
    raise TypeError(f"cannot write a {type(value).__name__} in a snapshot")


def decode_day(code: int, data: bytes) -> dt.date:
    """A day the snapshot wrote (MessagePack's ``ext_hook``); any other extension is refused."""
    if code != _DAY or len(data) != 4:
        raise ValueError(f"unknown value of type {code} in a snapshot")
    return dt.date.fromordinal(int.from_bytes(data, "big"))


# -- decoding -----------------------------------------------------------------------------


def _decode(
    document: dict[str, Any], vocabulary: Vocabulary, rules: Sequence[RuleSet]
) -> StoredFacts:
    values: list[Value] = document["values"]
    if any(type(v) not in (str, int, dt.date) for v in values):
        raise ValueError("a snapshot's value is not text, an integer or a day")
    sources = _decode_sources(document["sources"], values)
    store = vocabulary.store()
    for name, encoded in document["base"].items():
        store.put_table(name, decode_table(encoded, values, sources))
    editions = tuple(
        _decode_edition(encoded, store, ruleset, values, sources)
        for encoded, ruleset in zip(document["editions"], rules, strict=True)
    )
    records = _decode_records(document["records"], vocabulary)
    facts = _decode_fact_order(document["facts"], store, sources)
    digest = str(document["key"]["facts"])
    fact_base = FactBase(records, facts, str(document["version"]), vocabulary, digest)
    return StoredFacts(fact_base, store, editions)


def _decode_edition(
    encoded: dict[str, Any],
    base: FactStore,
    rules: RuleSet,
    values: Sequence[Value],
    sources: Sequence[FactSource],
) -> StoredEdition:
    store = base.extended()
    for name, table in encoded["tables"].items():
        store.put_table(name, decode_table(table, values, sources))
    by_id = {rule.id: rule for rule in rules.rules}
    slices = {
        rule_id: _decode_slice(piece, by_id[rule_id])
        for rule_id, piece in encoded["slices"].items()
    }
    tables = Tables(frozenset(encoded["tabled"]), store, {}, slices)
    return StoredEdition(str(encoded["policy_version"]), tables)


def _decode_slice(encoded: dict[str, Any], rule: Any) -> Slice:
    body = tuple(rule.body[i] for i in encoded["body"])
    chosen = {id(literal) for literal in body}
    rest = tuple(literal for literal in rule.body if id(literal) not in chosen)
    atom = Atom(str(encoded["atom"]), tuple(Var(str(name)) for name in encoded["variables"]))
    return Slice(rule, atom, body, rest)


def _decode_sources(encoded: list[Any], values: Sequence[Value]) -> list[FactSource]:
    files, lines, records, periods = encoded
    return [
        FactSource(
            str(values[file]),
            int(line),
            None if record < 0 else str(values[record]),
            None if period is None else (period[0], period[1]),
        )
        for file, line, record, period in zip(files, lines, records, periods, strict=True)
    ]


def _decode_records(
    encoded: dict[str, list[dict[str, Any]]], vocabulary: Vocabulary
) -> dict[str, dict[str, FactRecord]]:
    records: dict[str, dict[str, FactRecord]] = {kind: {} for kind in vocabulary.record_types}
    for kind, dumped in encoded.items():
        model = vocabulary.record_types[kind]
        for record in _adapter(model).validate_python(dumped):
            records[kind][record.id] = record
    return records


@cache
def _adapter(model: type[FactRecord]) -> TypeAdapter[list[FactRecord]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _decode_fact_order(
    encoded: list[Any], store: FactStore, sources: Sequence[FactSource]
) -> FactList:
    names, predicates, rows, numbers = encoded
    tables = store.own_tables()
    fact_list = FactList(
        [(name, tables[name].rows) for name in names],
        as_numbers(predicates),
        as_numbers(rows),
        as_numbers(numbers),
        sources,
    )
    if not len(fact_list.predicates) == len(fact_list.rows) == len(fact_list.sources):
        raise ValueError("the fact base's facts do not match their sources")
    return fact_list
