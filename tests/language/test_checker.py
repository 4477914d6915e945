"""The rule checker: each problem kind, located; all problems at once; strata."""

from __future__ import annotations

import pytest

from policyeval.engine.builtins import Builtin
from policyeval.errors import Problem, RuleCheckError
from policyeval.language.checker import check, check_or_raise, strata
from policyeval.language.parser import parse_rules
from policyeval.language.syntax import Location, RuleSet

BASE = {"permission": 1, "permission_customer": 2, "revoked": 1, "agreement": 3, "edge": 2}
BUILTINS = {
    "working_days_between": Builtin(
        "working_days_between", ("From", "To", "Days"), (), "a test builtin", lambda _: iter(())
    )
}

VALID = """
@id("permission.held") @clause("3.1") @reading("{C} holds permission {P}")
permission_held(C, P) :- permission(P), permission_customer(P, C), not revoked(P).
@id("agreement.concluded") @clause("3.2") @reading("{C} and {E} concluded an agreement on {D}")
agreement_concluded(C, E, D) :- agreement(C, E, D), D >= 2021-05-02.
@id("transfer.allowed") @clause("3")
@reading("{C} may transfer to {E}: permission held and agreement concluded")
transfer_allowed(C, E) :- permission_held(C, _), agreement_concluded(C, E, D),
    working_days_between(D, 2026-01-05, N), N <= 10.
@id("reach.direct") @clause("8") @reading("{X} reaches {Y}")
reaches(X, Y) :- edge(X, Y).
@id("reach.step") @clause("8") @reading("{X} reaches {Y} through {Z}")
reaches(X, Y) :- reaches(X, Z), edge(Z, Y).
@id("transfer.fact") @clause("3") @reading("the decree applies")
applies.
"""


def _rules(text: str) -> RuleSet:
    return RuleSet(tuple(parse_rules(text, "r.md")))


def _problems(text: str) -> list[Problem]:
    return check(_rules(text), BASE, BUILTINS)


def _only(text: str, code: str) -> list[Problem]:
    return [p for p in _problems(text) if p.code == code]


def _rule(head: str, body: str = "", *, rule_id: str = "r") -> str:
    """A rule with complete metadata; ``head`` variables should appear in the reading."""
    text = f"{head} :- {body}." if body else f"{head}."
    return f'@id("{rule_id}") @clause("1") @reading("a rule")\n{text}\n'


def test_a_valid_rule_set_has_no_problems() -> None:
    assert _problems(VALID) == []
    check_or_raise(_rules(VALID), BASE, BUILTINS)


def test_a_predicate_with_both_facts_and_rules_is_allowed() -> None:
    assert _problems(_rule("revoked(P)", "permission(P), P = p1")) == []


# --- Predicates and arities -------------------------------------------------------------------


def test_an_unknown_predicate_is_located_and_a_close_name_suggested() -> None:
    (problem,) = _only(_rule("held(P)", "permission(P), not revokd(P)"), "unknown_predicate")
    assert problem.location == Location("r.md", 2, 31)
    assert problem.message == (
        "unknown predicate `revokd` in rule `r`: it is neither a fact kind, a builtin nor the "
        "head of a rule; did you mean `revoked`?"
    )


def test_a_fact_kind_used_with_the_wrong_number_of_arguments() -> None:
    (problem,) = _only(_rule("held(P)", "permission(P, P)"), "arity_mismatch")
    assert problem.location == Location("r.md", 2, 12)
    assert (
        problem.message == "`permission` takes 1 argument as a fact kind, but is used here with 2"
    )


def test_a_builtin_used_with_the_wrong_number_of_arguments() -> None:
    (problem,) = _only(
        _rule("late(D)", "permission(D), working_days_between(D, 3)"), "arity_mismatch"
    )
    assert "`working_days_between` takes 3 arguments as a builtin" in problem.message


def test_a_derived_predicate_used_with_another_number_of_arguments_than_its_head() -> None:
    text = _rule("held(P)", "permission(P)", rule_id="a") + _rule(
        "other(P)", "held(P, P)", rule_id="b"
    )
    (problem,) = _only(text, "arity_mismatch")
    assert problem.location == Location("r.md", 4, 13)
    assert problem.message == (
        "`held` takes 1 argument in the head of rule `a` at r.md:2:1, but is used here with 2"
    )


def test_two_heads_of_one_predicate_with_different_arities() -> None:
    text = _rule("held(P)", "permission(P)", rule_id="a") + _rule(
        "held(P, P)", "permission(P)", rule_id="b"
    )
    (problem,) = _only(text, "arity_mismatch")
    assert problem.location == Location("r.md", 4, 1)


# --- Safety -----------------------------------------------------------------------------------


def test_a_head_variable_not_bound_by_a_positive_condition() -> None:
    text = '@id("transfer.allowed") @clause("3") @reading("{C} may transfer to {E}")\n'
    text += "transfer_allowed(C, E) :- permission_customer(_, C), not revoked(E).\n"
    (problem,) = _only(text, "unsafe_variable")
    assert problem.location == Location("r.md", 2, 1)
    assert problem.message == (
        "variable `E` of rule `transfer.allowed` is not bound by a positive condition"
    )


def test_a_variable_only_in_a_negated_condition_or_a_comparison_is_unsafe() -> None:
    text = _rule("held(P)", "permission(P), not permission_customer(P, C), D > 2021-01-01")
    problems = _only(text, "unsafe_variable")
    assert [(p.location, p.message.split("`")[1]) for p in problems] == [
        (Location("r.md", 2, 31), "C"),
        (Location("r.md", 2, 58), "D"),
    ]


def test_equality_with_a_constant_or_a_bound_variable_binds() -> None:
    text = _rule("held(P, X, Y)", "permission(P), X = 3, Y = X, not revoked(Y)")
    assert _only(text, "unsafe_variable") == []


def test_equality_between_two_unbound_variables_binds_neither() -> None:
    text = _rule("held(P)", "permission(P), X = Y")
    assert [p.message.split("`")[1] for p in _only(text, "unsafe_variable")] == ["X", "Y"]


def test_a_builtin_binds_its_variables() -> None:
    text = _rule("late(D, N)", "permission(D), working_days_between(D, 2026-01-05, N)")
    assert _only(text, "unsafe_variable") == []


def test_a_fact_rule_with_a_variable_is_unsafe() -> None:
    assert len(_only(_rule("everything(X)"), "unsafe_variable")) == 1


def test_anonymous_variables_are_fine_in_conditions_but_not_in_heads_or_comparisons() -> None:
    assert (
        _only(
            _rule("held(P)", "permission_customer(P, _), not agreement(P, _, _)"), "unsafe_variable"
        )
        == []
    )
    head = _only(_rule("held(P, _)", "permission(P)"), "unsafe_variable")
    comparison = _only(_rule("held(P)", "permission(P), _ = 3"), "unsafe_variable")
    assert [p.message for p in head] == [
        "anonymous variable `_` in the head of rule `r` is never bound; "
        "name it and bind it by a positive condition"
    ]
    assert [p.location for p in comparison] == [Location("r.md", 2, 27)]


# --- Negation through recursion ---------------------------------------------------------------


def test_negation_through_recursion_is_reported_with_its_cycle() -> None:
    text = _rule("win(X)", "edge(X, Y), not lose(Y)", rule_id="win")
    text += _rule("lose(X)", "edge(X, Y), win(Y)", rule_id="lose")
    (problem,) = _only(text, "not_stratifiable")
    assert problem.location == Location("r.md", 2, 27)
    assert problem.message == (
        "negation through recursion: `win` → not `lose` → `win`; "
        "a predicate must not depend on its own negation"
    )
    with pytest.raises(RuleCheckError) as caught:
        strata(_rules(text))
    assert [p.code for p in caught.value.problems] == ["not_stratifiable"]


def test_a_predicate_negating_itself_is_not_stratifiable() -> None:
    (problem,) = _only(_rule("odd(X)", "edge(X, _), not odd(X)"), "not_stratifiable")
    assert "`odd` → not `odd`" in problem.message


def test_strata_put_negated_predicates_below_and_recursion_together() -> None:
    text = _rule("reaches(X, Y)", "edge(X, Y)", rule_id="a")
    text += _rule("reaches(X, Y)", "reaches(X, Z), edge(Z, Y)", rule_id="b")
    text += _rule("blocked(X)", "edge(X, X), not reaches(X, X)", rule_id="c")
    text += _rule("open(X)", "edge(X, _), not blocked(X)", rule_id="d")
    text += _rule("known(X)", "open(X), reaches(X, _)", rule_id="e")
    text += _rule("seen(X)", "edge(X, _)", rule_id="f")
    assert strata(_rules(text)) == [{"reaches", "seen"}, {"blocked"}, {"open", "known"}]


def test_strata_of_rules_without_negation_is_one_stratum() -> None:
    assert strata(_rules(VALID)) == [
        {"permission_held", "agreement_concluded", "transfer_allowed", "reaches", "applies"}
    ]


# --- Metadata ---------------------------------------------------------------------------------


def test_missing_metadata_is_reported_per_rule() -> None:
    problems = _problems("held(P) :- permission(P).")
    assert [(p.code, p.location) for p in problems] == [
        ("missing_clause", Location("r.md", 1, 1)),
        ("missing_id", Location("r.md", 1, 1)),
        ("missing_reading", Location("r.md", 1, 1)),
    ]
    assert problems[1].message == 'the rule for `held` has no `@id("…")`'


def test_a_duplicate_rule_id_names_both_locations() -> None:
    text = _rule("held(P)", "permission(P)", rule_id="same") + _rule(
        "held(P)", "revoked(P)", rule_id="same"
    )
    (problem,) = _only(text, "duplicate_rule_id")
    assert problem.location == Location("r.md", 4, 1)
    assert problem.message == "rule id `same` is already used by the rule at r.md:2:1"


def test_a_reading_placeholder_must_be_a_variable_of_the_rule() -> None:
    text = '@id("r") @clause("1") @reading("{P} is held by {C} ({P})")\nheld(P) :- permission(P).'
    (problem,) = _only(text, "bad_placeholder")
    assert problem.location == Location("r.md", 2, 1)
    assert (
        problem.message == "the reading of rule `r` uses `{C}`, which is not a variable of the rule"
    )


def test_a_refusal_placeholder_must_be_a_variable_of_the_rule() -> None:
    text = (
        '@id("r") @clause("1") @reading("{P} is held") @refusal("{P} is not held by {C}")\n'
        "held(P) :- permission(P)."
    )
    (problem,) = _only(text, "bad_placeholder")
    assert (
        problem.message == "the refusal of rule `r` uses `{C}`, which is not a variable of the rule"
    )


# --- Everything at once -----------------------------------------------------------------------


def test_every_problem_is_reported_at_once_sorted_by_location() -> None:
    text = VALID + (
        '@id("permission.held") @clause("3.1") @reading("{X} is odd")\n'
        "odd(X, Y) :- edge(X, _), not odd(X, X), permision(X), edge(X).\n"
    )
    problems = _problems(text)
    assert [(p.location.line if p.location else 0, p.code) for p in problems] == [
        (17, "duplicate_rule_id"),
        (17, "unsafe_variable"),
        (17, "not_stratifiable"),
        (17, "unknown_predicate"),
        (17, "arity_mismatch"),
    ]
    assert problems == sorted(
        problems, key=lambda p: (p.location.line, p.location.column) if p.location else (0, 0)
    )
    with pytest.raises(RuleCheckError) as caught:
        check_or_raise(_rules(text), BASE, BUILTINS)
    assert caught.value.message == "rule set rejected: 5 problems"
    assert caught.value.problems == problems
