"""What a vocabulary publishes: the JSON Schema of a fact file and the tables of a README.

Both are generated from a :class:`~policyeval.facts.model.Vocabulary`; tests check that
``facts/schema.json`` and ``facts/README.md``'s tables equal what these functions produce for the
decree's, so neither can drift from the models.
"""

from __future__ import annotations

import datetime as dt
import types
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, StringConstraints, TypeAdapter
from pydantic.fields import FieldInfo

from policyeval.facts.model import FactRecord, Pred, Ref, Vocabulary, metadata, part_type

__all__ = ["fact_file_json_schema", "predicate_table_markdown", "record_tables_markdown"]


def fact_file_json_schema(vocabulary: Vocabulary) -> dict[str, Any]:
    """The JSON Schema of a fact file: a list of records, or ``{records: [...]}``."""
    record = TypeAdapter(vocabulary.record).json_schema()
    definitions = record.pop("$defs")
    records = {"type": "array", "items": {"$ref": "#/$defs/Record"}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": vocabulary.title,
        "description": "Records of the policyeval fact vocabulary; see facts/README.md.",
        "anyOf": [
            records,
            {
                "type": "object",
                "properties": {"records": records},
                "required": ["records"],
                "additionalProperties": False,
            },
        ],
        "$defs": {"Record": record, **definitions},
    }


def predicate_table_markdown(vocabulary: Vocabulary) -> str:
    """The README table of every base predicate: arguments, meaning, and what gives it."""
    lines = ["| predicate | meaning | given by |", "|---|---|---|"]
    for name, args in vocabulary.base_predicates.items():
        specs = [spec for spec in vocabulary.predicates if spec.name == name]
        given = "; ".join(f"`{s.kind}`" + (f" ({s.field})" if s.field else "") for s in specs)
        lines.append(f"| `{name}({', '.join(args)})` | {specs[0].doc} | {given} |")
    return "\n".join(lines)


def record_tables_markdown(vocabulary: Vocabulary) -> str:
    """The README section on record kinds: one table of fields per kind."""
    words = vocabulary.pattern_words
    return "\n\n".join(
        _record_table(kind, model, words) for kind, model in vocabulary.record_types.items()
    )


def _record_table(kind: str, model: type[FactRecord], words: dict[str, str]) -> str:
    doc = (model.__doc__ or "").strip()
    own = f"`{kind}({model.var})`" if model.entity else "—"
    lines = [
        f"### `{kind}`",
        "",
        doc,
        "",
        "| field | required | value | predicate |",
        "|---|---|---|---|",
        f"| `id` | yes | symbol, unique across all files | {own} |",
    ]
    names = [r.name for r in model.relations] + [c.name for c in model.computed]
    relations = ", ".join(f"`{name}`" for name in names) or "—"
    for path, info in _fields(model):
        pred = metadata(info, Pred)
        given = f"`{pred.name}`" if pred else relations
        required = "yes" if info.is_required() else ""
        value = _value_text(info, words)
        if pred is not None and pred.dated:
            value += "; or a list of `{value, valid_from, valid_to}` (changes over time)"
        lines.append(f"| `{path}` | {required} | {value} | {given} |")
    return "\n".join(lines)


def _fields(model: type[BaseModel], prefix: str = "") -> list[tuple[str, FieldInfo]]:
    """Every field below ``model`` but ``kind`` and ``id``, nested parts flattened."""
    fields: list[tuple[str, FieldInfo]] = []
    for name, info in model.model_fields.items():
        part = part_type(info)
        if part is not None:
            fields += _fields(part, f"{prefix}{name}.")
        elif name not in {"kind", "id"}:
            fields.append((prefix + name, info))
    return fields


def _value_text(info: FieldInfo, words: dict[str, str]) -> str:
    ref = metadata(info, Ref)
    annotation = _strip_optional(info.annotation)
    many = get_origin(annotation) is list
    if many:
        annotation = _strip_optional(get_args(annotation)[0])
    if ref is not None:
        text = "id of " + " or ".join(f"`{kind}`" for kind in ref.kinds)
    else:
        text = _type_text(annotation, info, words)
    if isinstance(info.default, Enum):
        text += f" (default `{info.default.value}`)"
    return f"list of {text}" if many else text


def _strip_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        return next(arg for arg in get_args(annotation) if arg is not type(None))
    return annotation


def _type_text(annotation: Any, info: FieldInfo, words: dict[str, str]) -> str:
    constraints = list(info.metadata)
    if get_origin(annotation) is Annotated:
        annotation, *more = get_args(annotation)
        constraints += more
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "one of " + ", ".join(f"`{member.value}`" for member in annotation)
    for base, word in ((bool, "flag"), (int, "integer"), (Decimal, "number"), (dt.date, "date")):
        if annotation is base:
            return word
    pattern = next((c.pattern for c in constraints if isinstance(c, StringConstraints)), None)
    return words.get(str(pattern), "text")
