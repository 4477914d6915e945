"""The one analysis of a rule set's dependencies, which the checker, the compiler and the
materialization all read, so that they cannot disagree.

From the rules alone it knows: which predicates each derived predicate uses (and which it
negates), the strongly connected components of that graph, the recursive groups, the
stratification (and the negative cycles that make one impossible), the levels in which
question-independent predicates can be computed bottom-up, which predicates no derivation can
reach, and which derived relations an assumed fact of a predicate can change (what-if
invalidation).
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import networkx

from policyeval.errors import Problem
from policyeval.language.syntax import Location, RuleSet

__all__ = ["ProgramAnalysis", "components"]


@dataclass(frozen=True)
class ProgramAnalysis:
    """What the rules of ``rules`` depend on, computed once (every property is cached)."""

    rules: RuleSet
    _never: dict[frozenset[str], frozenset[str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """`never_derivable` answers, by the predicates given."""

    @cached_property
    def derived(self) -> dict[str, int]:
        """Name → arity of every predicate that heads a rule."""
        return self.rules.derived_predicates()

    @cached_property
    def inputs(self) -> dict[str, tuple[int, ...]]:
        """Derived predicate → argument positions its questions must bind (``@given``)."""
        return self.rules.input_positions()

    @cached_property
    def uses(self) -> dict[str, frozenset[str]]:
        """Derived predicate → every predicate (base, builtin or derived) its rules' bodies
        name, positive or negated."""
        found: dict[str, set[str]] = {name: set() for name in self.derived}
        for rule in self.rules.rules:
            found[rule.head.predicate].update(rule.body_predicates())
        return {name: frozenset(used) for name, used in found.items()}

    @cached_property
    def negated(self) -> dict[tuple[str, str], Location | None]:
        """(head, derived predicate it negates) → where the first such negation is written."""
        edges: dict[tuple[str, str], Location | None] = {}
        for rule in self.rules.rules:
            for atom, negated in rule.body_atoms():
                if negated and atom.predicate in self.derived:
                    edges.setdefault((rule.head.predicate, atom.predicate), atom.location)
        return edges

    @cached_property
    def derived_uses(self) -> dict[str, list[str]]:
        """The dependency graph restricted to derived predicates (sorted, for stable output)."""
        return {
            name: sorted(used for used in self.uses[name] if used in self.derived)
            for name in sorted(self.derived)
        }

    @cached_property
    def components(self) -> list[list[str]]:
        """Strongly connected components of derived predicates, each after every one it uses."""
        return components(self.derived_uses)

    @cached_property
    def reach(self) -> dict[str, frozenset[str]]:
        """Derived predicate → every predicate its relation is computed from, through any
        number of rules, positive or negated."""
        found: dict[str, frozenset[str]] = {}
        for component in self.components:  # each after those it uses: theirs are known
            direct = set().union(*(self.uses[name] for name in component))
            closure = set(direct)
            for used in direct:
                closure |= found.get(used, frozenset())
            if len(component) > 1 or component[0] in direct:
                closure |= set(component)
            for name in component:
                found[name] = frozenset(closure)
        return found

    @cached_property
    def recursive(self) -> dict[str, frozenset[str]]:
        """Derived predicate that depends on itself → its mutually recursive group."""
        groups: dict[str, frozenset[str]] = {}
        for component in self.components:
            if len(component) > 1 or component[0] in self.uses[component[0]]:
                groups.update(dict.fromkeys(component, frozenset(component)))
        return groups

    @cached_property
    def negative_cycles(self) -> list[Problem]:
        """One ``not_stratifiable`` problem per component that contains a negation."""
        problems: list[Problem] = []
        for component in self.components:
            members = set(component)
            inner = [
                (edge, location)
                for edge, location in self.negated.items()
                if edge[0] in members and edge[1] in members
            ]
            if not inner:
                continue
            (head, negated), location = min(inner, key=lambda item: _location_key(item[1]))
            cycle = [head, *_path(self.derived_uses, negated, head, members)]
            message = (
                f"negation through recursion: {_render_cycle(cycle, self.negated)}; "
                "a predicate must not depend on its own negation"
            )
            problems.append(Problem("not_stratifiable", message, location))
        return problems

    @cached_property
    def strata(self) -> list[set[str]]:
        """Derived predicates grouped by stratum, lowest first: a predicate sits above those it
        negates and no lower than those it uses. Only meaningful without negative cycles."""
        level: dict[str, int] = {}
        for component in self.components:
            members = set(component)
            stratum = max(
                (
                    level[used] + int((name, used) in self.negated)
                    for name in component
                    for used in self.derived_uses[name]
                    if used not in members
                ),
                default=0,
            )
            level.update(dict.fromkeys(component, stratum))
        return _grouped(level)

    def levels(self, candidates: Collection[str]) -> list[set[str]]:
        """``candidates`` grouped for bottom-up computation: a predicate's level is above that
        of every derived predicate it uses; a recursive group shares one level."""
        depth: dict[str, int] = {}
        for component in self.components:
            members = set(component)
            below = [
                depth[used]
                for name in component
                for used in self.derived_uses[name]
                if used not in members
            ]
            depth.update(dict.fromkeys(component, 1 + max(below, default=-1)))
        return _grouped({name: depth[name] for name in candidates})

    @cached_property
    def question_independent(self) -> frozenset[str]:
        """Derived predicates whose whole relation can be computed without a question: those
        with no ``@given`` input.

        A question reaches a predicate only through ``@given`` arguments (every other argument
        of a question is a pattern, which filters the relation but does not change it). A
        predicate without inputs may still use one that has them, as a function of its own data
        (``acting_for_head(P, B, Day)`` with ``Day`` the answer's date): the checker guarantees
        those inputs are bound inside the body, so the relation is the same for every question.
        """
        return frozenset(self.derived) - frozenset(self.inputs)

    def never_derivable(self, given: Iterable[str]) -> frozenset[str]:
        """Derived predicates no finite derivation can reach, when ``given`` (base predicates
        and builtins) may hold: every rule of theirs needs, in a positive condition, a
        predicate that is itself never derivable (recursion without a base case)."""
        key = frozenset(given)
        if key in self._never:
            return self._never[key]
        possible = set(key)
        changed = True
        while changed:
            changed = False
            for rule in self.rules.rules:
                head = rule.head.predicate
                if head in possible:
                    continue
                if all(atom.predicate in possible for atom in rule.positive_atoms()):
                    possible.add(head)
                    changed = True
        result = frozenset(self.derived) - possible
        self._never[key] = result
        return result

    def affected_by(self, touched: Collection[str]) -> frozenset[str]:
        """Every predicate whose rows can change when facts of ``touched`` are added (what-if
        invalidation): ``touched`` themselves and the derived predicates computed from them."""
        wanted = frozenset(touched)
        return wanted | {name for name in self.derived if self.reach[name] & wanted}


def components(graph: Mapping[str, list[str]]) -> list[list[str]]:
    """The strongly connected components of ``graph`` (node → the nodes it reaches in one
    step), each a sorted list after every component it reaches; of those that may come next,
    the one with the least member comes first, so the order depends on the graph alone.

    >>> components({"a": ["b"], "b": ["a"], "c": ["a"]})
    [['a', 'b'], ['c']]
    """
    digraph: networkx.DiGraph[str] = networkx.DiGraph()
    digraph.add_nodes_from(graph)
    digraph.add_edges_from((node, successor) for node in graph for successor in graph[node])
    condensed = networkx.condensation(digraph)
    members: dict[int, list[str]] = {
        number: sorted(names) for number, names in condensed.nodes(data="members")
    }
    reached_first = networkx.lexicographical_topological_sort(
        condensed.reverse(copy=False), key=lambda number: members[number][0]
    )
    return [members[number] for number in reached_first]


def _grouped(level: Mapping[str, int]) -> list[set[str]]:
    """Names grouped by level, lowest first, without empty levels."""
    grouped: dict[int, set[str]] = {}
    for name, number in level.items():
        grouped.setdefault(number, set()).add(name)
    return [grouped[number] for number in sorted(grouped)]


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
