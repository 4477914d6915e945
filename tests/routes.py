"""The routes world: a small rule set (recursion, a negation, two ways to one head, a date
input) and its facts, shared by the evaluator's and the explanations' tests."""

from __future__ import annotations

import datetime as dt

from policyeval.engine.store import FactSource, FactStore
from policyeval.evaluator import Evaluator
from policyeval.language.parser import parse_rules
from policyeval.language.syntax import RuleSet, Value

ROUTES = """
@id("path.direct") @clause("1") @reading("{X} reaches {Y} directly")
path(X, Y) :- edge(X, Y).
@id("path.step") @clause("1") @reading("{X} reaches {Y} through {Z}")
path(X, Y) :- path(X, Z), edge(Z, Y).
@id("go.open") @clause("2.1") @given("D")
@reading("{X} may travel on {D}: it reaches the hub and is open")
go(X, D) :- path(X, hub), opened(X, O), D >= O, not banned(X).
@id("go.vip") @clause("2.2") @given("D") @reading("{X} may travel on {D} as a VIP")
go(X, D) :- vip(X), day(D).
"""
SCHEMA = {"edge": 2, "opened": 2, "banned": 1, "vip": 1, "day": 1}
JAN1 = dt.date(2026, 1, 1)
FEB1 = dt.date(2026, 2, 1)


def routes_store() -> FactStore:
    store = FactStore(SCHEMA)
    facts: list[tuple[str, tuple[Value, ...]]] = [
        ("edge", ("a", "b")),
        ("edge", ("b", "hub")),
        ("edge", ("c", "hub")),
        ("opened", ("a", JAN1)),
        ("opened", ("c", JAN1)),
        ("banned", ("c",)),
    ]
    for line, (predicate, args) in enumerate(facts, start=1):
        store.add(predicate, args, FactSource("world.yaml", line, f"r{line}"))
    return store


def routes_rules(text: str = ROUTES) -> RuleSet:
    return RuleSet(rules=tuple(parse_rules(text, "routes.md")))


def routes_evaluator() -> Evaluator:
    """The routes rules over the routes facts, versions ``p1`` and ``f1``."""
    return Evaluator.from_rules(
        routes_rules(), routes_store(), policy_version="p1", facts_version="f1"
    )
