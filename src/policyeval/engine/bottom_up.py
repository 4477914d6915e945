"""Bottom-up, set-at-a-time evaluation of one level of question-independent predicates.

:mod:`policyeval.engine.materialize` computes tables level by level. Asking pyDatalog for every
row of a predicate evaluates it top down, one tuple at a time; here a level is computed as a
relational program instead: each rule body is a pipeline of hash joins over a whole list of
bindings at once, and a recursive group is iterated semi-naively (each round joins only the rows
the last round added, through one of its recursive conditions, with everything known so far).

What a body reads:

* **stored relations** (base facts, lower levels' tables): hash indexes built once per way an
  atom reads them (its constants, repeated variables, bound and kept columns) and shared by
  every level (:class:`StoredRelations`);
* **the level's own relations**: indexes kept up to date as rows arrive;
* **calls**, once their inputs are bound: built-ins, dated predicates (asked with their day)
  and derived predicates that are not tables (answered by the compiled program), each distinct
  pattern once.

Comparisons, negations and calls run as soon as what they need is bound; atoms are joined
greedily, the one that multiplies the bindings least first (an estimate the caller supplies).
Values compare as the engine's do: only within one type (``1`` is not ``"1"``), which Python's
own equality gives for the language's values (``str``, ``int``, ``datetime.date``); a stored or
computed value of any other type (``True``, a ``datetime``) stops the evaluation with
:class:`Unsupported`, as does, before any row is computed, a rule this evaluator cannot order:
the caller then falls back to the compiled program, never to a different answer.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from operator import eq, ge, gt, itemgetter, le, lt, ne
from typing import Protocol

from policyeval.engine.builtins import Builtin, Pattern, Row
from policyeval.engine.planning import comparison_ready
from policyeval.engine.store import FactStore
from policyeval.language.syntax import (
    Atom,
    Comparison,
    Const,
    Literal,
    Negation,
    Rule,
    RuleSet,
    Term,
    Value,
    Var,
    is_anonymous,
    row_order,
)

__all__ = [
    "BottomUp",
    "Estimator",
    "Program",
    "StoredRelations",
    "Unsupported",
    "recursive_groups",
]

Binding = tuple[Value, ...]
"""The values of a rule's variables so far, in the order of a plan's layout."""

Estimator = Callable[[Atom, frozenset[str]], "float | None"]
"""Rows an atom yields per binding once the named variables are bound; ``None`` for a function
of its inputs (a built-in, a predicate with question inputs): one value per call assumed."""

PLAIN_TYPES = frozenset({str, int, dt.date})
"""The value types the language has; among them, Python's ``==`` is the engine's typed
equality (no two of them compare equal across types)."""

_TESTS: dict[str, Callable[[Value, Value], bool]] = {
    "=": eq,
    "!=": ne,
    "<": lt,
    "<=": le,
    ">": gt,
    ">=": ge,
}


class Unsupported(Exception):
    """What this evaluator does not compute; the caller asks the compiled program instead."""


class Program(Protocol):
    """What the evaluator needs of a compiled program (:class:`~policyeval.engine.pydatalog.
    CompiledProgram` is one): the rules, what each predicate is, and answers to the calls it
    cannot compute itself."""

    @property
    def rules(self) -> RuleSet: ...

    @property
    def derived(self) -> Mapping[str, int]: ...

    @property
    def builtins(self) -> Mapping[str, Builtin]: ...

    @property
    def inputs(self) -> Mapping[str, tuple[int, ...]]: ...

    @property
    def never_holds(self) -> frozenset[str]: ...

    def stored_predicates(self) -> frozenset[str]: ...

    def recursive_group(self, predicate: str) -> frozenset[str]: ...

    def ask(self, predicate: str, pattern: Pattern, store: FactStore) -> list[Row]: ...


def recursive_groups(names: Collection[str], program: Program) -> list[frozenset[str]]:
    """``names`` (one level) split into what must be computed together: each recursive group's
    members among ``names``, every other name alone; in name order."""
    groups: dict[frozenset[str], None] = {}
    for name in sorted(names):
        group = program.recursive_group(name) & frozenset(names)
        groups.setdefault(group or frozenset({name}))
    return list(groups)


# ---- how an atom reads a relation ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Access:
    """How one atom reads a relation under the variables bound before it: the columns that must
    hold a constant, the columns that must equal an earlier column (a new variable written
    twice), the columns looked up by bound values and the columns kept as new values."""

    constants: tuple[tuple[int, Value], ...]
    repeats: tuple[tuple[int, int], ...]
    probes: tuple[int, ...]
    outputs: tuple[int, ...]

    def key(self) -> Hashable:
        """What identifies the index this access reads (constants with their types)."""
        typed = tuple((column, type(value), value) for column, value in self.constants)
        return (typed, self.repeats, self.probes, self.outputs)

    def keeps(self) -> Callable[[Row], bool] | None:
        """A row test for the constants and repeated variables (``None``: every row passes)."""
        columns = _tuple_getter([column for column, _ in self.constants])
        wanted = tuple(value for _, value in self.constants)
        repeats = self.repeats
        if not repeats:
            return (lambda row: columns(row) == wanted) if wanted else None
        return lambda row: columns(row) == wanted and all(row[a] == row[b] for a, b in repeats)


Index = defaultdict[Hashable, set[Binding]] | set[Hashable]
"""Bound values → the new values of the rows holding them; only the keys when nothing is kept."""


def _build_index(rows: Iterable[Row], access: _Access) -> Index:
    if not access.outputs:
        index: Index = set()
    else:
        index = defaultdict(set)  # only ever read with .get: no entry is made by a probe
    _extend_index(index, rows, access)
    return index


def _extend_index(index: Index, rows: Iterable[Row], access: _Access) -> None:
    """Add the rows that pass ``access.keeps`` to ``index``."""
    keeps = access.keeps()
    selected = list(rows if keeps is None else filter(keeps, rows))
    keys = map(_key_getter(access.probes), selected)
    if isinstance(index, set):
        index.update(keys)
        return
    assert isinstance(index, defaultdict)
    for key, extra in zip(keys, _extras(access.outputs, selected), strict=True):
        index[key].add(extra)


def _extras(outputs: Sequence[int], rows: list[Row]) -> Iterable[Binding]:
    """The values of ``rows`` at ``outputs``, one tuple per row (made in C: no call per row)."""
    if len(outputs) == 1:
        return zip(map(itemgetter(outputs[0]), rows))
    return map(itemgetter(*outputs), rows)


def _key_getter(positions: Sequence[int]) -> Callable[[tuple[Value, ...]], Hashable]:
    """The values at ``positions`` as a dictionary key: one value alone, several as a tuple.
    The same shape for a row's columns and a binding's slots, so the two meet in an index."""
    if not positions:
        return lambda _: ()
    return itemgetter(*positions)


def _tuple_getter(positions: Sequence[int]) -> Callable[[tuple[Value, ...]], tuple[Value, ...]]:
    """The values at ``positions`` as a tuple."""
    if not positions:
        return lambda _: ()
    if len(positions) == 1:
        (only,) = positions
        return lambda row: (row[only],)
    return itemgetter(*positions)


def _check_plain(values: Iterable[Value]) -> None:
    if not set(map(type, values)) <= PLAIN_TYPES:
        raise Unsupported("a value that is not text, an integer or a date")


@dataclass
class StoredRelations:
    """The rows and indexes of stored relations, built once when first read and shared by the
    levels of one materialization (a stored relation never changes once a level reads it)."""

    store: FactStore
    _rows: dict[str, list[Row]] = field(default_factory=dict)
    _indexes: dict[tuple[str, Hashable], Index] = field(default_factory=dict)

    def index(self, predicate: str, access: _Access) -> Index:
        key = (predicate, access.key())
        index = self._indexes.get(key)
        if index is None:
            index = self._indexes[key] = _build_index(self.rows(predicate), access)
        return index

    def rows(self, predicate: str) -> list[Row]:
        rows = self._rows.get(predicate)
        if rows is None:
            rows = self.store.rows(predicate, ())
            _check_plain(itertools.chain.from_iterable(rows))
            self._rows[predicate] = rows
        return rows


@dataclass
class _LevelRelation:
    """A relation being computed: its rows so far and the indexes built on them, kept up to
    date as rows arrive."""

    rows: set[Row] = field(default_factory=set)
    indexes: dict[_Access, Index] = field(default_factory=dict)

    def index(self, access: _Access) -> Index:
        index = self.indexes.get(access)
        if index is None:
            index = self.indexes[access] = _build_index(self.rows, access)
        return index

    def add(self, rows: set[Row]) -> None:
        self.rows |= rows
        for access, index in self.indexes.items():
            _extend_index(index, rows, access)


# ---- plans -----------------------------------------------------------------------------------


class _Step(Protocol):
    def run(self, bindings: list[Binding], run: _Round) -> list[Binding]: ...


@dataclass(frozen=True, slots=True)
class _Read:
    """Join with a relation: stored, or of the level being computed — the rows known before
    this round (``old``), those the last round added (``delta``), or both (``total``)."""

    predicate: str
    role: str  # "stored" | "old" | "delta" | "total"
    access: _Access
    slots: tuple[int, ...]
    """The binding slots whose values are looked up (one per probed column)."""
    width: int
    """The length of a binding before the read adds its new values."""

    def run(self, bindings: list[Binding], run: _Round) -> list[Binding]:
        key = _key_getter(self.slots)
        out: list[Binding] = []
        indexes = run.indexes(self.predicate, self.role, self.access)
        if isinstance(indexes[0], set):
            return [b for b in bindings if any(key(b) in index for index in indexes)]
        for index in indexes:
            get = index.get  # type: ignore[union-attr]
            out += [b + extra for b in bindings for extra in get(key(b), ())]
        return out

    def heads(self, bindings: list[Binding], run: _Round, head: _Head) -> set[Row]:
        """The head rows of the bindings this join gives (no list of them in between; when
        one head column is the join's new value, each binding's rows are made in C)."""
        key = _key_getter(self.slots)
        indexes = run.indexes(self.predicate, self.role, self.access)
        if isinstance(indexes[0], set):
            return {head.row(b) for b in bindings if any(key(b) in index for index in indexes)}
        out: set[Row] = set()
        spread = head.spread(self.width)
        for index in indexes:
            get = index.get  # type: ignore[union-attr]
            if spread is None:
                row = head.row
                out.update({row(b + extra) for b in bindings for extra in get(key(b), ())})
                continue
            column, assemble = spread
            pick = itemgetter(column)
            for b in bindings:
                found = get(key(b))
                if found:
                    out.update(assemble(b, map(pick, found)))
        return out


@dataclass(frozen=True, slots=True)
class _Absent:
    """``not p(…)`` over a stored relation: the bindings whose values no row has."""

    predicate: str
    access: _Access
    slots: tuple[int, ...]

    def run(self, bindings: list[Binding], run: _Round) -> list[Binding]:
        (index,) = run.indexes(self.predicate, "stored", self.access)
        key = _key_getter(self.slots)
        return [b for b in bindings if key(b) not in index]


@dataclass(frozen=True, slots=True)
class _Call:
    """A call once its inputs are bound (a built-in, a dated predicate, a derived predicate that
    is not a table), each distinct pattern asked once; joined, or for ``negated`` the bindings
    it has no row for."""

    predicate: str
    pattern: Callable[[Binding], Pattern]
    bound: tuple[int, ...]
    """The columns the pattern binds (a row from the call must hold their values, typed)."""
    repeats: tuple[tuple[int, int], ...]
    outputs: tuple[int, ...]
    negated: bool = False

    def run(self, bindings: list[Binding], run: _Round) -> list[Binding]:
        out: list[Binding] = []
        for binding in bindings:
            extras = run.call(self, self.pattern(binding))
            if self.negated:
                if not extras:
                    out.append(binding)
            else:
                out.extend(binding + extra for extra in extras)
        return out

    def extras(self, pattern: Pattern, rows: Iterable[Row]) -> tuple[Binding, ...]:
        """The new values of the rows that really match ``pattern``."""
        bound = [(column, pattern[column]) for column in self.bound]
        out = _tuple_getter(self.outputs)
        kept: dict[Binding, None] = {}
        for row in rows:
            if all(type(row[c]) is type(v) and row[c] == v for c, v in bound) and all(
                type(row[a]) is type(row[b]) and row[a] == row[b] for a, b in self.repeats
            ):
                kept[out(row)] = None
        _check_plain(itertools.chain.from_iterable(kept))
        return tuple(kept)


@dataclass(frozen=True, slots=True)
class _Test:
    """A comparison of bound values (typed: values of two types never compare)."""

    left: Callable[[Binding], Value]
    right: Callable[[Binding], Value]
    test: Callable[[Value, Value], bool]

    def run(self, bindings: list[Binding], run: _Round) -> list[Binding]:
        left, right, test = self.left, self.right, self.test
        return [b for b in bindings if _holds(test, left(b), right(b))]


def _holds(test: Callable[[Value, Value], bool], left: Value, right: Value) -> bool:
    return type(left) is type(right) and test(left, right)


@dataclass(frozen=True, slots=True)
class _Assign:
    """``X = t`` with ``X`` unbound: ``X`` takes the value of ``t``."""

    value: Callable[[Binding], Value]

    def run(self, bindings: list[Binding], run: _Round) -> list[Binding]:
        value = self.value
        return [(*b, value(b)) for b in bindings]


@dataclass(frozen=True, slots=True)
class _Project:
    """Drop the variables nothing later needs (rows that then coincide are kept once)."""

    slots: tuple[int, ...]

    def run(self, bindings: list[Binding], run: _Round) -> list[Binding]:
        return list(set(map(_tuple_getter(self.slots), bindings)))


@dataclass(frozen=True, slots=True)
class _Plan:
    """A rule body as steps over bindings, and how a head row is made of the last binding."""

    steps: tuple[_Step, ...]
    head: _Head
    never: bool = False
    """A condition can never hold: the rule derives nothing."""

    def rows(self, run: _Round) -> set[Row]:
        if self.never:
            return set()
        bindings: list[Binding] = [()]
        *steps, last = self.steps or (_Project(()),)
        for step in steps:
            bindings = step.run(bindings, run)
            if not bindings:
                return set()
        if isinstance(last, _Read):  # joined straight into head rows: no list in between
            return last.heads(bindings, run, self.head)
        return set(map(self.head.row, last.run(bindings, run)))


@dataclass(frozen=True)
class _Head:
    """How a head row is made of a binding: each column a binding slot or a constant."""

    parts: tuple[int | Const, ...]

    @cached_property
    def row(self) -> Callable[[Binding], Row]:
        parts = self.parts
        slots = [part for part in parts if isinstance(part, int)]
        if len(slots) == len(parts):
            return _tuple_getter(slots)
        if not slots:
            row = tuple(part.value for part in parts if isinstance(part, Const))
            return lambda _: row
        return lambda b: tuple(p.value if isinstance(p, Const) else b[p] for p in parts)

    def spread(
        self, width: int
    ) -> tuple[int, Callable[[Binding, Iterable[Value]], Iterable[Row]]] | None:
        """When exactly one head column is a value a join adds to bindings of ``width``: which
        of the join's new values it is, and the head rows of a binding and those values."""
        fresh = [i for i, p in enumerate(self.parts) if isinstance(p, int) and p >= width]
        if len(fresh) != 1:
            return None
        (column,) = fresh
        parts = self.parts
        fixed: list[Sequence[Value] | int] = [
            (p.value,) if isinstance(p, Const) else p for p in parts
        ]

        def assemble(binding: Binding, values: Iterable[Value]) -> Iterable[Row]:
            columns = [
                values if i == column else (binding[p],) if isinstance(p, int) else p
                for i, p in enumerate(fixed)
            ]
            return itertools.product(*columns)

        extra = parts[column]
        assert isinstance(extra, int)
        return extra - width, assemble


_NEVER = _Plan((), _Head(()), never=True)
"""The plan of a rule with a condition that can never hold."""


# ---- the evaluator ---------------------------------------------------------------------------


class BottomUp:
    """Computes groups of one level's predicates over ``store`` (the base facts and the tables
    of the levels below), reading what is not a table through ``program``."""

    def __init__(
        self,
        program: Program,
        store: FactStore,
        estimate: Estimator,
        relations: StoredRelations | None = None,
    ) -> None:
        self.program = program
        self.store = store
        self.estimate = estimate
        self.relations = relations or StoredRelations(store)
        self._stored = program.stored_predicates()
        self._calls: dict[tuple[str, Pattern], tuple[Binding, ...]] = {}

    def unsupported(self, group: Collection[str]) -> str | None:
        """Why ``group`` (one recursive group, or one predicate) cannot be computed here;
        ``None`` when it can. Decided from the rules alone, before anything is computed."""
        members = frozenset(group)
        for rule in self._rules(members):
            try:
                _Planner(self, rule, members, {}).plan()
            except Unsupported as why:
                return f"{rule.id}: {why}"
        return None

    def derive(self, group: Collection[str]) -> dict[str, list[Row]]:
        """The rows of every predicate of ``group`` (:meth:`unsupported` must have said none),
        each relation sorted (:func:`_in_order`)."""
        members = frozenset(group)
        nothing: dict[str, set[Row]] = {name: set() for name in members}
        run = _Round(self, {name: _LevelRelation() for name in members}, nothing)
        rules = self._rules(members)
        recursive = [rule for rule in rules if _level_positions(rule, members)]
        new = run.fire([(rule, None) for rule in rules if rule not in recursive])
        while any(new.values()):
            run.advance(new)
            new = run.fire(
                [
                    (rule, position)
                    for rule in recursive
                    for position in _level_positions(rule, members)
                    if run.delta[_atom_at(rule, position).predicate]
                ]
            )
        run.advance(nothing)
        return {name: _in_order(relation.rows) for name, relation in run.level.items()}

    def _rules(self, members: frozenset[str]) -> list[Rule]:
        return [rule for name in sorted(members) for rule in self.program.rules.rules_for(name)]

    def call(self, step: _Call, pattern: Pattern) -> tuple[Binding, ...]:
        key = (step.predicate, pattern)
        found = self._calls.get(key)
        if found is None:
            found = self._calls[key] = step.extras(pattern, self._answer(step.predicate, pattern))
        return found

    def _answer(self, predicate: str, pattern: Pattern) -> Iterable[Row]:
        builtin = self.program.builtins.get(predicate)
        if builtin is not None:
            return builtin.solve(pattern)
        if predicate in self._stored:  # a dated table or dated facts, asked with the day
            return self.store.rows(predicate, pattern)
        return self.program.ask(predicate, pattern, self.store)

    def source(self, predicate: str, members: frozenset[str]) -> str:
        """How an atom of ``predicate`` is read: ``level``, ``stored``, ``call`` or ``never``."""
        if predicate in members:
            return "level"
        if predicate in self.program.never_holds:
            return "never"
        if predicate in self.program.builtins or self.store.is_dated(predicate):
            return "call"
        if predicate in self._stored or predicate not in self.program.derived:
            return "stored"
        return "call"


def _in_order(rows: set[Row]) -> list[Row]:
    """``rows`` in an order that does not depend on hashing: as Python orders them when every
    column holds one type (fast), else in the one order of values."""
    try:
        return sorted(rows)
    except TypeError:
        return sorted(rows, key=row_order)


def _level_positions(rule: Rule, members: frozenset[str]) -> list[int]:
    """Body positions of ``rule`` holding a positive atom of the level being computed."""
    return [
        i for i, lit in enumerate(rule.body) if isinstance(lit, Atom) and lit.predicate in members
    ]


def _atom_at(rule: Rule, position: int) -> Atom:
    atom = rule.body[position]
    assert isinstance(atom, Atom)
    return atom


@dataclass
class _Round:
    """The state of one group's evaluation: the level's relations as they were before this
    round, the rows the last round added (``delta``) and their indexes for this round."""

    evaluator: BottomUp
    level: dict[str, _LevelRelation]
    delta: dict[str, set[Row]]
    _delta_indexes: dict[tuple[str, _Access], Index] = field(default_factory=dict)

    def fire(self, variants: list[tuple[Rule, int | None]]) -> dict[str, set[Row]]:
        """What the rules derive that is not known yet, each rule read with the condition at its
        position (if any) taken from the last round's new rows, the level's conditions written
        before it from the rows known before, those after from all (each derivation once)."""
        members = frozenset(self.level)
        sizes = {name: len(self.level[name].rows) + len(self.delta[name]) for name in members}
        new: dict[str, set[Row]] = {name: set() for name in self.level}
        for rule, position in variants:
            plan = _Planner(self.evaluator, rule, members, sizes, position).plan()
            new[rule.head.predicate] |= plan.rows(self)
        for name, rows in new.items():
            rows -= self.level[name].rows
            rows -= self.delta[name]
        return new

    def advance(self, new: dict[str, set[Row]]) -> None:
        """Start the next round: the last round's rows join the known ones, ``new`` is next."""
        for name, rows in self.delta.items():
            self.level[name].add(rows)
        self.delta = new
        self._delta_indexes = {}

    def indexes(self, predicate: str, role: str, access: _Access) -> tuple[Index, ...]:
        """The indexes a read of ``role`` probes (two for ``total``: known before, and new)."""
        if role == "stored":
            return (self.evaluator.relations.index(predicate, access),)
        if role == "old":
            return (self.level[predicate].index(access),)
        key = (predicate, access)
        delta = self._delta_indexes.get(key)
        if delta is None:
            delta = self._delta_indexes[key] = _build_index(self.delta[predicate], access)
        if role == "delta":
            return (delta,)
        return (self.level[predicate].index(access), delta)

    def call(self, step: _Call, pattern: Pattern) -> tuple[Binding, ...]:
        return self.evaluator.call(step, pattern)


# ---- planning --------------------------------------------------------------------------------


@dataclass
class _Planner:
    """Orders one rule's body into steps: the condition read from the last round first, then
    each test as soon as its values are bound, each atom once its inputs are (of those ready,
    the one estimated to multiply the bindings least)."""

    evaluator: BottomUp
    rule: Rule
    members: frozenset[str]
    sizes: Mapping[str, int]
    delta: int | None = None
    """The body position of the condition read from the last round's new rows, if any."""
    layout: list[str] = field(default_factory=list)
    steps: list[_Step] = field(default_factory=list)
    order: list[Literal] = field(default_factory=list)
    """The conditions in the order the steps take them."""

    def plan(self) -> _Plan:
        waiting = list(enumerate(self.rule.body))
        for _, literal in waiting:
            self._check(literal)
        if any(self._never(lit) for _, lit in waiting):
            return _NEVER
        waiting = [(i, lit) for i, lit in waiting if not self._always(lit)]
        if self.delta is not None:
            chosen = next(item for item in waiting if item[0] == self.delta)
            waiting.remove(chosen)
            self._add(chosen, waiting)
        while waiting:
            chosen = self._next(waiting)
            waiting.remove(chosen)
            self._add(chosen, waiting)
        return _Plan(tuple(self.steps), self._head())

    def _check(self, literal: Literal) -> None:
        """Refuse what this evaluator does not compute, whatever the order."""
        terms = _terms(literal)
        for term in terms:
            if isinstance(term, Const) and type(term.value) not in PLAIN_TYPES:
                raise Unsupported(f"constant `{term}` is not text, an integer or a date")
        if isinstance(literal, Negation) and literal.atom.predicate in self.members:
            raise Unsupported(f"`{literal}` negates a predicate of its own level")

    def _never(self, literal: Literal) -> bool:
        return isinstance(literal, Atom) and self._source(literal.predicate) == "never"

    def _always(self, literal: Literal) -> bool:
        """A negation of what can never hold: true, as the compiled program drops it."""
        return isinstance(literal, Negation) and self._source(literal.atom.predicate) == "never"

    def _source(self, predicate: str) -> str:
        return self.evaluator.source(predicate, self.members)

    def _next(self, waiting: list[tuple[int, Literal]]) -> tuple[int, Literal]:
        bound = frozenset(self.layout)
        tests = [item for item in waiting if not isinstance(item[1], Atom)]
        for item in tests:
            if self._ready(item[1], bound):
                return item
        atoms = [
            (self._factor(item[1], bound), item)
            for item in waiting
            if isinstance(item[1], Atom) and self._ready(item[1], bound)
        ]
        if not atoms:
            pending = ", ".join(str(lit) for _, lit in waiting)
            raise Unsupported(f"no order binds what `{pending}` need")
        return min(atoms, key=lambda pair: pair[0])[1]

    def _ready(self, literal: Literal, bound: frozenset[str]) -> bool:
        if isinstance(literal, Comparison):
            return comparison_ready(literal, bound)
        atom = literal.atom if isinstance(literal, Negation) else literal
        if isinstance(literal, Negation) and any(
            v.name not in bound for v in atom.variables() if not is_anonymous(v)
        ):
            return False
        needed = self.evaluator.program.inputs.get(atom.predicate, ())
        if self._source(atom.predicate) != "call":
            needed = ()
        return all(
            not isinstance(term, Var) or term.name in bound
            for i, term in enumerate(atom.terms)
            if i in needed
        )

    def _factor(self, atom: Atom, bound: frozenset[str]) -> float:
        """Rows per binding ``atom`` is expected to yield: for the level's own relations a
        guess from their size so far; a call with every argument bound is a test (0), a
        built-in one value per call, a call of unknown size is taken last."""
        known = sum(1 for t in atom.terms if isinstance(t, Const) or t.name in bound)
        if atom.predicate in self.members:
            size = float(self.sizes.get(atom.predicate, 0))
            return float(size ** (1.0 - known / max(atom.arity, 1)))
        factor = self.evaluator.estimate(atom, bound)
        if self._source(atom.predicate) != "call":
            return factor or 0.0
        if known == atom.arity:
            return 0.0
        if atom.predicate in self.evaluator.program.builtins:
            return 1.0
        return math.inf if factor is None else factor

    # -- steps --

    def _add(self, chosen: tuple[int, Literal], waiting: list[tuple[int, Literal]]) -> None:
        position, literal = chosen
        self.order.append(literal)
        if isinstance(literal, Comparison):
            self._compare(literal)
        elif isinstance(literal, Negation):
            self._negate(literal.atom)
        else:
            self._read(literal, waiting, self._role(position, literal.predicate))
        self._project(waiting)

    def _role(self, position: int, predicate: str) -> str:
        """Which rows an atom at ``position`` reads (:class:`_Read`)."""
        if predicate not in self.members:
            return "stored"
        if self.delta is None or position > self.delta:
            return "total"
        return "delta" if position == self.delta else "old"

    def _value(self, term: Term) -> Callable[[Binding], Value]:
        if isinstance(term, Const):
            value = term.value
            return lambda _: value
        slot = self.layout.index(term.name)
        return itemgetter(slot)

    def _compare(self, comparison: Comparison) -> None:
        bound = set(self.layout)
        left, right = comparison.left, comparison.right
        for unbound, other in ((left, right), (right, left)):
            if isinstance(unbound, Var) and unbound.name not in bound:
                self.steps.append(_Assign(self._value(other)))
                self.layout.append(unbound.name)
                return
        test = _TESTS[comparison.operator]
        self.steps.append(_Test(self._value(left), self._value(right), test))

    def _negate(self, atom: Atom) -> None:
        if self._source(atom.predicate) == "call":
            self.steps.append(self._call(atom, negated=True))
            return
        constants, probes, slots = [], [], []
        for column, term in enumerate(atom.terms):
            if isinstance(term, Const):
                constants.append((column, term.value))
            elif not is_anonymous(term):
                probes.append(column)
                slots.append(self.layout.index(term.name))
        access = _Access(tuple(constants), (), tuple(probes), ())
        self.steps.append(_Absent(atom.predicate, access, tuple(slots)))

    def _read(self, atom: Atom, waiting: list[tuple[int, Literal]], role: str) -> None:
        if self._source(atom.predicate) == "call":
            self.steps.append(self._call(atom, waiting=waiting))
            return
        needed = self._needed(waiting)
        constants, repeats, probes, slots, outputs = [], [], [], [], []
        first: dict[str, int] = {}
        for column, term in enumerate(atom.terms):
            if isinstance(term, Const):
                constants.append((column, term.value))
            elif term.name in self.layout:
                probes.append(column)
                slots.append(self.layout.index(term.name))
            elif term.name in first:
                repeats.append((first[term.name], column))
            else:
                first[term.name] = column
                if term.name in needed:
                    outputs.append(column)
        access = _Access(tuple(constants), tuple(repeats), tuple(probes), tuple(outputs))
        width = len(self.layout)
        self.steps.append(_Read(atom.predicate, role, access, tuple(slots), width))
        self.layout.extend(_name(atom.terms[column]) for column in outputs)

    def _call(
        self,
        atom: Atom,
        waiting: Sequence[tuple[int, Literal]] = (),
        negated: bool = False,
    ) -> _Call:
        needed = self._needed(waiting)
        parts: dict[int, int] = {}
        constants: dict[int, Value] = {}
        bound, repeats, outputs = [], [], []
        first: dict[str, int] = {}
        for column, term in enumerate(atom.terms):
            if isinstance(term, Const):
                constants[column] = term.value
                bound.append(column)
            elif term.name in self.layout:
                parts[column] = self.layout.index(term.name)
                bound.append(column)
            elif term.name in first:
                repeats.append((first[term.name], column))
            else:
                first[term.name] = column
                if not negated and term.name in needed:
                    outputs.append(column)
        pattern = _pattern_maker(atom.arity, constants, parts)
        step = _Call(atom.predicate, pattern, tuple(bound), tuple(repeats), tuple(outputs), negated)
        self.layout.extend(_name(atom.terms[column]) for column in outputs)
        return step

    def _needed(self, waiting: Sequence[tuple[int, Literal]]) -> set[str]:
        """The variables the head and the conditions still waiting read."""
        needed = {v.name for v in self.rule.head.variables()}
        for _, literal in waiting:
            needed.update(v.name for v in literal.variables())
        return needed

    def _project(self, waiting: list[tuple[int, Literal]]) -> None:
        """Drop what no later condition nor the head reads (not after the last condition: the
        head's rows are a set)."""
        needed = self._needed(waiting)
        kept = [slot for slot, name in enumerate(self.layout) if name in needed]
        if waiting and len(kept) < len(self.layout):
            self.steps.append(_Project(tuple(kept)))
            self.layout = [self.layout[slot] for slot in kept]

    def _head(self) -> _Head:
        parts: list[int | Const] = []
        for term in self.rule.head.terms:
            if isinstance(term, Const):
                parts.append(term)
            elif term.name in self.layout:
                parts.append(self.layout.index(term.name))
            else:
                raise Unsupported(f"`{term}` in the head is bound by no condition")
        return _Head(tuple(parts))


def _pattern_maker(
    arity: int, constants: Mapping[int, Value], slots: Mapping[int, int]
) -> Callable[[Binding], Pattern]:
    """The pattern a call is asked with under a binding: constants, bound values, ``None``."""
    fixed: list[Value | None] = [constants.get(column) for column in range(arity)]
    if not slots:
        pattern = tuple(fixed)
        return lambda _: pattern

    def make(binding: Binding) -> Pattern:
        values = list(fixed)
        for column, slot in slots.items():
            values[column] = binding[slot]
        return tuple(values)

    return make


def _terms(literal: Literal) -> tuple[Term, ...]:
    if isinstance(literal, Comparison):
        return (literal.left, literal.right)
    atom = literal.atom if isinstance(literal, Negation) else literal
    return atom.terms


def _name(term: Term) -> str:
    assert isinstance(term, Var)
    return term.name
