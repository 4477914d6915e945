"""Why yes: a proof tree for a ground atom, down to the base facts and where they came from.

The engine says *that* an atom holds; this finds *how*: for the rules of the atom's predicate it
searches a body instantiation whose conditions all hold, and proves each derived condition in
turn. An atom already being proved higher up is not used again (no circular proofs).

The proof of an atom of a tabled predicate depends on the fact base alone, so it is kept in the
knowledge base's :class:`ProofCache` and shared by every later proof that needs it.
"""

from __future__ import annotations

from collections.abc import Iterator

from policyeval.engine.bindings import Env, bind, comparison_solutions, pattern_of
from policyeval.engine.pydatalog import CompiledProgram
from policyeval.engine.store import FactStore
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


class ProofCache:
    """Proofs of atoms of tabled predicates, for one knowledge base (at most ``limit``).

    Such a proof is the same whichever question needs it: a tabled predicate depends only on
    facts and other tabled predicates. Safe to share between threads (single dict operations).
    """

    def __init__(self, limit: int = 250_000) -> None:
        self.limit = limit
        self._nodes: dict[Ground, ProofNode | None] = {}

    def __len__(self) -> int:
        return len(self._nodes)

    def get(self, key: Ground) -> tuple[bool, ProofNode | None]:
        """``(True, proof)`` when the atom's proof (or that it has none) is kept."""
        if key in self._nodes:
            return True, self._nodes[key]
        return False, None

    def put(self, key: Ground, node: ProofNode | None) -> None:
        if len(self._nodes) < self.limit:
            self._nodes[key] = node


class Prover:
    """Builds proofs against one compiled program and one fact store."""

    def __init__(
        self, program: CompiledProgram, store: FactStore, cache: ProofCache | None = None
    ) -> None:
        self.program = program
        self.store = store
        self.cache = cache
        self._proved: dict[Ground, ProofNode] = {}
        self._in_progress: set[Ground] = set()

    def prove(self, predicate: str, args: tuple[Value, ...]) -> ProofNode | None:
        """A proof that ``predicate(args)`` holds, or ``None`` when it does not."""
        key = (predicate, args)
        if key in self._proved:
            return self._proved[key]
        if key in self._in_progress:
            return None
        shared = self._shareable(predicate)
        if shared is not None:
            kept, node = shared.get(key)
            if kept:
                return node
        self._in_progress.add(key)
        try:
            node = self._prove(predicate, args)
        finally:
            self._in_progress.discard(key)
        if node is not None:
            self._proved[key] = node
        if shared is not None:
            shared.put(key, node)
        return node

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
        for rule in program.rules.rules_for(predicate):
            node = self._by_rule(rule, args)
            if node is not None:
                return node
        return None

    def _fact(self, predicate: str, args: tuple[Value, ...]) -> ProofNode | None:
        """The first stored fact ``predicate(args)``, with where it came from."""
        match = next(self.store.match(predicate, args), None)
        if match is None:
            return None
        ref = fact_ref(match[1])
        return ProofNode(
            kind="fact",
            atom=_text(predicate, args),
            predicate=predicate,
            args=list(args),
            source=ref,
        )

    def _builtin(self, predicate: str, args: tuple[Value, ...]) -> ProofNode | None:
        """The builtin ``predicate(args)``, when it holds."""
        program = self.program
        if not program.ask(predicate, args, self.store):
            return None
        builtin = program.builtins[predicate]
        return ProofNode(
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
        predicate = rule.head.predicate
        return ProofNode(
            kind="rule",
            atom=_text(predicate, args),
            predicate=predicate,
            args=list(args),
            rule=rule.id,
            clause=rule.clause,
            reading=fill_reading(rule.reading, final_env),
            interpretation=rule.interpretation,
            children=_in_written_order(rule, order, evaluated),
        )

    def _bodies(
        self, rule: Rule, body: tuple[Literal, ...], index: int, env: Env
    ) -> Iterator[tuple[Env, list[ProofNode]]]:
        """Every way the body from ``index`` on holds under ``env``, with condition proofs."""
        if index == len(body):
            yield env, []
            return
        literal = body[index]
        for extended, node in self._condition(literal, env):
            for final_env, rest in self._bodies(rule, body, index + 1, extended):
                yield final_env, [node, *rest]

    def _condition(self, literal: Literal, env: Env) -> Iterator[tuple[Env, ProofNode]]:
        """Every extension of ``env`` under which ``literal`` holds, with its proof."""
        if isinstance(literal, Comparison):
            return _comparison_proofs(literal, env)
        if isinstance(literal, Negation):
            return self._absence_proofs(literal.atom, env)
        return self._atom_proofs(literal, env)

    def _absence_proofs(self, atom: Atom, env: Env) -> Iterator[tuple[Env, ProofNode]]:
        """``env``, when no row of ``atom`` holds under it, with a note of why none does."""
        pattern = pattern_of(atom.terms, env)
        if not self.program.ask(atom.predicate, pattern, self.store):
            yield (
                env,
                ProofNode(
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
        for extended, row in atom_solutions(self.program, self.store, atom, env):
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

    def _absence_note(self, atom: Atom) -> str:
        program = self.program
        rules = [r.id for r in program.rules.rules_for(atom.predicate)]
        if not rules:
            return "no such fact"
        prefix = "no such fact, and " if atom.predicate in program.base_predicates else ""
        return prefix + "none of its rules holds: " + ", ".join(rules)


def _comparison_proofs(literal: Comparison, env: Env) -> Iterator[tuple[Env, ProofNode]]:
    """Every extension of ``env`` under which the comparison holds, shown filled in."""
    for extended in comparison_solutions(literal, env):
        yield extended, ProofNode(kind="comparison", atom=render_literal(literal, extended))


def _text(predicate: str, args: tuple[Value, ...]) -> str:
    return f"{predicate}({', '.join(render_value(a) for a in args)})"


def _in_written_order(
    rule: Rule, evaluated: tuple[Literal, ...], nodes: list[ProofNode]
) -> list[ProofNode]:
    """Proof children in the order the rule's text lists its conditions."""
    position = {id(literal): rule.body.index(literal) for literal in evaluated}
    paired = sorted(zip(evaluated, nodes, strict=True), key=lambda pair: position[id(pair[0])])
    return [node for _, node in paired]
