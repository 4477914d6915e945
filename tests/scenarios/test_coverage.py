"""The status of each quoted sentence of the decree (``Status:`` lines beneath the quotes): how
they are read, what is a problem, the comparison with the decree's text, the index and the CLI."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from paths import TOY_POLICIES
from policyeval.cli import app
from policyeval.language.parser import load_rule_set
from policyeval.scenarios.clause_index import clause_index, render_clause_index_markdown
from policyeval.scenarios.coverage import (
    DECREE_NOT_QUOTED,
    QUOTE_NOT_IN_DECREE,
    STATUS_INVALID,
    STATUS_MISSING,
    coverage_problems,
    decree_sentences,
    sentence_entries,
)

RULES = """
```datalog
@id("a.done") @reading("{X} is done")
done(X) :- thing(X).

@id("a.kept") @reading("{X} is kept")
kept(X) :- thing(X).
```
"""

TWO_SENTENCES = "> It is done. At the same time, it is\n> returned.\n"


def rule_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "rules" / "01-one.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text("# One\n\n## 1. Scope\n\n" + body + RULES, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, body: str) -> list[tuple[str, int, str]]:
    rules = load_rule_set([rule_file(tmp_path, body)])
    return [
        (p.code, p.location.line if p.location else 0, p.message) for p in coverage_problems(rules)
    ]


def test_each_sentence_gets_the_status_naming_its_opening_words(tmp_path: Path) -> None:
    body = (
        TWO_SENTENCES + "\n- Status “It is done”: encoded by `a.done`, `a.kept`\n"
        "- Status “At the same time”: partly by `a.kept` — the return is\n"
        "  not dated.\n"
    )
    rules = load_rule_set([rule_file(tmp_path, body)])
    [done, returned] = sentence_entries(rules)["1"]
    assert (done.text, done.status, done.rules, done.note) == (
        "It is done.",
        "encoded",
        ["a.done", "a.kept"],
        "",
    )
    assert (returned.text, returned.status, returned.rules) == (
        "At the same time, it is returned.",
        "partly",
        ["a.kept"],
    )
    assert returned.note == "the return is not dated."
    assert done.location == "01-one.md:5"
    assert coverage_problems(rules) == []


def test_one_status_without_opening_words_covers_a_one_sentence_quote(tmp_path: Path) -> None:
    body = "> It is done.\n\nStatus: not a condition — it only introduces what follows.\n"
    rules = load_rule_set([rule_file(tmp_path, body)])
    [entry] = sentence_entries(rules)["1"]
    assert (entry.status, entry.note) == ("not a condition", "it only introduces what follows.")


def test_a_sentence_without_a_status_is_a_problem(tmp_path: Path) -> None:
    body = TWO_SENTENCES + "\n- Status “It is done”: encoded by `a.done`\n"
    [(code, line, message)] = problems_of(tmp_path, body)
    assert (code, line) == (STATUS_MISSING, 5)
    assert (
        "clause 1: the quoted sentence “At the same time, it is returned.” has no status" in message
    )


def test_statuses_that_say_too_little_or_name_unknown_rules_are_problems(tmp_path: Path) -> None:
    body = (
        "> One. Two. Three. Four. Five. Six.\n\n"
        "- Status “One”: encoded\n"
        "- Status “Two”: partly by `a.done`\n"
        "- Status “Three”: not encoded by `a.done` — no fact shows it\n"
        "- Status “Four”: encoded by `a.gone`\n"
        "- Status “Five”: maybe\n"
        "- Status “Six”: not encoded — no fact shows it\n"
        "- Status “Six”: not encoded — said twice\n"
        "- Status “Seven”: encoded by `a.done`\n"
        "- Status: encoded by `a.done`\n"
    )
    messages = [(line, message) for code, line, message in problems_of(tmp_path, body)]
    assert {code for code, _, _ in problems_of(tmp_path, body)} == {STATUS_INVALID, STATUS_MISSING}
    assert messages == [
        (5, "clause 1: the quoted sentence “Five.” has no status line beneath its quote"),
        (7, "`encoded` names no rule: add `by `rule.id``"),
        (8, "`partly` needs a note after `—`"),
        (9, "`not encoded` names rules: say `partly`"),
        (10, "the status names the unknown rule `a.gone`"),
        (
            11,
            "this status does not parse: write `Status: KIND [by `rule.id`, …] [— note]`, "
            "KIND one of encoded, partly, not encoded, not a condition",
        ),
        (13, "this sentence has a status already"),
        (14, "“Seven” opens 0 sentences of the quote above, not one"),
        (15, 'the quote holds 6 sentences: name one, `Status "Its first words": …`'),
    ]


def test_a_status_beneath_no_quote_is_a_problem(tmp_path: Path) -> None:
    body = "> It is done.\n\nStatus: encoded by `a.done`\n\nProse.\n\nStatus: encoded by `a.done`\n"
    assert problems_of(tmp_path, body) == [
        (STATUS_INVALID, 11, "this status line is beneath no quote")
    ]


def test_a_status_after_a_datalog_block_belongs_to_no_quote(tmp_path: Path) -> None:
    body = "> It is done.\n\n```datalog\n```\n\nStatus: encoded by `a.done`\n"
    codes = [code for code, _, _ in problems_of(tmp_path, body)]
    assert codes == [STATUS_MISSING, STATUS_INVALID]


DECREE = """# Decree

1. Approve the Rules.

## **Rules**

**Footnote. Amended.**

1. It is done. At the same time, it is

returned.

1) the first item;

A last paragraph.
"""


def test_the_decree_is_read_per_clause_page_breaks_joined(tmp_path: Path) -> None:
    decree = tmp_path / "DECREE.md"
    decree.write_text(DECREE, encoding="utf-8")
    found = [(s.clause, s.text, s.location.line) for s in decree_sentences(decree)]
    assert found == [
        ("1", "It is done.", 9),
        ("1", "At the same time, it is returned.", 9),
        ("1.1", "1) the first item;", 13),
        ("1", "A last paragraph.", 15),
    ]


def test_quotes_are_compared_with_the_decree_both_ways(tmp_path: Path) -> None:
    decree = tmp_path / "DECREE.md"
    decree.write_text(DECREE, encoding="utf-8")
    body = (
        "> It is done. At the same time, it is returned!\n\n"
        "- Status “It is done”: encoded by `a.done`\n"
        "- Status “At the same time”: not encoded — no fact shows it\n"
    )
    rules = load_rule_set([rule_file(tmp_path, body)])
    problems = [(p.code, p.message) for p in coverage_problems(rules, decree)]
    assert (
        QUOTE_NOT_IN_DECREE,
        "clause 1: the quoted sentence “At the same time, it is returned!” is not a sentence "
        "of this clause in the decree's text",
    ) in problems
    assert sorted(code for code, _ in problems) == [
        DECREE_NOT_QUOTED,
        DECREE_NOT_QUOTED,
        DECREE_NOT_QUOTED,
        QUOTE_NOT_IN_DECREE,
    ]


def test_the_index_counts_the_statuses_and_links_the_rules(tmp_path: Path) -> None:
    body = (
        TWO_SENTENCES + "\n- Status “It is done”: encoded by `a.done`\n"
        "- Status “At the same time”: not encoded — no fact | shows it\n"
    )
    text = render_clause_index_markdown(clause_index(load_rule_set([rule_file(tmp_path, body)])))
    assert (
        "**2 sentences:** 1 encoded, 0 partly, 1 not encoded, 0 not a condition, "
        "0 without a status." in text
    )
    assert "| not encoded | no rule checks it; the note says why | 1 | 1 |" in text
    assert (
        "| “It is done.” ([01-one.md:5](01-one.md#L5)) | **encoded** | "
        "[`a.done`](01-one.md#L13) |" in text
    )
    assert "| **not encoded** — no fact \\| shows it | — |" in text
    assert "- [`a.kept`](01-one.md#L16) — {X} is kept" in text


def test_the_clauses_command_checks_the_statuses() -> None:
    result = CliRunner().invoke(app, ["clauses", "--policies", str(TOY_POLICIES), "--check"])
    assert result.exit_code == 1
    assert f"{TOY_POLICIES}/transfer.md:7:1: status_missing: clause 3: the quoted" in result.stdout
    assert "4 problems" in result.stderr
