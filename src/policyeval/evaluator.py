"""The library entry point: load rules and facts, ask, prove, explain — from any thread.

An :class:`Evaluator` holds one :class:`KnowledgeBase` (compiled rules + indexed facts + their
versions). Every question reads the knowledge base once at its start and uses only that one, so
:meth:`Evaluator.replace` is atomic for readers: they see the old set or the new one, never a mix.
A replacement is checked and compiled completely before it is swapped in; if that fails, the old
one keeps serving.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field

from policyeval.engine.builtins import BUILTINS, Builtin
from policyeval.engine.glossary import Glossary
from policyeval.engine.materialize import Tables, compute_tables
from policyeval.engine.pydatalog import CompiledProgram
from policyeval.engine.store import BaseFact, FactStore
from policyeval.engine.what_if_tables import what_if_store
from policyeval.errors import QueryError
from policyeval.explain.model import FailedCondition, JsonValue, ProofNode
from policyeval.explain.proof import ProofCache, Prover
from policyeval.explain.reasons import Reason, reasons
from policyeval.explain.whynot import Explainer
from policyeval.language.analysis import ProgramAnalysis
from policyeval.language.checker import check_or_raise
from policyeval.language.syntax import RuleSet, Value, Var, format_value, row_order

Outcome = Literal["allowed", "refused"]
"""A question's outcome as decisions and scenarios state it: some answer, or none."""

Argument = Value | Var | None
"""A question's argument: a constant, a named variable, or ``None`` for "any"."""


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """One version of rules and facts, compiled and indexed; never changed once built.

    ``plain`` is the rule set compiled as written, asked against the base ``facts``.
    ``program`` and ``store`` are what questions use: the same rules, with every
    question-independent derived predicate computed once for this fact base and answered from
    its table (``store`` = the facts plus those tables). A what-if question cannot use the
    tables an assumed fact may change: it asks the same program over an overlay of the store
    in which those (and the slices that read them) are computed again, for the rows it asks
    (:mod:`policyeval.engine.what_if_tables`).
    """

    program: CompiledProgram
    store: FactStore
    policy_version: str
    facts_version: str
    plain: CompiledProgram
    facts: FactStore
    proofs: ProofCache = field(default_factory=ProofCache, compare=False)
    """Proofs of tabled atoms, shared by the questions asked of this version."""
    glossary: Glossary = field(default_factory=dict, compare=False)
    """How the fact vocabulary names base predicates, for explanations in record words."""

    @property
    def rules(self) -> RuleSet:
        return self.program.rules

    def world(
        self, assume: Iterable[BaseFact] = (), retract: Iterable[BaseFact] = ()
    ) -> tuple[CompiledProgram, FactStore]:
        """The program and store for one question, with ``assume`` facts added and
        ``retract`` facts (as stored: a dated one with its period) taken away, if any."""
        assumed, retracted = list(assume), list(retract)
        if not assumed and not retracted:
            return self.program, self.store
        touched = {fact.predicate for fact in [*assumed, *retracted]}
        overlay = self.store.overlay(assumed, retracted)
        return self.program, what_if_store(self.program, overlay, touched)

    def prover(self, program: CompiledProgram, store: FactStore) -> Prover:
        """A prover for one question in ``world``; it shares this version's kept proofs unless
        the question assumed facts (its store is then an overlay)."""
        return Prover(program, store, self.proofs if store is self.store else None)

    def explainer(
        self, program: CompiledProgram, store: FactStore, prover: Prover | None = None
    ) -> Explainer:
        """A why-not explainer for one question in ``world``, naming facts in record words;
        with the ``prover`` that already searched the question, its work is reused."""
        return Explainer(program, store, prover or self.prover(program, store), self.glossary)


class Answer(BaseModel):
    """One answer: the full row, the question's variables bound, and (if asked) its proof."""

    values: list[JsonValue]
    bindings: dict[str, JsonValue] = Field(default_factory=dict)
    proof: ProofNode | None = None


class QueryResult(BaseModel):
    """All answers to a question; when there are none, why not."""

    question: str
    answers: list[Answer]
    why_not: FailedCondition | None = None
    reasons: list[Reason] = Field(default_factory=list)
    policy_version: str
    facts_version: str


def build_knowledge_base(
    rules: RuleSet,
    store: FactStore,
    *,
    builtins: Mapping[str, Builtin] = BUILTINS,
    policy_version: str = "",
    facts_version: str = "",
    materialize: bool = True,
    glossary: Glossary | None = None,
    tables: Tables | None = None,
) -> KnowledgeBase:
    """Check ``rules`` against the store's base predicates and compile them; with
    ``materialize``, also compute the question-independent derived predicates once — or take
    ``tables``, computed earlier for these rules over this store (a snapshot file's).

    Raises :class:`~policyeval.errors.RuleCheckError` with every problem when check fails.
    """
    schema = store.schema()
    analysis = ProgramAnalysis(rules)
    check_or_raise(rules, schema, builtins, analysis, store.dated())
    plain = CompiledProgram(rules, schema, builtins, analysis=analysis, base_inputs=store.inputs())
    if not materialize:
        return KnowledgeBase(
            plain, store, policy_version, facts_version, plain, store, glossary=glossary or {}
        )
    # A predicate with facts of its own keeps them apart from derived rows: not tabled.
    if tables is None:
        candidates = set(analysis.question_independent - plain.never_holds - set(schema))
        tables = compute_tables(rules, store, candidates, builtins, analysis)
    program = CompiledProgram(
        rules,
        schema,
        builtins,
        materialized=tables.tabled,
        slices=tables.slices,
        analysis=analysis,
        base_inputs=store.inputs(),
    )
    return KnowledgeBase(
        program,
        tables.store,
        policy_version,
        facts_version,
        plain,
        store,
        glossary=glossary or {},
    )


class Evaluator:
    """Answers questions against the current knowledge base; safe to call from many threads."""

    def __init__(self, knowledge_base: KnowledgeBase) -> None:
        self._knowledge_base = knowledge_base
        self._replacing = threading.Lock()

    @classmethod
    def from_rules(
        cls, rules: RuleSet, store: FactStore, *, policy_version: str = "", facts_version: str = ""
    ) -> Evaluator:
        return cls(
            build_knowledge_base(
                rules, store, policy_version=policy_version, facts_version=facts_version
            )
        )

    @property
    def knowledge_base(self) -> KnowledgeBase:
        return self._knowledge_base

    def replace(
        self,
        rules: RuleSet | None = None,
        store: FactStore | None = None,
        *,
        policy_version: str | None = None,
        facts_version: str | None = None,
    ) -> KnowledgeBase:
        """Swap in new rules and/or facts atomically; on any error the old ones stay.

        What is kept is rebuilt from the old version's base facts (``facts``), never from its
        store with tables: the old rules' derived rows must not pass for facts."""
        with self._replacing:
            old = self._knowledge_base
            new = build_knowledge_base(
                rules if rules is not None else old.rules,
                store if store is not None else old.facts,
                builtins=old.program.builtins,
                policy_version=old.policy_version if policy_version is None else policy_version,
                facts_version=old.facts_version if facts_version is None else facts_version,
                glossary=old.glossary,
            )
            self._knowledge_base = new
            return new

    # -- questions -------------------------------------------------------------------------

    def ask(
        self,
        predicate: str,
        args: Sequence[Argument],
        *,
        assume: Iterable[BaseFact] = (),
        retract: Iterable[BaseFact] = (),
    ) -> list[tuple[Value, ...]]:
        """Every row of ``predicate`` matching ``args``; the fast path, no explanations."""
        program, store = self._knowledge_base.world(assume, retract)
        return _answers(program, store, predicate, args)

    def query(
        self,
        predicate: str,
        args: Sequence[Argument],
        *,
        assume: Iterable[BaseFact] = (),
        retract: Iterable[BaseFact] = (),
        proofs: bool = True,
        explain: bool = True,
    ) -> QueryResult:
        """All answers, each with its proof; when there are none, every failed condition
        (with ``assume`` facts added and ``retract`` facts taken away, as in :meth:`ask`).

        A ground question asked with its proof is answered by the proof search itself: the
        search is complete for a ground atom, so a proof found is the yes and none found is the
        no, and the engine is not asked the same question twice.
        """
        kb = self._knowledge_base
        program, store = kb.world(assume, retract)
        prover = kb.prover(program, store) if proofs else None
        ground = _ground_row(args)
        rows: list[tuple[Value, ...]]
        if prover is not None and ground is not None:
            _validate(program, predicate, args)
            proof = prover.prove(predicate, ground)
            answers = [Answer(values=list(ground), proof=proof)] if proof is not None else []
            rows = [ground] if proof is not None else []
        else:
            rows = _answers(program, store, predicate, args)
            answers = [
                Answer(
                    values=list(row),
                    bindings=_bindings(args, row),
                    proof=prover.prove(predicate, row) if prover else None,
                )
                for row in rows
            ]
        failure = None
        if not rows and explain:
            explainer = kb.explainer(program, store, prover)
            failure = explainer.why_not(predicate, _pattern(args))
        return QueryResult(
            question=_question_text(predicate, args),
            answers=answers,
            why_not=failure,
            reasons=reasons(failure) if failure else [],
            policy_version=kb.policy_version,
            facts_version=kb.facts_version,
        )

    def prove(
        self,
        predicate: str,
        args: Sequence[Value],
        *,
        assume: Iterable[BaseFact] = (),
        retract: Iterable[BaseFact] = (),
    ) -> ProofNode | None:
        """A proof that the ground atom holds, or ``None``."""
        kb = self._knowledge_base
        program, store = kb.world(assume, retract)
        _validate(program, predicate, args)
        return kb.prover(program, store).prove(predicate, tuple(args))

    def why_not(
        self,
        predicate: str,
        args: Sequence[Argument],
        *,
        assume: Iterable[BaseFact] = (),
        retract: Iterable[BaseFact] = (),
    ) -> FailedCondition | None:
        """Why no row matches (``None`` when some row does).

        Whether one does is found by the explainer's own lookups when the question is ground,
        so the why-not reuses that work instead of asking the engine the question first."""
        kb = self._knowledge_base
        program, store = kb.world(assume, retract)
        explainer = kb.explainer(program, store)
        ground = _ground_row(args)
        if ground is not None:
            _validate(program, predicate, args)
            if explainer.answers.holds(predicate, ground):
                return None
        elif _answers(program, store, predicate, args):
            return None
        return explainer.why_not(predicate, _pattern(args))


def _answers(
    program: CompiledProgram, store: FactStore, predicate: str, args: Sequence[Argument]
) -> list[tuple[Value, ...]]:
    _validate(program, predicate, args)
    rows = program.ask(predicate, _pattern(args), store)
    return sorted(
        (row for row in set(rows) if _consistent(args, row)),
        key=row_order,
    )


def _validate(program: CompiledProgram, predicate: str, args: Sequence[Argument]) -> None:
    arities = program.arities
    if predicate not in arities:
        raise QueryError(f"unknown predicate `{predicate}`")
    if len(args) != arities[predicate]:
        raise QueryError(
            f"`{predicate}` takes {arities[predicate]} arguments, the question gives {len(args)}"
        )
    for position in program.inputs.get(predicate, ()):
        if args[position] is None or isinstance(args[position], Var):
            raise QueryError(f"argument {position + 1} of `{predicate}` must be given a value")
    for position, arg in enumerate(args, start=1):
        if (arg is not None and not isinstance(arg, (str, int, dt.date, Var))) or isinstance(
            arg, bool
        ):
            raise QueryError(
                f"argument {position} of `{predicate}` must be a symbol, string, integer or date"
            )


def _ground_row(args: Sequence[Argument]) -> tuple[Value, ...] | None:
    """The question as a row when every argument is a value."""
    values = tuple(a for a in args if a is not None and not isinstance(a, Var))
    return values if len(values) == len(args) else None


def _pattern(args: Sequence[Argument]) -> tuple[Value | None, ...]:
    return tuple(None if a is None or isinstance(a, Var) else a for a in args)


def _consistent(args: Sequence[Argument], row: tuple[Value, ...]) -> bool:
    """Repeated named variables in the question must get the same value."""
    seen: dict[str, Value] = {}
    for arg, value in zip(args, row, strict=True):
        if isinstance(arg, Var):
            if arg.name in seen and seen[arg.name] != value:
                return False
            seen[arg.name] = value
    return True


def _bindings(args: Sequence[Argument], row: tuple[Value, ...]) -> dict[str, Value]:
    return {a.name: v for a, v in zip(args, row, strict=True) if isinstance(a, Var)}


def _question_text(predicate: str, args: Sequence[Argument]) -> str:
    shown = [a.name if isinstance(a, Var) else "_" if a is None else format_value(a) for a in args]
    return f"{predicate}({', '.join(shown)})"
