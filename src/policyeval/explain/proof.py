"""Why yes: a proof tree for a ground atom, down to the base facts and where they came from.

The engine says *that* an atom holds; this finds *how*: for the rules of the atom's predicate it
searches a body instantiation whose conditions all hold, and proves each derived condition in
turn. An atom already being proved higher up is not used again (no circular proofs). A row of a
predicate the question's :class:`~policyeval.explain.answers.Answers` walks is not searched
again: its proof is built from the body instance that first gave it there (its witness, the
instance this search would find first), and a question that does not hold is known to have no
proof from that walk alone.

The proof of an atom of a tabled predicate, and the node of a stored fact, depend on the fact
base alone, so they are kept in the knowledge base's :class:`ProofCache` and shared by every
later proof that needs them (with the sub-questions answered, :mod:`.kept_rows`). The rows of a
condition come from the question's :class:`~policyeval.explain.answers.Answers` (shared with the
why-not), and each node's height is known when it is built, so the depth limit costs no walk.

Depth: a proof follows a chain (of owners, say) one atom per level, on the Python stack. At
:data:`MAX_NESTED` atoms inside one another the search stops, proves the deepest atom first
from the top of the stack, keeps its proof, and starts again: any chain is proved with a
bounded stack. A proof deeper than :data:`MAX_PROOF_DEPTH` levels is refused with a
:class:`~policyeval.errors.LimitError` naming the limit (what reads a proof, its JSON and its
pages, walks it recursively). Every search step spends from the evaluation's time budget.
"""

from __future__ import annotations

from collections.abc import Iterator
from weakref import WeakKeyDictionary

from policyeval.engine import budget
from policyeval.engine.bindings import Env, bind, comparison_solutions, pattern_of
from policyeval.engine.pydatalog import CompiledProgram
from policyeval.engine.store import FactStore
from policyeval.errors import LimitError
from policyeval.explain.answers import Answers
from policyeval.explain.kept_rows import KeptRows
from policyeval.explain.model import ProofNode, fact_ref, render_value
from policyeval.explain.steps import atom_solutions, render_atom, render_literal
from policyeval.language.syntax import (
    Atom,
    Comparison,
    Literal,
    Negation,
    Rule,
    Value,
    fill_reading,
)

Ground = tuple[str, tuple[Value, ...]]

MAX_NESTED = 16
"""Atoms proved inside one another on the Python stack before the deepest is proved first."""
MAX_PROOF_DEPTH = 64
"""Levels a proof may have (an ownership chain of about as many links). What reads a decision
bounds it: pydantic writes at most 255 nested containers (a logged decision is a dict, two per
proof level), beneath a why-not tree of up to ``whynot.MAX_DEPTH`` levels (four each)."""


class _TooDeep(Exception):
    """The search reached :data:`MAX_NESTED` atoms inside one another, at ``key``."""

    def __init__(self, key: Ground) -> None:
        super().__init__(key)
        self.key = key


class ProofCache:
    """Proofs of atoms of tabled predicates, each with its height, and the nodes of stored
    facts, for one knowledge base (at most ``limit`` of each).

    Such a proof is the same whichever question needs it: a tabled predicate depends only on
    facts and other tabled predicates, and a fact's node only on the fact and where it was
    loaded from. Safe to share between threads (single dict operations).
    """

    def __init__(self, limit: int = 250_000) -> None:
        self.limit = limit
        self._nodes: dict[Ground, tuple[ProofNode | None, int]] = {}
        self._facts: dict[Ground, ProofNode] = {}
        self.kept = KeptRows()
        """The sub-questions explanations answered (:class:`Answers`), shared likewise."""

    def __len__(self) -> int:
        return len(self._nodes)

    def get(self, key: Ground) -> tuple[bool, ProofNode | None]:
        """``(True, proof)`` when the atom's proof (or that it has none) is kept."""
        kept = self._nodes.get(key)
        if kept is None:
            return False, None
        return True, kept[0]

    def height(self, key: Ground) -> int:
        """The levels of the kept proof of ``key`` (0 when it has none or none is kept)."""
        kept = self._nodes.get(key)
        return 0 if kept is None else kept[1]

    def put(self, key: Ground, node: ProofNode | None, height: int = 0) -> None:
        if len(self._nodes) < self.limit:
            self._nodes[key] = (node, height)

    def fact(self, key: Ground) -> ProofNode | None:
        """The kept node of the stored fact ``key`` (a leaf: one level), if any."""
        return self._facts.get(key)

    def put_fact(self, key: Ground, node: ProofNode) -> None:
        """Keeps the node of a stored fact: the same in every proof that rests on the fact."""
        if len(self._facts) < self.limit:
            self._facts[key] = node


class Prover:
    """Builds proofs against one compiled program and one fact store."""

    def __init__(
        self, program: CompiledProgram, store: FactStore, cache: ProofCache | None = None
    ) -> None:
        self.program = program
        self.store = store
        self.cache = cache
        self.answers = Answers(program, store, cache.kept if cache is not None else None)
        """The rows of conditions for this question, shared with its why-not."""
        self._proved: dict[Ground, ProofNode] = {}
        self._refuted: set[Ground] = set()
        """Atoms of predicates recursive with nothing that have no proof (whatever is above)."""
        self._in_progress: set[Ground] = set()
        self._settled: dict[Ground, ProofNode | None] = {}
        """Atoms proved first because the search met them too deep, with their proof."""
        self._heights: dict[int, tuple[ProofNode, int]] = {}
        """``id(node)`` → the node (kept, so its id stays its own) and its levels."""

    def prove(self, predicate: str, args: tuple[Value, ...]) -> ProofNode | None:
        """A proof that ``predicate(args)`` holds, or ``None`` when it does not.

        Raises :class:`~policyeval.errors.LimitError` for a proof deeper than
        :data:`MAX_PROOF_DEPTH`, :class:`~policyeval.errors.EvaluationTimeout` when the time
        budget is spent."""
        if self._in_progress:  # a condition's proof, inside another one
            return self._prove_atom(predicate, args)
        goals: list[Ground] = [(predicate, args)]
        while True:
            try:
                node = self._prove_atom(*goals[-1])
            except _TooDeep as deep:
                if deep.key in goals:  # a cycle longer than the stack allows
                    raise self._too_deep(deep.key) from None
                goals.append(deep.key)  # prove the deep end first, then try again
                continue
            done = goals.pop()
            if not goals:
                if node is not None and self._height(node) > MAX_PROOF_DEPTH:
                    raise self._too_deep(done)
                return node
            self._settled[done] = node

    def _prove_atom(self, predicate: str, args: tuple[Value, ...]) -> ProofNode | None:
        key = (predicate, args)
        kept, node = self._known(key)
        if kept:
            return node
        shared = self._shareable(predicate)
        if shared is not None:
            kept, node = self._from_cache(shared, key)
            if kept:
                return node
        if len(self._in_progress) >= MAX_NESTED:
            raise _TooDeep(key)
        budget.check()
        self._in_progress.add(key)
        try:
            node = self._prove(predicate, args)
        finally:
            self._in_progress.discard(key)
        self._remember(key, node)
        if shared is not None:
            shared.put(key, node, self._height(node) if node is not None else 0)
        return node

    def _from_cache(self, cache: ProofCache, key: Ground) -> tuple[bool, ProofNode | None]:
        """The kept proof of ``key``, its height noted, as :meth:`ProofCache.get`."""
        kept, node = cache.get(key)
        if node is not None:
            self._heights[id(node)] = (node, cache.height(key))
        return kept, node

    def _remember(self, key: Ground, node: ProofNode | None) -> None:
        """Keeps ``key``'s proof, or that it has none when that cannot depend on what is being
        proved above it (a predicate recursive with nothing)."""
        if node is not None:
            self._proved[key] = node
        elif key[0] not in self.program.recursive:
            self._refuted.add(key)

    def _known(self, key: Ground) -> tuple[bool, ProofNode | None]:
        """``(True, proof)`` when this prover has proved the atom or found it has none, or
        cannot use it here (it is being proved above: ``None``)."""
        if key in self._proved:
            return True, self._proved[key]
        if key in self._settled:
            return True, self._settled[key]
        return key in self._in_progress or key in self._refuted, None

    def _node(self, **fields: object) -> ProofNode:
        """A proof node of ``fields``, its height recorded from its children's."""
        node = ProofNode(**fields)  # type: ignore[arg-type]
        known = self._heights
        height = 1
        for child in node.children:
            entry = known.get(id(child))
            below = entry[1] if entry is not None else self._height(child)
            if below >= height:
                height = below + 1
        known[id(node)] = (node, height)
        return node

    def _height(self, node: ProofNode) -> int:
        """The levels of ``node``'s tree: recorded when it was built or taken from the cache,
        else walked with a stack of its own, each node once."""
        known = self._heights
        if id(node) in known:
            return known[id(node)][1]
        stack = [node]
        while stack:
            top = stack[-1]
            if id(top) in known:
                stack.pop()
                continue
            pending = [child for child in top.children if id(child) not in known]
            if pending:
                stack.extend(pending)
                continue
            below = max((known[id(child)][1] for child in top.children), default=0)
            known[id(top)] = (top, below + 1)  # the node is kept, so its id stays its own
            stack.pop()
        return known[id(node)][1]

    def _too_deep(self, key: Ground) -> LimitError:
        predicate, args = key
        return LimitError(
            f"the proof of {_text(predicate, args)} is deeper than {MAX_PROOF_DEPTH} levels "
            "(MAX_PROOF_DEPTH), the most an explanation follows"
        )

    def _shareable(self, predicate: str) -> ProofCache | None:
        """The cache, when this atom's proof cannot depend on what is being proved above it:
        a tabled predicate, and no atom of its recursive group in progress (the circularity
        cut would otherwise shape the proof)."""
        program = self.program
        if self.cache is None or predicate not in program.materialized:
            return None
        if predicate in program.recursive:
            group = program.recursive_group(predicate)
            if any(name in group for name, _ in self._in_progress):
                return None
        return self.cache

    def _prove(self, predicate: str, args: tuple[Value, ...]) -> ProofNode | None:
        """A proof of ``predicate(args)``: a stored fact, a builtin that holds, or a rule."""
        program = self.program
        if predicate in program.base_predicates:
            fact = self._fact(predicate, args)
            if fact is not None:
                return fact
        if predicate in program.builtins:
            return self._builtin(predicate, args)
        return self._by_rules(predicate, args)

    def _by_rules(self, predicate: str, args: tuple[Value, ...]) -> ProofNode | None:
        """A proof by the first of ``predicate``'s rules that holds for ``args``: from the
        witness of a walked row, else by searching each rule's body."""
        if self.answers.walked(predicate):
            decided, node = self._witnessed(predicate, args)
            if decided:
                return node
        for rule in self.program.rules.rules_for(predicate):
            node = self._by_rule(rule, args)
            if node is not None:
                return node
        return None

    def _witnessed(self, predicate: str, args: tuple[Value, ...]) -> tuple[bool, ProofNode | None]:
        """``(True, proof)`` of a walked predicate's row from the body instance that first gave
        it (:meth:`Answers.witness`), or ``(True, None)`` when no row matches; ``(False, None)``
        when that is not known here (the rules are then searched)."""
        answers = self.answers
        witness = answers.witness(predicate, args)
        if witness is None:
            if not answers.holds(predicate, args):
                return True, None
            witness = answers.witness(predicate, args)
            if witness is None:
                return False, None
        node = self._replay(*witness, args)
        return node is not None, node

    def _replay(self, rule: Rule, final: Env, args: tuple[Value, ...]) -> ProofNode | None:
        """The proof of ``rule``'s head for ``args`` by the body instance ``final``: each
        condition proved in evaluation order, as :meth:`_by_rule` would find it first. Under
        ``final`` every condition is ground where it is evaluated (the instance binds each
        variable a condition would bind), so each is proved as it stands."""
        if bind(rule.head.terms, args, final) is None:
            return None
        budget.check()
        order = self.program.explain_order[rule.id]
        nodes: list[ProofNode] = []
        for literal in order:
            if isinstance(literal, Atom):
                row = pattern_of(literal.terms, final)
                node = None if None in row else self.prove(literal.predicate, row)  # type: ignore[arg-type]
            else:
                step = next(self._condition(literal, final), None)
                node = None if step is None else step[1]
            if node is None:
                return None
            nodes.append(node)
        return self._rule_node(rule, args, final, order, nodes)

    def _fact(self, predicate: str, args: tuple[Value, ...]) -> ProofNode | None:
        """The first stored fact ``predicate(args)``, with where it came from (kept in the
        cache, when the question's store is the knowledge base's own)."""
        cache = self.cache
        if cache is not None:
            kept = cache.fact((predicate, args))
            if kept is not None:
                self._heights[id(kept)] = (kept, 1)
                return kept
        match = self.store.first(predicate, args)
        if match is None:
            return None
        node = self._node(
            kind="fact",
            atom=_text(predicate, args),
            predicate=predicate,
            args=list(args),
            source=fact_ref(match[1]),
        )
        if cache is not None:
            cache.put_fact((predicate, args), node)
        return node

    def _builtin(self, predicate: str, args: tuple[Value, ...]) -> ProofNode | None:
        """The builtin ``predicate(args)``, when it holds."""
        program = self.program
        if not program.ask(predicate, args, self.store):
            return None
        builtin = program.builtins[predicate]
        return self._node(
            kind="builtin",
            atom=_text(predicate, args),
            predicate=predicate,
            args=list(args),
            note=builtin.doc,
            detail=builtin.describe(args) if builtin.describe else None,
        )

    def _by_rule(self, rule: Rule, args: tuple[Value, ...]) -> ProofNode | None:
        """A proof of the head of ``rule`` for ``args`` by that rule: its first body instance
        that holds, each condition proved, in the order the rule's text lists them."""
        env = bind(rule.head.terms, args, {})
        if env is None:
            return None
        order = self.program.explain_order[rule.id]
        found = next(self._bodies(rule, order, 0, env), None)
        if found is None:
            return None
        final_env, evaluated = found
        return self._rule_node(rule, args, final_env, order, evaluated)

    def _rule_node(
        self,
        rule: Rule,
        args: tuple[Value, ...],
        env: Env,
        order: tuple[Literal, ...],
        nodes: list[ProofNode],
    ) -> ProofNode:
        """The node of ``rule`` proving its head for ``args`` under ``env``, with the proofs
        ``nodes`` of its conditions (in ``order``) as children in the order of its text."""
        predicate = rule.head.predicate
        positions = _written_positions(self.program, rule)
        return self._node(
            kind="rule",
            atom=_text(predicate, args),
            predicate=predicate,
            args=list(args),
            rule=rule.id,
            clause=rule.clause,
            reading=fill_reading(rule.reading, env),
            interpretation=rule.interpretation,
            children=[node for _, node in sorted(zip(positions, nodes, strict=True), key=_first)],
        )

    def _bodies(
        self, rule: Rule, body: tuple[Literal, ...], index: int, env: Env
    ) -> Iterator[tuple[Env, list[ProofNode]]]:
        """Every way the body from ``index`` on holds under ``env``, with condition proofs."""
        if index == len(body):
            yield env, []
            return
        budget.check()
        literal = body[index]
        for extended, node in self._condition(literal, env):
            for final_env, rest in self._bodies(rule, body, index + 1, extended):
                yield final_env, [node, *rest]

    def _condition(self, literal: Literal, env: Env) -> Iterator[tuple[Env, ProofNode]]:
        """Every extension of ``env`` under which ``literal`` holds, with its proof."""
        if isinstance(literal, Comparison):
            return self._comparison_proofs(literal, env)
        if isinstance(literal, Negation):
            return self._absence_proofs(literal.atom, env)
        return self._atom_proofs(literal, env)

    def _absence_proofs(self, atom: Atom, env: Env) -> Iterator[tuple[Env, ProofNode]]:
        """``env``, when no row of ``atom`` holds under it, with a note of why none does."""
        pattern = pattern_of(atom.terms, env)
        if not self.answers.holds(atom.predicate, pattern):
            yield (
                env,
                self._node(
                    kind="absent",
                    atom=render_atom(atom, env),
                    predicate=atom.predicate,
                    args=[v for v in pattern if v is not None],
                    note=self._absence_note(atom),
                ),
            )

    def _atom_proofs(self, atom: Atom, env: Env) -> Iterator[tuple[Env, ProofNode]]:
        """Every extension of ``env`` under which ``atom`` holds, with the proof of its row."""
        if self._search_directly(atom, env):
            # A ground derived condition: searching its rules is its proof and its answer;
            # asking the engine first would evaluate the same bodies twice.
            row = pattern_of(atom.terms, env)
            child = self.prove(atom.predicate, row)  # type: ignore[arg-type]
            if child is not None:
                yield env, child
            return
        for extended, row in atom_solutions(self.answers, atom, env):
            child = self.prove(atom.predicate, row)
            if child is not None:
                yield extended, child

    def _search_directly(self, atom: Atom, env: Env) -> bool:
        program = self.program
        return (
            atom.predicate in program.derived
            and atom.predicate not in program.materialized
            and atom.predicate not in program.recursive
            and all(v.name in env for v in atom.variables())
        )

    def _comparison_proofs(self, literal: Comparison, env: Env) -> Iterator[tuple[Env, ProofNode]]:
        """Every extension of ``env`` under which the comparison holds, shown filled in."""
        for extended in comparison_solutions(literal, env):
            yield extended, self._node(kind="comparison", atom=render_literal(literal, extended))

    def _absence_note(self, atom: Atom) -> str:
        program = self.program
        rules = [r.id for r in program.rules.rules_for(atom.predicate)]
        if not rules:
            return "no such fact"
        prefix = "no such fact, and " if atom.predicate in program.base_predicates else ""
        return prefix + "none of its rules holds: " + ", ".join(rules)


def _text(predicate: str, args: tuple[Value, ...]) -> str:
    return f"{predicate}({', '.join(render_value(a) for a in args)})"


_POSITIONS: WeakKeyDictionary[CompiledProgram, dict[str, tuple[int, ...]]] = WeakKeyDictionary()


def _written_positions(program: CompiledProgram, rule: Rule) -> tuple[int, ...]:
    """Where each condition of ``rule``'s evaluation order stands in its text (kept per
    program): proof children are shown in the order the rule's text lists them."""
    known = _POSITIONS.get(program)
    if known is None:
        known = _POSITIONS[program] = {}
    positions = known.get(rule.id)
    if positions is None:
        order = program.explain_order[rule.id]
        positions = known[rule.id] = tuple(rule.body.index(literal) for literal in order)
    return positions


def _first(pair: tuple[int, ProofNode]) -> int:
    return pair[0]
