"""Shared test configuration: reproducible property tests.

Under ``CI`` (set by CI runs) hypothesis runs derandomized — the same examples every run, on
every machine — and keeps no example database between runs, so a CI run can never fail by
chance nor because of an example an earlier run saved. Elsewhere it explores as usual.
"""

from __future__ import annotations

import os
import tempfile

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Services built before any test runs (a module's or the browser tests' app) write their
# snapshot files here too, never into the checkout's `var/`; each test gets its own below.
os.environ["POLICYEVAL_SNAPSHOTS"] = tempfile.mkdtemp(prefix="policyeval-test-snapshots-")


@pytest.fixture(autouse=True)
def _private_state(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test writes its decision log and credentials under its own temporary directory,
    never into the checkout's ``var/`` (the CLI's ``decide`` logs its decisions)."""
    var = tmp_path_factory.mktemp("var")
    monkeypatch.setenv("POLICYEVAL_DECISION_LOG", str(var / "decisions.sqlite3"))
    monkeypatch.setenv("POLICYEVAL_CREDENTIALS", str(var / "credentials.json"))
    monkeypatch.setenv("POLICYEVAL_SESSION_SECRET", str(var / "session-secret"))
    monkeypatch.setenv("POLICYEVAL_SNAPSHOTS", str(var / "snapshots"))


@pytest.fixture(autouse=True)
def _no_wall_clock_in_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The repair search runs to its count bounds, not to its 2 s cap: what a refusal says must
    not depend on how fast the machine is (a slow CI machine once gave up a golden repair)."""
    monkeypatch.setattr("policyeval.repairs.SEARCH_SECONDS", None)
