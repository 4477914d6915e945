"""The evaluation order of a rule body (:func:`policyeval.engine.planning.evaluation_order`)."""

from __future__ import annotations

from policyeval.engine.planning import evaluation_order
from policyeval.language.syntax import Atom, Comparison, Const, Literal, Location, Rule, Var

X, Y, D = Var("X"), Var("Y"), Var("D")


def _rule(rule_id: str, line: int) -> Rule:
    """``p(X, D) :- later(X, Y, D), Y != "c", edge(X, Y)``, its conditions on line ``line``."""
    place = Location("rules.md", line, 1)
    body: tuple[Literal, ...] = (
        Atom("later", (X, Y, D), place),
        Comparison("!=", Y, Const("c"), place),
        Atom("edge", (X, Y), place),
    )
    return Rule(rule_id, "1", "p", Atom("p", (X, D)), body, given=("D",))


def test_atoms_wait_for_their_inputs_and_tests_go_as_soon_as_bound() -> None:
    rule = _rule("r", 1)
    later, differs, edge = rule.body
    assert evaluation_order(rule, {}) == (later, differs, edge)
    assert evaluation_order(rule, {"later": (1,)}) == (edge, differs, later)
    assert evaluation_order(rule, {"later": (1,)}, {"later"}) == (edge, differs, later)
    assert evaluation_order(rule, {}, {"edge"}) == (edge, differs, later)


def test_equal_bodies_are_each_ordered_with_their_own_conditions() -> None:
    """The order is kept per body, but each rule gets its own conditions (and their places)."""
    first, second = _rule("r1", 1), _rule("r2", 2)
    assert first.body == second.body
    for rule in (first, second, first):
        ordered = evaluation_order(rule, {"later": (1,)})
        assert [id(lit) for lit in ordered] == [id(rule.body[i]) for i in (2, 1, 0)]
