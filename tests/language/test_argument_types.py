"""Argument types: derived predicates take the types of the base positions their variables
fill, through recursion, comparisons and head constants; what cannot be told is ``None``."""

from __future__ import annotations

import datetime as dt

from policyeval.language.argument_types import (
    PredicateTypes,
    agreed_types,
    infer_argument_types,
    type_of,
)
from policyeval.language.parser import parse_rules

BASE: PredicateTypes = {
    "edge": ("string", "string"),
    "opened": ("string", "date"),
    "sheets": ("string", "integer"),
    "note": ("string", None),
}

RULES = """
@id("path.direct") @clause("1") @reading("{X} reaches {Y}")
path(X, Y) :- edge(X, Y).
@id("path.step") @clause("1") @reading("{X} reaches {Y} through {Z}")
path(X, Y) :- path(X, Z), edge(Z, Y).
@id("go") @clause("2") @given("D") @reading("{X} may go on {D}")
go(X, D) :- path(X, hub), opened(X, O), D >= O.
@id("breach.8") @clause("3") @reading("{X} breaks clause 8")
breaches(X, "8") :- opened(X, _), not path(X, hub).
@id("breach.9") @clause("3") @reading("{X} breaks clause 9")
breaches(X, "9") :- edge(X, _).
@id("thick") @clause("4") @reading("{X} has {N} sheets, more than 10")
thick(X, N) :- sheets(X, N), N > 10.
@id("mixed.a") @clause("5") @reading("{X}: {V}")
mixed(X, V) :- sheets(X, V).
@id("mixed.b") @clause("5") @reading("{X}: {V}")
mixed(X, V) :- opened(X, V).
@id("noted") @clause("6") @reading("{X}: {V}")
noted(X, V) :- note(X, V).
@id("later") @clause("7") @reading("{X} then {E}")
later(X, E) :- opened(X, O), add_days(O, 10, E).
@id("pinned") @clause("8") @reading("{X} is on {V}")
pinned(X, V) :- note(X, V), V = 2026-01-01.
"""


def _types() -> PredicateTypes:
    return infer_argument_types(parse_rules(RULES, "r.md"), BASE)


def test_a_derived_position_takes_the_type_of_the_base_positions_it_comes_from() -> None:
    types = _types()
    assert types["path"] == ("string", "string")  # recursive: to a fixpoint
    assert types["thick"] == ("string", "integer")


def test_a_given_variable_takes_the_type_of_what_it_is_compared_with() -> None:
    assert _types()["go"] == ("string", "date")


def test_head_constants_give_their_own_type() -> None:
    assert _types()["breaches"] == ("string", "string")


def test_what_cannot_be_told_is_none() -> None:
    types = _types()
    assert types["mixed"] == ("string", None)  # an integer by one rule, a date by the other
    assert types["noted"] == ("string", None)  # the base position declares no type
    assert types["later"] == ("string", None)  # a built-in's output


def test_a_comparison_with_a_constant_narrows_an_undeclared_position() -> None:
    assert _types()["pinned"] == ("string", "date")


def test_base_predicates_keep_their_declared_types() -> None:
    assert _types()["opened"] == ("string", "date")


def test_redactions_agree_or_the_position_is_none() -> None:
    first: PredicateTypes = {"p": ("string", "date"), "q": ("integer",)}
    second: PredicateTypes = {"p": ("string", "string")}
    assert agreed_types(first, second) == {"p": ("string", None), "q": ("integer",)}


def test_type_of_a_constant() -> None:
    assert [type_of(v) for v in ("8", 8, dt.date(2026, 1, 1))] == ["string", "integer", "date"]
