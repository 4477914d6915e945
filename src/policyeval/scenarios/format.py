"""The scenario file format, like ``opa test``'s: a sentence a lawyer understands, a world, a
question, and the decision with the clauses its reasons must cite.

A scenario file is one YAML mapping::

    name: "A transfer without the disposing body's written permission is refused"
    clause: "3.1"              # the clause the scenario exercises (the clause index lists it)
    base: facts                # fact directory, relative to the runner's root (default: facts)
    remove: [answer_2]         # ids of base records dropped first (optional)
    overlay: [{kind: answer, id: answer_3, ...}]   # records added, as in fact files (optional)
    question: {predicate: transfer_allowed, args: [kazspecmash, nurtech, doc_1, 2026-03-10]}
    expect: {decision: refused, cites: ["3.1"], answers: 0}

``args`` are constants (unquoted YAML dates are dates) or ``null`` for "any". ``allowed`` means
at least one answer, ``refused`` none. A refusal must cite exactly ``cites``: every expected
clause is cited (a sub-clause counts for its parent, see :func:`covers`) and every cited clause
is expected (:mod:`policyeval.scenarios.judge`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Self

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from policyeval.errors import Problem, ScenarioError, counted, sorted_problems
from policyeval.evaluator import Outcome
from policyeval.facts.model import ID_PATTERN
from policyeval.facts.yaml_source import (
    FieldPath,
    dotted,
    expand_paths,
    loader_class,
    mark,
    node_at,
    read_document,
    suggest,
)
from policyeval.language.syntax import Location, Value, clause_sort_key

__all__ = [
    "SCENARIO_SUFFIX",
    "Expectation",
    "Question",
    "Scenario",
    "ScenarioFile",
    "covers",
    "load_scenarios",
    "raise_if_any",
    "scenario_files",
    "sorted_clauses",
]

SCENARIO_SUFFIX = ".yaml"


# -- clause numbers -------------------------------------------------------------------------


def covers(expected: str, cited: str) -> bool:
    """Whether citing clause ``cited`` satisfies an expected citation of ``expected``: the
    clause itself or one of its sub-clauses.

    >>> covers("8", "8.4") is True
    True
    >>> covers("8", "80") is False
    True
    >>> covers("3.1", "3") is False
    True
    """
    return cited == expected or cited.startswith(expected + ".")


def sorted_clauses(clauses: Iterable[str]) -> list[str]:
    return sorted(set(clauses), key=clause_sort_key)


# -- the file format ------------------------------------------------------------------------

ClauseNumber = Annotated[str, StringConstraints(pattern=r"^\d+(?:\.\d+)*$")]
"""A clause number as the decree writes it: ``3``, ``3.1``, ``8.4``."""
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
RecordId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]


def _argument(value: object) -> object:
    """Let through only what a question's argument may be (pydantic would turn ``true`` into 1)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise PydanticCustomError(
        "invalid_argument", "an argument is a symbol, string, integer or date, or null for any"
    )


QuestionArg = Annotated[Value | None, BeforeValidator(_argument)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Question(_Strict):
    """What the scenario asks: a predicate and its arguments (``None`` = any)."""

    predicate: Annotated[str, StringConstraints(pattern=r"^[a-z][A-Za-z0-9_]*$")]
    args: list[QuestionArg] = Field(default_factory=list)


class Expectation(_Strict):
    """The decision expected and, for a refusal, exactly the clauses its reasons cite."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    decision: Outcome
    cites: list[ClauseNumber] = Field(default_factory=list)
    answers: Annotated[StrictInt, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.decision == "refused" and not self.cites:
            message = "a refusal must list in `cites` the clauses its reasons cite"
            raise PydanticCustomError("refusal_without_cites", message)
        if self.decision == "allowed" and self.cites:
            message = "`cites` lists what a refusal cites; an allowed decision has no reasons"
            raise PydanticCustomError("cites_when_allowed", message)
        if self.decision == "refused" and self.answers:
            raise PydanticCustomError("answers_when_refused", "a refusal has no answers")
        if self.decision == "allowed" and self.answers == 0:
            raise PydanticCustomError("no_answers_when_allowed", "allowed means some answer")
        return self


class ScenarioFile(_Strict):
    """A scenario file as written."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    name: Text
    clause: ClauseNumber
    base: Text = "facts"
    remove: list[RecordId] = Field(default_factory=list)
    overlay: list[dict[str, Any]] = Field(default_factory=list)
    question: Question
    expect: Expectation


_MODELS: dict[tuple[str, ...], type[BaseModel]] = {
    (): ScenarioFile,
    ("question",): Question,
    ("expect",): Expectation,
}
"""The model at each mapping of a scenario file (for "did you mean" hints)."""


@dataclass(frozen=True)
class Scenario:
    """One validated scenario file, remembering where each of its values was written."""

    file: str
    spec: ScenarioFile
    node: yaml.Node | None = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def clause(self) -> str:
        return self.spec.clause

    @property
    def exercised(self) -> list[str]:
        """The clauses this scenario exercises: its ``clause`` and those it must cite."""
        return sorted_clauses([self.spec.clause, *self.spec.expect.cites])

    def location(self, path: FieldPath = ()) -> Location:
        """Where the value at ``path`` (or the nearest enclosing one) was written."""
        if self.node is None:
            return Location(self.file, 1)
        return mark(self.file, node_at(self.node, path))


# -- reading scenario files -----------------------------------------------------------------


_Loader = loader_class("_ScenarioLoader", implicit_off={"float"})
"""Decimals stay text (``clause: 3.10`` is clause 3.10, not 3.1); dates are dates, since
questions compare them."""


def _timestamp(loader: Any, node: yaml.ScalarNode) -> object:
    """A date, or a located YAML error for an impossible one such as ``2026-02-30``."""
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError as exc:
        problem = f"`{node.value}` is not a valid date: {exc}"
        raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from exc


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def load_scenarios(paths: Iterable[Path]) -> list[Scenario]:
    """Read and validate scenario files; a directory gives its ``*.yaml`` files, sorted.

    Raises :class:`ScenarioError` carrying every problem of every file.
    """
    files, problems = expand_paths(paths, {SCENARIO_SUFFIX})
    scenarios: list[Scenario] = []
    for file in files:
        scenario, file_problems = _read_scenario(file)
        problems += file_problems
        if scenario is not None:
            scenarios.append(scenario)
    raise_if_any("invalid scenario files", problems)
    return scenarios


def scenario_files(directory: Path) -> list[Path]:
    """The ``*.yaml`` files under ``directory``, sorted."""
    return expand_paths([directory], {SCENARIO_SUFFIX})[0]


def _read_scenario(path: Path) -> tuple[Scenario | None, list[Problem]]:
    file = str(path)
    data, node, problems = _read_yaml(path)
    if problems or node is None:
        return None, problems
    if not isinstance(data, dict):
        text = "a scenario file is a mapping with `name`, `clause`, `question` and `expect`"
        return None, [Problem("bad_file", text, mark(file, node))]
    try:
        return Scenario(file, ScenarioFile.model_validate(data), node), []
    except ValidationError as exc:
        return None, _field_problems(exc, file, node)


def _read_yaml(path: Path) -> tuple[Any, yaml.Node | None, list[Problem]]:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        return None, None, [Problem("bad_file", f"cannot read: {reason}", Location(file, 1))]
    document, node, problems = read_document(text, file, _Loader)
    if node is None and not problems:
        return None, None, [Problem("bad_file", "the file is empty", Location(file, 1))]
    return document, node, problems


def _field_problems(exc: ValidationError, file: str, node: yaml.Node) -> list[Problem]:
    """The one place pydantic's errors about a scenario file become problems."""
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        path = error["loc"]
        name = dotted(path)
        at_key = False
        if error["type"] == "missing":
            code, text = "missing_field", f"missing field `{name}`"
        elif error["type"] == "extra_forbidden":
            allowed = _MODELS.get(tuple(str(p) for p in path[:-1]), ScenarioFile).model_fields
            code, text = "unknown_field", f"unknown field `{name}`{suggest(path[-1], allowed)}"
            at_key = True
        else:
            code, text = "invalid_field", _invalid(name, error["msg"], error["input"])
        where = mark(file, node_at(node, path, key=at_key))
        problems.append(Problem(code, text, where))
    return problems


def _invalid(name: str, message: str, value: object) -> str:
    """``field `x`: reason (got `value`)``; a whole mapping is not repeated."""
    text = f"field `{name}`: " if name else ""
    text += message[:1].lower() + message[1:]
    return text if isinstance(value, dict) else f"{text} (got `{_short(value)}`)"


def _short(value: object, width: int = 60) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def raise_if_any(message: str, problems: list[Problem]) -> None:
    if not problems:
        return
    ordered = sorted_problems(problems)
    raise ScenarioError(f"{message}: {counted(len(ordered), 'problem')}", ordered)
