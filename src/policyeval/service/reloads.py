"""Loading rules and facts in the background: at start, and on ``POST /v1/reload``.

A load reads and checks every file, which takes seconds on the bundled world and minutes on a
national one; the service keeps answering meanwhile — with the snapshot it already serves, or, at
start, with ``/healthz`` saying ``loading`` (and every other endpoint a 503 until the first
snapshot is ready). One load runs at a time; a second request joins the running one. A load that
fails leaves the served snapshot as it was and records every problem for ``GET
/v1/reload/{id}``.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from policyeval import AppliedRedaction, PolicyError, Problem, Snapshot, collector_paused, load
from policyeval.service.settings import Settings

JobState = Literal["running", "done", "failed"]

KEPT_JOBS = 32
"""Loads whose outcome ``GET /v1/reload/{id}`` still answers (the latest ones)."""


@dataclass(frozen=True, slots=True)
class Served:
    """What a snapshot served: its versions and counts, kept after the snapshot itself is
    replaced (a job never holds a snapshot: each reload would keep the world it replaced)."""

    policy_version: str
    facts_version: str
    rules: int
    clauses: int
    facts: int
    redactions: list[AppliedRedaction]

    @classmethod
    def of(cls, snapshot: Snapshot) -> Served:
        return cls(
            policy_version=snapshot.policy_version,
            facts_version=snapshot.facts_version,
            rules=len(snapshot.knowledge_base.rules.rules),
            clauses=len(snapshot.clauses),
            facts=len(snapshot.knowledge_base.facts),
            redactions=snapshot.redactions,
        )


@dataclass
class LoadJob:
    """One load of rules and facts: its progress messages and its outcome."""

    id: str
    started: dt.datetime
    state: JobState = "running"
    progress: list[str] = field(default_factory=list)
    finished: dt.datetime | None = None
    served: Served | None = None
    """What the load gave, once it is done."""
    previous: Served | None = None
    """What was served before it."""
    error: PolicyError | None = None
    done: threading.Event = field(default_factory=threading.Event)


class Loader:
    """Runs loads one at a time in a background thread and swaps in each new snapshot."""

    def __init__(self, settings: Settings, swap: Callable[[Snapshot], Snapshot | None]) -> None:
        self.settings = settings
        self._swap = swap
        self._lock = threading.Lock()
        self._jobs: dict[str, LoadJob] = {}
        self._running: LoadJob | None = None

    def start(self) -> LoadJob:
        """Start a load, or return the one running."""
        with self._lock:
            if self._running is not None and self._running.state == "running":
                return self._running
            job = LoadJob(uuid.uuid4().hex, dt.datetime.now(dt.UTC))
            self._jobs[job.id] = job
            for old in list(self._jobs)[:-KEPT_JOBS]:
                del self._jobs[old]
            self._running = job
        threading.Thread(target=self._run, args=(job,), name=f"load-{job.id}", daemon=True).start()
        return job

    def job(self, job_id: str) -> LoadJob | None:
        return self._jobs.get(job_id)

    def latest(self) -> LoadJob | None:
        return self._running

    def _run(self, job: LoadJob) -> None:
        settings = self.settings
        # The collector stays off until the swap has collected and frozen the heap: its first
        # pass would otherwise walk every object of the load once more.
        with collector_paused():
            try:
                snapshot = load(
                    settings.rule_directories,
                    settings.facts,
                    settings.scenarios,
                    progress=job.progress.append,
                    snapshots=settings.snapshots,
                )
            except PolicyError as exc:
                job.error, job.state = exc, "failed"
            except Exception as exc:
                problem = Problem("internal_error", f"{type(exc).__name__}: {exc}"[:500])
                job.error, job.state = PolicyError("the load failed", [problem]), "failed"
            else:
                previous = self._swap(snapshot)
                job.previous = Served.of(previous) if previous is not None else None
                job.served, job.state = Served.of(snapshot), "done"
        job.finished = dt.datetime.now(dt.UTC)
        job.done.set()
