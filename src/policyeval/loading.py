"""From directories to a knowledge base: parse the rule files, load the fact files, compile.

The CLI and the service both load through here, so a rule set is versioned and checked the
same way wherever it is served. ``progress`` receives one short message per step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from policyeval.builtin_predicates import BUILTINS, builtin_arities
from policyeval.checker import check
from policyeval.errors import FactError, PolicyError, Problem, RuleSyntaxError, sorted_problems
from policyeval.evaluator import Evaluator, KnowledgeBase, build_knowledge_base
from policyeval.fact_loader import FactBase, load_fact_files, load_fact_records
from policyeval.parser import load_rule_set, rule_files
from policyeval.store import BaseFact, FactStore
from policyeval.syntax import Location, RuleSet
from policyeval.vocabulary import BASE_PREDICATES

__all__ = [
    "Loaded",
    "LoadedFacts",
    "LoadedRules",
    "Progress",
    "base_predicate_arities",
    "check_sources",
    "load",
    "load_facts",
    "load_knowledge_base",
    "load_rules",
    "load_sources",
    "policy_version",
    "read_assumed",
    "reload",
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


@dataclass(frozen=True, slots=True)
class Loaded:
    """A knowledge base and the fact base it was built from (what-if records refer to it)."""

    knowledge_base: KnowledgeBase
    fact_base: FactBase


def base_predicate_arities() -> dict[str, int]:
    """Name → arity of every base predicate of the vocabulary."""
    return {name: len(arguments) for name, arguments in BASE_PREDICATES.items()}


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
    _say(progress, f"read {_count(len(files), 'rule file')}: {_count(len(rules.rules), 'rule')}")
    return LoadedRules(rules, policy_version(files, policies), len(files))


def load_facts(facts: Path, progress: Progress | None = None) -> LoadedFacts:
    """Load every fact file under ``facts`` into a store; raises `FactError` with every problem."""
    fact_base = load_fact_files([facts])
    _say(progress, f"loaded {_count(len(fact_base.facts), 'fact')}")
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


def load_knowledge_base(
    policies: Path, facts: Path, progress: Progress | None = None
) -> KnowledgeBase:
    """Parse, load, check and compile; raises a `PolicyError` subclass listing every problem."""
    return load(policies, facts, progress).knowledge_base


def load(policies: Path, facts: Path, progress: Progress | None = None) -> Loaded:
    """Like `load_knowledge_base`, also keeping the fact base."""
    return _compiled(build_knowledge_base, policies, facts, progress)


def reload(
    evaluator: Evaluator, policies: Path, facts: Path, progress: Progress | None = None
) -> Loaded:
    """Load both directories again and swap them into ``evaluator`` atomically.

    On any problem nothing is swapped: the evaluator keeps serving its current knowledge base.
    """
    return _compiled(evaluator.replace, policies, facts, progress)


def _compiled(
    build: Callable[..., KnowledgeBase], policies: Path, facts: Path, progress: Progress | None
) -> Loaded:
    """Load both directories and hand them to ``build`` (a fresh build, or a swap)."""
    rules, loaded = load_sources(policies, facts, progress)
    knowledge_base = build(
        rules.rules, loaded.store, policy_version=rules.version, facts_version=loaded.version
    )
    _say(progress, f"compiled {len(rules.rules.rules)} rules")
    return Loaded(knowledge_base, loaded.fact_base)


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
        inputs = {name: builtin.inputs for name, builtin in BUILTINS.items()}
        problems += check(rules, base_predicate_arities(), builtin_arities(), inputs)
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


def _count(number: int, noun: str) -> str:
    """``1 rule``, ``2 rules``.

    >>> _count(1, "rule file"), _count(3, "fact")
    ('1 rule file', '3 facts')
    """
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _say(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)
