"""The library's public surface is pinned: changing it is a deliberate act."""

from __future__ import annotations

import policyeval

PUBLIC = [
    "BaseFact",
    "Evaluator",
    "FactBase",
    "FactError",
    "FactSource",
    "FactStore",
    "FailedCondition",
    "KnowledgeBase",
    "PolicyError",
    "Problem",
    "ProofNode",
    "QueryError",
    "QueryResult",
    "Reason",
    "Rule",
    "RuleCheckError",
    "RuleFailure",
    "RuleSet",
    "RuleSyntaxError",
    "ScenarioError",
    "TransferDecision",
    "UnknownEntityError",
    "Var",
    "build_knowledge_base",
    "check",
    "decide_transfer",
    "load_fact_files",
    "load_fact_records",
    "load_knowledge_base",
    "load_rule_set",
    "load_scenarios",
    "parse_rules",
    "run_scenarios",
]


def test_public_names_are_pinned() -> None:
    assert policyeval.__all__ == PUBLIC
    assert all(getattr(policyeval, name, None) is not None for name in PUBLIC)


def test_only_the_engine_module_imports_pydatalog() -> None:
    from pathlib import Path

    package = Path(policyeval.__file__).parent
    importers = sorted(
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if any(
            line.startswith(("from pyDatalog", "import pyDatalog"))
            for line in path.read_text(encoding="utf-8").splitlines()
        )
    )
    assert importers == ["engine.py"]
