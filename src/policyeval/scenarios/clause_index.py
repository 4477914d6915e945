"""The clause index: for every clause of the decree, its quoted text, each of its sentences with
its status (:mod:`policyeval.scenarios.coverage`), the rules implementing it and the scenario files
exercising it. The CLI's ``clauses`` and the service's ``/v1/clauses`` show it;
``policyeval clauses --markdown > policies/INDEX.md`` writes it for lawyers.

A scenario exercises the clause of its ``clause`` field and every clause of its
``expect.cites`` (:mod:`policyeval.scenarios.runner`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, Field

from policyeval.errors import ScenarioError
from policyeval.language.syntax import ClauseText, RuleSet, clause_sort_key
from policyeval.scenarios.coverage import (
    SentenceEntry,
    abbreviate,
    relative_place,
    rule_root,
    sentence_entries,
)
from policyeval.scenarios.format import Scenario, load_scenarios, scenario_files

__all__ = [
    "INDEX_COMMAND",
    "ClauseEntry",
    "SentenceEntry",
    "clause_index",
    "render_clause_index_markdown",
    "scenario_citations",
]

INDEX_COMMAND = "policyeval clauses --markdown > policies/INDEX.md"
"""The command that writes the committed Markdown index."""


class ClauseEntry(BaseModel):
    """One clause: its number, heading title, the decree's text, and what refers to it."""

    clause: str
    title: str = ""
    text: str = ""
    location: str | None = Field(default=None, description="file:line of the clause heading")
    source: str | None = Field(
        default=None, description="file:line of the clause heading, relative to the rule files"
    )
    rules: list[str] = Field(default_factory=list, description="ids of rules implementing it")
    readings: dict[str, str] = Field(default_factory=dict, description="rule id → its reading")
    rule_locations: dict[str, str] = Field(
        default_factory=dict,
        description="rule id → file:line relative to the rule files, for its rules and those "
        "its sentences name",
    )
    sentences: list[SentenceEntry] = Field(
        default_factory=list, description="each quoted sentence with its status"
    )
    scenarios: list[str] = Field(default_factory=list, description="scenario files exercising it")
    scenario_names: dict[str, str] = Field(
        default_factory=dict, description="scenario file → its name"
    )


def clause_index(
    rule_set: RuleSet, scenarios_dir: Path | None = None, *, strict: bool = False
) -> list[ClauseEntry]:
    """Every clause quoted or implemented in the rule files, or exercised by a scenario, in the
    decree's order.

    Scenario files that do not load are skipped, or with ``strict`` raise :class:`ScenarioError`.
    """
    quoted: dict[str, ClauseText] = {}
    for passage in rule_set.clauses:
        quoted.setdefault(passage.clause, passage)
    rules: dict[str, list[str]] = {}
    for rule in rule_set.rules:
        rules.setdefault(rule.clause, []).append(rule.id)
    readings = {rule.id: rule.reading for rule in rule_set.rules}
    root = rule_root(rule_set)
    places = {r.id: relative_place(r.location, root) for r in rule_set.rules if r.location}
    sentences = sentence_entries(rule_set)
    citing = scenario_citations(scenarios_dir, strict=strict) if scenarios_dir else {}
    entries: list[ClauseEntry] = []
    for clause in sorted(quoted.keys() | rules.keys() | citing.keys(), key=clause_sort_key):
        text = quoted.get(clause)
        scenarios = citing.get(clause, {})
        named = rules.get(clause, []) + [r for s in sentences.get(clause, []) for r in s.rules]
        entries.append(
            ClauseEntry(
                clause=clause,
                title=text.title if text else "",
                text=text.text if text else "",
                location=f"{text.location.file}:{text.location.line}" if text else None,
                source=relative_place(text.location, root) if text else None,
                rules=rules.get(clause, []),
                readings={rid: readings[rid] for rid in rules.get(clause, [])},
                rule_locations={r: places[r] for r in named if r in places},
                sentences=sentences.get(clause, []),
                scenarios=sorted(scenarios),
                scenario_names=dict(sorted(scenarios.items())),
            )
        )
    return entries


def scenario_citations(scenarios_dir: Path, *, strict: bool = False) -> dict[str, dict[str, str]]:
    """Clause → the scenarios exercising it: file (relative to ``scenarios_dir``) → name."""
    found: dict[str, dict[str, str]] = {}
    for scenario in _scenarios(scenarios_dir, strict):
        file = Path(scenario.file).relative_to(scenarios_dir).as_posix()
        for clause in scenario.exercised:
            found.setdefault(clause, {})[file] = scenario.name
    return found


def _scenarios(scenarios_dir: Path, strict: bool) -> Iterable[Scenario]:
    if not scenarios_dir.is_dir():
        return []
    if strict:
        return load_scenarios([scenarios_dir])
    loaded: list[Scenario] = []
    for file in scenario_files(scenarios_dir):
        try:  # a broken file exercises nothing here; the scenario runner reports it
            loaded += load_scenarios([file])
        except ScenarioError:
            continue
    return loaded


# -- Markdown -------------------------------------------------------------------------------

_MEANINGS = {
    "encoded": "the rules check what the facts can show of it",
    "partly": "the rules check part of it; the note says what they do not",
    "not encoded": "no rule checks it; the note says why",
    "not a condition": "it sets nothing to check; the note gives the reading",
}


def render_clause_index_markdown(entries: Iterable[ClauseEntry]) -> str:
    """The clause index as Markdown a lawyer reads: a count of the sentences per status, then
    per clause each sentence with its status and the rules encoding it (linked to file and line,
    relative to the rule files), the clause's rules with their readings, and its scenarios.

    The text has no clause headings, quotes or code blocks, so as a file among the rule files
    it adds no clause and no rule.

    >>> entry = ClauseEntry(clause="3.1", title="Permission", rules=["r"], readings={"r": "C | D"})
    >>> print(render_clause_index_markdown([entry]).split("## ")[-1].rstrip())
    § 3.1 — Permission
    <BLANKLINE>
    *Not quoted in the rule files.*
    <BLANKLINE>
    Rules:
    <BLANKLINE>
    - `r` — C \\| D
    <BLANKLINE>
    Scenarios: none.
    """
    entries = list(entries)
    lines = [
        f"<!-- Generated by `{INDEX_COMMAND}`: do not edit by hand. -->",
        "<!-- tests/decree743/test_decree_scenarios.py fails when this file differs from what "
        "it generates. -->",
        "",
        "# Index of the decree's clauses",
        "",
        "Each sentence of the decree as the rule files quote it, with what the rules do with it "
        "(the `Status:` lines beneath each quote), the rules encoding it, and the scenario tests "
        "exercising its clause.",
        "",
        *_summary(entries),
    ]
    for entry in entries:
        lines += _section(entry)
    return "\n".join(lines) + "\n"


def _summary(entries: list[ClauseEntry]) -> list[str]:
    """The count of sentences per status, with the clauses holding them."""
    sentences = [(entry.clause, s) for entry in entries for s in entry.sentences]
    rows: list[str] = []
    counts: list[str] = []
    for kind, meaning in [*_MEANINGS.items(), (None, "no status line yet: a problem to fix")]:
        clauses = dict.fromkeys(clause for clause, s in sentences if s.status == kind)
        count = sum(1 for _, s in sentences if s.status == kind)
        label = kind or "no status"
        counts.append(f"{count} {kind or 'without a status'}")
        rows.append(f"| {label} | {meaning} | {count} | {', '.join(clauses) or '—'} |")
    return [
        f"**{len(sentences)} sentences:** {', '.join(counts)}.",
        "",
        "| Status | Meaning | Sentences | Clauses |",
        "|---|---|---:|---|",
        *rows,
        "",
    ]


def _section(entry: ClauseEntry) -> list[str]:
    """One clause: its sentences, rules and scenarios."""
    title = f" — {_cell(entry.title)}" if entry.title else ""
    lines = [f"## § {entry.clause}{title}", ""]
    if entry.sentences:
        lines += ["| Sentence | Status | Rules |", "|---|---|---|"]
        lines += [_sentence_row(entry, sentence) for sentence in entry.sentences]
    else:
        lines.append("*Not quoted in the rule files.*")
    lines += ["", "Rules:" if entry.rules else "Rules: **none**.", ""]
    if entry.rules:
        lines += [f"- {_rule(entry, r)} — {_cell(entry.readings.get(r, ''))}" for r in entry.rules]
        lines.append("")
    scenarios = [
        f"- {_cell(entry.scenario_names.get(file, ''))} (`{_cell(file)}`)"
        for file in entry.scenarios
    ]
    lines += ["Scenarios:", "", *scenarios] if scenarios else ["Scenarios: none."]
    return [*lines, ""]


def _sentence_row(entry: ClauseEntry, sentence: SentenceEntry) -> str:
    text = f"“{_cell(abbreviate(sentence.text))}” ({_link(sentence.location)})"
    status = f"**{sentence.status}**" if sentence.status else "**no status**"
    if sentence.note:
        status += f" — {_cell(sentence.note)}"
    rules = "<br>".join(_rule(entry, rule) for rule in sentence.rules)
    return f"| {text} | {status} | {rules or '—'} |"


def _rule(entry: ClauseEntry, rule: str) -> str:
    """A rule id, linked to its file and line when known."""
    place = entry.rule_locations.get(rule)
    return f"[`{rule}`]({_target(place)})" if place else f"`{_cell(rule)}`"


def _link(place: str) -> str:
    """``file:line`` as a Markdown link to that line.

    >>> _link("03-sequence.md:13")
    '[03-sequence.md:13](03-sequence.md#L13)'
    """
    return f"[{place}]({_target(place)})"


def _target(place: str) -> str:
    file, _, line = place.rpartition(":")
    return f"{file}#L{line}"


def _cell(text: str) -> str:
    """Text for one table cell: one line, pipes escaped.

    >>> _cell("a | b\\n c")
    'a \\\\| b c'
    """
    return " ".join(text.replace("|", "\\|").split())
