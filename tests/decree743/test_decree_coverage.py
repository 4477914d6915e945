"""Every sentence of the decree is quoted in the rule files, word for word under its clause, and
carries a status saying what the rules do with it (``policies/DECREE-743.md`` is the text)."""

from __future__ import annotations

from typer.testing import CliRunner

from paths import POLICIES, SCENARIOS
from policyeval.cli import app
from policyeval.loading import load_rules
from policyeval.scenarios.clause_index import clause_index
from policyeval.scenarios.coverage import DECREE_FILE, coverage_problems, decree_sentences

DECREE = POLICIES / DECREE_FILE

CLAUSES = [
    *["1", "2", "2.1", "2.2", "2.3", "3", "3.1", "3.2", "3.3"],
    *["4", "4.1", "4.2", "4.3", "4.4", "4.5", "5", "6", "6.1", "6.2", "6.3", "6.4"],
    *["7", "8", "8.1", "8.2", "8.3", "8.4", "9", "10", "11"],
]


def test_the_decree_text_has_every_clause_and_sub_item() -> None:
    sentences = decree_sentences(DECREE)
    assert list(dict.fromkeys(s.clause for s in sentences)) == CLAUSES
    assert len(sentences) == 41
    assert sentences[-1].text.startswith("The transfer of state secrets to the executor")


def test_every_sentence_of_the_decree_is_quoted_and_has_a_status() -> None:
    problems = coverage_problems(load_rules(POLICIES).rules, DECREE)
    assert [str(problem) for problem in problems] == []


def test_the_index_says_what_is_not_encoded() -> None:
    entries = {e.clause: e for e in clause_index(load_rules(POLICIES).rules, SCENARIOS)}
    statuses = {
        (clause, s.text.split(",")[0]): s.status
        for clause, entry in entries.items()
        for s in entry.sentences
    }
    assert statuses[("10", "In cases of changes in functions")] == "not encoded"
    assert statuses[("2", "The following concepts are used in these Rules:")] == "not a condition"
    assert sum(len(e.sentences) for e in entries.values()) == 41
    assert all(s.status is not None for e in entries.values() for s in e.sentences)


def test_the_clauses_command_finds_no_problem_in_the_decree_rules() -> None:
    result = CliRunner().invoke(app, ["clauses", "--policies", str(POLICIES), "--check"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "ok: 41 sentences, each with a status\n"
