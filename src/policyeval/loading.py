"""From directories to a snapshot: parse the rule files, load the fact files, compile.

This is where the generic pipeline meets the decree: its vocabulary reads the fact files and its
built-ins compile the rules. The CLI, the service and the scenario runner all load and compile
through here, so what a lawyer's scenario tests is what is served. ``progress`` receives one
short message per step.

A rule directory may declare the redaction of the decree it encodes (``redaction.yaml``, see
:mod:`policyeval.redactions`); :func:`load` takes one directory or several, one per redaction, and
the `Snapshot` holds one knowledge base per redaction and answers a dated question from the one
in force on its date, with the warnings that choice carries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import yaml

from policyeval.collector import collector_paused
from policyeval.decree743 import BUILTINS, VOCABULARY
from policyeval.engine.materialize import Tables
from policyeval.engine.store import BaseFact, FactStore
from policyeval.engine.store_columns import FactList
from policyeval.errors import (
    FactError,
    PolicyError,
    Problem,
    QueryError,
    RuleSyntaxError,
    counted,
    sorted_problems,
)
from policyeval.evaluator import (
    Argument,
    Evaluator,
    KnowledgeBase,
    QueryResult,
    build_knowledge_base,
)
from policyeval.facts.argument_types import vocabulary_argument_types
from policyeval.facts.loader import (
    FactBase,
    fact_files_digest,
    load_fact_files,
    load_fact_records,
)
from policyeval.language.argument_types import (
    PredicateTypes,
    agreed_types,
    infer_argument_types,
    type_of,
)
from policyeval.language.checker import check
from policyeval.language.parser import load_rule_set, rule_files
from policyeval.language.syntax import Location, RuleSet, Var, format_value
from policyeval.redactions import (
    DECLARATION,
    UNDECLARED,
    AppliedRedaction,
    Redaction,
    RedactionChoice,
    RedactionWarning,
    Timeline,
    read_redaction,
)
from policyeval.scenarios.clause_index import ClauseEntry, clause_index
from policyeval.snapshot_file import (
    SnapshotKey,
    StoredEdition,
    StoredFacts,
    code_version,
    read_snapshot,
    write_snapshot,
)

__all__ = [
    "DatedQueryResult",
    "Edition",
    "InForce",
    "LoadedFacts",
    "LoadedRules",
    "PolicyDirs",
    "Progress",
    "Snapshot",
    "check_sources",
    "compile_knowledge_base",
    "load",
    "load_all_sources",
    "load_facts",
    "load_knowledge_base",
    "load_redactions",
    "load_rules",
    "load_sources",
    "policy_version",
    "question_day",
    "read_assumed",
]

GLOSSARY = VOCABULARY.glossary()
"""How the decree's fact vocabulary names base predicates, for explanations."""

PolicyDirs = Path | Sequence[Path]
"""One rule directory, or several: one per redaction of the decree."""

Progress = Callable[[str], None]
"""Receives a short message such as ``"read 4 rule files"`` after each loading step."""

VERSION_LENGTH = 12
"""Hex digits kept of a sha256 version."""


@dataclass(frozen=True, slots=True)
class LoadedRules:
    """A parsed rule set, the version of the files it came from and the redaction they
    declare (`UNDECLARED` when the directory has no ``redaction.yaml``)."""

    rules: RuleSet
    version: str
    files: int
    redaction: Redaction = UNDECLARED
    directory: Path | None = None
    """The directory the files were read under, as given."""


@dataclass(frozen=True, slots=True)
class LoadedFacts:
    """A checked fact base and its store, which declares every base predicate."""

    fact_base: FactBase
    store: FactStore

    @property
    def version(self) -> str:
        return self.fact_base.version


@dataclass(frozen=True, slots=True)
class Edition:
    """One redaction's rules compiled over the snapshot's facts, and their clause index."""

    redaction: Redaction
    knowledge_base: KnowledgeBase
    clauses: tuple[ClauseEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class InForce:
    """The rules a question dated ``day`` is answered by: the knowledge base of the redaction
    in force then, how the answer states that redaction, and the warnings it must carry."""

    knowledge_base: KnowledgeBase
    choice: RedactionChoice

    @property
    def redaction(self) -> AppliedRedaction:
        return self.choice.applied

    @property
    def warnings(self) -> list[RedactionWarning]:
        return list(self.choice.warnings)

    def evaluator(self) -> Evaluator:
        return Evaluator(self.knowledge_base)


class DatedQueryResult(QueryResult):
    """A question's answers, with the day it was asked for, the redaction that answered it and
    the warnings about that redaction."""

    on: dt.date
    redaction: AppliedRedaction
    warnings: list[RedactionWarning]


@dataclass(frozen=True)
class Snapshot:
    """Everything a question needs, as one immutable version: the compiled rules and the
    indexed facts (``knowledge_base``), the fact base its what-if records are checked against,
    the clause index, and their versions. A service takes one per request and swaps a new one
    in with one assignment, so no request sees parts of two versions.

    ``editions`` holds one compiled knowledge base per redaction, in order of entry into force
    (``knowledge_base`` and ``clauses`` are the latest's); left empty, the snapshot is one
    undeclared redaction. :meth:`in_force` picks the one a dated question is answered by."""

    knowledge_base: KnowledgeBase
    fact_base: FactBase
    clauses: tuple[ClauseEntry, ...] = ()
    editions: tuple[Edition, ...] = ()

    @cached_property
    def _editions(self) -> tuple[Edition, ...]:
        return self.editions or (Edition(UNDECLARED, self.knowledge_base, self.clauses),)

    @cached_property
    def timeline(self) -> Timeline:
        """The redactions whose rules this snapshot holds."""
        return Timeline.of(edition.redaction for edition in self._editions)

    @property
    def redactions(self) -> list[AppliedRedaction]:
        """Each redaction held, as an answer states it, in order of entry into force."""
        return [self.timeline.applied(i) for i in range(len(self._editions))]

    @property
    def policy_version(self) -> str:
        """The rules' version; with several redactions, a digest of each one's version."""
        if len(self._editions) == 1:
            return self._editions[0].knowledge_base.policy_version
        joined = "+".join(edition.knowledge_base.policy_version for edition in self._editions)
        return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:VERSION_LENGTH]

    @property
    def facts_version(self) -> str:
        return self.knowledge_base.facts_version

    @cached_property
    def argument_types(self) -> PredicateTypes:
        """Each predicate's argument types (``"string"``, ``"integer"``, ``"date"`` or
        ``None``): the vocabulary's for base predicates, inferred from the rules for derived
        ones, as every redaction's rules agree on them. Worked out once per snapshot."""
        base = vocabulary_argument_types(VOCABULARY)
        return agreed_types(
            *(infer_argument_types(e.knowledge_base.rules.rules, base) for e in self._editions)
        )

    def in_force(self, day: dt.date) -> InForce:
        """The rules of the redaction in force on ``day``, with the warnings of that choice."""
        choice = self.timeline.choose(day)
        return InForce(self._editions[choice.index].knowledge_base, choice)

    def evaluator(self, day: dt.date | None = None) -> Evaluator:
        """An evaluator answering from this snapshot only: from the rules in force on ``day``,
        or the latest redaction's when no day is given."""
        if day is None:
            return Evaluator(self.knowledge_base)
        return self.in_force(day).evaluator()

    def query(
        self,
        predicate: str,
        args: Sequence[Argument],
        *,
        on: dt.date | None = None,
        assume: Sequence[BaseFact] = (),
        proofs: bool = True,
    ) -> DatedQueryResult:
        """`Evaluator.query` on the rules in force on ``on`` (by default the question's own
        date, see :func:`question_day`), with the ``assume`` facts added for this question
        only, stating the redaction and its warnings. A constant of another type than its
        argument's (:attr:`argument_types`) is a `QueryError`: it could match nothing."""
        _check_types(predicate, args, self.argument_types.get(predicate, ()))
        day = on or question_day(args)
        rules = self.in_force(day)
        result = rules.evaluator().query(predicate, args, assume=assume, proofs=proofs)
        return DatedQueryResult(
            **dict(result),
            on=day,
            redaction=rules.redaction,
            warnings=rules.warnings,
        )

    def assumed(self, records: list[dict[str, Any]], file: str = "<assume>") -> list[BaseFact]:
        """What-if records as facts over this snapshot's fact base; raises `FactError` naming
        each bad record (its line is its position in ``records``)."""
        return load_fact_records(records, file, base=self.fact_base) if records else []

    def clause(self, number: str) -> ClauseEntry | None:
        """The clause index entry of clause ``number``, if the rules quote or cite it."""
        return next((entry for entry in self.clauses if entry.clause == number), None)


def _check_types(predicate: str, args: Sequence[Argument], types: Sequence[str | None]) -> None:
    """Raise `QueryError` at the first constant whose type is not its argument's."""
    for position, (arg, expected) in enumerate(zip(args, types, strict=False), start=1):
        if arg is None or isinstance(arg, Var) or expected in (None, type_of(arg)):
            continue
        raise QueryError(
            f"argument {position} of `{predicate}` is {_ARTICLE[expected]} {expected}, "
            f"not the {type_of(arg)} `{format_value(arg)}`"
        )


_ARTICLE = {"string": "a", "integer": "an", "date": "a"}


def question_day(args: Sequence[Argument], today: dt.date | None = None) -> dt.date:
    """The date a question is asked for: the latest date among its arguments, else today.

    >>> question_day(["acme", dt.date(2026, 3, 2), dt.date(2025, 1, 1)])
    datetime.date(2026, 3, 2)
    >>> question_day(["acme"], today=dt.date(2026, 1, 1))
    datetime.date(2026, 1, 1)
    """
    dates = [arg for arg in args if isinstance(arg, dt.date)]
    return max(dates) if dates else (today or dt.date.today())


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
    """Parse every rule file under ``policies`` and read its redaction declaration, if any;
    raises `RuleSyntaxError` with every problem."""
    files = _rule_files(policies)
    rules = load_rule_set(files)
    unparsed = _unparsed(policies, files)
    _say(progress, f"read {counted(len(files), 'rule file')}: {counted(len(rules.rules), 'rule')}")
    return LoadedRules(rules, unparsed.version, unparsed.files, unparsed.redaction, policies)


@dataclass(frozen=True, slots=True)
class UnparsedRules:
    """What is known of a rule directory before its files are parsed: their version, how
    many there are and the redaction the directory declares."""

    version: str
    files: int
    redaction: Redaction
    directory: Path


def _rule_files(policies: Path) -> list[Path]:
    files = rule_files([policies])
    if not files:
        problem = Problem("parse_error", "no `*.md` rule files here", Location(str(policies), 1))
        raise RuleSyntaxError(f"no rule files under `{policies}`", [problem])
    return files


def _unparsed(policies: Path, files: list[Path]) -> UnparsedRules:
    redaction = read_redaction(policies) or UNDECLARED
    declaration = policies / DECLARATION
    versioned = [*files, declaration] if redaction.declared else files
    return UnparsedRules(policy_version(versioned, policies), len(files), redaction, policies)


def _unparsed_redactions(policies: PolicyDirs) -> list[UnparsedRules]:
    """Each directory's :class:`UnparsedRules`, in order of entry into force (as
    :func:`load_redactions`); raises `RuleSyntaxError` as it would."""
    found = [_unparsed(directory, _rule_files(directory)) for directory in _directories(policies)]
    return _in_force_order(found)


def load_redactions(policies: PolicyDirs, progress: Progress | None = None) -> list[LoadedRules]:
    """The rules of each directory (one per redaction), in order of entry into force; raises
    `RuleSyntaxError` with the problems of all, and when they do not form one timeline."""
    directories = _directories(policies)
    if not directories:
        raise RuleSyntaxError("no rule directory given", [Problem("parse_error", "no rules")])
    loaded: list[LoadedRules] = []
    errors: list[RuleSyntaxError] = []
    for directory in directories:
        try:
            loaded.append(load_rules(directory, progress))
        except RuleSyntaxError as exc:
            errors.append(exc)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        problems = sorted_problems(p for error in errors for p in _problems_of(error))
        raise RuleSyntaxError("; ".join(error.message for error in errors), problems)
    return _in_force_order(loaded)


_Declaring = TypeVar("_Declaring", LoadedRules, UnparsedRules)


def _in_force_order(redactions: list[_Declaring]) -> list[_Declaring]:
    """``redactions`` in order of entry into force; raises `RuleSyntaxError` unless their
    declarations form one timeline."""
    Timeline.of(rules.redaction for rules in redactions)
    return sorted(redactions, key=lambda rules: rules.redaction.in_force.earliest)


def load_facts(facts: Path, progress: Progress | None = None) -> LoadedFacts:
    """Load every fact file under ``facts`` into a store; raises `FactError` with every problem,
    and for a fact base without records (:func:`_refuse_empty`)."""
    fact_base = load_fact_files([facts], VOCABULARY)
    _refuse_empty(fact_base, facts)
    _say(progress, f"loaded {counted(len(fact_base.facts), 'fact')}")
    store = fact_base.store()
    # The facts are the store's rows: kept once, as numbers into its tables.
    return LoadedFacts(replace(fact_base, facts=FactList.of(fact_base.facts, store)), store)


def _refuse_empty(fact_base: FactBase, facts: Path) -> None:
    """An empty fact base is a wrong path, not a world: every question would name unknown
    entities, so it is refused where it is loaded (check, serve, reload alike)."""
    if any(fact_base.records.values()):
        return
    text = f"no records in `{facts}`: it holds no `*.yaml` or `*.yml` fact file with one"
    problem = Problem("no_facts", text, Location(str(facts), 1))
    raise FactError("fact base rejected: it is empty", [problem])


def load_sources(
    policies: PolicyDirs, facts: Path, progress: Progress | None = None
) -> tuple[LoadedRules, LoadedFacts]:
    """Parse the rules and load the facts; one error lists the problems of both. With several
    rule directories, the rules are the latest redaction's (see :func:`load_all_sources`)."""
    rules, loaded = load_all_sources(policies, facts, progress)
    return rules[-1], loaded


def load_all_sources(
    policies: PolicyDirs, facts: Path, progress: Progress | None = None
) -> tuple[list[LoadedRules], LoadedFacts]:
    """Parse each redaction's rules and load the facts; one error lists the problems of all."""
    rules: list[LoadedRules] | None = None
    loaded: LoadedFacts | None = None
    errors: list[PolicyError] = []
    try:
        rules = load_redactions(policies, progress)
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
    rules: LoadedRules,
    store: FactStore,
    facts_version: str,
    *,
    materialize: bool = True,
    tables: Tables | None = None,
) -> KnowledgeBase:
    """The decree's rules checked and compiled over ``store`` as they are served: with the
    decree's built-ins and, unless ``materialize`` is off, its tables and slices (``tables``
    when they were computed earlier, by the load a snapshot file kept)."""
    return build_knowledge_base(
        rules.rules,
        store,
        builtins=BUILTINS,
        policy_version=rules.version,
        facts_version=facts_version,
        materialize=materialize,
        glossary=GLOSSARY,
        tables=tables,
    )


def load_knowledge_base(
    policies: PolicyDirs, facts: Path, progress: Progress | None = None
) -> KnowledgeBase:
    """Parse, load, check and compile; raises a `PolicyError` subclass listing every problem.
    With several rule directories, the latest redaction's knowledge base."""
    return load(policies, facts, progress=progress).knowledge_base


def load(
    policies: PolicyDirs,
    facts: Path,
    scenarios: Path | None = None,
    progress: Progress | None = None,
    snapshots: Path | None = None,
) -> Snapshot:
    """Parse, load, check and compile into one snapshot; its clause index cites the scenario
    files under ``scenarios`` (if given). ``policies`` is one rule directory or several, each
    declaring its redaction: each is compiled over the same facts. Raises a `PolicyError`
    subclass listing every problem.

    With a ``snapshots`` directory, the fact base and its tables are restored from the
    snapshot file there written for these very fact files, rule files and code
    (:mod:`policyeval.snapshot_file`), and when there is none they are loaded and computed,
    then written there for the next start. A snapshot answers exactly as the load it came from.
    The cyclic garbage collector is paused meanwhile (:mod:`policyeval.collector`).
    """
    with collector_paused():
        return _load(policies, facts, scenarios, progress, snapshots)


def _load(
    policies: PolicyDirs,
    facts: Path,
    scenarios: Path | None,
    progress: Progress | None,
    snapshots: Path | None,
) -> Snapshot:
    if snapshots is None:
        redactions, loaded = load_all_sources(policies, facts, progress)
        return _snapshot(redactions, loaded, scenarios, progress)
    restored = _restore(policies, facts, scenarios, progress, snapshots)
    if restored is not None:
        return restored
    try:
        redactions = load_redactions(policies, progress)
    except RuleSyntaxError:
        load_all_sources(policies, facts, progress)  # raises with the facts' problems too
        raise
    try:
        loaded = load_facts(facts, progress)
    except FactError:
        load_all_sources(policies, facts, progress)  # raises as without snapshots
        raise
    snapshot = _snapshot(redactions, loaded, scenarios, progress)
    _keep(snapshots, facts, redactions, loaded, snapshot.editions, progress)
    return snapshot


def _snapshot(
    redactions: Sequence[LoadedRules],
    loaded: LoadedFacts,
    scenarios: Path | None,
    progress: Progress | None,
    tables: Sequence[Tables | None] = (),
) -> Snapshot:
    """Each redaction compiled over ``loaded``, with its ``tables`` when given (restored)."""
    computed = tables or [None] * len(redactions)
    editions = tuple(
        _edition(rules, loaded, scenarios, progress, edition_tables)
        for rules, edition_tables in zip(redactions, computed, strict=True)
    )
    latest = editions[-1]
    return Snapshot(latest.knowledge_base, loaded.fact_base, latest.clauses, editions)


def _snapshot_key(
    redactions: Sequence[LoadedRules | UnparsedRules], facts: Path, facts_digest: str
) -> SnapshotKey:
    versions = tuple(rules.version for rules in redactions)
    directories = tuple(str(rules.directory) for rules in redactions)
    return SnapshotKey(code_version(), facts_digest, versions, str(facts), directories)


def _restore(
    policies: PolicyDirs,
    facts: Path,
    scenarios: Path | None,
    progress: Progress | None,
    snapshots: Path,
) -> Snapshot | None:
    """The snapshot restored from ``snapshots``, or ``None`` when it holds none for these
    rule files, fact files and code (or they cannot be read: the load says why). The rules
    are the snapshot's, parsed from these very files when it was written."""
    digest = fact_files_digest([facts])
    if digest is None:
        return None
    try:
        unparsed = _unparsed_redactions(policies)
    except RuleSyntaxError:
        return None
    key = _snapshot_key(unparsed, facts, digest)
    stored = read_snapshot(snapshots, key, VOCABULARY)
    if stored is None:
        _say(progress, "no snapshot of these files: loading them")
        return None
    redactions = [
        LoadedRules(edition.rules, rules.version, rules.files, rules.redaction, rules.directory)
        for edition, rules in zip(stored.editions, unparsed, strict=True)
    ]
    rule_count = counted(sum(len(rules.rules.rules) for rules in redactions), "rule")
    what = f"{rule_count}, {counted(len(stored.fact_base.facts), 'fact')}"
    _say(progress, f"restored {what} and their tables from {snapshots / key.file_name()}")
    loaded = LoadedFacts(stored.fact_base, stored.store)
    tables = [edition.tables for edition in stored.editions]
    return _snapshot(redactions, loaded, scenarios, progress, tables)


def _keep(
    snapshots: Path,
    facts: Path,
    redactions: Sequence[LoadedRules],
    loaded: LoadedFacts,
    editions: Sequence[Edition],
    progress: Progress | None,
) -> None:
    """Write the snapshot of what was just loaded, keyed by what it was loaded from; a
    snapshot that cannot be written is said, not raised: the load itself succeeded."""
    stored = StoredFacts(
        loaded.fact_base,
        loaded.store,
        tuple(
            StoredEdition(rules.version, rules.rules, _tables(edition.knowledge_base))
            for rules, edition in zip(redactions, editions, strict=True)
        ),
    )
    key = _snapshot_key(redactions, facts, loaded.fact_base.digest)
    try:
        path = write_snapshot(snapshots, key, stored)
    except OSError as exc:
        _say(progress, f"could not write a snapshot in {snapshots}: {exc.strerror or exc}")
        return
    _say(progress, f"wrote the snapshot {path}")


def _tables(knowledge_base: KnowledgeBase) -> Tables:
    """The tables a knowledge base answers from, as a snapshot keeps them."""
    program = knowledge_base.program
    return Tables(program.materialized, knowledge_base.store, {}, program.slices)


def _edition(
    rules: LoadedRules,
    loaded: LoadedFacts,
    scenarios: Path | None,
    progress: Progress | None,
    tables: Tables | None = None,
) -> Edition:
    knowledge_base = compile_knowledge_base(rules, loaded.store, loaded.version, tables=tables)
    what = counted(len(rules.rules.rules), "rule")
    _say(progress, f"compiled {what} of the {rules.redaction.redaction} redaction")
    return Edition(rules.redaction, knowledge_base, tuple(clause_index(rules.rules, scenarios)))


def check_sources(
    policies: PolicyDirs, facts: Path, progress: Progress | None = None
) -> tuple[RuleSet | None, list[Problem]]:
    """Every problem of the rule files (of each redaction, and of their declarations and
    timeline) and of the fact files, sorted; the (latest) rule set when it parses."""
    problems: list[Problem] = []
    rules: RuleSet | None = None
    try:
        redactions = load_redactions(policies, progress)
    except RuleSyntaxError as exc:
        problems += _problems_of(exc)
        redactions = []
    for loaded in redactions:
        problems += check(loaded.rules, VOCABULARY.arities(), BUILTINS, dated=VOCABULARY.dated())
        _say(progress, f"checked {len(loaded.rules.rules)} rules")
        rules = loaded.rules
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


def _directories(policies: PolicyDirs) -> list[Path]:
    return [policies] if isinstance(policies, Path) else list(policies)


def _problems_of(error: PolicyError) -> list[Problem]:
    return error.problems or [Problem(error.code, error.message)]


def _say(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)
