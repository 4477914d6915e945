"""The type of each argument of each predicate: declared for base predicates, inferred for
derived ones from the rules.

A question arrives as text (the command line) or JSON, where ``8`` may mean the integer or the
clause ``"8"``; reading it by the predicate's declared types, not by its look, keeps a question
from silently asking something else. A type is ``"string"`` (symbols and quoted strings),
``"integer"`` or ``"date"``, or ``None`` when it cannot be told.

The inference tracks, for each argument position, the set of types its values may have. A
base position has its declared type (any type when undeclared); a built-in's position, any type.
In a rule, a variable may have only the types allowed at every positive body position it fills
and by what it is compared with (values of different types are never equal or ordered; ``!=``
says nothing); a head constant has its own type. A derived position may have what any of its
rules puts there; the sets grow from empty to a fixpoint. A position is typed when its set has
exactly one type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, TypeAlias

from policyeval.language.syntax import Comparison, Const, Rule, Term, Value, Var

__all__ = [
    "ArgumentType",
    "PredicateTypes",
    "agreed_types",
    "infer_argument_types",
    "type_of",
]

ArgumentType: TypeAlias = Literal["string", "integer", "date"]
"""The type of a predicate's argument."""

PredicateTypes: TypeAlias = dict[str, tuple[ArgumentType | None, ...]]
"""Predicate → the type of each argument (``None``: cannot be told)."""

_Types: TypeAlias = frozenset[ArgumentType]
_ANY: _Types = frozenset(("string", "integer", "date"))
_NONE: _Types = frozenset()


def type_of(value: Value) -> ArgumentType:
    """The type of a constant.

    >>> type_of("acme"), type_of(8), type_of(dt.date(2026, 3, 2))
    ('string', 'integer', 'date')
    """
    if isinstance(value, dt.date):
        return "date"
    return "integer" if isinstance(value, int) else "string"


def infer_argument_types(
    rules: Iterable[Rule], declared: Mapping[str, Sequence[ArgumentType | None]]
) -> PredicateTypes:
    """The types of every declared and derived predicate's arguments.

    ``declared`` gives the base predicates' types; a predicate with rules and declared types
    (facts of its own) may have both.

    >>> from policyeval.language.parser import parse_rules
    >>> rules = parse_rules('@id("b") @clause("1") @reading("{T} breaks clause 8")\\n'
    ...     'breaks(T, "8") :- late(T, D), D > 2026-01-01.', "r.md")
    >>> infer_argument_types(rules, {"late": ("string", None)})["breaks"]
    ('string', 'string')
    """
    rules = tuple(rules)
    initial = {
        name: tuple(_ANY if t is None else frozenset((t,)) for t in types)
        for name, types in declared.items()
    }
    for rule in rules:
        initial.setdefault(rule.head.predicate, (_NONE,) * rule.head.arity)
    possible = _fixpoint(rules, initial)
    return {name: tuple(_single(types) for types in sets) for name, sets in possible.items()}


def agreed_types(*each: PredicateTypes) -> PredicateTypes:
    """Types as several rule sets agree on them (one per redaction): a position typed
    differently by two of them is ``None``.

    >>> agreed_types({"p": ("string", "date")}, {"p": ("string", "integer"), "q": ("date",)})
    {'p': ('string', None), 'q': ('date',)}
    """
    agreed: PredicateTypes = {}
    for types in each:
        for name, found in types.items():
            known = agreed.setdefault(name, found)
            if len(known) != len(found):
                agreed[name] = (None,) * len(known)
            else:
                agreed[name] = tuple(
                    a if a == b else None for a, b in zip(known, found, strict=True)
                )
    return agreed


def _fixpoint(
    rules: tuple[Rule, ...], initial: dict[str, tuple[_Types, ...]]
) -> dict[str, tuple[_Types, ...]]:
    """Grow each derived position's set of types by what its rules put there, until stable."""
    possible = dict(initial)
    changed = True
    while changed:
        changed = False
        for rule in rules:
            name = rule.head.predicate
            grown = tuple(
                old | new
                for old, new in zip(possible[name], _head_types(rule, possible), strict=False)
            )
            if grown != possible[name]:
                possible[name], changed = grown, True
    return possible


def _head_types(rule: Rule, possible: Mapping[str, tuple[_Types, ...]]) -> list[_Types]:
    """The types ``rule`` may put at each head position, given what the body's can hold."""
    variables = _variable_types(rule, possible)
    return [_term_types(term, variables) for term in rule.head.terms]


def _variable_types(rule: Rule, possible: Mapping[str, tuple[_Types, ...]]) -> dict[str, _Types]:
    """Each variable's possible types: those allowed at every positive body position it fills,
    narrowed by the comparisons that tie it to a constant or another variable."""
    types: dict[str, _Types] = {}
    for atom in rule.positive_atoms():
        sets = possible.get(atom.predicate, ())
        for position, term in enumerate(atom.terms):
            if isinstance(term, Var):
                allowed = sets[position] if position < len(sets) else _ANY
                types[term.name] = types.get(term.name, _ANY) & allowed
    _narrow_by_comparisons(rule, types)
    return types


def _narrow_by_comparisons(rule: Rule, types: dict[str, _Types]) -> None:
    """Both sides of ``=``, ``<``, … have one type: narrow each to what the other allows."""
    comparisons = [c for c in rule.body if isinstance(c, Comparison) and c.operator != "!="]
    changed = True
    while changed:
        changed = False
        for comparison in comparisons:
            both = _term_types(comparison.left, types) & _term_types(comparison.right, types)
            for term in (comparison.left, comparison.right):
                if isinstance(term, Var) and types.get(term.name, _ANY) != both:
                    types[term.name], changed = both, True


def _term_types(term: Term, variables: Mapping[str, _Types]) -> _Types:
    if isinstance(term, Const):
        return frozenset((type_of(term.value),))
    return variables.get(term.name, _ANY)


def _single(types: _Types) -> ArgumentType | None:
    return next(iter(types)) if len(types) == 1 else None
