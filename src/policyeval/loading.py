"""From directories to a snapshot: parse the rule files, load the fact files, compile.

This is where the generic pipeline meets the decree: its vocabulary reads the fact files and its
built-ins compile the rules. The CLI, the service and the scenario runner all load and compile
through here, so what a lawyer's scenario tests is what is served. ``progress`` receives one
short message per step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from policyeval.decree743 import BUILTINS, VOCABULARY
from policyeval.engine.store import BaseFact, FactStore
from policyeval.errors import (
    FactError,
    PolicyError,
    Problem,
    RuleSyntaxError,
    counted,
    sorted_problems,
)
from policyeval.evaluator import Evaluator, KnowledgeBase, build_knowledge_base
from policyeval.facts.loader import FactBase, load_fact_files, load_fact_records
from policyeval.language.checker import check
from policyeval.language.parser import load_rule_set, rule_files
from policyeval.language.syntax import Location, RuleSet
from policyeval.scenarios.clause_index import ClauseEntry, clause_index

__all__ = [
    "LoadedFacts",
    "LoadedRules",
    "Progress",
    "Snapshot",
    "check_sources",
    "compile_knowledge_base",
    "load",
    "load_facts",
    "load_knowledge_base",
    "load_rules",
    "load_sources",
    "policy_version",
    "read_assumed",
]

Progress = Callable[[str], None]
"""Receives a short message such as ``"read 4 rule files"`` after each loading step."""

VERSION_LENGTH = 12
"""Hex digits kept of a sha256 version."""


@dataclass(frozen=True, slots=True)
class LoadedRules:
    """A parsed rule set and the version of the files it came from."""

    rules: RuleSet
    version: str
    files: int


@dataclass(frozen=True, slots=True)
class LoadedFacts:
    """A checked fact base and its store, which declares every base predicate."""

    fact_base: FactBase
    store: FactStore

    @property
    def version(self) -> str:
        return self.fact_base.version


@dataclass(frozen=True)
class Snapshot:
    """Everything a question needs, as one immutable version: the compiled rules and the
    indexed facts (``knowledge_base``), the fact base its what-if records are checked against,
    the clause index, and their versions. A service takes one per request and swaps a new one
    in with one assignment, so no request sees parts of two versions."""

    knowledge_base: KnowledgeBase
    fact_base: FactBase
    clauses: tuple[ClauseEntry, ...] = ()

    @property
    def policy_version(self) -> str:
        return self.knowledge_base.policy_version

    @property
    def facts_version(self) -> str:
        return self.knowledge_base.facts_version

    def evaluator(self) -> Evaluator:
        """An evaluator answering from this snapshot only."""
        return Evaluator(self.knowledge_base)

    def assumed(self, records: list[dict[str, Any]], file: str = "<assume>") -> list[BaseFact]:
        """What-if records as facts over this snapshot's fact base; raises `FactError` naming
        each bad record (its line is its position in ``records``)."""
        return load_fact_records(records, file, base=self.fact_base) if records else []

    def clause(self, number: str) -> ClauseEntry | None:
        """The clause index entry of clause ``number``, if the rules quote or cite it."""
        return next((entry for entry in self.clauses if entry.clause == number), None)


def policy_version(files: list[Path], root: Path) -> str:
    """A short sha256 of the rule files' paths (relative to ``root``) and bytes.

    The same files give the same version wherever the directory is checked out.

    >>> policy_version([], Path("policies"))
    'e3b0c44298fc'
    """
    digest = hashlib.sha256()
    for path in files:
        name = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
        digest.update(name.as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:VERSION_LENGTH]


def load_rules(policies: Path, progress: Progress | None = None) -> LoadedRules:
    """Parse every rule file under ``policies``; raises `RuleSyntaxError` with every problem."""
    files = rule_files([policies])
    if not files:
        problem = Problem("parse_error", "no `*.md` rule files here", Location(str(policies), 1))
        raise RuleSyntaxError(f"no rule files under `{policies}`", [problem])
    rules = load_rule_set(files)
    _say(progress, f"read {counted(len(files), 'rule file')}: {counted(len(rules.rules), 'rule')}")
    return LoadedRules(rules, policy_version(files, policies), len(files))


def load_facts(facts: Path, progress: Progress | None = None) -> LoadedFacts:
    """Load every fact file under ``facts`` into a store; raises `FactError` with every problem."""
    fact_base = load_fact_files([facts], VOCABULARY)
    _say(progress, f"loaded {counted(len(fact_base.facts), 'fact')}")
    return LoadedFacts(fact_base, fact_base.store())


def load_sources(
    policies: Path, facts: Path, progress: Progress | None = None
) -> tuple[LoadedRules, LoadedFacts]:
    """Parse the rules and load the facts; one error lists the problems of both."""
    rules: LoadedRules | None = None
    loaded: LoadedFacts | None = None
    errors: list[PolicyError] = []
    try:
        rules = load_rules(policies, progress)
    except RuleSyntaxError as exc:
        errors.append(exc)
    try:
        loaded = load_facts(facts, progress)
    except FactError as exc:
        errors.append(exc)
    if rules is None or loaded is None:
        first = errors[0]
        if len(errors) == 1:
            raise first
        problems = sorted_problems(p for error in errors for p in _problems_of(error))
        raise type(first)(f"{first.message}; {errors[1].message}", problems) from first
    return rules, loaded


def compile_knowledge_base(
    rules: LoadedRules, store: FactStore, facts_version: str, *, materialize: bool = True
) -> KnowledgeBase:
    """The decree's rules checked and compiled over ``store`` as they are served: with the
    decree's built-ins and, unless ``materialize`` is off, its tables and slices."""
    return build_knowledge_base(
        rules.rules,
        store,
        builtins=BUILTINS,
        policy_version=rules.version,
        facts_version=facts_version,
        materialize=materialize,
    )


def load_knowledge_base(
    policies: Path, facts: Path, progress: Progress | None = None
) -> KnowledgeBase:
    """Parse, load, check and compile; raises a `PolicyError` subclass listing every problem."""
    return load(policies, facts, progress=progress).knowledge_base


def load(
    policies: Path,
    facts: Path,
    scenarios: Path | None = None,
    progress: Progress | None = None,
) -> Snapshot:
    """Parse, load, check and compile into one snapshot; its clause index cites the scenario
    files under ``scenarios`` (if given). Raises a `PolicyError` subclass listing every problem.
    """
    rules, loaded = load_sources(policies, facts, progress)
    knowledge_base = compile_knowledge_base(rules, loaded.store, loaded.version)
    _say(progress, f"compiled {counted(len(rules.rules.rules), 'rule')}")
    clauses = tuple(clause_index(rules.rules, scenarios))
    return Snapshot(knowledge_base, loaded.fact_base, clauses)


def check_sources(
    policies: Path, facts: Path, progress: Progress | None = None
) -> tuple[RuleSet | None, list[Problem]]:
    """Every problem of the rule files and fact files, sorted; the rule set when it parses."""
    problems: list[Problem] = []
    rules: RuleSet | None = None
    try:
        rules = load_rules(policies, progress).rules
    except RuleSyntaxError as exc:
        problems += _problems_of(exc)
    if rules is not None:
        problems += check(rules, VOCABULARY.arities(), BUILTINS)
        _say(progress, f"checked {len(rules.rules)} rules")
    try:
        load_facts(facts, progress)
    except FactError as exc:
        problems += _problems_of(exc)
    return rules, sorted_problems(problems)


def read_assumed(path: Path, base: FactBase) -> list[BaseFact]:
    """The records of one fact file (YAML or JSON) as what-if facts over ``base``.

    Like an ``assume`` list of the service: records may refer to, and restate, ``base``'s.
    """
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problem = Problem(
            "bad_file", f"cannot read the assumed facts: {exc}", Location(str(path), 1)
        )
        raise FactError("invalid assumed facts", [problem]) from exc
    if isinstance(document, dict) and set(document) == {"records"}:
        document = document["records"]
    return load_fact_records(document, str(path), base=base)


def _problems_of(error: PolicyError) -> list[Problem]:
    return error.problems or [Problem(error.code, error.message)]


def _say(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)
