"""The argument types of a vocabulary's base predicates, read from its records' fields.

A record's own predicate ``<kind>(Id)`` and every field's first argument are the record id (a
string). A field's value argument has the type its annotation holds, through ``| None``,
lists and dated values: text and enums are strings, ``int`` an integer, ``date`` a date; a
flag has no value argument. A dated predicate's last argument is the day. What the fields do
not tell (a computed predicate's values, a ``Decimal``) is ``None``.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Iterator
from types import NoneType, UnionType
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from policyeval.facts.model import FactRecord, Part, Pred, Vocabulary, metadata, part_type
from policyeval.language.argument_types import ArgumentType, PredicateTypes

__all__ = ["vocabulary_argument_types"]

_Declared = tuple[str, tuple[ArgumentType | None, ...]]


def vocabulary_argument_types(vocabulary: Vocabulary) -> PredicateTypes:
    """Every base predicate of ``vocabulary`` → its arguments' types; a predicate two kinds
    give with different types has ``None`` where they differ."""
    types: PredicateTypes = {}
    for model in vocabulary.record_types.values():
        for name, found in _record_types(model):
            known = types.setdefault(name, found)
            types[name] = tuple(a if a == b else None for a, b in zip(known, found, strict=True))
    return types


def _record_types(model: type[FactRecord]) -> Iterator[_Declared]:
    kind = model.kind_name()
    if model.entity:
        yield kind, ("string",)
    yield from _field_types(model)
    for relation in model.relations:
        values = tuple(_attribute_type(model, field) for field in relation.fields)
        yield relation.name, (*values, "date") if relation.dated else values
    for computed in model.computed:
        unknown = (None,) * (len(computed.args) - computed.dated)
        yield computed.name, (*unknown, "date") if computed.dated else unknown


def _field_types(model: type[Part]) -> Iterator[_Declared]:
    for info in model.model_fields.values():
        part = part_type(info)
        pred = metadata(info, Pred)
        if part is not None:
            yield from _field_types(part)
        elif pred is not None:
            yield pred.name, _pred_types(pred, info)


def _pred_types(pred: Pred, info: FieldInfo) -> tuple[ArgumentType | None, ...]:
    """The record id, the field's value unless it is a flag, and the day if dated."""
    leaves = set(_leaves(info.annotation))
    value: tuple[ArgumentType | None, ...] = () if leaves == {bool} else (_type(leaves),)
    day: tuple[ArgumentType, ...] = ("date",) if pred.dated else ()
    types: tuple[ArgumentType | None, ...] = ("string", *value, *day)
    return types if len(types) == len(pred.arguments) else (None,) * len(pred.arguments)


def _attribute_type(model: type[FactRecord], name: str) -> ArgumentType | None:
    """The type of a field, or of a property's value (a relation may join either)."""
    info = model.model_fields.get(name)
    if info is not None:
        return _type(set(_leaves(info.annotation)))
    prop = getattr(model, name, None)
    if isinstance(prop, property) and prop.fget is not None:
        returned = typing.get_type_hints(prop.fget).get("return")
        return _type(set(_leaves(returned)))
    return None


def _leaves(annotation: Any) -> Iterator[Any]:
    """The plain types inside an annotation: through ``Annotated``, unions and lists; the
    values of a dated field's periods are its one-value branch, so period models are skipped."""
    origin = get_origin(annotation)
    if origin in (Annotated, typing.Union, UnionType, list):
        for arg in get_args(annotation)[: 1 if origin is Annotated else None]:
            yield from _leaves(arg)
    elif annotation is not NoneType and not (
        isinstance(annotation, type) and issubclass(annotation, BaseModel)
    ):
        yield annotation


def _type(leaves: set[Any]) -> ArgumentType | None:
    """One argument type for the plain types a field may hold, if they agree."""
    found = {_plain_type(leaf) for leaf in leaves}
    return found.pop() if len(found) == 1 else None


def _plain_type(leaf: Any) -> ArgumentType | None:
    if not isinstance(leaf, type) or issubclass(leaf, bool):
        return None
    if issubclass(leaf, dt.date):
        return "date"
    if issubclass(leaf, str):
        return "string"
    return "integer" if issubclass(leaf, int) else None
