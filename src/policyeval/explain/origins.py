"""Where a value in a rule's body came from: the stored fact (record and field) it was read from.

A false comparison names each side by what it is ("2026-02-28, the `valid_until` of the
`permit` pm_1") and lets a repair move that stored value. A variable read by a base atom of the
rule comes from that fact; one the rule's head received comes from wherever the calling rule
read it, so the origins of a call's arguments are passed down (:data:`Origins`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from weakref import WeakKeyDictionary

from policyeval.engine.bindings import Env, pattern_of, value_of
from policyeval.engine.glossary import Glossary
from policyeval.engine.pydatalog import CompiledProgram
from policyeval.engine.store import FactStore
from policyeval.explain.model import ValueOrigin, fact_ref
from policyeval.explain.steps import render_atom
from policyeval.explain.wording import field_source, plain, term_of
from policyeval.language.syntax import Atom, Literal, Rule, Term, Var


class Origins:
    """The stored fact each argument of a call was read from, position by position, each
    found when first asked for: most calls' origins are never read (only a false comparison
    beneath the call reads them)."""

    __slots__ = ("_find", "_found")

    def __init__(self, find: Callable[[int], ValueOrigin | None] | None = None) -> None:
        self._find = find
        self._found: dict[int, ValueOrigin | None] = {}

    def at(self, position: int) -> ValueOrigin | None:
        """The origin of argument ``position`` (``None`` when it was not read from a fact)."""
        if self._find is None:
            return None
        if position not in self._found:
            self._found[position] = self._find(position)
        return self._found[position]


NO_ORIGINS = Origins()
"""A question's own arguments: read from no fact."""


_BINDERS: WeakKeyDictionary[CompiledProgram, dict[tuple[str, str], tuple[Atom, int] | None]] = (
    WeakKeyDictionary()
)
"""Per program, by rule id and variable name: the first atom that can bind the variable."""


class ValueSources:
    """Finds the stored facts values came from, in one program and store."""

    def __init__(self, program: CompiledProgram, store: FactStore, glossary: Glossary) -> None:
        self.program = program
        self.store = store
        self.glossary = glossary
        self._binders = _BINDERS.setdefault(program, {})

    def of_call(self, rule: Rule, atom: Atom, env: Env, head: Origins) -> Origins:
        """The origins of the arguments ``atom`` is called with under ``env``."""
        terms = atom.terms

        def find(position: int) -> ValueOrigin | None:
            return self.stored(rule, terms[position], env, head) if position < len(terms) else None

        return Origins(find)

    def stored(self, rule: Rule, term: Term, env: Env, head: Origins) -> ValueOrigin | None:
        """The base fact ``term``'s value was read from, if it was read from one."""
        if not isinstance(term, Var):
            return None
        position = _head_position(rule, term.name)
        if position is not None:
            return head.at(position)
        binder = self._binder(rule, term.name)
        if binder is None or binder[0].predicate not in self.program.base_predicates:
            return None
        atom, at = binder
        match = self.store.first(atom.predicate, pattern_of(atom.terms, env))
        if match is None:
            return None
        row, source = match
        return ValueOrigin(
            predicate=atom.predicate, args=list(row), position=at, source=fact_ref(source)
        )

    def _binder(self, rule: Rule, name: str) -> tuple[Atom, int] | None:
        """The first atom of ``rule``'s body (in evaluation order) that can give variable
        ``name`` a value, with its position there (kept per program)."""
        key = (rule.id, name)
        if key not in self._binders:
            body = self.program.explain_order[rule.id]
            self._binders[key] = next(_binders(body, name), None)
        return self._binders[key]

    def describe(self, rule: Rule, term: Term, env: Env, head: Origins) -> str:
        """A value and what it is: the field of the record it was read from, the condition that
        gave it, or the rule's own argument."""
        value = value_of(term, env)
        if not isinstance(term, Var):
            return plain(value)
        origin = self.stored(rule, term, env, head)
        glossed = term_of(self.glossary, origin.predicate) if origin else None
        if origin is not None and glossed is not None:
            return f"{plain(value)} ({field_source(glossed, origin.args, origin.position)})"
        binder = self._binder(rule, term.name)
        if binder is not None and _head_position(rule, term.name) is None:
            return f"{plain(value)} ({term.name} in {render_atom(binder[0], env)})"
        return f"{plain(value)} ({term.name})"


def _head_position(rule: Rule, name: str) -> int | None:
    return next(
        (i for i, t in enumerate(rule.head.terms) if isinstance(t, Var) and t.name == name), None
    )


def _binders(body: Iterable[Literal], name: str) -> Iterator[tuple[Atom, int]]:
    """The atoms of ``body`` (in order) that can give variable ``name`` a value, with its
    position in each."""
    for literal in body:
        if isinstance(literal, Atom):
            for position, term in enumerate(literal.terms):
                if isinstance(term, Var) and term.name == name:
                    yield literal, position
