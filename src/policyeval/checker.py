"""Static checks of a rule set, and its strata.

`check` returns every problem at once, sorted by location, each with a stable code:

- ``unknown_predicate``: a condition names no fact kind, builtin or rule head;
- ``arity_mismatch``: a predicate is used with another number of arguments than declared (as a
  fact kind or builtin) or than in its first rule head;
- ``unsafe_variable``: a variable of the head, of a negated condition or of a comparison is not
  bound by a positive condition (``X = constant`` and ``X = Bound`` bind ``X``);
- ``not_stratifiable``: a predicate depends on its own negation;
- ``duplicate_rule_id``, ``missing_id``, ``missing_clause``, ``missing_reading``;
- ``bad_placeholder``: a reading's ``{Name}`` is not a variable of the rule.

A predicate may have both facts and rules: that is not a problem.
"""

from __future__ import annotations

import difflib
import itertools
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from policyeval.errors import Problem, RuleCheckError, sorted_problems
from policyeval.syntax import (
    Atom,
    Comparison,
    Const,
    Location,
    Negation,
    Rule,
    RuleSet,
    Term,
    Var,
    is_anonymous,
    reading_placeholders,
)

__all__ = ["check", "check_or_raise", "strata"]


def check(
    rules: RuleSet,
    base_predicates: Mapping[str, int],
    builtins: Mapping[str, int],
    builtin_inputs: Mapping[str, tuple[int, ...]] | None = None,
) -> list[Problem]:
    """Every problem of the rule set, sorted by location.

    ``base_predicates`` and ``builtins`` map a fact kind or builtin to its number of arguments;
    ``builtin_inputs`` say which argument positions of a builtin must be bound when it is called.
    """
    all_rules = list(rules.rules)
    inputs = {**rules.input_positions(), **(builtin_inputs or {})}
    problems = [
        *_metadata_problems(all_rules),
        *_duplicate_ids(all_rules),
        *_placeholder_problems(all_rules),
        *_predicate_problems(all_rules, base_predicates, builtins),
        *_given_problems(all_rules),
        *(problem for rule in all_rules for problem in _unsafe_variables(rule, inputs)),
        *(problem for rule in all_rules for problem in _unbound_inputs(rule, inputs)),
        *_negative_cycles(_dependencies(all_rules)),
    ]
    return sorted_problems(sorted(problems, key=lambda p: (p.code, p.message)))


def check_or_raise(
    rules: RuleSet,
    base_predicates: Mapping[str, int],
    builtins: Mapping[str, int],
    builtin_inputs: Mapping[str, tuple[int, ...]] | None = None,
) -> None:
    """Raise `RuleCheckError` carrying every problem `check` finds, if there is any."""
    problems = check(rules, base_predicates, builtins, builtin_inputs)
    if problems:
        raise _rejected(problems)


def strata(rules: RuleSet | Iterable[Rule]) -> list[set[str]]:
    """The rule heads' predicates grouped by stratum, lowest first.

    A predicate's stratum is above those of the predicates it negates and at least those of the
    predicates it uses; facts and builtins sit below every stratum and are not listed. Raises
    `RuleCheckError` (``not_stratifiable``) if a predicate depends on its own negation.
    """
    dependencies = _dependencies(list(rules.rules if isinstance(rules, RuleSet) else rules))
    problems = _negative_cycles(dependencies)
    if problems:
        raise _rejected(sorted_problems(problems))
    level: dict[str, int] = {}
    for component in dependencies.components():
        level.update(dict.fromkeys(component, dependencies.level(component, level)))
    groups: list[set[str]] = [set() for _ in range(max(level.values(), default=-1) + 1)]
    for predicate, stratum in level.items():
        groups[stratum].add(predicate)
    return groups


def _rejected(problems: list[Problem]) -> RuleCheckError:
    noun = "problem" if len(problems) == 1 else "problems"
    return RuleCheckError(f"rule set rejected: {len(problems)} {noun}", problems)


def _name(rule: Rule) -> str:
    """How messages name a rule: by its id, else by its head's predicate."""
    return f"rule `{rule.id}`" if rule.id else f"the rule for `{rule.head.predicate}`"


def _where(location: Location | None) -> str:
    return str(location) if location else "an unknown place"


# --- Metadata ---------------------------------------------------------------------------------


def _metadata_problems(rules: list[Rule]) -> Iterator[Problem]:
    for rule in rules:
        name = _name(rule)
        if not rule.id.strip():
            yield Problem("missing_id", f'{name} has no `@id("…")`', rule.location)
        if not rule.clause.strip():
            message = f'{name} cites no clause: add `@clause("…")` or put it under a clause heading'
            yield Problem("missing_clause", message, rule.location)
        if not rule.reading.strip():
            message = f'{name} has no `@reading("…")` saying in words what it means'
            yield Problem("missing_reading", message, rule.location)


def _duplicate_ids(rules: list[Rule]) -> Iterator[Problem]:
    first: dict[str, Rule] = {}
    for rule in rules:
        if not rule.id:
            continue
        earlier = first.setdefault(rule.id, rule)
        if earlier is not rule:
            message = (
                f"rule id `{rule.id}` is already used by the rule at {_where(earlier.location)}"
            )
            yield Problem("duplicate_rule_id", message, rule.location)


def _placeholder_problems(rules: list[Rule]) -> Iterator[Problem]:
    for rule in rules:
        names = {var.name for var in rule.variables() if not is_anonymous(var)}
        for placeholder in dict.fromkeys(reading_placeholders(rule.reading)):
            if placeholder not in names:
                message = (
                    f"the reading of {_name(rule)} uses `{{{placeholder}}}`, "
                    "which is not a variable of the rule"
                )
                yield Problem("bad_placeholder", message, rule.location)


# --- Predicates and arities -------------------------------------------------------------------


@dataclass(frozen=True)
class _Declaration:
    """A predicate's number of arguments and where that number comes from."""

    arity: int
    source: str
    atom: Atom | None = None


def _declarations(
    rules: list[Rule], base_predicates: Mapping[str, int], builtins: Mapping[str, int]
) -> dict[str, _Declaration]:
    """Fact kinds first, then builtins, then each derived predicate's first head."""
    declared = {
        name: _Declaration(arity, "as a fact kind") for name, arity in base_predicates.items()
    }
    for name, arity in builtins.items():
        declared.setdefault(name, _Declaration(arity, "as a builtin"))
    for rule in rules:
        source = f"in the head of {_name(rule)} at {_where(rule.head.location)}"
        declared.setdefault(rule.head.predicate, _Declaration(rule.head.arity, source, rule.head))
    return declared


def _atoms(rule: Rule) -> Iterator[Atom]:
    """The head and every atom of the body, negated or not."""
    yield rule.head
    for literal in rule.body:
        if isinstance(literal, Negation):
            yield literal.atom
        elif isinstance(literal, Atom):
            yield literal


def _predicate_problems(
    rules: list[Rule], base_predicates: Mapping[str, int], builtins: Mapping[str, int]
) -> Iterator[Problem]:
    declared = _declarations(rules, base_predicates, builtins)
    for rule in rules:
        for atom in _atoms(rule):
            declaration = declared.get(atom.predicate)
            if declaration is None:
                yield _unknown_predicate(rule, atom, declared)
            elif declaration.atom is not atom and declaration.arity != atom.arity:
                message = (
                    f"`{atom.predicate}` takes {_arguments(declaration.arity)} "
                    f"{declaration.source}, but is used here with {atom.arity}"
                )
                yield Problem("arity_mismatch", message, atom.location)


def _unknown_predicate(rule: Rule, atom: Atom, declared: Mapping[str, object]) -> Problem:
    message = (
        f"unknown predicate `{atom.predicate}` in {_name(rule)}: "
        "it is neither a fact kind, a builtin nor the head of a rule"
    )
    guesses = difflib.get_close_matches(atom.predicate, list(declared), n=1)
    if guesses:
        message += f"; did you mean `{guesses[0]}`?"
    return Problem("unknown_predicate", message, atom.location)


def _arguments(count: int) -> str:
    return "1 argument" if count == 1 else f"{count} arguments"


# --- Safety -----------------------------------------------------------------------------------


def _given_problems(rules: list[Rule]) -> Iterator[Problem]:
    """A ``@given`` name must be a variable of the head."""
    for rule in rules:
        head = {v.name for v in rule.head.variables()}
        for name in rule.given:
            if name not in head:
                message = (
                    f"`@given` names `{name}`, which is not a variable of the head of {_name(rule)}"
                )
                yield Problem("bad_given", message, rule.location)


def _unbound_inputs(rule: Rule, inputs: Mapping[str, tuple[int, ...]]) -> Iterator[Problem]:
    """Calls of a builtin or a ``@given`` predicate whose inputs nothing binds."""
    bound = _bound_variables(rule, inputs)
    for literal in rule.body:
        atom = literal.atom if isinstance(literal, Negation) else literal
        if not isinstance(atom, Atom):
            continue
        for position in inputs.get(atom.predicate, ()):
            term = atom.terms[position] if position < atom.arity else None
            if isinstance(term, Var) and term.name not in bound:
                message = (
                    f"argument {position + 1} of `{atom.predicate}` in {_name(rule)} must be "
                    f"bound when it is called, but `{term.name}` is not bound by anything else"
                )
                yield Problem("unbound_input", message, atom.location)


def _unsafe_variables(
    rule: Rule, inputs: Mapping[str, tuple[int, ...]] | None = None
) -> Iterator[Problem]:
    """Each variable that must be bound and is not, once per rule, at its first such use."""
    bound = _bound_variables(rule, inputs or {})
    reported: set[str] = set()
    for var, place, location in _guarded_occurrences(rule):
        if is_anonymous(var):
            message = (
                f"anonymous variable `_` in {place} of {_name(rule)} is never bound; "
                "name it and bind it by a positive condition"
            )
        elif var.name in bound or var.name in reported:
            continue
        else:
            message = f"variable `{var.name}` of {_name(rule)} is not bound by a positive condition"
            reported.add(var.name)
        yield Problem("unsafe_variable", message, location)


def _guarded_occurrences(rule: Rule) -> Iterator[tuple[Var, str, Location | None]]:
    """The variables that a positive condition must bind, with the place they occur in.

    An anonymous variable in a negated condition means "any value" and needs no binding.
    """
    for var in rule.head.variables():
        yield var, "the head", rule.head.location
    for literal in rule.body:
        if isinstance(literal, Negation):
            for var in literal.variables():
                if not is_anonymous(var):
                    yield var, "a negated condition", literal.location
        elif isinstance(literal, Comparison):
            for var in literal.variables():
                yield var, "a comparison", literal.location


def _bound_variables(rule: Rule, inputs: Mapping[str, tuple[int, ...]] | None = None) -> set[str]:
    """``@given`` variables, those of positive atoms whose inputs are bound, and those equated
    to bound terms, to a fixpoint."""
    inputs = inputs or {}
    bound = set(rule.given)
    atoms = [atom for atom in rule.body if isinstance(atom, Atom)]
    equalities = [c for c in rule.body if isinstance(c, Comparison) and c.operator == "="]
    changed = True
    while changed:
        changed = False
        for atom in atoms:
            needed = [atom.terms[i] for i in inputs.get(atom.predicate, ()) if i < atom.arity]
            if all(not isinstance(t, Var) or t.name in bound for t in needed):
                new = {v.name for v in atom.variables()} - bound
                if new:
                    bound |= new
                    changed = True
        for equality in equalities:
            for target, source in (
                (equality.left, equality.right),
                (equality.right, equality.left),
            ):
                if (name := _newly_bound(target, source, bound)) is not None:
                    bound.add(name)
                    changed = True
    return bound


def _newly_bound(target: Term, source: Term, bound: set[str]) -> str | None:
    """The name of ``target`` if ``target = source`` binds it: named, unbound, ``source`` bound."""
    if not isinstance(target, Var) or is_anonymous(target) or target.name in bound:
        return None
    return target.name if isinstance(source, Const) or source.name in bound else None


# --- Stratification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Dependencies:
    """Which derived predicates each derived predicate's rules use, and which they negate."""

    uses: dict[str, list[str]]
    negated: dict[tuple[str, str], Location | None]

    def components(self) -> list[list[str]]:
        """Strongly connected components, each after every component it uses."""
        return _components(self.uses)

    def level(self, component: list[str], level: Mapping[str, int]) -> int:
        """The stratum of a component, given the strata of the components it uses."""
        members = set(component)
        return max(
            (
                level[used] + int((predicate, used) in self.negated)
                for predicate in component
                for used in self.uses[predicate]
                if used not in members
            ),
            default=0,
        )


def _dependencies(rules: list[Rule]) -> _Dependencies:
    derived = sorted({rule.head.predicate for rule in rules})
    uses: dict[str, set[str]] = {predicate: set() for predicate in derived}
    negated: dict[tuple[str, str], Location | None] = {}
    for rule in rules:
        head = rule.head.predicate
        for literal in rule.body:
            atom = literal.atom if isinstance(literal, Negation) else literal
            if not isinstance(atom, Atom) or atom.predicate not in uses:
                continue
            uses[head].add(atom.predicate)
            if isinstance(literal, Negation):
                negated.setdefault((head, atom.predicate), literal.location)
    return _Dependencies({p: sorted(used) for p, used in uses.items()}, negated)


def _negative_cycles(dependencies: _Dependencies) -> list[Problem]:
    """One problem per strongly connected component that contains a negation."""
    problems: list[Problem] = []
    for component in dependencies.components():
        members = set(component)
        inner = [
            (edge, location)
            for edge, location in dependencies.negated.items()
            if edge[0] in members and edge[1] in members
        ]
        if not inner:
            continue
        (head, negated), location = min(inner, key=lambda item: _location_key(item[1]))
        cycle = [head, *_path(dependencies.uses, negated, head, members)]
        message = (
            f"negation through recursion: {_render_cycle(cycle, dependencies.negated)}; "
            "a predicate must not depend on its own negation"
        )
        problems.append(Problem("not_stratifiable", message, location))
    return problems


def _location_key(location: Location | None) -> tuple[bool, str, int, int]:
    if location is None:
        return (True, "", 0, 0)
    return (False, location.file, location.line, location.column)


def _path(uses: Mapping[str, list[str]], start: str, goal: str, within: set[str]) -> list[str]:
    """A shortest path ``start … goal`` along uses inside a component (breadth first)."""
    previous: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            break
        for used in uses[node]:
            if used in within and used not in previous:
                previous[used] = node
                queue.append(used)
    path: list[str] = []
    step: str | None = goal
    while step is not None:
        path.append(step)
        step = previous[step]
    return path[::-1]


def _render_cycle(cycle: list[str], negated: Mapping[tuple[str, str], object]) -> str:
    """``a`` → not ``b`` → ``a``: each arrow reads "uses"."""
    parts = [f"`{cycle[0]}`"]
    for user, used in itertools.pairwise(cycle):
        parts.append(f"not `{used}`" if (user, used) in negated else f"`{used}`")
    return " → ".join(parts)


def _components(graph: Mapping[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively, each after those it reaches."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []

    def visit(node: str) -> Iterator[str]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        return iter(graph[node])

    for root in graph:
        if root in index:
            continue
        work = [(root, visit(root))]
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    work.append((successor, visit(successor)))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    result.append(_pop_component(stack, on_stack, node))
    return result


def _pop_component(stack: list[str], on_stack: set[str], root: str) -> list[str]:
    component: list[str] = []
    while True:
        node = stack.pop()
        on_stack.discard(node)
        component.append(node)
        if node == root:
            return sorted(component)
