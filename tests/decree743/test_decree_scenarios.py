"""The decree's scenarios, one test per ``tests/scenarios/*.yaml``: each decision and the clauses
its reasons cite, as ``policyeval test`` runs them; and the committed clause index is current."""

from __future__ import annotations

from pathlib import Path

import pytest

from paths import POLICIES, ROOT, SCENARIOS
from policyeval.loading import load_rules
from policyeval.scenarios.clause_index import (
    INDEX_COMMAND,
    clause_index,
    render_clause_index_markdown,
)
from policyeval.scenarios.format import load_scenarios, scenario_files
from policyeval.scenarios.runner import ScenarioRunner

INDEX = POLICIES / "INDEX.md"
FILES = scenario_files(SCENARIOS) if SCENARIOS.is_dir() else []


@pytest.fixture(scope="module")
def runner() -> ScenarioRunner:
    """One runner for every scenario: the rules and the base facts are read once."""
    return ScenarioRunner(POLICIES, ROOT)


@pytest.mark.parametrize(
    "file", FILES, ids=[file.relative_to(SCENARIOS).with_suffix("").as_posix() for file in FILES]
)
def test_scenario(runner: ScenarioRunner, file: Path) -> None:
    [scenario] = load_scenarios([file])
    result = runner.run(scenario)
    if not result.passed:
        pytest.fail("\n".join([f"{file.name}: {result.name}", *result.failures]), pytrace=False)


@pytest.mark.skipif(not INDEX.exists(), reason="policies/INDEX.md is not generated yet")
def test_the_committed_clause_index_is_current() -> None:
    entries = clause_index(load_rules(POLICIES).rules, SCENARIOS, strict=True)
    expected = render_clause_index_markdown(entries)
    assert INDEX.read_text(encoding="utf-8") == expected, f"regenerate it: {INDEX_COMMAND}"
