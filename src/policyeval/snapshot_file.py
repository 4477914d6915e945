"""A loaded fact base and its computed tables in one file, so that a restart need not load again.

Loading a national fact base means reading every fact file and computing every
question-independent table; both depend only on the fact files, the rule files and this
program's code. A snapshot file keeps their result for one :class:`SnapshotKey` (the digests of
those three and the format), with the rules as parsed (:mod:`policyeval.language.syntax_codec`):
it is used only when every part of the key is the same, and read in any other case as missing,
so a snapshot is never trusted across versions.

The format cannot run code: MessagePack (maps, lists, text, numbers, bytes; a day as a
MessagePack extension holding its ordinal) after a magic line and the sha256 of the rest. Each
kind's records are one JSON text; the rows of facts and tables are numbers into one value list
(:mod:`policyeval.engine.store_columns`). Reading checks the whole file (magic, checksum, key,
format) and its layout (each part's type, each table's columns against its width and rows, the
values' types); the records, rows and sources themselves are built when first read
(:mod:`policyeval.snapshot_lazy`), each kind's records validated then by its pydantic model.
A file is as trusted as the directory it is in: it must be writable only by the service, like
the fact files themselves (a table row in it decides like a computed one); a part changed
after writing, checksum and all, is refused when first read, naming the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import msgpack

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
    sources_by_number,
)
from policyeval.facts.loader import FactBase
from policyeval.facts.model import Vocabulary
from policyeval.language.syntax import Atom, RuleSet, Value, Var
from policyeval.language.syntax_codec import decode_rule_set, encode_rule_set
from policyeval.snapshot_lazy import DamagedSnapshot, LazyList, RecordsByKind, records_adapter

FORMAT = 2
"""The layout written; a file of another format is rebuilt, never read."""
KEPT = 3
"""Snapshot files a directory keeps: the newest, and two before it (another replica may still
start from one of those versions)."""
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
    policies_paths: tuple[str, ...] = ()
    """Each redaction's rule directory as given: the kept rules name their files by it."""
    format: int = FORMAT

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "facts": self.facts,
            "policies": list(self.policies),
            "facts_path": self.facts_path,
            "policies_paths": list(self.policies_paths),
            "format": self.format,
            "byteorder": sys.byteorder,
        }

    def file_name(self) -> str:
        digest = hashlib.sha256(repr(sorted(self.as_dict().items())).encode("utf-8"))
        return f"{digest.hexdigest()[:24]}.snapshot"


@dataclass(frozen=True, slots=True)
class StoredEdition:
    """One redaction's rules (as parsed, and their files' version) and the tables computed
    for them (the tabled predicates, the rule slices and the store holding the facts and
    those rows; which predicates were left untabled is not kept)."""

    policy_version: str
    rules: RuleSet
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


def read_snapshot(directory: Path, key: SnapshotKey, vocabulary: Vocabulary) -> StoredFacts | None:
    """The snapshot under ``directory`` for ``key``, or ``None`` when there is none or it is
    not one: damaged, of another key or format, or holding records its models refuse. Never
    raises for what the file holds."""
    path = directory / key.file_name()
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = len(MAGIC) + hashlib.sha256().digest_size
    body = memoryview(data)[head:]
    if not data.startswith(MAGIC) or hashlib.sha256(body).digest() != data[len(MAGIC) : head]:
        return None
    try:
        document = msgpack.unpackb(body, ext_hook=decode_day, use_list=True, raw=False)
        if document.get("key") != key.as_dict():
            return None
        return _decode(document, vocabulary, path)
    except (ValueError, TypeError, KeyError, IndexError):
        return None


# -- encoding -----------------------------------------------------------------------------


def _encode(key: SnapshotKey, stored: StoredFacts) -> dict[str, Any]:
    values: Interner[Value] = Interner()
    sources: Interner[FactSource] = Interner()
    base = {name: encode_table(t, values, sources) for name, t in stored.store.own_tables().items()}
    editions = [_encode_edition(edition, values, sources) for edition in stored.editions]
    fact_base = stored.fact_base
    models = fact_base.vocabulary.record_types
    return {
        "key": key.as_dict(),
        "version": fact_base.version,
        "records": {
            kind: records_adapter(models[kind]).dump_json(list(by_id.values()))
            for kind, by_id in fact_base.records.items()
        },
        "base": base,
        "editions": editions,
        "facts": _encode_fact_order(fact_base.facts, stored.store, sources),
        "sources": _encode_sources(sources.items, values),
        "values": _encode_values(values.items),
    }


def _encode_edition(
    edition: StoredEdition, values: Interner[Value], sources: Interner[FactSource]
) -> dict[str, Any]:
    return {
        "policy_version": edition.policy_version,
        "rules": encode_rule_set(edition.rules),
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


def _encode_sources(sources: Sequence[FactSource], values: Interner[Value]) -> list[bytes]:
    """Sources as columns of 4-byte numbers: file and record id (value numbers; :data:`NONE`
    for no record), line, and the period's first and last day (ordinals; 0 for none)."""
    files = [values.number(s.file) for s in sources]
    lines = [s.line for s in sources]
    records = [NONE if s.record is None else values.number(s.record) for s in sources]
    starts = [0 if s.period is None else s.period[0].toordinal() for s in sources]
    ends = [0 if s.period is None else s.period[1].toordinal() for s in sources]
    return [as_bytes(column) for column in (files, lines, records, starts, ends)]


def _encode_values(values: Sequence[Value]) -> list[Any]:
    """The value list with each day left out (``None``), and the days apart as two columns:
    their places in the list and their ordinals."""
    days = [(i, v.toordinal()) for i, v in enumerate(values) if type(v) is dt.date]
    kept = [None if type(v) is dt.date else v for v in values]
    return [kept, as_bytes([i for i, _ in days]), as_bytes([o for _, o in days])]


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


def _decode(document: dict[str, Any], vocabulary: Vocabulary, path: Path) -> StoredFacts:
    values = _decode_values(document["values"])
    encoded_sources = document["sources"]
    if type(encoded_sources) is not list or len(encoded_sources) != 5:
        raise ValueError("a snapshot's sources are not five columns")
    sources = LazyList(lambda: _decode_sources(encoded_sources, values, path))
    by_number = cache(lambda: sources_by_number(sources))
    store = vocabulary.store()
    for name, encoded in document["base"].items():
        store.put_table(name, decode_table(encoded, values, by_number, str(path)))
    editions = tuple(
        _decode_edition(encoded, store, values, by_number, path) for encoded in document["editions"]
    )
    if [edition.policy_version for edition in editions] != document["key"]["policies"]:
        raise ValueError("a snapshot's editions do not match its rules' versions")
    records = RecordsByKind(document["records"], vocabulary.record_types, path)
    facts = _decode_fact_order(document["facts"], store, sources)
    digest = str(document["key"]["facts"])
    fact_base = FactBase(records, facts, str(document["version"]), vocabulary, digest)
    return StoredFacts(fact_base, store, editions)


def _decode_edition(
    encoded: dict[str, Any],
    base: FactStore,
    values: Sequence[Value],
    sources: Callable[[], Mapping[int, FactSource | None]],
    path: Path,
) -> StoredEdition:
    rules = decode_rule_set(encoded["rules"])
    store = base.extended()
    for name, table in encoded["tables"].items():
        store.put_table(name, decode_table(table, values, sources, str(path)))
    by_id = {rule.id: rule for rule in rules.rules}
    slices = {
        rule_id: _decode_slice(piece, by_id[rule_id])
        for rule_id, piece in encoded["slices"].items()
    }
    tables = Tables(frozenset(encoded["tabled"]), store, {}, slices)
    return StoredEdition(str(encoded["policy_version"]), rules, tables)


def _decode_slice(encoded: dict[str, Any], rule: Any) -> Slice:
    body = tuple(rule.body[i] for i in encoded["body"])
    chosen = {id(literal) for literal in body}
    rest = tuple(literal for literal in rule.body if id(literal) not in chosen)
    atom = Atom(str(encoded["atom"]), tuple(Var(str(name)) for name in encoded["variables"]))
    return Slice(rule, atom, body, rest)


def _decode_values(encoded: list[Any]) -> list[Value]:
    """The value list :func:`_encode_values` wrote: text, integers and days only."""
    kept, places, ordinals = encoded
    values: list[Any] = list(kept)
    for place, ordinal in zip(as_numbers(places), as_numbers(ordinals), strict=True):
        if values[place] is not None:
            raise ValueError("a snapshot's day is in the place of another value")
        values[place] = dt.date.fromordinal(ordinal)
    if not set(map(type, values)) <= {str, int, dt.date}:
        raise ValueError("a snapshot's value is not text, an integer or a day")
    return values


def _decode_sources(encoded: list[Any], values: Sequence[Value], path: Path) -> list[FactSource]:
    """The facts' sources :func:`_encode_sources` wrote (when a table's or a fact's is first
    read); raises :class:`DamagedSnapshot` when they are not."""
    try:
        return _sources(encoded, values)
    except (ValueError, TypeError, IndexError, OverflowError) as error:
        raise DamagedSnapshot(path, "the facts' sources", str(error)) from None


def _sources(encoded: list[Any], values: Sequence[Value]) -> list[FactSource]:
    files, lines, records, starts, ends = (as_numbers(column) for column in encoded)
    days = {o: dt.date.fromordinal(o) for o in {*starts, *ends} if o}
    return [
        FactSource(
            str(values[file]),
            line,
            None if record == NONE else str(values[record]),
            None if start == 0 else (days[start], days[end]),
        )
        for file, line, record, start, end in zip(files, lines, records, starts, ends, strict=True)
    ]


def _decode_fact_order(
    encoded: list[Any], store: FactStore, sources: Sequence[FactSource]
) -> FactList:
    names, predicates, rows, numbers = encoded
    tables = store.own_tables()
    fact_list = FactList(
        [(name, tables[name]) for name in names],
        as_numbers(predicates),
        as_numbers(rows),
        as_numbers(numbers),
        sources,
    )
    if not len(fact_list.predicates) == len(fact_list.rows) == len(fact_list.sources):
        raise ValueError("the fact base's facts do not match their sources")
    return fact_list
