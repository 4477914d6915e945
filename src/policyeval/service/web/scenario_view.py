"""The scenarios page's content: every scenario file under each clause it exercises (the
clause index's order), with the last run's result for it, or none before a run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from policyeval import ClauseEntry, ScenarioResult


@dataclass(frozen=True, slots=True)
class ScenarioRow:
    """A scenario file under a clause; ``anchor``: this row carries the file's anchor (its
    first row on the page, where clause pages link: ``/scenarios#<file>``)."""

    file: str
    name: str
    anchor: bool
    result: ScenarioResult | None


@dataclass(frozen=True, slots=True)
class ClauseGroup:
    """The scenarios exercising a clause (``clause`` None: files no clause lists)."""

    clause: str | None
    title: str
    rows: list[ScenarioRow]

    @property
    def passed(self) -> int:
        return sum(1 for row in self.rows if row.result is not None and row.result.passed)

    @property
    def failed(self) -> int:
        return sum(1 for row in self.rows if row.result is not None and not row.result.passed)


def scenario_groups(
    clauses: Sequence[ClauseEntry], results: Sequence[ScenarioResult], scenarios: Path
) -> list[ClauseGroup]:
    """A group per clause with scenarios, then one for results of files no clause lists."""
    by_file = {relative(result.file, scenarios): result for result in results}
    seen: set[str] = set()
    groups: list[ClauseGroup] = []
    for entry in clauses:
        if entry.scenarios:
            rows = [
                _row(file, entry.scenario_names.get(file), by_file, seen)
                for file in entry.scenarios
            ]
            groups.append(ClauseGroup(entry.clause, entry.title, rows))
    unlisted = [_row(file, None, by_file, seen) for file in by_file if file not in seen]
    if unlisted:
        groups.append(ClauseGroup(None, "", unlisted))
    return groups


def _row(
    file: str, name: str | None, by_file: dict[str, ScenarioResult], seen: set[str]
) -> ScenarioRow:
    result = by_file.get(file)
    anchor = file not in seen
    seen.add(file)
    return ScenarioRow(file, name or (result.name if result else file), anchor, result)


def relative(file: str, scenarios: Path) -> str:
    """A scenario file's path relative to the scenario directory, as the clause index names it.

    >>> relative("tests/scenarios/cl08_x.yaml", Path("tests/scenarios"))
    'cl08_x.yaml'
    """
    path, root = Path(file).resolve(), scenarios.resolve()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else Path(file).name
