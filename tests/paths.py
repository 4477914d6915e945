"""Where the tests' inputs are: the project's own rule files, facts and scenarios, and the toy
ones under ``tests/fixtures``. Every test module takes its paths from here."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The checkout."""

POLICIES = ROOT / "policies"
FACTS = ROOT / "facts"
SCENARIOS = ROOT / "tests" / "scenarios"
"""The decree's rules, the bundled world and the lawyers' scenarios."""

FIXTURES = ROOT / "tests" / "fixtures"
TOY_POLICIES = FIXTURES / "toy_policies"
TOY_FACTS = FIXTURES / "toy_facts"
TOY_SCENARIOS = FIXTURES / "toy_scenarios"
"""A small transfer rule, its world and scenarios passing and failing on it."""

TOY_REDACTIONS = FIXTURES / "toy_redactions"
"""Two made-up redactions of the toy rules (``first``, ``second``), each declaring its period."""

BENCH = ROOT / "bench"
"""The benchmarks (their world generator is used by property tests)."""
