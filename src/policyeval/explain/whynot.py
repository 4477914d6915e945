"""Why not: every condition that fails for a question with no answer, down to missing facts.

For each rule whose head matches the question, the body is walked in evaluation order, keeping
every binding under which the conditions so far hold. A condition is blamed only when it fails
under *all* of them; it is then reported (instantiated by each of them, without duplicates) and,
when it is derived, explained in turn. A condition that needs a value only a failed condition
would have given is not evaluated and not blamed: it is listed as unchecked. So a condition that
holds is never reported, and one missing fact is reported with its ancestors only.
"""

from __future__ import annotations

import datetime as dt
from weakref import WeakKeyDictionary

from policyeval.engine import budget
from policyeval.engine.bindings import Env, pattern_of, value_of
from policyeval.engine.builtins import Pattern, Row
from policyeval.engine.glossary import NO_GLOSSARY, Glossary
from policyeval.engine.pydatalog import CompiledProgram
from policyeval.engine.store import FactStore
from policyeval.explain.answers import Body, bind_head, compared
from policyeval.explain.model import (
    FactRef,
    FailedCondition,
    FailureKind,
    RuleFailure,
    fact_ref,
    render_value,
)
from policyeval.explain.origins import NO_ORIGINS, Origins, ValueSources
from policyeval.explain.proof import Prover
from policyeval.explain.steps import render_atom, render_literal
from policyeval.explain.wording import (
    comparison_text,
    missing_text,
    sort_of,
    term_of,
)
from policyeval.language.syntax import (
    Atom,
    Comparison,
    Literal,
    Negation,
    Rule,
    Var,
    fill_reading,
)

MAX_BINDINGS = 64
"""Bindings carried through a body; beyond this a condition is judged on the first ones."""
MAX_INSTANCES = 3
"""Instances of one failed condition reported (each explained); the last one shown counts the
others (``FailedCondition.others``)."""
MAX_DEPTH = 24
"""Derived conditions explained inside one another; deeper ones are marked ``see_above``, so
the tree and the Python stack stay bounded whatever the depth of the rules' recursion."""


_Step = tuple[Literal, frozenset[str]]
"""A body condition in evaluation order, with the names of its variables."""
_Plan = tuple[Body, frozenset[str], tuple[_Step, ...]]
"""A rule with its walked body, the names of its given variables, and its body's steps."""

_PLANS: WeakKeyDictionary[CompiledProgram, dict[str, tuple[_Plan, ...]]] = WeakKeyDictionary()
"""Per program and predicate, the plans of its rules in file order."""


def _plans_of(program: CompiledProgram) -> dict[str, tuple[_Plan, ...]]:
    """The plans kept for ``program`` (filled as predicates are explained)."""
    return _PLANS.setdefault(program, {})


class Explainer:
    """Builds why-not explanations against one compiled program and one fact store."""

    def __init__(
        self,
        program: CompiledProgram,
        store: FactStore,
        prover: Prover | None = None,
        glossary: Glossary = NO_GLOSSARY,
    ) -> None:
        self.program = program
        self.store = store
        self.glossary = glossary
        self.sources = ValueSources(program, store, glossary)
        self.prover = prover or Prover(program, store)
        self.answers = self.prover.answers
        """The rows of conditions, shared with the prover (and the decision it made)."""
        self._explained: set[tuple[str, Pattern]] = set()
        self._stack: set[tuple[str, Pattern]] = set()
        self._plans = _plans_of(program)

    def _rule_plans(self, predicate: str) -> tuple[_Plan, ...]:
        """What a why-not reads of ``predicate``'s rules that no question changes (kept per
        program): each rule's given variables and, per condition, its variables' names."""
        plans = self._plans.get(predicate)
        if plans is None:
            plans = self._plans[predicate] = tuple(
                (
                    body,
                    frozenset(body[0].given),
                    tuple((c, frozenset(v.name for v in c.variables())) for c in body[1]),
                )
                for body in self.answers.bodies(predicate)
            )
        return plans

    def why_not(self, predicate: str, pattern: Pattern) -> FailedCondition:
        """Why no row of ``predicate`` matches ``pattern`` (``None`` = any)."""
        return self._explain(predicate, pattern, depth=0)

    def _explain(
        self, predicate: str, pattern: Pattern, depth: int, origins: Origins = NO_ORIGINS
    ) -> FailedCondition:
        text = f"{predicate}({', '.join(render_value(v) for v in pattern)})"
        program = self.program
        if predicate not in program.derived:
            kind: FailureKind = "builtin_false"
            words = f"{text} is false"
            if predicate in program.base_predicates:
                kind = "missing_fact"
                words = missing_text(self.glossary, predicate, pattern, self.store)
            return FailedCondition(
                kind=kind,
                condition=text,
                text=words,
                predicate=predicate,
                args=list(pattern),
                in_force=self._other_periods(predicate, pattern),
            )
        key = (predicate, pattern)
        alternatives: list[RuleFailure] = []
        if key in self._explained or key in self._stack or depth > MAX_DEPTH:
            return _not_derivable(text, predicate, pattern, alternatives, see_above=True)
        self._stack.add(key)
        try:
            for plan in self._rule_plans(predicate):
                env = bind_head(plan[0], pattern)
                if env is not None:
                    alternatives.append(self._rule_failure(plan, env, depth, origins))
        finally:
            self._stack.discard(key)
        self._explained.add(key)
        return _not_derivable(text, predicate, pattern, alternatives)

    def _other_periods(self, predicate: str, pattern: Pattern) -> list[FactRef]:
        """For a dated fact missing on the day asked: the periods of the matching facts on
        record on other days (the first few)."""
        if predicate not in self.program.base_inputs or not pattern or pattern[-1] is None:
            return []
        others = self.store.match(predicate, (*pattern[:-1], None))
        refs = (fact_ref(source) for _, source in others)
        return [ref for ref in refs if ref is not None][:MAX_INSTANCES]

    def _rule_failure(
        self, plan: _Plan, head_env: Env, depth: int, head: Origins = NO_ORIGINS
    ) -> RuleFailure:
        """Why the plan's rule derives nothing under ``head_env``: its body walked in evaluation
        order, each condition that fails under every binding so far blamed, and those that need
        a value only a failed condition would give listed as unchecked."""
        (rule, _, _), given, steps = plan
        envs: list[Env] = [head_env]
        blocked = {name for name in given if name not in head_env}
        failed: list[FailedCondition] = []
        unchecked: list[str] = []
        does_not_apply: str | None = None
        for literal, names in steps:
            budget.check()
            if blocked and not names.isdisjoint(blocked):
                unchecked.append(render_literal(literal, envs[0]))
                if isinstance(literal, Atom):
                    blocked |= names.difference(envs[0])
                continue
            passing = self._passing(literal, envs)
            if passing:
                envs = passing[:MAX_BINDINGS]
                continue
            failures = self._failures(rule, literal, envs, depth, head)
            failed.extend(failures)
            does_not_apply = does_not_apply or self._guard(literal, failures)
            if not isinstance(literal, Negation):  # a negation binds nothing
                blocked |= names.difference(envs[0])
        common = _common(envs)
        return RuleFailure(
            rule=rule.id,
            clause=rule.clause,
            reading=fill_reading(rule.reading, common),
            refusal=fill_reading(rule.refusal, common) if rule.refusal else None,
            interpretation=rule.interpretation,
            does_not_apply=does_not_apply,
            failed=failed,
            unchecked=unchecked,
        )

    def _guard(self, literal: Literal, failures: list[FailedCondition]) -> str | None:
        """Why the rule cannot apply, when ``literal`` is a condition on what sort of thing a
        bound party is (a person, an organization of some kind) or needs two same parties
        apart; ``None`` for any other failure."""
        if isinstance(literal, Comparison):
            if literal.operator == "!=" and failures:
                return failures[0].text
            return None
        if isinstance(literal, Negation) or not failures:
            return None
        term = term_of(self.glossary, literal.predicate)
        failed = failures[0]
        if term is None or not term.sort or failed.kind != "missing_fact" or not failed.args:
            return None
        subject = failed.args[0]
        if subject is None or isinstance(subject, int | dt.date):
            return None
        day = failed.args[-1] if term.dated else None
        return sort_of(self.glossary, self.store, subject, day)

    def _passing(self, literal: Literal, envs: list[Env]) -> list[Env]:
        """Every extension of one of ``envs`` under which ``literal`` holds."""
        if isinstance(literal, Comparison):
            return [e for env in envs for e in compared(literal, env)]
        if isinstance(literal, Negation):
            return [env for env in envs if not self._holds(literal.atom, env)]
        extensions = self.answers.extensions
        if len(envs) == 1:
            return extensions(literal, envs[0])
        return [extended for env in envs for extended in extensions(literal, env)]

    def _failures(
        self, rule: Rule, literal: Literal, envs: list[Env], depth: int, head: Origins
    ) -> list[FailedCondition]:
        """Why ``literal`` holds under none of ``envs``: each distinct instance, explained."""
        if isinstance(literal, Comparison):
            instances: dict[str, Env] = {}
            for env in envs:
                instances.setdefault(render_literal(literal, env), env)
            shown = [
                self._false_comparison(rule, literal, env, text, head)
                for text, env in list(instances.items())[:MAX_INSTANCES]
            ]
            return _counted(shown, len(instances))
        if isinstance(literal, Negation):
            return self._blocking(literal, envs)
        return self._failed_atom(rule, literal, envs, depth, head)

    def _false_comparison(
        self, rule: Rule, literal: Comparison, env: Env, text: str, head: Origins
    ) -> FailedCondition:
        """A false comparison with each side named by where its value came from, and the
        stored facts it was read from."""
        left, right = (value_of(t, env) for t in (literal.left, literal.right))
        dates = isinstance(left, dt.date) and isinstance(right, dt.date)
        sides = (("left", literal.left), ("right", literal.right))
        left_text, right_text = (self.sources.describe(rule, t, env, head) for _, t in sides)
        origins = [
            origin.model_copy(update={"side": side})
            for side, term in sides
            if (origin := self.sources.stored(rule, term, env, head)) is not None
        ]
        return FailedCondition(
            kind="comparison_false",
            condition=text,
            text=comparison_text(literal.operator, left_text, right_text, dates=dates),
            operator=literal.operator,
            values=[v for v in (left, right) if v is not None],
            origins=origins,
        )

    def _holds(self, atom: Atom, env: Env) -> bool:
        return self.answers.holds(atom.predicate, pattern_of(atom.terms, env))

    def _failed_atom(
        self, rule: Rule, atom: Atom, envs: list[Env], depth: int, head: Origins
    ) -> list[FailedCondition]:
        """Each distinct instance of ``atom``, explained with where its arguments came from."""
        instances: dict[Pattern, Env] = {}
        for env in envs:
            instances.setdefault(pattern_of(atom.terms, env), env)
        shown = [
            self._explain(
                atom.predicate, pattern, depth + 1, self.sources.of_call(rule, atom, env, head)
            )
            for pattern, env in list(instances.items())[:MAX_INSTANCES]
        ]
        return _counted(shown, len(instances))

    def _blocking(self, literal: Negation, envs: list[Env]) -> list[FailedCondition]:
        atom = literal.atom
        failures = []
        patterns = list(dict.fromkeys(pattern_of(atom.terms, env) for env in envs))
        for pattern in patterns[:MAX_INSTANCES]:
            row = self._row(atom, pattern)
            proof = self.prover.prove(atom.predicate, row) if row is not None else None
            holds = render_atom(atom, _env_of(atom, pattern))
            words = proof.reading if proof is not None and proof.reading else f"{holds} holds"
            failures.append(
                FailedCondition(
                    kind="negation_holds",
                    condition="not " + holds,
                    text=words,
                    predicate=atom.predicate,
                    args=list(pattern),
                    holds_because=proof,
                )
            )
        return _counted(failures, len(patterns))

    def _row(self, atom: Atom, pattern: Pattern) -> Row | None:
        """The row of ``atom`` a blocking negation is shown with: the engine's first (as it has
        always been shown, not the first in value order); a ground one is the pattern itself,
        when it holds (known already: the negation was just judged)."""
        if None not in pattern:
            return pattern if self.answers.holds(atom.predicate, pattern) else None  # type: ignore[return-value]
        rows = self.program.ask(atom.predicate, pattern, self.store)
        return rows[0] if rows else None


def _counted(shown: list[FailedCondition], instances: int) -> list[FailedCondition]:
    """``shown`` (the first few instances of one failed condition), the last counting the
    instances not shown."""
    if shown and instances > len(shown):
        shown[-1].others = instances - len(shown)
    return shown


def _common(envs: list[Env]) -> Env:
    """The bindings every surviving candidate agrees on: what the reading can state."""
    first, *rest = envs
    if not rest:
        return first
    return {k: v for k, v in first.items() if all(e.get(k) == v for e in rest)}


def _not_derivable(
    text: str,
    predicate: str,
    pattern: Pattern,
    alternatives: list[RuleFailure],
    see_above: bool = False,
) -> FailedCondition:
    """A derived condition no rule establishes: why each of its rules does not (none explained
    again when ``see_above``)."""
    return FailedCondition(
        kind="not_derivable",
        condition=text,
        text=f"{text} is not established"
        if alternatives or see_above
        else f"no rule establishes {text}",
        predicate=predicate,
        args=list(pattern),
        alternatives=alternatives,
        see_above=see_above,
    )


def _env_of(atom: Atom, pattern: Pattern) -> Env:
    return {
        t.name: v
        for t, v in zip(atom.terms, pattern, strict=True)
        if isinstance(t, Var) and v is not None
    }
