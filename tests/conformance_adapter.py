"""Adapter from the `datalog-conformance` suite onto policyeval's language and engine.

The suite's rules are written in Soufflé/Nemo notation: predicates may start upper-case and every
bare identifier in an argument position is a variable. The adapter renames predicates (``p_`` +
name) and variables (``V_`` + name), adds the metadata our language requires (id, clause,
reading), parses the result with our parser, loads the facts into a fact store and computes
every derived predicate level by level, bottom-up, as tables are computed when a fact base loads
(:func:`policyeval.engine.materialize.compute_level`; what the bottom-up evaluator does not
support is asked of the compiled program). Features outside the language are refused with a
reason.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

from policyeval.engine.bottom_up import StoredRelations
from policyeval.engine.builtins import BUILTINS, COMPARISONS
from policyeval.engine.materialize import Sizes, compute_level, estimator
from policyeval.engine.pydatalog import CompiledProgram
from policyeval.engine.store import FactStore
from policyeval.errors import Problem
from policyeval.language.analysis import ProgramAnalysis
from policyeval.language.checker import check
from policyeval.language.parser import parse_rules
from policyeval.language.syntax import Atom, Literal, Negation, Rule, RuleSet, Var

_TOKEN = re.compile(
    r"""(?P<string>"(?:[^"\\]|\\.)*")|(?P<number>-?\d+(?:\.\d+)?)|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
        |(?P<op>:-|!=|<=|>=|[=<>(),.!~+*/%$\-])|(?P<space>\s+)|(?P<other>.)""",
    re.VERBOSE,
)
_KEYWORDS = {"not"}
_UNSUPPORTED_OPS = {
    "+": "arithmetic",
    "*": "arithmetic",
    "/": "arithmetic",
    "%": "arithmetic",
    "$": "functors",
    "~": "defeasible notation",
}

# Our checker's codes → the suite's expected error names.
_ERROR_NAMES = {
    "unsafe_variable": {"unbound_variable", "safety_violations", "SafetyViolationError"},
    "not_stratifiable": {"cyclic_negation"},
    "arity_mismatch": {"arity_mismatch"},
}


class Unsupported(Exception):
    """A case uses a feature the language does not have."""


class RejectedProgram(Exception):
    """The checker rejected the program; ``code`` is the suite's name for the first problem."""

    def __init__(self, problems: list[Problem], expected: str | None = None) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems
        codes = {p.code for p in problems}
        self.code = next(
            (name for c in codes for name in _ERROR_NAMES.get(c, ()) if name == expected),
            problems[0].code if problems else "rejected",
        )


def translate_rule(text: str) -> str:
    """One Soufflé-notation rule in our notation."""
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text.strip())]
    tokens = [(kind, value) for kind, value in tokens if kind != "space"]
    out = [_translate_token(tokens, index) for index in range(len(tokens))]
    rule = " ".join(out).replace("( ", "(").replace(" )", ")").replace(" ,", ",")
    rule = rule.replace("!", "not ") if "!" in rule and "!=" not in rule else rule
    return rule if rule.endswith(".") else rule + "."


def _translate_token(tokens: list[tuple[str | None, str]], index: int) -> str:
    """Token ``index`` in our notation; raises `Unsupported` for what the language lacks."""
    kind, value = tokens[index]
    _reject_unsupported(tokens, index)
    if kind != "ident":
        return value
    following = tokens[index + 1][1] if index + 1 < len(tokens) else ""
    previous = tokens[index - 1][1] if index else ""
    if value in _KEYWORDS:
        return value + " "
    if following == "(" or (
        previous in {":-", ",", "not", ""}
        and following in {",", ".", "", ":-"}
        and not _in_arguments(tokens, index)
    ):
        return "p_" + value
    return "_" if value == "_" else "V_" + value


def _reject_unsupported(tokens: list[tuple[str | None, str]], index: int) -> None:
    """Arithmetic, floats and unknown tokens are outside the language."""
    kind, value = tokens[index]
    previous_kind, previous = tokens[index - 1] if index else (None, "")
    if kind == "op" and value in _UNSUPPORTED_OPS:
        raise Unsupported(_UNSUPPORTED_OPS[value])
    if kind == "op" and value == "-" and previous not in {"(", ",", ":-", "=", "<", ">"}:
        raise Unsupported("arithmetic")
    if kind == "other":
        raise Unsupported(f"token `{value}`")
    if kind == "number" and value.startswith("-") and previous_kind in {"number", "ident"}:
        raise Unsupported("arithmetic")
    if kind == "number" and "." in value:
        raise Unsupported("floating-point numbers")


def _in_arguments(tokens: list[tuple[str | None, str]], index: int) -> bool:
    depth = 0
    for _, value in tokens[:index]:
        depth += value == "("
        depth -= value == ")"
    return depth > 0


@dataclass
class Model:
    """The suite's model shape: predicate → rows."""

    facts: dict[str, set[tuple[Any, ...]]]


class PolicyevalEvaluator:
    """`DatalogEvaluator` protocol of the suite, on policyeval."""

    def __init__(self, expected_error: str | None = None, nemo: bool = False) -> None:
        self.expected_error = expected_error
        self.nemo = nemo

    def evaluate(self, program: Any) -> Model:
        content = (program.rules, program.facts, self.nemo)
        if _LAST.get("content") != content:  # compared in C, stopping at the first difference
            _LAST.clear()
            _LAST.update(content=content, model=self._evaluate(program))
        model: Model = _LAST["model"]
        return model

    def _evaluate(self, program: Any) -> Model:
        source = "\n".join(
            f'@id("r{i}") @clause("conformance") @reading("rule {i}")\n{translate_rule(rule)}'
            for i, rule in enumerate(program.rules)
        )
        rules = RuleSet(rules=tuple(parse_rules(source, "<conformance>")))
        if self.nemo:
            rules = _existential_negation(rules)
        derived = rules.derived_predicates()
        store = self._store(program.facts, derived)
        _declare_empty_relations(rules, store)
        schema = {_as_written(name): arity for name, arity in store.schema().items()}
        problems = check(rules, schema, BUILTINS)
        if problems:
            raise RejectedProgram(problems, self.expected_error)
        tables = derive_all(_with_bridges(rules, store), store)
        facts: dict[str, set[tuple[Any, ...]]] = {}
        for name in {**schema, **derived}:
            rows = (row for row, _ in tables.match(name, ()))
            facts[name.removeprefix("p_")] = {tuple(r) for r in rows}
        return Model(facts)

    def _store(
        self, relations: dict[str, list[tuple[Any, ...]]], derived: Collection[str]
    ) -> FactStore:
        """The suite's facts as base facts ``p_<name>``; those of a predicate rules derive as
        ``b_<name>``, which a rule bridges (:func:`_with_bridges`)."""
        store = FactStore()
        for name, rows in relations.items():
            arity = len(rows[0]) if rows else 0
            stored = ("b_" if "p_" + name in derived else "p_") + name
            store.declare(stored, arity)
            for row in rows:
                if any(isinstance(v, (float, bool)) for v in row):
                    raise Unsupported("floating-point or boolean constants")
                if len(row) != arity:
                    problem = Problem("arity_mismatch", f"facts of `{name}` differ in arity")
                    raise RejectedProgram([problem], self.expected_error)
                store.add(stored, tuple(row))
        return store


_LAST: dict[str, Any] = {}
"""The program evaluated last (its rules, facts and reading) and its model: the suite asks one
program once per expected relation (lubm's 103k facts twenty times)."""


def derive_all(rules: RuleSet, store: FactStore) -> FactStore:
    """``store`` extended with every derived predicate (none of which has facts of its own),
    computed level by level, each level with those below it as tables."""
    analysis = ProgramAnalysis(rules)
    schema = store.schema()
    tables = store.extended()
    relations = StoredRelations(tables)
    functions = frozenset(BUILTINS) | frozenset(COMPARISONS)
    plain = CompiledProgram(rules, schema, BUILTINS, analysis=analysis)
    done: set[str] = set()
    for level in analysis.levels(set(analysis.derived) - plain.never_holds):
        program = CompiledProgram(
            rules, schema, BUILTINS, materialized=frozenset(done), analysis=analysis
        )
        estimate = estimator(Sizes(tables, {}, functions))
        compute_level(sorted(level), program, tables, estimate, relations)
        done |= level
    return tables


def _as_written(name: str) -> str:
    """A stored predicate's name in the rules: ``b_x`` holds the facts of ``p_x``."""
    return "p_" + name.removeprefix("b_") if name.startswith("b_") else name


def _with_bridges(rules: RuleSet, store: FactStore) -> RuleSet:
    """``rules`` and ``p_x(…) :- b_x(…)`` for each derived ``p_x`` with facts of its own (as
    ``b_x``), so that every derived predicate can be a table."""
    bridges: list[Rule] = []
    for name, arity in sorted(store.schema().items()):
        if name.startswith("b_"):
            terms = tuple(Var(f"V{i}") for i in range(arity))
            head = Atom(_as_written(name), terms)
            reading = f"facts of {head.predicate}"
            bridges.append(
                Rule(f"bridge.{name}", "conformance", reading, head, (Atom(name, terms),))
            )
    return RuleSet(rules=(*rules.rules, *bridges))


def _existential_negation(rules: RuleSet) -> RuleSet:
    """Nemo reads a variable that occurs only in negated atoms as "there is some value".

    Our language says that with a projection: ``not s(X, P, P)`` becomes ``not aux(X)`` with
    ``aux(X) :- s(X, P, P).``
    """
    rewritten: list[Rule] = []
    for rule in rules.rules:
        elsewhere = {v.name for v in rule.head.variables()}
        for literal in rule.body:
            if not isinstance(literal, Negation):
                elsewhere |= {v.name for v in literal.variables()}
        body: list[Literal] = []
        for index, literal in enumerate(rule.body):
            names = {v.name for v in literal.variables()}
            if not isinstance(literal, Negation) or names <= elsewhere:
                body.append(literal)
                continue
            kept = tuple(dict.fromkeys(v for v in literal.variables() if v.name in elsewhere))
            head = Atom(f"aux_{rule.id}_{index}", kept)
            rewritten.append(
                replace(rule, id=f"{rule.id}.aux{index}", head=head, body=(literal.atom,))
            )
            body.append(Negation(head))
        rewritten.append(replace(rule, body=tuple(body)))
    return RuleSet(rules=tuple(rewritten))


def _declare_empty_relations(rules: RuleSet, store: FactStore) -> None:
    """A relation Soufflé declares but never fills is an empty base predicate here."""
    known = {**store.schema(), **rules.derived_predicates()}
    for rule in rules.rules:
        for literal in rule.body:
            atom = literal.atom if isinstance(literal, Negation) else literal
            if isinstance(atom, Atom) and atom.predicate not in known:
                store.declare(atom.predicate, atom.arity)
                known[atom.predicate] = atom.arity
