"""A decision's report: the page carries the question, the answer, the decree's text of every
clause cited, the facts with file:line, versions, who asked and when; every value is escaped;
decisions of older and newer shapes render; the PDF is a PDF; the CLI reads the decision log."""

from __future__ import annotations

import datetime as dt
import html
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from paths import FACTS, POLICIES
from policyeval import (
    DecisionLog,
    ReportError,
    Snapshot,
    TransferDecision,
    decide_transfer,
    load,
    render_report_html,
    render_report_pdf,
    report_clauses,
)
from policyeval.cli import app

ASKED_AT = dt.datetime(2026, 3, 10, 9, 15, tzinfo=dt.UTC)
ON = dt.date(2026, 3, 10)


@pytest.fixture(scope="module")
def snapshot() -> Snapshot:
    return load([POLICIES], FACTS)


def decide(snapshot: Snapshot, executor: str, secret: str) -> TransferDecision:
    rules = snapshot.in_force(ON)
    return decide_transfer(
        rules.evaluator(),
        "kazspecmash",
        executor,
        [secret],
        ON,
        redaction=rules.redaction,
        warnings=rules.warnings,
    )


@pytest.fixture(scope="module")
def allowed(snapshot: Snapshot) -> TransferDecision:
    return decide(snapshot, "nurtech", "doc_1")


@pytest.fixture(scope="module")
def refused(snapshot: Snapshot) -> TransferDecision:
    return decide(snapshot, "bereke_systems", "doc_9")


def page(snapshot: Snapshot, decision: TransferDecision | dict[str, Any]) -> str:
    return render_report_html(
        decision, asked_by="officer-7", asked_at=ASKED_AT, clauses=report_clauses(snapshot, None)
    )


def words(text: str) -> str:
    """The page's text as a reader sees it: tags dropped, entities decoded, whitespace
    collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", "", text)).split())


def quoted(snapshot: Snapshot, clause: str, shown: str) -> bool:
    """Whether the page shows the decree's text of ``clause``, paragraph by paragraph."""
    entry = snapshot.clause(clause)
    assert entry is not None and entry.text
    return all(" ".join(p.split()) in shown for p in entry.text.split("\n\n"))


def test_an_allowed_report_shows_the_question_proof_clauses_and_facts(
    snapshot: Snapshot, allowed: TransferDecision
) -> None:
    shown = words(page(snapshot, allowed))
    assert allowed.decision == "allowed"
    assert "ALLOWED" in shown and "REFUSED" not in shown
    assert allowed.question in shown
    assert allowed.decision_id in shown
    assert "officer-7" in shown and "2026-03-10 09:15:00+00:00" in shown
    assert allowed.policy_version in shown and allowed.facts_version in shown
    assert allowed.redaction.enacted_by in shown
    assert "later_redaction" in shown
    assert "cl3.transfer_allowed" in shown
    for clause in allowed.per_secret[0].clauses:
        assert quoted(snapshot, clause, shown), clause
    assert "facts/secrets.yaml:5" in shown and "facts/organizations.yaml:11" in shown
    assert "in force until 2026-02-28" in shown


def test_a_refused_report_gives_each_reason_with_its_clause(
    snapshot: Snapshot, refused: TransferDecision
) -> None:
    shown = words(page(snapshot, refused))
    assert "REFUSED" in shown and "ALLOWED" not in shown
    assert refused.decision_id in shown
    for reason in refused.reasons:
        assert reason.rule in shown
        assert quoted(snapshot, reason.clause, shown)
        for missing in reason.missing:
            assert missing in shown


def test_every_value_is_escaped(snapshot: Snapshot, allowed: TransferDecision) -> None:
    data = allowed.model_dump(mode="json")
    data["decision_id"] = "<script>alert(1)</script>"
    data["question"] = 'may <b onclick="x()">a</b> transfer?'
    rendered = render_report_html(
        data, asked_by="<img src=x onerror=y()>", asked_at=ASKED_AT, clauses=()
    )
    assert "<script>alert" not in rendered and "<b onclick" not in rendered
    assert "<img" not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    assert "<script" not in rendered.lower()  # nor any script of the page's own


def test_nothing_is_fetched_from_elsewhere(snapshot: Snapshot, allowed: TransferDecision) -> None:
    rendered = page(snapshot, allowed)
    assert "http://" not in rendered and "https://" not in rendered
    assert "<link" not in rendered and "@import" not in rendered and "@font-face" not in rendered


def test_an_older_decision_with_proofs_per_secret_only_still_renders(
    snapshot: Snapshot, allowed: TransferDecision
) -> None:
    data = allowed.model_dump(mode="json")
    data["proof"] = []
    assert "cl3.transfer_allowed" in words(page(snapshot, data))
    del data["per_secret"][0]["proof"]
    data["per_secret"][0]["proof"] = None
    assert "cl3.transfer_allowed" not in words(page(snapshot, data))


def test_newer_refusal_fields_are_shown_when_present(
    snapshot: Snapshot, refused: TransferDecision
) -> None:
    data = refused.model_dump(mode="json")
    data["reasons"] = [
        {
            "clause": "9",
            "rule": "cl9.not_suspended",
            "text": "the order under agreement a_8 is suspended",
            "reading": "the order under agreement a_8 has not been suspended",
            "missing": ["the customer suspended the order on 2026-02-01"],
            "blocking": [
                {
                    "fact": "order_suspension(s_1, a_8)",
                    "source": {"file": "facts/agreements.yaml", "line": 77, "record": "s_1"},
                }
            ],
            "other_ways": [{"rule": "cl10.x", "clause": "10", "reading": "r", "failed": 2}],
        }
    ]
    data["repairs"] = [
        {
            "summary": "lift the suspension s_1",
            "changes": [{"record": "s_1", "field": "lifted_on", "value": "2026-03-01"}],
            "checked": True,
        }
    ]
    data["per_secret"][0]["repairs"] = {
        "repairs": [{"text": "conclude a new agreement", "changes": [{"text": "add a_9"}]}],
        "none_because": None,
    }
    shown = words(page(snapshot, data))
    assert "doc_9: conclude a new agreement" in shown and "add a_9" in shown
    assert "s_1.lifted_on = 2026-03-01" in shown
    assert "the order under agreement a_8 is suspended" in shown
    assert "has not been suspended" in shown
    assert "order_suspension(s_1, a_8) at facts/agreements.yaml:77 (record s_1)" in shown
    assert "lift the suspension s_1" in shown and "lifted_on" in shown and "checked" in shown
    assert quoted(snapshot, "9", shown) and quoted(snapshot, "10", shown)


def test_the_pdf_is_a_pdf(snapshot: Snapshot, refused: TransferDecision) -> None:
    assert render_report_pdf(page(snapshot, refused)).startswith(b"%PDF-")


def test_without_weasyprint_the_pdf_is_a_report_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # importing it raises ImportError
    with pytest.raises(ReportError, match="WeasyPrint"):
        render_report_pdf("<p>x</p>")


# -- the command ----------------------------------------------------------------------------


@pytest.fixture()
def decision_log(tmp_path: Path, allowed: TransferDecision) -> Path:
    path = tmp_path / "decisions.sqlite3"
    DecisionLog(path).record(allowed, "officer-7", ASKED_AT)
    return path


def test_the_report_command_writes_html_and_pdf(
    decision_log: Path, allowed: TransferDecision, tmp_path: Path
) -> None:
    out, pdf = tmp_path / "r.html", tmp_path / "r.pdf"
    args = ["report", allowed.decision_id, "--log", str(decision_log), "--policies", str(POLICIES)]
    result = CliRunner().invoke(app, [*args, "--html", str(out), "--pdf", str(pdf)])
    assert result.exit_code == 0, result.output
    shown = words(out.read_text(encoding="utf-8"))
    assert allowed.decision_id in shown and "officer-7" in shown and "ALLOWED" in shown
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_the_report_command_says_when_the_id_is_unknown(decision_log: Path) -> None:
    result = CliRunner().invoke(app, ["report", "nope", "--log", str(decision_log)])
    assert result.exit_code == 2
    assert "no decision `nope`" in result.output
