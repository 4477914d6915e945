"""A fact record as form fields, generated from the fact files' JSON Schema, and read back.

Each record kind's fields come from ``fact_file_json_schema(VOCABULARY)`` (the same schema the
fact files are checked against): a date is a date input, a closed set a select, a yes/no a
select of yes, no or left out, a list of ids one text field (ids separated by commas), a
number a number. A dated field takes here the one value in force on every day; values over
periods, and nested parts, are written as YAML in their own box. What the form gives is a
record in the shape of a fact file, checked by the fact loader (``Snapshot.assumed``) like any
other: this module only reads the form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import yaml

from policyeval import VOCABULARY, fact_file_json_schema

Widget = Literal["text", "date", "number", "bool", "enum", "list", "yaml"]

FIELD_PREFIX = "field."
"""Form names of a record's fields: ``field.valid_until``."""


@dataclass(frozen=True)
class FieldSpec:
    """One field of a record kind, as a form shows it."""

    name: str
    title: str
    description: str
    widget: Widget
    required: bool
    options: tuple[str, ...] = ()
    pattern: str | None = None
    dated: bool = False
    """The field may also hold values over periods (written as YAML)."""
    integer: bool = False

    @property
    def input_name(self) -> str:
        return FIELD_PREFIX + self.name


@cache
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = fact_file_json_schema(VOCABULARY)
    return schema


@cache
def record_kinds() -> tuple[str, ...]:
    """Every record kind, in name order."""
    mapping = _schema()["$defs"]["Record"]["discriminator"]["mapping"]
    return tuple(sorted(mapping))


def kind_description(kind: str) -> str:
    """What a record of ``kind`` is, as the schema says."""
    return str(_definition(kind).get("description", ""))


@cache
def record_fields(kind: str) -> tuple[FieldSpec, ...]:
    """The fields of ``kind`` (every one but ``kind``), in the schema's order; none for an
    unknown kind."""
    if kind not in record_kinds():
        return ()
    definition = _definition(kind)
    required = set(definition.get("required", ()))
    return tuple(
        _field(name, prop, name in required)
        for name, prop in definition["properties"].items()
        if name != "kind"
    )


def _definition(kind: str) -> dict[str, Any]:
    schema = _schema()
    reference = schema["$defs"]["Record"]["discriminator"]["mapping"][kind]
    found: dict[str, Any] = _resolve({"$ref": reference})
    return found


def _resolve(prop: Mapping[str, Any]) -> dict[str, Any]:
    """A schema with its ``$ref`` followed (``#/$defs/Name``)."""
    reference = prop.get("$ref")
    if isinstance(reference, str):
        resolved: dict[str, Any] = _schema()["$defs"][reference.rsplit("/", 1)[-1]]
        return resolved
    return dict(prop)


def _field(name: str, prop: Mapping[str, Any], required: bool) -> FieldSpec:
    """A property of the schema as a form field."""
    inner, dated = _unwrap(prop)
    widget, options, integer = _widget(inner)
    return FieldSpec(
        name=name,
        title=str(prop.get("title", name)),
        description=str(prop.get("description", "")),
        widget=widget,
        required=required,
        options=options,
        pattern=inner.get("pattern") if widget == "text" else None,
        dated=dated,
        integer=integer,
    )


def _unwrap(prop: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """The value's own schema: ``null`` alternatives dropped, a dated field's one value (not
    its periods) kept; and whether it was a dated field."""
    current = _resolve(prop)
    dated = False
    for _ in range(4):  # optional, then dated: a few levels at most
        options = current.get("anyOf") or current.get("oneOf")
        if not options:
            break
        kept = [o for o in options if o.get("type") != "null"]
        periods = [o for o in kept if o.get("type") == "array" and "InForce" in str(o)]
        dated = dated or bool(periods)
        scalars = [o for o in kept if o not in periods]
        if len(scalars) == 1:
            current = _resolve(scalars[0])
        elif any(o.get("type") == "number" for o in scalars):
            current = {"type": "number"}
        else:
            break
    return current, dated


def _widget(schema: Mapping[str, Any]) -> tuple[Widget, tuple[str, ...], bool]:
    """The input a value's schema is typed in, its options (a closed set), whether whole."""
    kind = schema.get("type")
    if "enum" in schema:
        return "enum", tuple(str(v) for v in schema["enum"]), False
    if kind == "string":
        return ("date" if schema.get("format") == "date" else "text"), (), False
    if kind == "boolean":
        return "bool", (), False
    if kind in ("integer", "number"):
        return "number", (), kind == "integer"
    items = _resolve(schema.get("items", {})) if kind == "array" else {}
    if kind == "array" and items.get("type") == "string":
        return "list", tuple(str(v) for v in items.get("enum", ())), False
    return "yaml", (), False


def record_from_form(
    kind: str, form: Mapping[str, str]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The record the fields of ``kind`` in ``form`` give (a field left blank left out), and
    each field that cannot be read as (field, why). The record is not checked here: the fact
    loader does that, naming the field."""
    record: dict[str, Any] = {"kind": kind}
    problems: list[tuple[str, str]] = []
    for spec in record_fields(kind):
        text = form.get(spec.input_name, "").strip()
        if not text:
            continue
        try:
            record[spec.name] = _value(spec, text)
        except ValueError as exc:
            problems.append((spec.name, str(exc)))
    return record, problems


def form_from_record(record: Mapping[str, Any]) -> dict[str, str]:
    """A record's fields as the form shows them (to edit it again)."""
    kind = str(record.get("kind", ""))
    shown: dict[str, str] = {}
    for spec in record_fields(kind):
        if spec.name in record and record[spec.name] is not None:
            shown[spec.input_name] = _shown(spec, record[spec.name])
    return shown


def _value(spec: FieldSpec, text: str) -> Any:
    """The value typed into a field, as a fact file would hold it."""
    if spec.widget == "bool":
        return {"true": True, "false": False}[text] if text in ("true", "false") else text
    if spec.widget == "number":
        return int(text) if spec.integer and re.fullmatch(r"-?\d+", text) else text
    if spec.widget == "list":
        return [part for part in re.split(r"[,\s]+", text) if part]
    if spec.widget == "yaml" or (spec.dated and text.lstrip().startswith(("-", "["))):
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"not YAML: {_first_line(exc)}") from None
    return text


def _shown(spec: FieldSpec, value: Any) -> str:
    if spec.widget == "bool" and isinstance(value, bool):
        return "true" if value else "false"
    if spec.widget == "list" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, list | dict):
        return yaml.safe_dump(value, allow_unicode=True, sort_keys=False).strip()
    return str(value)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
