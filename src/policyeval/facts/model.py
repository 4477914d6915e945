"""Generic records: pydantic models whose fields declare the base predicates they give.

A record becomes rows of base predicates:

* ``<kind>(Id)`` for every record of an entity kind, e.g. ``organization(acme)``;
* one row per present field, first argument the record id, e.g. ``org_bin(acme, "123456789012")``.
  An absent optional field gives no row, a list gives one row per item, a flag gives a
  one-argument row when true and none when false;
* a relation (ownership, affiliation) gives one row joining its fields, e.g.
  ``affiliated(Party, Subject, Day)``;
* a computed predicate (:class:`Computed`) gives rows worked out from all the records of one
  kind that share a field's value, e.g. the days on which the recorded shares of an
  organization's capital sum to 100 % (:func:`computed_facts`).

A *dated* predicate (``Pred(..., dated=True)``, ``Relation(..., dated=True)``) describes a fact
that can change: its last argument is the day it is asked of, and each row holds over a period.
A dated field takes either a plain value (in force on every day) or a list of values each with
its ``valid_from`` and ``valid_to`` days (both included, either open when left out); a dated
relation takes the period from its record's ``valid_from`` and ``valid_to``.

The mapping is declared on the fields themselves (:class:`Pred`, :class:`Ref`), so the rows,
the base predicates, the reference checks, the JSON Schema and the README tables all come from
one place. A :class:`Vocabulary` gathers a policy's record kinds (the decree's are in
:mod:`policyeval.decree743.vocabulary`).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from functools import cache
from typing import Annotated, Any, ClassVar, Generic, NamedTuple, TypeVar, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    Tag,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from policyeval.engine.glossary import BaseTerm, Glossary
from policyeval.engine.store import ALWAYS, BaseFact, FactSource, FactStore, Period
from policyeval.language.syntax import Value

__all__ = [
    "DATED_SHAPES",
    "ID_PATTERN",
    "Computed",
    "Dated",
    "FactRecord",
    "Id",
    "InForce",
    "Part",
    "Pred",
    "PredicateSpec",
    "Ref",
    "Reference",
    "Relation",
    "Text",
    "Vocabulary",
    "computed_facts",
    "metadata",
    "part_type",
]

ID_PATTERN = r"^[a-z][a-z0-9_]*$"

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
"""A record id or symbol: a Datalog symbol such as ``acme`` or ``astana``."""
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


# ---- field metadata -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pred:
    """Field metadata: the field gives rows of base predicate ``name``.

    ``args`` names every argument, space-separated; the first is the record id. A flag field
    names only that one.
    """

    name: str
    args: str
    doc: str
    dated: bool = False
    """Whether the fact can change over time: the last of ``args`` is then the day."""
    sort: bool = False
    """Whether the field says what sort of thing the record is (an organization's kind): a rule
    needing another sort does not apply to it, and no repair changes it."""
    fixed: bool = False
    """Whether no act of the parties can change the fact (a citizenship): never a repair."""

    @property
    def arguments(self) -> tuple[str, ...]:
        return tuple(self.args.split())

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["description"] = f"{self.name}({', '.join(self.arguments)}): {self.doc}"
        return schema


@dataclass(frozen=True, slots=True)
class Ref:
    """Field metadata: the field names records of one of ``kinds`` (checked across all files)."""

    kinds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Relation:
    """A row joining several fields of one record: ``name(args)`` from ``fields`` in order."""

    name: str
    args: tuple[str, ...]
    fields: tuple[str, ...]
    doc: str
    dated: bool = False
    """Whether the row holds over the record's ``valid_from``–``valid_to`` (the last of
    ``args`` is then the day)."""


@dataclass(frozen=True, slots=True)
class Computed:
    """A base predicate whose rows are worked out from several records of one kind at once.

    The records of the kind are grouped by the value of their field ``group``; ``rows`` gets
    that value and the group's records and gives the rows (a dated predicate's each ending
    with its first and last day). Adding a record to a group may only add rows: a what-if
    overlay adds the rows of its groups, worked out with the base's records, to the base's.
    ``how`` says in the README what the rows are computed from.
    """

    name: str
    args: tuple[str, ...]
    doc: str
    group: str
    how: str
    rows: Callable[[Value, Sequence[FactRecord]], Iterable[tuple[Value, ...]]]
    dated: bool = False


class Reference(NamedTuple):
    """An id a record names: where (field path), which id, and the kinds it may have."""

    path: tuple[str | int, ...]
    target: str
    kinds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PredicateSpec:
    """A base predicate as one record kind gives it: ``field`` is "" for the kind's own one."""

    name: str
    args: tuple[str, ...]
    doc: str
    kind: str
    field: str
    dated: bool = False
    sort: bool = False
    fixed: bool = False
    relation_fields: tuple[str, ...] = ()
    many: bool = False

    def term(self) -> BaseTerm:
        """How explanations and repairs name this predicate (:mod:`policyeval.engine.glossary`)."""
        field = "" if self.relation_fields else self.field
        return BaseTerm(
            self.name,
            self.kind,
            field,
            self.args,
            self.dated,
            self.sort,
            self.fixed,
            self.relation_fields,
            self.many,
        )


# ---- records ------------------------------------------------------------------------------


class Part(BaseModel):
    """Base of records and their parts: unknown fields are errors, numbers may stand for text."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


_T = TypeVar("_T")


class InForce(Part, Generic[_T]):
    """A value of a dated field with the days it is in force (both included)."""

    value: _T
    valid_from: dt.date | None = Field(
        default=None, description="The first day in force; open when left out."
    )
    valid_to: dt.date | None = Field(
        default=None, description="The last day in force; open when left out."
    )

    @model_validator(mode="after")
    def _ordered(self) -> InForce[_T]:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self

    @property
    def period(self) -> Period:
        return (self.valid_from or ALWAYS[0], self.valid_to or ALWAYS[1])


DATED_SHAPES = ("<one value>", "<periods>")
"""The two shapes of a dated field, as pydantic names them in an error's path (left out of
the messages people read)."""


def _dated_shape(value: Any) -> str:
    return DATED_SHAPES[isinstance(value, list)]


Dated = Annotated[
    Annotated[_T, Tag(DATED_SHAPES[0])] | Annotated[list[InForce[_T]], Tag(DATED_SHAPES[1])],
    Discriminator(_dated_shape),
]
"""A dated field's type: one value in force on every day, or values each with its period."""


class FactRecord(Part):
    """A record of a fact file; each subclass is one record kind."""

    kind: str
    id: Annotated[Id, Field(description="The record's id: a symbol unique across all files.")]

    var: ClassVar[str]
    """The Datalog variable that stands for records of this kind in the README."""
    title: ClassVar[str]
    """What a record of this kind is, as a phrase."""
    entity: ClassVar[bool] = True
    """Whether the kind has its own predicate ``<kind>(Id)``."""
    relations: ClassVar[tuple[Relation, ...]] = ()
    computed: ClassVar[tuple[Computed, ...]] = ()
    """Predicates computed from the records of this kind together (:func:`computed_facts`)."""

    @classmethod
    def kind_name(cls) -> str:
        """The ``kind`` this model reads."""
        return str(get_args(cls.model_fields["kind"].annotation)[0])

    def rows(self) -> list[tuple[str, tuple[Value, ...]]]:
        """Every base-predicate row this record gives."""
        rows: list[tuple[str, tuple[Value, ...]]] = [(self.kind, (self.id,))] if self.entity else []
        rows.extend(_field_rows(self, self.id))
        for relation in self.relations:
            row = tuple(_value(getattr(self, f)) for f in relation.fields)
            rows.append((relation.name, (*row, *self.period) if relation.dated else row))
        return rows

    @property
    def period(self) -> Period:
        """The days a dated relation of this record holds: its ``valid_from``–``valid_to``."""
        start = getattr(self, "valid_from", None)
        end = getattr(self, "valid_to", None)
        return (start or ALWAYS[0], end or ALWAYS[1])

    def facts(self, source: FactSource | None = None) -> list[BaseFact]:
        """Every base fact this record gives, each with ``source``."""
        return [BaseFact(predicate, args, source) for predicate, args in self.rows()]

    def references(self) -> Iterator[Reference]:
        """Every id of another record that this record names."""
        return _references(self, ())

    @model_validator(mode="after")
    def _one_value_a_day(self) -> FactRecord:
        """A dated field holds one value a day: its periods may not overlap."""
        for name in _dated_fields(type(self)):
            value = getattr(self, name)
            if isinstance(value, list) and len(value) > 1:
                _check_no_overlap(name, value)
        return self


# ---- how records become rows --------------------------------------------------------------

_M = TypeVar("_M")


def metadata(info: FieldInfo, cls: type[_M]) -> _M | None:
    """The field's metadata object of type ``cls``, if any."""
    return next((m for m in info.metadata if isinstance(m, cls)), None)


class _Field(NamedTuple):
    name: str
    pred: Pred | None
    ref: Ref | None
    part: type[Part] | None
    many: bool = False
    """A list of values (not a dated field's list of periods)."""


@cache
def _dated_fields(model: type[Part]) -> tuple[str, ...]:
    """The names of ``model``'s dated fields (a value a day, each with its period)."""
    return tuple(f.name for f in _plan(model) if f.pred is not None and f.pred.dated)


@cache
def _plan(model: type[Part]) -> tuple[_Field, ...]:
    """What each field of ``model`` gives, worked out once per model."""
    fields: list[_Field] = []
    for name, info in model.model_fields.items():
        pred = metadata(info, Pred)
        many = pred is not None and not pred.dated and _is_list(info.annotation)
        fields.append(_Field(name, pred, metadata(info, Ref), part_type(info), many))
    return tuple(fields)


def _is_list(annotation: Any) -> bool:
    """Whether a field's type is a list (possibly optional)."""
    if get_origin(annotation) is list:
        return True
    return any(get_origin(arg) is list for arg in get_args(annotation))


def part_type(info: FieldInfo) -> type[Part] | None:
    """The nested part model a field holds (``Request.executor_details``), if it holds one."""
    annotation = info.annotation
    return annotation if isinstance(annotation, type) and issubclass(annotation, Part) else None


def _field_rows(model: Part, subject: str) -> Iterator[tuple[str, tuple[Value, ...]]]:
    for field in _plan(type(model)):
        value = getattr(model, field.name)
        if field.part is not None:
            yield from _field_rows(value, subject)
        elif field.pred is not None:
            for item, period in _items(value, field.pred.dated):
                if item is True:
                    yield field.pred.name, (subject, *period)
                elif item is not None and item is not False:
                    yield field.pred.name, (subject, _value(item), *period)


def _check_no_overlap(name: str, entries: list[InForce[Any]]) -> None:
    ordered = sorted(entries, key=lambda entry: entry.period)
    for earlier, later in itertools.pairwise(ordered):
        if later.period[0] <= earlier.period[1]:
            raise ValueError(
                f"`{name}` has two values on {later.period[0].isoformat()}"
                f" ({earlier.value!r} and {later.value!r}): its periods may not overlap"
            )


def _items(value: Any, dated: bool) -> Iterator[tuple[Any, tuple[dt.date, ...]]]:
    """A field's values, each with the extra period columns a dated predicate stores."""
    if not dated:
        for item in value if isinstance(value, list) else [value]:
            yield item, ()
    elif isinstance(value, list):
        for entry in value:
            yield entry.value, entry.period
    else:
        yield value, ALWAYS


def _references(model: Part, prefix: tuple[str | int, ...]) -> Iterator[Reference]:
    for field in _plan(type(model)):
        value = getattr(model, field.name)
        path = (*prefix, field.name)
        if field.part is not None:
            yield from _references(value, path)
        elif field.ref is not None and isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, InForce):
                    yield Reference((*path, i, "value"), item.value, field.ref.kinds)
                else:
                    yield Reference((*path, i), item, field.ref.kinds)
        elif field.ref is not None and value is not None:
            yield Reference(path, value, field.ref.kinds)


_PLAIN = frozenset({str, int, dt.date})
"""The types a field value already has as a Datalog constant (the common case, one probe)."""


def _value(item: Any) -> Value:
    """A field value as a Datalog constant: enums by their symbol."""
    if type(item) in _PLAIN:
        return item  # type: ignore[no-any-return]
    if isinstance(item, Enum):
        return str(item.value)
    if isinstance(item, str | int | dt.date) and not isinstance(item, bool):
        return item
    raise TypeError(f"not a fact value: {item!r}")


def computed_facts(
    records: Iterable[FactRecord], source: Callable[[FactRecord], FactSource]
) -> list[BaseFact]:
    """The rows of every computed predicate over ``records``, group by group; each row has the
    source of its group's first record (``source``)."""
    groups: dict[tuple[Computed, Value], list[FactRecord]] = {}
    for record in records:
        for computed in record.computed:
            key = _value(getattr(record, computed.group))
            groups.setdefault((computed, key), []).append(record)
    return [
        BaseFact(computed.name, row, source(members[0]))
        for (computed, key), members in groups.items()
        for row in computed.rows(key, members)
    ]


def _specs(model: type[FactRecord]) -> Iterator[PredicateSpec]:
    kind = model.kind_name()
    if model.entity:
        title = f"{model.var} is {model.title}."
        yield PredicateSpec(kind, (model.var,), title, kind, "", sort=True)
    yield from _field_specs(model, kind, "")
    for r in model.relations:
        fields = ", ".join(r.fields)
        yield PredicateSpec(r.name, r.args, r.doc, kind, fields, r.dated, relation_fields=r.fields)
    for c in model.computed:
        yield PredicateSpec(c.name, c.args, c.doc, kind, c.how, c.dated, fixed=True)


def _field_specs(model: type[Part], kind: str, prefix: str) -> Iterator[PredicateSpec]:
    for field in _plan(model):
        if field.part is not None:
            yield from _field_specs(field.part, kind, f"{prefix}{field.name}.")
        elif field.pred is not None:
            p = field.pred
            path = prefix + field.name
            yield PredicateSpec(
                p.name, p.arguments, p.doc, kind, path, p.dated, p.sort, p.fixed, many=field.many
            )


def _base_predicates(specs: tuple[PredicateSpec, ...]) -> dict[str, tuple[str, ...]]:
    merged: dict[str, tuple[str, ...]] = {}
    for spec in specs:
        if merged.setdefault(spec.name, spec.args) != spec.args:
            raise ValueError(f"`{spec.name}` is declared with two argument lists")
    return merged


@dataclass(frozen=True)
class Vocabulary:
    """A policy's record kinds and the base predicates they give.

    ``record`` is the discriminated union of the kinds (for the JSON Schema); ``pattern_words``
    name the string patterns of its fields in the README tables.
    """

    title: str
    record: Any
    record_types: dict[str, type[FactRecord]]
    predicates: tuple[PredicateSpec, ...]
    base_predicates: dict[str, tuple[str, ...]]
    pattern_words: dict[str, str]

    @classmethod
    def of(cls, title: str, record: Any, pattern_words: dict[str, str]) -> Vocabulary:
        """The vocabulary of the record kinds of the union ``record``, in its order."""
        types = {model.kind_name(): model for model in get_args(get_args(record)[0])}
        predicates = tuple(spec for model in types.values() for spec in _specs(model))
        words = {ID_PATTERN: "symbol", **pattern_words}
        return cls(title, record, types, predicates, _base_predicates(predicates), words)

    def arities(self) -> dict[str, int]:
        """Name → arity of every base predicate, whether or not a fact base has rows for it."""
        return {name: len(arguments) for name, arguments in self.base_predicates.items()}

    def dated(self) -> frozenset[str]:
        """The base predicates whose facts can change over time (the day is the last
        argument)."""
        return frozenset(spec.name for spec in self.predicates if spec.dated)

    def glossary(self) -> Glossary:
        """Each base predicate → how the record kinds giving it name it (for explanations)."""
        terms: dict[str, tuple[BaseTerm, ...]] = {}
        for spec in self.predicates:
            term = replace(spec.term(), computed=self._computed_from(spec))
            terms[spec.name] = (*terms.get(spec.name, ()), term)
        return terms

    def _computed_from(self, spec: PredicateSpec) -> tuple[tuple[str, int], ...]:
        """The computed predicates of ``spec``'s kind grouped by a field ``spec`` gives."""
        found: list[tuple[str, int]] = []
        for computed in self.record_types[spec.kind].computed:
            if computed.name == spec.name:
                continue
            if computed.group in spec.relation_fields:
                found.append((computed.name, spec.relation_fields.index(computed.group)))
            elif spec.field == computed.group:
                found.append((computed.name, 1))
        return tuple(found)

    def store(self) -> FactStore:
        """An empty fact store declaring every base predicate of the vocabulary."""
        return FactStore(self.arities(), self.dated())
