"""Judging a scenario: what the rules decided against what the scenario expects, down to the
clauses the refusal's reasons cite."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from policyeval.errors import counted
from policyeval.evaluator import Outcome, QueryResult
from policyeval.explain.model import ProofNode
from policyeval.explain.reasons import Reason, cited_clauses
from policyeval.language.syntax import format_value
from policyeval.scenarios.format import Expectation, Scenario, covers, sorted_clauses

__all__ = ["ScenarioResult", "citation_failures", "judge"]


class ScenarioResult(BaseModel):
    """What a scenario expected, what the rules decided, and why it passed or failed."""

    file: str
    name: str
    clause: str
    question: str
    passed: bool
    expected: Outcome
    decision: Outcome
    expected_cites: list[str] = Field(default_factory=list)
    cited: list[str] = Field(default_factory=list, description="clauses the reasons cite")
    answers: int = 0
    failures: list[str] = Field(default_factory=list, description="why it failed, one a line")
    reasons: list[Reason] = Field(default_factory=list, description="why refused")
    proof: ProofNode | None = Field(default=None, description="why allowed: the first answer")

    def __str__(self) -> str:
        lines = [f"{'PASS' if self.passed else 'FAIL'} {self.file}: {self.name}"]
        lines += [f"  {failure}" for failure in self.failures]
        return "\n".join(lines)


def judge(scenario: Scenario, result: QueryResult, proof: ProofNode | None) -> ScenarioResult:
    """Compare what the rules decided with what the scenario expects."""
    expect = scenario.spec.expect
    failures = _failures(expect, result, proof)
    return ScenarioResult(
        file=scenario.file,
        name=scenario.name,
        clause=scenario.clause,
        question=result.question,
        passed=not failures,
        expected=expect.decision,
        decision="allowed" if result.answers else "refused",
        expected_cites=list(expect.cites),
        cited=sorted_clauses(cited_clauses(result.reasons)),
        answers=len(result.answers),
        failures=failures,
        reasons=result.reasons,
        proof=proof,
    )


def _failures(expect: Expectation, result: QueryResult, proof: ProofNode | None) -> list[str]:
    if expect.decision == "allowed" and not result.answers:
        return [f"expected allowed but refused: reasons {_reasons_text(result.reasons)}"]
    if expect.decision == "refused" and result.answers:
        return [f"expected refused but allowed: {_answers_text(result, proof)}"]
    failures: list[str] = []
    if expect.answers is not None and len(result.answers) != expect.answers:
        failures.append(
            f"expected {counted(expect.answers, 'answer')} but got {_answers_text(result, proof)}"
        )
    if expect.decision == "refused":
        failures += citation_failures(expect.cites, result.reasons)
    return failures


def citation_failures(expected: Sequence[str], reasons: Sequence[Reason]) -> list[str]:
    """Every expected clause no reason cites, and every reason citing a clause not expected (a
    reason's folded other ways count as citing their clauses)."""
    cited = sorted_clauses(cited_clauses(list(reasons)))
    failures = [
        f"expected a reason citing {clause} but got none; the reasons cite "
        f"{', '.join(cited) or 'no clause'}"
        for clause in expected
        if not any(covers(clause, other) for other in cited)
    ]
    failures += [
        f"cites {reason.clause} which the scenario did not break: {_reason_text(reason)}"
        for reason in reasons
        if not any(covers(clause, reason.clause) for clause in expected)
    ]
    failures += [
        f"cites {way.clause} which the scenario did not break: {way} (another way under "
        f"rule {reason.rule})"
        for reason in reasons
        for way in reason.other_ways
        if not any(covers(clause, way.clause) for clause in expected)
    ]
    return failures


def _reason_text(reason: Reason) -> str:
    missing = f" ({'; '.join(reason.missing)})" if reason.missing else ""
    return f"rule {reason.rule} — {reason.text}{missing}"


def _reasons_text(reasons: Sequence[Reason]) -> str:
    if not reasons:
        return "none given"
    return "; ".join(f"clause {reason.clause}, {_reason_text(reason)}" for reason in reasons)


def _answers_text(result: QueryResult, proof: ProofNode | None, shown: int = 3) -> str:
    """``2 answers: (a, b), (c, d), the first by rules r1, r2``."""
    rows = [
        "(" + ", ".join(format_value(value) for value in answer.values) + ")"
        for answer in result.answers[:shown]
    ]
    if len(result.answers) > shown:
        rows.append("…")
    text = counted(len(result.answers), "answer")
    text += f": {', '.join(rows)}" if rows else ""
    if proof is not None:
        text += f", the first by rules {', '.join(sorted(proof.rule_ids()))}"
    return text
