"""Adapter from the `datalog-conformance` suite onto policyeval's language and engine.

The suite's rules are written in Soufflé/Nemo notation: predicates may start upper-case and every
bare identifier in an argument position is a variable. The adapter renames predicates (``p_`` +
name) and variables (``V_`` + name), adds the metadata our language requires (id, clause,
reading), parses the result with our parser, loads the facts into a fact store and asks every
derived predicate. Features outside the language are refused with a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from policyeval.engine.builtins import BUILTINS
from policyeval.engine.pydatalog import CompiledProgram
from policyeval.engine.store import FactStore
from policyeval.errors import Problem
from policyeval.language.checker import check
from policyeval.language.parser import parse_rules
from policyeval.language.syntax import Atom, Literal, Negation, Rule, RuleSet

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
        source = "\n".join(
            f'@id("r{i}") @clause("conformance") @reading("rule {i}")\n{translate_rule(rule)}'
            for i, rule in enumerate(program.rules)
        )
        rules = RuleSet(rules=tuple(parse_rules(source, "<conformance>")))
        if self.nemo:
            rules = _existential_negation(rules)
        store = self._store(program.facts)
        _declare_empty_relations(rules, store)
        problems = check(rules, store.schema(), BUILTINS)
        if problems:
            raise RejectedProgram(problems, self.expected_error)
        compiled = CompiledProgram(rules, store.schema(), BUILTINS)
        facts: dict[str, set[tuple[Any, ...]]] = {}
        for name, arity in {**store.schema(), **rules.derived_predicates()}.items():
            rows = compiled.ask(name, (None,) * arity, store)
            facts[name.removeprefix("p_")] = {tuple(r) for r in rows}
        return Model(facts)

    def _store(self, relations: dict[str, list[tuple[Any, ...]]]) -> FactStore:
        """The suite's facts as base facts ``p_<name>``."""
        store = FactStore()
        for name, rows in relations.items():
            arity = len(rows[0]) if rows else 0
            store.declare("p_" + name, arity)
            for row in rows:
                if any(isinstance(v, (float, bool)) for v in row):
                    raise Unsupported("floating-point or boolean constants")
                if len(row) != arity:
                    problem = Problem("arity_mismatch", f"facts of `{name}` differ in arity")
                    raise RejectedProgram([problem], self.expected_error)
                store.add("p_" + name, tuple(row))
        return store


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
