"""Scenario tests, like ``opa test``: a sentence a lawyer understands, a world, a question, and
the decision with the clauses its reasons must cite.

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
is expected.

Rules are parsed and compiled once per run (:class:`ScenarioRunner`) and each base directory is
loaded once; a scenario only builds its own fact store, so nothing leaks from one to the next.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Self

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

try:  # libyaml is faster; the nodes and marks are the same
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

from policyeval.engine import CompiledProgram
from policyeval.errors import (
    FactError,
    Problem,
    QueryError,
    ScenarioError,
    counted,
    sorted_problems,
)
from policyeval.evaluator import Evaluator, KnowledgeBase, QueryResult, build_knowledge_base
from policyeval.explanations import ProofNode, Reason
from policyeval.fact_loader import FactBase, load_fact_files, load_fact_records
from policyeval.loading import LoadedRules, load_rules
from policyeval.store import BaseFact, FactSource, FactStore
from policyeval.syntax import Location, Value, format_value
from policyeval.vocabulary import ID_PATTERN

__all__ = [
    "Expectation",
    "Question",
    "Scenario",
    "ScenarioFile",
    "ScenarioResult",
    "ScenarioRunner",
    "citation_failures",
    "clause_sort_key",
    "covers",
    "judge",
    "load_scenarios",
    "run_scenario",
    "run_scenarios",
    "scenario_files",
]

SCENARIO_SUFFIX = ".yaml"

Decision = Literal["allowed", "refused"]
FieldPath = Sequence[str | int]


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


def clause_sort_key(clause: str) -> tuple[tuple[int, int | str], ...]:
    """Order clause numbers as the decree does: ``3.2`` before ``3.10`` before ``4``.

    >>> sorted(["4", "3.10", "3.2", "11"], key=clause_sort_key)
    ['3.2', '3.10', '4', '11']
    """
    return tuple(
        (0, int(part)) if part.isdecimal() else (1, part) for part in re.split(r"[.)]+", clause)
    )


def _clauses(clauses: Iterable[str]) -> list[str]:
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

    decision: Decision
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
        return _clauses([self.spec.clause, *self.spec.expect.cites])

    def location(self, path: FieldPath = ()) -> Location:
        """Where the value at ``path`` (or the nearest enclosing one) was written."""
        if self.node is None:
            return Location(self.file, 1)
        return _mark(self.file, _node_at(self.node, path))


# -- reading scenario files -----------------------------------------------------------------


class _Loader(_SafeLoader):
    """Only true/false are booleans, as in fact files (``no`` is Norway); decimals stay text
    (``clause: 3.10`` is clause 3.10, not 3.1); dates are dates, since questions compare them."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag.rsplit(":", 1)[-1] not in {"bool", "float"}]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _timestamp(loader: _Loader, node: yaml.ScalarNode) -> object:
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
    files, problems = _expand(paths)
    scenarios: list[Scenario] = []
    for file in files:
        scenario, file_problems = _read_scenario(file)
        problems += file_problems
        if scenario is not None:
            scenarios.append(scenario)
    _raise_if_any("invalid scenario files", problems)
    return scenarios


def scenario_files(directory: Path) -> list[Path]:
    """The ``*.yaml`` files under ``directory``, sorted."""
    return sorted(p for p in directory.rglob(f"*{SCENARIO_SUFFIX}") if p.is_file())


def _expand(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    files: list[Path] = []
    problems: list[Problem] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += scenario_files(path)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(
                Problem("missing_file", "no such file or directory", Location(str(path), 1))
            )
    return list(dict.fromkeys(files)), problems


def _read_scenario(path: Path) -> tuple[Scenario | None, list[Problem]]:
    file = str(path)
    data, node, problems = _read_yaml(path)
    if problems or node is None:
        return None, problems
    if not isinstance(data, dict):
        text = "a scenario file is a mapping with `name`, `clause`, `question` and `expect`"
        return None, [Problem("bad_file", text, _mark(file, node))]
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
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None, [Problem("bad_file", "the file is empty", Location(file, 1))]
        return loader.construct_document(node), node, _duplicate_keys(file, node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1)
        reason = getattr(exc, "problem", None) or str(exc)
        return None, None, [Problem("yaml_error", f"invalid YAML: {reason}", where)]
    finally:
        loader.dispose()


def _duplicate_keys(file: str, node: yaml.Node) -> list[Problem]:
    """Keys written twice in one mapping (YAML would silently keep the last)."""
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                text = f"key `{key.value}` is written twice in one mapping"
                problems.append(Problem("duplicate_key", text, _mark(file, key)))
            seen.add(key.value)
            problems += _duplicate_keys(file, value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            problems += _duplicate_keys(file, item)
    return problems


def _field_problems(exc: ValidationError, file: str, node: yaml.Node) -> list[Problem]:
    """The one place pydantic's errors about a scenario file become problems."""
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        path = error["loc"]
        name = _dotted(path)
        at_key = False
        if error["type"] == "missing":
            code, text = "missing_field", f"missing field `{name}`"
        elif error["type"] == "extra_forbidden":
            allowed = _MODELS.get(tuple(str(p) for p in path[:-1]), ScenarioFile).model_fields
            code, text = "unknown_field", f"unknown field `{name}`{_suggest(path[-1], allowed)}"
            at_key = True
        else:
            code, text = "invalid_field", _invalid(name, error["msg"], error["input"])
        where = _mark(file, _node_at(node, path, key=at_key))
        problems.append(Problem(code, text, where))
    return problems


def _invalid(name: str, message: str, value: object) -> str:
    """``field `x`: reason (got `value`)``; a whole mapping is not repeated."""
    text = f"field `{name}`: " if name else ""
    text += message[:1].lower() + message[1:]
    return text if isinstance(value, dict) else f"{text} (got `{_short(value)}`)"


def _node_at(node: yaml.Node, path: FieldPath, *, key: bool = False) -> yaml.Node:
    """The node at ``path`` below ``node``, or the deepest one on the way that exists; with
    ``key``, a mapping's last step gives its key (where an unknown field is written)."""
    for depth, step in enumerate(path, 1):
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            want_key = key and depth == len(path)
            child = next((k if want_key else v for k, v in node.value if k.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            child = node.value[step] if 0 <= step < len(node.value) else None
        if child is None:
            break
        node = child
    return node


def _mark(file: str, node: yaml.Node) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


def _dotted(path: FieldPath) -> str:
    """A field path as written in messages.

    >>> _dotted(["question", "args", 2])
    'question.args[2]'
    """
    return "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in path).lstrip(".")


def _suggest(word: object, candidates: Iterable[str]) -> str:
    """`` (did you mean `x`?)`` for the closest candidate, or nothing.

    >>> _suggest("expects", ["name", "expect"])
    ' (did you mean `expect`?)'
    """
    close = difflib.get_close_matches(str(word), list(candidates), n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _short(value: object, width: int = 60) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _raise_if_any(message: str, problems: list[Problem]) -> None:
    if not problems:
        return
    ordered = sorted_problems(problems)
    raise ScenarioError(f"{message}: {counted(len(ordered), 'problem')}", ordered)


# -- results --------------------------------------------------------------------------------


class ScenarioResult(BaseModel):
    """What a scenario expected, what the rules decided, and why it passed or failed."""

    file: str
    name: str
    clause: str
    question: str
    passed: bool
    expected: Decision
    decision: Decision
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
        cited=_clauses(reason.clause for reason in result.reasons),
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
            f"expected {_count(expect.answers, 'answer')} but got {_answers_text(result, proof)}"
        )
    if expect.decision == "refused":
        failures += citation_failures(expect.cites, result.reasons)
    return failures


def citation_failures(expected: Sequence[str], reasons: Sequence[Reason]) -> list[str]:
    """Every expected clause no reason cites, and every reason citing a clause not expected."""
    cited = _clauses(reason.clause for reason in reasons)
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
    text = _count(len(result.answers), "answer")
    text += f": {', '.join(rows)}" if rows else ""
    if proof is not None:
        text += f", the first by rules {', '.join(sorted(proof.rule_ids()))}"
    return text


def _count(number: int, noun: str) -> str:
    """``1 answer``, ``2 answers``.

    >>> _count(1, "answer"), _count(0, "answer")
    ('1 answer', '0 answers')
    """
    return f"{number} {noun}{'' if number == 1 else 's'}"


# -- running --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Referrer:
    """A base record naming another one: which record, in which field."""

    record: str
    label: str
    path: str
    kinds: tuple[str, ...]
    source: FactSource | None


@dataclass(frozen=True)
class _Base:
    """A base fact directory, loaded once: its facts, store, and who refers to whom."""

    directory: Path
    facts: FactBase
    store: FactStore
    referrers: Mapping[str, list[_Referrer]]

    @classmethod
    def load(cls, directory: Path) -> _Base:
        facts = load_fact_files([directory])
        sources = {f.source.record: f.source for f in facts.facts if f.source and f.source.record}
        referrers: dict[str, list[_Referrer]] = {}
        for kind, by_id in facts.records.items():
            for rid, record in by_id.items():
                for ref in record.references():
                    label = f"{kind} `{rid}`"
                    path = _dotted(ref.path)
                    referrer = _Referrer(rid, label, path, ref.kinds, sources.get(rid))
                    referrers.setdefault(ref.target, []).append(referrer)
        return cls(directory, facts, facts.store(), referrers)

    def without(self, removed: set[str]) -> FactBase:
        """The fact base with the records ``removed`` dropped."""
        if not removed:
            return self.facts
        records = {
            kind: {rid: r for rid, r in by_id.items() if rid not in removed}
            for kind, by_id in self.facts.records.items()
        }
        facts = [f for f in self.facts.facts if not f.source or f.source.record not in removed]
        return FactBase(records, facts, self.facts.version)


class ScenarioRunner:
    """Runs scenarios against one rule directory: the rules are parsed and compiled once and
    each base fact directory is loaded once; every scenario gets a fact store of its own."""

    def __init__(self, policies_dir: Path = Path("policies"), root: Path = Path(".")) -> None:
        self.policies_dir = policies_dir
        self.root = root
        self._rules: LoadedRules | None = None
        self._programs: dict[frozenset[tuple[str, int]], CompiledProgram] = {}
        self._bases: dict[Path, _Base] = {}

    def run_all(self, scenarios: Iterable[Scenario]) -> list[ScenarioResult]:
        """Run every scenario; raises one :class:`ScenarioError` with every invalid one's
        problems (removals, overlays, questions that cannot be asked)."""
        results: list[ScenarioResult] = []
        problems: list[Problem] = []
        for scenario in scenarios:
            try:
                results.append(self.run(scenario))
            except ScenarioError as exc:
                problems += exc.problems
        _raise_if_any("invalid scenarios", problems)
        return results

    def run(self, scenario: Scenario) -> ScenarioResult:
        """Build the scenario's world, ask its question, and judge the answer."""
        kb = self.knowledge_base(scenario)
        question = scenario.spec.question
        evaluator = Evaluator(kb)
        try:
            result = evaluator.query(question.predicate, question.args, proofs=False)
            first = result.answers[0].values if result.answers else None
            proof = evaluator.prove(question.predicate, first) if first else None
        except QueryError as exc:
            where = scenario.location(["question"])
            problem = Problem("invalid_question", exc.message, where)
            raise ScenarioError(exc.message, [problem]) from exc
        return judge(scenario, result, proof)

    def knowledge_base(self, scenario: Scenario) -> KnowledgeBase:
        """The compiled rules over the scenario's facts: the base minus ``remove`` plus
        ``overlay``. Raises :class:`ScenarioError` when those do not fit the base."""
        base = self._base(scenario)
        store = _world(scenario, base)
        rules = self.rules
        changed = scenario.spec.remove or scenario.spec.overlay
        facts_version = f"{base.facts.version}+{Path(scenario.file).stem}" if changed else ""
        program = self._program(store)
        version = facts_version or base.facts.version
        return KnowledgeBase(program, store, rules.version, version, program, store)

    @property
    def rules(self) -> LoadedRules:
        """The parsed rule files (parsed on first use)."""
        if self._rules is None:
            self._rules = load_rules(self.policies_dir)
        return self._rules

    def _program(self, store: FactStore) -> CompiledProgram:
        """The rules checked and compiled once per schema: the program reads whichever store
        a question is asked against, so every scenario with the same predicates shares it."""
        schema = store.schema()
        key = frozenset(schema.items())
        if key not in self._programs:
            self._programs[key] = build_knowledge_base(
                self.rules.rules, store, materialize=False
            ).plain
        return self._programs[key]

    def _base(self, scenario: Scenario) -> _Base:
        directory = self.root / scenario.spec.base
        key = directory.resolve()
        if key not in self._bases:
            if not directory.is_dir():
                text = f"no fact directory `{scenario.spec.base}` under `{self.root}`"
                where = scenario.location(["base"])
                raise ScenarioError(text, [Problem("missing_base", text, where)])
            self._bases[key] = _Base.load(directory)
        return self._bases[key]


def run_scenario(
    scenario: Scenario, policies_dir: Path = Path("policies"), root: Path = Path(".")
) -> ScenarioResult:
    """Run one scenario. To run many, use :func:`run_scenarios` or one :class:`ScenarioRunner`,
    which parse the rules and facts once."""
    return ScenarioRunner(policies_dir, root).run(scenario)


def run_scenarios(
    paths: Iterable[Path], policies_dir: Path = Path("policies"), root: Path = Path(".")
) -> list[ScenarioResult]:
    """Load every scenario file under ``paths`` and run them all, in file order.

    Raises :class:`ScenarioError` (files or scenarios invalid), or the error of rules or base
    facts that do not load.
    """
    return ScenarioRunner(policies_dir, root).run_all(load_scenarios(paths))


# -- a scenario's world ---------------------------------------------------------------------


def _world(scenario: Scenario, base: _Base) -> FactStore:
    """The base's store without ``remove`` and with ``overlay``; every problem at once."""
    removed, problems = _removed(scenario, base)
    kept = base.without(removed)
    overlay, added, overlay_problems = _overlay(scenario, kept)
    problems += overlay_problems + _dangling(scenario, base, removed, added)
    _raise_if_any(f"`{scenario.file}` does not fit its base facts", problems)
    store = kept.store() if removed else base.store
    return store.overlay(overlay) if overlay else store


def _removed(scenario: Scenario, base: _Base) -> tuple[set[str], list[Problem]]:
    problems: list[Problem] = []
    known = {rid for by_id in base.facts.records.values() for rid in by_id}
    for position, rid in enumerate(scenario.spec.remove):
        if rid not in known:
            text = f"cannot remove `{rid}`: no record of the base facts has that id"
            text += _suggest(rid, known)
            where = scenario.location(["remove", position])
            problems.append(Problem("unknown_record", text, where))
    return set(scenario.spec.remove) & known, problems


def _overlay(
    scenario: Scenario, kept: FactBase
) -> tuple[list[BaseFact], dict[str, str], list[Problem]]:
    """The overlay's facts and id → kind of its records, checked like a fact file's."""
    raw = [_as_fact_file_data(record) for record in scenario.spec.overlay]
    if not raw:
        return [], {}, []
    try:
        facts = load_fact_records(raw, scenario.file, base=kept)
    except FactError as exc:
        return [], {}, [_relocated(scenario, problem) for problem in exc.problems]
    added = {str(r["id"]): str(r["kind"]) for r in raw if "id" in r and "kind" in r}
    return facts, added, []


def _relocated(scenario: Scenario, problem: Problem) -> Problem:
    """A fact loader's problem about overlay record N, moved to where that record is written."""
    position = problem.location.line if problem.location else 1
    where = scenario.location(["overlay", position - 1])
    return Problem(problem.code, f"overlay: {problem.message}", where)


def _dangling(
    scenario: Scenario, base: _Base, removed: set[str], added: Mapping[str, str]
) -> list[Problem]:
    """References of the remaining base records to removed ones the overlay does not restore."""
    problems: list[Problem] = []
    for position, rid in enumerate(scenario.spec.remove):
        for referrer in base.referrers.get(rid, []) if rid in removed else []:
            if referrer.record in removed or added.get(rid) in referrer.kinds:
                continue
            where = f" ({referrer.source})" if referrer.source else ""
            text = (
                f"removing `{rid}` leaves a dangling reference: {referrer.label}{where} names it "
                f"in field `{referrer.path}`; remove that record too, or restore `{rid}` in "
                "the overlay"
            )
            problems.append(
                Problem("dangling_reference", text, scenario.location(["remove", position]))
            )
    return problems


def _as_fact_file_data(value: Any) -> Any:
    """Overlay data as a fact file would give it: dates as ISO text (pydantic parses them)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _as_fact_file_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_fact_file_data(item) for item in value]
    return value
