"""Every error policyeval raises, located and with a stable code.

Hierarchy::

    PolicyError
    ├── RuleSyntaxError        a rule file does not parse            (code: parse_error)
    ├── RuleCheckError         rules parse but are rejected by check  (carries every Problem)
    ├── FactError              fact files are invalid                 (carries every Problem)
    ├── QueryError             a question is malformed (unknown predicate, wrong arity, …)
    │   └── OutOfRangeError    a built-in is given a value outside its domain (code: out_of_range)
    ├── UnknownEntityError     a question names an id the fact base does not have
    ├── ScenarioError          a scenario file is invalid                 (carries every Problem)
    ├── LimitError             a question is over a limit of the evaluator (a proof too deep)
    │   └── EvaluationTimeout  an evaluation spent its time budget and was stopped
    └── ReportError            a report cannot be written (no PDF library)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from policyeval.language.syntax import Location


@dataclass(frozen=True, slots=True)
class Problem:
    """One located problem: ``file:line:column: code: message``."""

    code: str
    message: str
    location: Location | None = None

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.code}: {self.message}"


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems by file, line and column (unlocated ones last); a stable sort, so problems at
    one place keep the order they were found in."""

    def key(problem: Problem) -> tuple[bool, str, int, int]:
        where = problem.location or Location("", 0, 0)
        return (problem.location is None, where.file, where.line, where.column)

    return sorted(problems, key=key)


def counted(count: int, noun: str) -> str:
    """``3 problems``, ``1 problem``.

    >>> counted(1, "problem"), counted(2, "problem")
    ('1 problem', '2 problems')
    """
    return f"{count} {noun}{'' if count == 1 else 's'}"


class PolicyError(Exception):
    """Base of every error policyeval raises on purpose."""

    code = "policy_error"

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems: list[Problem] = problems or []

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return "\n".join([self.message, *(str(p) for p in self.problems)])


class RuleSyntaxError(PolicyError):
    """A rule file does not parse; ``problems`` hold every syntax error found."""

    code = "parse_error"


class RuleCheckError(PolicyError):
    """A rule set parses but `check` rejects it; ``problems`` hold every finding."""

    code = "check_error"


class FactError(PolicyError):
    """Fact files are invalid; ``problems`` name file, record and field."""

    code = "fact_error"


class QueryError(PolicyError):
    """A question is malformed: unknown predicate, wrong number of arguments, bad value."""

    code = "query_error"


class OutOfRangeError(QueryError):
    """A built-in is given a value outside its domain: a date past the calendar's range, a
    period too long. The message names the built-in and the value."""

    code = "out_of_range"


class UnknownEntityError(PolicyError):
    """A question names an organization, person, secret or agreement that is not in the facts."""

    code = "unknown_entity"


class LimitError(PolicyError):
    """A question is over one of the evaluator's limits; the message names the limit."""

    code = "limit_exceeded"


class EvaluationTimeout(LimitError):
    """An evaluation ran past its time budget (:func:`policyeval.engine.budget.deadline`) and
    was stopped at its next lookup; nothing of it is kept."""

    code = "time_budget_exceeded"


class ScenarioError(PolicyError):
    """Scenario files are invalid; ``problems`` name file, line and field."""

    code = "scenario_error"


class ReportError(PolicyError):
    """A decision's report cannot be written: the PDF library or its system libraries are
    missing."""

    code = "report_error"
