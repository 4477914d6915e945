"""The clause index: for every clause of the decree, its quoted text, the rules implementing it
and the scenario files citing it. The CLI's ``clauses`` and the service's ``/v1/clauses`` show it.

A scenario file cites a clause when it lists it under a ``clauses``, ``cites`` or ``must_cite``
key (at any depth of a YAML or JSON file).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from policyeval.syntax import ClauseText, RuleSet

__all__ = ["ClauseEntry", "clause_index", "clause_sort_key", "scenario_citations"]

CITING_KEYS = frozenset({"clauses", "clause", "cites", "must_cite", "cited_clauses"})
"""Keys of a scenario file whose values are cited clause numbers."""

SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")


class ClauseEntry(BaseModel):
    """One clause: its number, heading title, the decree's text, and what refers to it."""

    clause: str
    title: str = ""
    text: str = ""
    location: str | None = Field(default=None, description="file:line of the clause heading")
    rules: list[str] = Field(default_factory=list, description="ids of rules implementing it")
    scenarios: list[str] = Field(default_factory=list, description="scenario files citing it")


def clause_index(rule_set: RuleSet, scenarios_dir: Path | None = None) -> list[ClauseEntry]:
    """Every clause quoted in the rule files or cited by a rule, in the decree's order."""
    quoted: dict[str, ClauseText] = {}
    for passage in rule_set.clauses:
        quoted.setdefault(passage.clause, passage)
    rules: dict[str, list[str]] = {}
    for rule in rule_set.rules:
        rules.setdefault(rule.clause, []).append(rule.id)
    citations = scenario_citations(scenarios_dir) if scenarios_dir is not None else {}
    entries: list[ClauseEntry] = []
    for clause in sorted(quoted.keys() | rules.keys(), key=clause_sort_key):
        text = quoted.get(clause)
        entries.append(
            ClauseEntry(
                clause=clause,
                title=text.title if text else "",
                text=text.text if text else "",
                location=f"{text.location.file}:{text.location.line}" if text else None,
                rules=rules.get(clause, []),
                scenarios=sorted(citations.get(clause, set())),
            )
        )
    return entries


def clause_sort_key(clause: str) -> tuple[tuple[int, int | str], ...]:
    """Order clause numbers as the decree does: ``3.2`` before ``3.10`` before ``4``.

    >>> sorted(["4", "3.10", "3.2", "11"], key=clause_sort_key)
    ['3.2', '3.10', '4', '11']
    """
    return tuple(
        (0, int(part)) if part.isdecimal() else (1, part) for part in re.split(r"[.)]+", clause)
    )


def scenario_citations(scenarios_dir: Path) -> dict[str, set[str]]:
    """Clause → the scenario files (relative to ``scenarios_dir``) that cite it."""
    if not scenarios_dir.is_dir():
        return {}
    found: dict[str, set[str]] = {}
    for path in sorted(scenarios_dir.rglob("*")):
        if path.suffix not in SCENARIO_SUFFIXES or not path.is_file():
            continue
        name = path.relative_to(scenarios_dir).as_posix()
        for clause in _cited(_read(path)):
            found.setdefault(clause, set()).add(name)
    return found


def _read(path: Path) -> object:
    """A scenario file's content; an unreadable file cites nothing (the runner reports it)."""
    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
        return None


def _cited(node: object, citing: bool = False) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _cited(value, str(key) in CITING_KEYS)
    elif isinstance(node, list):
        for item in node:
            yield from _cited(item, citing)
    elif citing and isinstance(node, (str, int, float)) and not isinstance(node, bool):
        yield str(node)
