"""The rule language's abstract syntax: what the parser produces and everything else consumes.

A rule set is plain data. Values are Python values: ``str`` for symbols and quoted strings
(they are the same type, as in Soufflé), ``int`` for integers and ``datetime.date`` for ISO dates.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

Value: TypeAlias = str | int | dt.date
"""A constant of the language."""

COMPARISON_OPERATORS = ("=", "!=", "<", "<=", ">", ">=")


@dataclass(frozen=True, slots=True)
class Location:
    """Where something was written: file, 1-based line and column."""

    file: str
    line: int
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Var:
    """A variable: its name starts with an upper-case letter or ``_``."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Const:
    """A constant term."""

    value: Value

    def __str__(self) -> str:
        return format_value(self.value)


Term: TypeAlias = Var | Const


@dataclass(frozen=True, slots=True)
class Atom:
    """``pred(t1, …, tn)``."""

    predicate: str
    terms: tuple[Term, ...]
    location: Location | None = field(default=None, compare=False)

    @property
    def arity(self) -> int:
        return len(self.terms)

    def variables(self) -> list[Var]:
        return [t for t in self.terms if isinstance(t, Var)]

    def __str__(self) -> str:
        return f"{self.predicate}({', '.join(str(t) for t in self.terms)})"


@dataclass(frozen=True, slots=True)
class Negation:
    """``not pred(…)``: holds when no fact or rule derives the atom."""

    atom: Atom

    @property
    def location(self) -> Location | None:
        return self.atom.location

    def variables(self) -> list[Var]:
        return self.atom.variables()

    def __str__(self) -> str:
        return f"not {self.atom}"


@dataclass(frozen=True, slots=True)
class Comparison:
    """``left op right`` with op one of ``= != < <= > >=``."""

    operator: str
    left: Term
    right: Term
    location: Location | None = field(default=None, compare=False)

    def variables(self) -> list[Var]:
        return [t for t in (self.left, self.right) if isinstance(t, Var)]

    def __str__(self) -> str:
        return f"{self.left} {self.operator} {self.right}"


Literal: TypeAlias = Atom | Negation | Comparison
"""A body condition."""


@dataclass(frozen=True, slots=True)
class Rule:
    """A Horn clause with the metadata lawyers need.

    ``reading`` is a sentence with ``{Var}`` placeholders; ``refusal`` (optional, same
    placeholders) says what is wrong when the rule does not apply, for refusals; without it a
    refusal reads "not established: " and the reading. ``interpretation`` is set when the rule
    takes one reading of an ambiguous text (it says which and why). ``given`` names head
    variables that every question must supply (a date, say): they count as bound in the body,
    and a call with one of them unbound is an error.
    """

    id: str
    clause: str
    reading: str
    head: Atom
    body: tuple[Literal, ...]
    interpretation: str | None = None
    location: Location | None = None
    given: tuple[str, ...] = ()
    refusal: str | None = None

    def input_positions(self) -> tuple[int, ...]:
        """Head argument positions holding a ``given`` variable."""
        return tuple(
            i for i, t in enumerate(self.head.terms) if isinstance(t, Var) and t.name in self.given
        )

    def body_atoms(self) -> Iterator[tuple[Atom, bool]]:
        """Every atom of the body with whether it is negated, in written order."""
        for literal in self.body:
            if isinstance(literal, Atom):
                yield literal, False
            elif isinstance(literal, Negation):
                yield literal.atom, True

    def positive_atoms(self) -> Iterator[Atom]:
        """The body's atoms that are not negated."""
        return (atom for atom, negated in self.body_atoms() if not negated)

    def body_predicates(self) -> set[str]:
        """Every predicate the body names, positive or negated."""
        return {atom.predicate for atom, _ in self.body_atoms()}

    def variables(self) -> list[Var]:
        seen: dict[str, Var] = {v.name: v for v in self.head.variables()}
        for literal in self.body:
            for v in literal.variables():
                seen.setdefault(v.name, v)
        return list(seen.values())

    def __str__(self) -> str:
        if not self.body:
            return f"{self.head}."
        return f"{self.head} :- {', '.join(str(b) for b in self.body)}."


@dataclass(frozen=True, slots=True)
class ClauseText:
    """A passage of the decree as quoted in a rule file: what a lawyer reads above the rules."""

    clause: str
    title: str
    text: str
    location: Location


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Every rule and quoted clause of a set of rule files."""

    rules: tuple[Rule, ...] = ()
    clauses: tuple[ClauseText, ...] = ()
    _by_head: dict[str, list[Rule]] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        by_head: dict[str, list[Rule]] = {}
        for rule in self.rules:
            by_head.setdefault(rule.head.predicate, []).append(rule)
        object.__setattr__(self, "_by_head", by_head)

    def rules_for(self, predicate: str) -> list[Rule]:
        """The rules whose head is ``predicate``, in file order."""
        return list(self._by_head.get(predicate, ()))

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def input_positions(self) -> dict[str, tuple[int, ...]]:
        """Predicate → argument positions its questions must bind (from ``@given``)."""
        found: dict[str, set[int]] = {}
        for rule in self.rules:
            if rule.given:
                found.setdefault(rule.head.predicate, set()).update(rule.input_positions())
        return {name: tuple(sorted(positions)) for name, positions in found.items()}

    def derived_predicates(self) -> dict[str, int]:
        """Name → arity of every predicate that is the head of a rule."""
        return {r.head.predicate: r.head.arity for r in self.rules}


@functools.lru_cache(maxsize=65536, typed=True)
def format_value(value: Value) -> str:
    """Render a constant as it would be written in a rule file (cached: explanations render
    the same values over and over).

    >>> format_value("acme")
    'acme'
    >>> format_value("Acme LLP")
    '"Acme LLP"'
    >>> format_value(dt.date(2026, 3, 1))
    '2026-03-01'
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, dt.date)):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if value and value[0].islower() and all(c.isalnum() or c == "_" for c in value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def fill_reading(reading: str, bindings: dict[str, Value], unbound: str = "(none found)") -> str:
    """Put bound values into a reading's ``{Var}`` placeholders; unbound ones read ``unbound``
    (a rule that did not hold may never have found a value for them).

    >>> fill_reading("{E} holds a permit {P} valid on {D}", {"E": "acme", "D": dt.date(2026, 1, 5)})
    'acme holds a permit (none found) valid on 2026-01-05'
    """
    out = reading
    for name in _placeholders(reading):
        value = bindings.get(name)
        out = out.replace("{" + name + "}", unbound if value is None else _plain(value))
    return out


def reading_placeholders(reading: str) -> list[str]:
    """The ``{Var}`` names a reading uses, in order.

    >>> reading_placeholders("{C} may transfer {S} to {E}")
    ['C', 'S', 'E']
    """
    return list(_placeholders(reading))


@functools.lru_cache(maxsize=4096)
def _placeholders(reading: str) -> tuple[str, ...]:
    """The names, found once per reading (a proof or a why-not fills dozens of readings of
    the same few rules)."""
    names: list[str] = []
    i = 0
    while (start := reading.find("{", i)) != -1:
        end = reading.find("}", start)
        if end == -1:
            break
        names.append(reading[start + 1 : end])
        i = end + 1
    return tuple(names)


def _plain(value: Value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def is_anonymous(var: Var) -> bool:
    """Whether a variable was written ``_``: the parser names each occurrence ``_1``, ``_2``, …

    >>> is_anonymous(Var("_2")), is_anonymous(Var("_Other")), is_anonymous(Var("X"))
    (True, False, False)
    """
    return var.name[:1] == "_" and var.name[1:].isdecimal()


def value_order(value: Value) -> tuple[int, int | str]:
    """The one total order on values of mixed types: integers, then text, then dates.

    Answers, proofs and why-nots sort rows by it, so what they show does not depend on the
    order an index or the engine returned rows in.

    >>> sorted([dt.date(2026, 1, 1), "b", 10, 2, "a"], key=value_order)
    [2, 10, 'a', 'b', datetime.date(2026, 1, 1)]
    """
    if isinstance(value, dt.date):
        return (2, value.isoformat())
    if isinstance(value, int):
        return (0, value)
    return (1, value)


def row_order(row: Sequence[Value]) -> tuple[tuple[int, int | str], ...]:
    """Rows ordered value by value (:func:`value_order`).

    >>> sorted([("b",), (10,), (2,), ("a",)], key=row_order)
    [(2,), (10,), ('a',), ('b',)]
    """
    return tuple(value_order(v) for v in row)


def clause_sort_key(clause: str) -> tuple[tuple[int, int | str], ...]:
    """Order clause numbers as the decree does: ``3.2`` before ``3.10`` before ``4``.

    >>> sorted(["4", "3.10", "3.2", "11"], key=clause_sort_key)
    ['3.2', '3.10', '4', '11']
    """
    return tuple(
        (0, int(part)) if part.isdecimal() else (1, part) for part in re.split(r"[.)]+", clause)
    )
