"""Static checks of a rule set, and its strata.

`check` returns every problem at once, sorted by location, each with a stable code:

- ``unknown_predicate``: a condition names no fact kind, builtin or rule head;
- ``arity_mismatch``: a predicate is used with another number of arguments than declared (as a
  fact kind or builtin) or than in its first rule head;
- ``unsafe_variable``: a variable of the head, of a negated condition or of a comparison is not
  bound by a positive condition (``X = constant`` and ``X = Bound`` bind ``X``);
- ``not_stratifiable``: a predicate depends on its own negation;
- ``duplicate_rule_id``, ``missing_id``, ``missing_clause``, ``missing_reading``;
- ``bad_placeholder``: a reading's or refusal's ``{Name}`` is not a variable of the rule.

A predicate may have both facts and rules: that is not a problem.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from policyeval.errors import Problem, RuleCheckError, sorted_problems
from policyeval.language.analysis import ProgramAnalysis
from policyeval.language.syntax import (
    Atom,
    Comparison,
    Const,
    Literal,
    Location,
    Negation,
    Rule,
    RuleSet,
    Term,
    Var,
    is_anonymous,
    reading_placeholders,
)

__all__ = ["Signature", "check", "check_or_raise", "strata"]


class Signature(Protocol):
    """What the checker needs to know of a builtin: its number of arguments, and the argument
    positions that must be bound when it is called."""

    @property
    def arity(self) -> int: ...

    @property
    def inputs(self) -> tuple[int, ...]: ...


def check(
    rules: RuleSet,
    base_predicates: Mapping[str, int],
    builtins: Mapping[str, Signature],
    analysis: ProgramAnalysis | None = None,
    dated: Collection[str] = (),
) -> list[Problem]:
    """Every problem of the rule set, sorted by location.

    ``base_predicates`` maps a fact kind to its number of arguments; ``builtins`` give the
    builtins' signatures. ``analysis`` is the rules' dependency analysis, if made already.
    ``dated`` fact kinds take the day as their last argument, and it must be bound.
    """
    analysis = analysis or ProgramAnalysis(rules)
    all_rules = list(rules.rules)
    inputs = {
        **{name: (base_predicates[name] - 1,) for name in dated if name in base_predicates},
        **analysis.inputs,
        **{name: b.inputs for name, b in builtins.items()},
    }
    arities = {name: b.arity for name, b in builtins.items()}
    problems = [
        *_metadata_problems(all_rules),
        *_duplicate_ids(all_rules),
        *_placeholder_problems(all_rules),
        *_predicate_problems(all_rules, base_predicates, arities, frozenset(dated)),
        *_given_problems(all_rules),
        *(problem for rule in all_rules for problem in _unsafe_variables(rule, inputs)),
        *(problem for rule in all_rules for problem in _unbound_inputs(rule, inputs)),
        *analysis.negative_cycles,
    ]
    return sorted_problems(sorted(problems, key=lambda p: (p.code, p.message)))


def check_or_raise(
    rules: RuleSet,
    base_predicates: Mapping[str, int],
    builtins: Mapping[str, Signature],
    analysis: ProgramAnalysis | None = None,
    dated: Collection[str] = (),
) -> None:
    """Raise `RuleCheckError` carrying every problem `check` finds, if there is any."""
    problems = check(rules, base_predicates, builtins, analysis, dated)
    if problems:
        raise _rejected(problems)


def strata(rules: RuleSet | Iterable[Rule]) -> list[set[str]]:
    """The rule heads' predicates grouped by stratum, lowest first.

    A predicate's stratum is above those of the predicates it negates and at least those of the
    predicates it uses; facts and builtins sit below every stratum and are not listed. Raises
    `RuleCheckError` (``not_stratifiable``) if a predicate depends on its own negation.
    """
    analysis = ProgramAnalysis(rules if isinstance(rules, RuleSet) else RuleSet(tuple(rules)))
    if analysis.negative_cycles:
        raise _rejected(sorted_problems(analysis.negative_cycles))
    return analysis.strata


def _rejected(problems: list[Problem]) -> RuleCheckError:
    noun = "problem" if len(problems) == 1 else "problems"
    return RuleCheckError(f"rule set rejected: {len(problems)} {noun}", problems)


def _name(rule: Rule) -> str:
    """How messages name a rule: by its id, else by its head's predicate."""
    return f"rule `{rule.id}`" if rule.id else f"the rule for `{rule.head.predicate}`"


def _where(location: Location | None) -> str:
    return str(location) if location else "an unknown place"


# --- Metadata ---------------------------------------------------------------------------------


def _metadata_problems(rules: list[Rule]) -> Iterator[Problem]:
    for rule in rules:
        name = _name(rule)
        if not rule.id.strip():
            yield Problem("missing_id", f'{name} has no `@id("…")`', rule.location)
        if not rule.clause.strip():
            message = f'{name} cites no clause: add `@clause("…")` or put it under a clause heading'
            yield Problem("missing_clause", message, rule.location)
        if not rule.reading.strip():
            message = f'{name} has no `@reading("…")` saying in words what it means'
            yield Problem("missing_reading", message, rule.location)


def _duplicate_ids(rules: list[Rule]) -> Iterator[Problem]:
    first: dict[str, Rule] = {}
    for rule in rules:
        if not rule.id:
            continue
        earlier = first.setdefault(rule.id, rule)
        if earlier is not rule:
            message = (
                f"rule id `{rule.id}` is already used by the rule at {_where(earlier.location)}"
            )
            yield Problem("duplicate_rule_id", message, rule.location)


def _placeholder_problems(rules: list[Rule]) -> Iterator[Problem]:
    for rule in rules:
        names = {var.name for var in rule.variables() if not is_anonymous(var)}
        for what, text in (("reading", rule.reading), ("refusal", rule.refusal or "")):
            for placeholder in dict.fromkeys(reading_placeholders(text)):
                if placeholder not in names:
                    message = (
                        f"the {what} of {_name(rule)} uses `{{{placeholder}}}`, "
                        "which is not a variable of the rule"
                    )
                    yield Problem("bad_placeholder", message, rule.location)


# --- Predicates and arities -------------------------------------------------------------------


@dataclass(frozen=True)
class _Declaration:
    """A predicate's number of arguments and where that number comes from."""

    arity: int
    source: str
    atom: Atom | None = None


def _declarations(
    rules: list[Rule], base_predicates: Mapping[str, int], builtins: Mapping[str, int]
) -> dict[str, _Declaration]:
    """Fact kinds first, then builtins, then each derived predicate's first head."""
    declared = {
        name: _Declaration(arity, "as a fact kind") for name, arity in base_predicates.items()
    }
    for name, arity in builtins.items():
        declared.setdefault(name, _Declaration(arity, "as a builtin"))
    for rule in rules:
        source = f"in the head of {_name(rule)} at {_where(rule.head.location)}"
        declared.setdefault(rule.head.predicate, _Declaration(rule.head.arity, source, rule.head))
    return declared


def _predicate_problems(
    rules: list[Rule],
    base_predicates: Mapping[str, int],
    builtins: Mapping[str, int],
    dated: frozenset[str],
) -> Iterator[Problem]:
    declared = _declarations(rules, base_predicates, builtins)
    for rule in rules:
        for atom in (rule.head, *(atom for atom, _ in rule.body_atoms())):
            declaration = declared.get(atom.predicate)
            if declaration is None:
                yield _unknown_predicate(rule, atom, declared)
            elif declaration.atom is not atom and declaration.arity != atom.arity:
                message = (
                    f"`{atom.predicate}` takes {_arguments(declaration.arity)} "
                    f"{declaration.source}, but is used here with {atom.arity}"
                )
                if atom.predicate in dated:
                    message += (
                        f"; its facts change over time, so its last argument is the day it is"
                        f" asked of: `{_dated_example(atom.predicate, declaration.arity)}`"
                    )
                yield Problem("arity_mismatch", message, atom.location)


def _dated_example(predicate: str, arity: int) -> str:
    """``org_head(X1, X2, D)``: how a dated predicate is used."""
    return f"{predicate}({', '.join([*(f'X{i}' for i in range(1, arity)), 'D'])})"


def _unknown_predicate(rule: Rule, atom: Atom, declared: Mapping[str, object]) -> Problem:
    message = (
        f"unknown predicate `{atom.predicate}` in {_name(rule)}: "
        "it is neither a fact kind, a builtin nor the head of a rule"
    )
    guesses = difflib.get_close_matches(atom.predicate, list(declared), n=1)
    if guesses:
        message += f"; did you mean `{guesses[0]}`?"
    return Problem("unknown_predicate", message, atom.location)


def _arguments(count: int) -> str:
    return "1 argument" if count == 1 else f"{count} arguments"


# --- Safety -----------------------------------------------------------------------------------


def _given_problems(rules: list[Rule]) -> Iterator[Problem]:
    """A ``@given`` name must be a variable of the head."""
    for rule in rules:
        head = {v.name for v in rule.head.variables()}
        for name in rule.given:
            if name not in head:
                message = (
                    f"`@given` names `{name}`, which is not a variable of the head of {_name(rule)}"
                )
                yield Problem("bad_given", message, rule.location)


def _unbound_inputs(rule: Rule, inputs: Mapping[str, tuple[int, ...]]) -> Iterator[Problem]:
    """Calls of a builtin or a ``@given`` predicate whose inputs nothing binds."""
    bound = _bound_variables(rule, inputs)
    for atom, _ in rule.body_atoms():
        for position in inputs.get(atom.predicate, ()):
            term = atom.terms[position] if position < atom.arity else None
            if isinstance(term, Var) and term.name not in bound:
                message = (
                    f"argument {position + 1} of `{atom.predicate}` in {_name(rule)} must be "
                    f"bound when it is called, but `{term.name}` is not bound by anything else"
                )
                yield Problem("unbound_input", message, atom.location)


def _unsafe_variables(
    rule: Rule, inputs: Mapping[str, tuple[int, ...]] | None = None
) -> Iterator[Problem]:
    """Each variable that must be bound and is not, once per rule, at its first such use."""
    bound = _bound_variables(rule, inputs or {})
    reported: set[str] = set()
    for var, place, location in _guarded_occurrences(rule):
        if is_anonymous(var):
            message = (
                f"anonymous variable `_` in {place} of {_name(rule)} is never bound; "
                "name it and bind it by a positive condition"
            )
        elif var.name in bound or var.name in reported:
            continue
        else:
            message = f"variable `{var.name}` of {_name(rule)} is not bound by a positive condition"
            reported.add(var.name)
        yield Problem("unsafe_variable", message, location)


def _guarded_occurrences(rule: Rule) -> Iterator[tuple[Var, str, Location | None]]:
    """The variables that a positive condition must bind, with the place they occur in.

    An anonymous variable in a negated condition means "any value" and needs no binding.
    """
    for var in rule.head.variables():
        yield var, "the head", rule.head.location
    for literal in rule.body:
        yield from _guarded_in_condition(literal)


def _guarded_in_condition(literal: Literal) -> Iterator[tuple[Var, str, Location | None]]:
    """The variables of one body condition that a positive condition must bind: every one of a
    comparison, the named ones of a negated condition, none of a positive atom."""
    if isinstance(literal, Negation):
        named = (var for var in literal.variables() if not is_anonymous(var))
        yield from ((var, "a negated condition", literal.location) for var in named)
    elif isinstance(literal, Comparison):
        yield from ((var, "a comparison", literal.location) for var in literal.variables())


def _bound_variables(rule: Rule, inputs: Mapping[str, tuple[int, ...]] | None = None) -> set[str]:
    """``@given`` variables, those of positive atoms whose inputs are bound, and those equated
    to bound terms, to a fixpoint."""
    inputs = inputs or {}
    bound = set(rule.given)
    while new := _bound_by_atoms(rule, inputs, bound) | _bound_by_equalities(rule, bound):
        bound |= new
    return bound


def _bound_by_atoms(rule: Rule, inputs: Mapping[str, tuple[int, ...]], bound: set[str]) -> set[str]:
    """The variables, not in ``bound`` yet, of ``rule``'s positive atoms whose ``inputs``
    ``bound`` binds."""
    found = {
        var.name
        for atom in rule.body
        if isinstance(atom, Atom) and _inputs_bound(atom, inputs, bound)
        for var in atom.variables()
    }
    return found - bound


def _inputs_bound(atom: Atom, inputs: Mapping[str, tuple[int, ...]], bound: set[str]) -> bool:
    """Whether every argument of ``atom`` that ``inputs`` requires is a constant or ``bound``."""
    needed = [atom.terms[i] for i in inputs.get(atom.predicate, ()) if i < atom.arity]
    return all(not isinstance(t, Var) or t.name in bound for t in needed)


def _bound_by_equalities(rule: Rule, bound: set[str]) -> set[str]:
    """The variables, not in ``bound`` yet, that an ``=`` of ``rule`` equates to a bound term."""
    found: set[str] = set()
    for equality in rule.body:
        if not (isinstance(equality, Comparison) and equality.operator == "="):
            continue
        for target, source in ((equality.left, equality.right), (equality.right, equality.left)):
            if (name := _newly_bound(target, source, bound)) is not None:
                found.add(name)
    return found


def _newly_bound(target: Term, source: Term, bound: set[str]) -> str | None:
    """The name of ``target`` if ``target = source`` binds it: named, unbound, ``source`` bound."""
    if not isinstance(target, Var) or is_anonymous(target) or target.name in bound:
        return None
    return target.name if isinstance(source, Const) or source.name in bound else None
