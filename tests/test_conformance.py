"""The strict (non-defeasible) cases of the `datalog-conformance` suite, on our language and engine.

Every case that uses only supported features must pass; the rest are skipped with the reason.
The largest (Soufflé's lubm, 103k facts, and hmmer, 52k) run too: the adapter computes every
derived predicate bottom-up, as tables are computed when a fact base loads.
`summary` prints the counts (run with ``-s`` to see them).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from datalog_conformance import plugin
from datalog_conformance.runner import YamlTestRunner
from datalog_conformance.schema import TestCase as ConformanceCase

from conformance_adapter import PolicyevalEvaluator, Unsupported

STRICT_CATEGORIES = ("basic", "negation", "recursion", "errors")


def _strict_cases() -> list[tuple[Path, Any]]:
    """The suite's own discovery, restricted to the strict categories and using libyaml."""
    cases: list[tuple[Path, Any]] = []
    for category in STRICT_CATEGORIES:
        for path in sorted((plugin.get_tests_dir() / category).rglob("*.yaml")):
            raw = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
            if isinstance(raw, dict) and "tests" in raw:
                cases.extend((path, c) for c in plugin._load_multi_case_file(raw, path))
            elif raw is not None:
                cases.append((path, ConformanceCase.from_dict(raw)))
    return [(path, case) for path, case in cases if case.program is not None]


CASES = _strict_cases()
OUTCOMES: Counter[str] = Counter()


def _case_id(item: tuple[Path, Any]) -> str:
    path, case = item
    return f"{path.parent.name}/{case.name}"


@pytest.mark.parametrize("item", CASES, ids=[_case_id(c) for c in CASES])
def test_conformance_case(item: tuple[Path, Any]) -> None:
    _, case = item
    runner = YamlTestRunner(PolicyevalEvaluator(case.expect_error, nemo="nemo" in case.tags))
    try:
        runner.run_test_case(case)
    except Unsupported as exc:
        OUTCOMES["unsupported: " + str(exc)] += 1
        pytest.skip(f"unsupported feature: {exc}")
    except Exception as exc:
        if isinstance(exc.__cause__, Unsupported) or isinstance(exc.__context__, Unsupported):
            OUTCOMES["unsupported"] += 1
            pytest.skip(f"unsupported feature: {exc.__cause__ or exc.__context__}")
        OUTCOMES["failed"] += 1
        raise
    OUTCOMES["passed"] += 1


def test_conformance_suite_is_present() -> None:
    assert len(CASES) >= 50
