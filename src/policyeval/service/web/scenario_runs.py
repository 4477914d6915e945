"""Running the lawyers' scenario tests from a page: in the background, one run at a time, the
last finished run kept per rules version.

A run takes about fifteen seconds on the bundled world, too long for a request: the page's
button starts a thread and the page shows the run under way until it is done. A test waits for
a run on its :attr:`ScenarioRun.done` event, or asks for it to run in the request itself.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI

from policyeval import PolicyError, ScenarioResult, load_scenarios, run_scenarios
from policyeval.service.settings import Settings

KEPT_VERSIONS = 4
"""Finished runs kept: the last one of each of this many rules versions."""


@dataclass
class ScenarioRun:
    """One run of every scenario file against the rules of ``policy_version``."""

    policy_version: str
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    seconds: float | None = None
    results: list[ScenarioResult] = field(default_factory=list)
    error: str | None = None
    problems: list[str] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def passed(self) -> int:
        return sum(result.passed for result in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    def execute(self, settings: Settings) -> None:
        """Run the scenarios of ``settings`` on its rules; whatever happens, end ``done``."""
        begun = time.perf_counter()
        try:
            root = scenario_root(settings.scenarios, _bases(settings.scenarios))
            self.results = run_scenarios([settings.scenarios], settings.policies, root)
        except PolicyError as exc:
            self.error = exc.message
            self.problems = [str(problem) for problem in exc.problems]
        except Exception as exc:  # a run's failure is shown, never lost
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.seconds = time.perf_counter() - begun
            self.done.set()


class ScenarioRuns:
    """The scenario runs of one service: the one under way, and the last finished per rules
    version."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: ScenarioRun | None = None
        self._finished: OrderedDict[str, ScenarioRun] = OrderedDict()

    @property
    def current(self) -> ScenarioRun | None:
        """The run under way, if any."""
        run = self._current
        return run if run is not None and not run.done.is_set() else None

    def last(self, policy_version: str) -> ScenarioRun | None:
        """The last finished run of the rules ``policy_version``."""
        with self._lock:
            return self._finished.get(policy_version)

    def start(self, settings: Settings, policy_version: str, *, wait: bool = False) -> ScenarioRun:
        """Start a run, or join the one under way; with ``wait``, return once it is done."""
        with self._lock:
            run = self.current
            fresh = run is None
            if run is None:
                run = self._current = ScenarioRun(policy_version)
        if fresh and wait:
            self._finish(run, settings)
        elif fresh:
            thread = threading.Thread(
                target=self._finish, args=(run, settings), name="scenario-run", daemon=True
            )
            thread.start()
        if wait:
            run.done.wait()
        return run

    def _finish(self, run: ScenarioRun, settings: Settings) -> None:
        run.execute(settings)
        with self._lock:
            self._finished[run.policy_version] = run
            self._finished.move_to_end(run.policy_version)
            while len(self._finished) > KEPT_VERSIONS:
                self._finished.popitem(last=False)


_made = threading.Lock()


def scenario_runs(app: FastAPI) -> ScenarioRuns:
    """The scenario runs of ``app`` (made on first use, kept on ``app.state``)."""
    with _made:
        runs = getattr(app.state, "scenario_runs", None)
        if not isinstance(runs, ScenarioRuns):
            runs = app.state.scenario_runs = ScenarioRuns()
        return runs


def _bases(scenarios: Path) -> set[str]:
    """The base fact directories the scenario files name (none when they do not load: the
    run then reports why)."""
    try:
        return {scenario.spec.base for scenario in load_scenarios([scenarios])}
    except PolicyError:
        return set()


def scenario_root(scenarios: Path, bases: Iterable[str]) -> Path:
    """The directory the scenarios' ``base`` fact directories are relative to: the nearest
    directory above the scenario directory under which every one holds fact files (the
    project the scenarios were written in: ``tests/scenarios`` → the checkout), else the
    working directory (what ``policyeval test`` uses), whatever directory the service runs in.

    >>> import tempfile
    >>> top = Path(tempfile.mkdtemp())
    >>> (top / "tests" / "scenarios").mkdir(parents=True)
    >>> (top / "tests" / "facts").mkdir()  # not fact files: test modules
    >>> (top / "facts").mkdir(); (top / "facts" / "world.yaml").write_text("[]")
    2
    >>> scenario_root(top / "tests" / "scenarios", {"facts"}) == top.resolve()
    True
    """
    wanted = set(bases) or {"facts"}
    start = scenarios.resolve()
    for candidate in (start, *start.parents):
        if all(_holds_facts(candidate / base) for base in wanted):
            return candidate
    return Path.cwd()


def _holds_facts(directory: Path) -> bool:
    """Whether ``directory`` holds a fact file (``*.yaml``, ``*.yml``) at any depth."""
    if not directory.is_dir():
        return False
    files = (path for pattern in ("*.yaml", "*.yml") for path in directory.rglob(pattern))
    return next(files, None) is not None
