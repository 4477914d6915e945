"""Load fact files into a :class:`FactBase`: records, their base facts with provenance, a version.

A fact file is YAML: a list of records, or a mapping whose one key ``records`` holds that list;
or JSON Lines (``*.jsonl``, one record per line: :mod:`policyeval.facts.jsonl_source`). Each
record is a mapping with ``kind``, ``id`` and the fields of its kind, as the
:class:`~policyeval.facts.model.Vocabulary` given declares them (the decree's:
:mod:`policyeval.decree743.vocabulary`).

Everything is checked before anything is returned: YAML syntax, kinds, fields, unique ids, and
references across all files. Every problem found is reported at once in one
:class:`~policyeval.errors.FactError`, sorted by file and line — except that a file that cannot be
parsed comes first (its syntax error), and while a file cannot be read or parsed, references to
unknown ids are not reported: they may name records of that file. A problem repeats at most
:data:`~policyeval.facts.yaml_source.ECHO_LIMIT` characters of an input.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from policyeval.engine.store import BaseFact, FactSource, FactStore
from policyeval.errors import FactError, Problem, counted, sorted_problems
from policyeval.facts import jsonl_source
from policyeval.facts.model import (
    DATED_SHAPES,
    FactRecord,
    Vocabulary,
    computed_facts,
    part_type,
)
from policyeval.facts.yaml_source import (
    FieldPath,
    dotted,
    echo,
    expand_paths,
    loader_class,
    mark,
    node_at,
    read_document,
    suggest,
)
from policyeval.language.syntax import Location

__all__ = [
    "FACT_FILE_SUFFIXES",
    "FactBase",
    "fact_files_digest",
    "load_fact_files",
    "load_fact_records",
]

FACT_FILE_SUFFIXES = (".yaml", ".yml", jsonl_source.SUFFIX)
"""Files a directory contributes; a file named explicitly is read whatever its name (as JSON
Lines if it ends in ``.jsonl``, else as YAML)."""

_SYNTAX = frozenset({"yaml_error", "json_error"})
_UNREAD = frozenset({"missing_file", "bad_file"}) | _SYNTAX
"""Codes of problems that lose a file's records: a path, a file or its YAML that cannot be read."""


@dataclass(frozen=True, slots=True)
class FactBase:
    """A checked fact base: records by kind and id, their base facts, and a content version.

    ``facts`` are the rows each record gives; the rows of computed predicates (worked out
    from several records together, :class:`~policyeval.facts.model.Computed`) are added by
    :meth:`store`, from the records this fact base holds.
    """

    records: Mapping[str, Mapping[str, FactRecord]]
    facts: Sequence[BaseFact]
    version: str
    vocabulary: Vocabulary
    digest: str = ""
    """The whole sha256 of the files' bytes (``version`` is its first 12 hex digits); empty
    for a fact base not read from files as they are."""

    def kind_of(self, record_id: str) -> str | None:
        """The kind of the record called ``record_id``, or None when there is none."""
        return next((kind for kind, by_id in self.records.items() if record_id in by_id), None)

    def store(self) -> FactStore:
        """A fact store declaring every base predicate and holding every fact, the computed
        ones included."""
        store = self.vocabulary.store()
        store.add_all(self.facts)
        store.add_all(self.computed_facts())
        return store

    def computed_facts(self) -> list[BaseFact]:
        """The rows of the computed predicates over this fact base's records, each sourced
        from the first record of its group."""
        members = [r for by_id in self.records.values() for r in by_id.values() if r.computed]
        if not members:
            return []
        wanted = {r.id for r in members}
        sources = {
            f.source.record: f.source
            for f in self.facts
            if f.source is not None and f.source.record in wanted
        }
        return computed_facts(members, lambda r: sources.get(r.id, FactSource("", 0, r.id)))


def load_fact_files(paths: Iterable[Path], vocabulary: Vocabulary) -> FactBase:
    """Read, check and load fact files; a directory gives its ``*.yaml``/``*.yml`` files, sorted.

    Raises :class:`FactError` carrying every problem when anything is wrong.
    """
    files, problems = expand_paths(paths, FACT_FILE_SUFFIXES)
    digest = hashlib.sha256()
    raws: list[_Raw] = []
    valid: list[tuple[FactRecord, _Raw]] = []
    for file in files:
        try:
            data = file.read_bytes()
        except OSError as exc:
            problems.append(
                Problem("bad_file", f"cannot read: {exc.strerror}", Location(str(file), 1))
            )
            continue
        _add_file(digest, data)
        file_raws, file_problems = _parse(str(file), data)
        problems += file_problems
        # Validated file by file: its YAML node tree is dropped before the next file is read.
        file_valid, file_problems = _validate_all(file_raws, vocabulary)
        problems += file_problems
        raws += file_raws
        valid += file_valid
    unread = any(problem.code in _UNREAD for problem in problems)
    check_problems = _cross_check(raws, valid, {}, vocabulary, unknown_references=not unread)
    syntax = [problem for problem in problems if problem.code in _SYNTAX]
    _raise_if_any(problems + check_problems, first=syntax)
    records: dict[str, dict[str, FactRecord]] = {kind: {} for kind in vocabulary.record_types}
    for record, _ in valid:
        records[record.kind][record.id] = record
    whole = digest.hexdigest()
    return FactBase(records, _facts(valid), whole[:12], vocabulary, whole)


def fact_files_digest(paths: Iterable[Path]) -> str | None:
    """The sha256 :func:`load_fact_files` would give these files (its ``digest``), without
    loading them; ``None`` when a path or file cannot be read."""
    files, problems = expand_paths(paths, FACT_FILE_SUFFIXES)
    if problems:
        return None
    digest = hashlib.sha256()
    try:
        for file in files:
            _add_file(digest, file.read_bytes())
    except OSError:
        return None
    return digest.hexdigest()


def _add_file(digest: Any, data: bytes) -> None:
    """One file's part of a fact base's digest: its length, then its bytes."""
    digest.update(len(data).to_bytes(8, "big") + data)


def load_fact_records(
    raw: list[dict[str, Any]],
    file: str = "<assume>",
    *,
    base: FactBase | None = None,
    vocabulary: Vocabulary | None = None,
) -> list[BaseFact]:
    """Check and load records given as data (a what-if overlay, e.g. from JSON).

    A record's source line is its 1-based position in ``raw``. With ``base``, references may
    name the base's records, and a record may restate a base record of the same kind (its rows
    are added to the base's). The records are of ``vocabulary``, by default the base's.
    """
    kinds = vocabulary or (base.vocabulary if base else None)
    if kinds is None:
        raise TypeError("load_fact_records needs a fact base or a vocabulary")
    if not isinstance(raw, list):
        where = Location(file, 1)
        _raise_if_any([Problem("bad_file", "records must be given as a list", where)])
    raws = [_Raw(file, position, data) for position, data in enumerate(raw, 1)]
    known = {rid: kind for kind, by_id in base.records.items() for rid in by_id} if base else {}
    valid, problems = _validate_all(raws, kinds)
    problems += _cross_check(raws, valid, known, kinds)
    _raise_if_any(problems)
    return _facts(valid) + _computed_with(valid, base)


def _computed_with(valid: list[tuple[FactRecord, _Raw]], base: FactBase | None) -> list[BaseFact]:
    """The computed rows of the groups the records ``valid`` add to, worked out together with
    the base's records of those groups; each sourced from the group's first added record."""
    added = {id(record): (record, raw) for record, raw in valid if record.computed}
    if not added:
        return []
    groups = {(c, getattr(r, c.group)) for r, _ in added.values() for c in r.computed}
    kept = [
        r
        for by_id in (base.records.values() if base else ())
        for r in by_id.values()
        if any((c, getattr(r, c.group)) in groups for c in r.computed)
    ]
    records = [record for record, _ in added.values()] + kept  # added first: they give sources

    def source(record: FactRecord) -> FactSource:
        raw = added[id(record)][1]
        return FactSource(raw.file, raw.line, record.id)

    return computed_facts(records, source)


# ---- reading ------------------------------------------------------------------------------


_Loader = loader_class("_FactLoader", implicit_off={"timestamp"})
"""Dates stay text, so pydantic checks them field by field instead of failing the whole file."""


@dataclass(frozen=True, slots=True)
class _Raw:
    """One record as read, before checking: its data and where it was written."""

    file: str
    position: int
    data: Any
    node: yaml.Node | None = None
    slim: Mapping[tuple[str | int, ...], Location] | None = None
    """Once validated without its node: the places of the record, its id and its references."""

    @property
    def line(self) -> int:
        if self.node is not None:
            return self.node.start_mark.line + 1
        return self.slim[()].line if self.slim else self.position

    def slimmed(self, record: FactRecord | None) -> _Raw:
        """This record without its node tree or data: its kind, id and the places the checks
        across records may name (the record, its id, each reference)."""
        paths: list[FieldPath] = [(), ("id",)]
        paths += [ref.path for ref in record.references()] if record is not None else []
        places = {tuple(path): self.location(path) for path in paths}
        kept = self.data if isinstance(self.data, dict) else {}
        data = {key: kept[key] for key in ("kind", "id") if key in kept}
        return _Raw(self.file, self.position, data, None, places)

    @property
    def kind(self) -> str | None:
        kind = self.data.get("kind") if isinstance(self.data, dict) else None
        return kind if isinstance(kind, str) else None

    @property
    def id(self) -> str | None:
        rid = self.data.get("id") if isinstance(self.data, dict) else None
        return rid if isinstance(rid, str) else None

    def label(self) -> str:
        """How messages name the record: ``organization `acme```."""
        kind = echo(self.kind or "record")
        return f"{kind} `{echo(self.id)}`" if self.id else f"{kind} #{self.position}"

    def location(self, path: FieldPath = ()) -> Location:
        """Where the value at ``path`` (or the nearest enclosing one) was written."""
        if self.node is not None:
            return mark(self.file, node_at(self.node, path))
        if self.slim is not None:
            return self.slim.get(tuple(path)) or self.slim[()]
        return Location(self.file, self.position)


def _parse(file: str, data: bytes) -> tuple[list[_Raw], list[Problem]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [], [Problem("bad_file", f"not UTF-8 text: {exc.reason}", Location(file, 1))]
    if file.endswith(jsonl_source.SUFFIX):
        return _json_lines(file, text)
    document, node, problems = read_document(text, file, _Loader)
    if node is None:
        return [], problems
    raws, shape_problems = _records(file, document, node)
    return raws, problems + shape_problems


def _json_lines(file: str, text: str) -> tuple[list[_Raw], list[Problem]]:
    """The records of a JSON Lines file, each located at its line."""
    raws: list[_Raw] = []
    problems: list[Problem] = []
    for item in jsonl_source.read_lines(file, text):
        if isinstance(item, Problem):
            problems.append(item)
        else:
            raws.append(_Raw(file, *item))
    return raws, problems


def _records(file: str, document: Any, node: yaml.Node) -> tuple[list[_Raw], list[Problem]]:
    if isinstance(document, dict) and set(document) == {"records"}:
        document, node = document["records"], node_at(node, ["records"])
    if document is None:
        return [], []
    if not isinstance(document, list) or not isinstance(node, yaml.SequenceNode):
        message = "a fact file is a list of records, or a mapping with the one key `records`"
        return [], [Problem("bad_file", message, Location(file, node.start_mark.line + 1))]
    items = zip(document, node.value, strict=True)
    return [_Raw(file, i, data, item) for i, (data, item) in enumerate(items, 1)], []


# ---- checking -----------------------------------------------------------------------------


def _validate_all(
    raws: list[_Raw], vocabulary: Vocabulary
) -> tuple[list[tuple[FactRecord, _Raw]], list[Problem]]:
    """Validate each record; each read from YAML is then kept without its node tree (only the
    places later checks may name), so a file's tree is freed once its records are checked."""
    problems: list[Problem] = []
    valid: list[tuple[FactRecord, _Raw]] = []
    for index, raw in enumerate(raws):
        record, record_problems = _validate(raw, vocabulary.record_types)
        problems += record_problems
        if raw.node is not None:
            raws[index] = raw = raw.slimmed(record)
        if record is not None:
            valid.append((record, raw))
    return valid, problems


def _cross_check(
    raws: list[_Raw],
    valid: list[tuple[FactRecord, _Raw]],
    known: Mapping[str, str],
    vocabulary: Vocabulary,
    *,
    unknown_references: bool = True,
) -> list[Problem]:
    """Ids and references across every record (references to ids no record has only with
    ``unknown_references``)."""
    problems: list[Problem] = []
    ids = _index_ids(raws, known, problems, vocabulary.record_types)
    for record, raw in valid:
        problems += _reference_problems(record, raw, ids, unknown=unknown_references)
    return problems


def _validate(
    raw: _Raw, record_types: Mapping[str, type[FactRecord]]
) -> tuple[FactRecord | None, list[Problem]]:
    if not isinstance(raw.data, dict):
        text = f"{raw.label()}: a record is a mapping with `kind`, `id` and fields"
        return None, [Problem("bad_record", text, raw.location())]
    kind = raw.data.get("kind")
    if kind is None:
        return None, [Problem("missing_kind", f"{raw.label()}: no `kind`", raw.location())]
    model = record_types.get(kind) if isinstance(kind, str) else None
    if model is None:
        text = f"unknown kind `{echo(kind)}`{suggest(kind, record_types)}"
        return None, [Problem("unknown_kind", text, raw.location(["kind"]))]
    try:
        return model.model_validate(raw.data), []
    except ValidationError as exc:
        return None, _field_problems(exc, raw, model)


def _field_problems(exc: ValidationError, raw: _Raw, model: type[FactRecord]) -> list[Problem]:
    """The one place pydantic's errors become problems."""
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        path = tuple(step for step in error["loc"] if step not in DATED_SHAPES)
        field = echo(dotted(path))
        if error["type"] == "missing":
            code, text = "missing_field", f"missing field `{field}`"
        elif error["type"] == "extra_forbidden":
            hint = suggest(str(path[-1]), _field_names(model, path[:-1]))
            code, text = "unknown_field", f"unknown field `{field}`{hint}"
        else:
            got = echo(error["input"])
            code, text = "invalid_field", f"field `{field}`: {_reason(error)} (got `{got}`)"
        problems.append(Problem(code, f"{raw.label()}: {text}", raw.location(path)))
    return problems


def _reason(error: Any) -> str:
    """Why pydantic refused a value, as a clause: a validator's own message without pydantic's
    ``Value error,`` before it."""
    cause = error.get("ctx", {}).get("error") if error["type"] == "value_error" else None
    reason = str(cause) if isinstance(cause, ValueError) else str(error["msg"])
    return reason[:1].lower() + reason[1:]


def _field_names(model: type[FactRecord], path: FieldPath) -> list[str]:
    """The fields allowed at ``path`` (a nested part's fields below a part field)."""
    fields = model.model_fields
    for step in path:
        info = fields.get(step) if isinstance(step, str) else None
        part = part_type(info) if info else None
        if part is None:
            return []
        fields = part.model_fields
    return list(fields)


def _index_ids(
    raws: list[_Raw],
    known: Mapping[str, str],
    problems: list[Problem],
    record_types: Mapping[str, type[FactRecord]],
) -> dict[str, str]:
    """Id → kind of every record (valid or not, so one bad record causes one problem)."""
    ids = dict(known)
    first: dict[str, _Raw] = {}
    for raw in raws:
        rid, kind = raw.id, raw.kind
        if rid is None or kind is None or kind not in record_types:
            continue
        if rid in first:
            other = first[rid]
            text = f"{raw.label()}: id `{echo(rid)}` is already used by {other.label()}"
            text += f" at {other.location()}"
            problems.append(Problem("duplicate_id", text, raw.location(["id"])))
        elif ids.get(rid, kind) != kind:
            text = f"{raw.label()}: id `{echo(rid)}` is already used by a `{ids[rid]}`"
            text += " of the fact base"
            problems.append(Problem("duplicate_id", text, raw.location(["id"])))
        else:
            first[rid] = raw
            ids[rid] = kind
    return ids


def _reference_problems(
    record: FactRecord, raw: _Raw, ids: Mapping[str, str], *, unknown: bool = True
) -> list[Problem]:
    """A record's references to ids of the wrong kind and, with ``unknown``, to none."""
    problems: list[Problem] = []
    for ref in record.references():
        kind = ids.get(ref.target)
        if kind in ref.kinds or (kind is None and not unknown):
            continue
        field = dotted(ref.path)
        expected = " or ".join(f"`{k}`" for k in ref.kinds)
        if kind is None:
            candidates = [rid for rid, k in ids.items() if k in ref.kinds]
            hint = suggest(ref.target, candidates)
            code, text = "unknown_reference", f"no {expected} called `{echo(ref.target)}`{hint}"
        else:
            text = f"`{echo(ref.target)}` is of kind `{kind}`, not {expected}"
            code = "wrong_reference"
        message = f"{raw.label()}: field `{field}`: {text}"
        problems.append(Problem(code, message, raw.location(ref.path)))
    return problems


def _raise_if_any(problems: list[Problem], *, first: Sequence[Problem] = ()) -> None:
    """Raise `FactError` with ``problems``, sorted, those of ``first`` (syntax errors) ahead."""
    if not problems:
        return
    ordered = sorted_problems(first) + sorted_problems(p for p in problems if p not in first)
    raise FactError(f"fact base rejected: {counted(len(ordered), 'problem')}", ordered)


def _facts(valid: list[tuple[FactRecord, _Raw]]) -> list[BaseFact]:
    return [
        fact
        for record, raw in valid
        for fact in record.facts(FactSource(raw.file, raw.line, record.id))
    ]
