"""Golden refusals: every refusal of the bundled world and of the scenario files, as the text a
lawyer reads (reasons, blocking facts, other ways, checked repairs), kept under
``tests/golden``. A change to the wording or to what is blamed shows in the diff of those files.

Regenerate after a deliberate change with ``POLICYEVAL_UPDATE_GOLDEN=1 pytest
tests/explain/test_golden_refusals.py`` and review the diff as text.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import cache
from pathlib import Path

import pytest

from paths import FACTS, POLICIES, ROOT, SCENARIOS
from policyeval.decree743.decisions import decide_transfer
from policyeval.evaluator import Evaluator
from policyeval.loading import Snapshot, load
from policyeval.repairs import find_repairs
from policyeval.scenarios.format import Scenario, load_scenarios
from policyeval.scenarios.runner import ScenarioRunner

GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("POLICYEVAL_UPDATE_GOLDEN") == "1"

WORLD_REFUSALS = [
    ("nurtech", "doc_1", "2026-01-20"),
    ("nurtech", "doc_1", "2025-11-18"),
    ("nurtech", "doc_3", "2026-03-10"),
    ("nurtech", "doc_10", "2026-03-10"),
    ("nurtech", "doc_1", "2026-04-15"),
    ("steppe_systems", "doc_4", "2026-02-10"),
    ("steppe_systems", "doc_4", "2026-03-10"),
    ("tulpar_engineering", "doc_5", "2026-01-10"),
    ("tulpar_engineering", "doc_5", "2026-03-10"),
    ("bereke_systems", "doc_9", "2026-03-10"),
    ("ivanov_p", "doc_6", "2026-03-10"),
]
"""The refused questions of facts/README.md ("Questions worth asking"), customer kazspecmash."""


@cache
def _snapshot() -> Snapshot:
    return load(POLICIES, FACTS)


@cache
def _runner() -> ScenarioRunner:
    return ScenarioRunner(POLICIES, ROOT)


def _refused_scenarios() -> list[Scenario]:
    return [s for s in load_scenarios([SCENARIOS]) if s.spec.expect.decision == "refused"]


def _check(path: Path, text: str) -> None:
    text = text.replace(f"{ROOT}/", "")  # sources as a fresh clone names them
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.is_file(), f"no golden file {path}; run with POLICYEVAL_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{path} differs; review and regenerate"


@pytest.mark.parametrize(("executor", "secret", "on"), WORLD_REFUSALS, ids="_".join)
def test_each_refusal_of_the_bundled_world_reads_as_recorded(
    executor: str, secret: str, on: str
) -> None:
    day = dt.date.fromisoformat(on)
    rules = _snapshot().in_force(day)
    decision = decide_transfer(rules.evaluator(), "kazspecmash", executor, [secret], day)
    assert decision.decision == "refused"
    (item,) = decision.per_secret
    assert item.repairs is not None
    lines = [decision.question, *(reason.render("  ") for reason in item.reasons)]
    lines.append(item.repairs.render("  "))
    _check(GOLDEN / "world" / f"{executor}_{secret}_{on}.txt", "\n".join(lines) + "\n")


WORLD_ALLOWED = [
    ("nurtech", "doc_1", "2026-03-10"),
    ("saryarqa_tech", "sys_1", "2026-03-10"),
    ("tulpar_engineering", "doc_5", "2026-01-20"),
    ("seitkali_a", "doc_6", "2026-03-10"),
]


@pytest.mark.parametrize(("executor", "secret", "on"), WORLD_REFUSALS + WORLD_ALLOWED)
def test_the_default_answer_for_one_secret_stays_under_8_kb(
    executor: str, secret: str, on: str
) -> None:
    day = dt.date.fromisoformat(on)
    rules = _snapshot().in_force(day)
    decision = decide_transfer(rules.evaluator(), "kazspecmash", executor, [secret], day)
    assert len(decision.at_level("reasons").encode()) <= 8 * 1024
    assert len(decision.at_level("none").encode()) < len(decision.at_level("reasons").encode())


@pytest.mark.parametrize("scenario", _refused_scenarios(), ids=lambda s: Path(s.file).stem)
def test_each_refused_scenario_reads_as_recorded(scenario: Scenario) -> None:
    runner = _runner()
    result = runner.run(scenario)
    assert result.decision == "refused" and result.reasons
    lines = [result.question, *(reason.render("  ") for reason in result.reasons)]
    question = scenario.spec.question
    if all(arg is not None for arg in question.args):
        world = runner.world(scenario)
        evaluator = Evaluator(world.knowledge_base)
        args = [arg for arg in question.args if arg is not None]
        why_not = evaluator.why_not(question.predicate, args, assume=world.assumed)
        assert why_not is not None
        glossary = world.knowledge_base.glossary
        advice = find_repairs(evaluator, question.predicate, args, why_not, glossary, world.assumed)
        lines.append(advice.render("  "))
    _check(GOLDEN / "scenarios" / f"{Path(scenario.file).stem}.txt", "\n".join(lines) + "\n")
