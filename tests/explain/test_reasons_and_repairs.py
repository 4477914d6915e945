"""Refusals in words on a small world: facts named as records and fields, alternatives that
cannot apply folded as one line, the closest way first, blocking facts named with their place,
comparisons by what their terms are, and repairs that are checked before they are offered."""

from __future__ import annotations

import datetime as dt

from policyeval.engine.glossary import BaseTerm, Glossary
from policyeval.engine.store import BaseFact, FactSource, FactStore
from policyeval.evaluator import Evaluator, build_knowledge_base
from policyeval.explain.reasons import Reason
from policyeval.language.parser import parse_rules
from policyeval.language.syntax import RuleSet, Value
from policyeval.repairs import find_repairs

RULES = """
@id("work.org") @clause("2") @given("D")
@reading("on {D}, {E} is a licensed organization")
work(E, D) :- organization(E), licensed(E, D).
@id("work.citizen") @clause("2") @given("D")
@reading("{E} is a citizen of the Republic")
@refusal("{E} is not a citizen of the Republic, and so may not work")
work(E, D) :- person(E), citizenship(E, kz).
@id("receive") @clause("3") @given("D")
@reading("on {D}, {E} may receive: it may work, is not blocked and its permit runs until {Until}")
receive(E, D) :- work(E, D), not blocked(E, D), permit_until(E, Until), D <= Until.
@id("blocked") @clause("9") @given("D")
@reading("on {D}, {E} is blocked by {B}, from {From}")
blocked(E, D) :- block_party(B, E), block_from(B, From), From <= D.
"""

GLOSSARY: Glossary = {
    "organization": (BaseTerm("organization", "organization", "", ("Org",), sort=True),),
    "person": (BaseTerm("person", "person", "", ("Person",), sort=True),),
    "citizenship": (
        BaseTerm("citizenship", "person", "citizenship", ("Person", "Country"), fixed=True),
    ),
    "licensed": (BaseTerm("licensed", "organization", "licensed", ("Org",)),),
    "permit_until": (BaseTerm("permit_until", "organization", "permit_until", ("Org", "Until")),),
    "block_party": (BaseTerm("block_party", "block", "party", ("Block", "Party")),),
    "block_from": (BaseTerm("block_from", "block", "from", ("Block", "From")),),
}
DAY = dt.date(2026, 2, 1)


Facts = list[tuple[str, tuple[Value, ...]]]


def _evaluator(facts: Facts) -> Evaluator:
    schema = {"organization": 1, "person": 1, "citizenship": 2, "licensed": 2}
    schema |= {"permit_until": 2, "block_party": 2, "block_from": 2}
    store = FactStore(schema)
    for line, (predicate, args) in enumerate(facts, start=1):
        store.add(predicate, args, FactSource("world.yaml", line, str(args[0])))
    rules = RuleSet(rules=tuple(parse_rules(RULES, "rules.md")))
    return Evaluator(build_knowledge_base(rules, store, glossary=GLOSSARY))


ACME: Facts = [
    ("organization", ("acme",)),
    ("licensed", ("acme", DAY)),
    ("permit_until", ("acme", dt.date(2026, 1, 31))),
    ("block_party", ("b1", "acme")),
    ("block_from", ("b1", dt.date(2026, 1, 10))),
]


def _reasons(evaluator: Evaluator, who: str) -> list[Reason]:
    return evaluator.query("receive", [who, DAY]).reasons


def test_a_refusal_names_the_blocking_facts_and_the_compared_fields() -> None:
    (reason,) = _reasons(_evaluator(ACME), "acme")
    assert (reason.clause, reason.rule) == ("3", "receive")
    assert reason.text.startswith("not established that on 2026-02-01, acme may receive")
    assert reason.missing == [
        "on 2026-02-01, acme is blocked by b1, from 2026-01-10",
        "2026-02-01 (D) is after 2026-01-31 (`permit_until` of the `organization` acme)",
    ]
    assert [str(b) for b in reason.blocking] == [
        "block_party(b1, acme) (record b1, world.yaml:4)",
        "block_from(b1, 2026-01-10) (record b1, world.yaml:5)",
    ]
    assert "any" not in reason.render()


def test_a_rule_for_another_sort_of_party_is_one_line_that_says_why() -> None:
    ivan: Facts = [("person", ("ivan",)), ("citizenship", ("ivan", "ru"))]
    ivan += [("permit_until", ("ivan", dt.date(2026, 12, 31)))]
    (reason,) = _reasons(_evaluator(ivan), "ivan")
    # The citizen's rule is the closest way; the organization's does not apply to a person.
    assert reason.rule == "work.citizen"
    assert reason.text == "ivan is not a citizen of the Republic, and so may not work"
    assert reason.missing == ["the `person` ivan does not have `citizenship` kz (it has ru)"]
    (other,) = reason.other_ways
    assert (other.rule, other.does_not_apply) == ("work.org", "ivan is a person")
    assert "no fact organization(ivan)" not in reason.render()


def test_the_closest_way_comes_first_and_the_others_fold() -> None:
    # An organization missing its licence: the organization's way fails one condition, and
    # the citizen's way cannot apply to it.
    unlicensed: Facts = [("organization", ("beta",)), ("permit_until", ("beta", DAY))]
    (reason,) = _reasons(_evaluator(unlicensed), "beta")
    assert reason.rule == "work.org"
    assert reason.missing == ["the `organization` beta does not have `licensed: true`"]
    assert [(w.rule, w.does_not_apply) for w in reason.other_ways] == [
        ("work.citizen", "beta is an organization")
    ]


def test_repairs_are_checked_and_written_as_records_and_fields() -> None:
    evaluator = _evaluator(ACME)
    why_not = evaluator.why_not("receive", ["acme", DAY])
    assert why_not is not None
    advice = find_repairs(evaluator, "receive", ["acme", DAY], why_not, GLOSSARY)
    texts = [[change.text for change in repair.changes] for repair in advice.repairs]
    assert texts[0] == [
        "remove `party` acme from the `block` b1 (world.yaml:4)",
        "change `permit_until` of the `organization` acme from 2026-01-31 to 2026-02-01 (or later)",
    ]
    for repair in advice.repairs:
        added, retracted = repair.facts()
        assert evaluator.ask("receive", ["acme", DAY], assume=added, retract=retracted)
        assert not evaluator.ask("receive", ["acme", DAY], assume=added)  # both are needed


def test_no_repair_changes_what_the_parties_cannot() -> None:
    ivan: Facts = [("person", ("ivan",)), ("citizenship", ("ivan", "ru"))]
    ivan += [("permit_until", ("ivan", dt.date(2026, 12, 31)))]
    evaluator = _evaluator(ivan)
    why_not = evaluator.why_not("receive", ["ivan", DAY])
    assert why_not is not None
    advice = find_repairs(evaluator, "receive", ["ivan", DAY], why_not, GLOSSARY)
    assert advice.repairs == []
    assert advice.none_because is not None
    assert "citizenship" in advice.none_because and "cannot change" in advice.none_because


def test_a_what_if_can_retract_a_stored_fact_without_touching_the_store() -> None:
    store = FactStore({"edge": 2})
    store.add("edge", ("a", "b"))
    store.add("edge", ("b", "c"))
    overlay = store.overlay([BaseFact("edge", ("c", "d"))], [BaseFact("edge", ("a", "b"))])
    assert sorted(row for row, _ in overlay.match("edge", (None, None))) == [
        ("b", "c"),
        ("c", "d"),
    ]
    assert store.holds("edge", ("a", "b"))


def test_a_dated_fact_is_retracted_by_its_period() -> None:
    store = FactStore({"head": 3}, dated={"head"})
    start, end = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    store.add("head", ("acme", "ann", start, end), FactSource("x.yaml", 1))
    overlay = store.overlay([], [BaseFact("head", ("acme", "ann", start, end))])
    assert not overlay.holds("head", ("acme", "ann", DAY))
    assert store.holds("head", ("acme", "ann", DAY))


def test_the_search_for_repairs_stops_at_its_time_and_says_so() -> None:
    evaluator = _evaluator(ACME)
    why_not = evaluator.why_not("receive", ["acme", DAY])
    assert why_not is not None
    advice = find_repairs(evaluator, "receive", ["acme", DAY], why_not, GLOSSARY, seconds=0)
    assert advice.repairs == []
    assert advice.none_because == "the search for repairs stopped after 0 s without finding one"


def test_a_repair_that_ends_a_share_no_longer_counts_on_the_capital_it_summed() -> None:
    # On the bundled world: ending the share of Steppe Systems' owner also retracts the computed
    # fact that its capital is accounted for 100 %, so no check can count on that sum.
    from paths import FACTS, POLICIES
    from policyeval.decree743 import VOCABULARY
    from policyeval.decree743.decisions import decide_transfer
    from policyeval.loading import load

    assert VOCABULARY.glossary()["owns"][0].computed == (("capital_accounted", 1),)
    day = dt.date(2026, 3, 10)
    rules = load(POLICIES, FACTS).in_force(day)
    decision = decide_transfer(rules.evaluator(), "kazspecmash", "steppe_systems", ["doc_4"], day)
    advice = decision.per_secret[0].repairs
    assert advice is not None and advice.repairs
    for repair in advice.repairs:
        _, retracted = repair.facts()
        owned = {fact.args[1] for fact in retracted if fact.predicate == "owns"}
        summed = {fact.args[0] for fact in retracted if fact.predicate == "capital_accounted"}
        assert owned and owned == summed
