"""Running scenarios on the program that is served.

The rules are parsed once and each base fact directory is loaded and compiled once, through the
same functions as the service (:mod:`policyeval.loading`): tables, slices and fused lookups
included. A scenario that only adds records asks its question as a what-if (``assume``) on that
knowledge base, exactly as the service answers one; a scenario that removes records gets the
base without them, compiled the same way (once per set of removed records).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policyeval.engine.store import BaseFact, FactSource
from policyeval.errors import FactError, Problem, QueryError, ScenarioError
from policyeval.evaluator import Evaluator, KnowledgeBase
from policyeval.facts.loader import FactBase, load_fact_records
from policyeval.facts.yaml_source import dotted, suggest
from policyeval.loading import LoadedRules, compile_knowledge_base, load_facts, load_rules
from policyeval.scenarios.format import Scenario, load_scenarios, raise_if_any
from policyeval.scenarios.judge import ScenarioResult, judge

__all__ = ["ScenarioRunner", "ScenarioWorld", "run_scenario", "run_scenarios"]


@dataclass(frozen=True)
class _Referrer:
    """A base record naming another one: which record, in which field."""

    record: str
    label: str
    path: str
    kinds: tuple[str, ...]
    source: FactSource | None


@dataclass
class _Base:
    """A base fact directory, loaded once: its facts, who refers to whom, and the knowledge
    bases compiled over it (the whole base, and the base without some records)."""

    directory: Path
    facts: FactBase
    referrers: Mapping[str, list[_Referrer]]
    compiled: dict[frozenset[str], KnowledgeBase] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path) -> _Base:
        facts = load_facts(directory).fact_base
        sources = {f.source.record: f.source for f in facts.facts if f.source and f.source.record}
        referrers: dict[str, list[_Referrer]] = {}
        for kind, by_id in facts.records.items():
            for rid, record in by_id.items():
                for ref in record.references():
                    label = f"{kind} `{rid}`"
                    referrer = _Referrer(rid, label, dotted(ref.path), ref.kinds, sources.get(rid))
                    referrers.setdefault(ref.target, []).append(referrer)
        return cls(directory, facts, referrers)

    def without(self, removed: set[str]) -> FactBase:
        """The fact base with the records ``removed`` dropped."""
        if not removed:
            return self.facts
        records = {
            kind: {rid: r for rid, r in by_id.items() if rid not in removed}
            for kind, by_id in self.facts.records.items()
        }
        facts = [f for f in self.facts.facts if not f.source or f.source.record not in removed]
        version = f"{self.facts.version}-{'-'.join(sorted(removed))}"
        return FactBase(records, facts, version, self.facts.vocabulary)


@dataclass(frozen=True)
class ScenarioWorld:
    """A scenario's world as the service would see it: a served knowledge base and the facts
    assumed for the question (the overlay)."""

    knowledge_base: KnowledgeBase
    assumed: list[BaseFact]


class ScenarioRunner:
    """Runs scenarios against one rule directory: the rules are parsed once and each base fact
    directory is loaded and compiled once."""

    def __init__(self, policies_dir: Path = Path("policies"), root: Path = Path(".")) -> None:
        self.policies_dir = policies_dir
        self.root = root
        self._rules: LoadedRules | None = None
        self._bases: dict[Path, _Base] = {}

    def run_all(self, scenarios: Iterable[Scenario]) -> list[ScenarioResult]:
        """Run every scenario; raises one :class:`ScenarioError` with every invalid one's
        problems (removals, overlays, questions that cannot be asked)."""
        results: list[ScenarioResult] = []
        problems: list[Problem] = []
        for scenario in scenarios:
            try:
                results.append(self.run(scenario))
            except ScenarioError as exc:
                problems += exc.problems
        raise_if_any("invalid scenarios", problems)
        return results

    def run(self, scenario: Scenario) -> ScenarioResult:
        """Build the scenario's world, ask its question, and judge the answer."""
        world = self.world(scenario)
        question = scenario.spec.question
        evaluator = Evaluator(world.knowledge_base)
        assume = world.assumed
        try:
            result = evaluator.query(question.predicate, question.args, assume=assume, proofs=False)
            first = result.answers[0].values if result.answers else None
            proof = evaluator.prove(question.predicate, first, assume=assume) if first else None
        except QueryError as exc:
            where = scenario.location(["question"])
            problem = Problem("invalid_question", exc.message, where)
            raise ScenarioError(exc.message, [problem]) from exc
        return judge(scenario, result, proof)

    def world(self, scenario: Scenario) -> ScenarioWorld:
        """The served knowledge base of the base facts without ``remove``, and the ``overlay``
        to assume. Raises :class:`ScenarioError` when those do not fit the base."""
        base = self._base(scenario)
        removed, problems = _removed(scenario, base)
        kept = base.without(removed)
        overlay, added, overlay_problems = _overlay(scenario, kept)
        problems += overlay_problems + _dangling(scenario, base, removed, added)
        raise_if_any(f"`{scenario.file}` does not fit its base facts", problems)
        key = frozenset(removed)
        if key not in base.compiled:
            base.compiled[key] = compile_knowledge_base(self.rules, kept.store(), kept.version)
        return ScenarioWorld(base.compiled[key], overlay)

    @property
    def rules(self) -> LoadedRules:
        """The parsed rule files (parsed on first use)."""
        if self._rules is None:
            self._rules = load_rules(self.policies_dir)
        return self._rules

    def _base(self, scenario: Scenario) -> _Base:
        directory = self.root / scenario.spec.base
        key = directory.resolve()
        if key not in self._bases:
            if not directory.is_dir():
                text = f"no fact directory `{scenario.spec.base}` under `{self.root}`"
                where = scenario.location(["base"])
                raise ScenarioError(text, [Problem("missing_base", text, where)])
            self._bases[key] = _Base.load(directory)
        return self._bases[key]


def run_scenario(
    scenario: Scenario, policies_dir: Path = Path("policies"), root: Path = Path(".")
) -> ScenarioResult:
    """Run one scenario. To run many, use :func:`run_scenarios` or one :class:`ScenarioRunner`,
    which parse the rules and load the facts once."""
    return ScenarioRunner(policies_dir, root).run(scenario)


def run_scenarios(
    paths: Iterable[Path], policies_dir: Path = Path("policies"), root: Path = Path(".")
) -> list[ScenarioResult]:
    """Load every scenario file under ``paths`` and run them all, in file order.

    Raises :class:`ScenarioError` (files or scenarios invalid), or the error of rules or base
    facts that do not load.
    """
    return ScenarioRunner(policies_dir, root).run_all(load_scenarios(paths))


# -- a scenario's world ---------------------------------------------------------------------


def _removed(scenario: Scenario, base: _Base) -> tuple[set[str], list[Problem]]:
    problems: list[Problem] = []
    known = {rid for by_id in base.facts.records.values() for rid in by_id}
    for position, rid in enumerate(scenario.spec.remove):
        if rid not in known:
            text = f"cannot remove `{rid}`: no record of the base facts has that id"
            text += suggest(rid, known)
            where = scenario.location(["remove", position])
            problems.append(Problem("unknown_record", text, where))
    return set(scenario.spec.remove) & known, problems


def _overlay(
    scenario: Scenario, kept: FactBase
) -> tuple[list[BaseFact], dict[str, str], list[Problem]]:
    """The overlay's facts and id → kind of its records, checked like a fact file's."""
    raw = [_as_fact_file_data(record) for record in scenario.spec.overlay]
    if not raw:
        return [], {}, []
    try:
        facts = load_fact_records(raw, scenario.file, base=kept)
    except FactError as exc:
        return [], {}, [_relocated(scenario, problem) for problem in exc.problems]
    added = {str(r["id"]): str(r["kind"]) for r in raw if "id" in r and "kind" in r}
    return facts, added, []


def _relocated(scenario: Scenario, problem: Problem) -> Problem:
    """A fact loader's problem about overlay record N, moved to where that record is written."""
    position = problem.location.line if problem.location else 1
    where = scenario.location(["overlay", position - 1])
    return Problem(problem.code, f"overlay: {problem.message}", where)


def _dangling(
    scenario: Scenario, base: _Base, removed: set[str], added: Mapping[str, str]
) -> list[Problem]:
    """References of the remaining base records to removed ones the overlay does not restore."""
    problems: list[Problem] = []
    for position, rid in enumerate(scenario.spec.remove):
        for referrer in base.referrers.get(rid, []) if rid in removed else []:
            if referrer.record in removed or added.get(rid) in referrer.kinds:
                continue
            where = f" ({referrer.source})" if referrer.source else ""
            text = (
                f"removing `{rid}` leaves a dangling reference: {referrer.label}{where} names it "
                f"in field `{referrer.path}`; remove that record too, or restore `{rid}` in "
                "the overlay"
            )
            problems.append(
                Problem("dangling_reference", text, scenario.location(["remove", position]))
            )
    return problems


def _as_fact_file_data(value: Any) -> Any:
    """Overlay data as a fact file would give it: dates as ISO text (pydantic parses them)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _as_fact_file_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_fact_file_data(item) for item in value]
    return value
