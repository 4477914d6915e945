"""Which predicates become tables, in which order, and that tables never change an answer.

The last test is the property the issue asks for: on random worlds of the benchmark's generator,
the tabled knowledge base gives the same answers, proofs and why-nots as the rules evaluated as
written.
"""

from __future__ import annotations

import datetime as dt
import json
import random

import generate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generated_worlds import decree_rules, world_store
from paths import ROOT
from policyeval.decree743 import BUILTINS as DECREE_BUILTINS
from policyeval.decree743 import VOCABULARY
from policyeval.engine.builtins import BUILTINS
from policyeval.engine.materialize import compute_tables
from policyeval.engine.slicing import independent_atoms, slice_of
from policyeval.engine.store import BaseFact, FactSource, FactStore
from policyeval.evaluator import Argument, Evaluator, build_knowledge_base
from policyeval.facts.loader import load_fact_files
from policyeval.language.analysis import ProgramAnalysis
from policyeval.language.parser import parse_rules
from policyeval.language.syntax import Atom, RuleSet, Value, Var

RULES = """
@id("r.holds") @reading("{X} holds")
holds(X) :- item(X), link(X, _).

@id("r.chain_base") @reading("{X} reaches {Y}")
reach(X, Y) :- link(X, Y).

@id("r.chain_step") @reading("{X} reaches {Z}")
reach(X, Z) :- link(X, Y), reach(Y, Z).

@id("r.open") @reading("{X} is open")
open(X) :- item(X), not blocked_somewhere(X).

@id("r.blocked") @reading("{X} reaches a blocked item")
blocked_somewhere(X) :- reach(X, Y), blocked(Y).

@id("r.pairs") @reading("{X} was before {Y}")
earlier(X, Y) :- dated(X, A), dated(Y, B), A < B.

@id("r.neighbours") @reading("{X} and {Y} are in one place")
neighbours(X, Y) :- place(X, P), place(Y, P).
"""


def _rules() -> RuleSet:
    return RuleSet(tuple(parse_rules(RULES, "toy.md", clause="1")))


def _store() -> FactStore:
    store = FactStore()
    for i in range(40):
        store.add("item", (f"i{i}",))
        store.add("link", (f"i{i}", f"i{(i + 1) % 40}"))  # one ring through every item
        store.add("dated", (f"i{i}", dt.date(2026, 1, 1) + dt.timedelta(days=i)))
        store.add("place", (f"i{i}", f"city{i % 2}"))
    store.add("blocked", ("i7",))
    return store


def test_strata_put_what_a_predicate_uses_below_it() -> None:
    wanted = {"holds", "reach", "open", "blocked_somewhere", "earlier"}
    levels = ProgramAnalysis(_rules()).levels(wanted)
    level_of = {name: k for k, names in enumerate(levels) for name in names}
    assert level_of["reach"] < level_of["blocked_somewhere"] < level_of["open"]
    assert level_of["holds"] == level_of["reach"] == level_of["earlier"] == 0


def test_joins_that_multiply_are_left_to_the_question_and_the_rest_are_tables() -> None:
    rules = _rules()
    candidates = {"holds", "reach", "open", "blocked_somewhere", "earlier", "neighbours"}
    tables = compute_tables(rules, _store(), candidates, BUILTINS)
    # 40 × 40 dated pairs and 40 × 20 same-place pairs: bigger than what they are read from.
    assert set(tables.skipped) == {"earlier", "neighbours"}
    # The recursive ring is tabled whatever its size (1600 pairs).
    assert tables.tabled == {"holds", "reach", "open", "blocked_somewhere"}
    assert tables.store.size("reach") == 40 * 40
    assert tables.store.size("open") == 0  # every item reaches the blocked one round the ring


def test_tabled_and_untabled_predicates_answer_as_the_rules_do() -> None:
    rules, store = _rules(), _store()
    plain = Evaluator(build_knowledge_base(rules, store, materialize=False))
    tabled = Evaluator(build_knowledge_base(rules, store))
    assert tabled.knowledge_base.program.materialized >= {"reach", "blocked_somewhere"}
    cases: list[tuple[str, list[Argument]]] = [
        ("reach", ["i3", None]),
        ("open", [None]),
        ("earlier", ["i3", None]),
        ("neighbours", ["i4", None]),
        ("blocked_somewhere", ["i39"]),
    ]
    for predicate, args in cases:
        expected = plain.query(predicate, args)
        assert tabled.query(predicate, args).model_dump() == expected.model_dump()


SLICED_RULES = """
@id("s.valid") @given("D") @reading("permit {P} of {E} is valid on {D}")
valid_on(E, P, D) :-
    holder(P, E), issuer(P, I), authority(I), issued(P, From), From <= D, not revoked(P, D).

@id("s.revoked") @given("D") @reading("permit {P} was revoked by {D}")
revoked(P, D) :- revocation(P, Day), Day <= D.

@id("s.notified") @given("D") @reading("an authority in the city of {E} had a notice by {D}")
notified(E, D) :-
    notice_to(N, A), notice_day(N, Day), Day <= D, place(E, City), place(A, City).
"""


def _sliced_world() -> tuple[RuleSet, FactStore]:
    store = FactStore()
    for i in range(30):
        store.add("holder", (f"p{i}", f"e{i}"))
        store.add("issuer", (f"p{i}", "nsc" if i % 3 else "ministry"))
        store.add("issued", (f"p{i}", dt.date(2026, 1, 1) + dt.timedelta(days=i)))
        store.add("notice_to", (f"n{i}", f"auth{i % 2}"))
        store.add("notice_day", (f"n{i}", dt.date(2026, 2, 1) + dt.timedelta(days=i)))
        store.add("place", (f"e{i}", f"city{i % 2}"))
    store.add("place", ("auth0", "city0"))
    store.add("place", ("auth1", "city0"))  # authority 1 is in the other city
    store.add("authority", ("nsc",))
    store.add("revocation", ("p4", dt.date(2026, 1, 20)))
    return RuleSet(tuple(parse_rules(SLICED_RULES, "sliced.md", clause="11"))), store


def test_a_slice_holds_the_conditions_that_do_not_need_the_question() -> None:
    rules, _ = _sliced_world()
    rule = rules.rules_for("valid_on")[0]
    atoms = independent_atoms(rule, {"valid_on", "revoked"} | set(BUILTINS))
    assert [a.predicate for a in atoms] == ["holder", "issuer", "authority", "issued"]
    piece = slice_of(rule, atoms, {"valid_on", "revoked"})
    assert piece is not None
    assert [str(lit) for lit in piece.rest] == ["From <= D", "not revoked(P, D)"]
    # Only what the head and the remaining conditions need is kept.
    assert piece.atom == Atom("slice:s.valid", (Var("E"), Var("From"), Var("P")))
    assert [str(lit) for lit in piece.compiled_rule().body] == [
        "slice:s.valid(E, From, P)",
        "From <= D",
        "not revoked(P, D)",
    ]


def test_slices_are_computed_once_and_narrowed_when_they_would_multiply() -> None:
    rules, store = _sliced_world()
    tables = compute_tables(rules, store, set(), BUILTINS)
    valid = tables.slices["s.valid"]
    rows = {row for row, _ in tables.store.match(valid.atom.predicate, (None, None, None))}
    assert len(rows) == 20  # the permits issued by the authority, each once
    assert ("e4", dt.date(2026, 1, 5), "p4") in rows
    # Every notice x every party in the authority's city would multiply: the slice stops
    # before the city conditions, which stay per question.
    notified = tables.slices["s.notified"]
    assert [str(lit) for lit in notified.rest] == ["Day <= D", "place(E, City)", "place(A, City)"]
    assert tables.store.size(notified.atom.predicate) == 30


def test_sliced_rules_answer_as_written() -> None:
    rules, store = _sliced_world()
    plain = Evaluator(build_knowledge_base(rules, store, materialize=False))
    sliced = Evaluator(build_knowledge_base(rules, store))
    # `revoked` has one condition besides the date: nothing to gain from a slice.
    assert set(sliced.knowledge_base.program.slices) == {"s.valid", "s.notified"}
    for day in (dt.date(2026, 1, 3), dt.date(2026, 1, 25), dt.date(2026, 3, 15)):
        cases: list[tuple[str, list[Argument]]] = [
            ("valid_on", [None, None, day]),
            ("valid_on", ["e4", "p4", day]),
            ("notified", [None, day]),
            ("notified", ["e1", day]),
        ]
        for predicate, args in cases:
            expected = plain.query(predicate, args)
            assert sliced.query(predicate, args).model_dump() == expected.model_dump()
    in_city0 = sorted([f"e{i}" for i in range(0, 30, 2)] + ["auth0", "auth1"])
    day = dt.date(2026, 3, 15)
    assert sliced.ask("notified", [None, day]) == [(party, day) for party in in_city0]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), executors=st.integers(8, 24))
def test_on_random_generated_worlds_tables_change_nothing(seed: int, executors: int) -> None:
    world = generate.generate(executors, seed)
    store = world_store(world)
    plain = Evaluator(
        build_knowledge_base(decree_rules(), store, builtins=DECREE_BUILTINS, materialize=False)
    )
    tabled = Evaluator(build_knowledge_base(decree_rules(), store, builtins=DECREE_BUILTINS))

    def allowed(c: str, e: str, s: str, d: dt.date) -> bool:
        return bool(plain.ask("transfer_allowed", [c, e, s, d]))

    questions = generate.choose_questions(world, allowed, 10, random.Random(seed))
    assert {q["allowed"] for q in questions} == {True, False}
    for q in questions:
        args: list[Argument] = [
            q["customer"],
            q["executor"],
            q["secret"],
            dt.date.fromisoformat(str(q["on"])),
        ]
        expected = plain.query("transfer_allowed", args)
        actual = tabled.query("transfer_allowed", args)
        assert actual.model_dump() == expected.model_dump(), json.dumps(q)
        # A ground question asked with its proof is decided by the proof search: the engine's
        # bare answer must be the same.
        assert bool(actual.answers) == bool(tabled.ask("transfer_allowed", args)) == q["allowed"]


def test_an_assumed_fact_computes_again_exactly_the_tables_it_could_change() -> None:
    store = load_fact_files([ROOT / "facts"], VOCABULARY).store()
    plain = Evaluator(
        build_knowledge_base(decree_rules(), store, builtins=DECREE_BUILTINS, materialize=False)
    )
    tabled = Evaluator(build_knowledge_base(decree_rules(), store, builtins=DECREE_BUILTINS))
    question: list[Argument] = ["kazspecmash", "nurtech", "doc_1", dt.date(2026, 3, 10)]
    # A 40 % holder of nurtech turns out to be a foreign citizen: clause 8.1 no longer holds.
    foreign = [BaseFact("citizenship", ("li_v", "cn"))]
    expected = plain.query("transfer_allowed", question, assume=foreign)
    actual = tabled.query("transfer_allowed", question, assume=foreign)
    assert not actual.answers
    assert actual.model_dump() == expected.model_dump()
    kb = tabled.knowledge_base
    stale = kb.program.stale_tables({"citizenship"})
    assert {"foreign_participation", "unlawful_transfer"} <= stale  # computed from citizenship
    assert "agreement_terms_complete" not in stale  # untouched by citizenship
    program, world = kb.world(foreign)
    assert program is kb.program  # nothing compiled for a what-if
    day = dt.date(2026, 3, 10)
    assert not kb.store.rows("foreign_participation", ["nurtech", day])
    assert world.rows("foreign_participation", ["nurtech", day]) == [("nurtech", day)]
    assert world.size("agreement_terms_complete") == kb.store.size("agreement_terms_complete")
    # The question without the assumption still reads the stored tables, and is still allowed.
    assert tabled.query("transfer_allowed", question).answers
    assert tabled.knowledge_base.world()[1] is tabled.knowledge_base.store


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), executors=st.integers(8, 16))
def test_what_ifs_on_ownership_answer_as_the_rules_do(seed: int, executors: int) -> None:
    """A what-if that adds or takes away ownership records changes the dated tables of the
    ownership chains (computed again for the rows asked): answers, proofs and why-nots stay
    those of the rules evaluated as written over the same facts."""
    world = generate.generate(executors, seed)
    store = world_store(world)
    plain = Evaluator(
        build_knowledge_base(decree_rules(), store, builtins=DECREE_BUILTINS, materialize=False)
    )
    tabled = Evaluator(build_knowledge_base(decree_rules(), store, builtins=DECREE_BUILTINS))
    rng = random.Random(seed)

    def allowed(c: str, e: str, s: str, d: dt.date) -> bool:
        return bool(tabled.ask("transfer_allowed", [c, e, s, d]))

    owned = [(row, source) for row, source in store.match("owns", ())]
    holders = sorted({str(row[0]) for row, _ in owned})
    # The organization with the longest chain of holders up to a person, that person made
    # foreign: held by it, an executor's foreign participation is decided several levels up.
    people = {
        org: sorted(
            str(r[0])
            for r, _ in owned
            if r[1] in _holders_up(org, owned, store) and store.holds("person", (r[0],))
        )
        for org in holders
    }
    deepest = max(
        (org for org in holders if people[org]),
        key=lambda org: (len(_holders_up(org, owned, store)), org),
    )
    foreigner = BaseFact("citizenship", (people[deepest][0], "cn"))
    for q in generate.choose_questions(world, allowed, 6, rng):
        on = dt.date.fromisoformat(str(q["on"]))
        chain = _holders_up(q["executor"], owned, store)  # the executor first, the farthest last
        row, source = rng.choice([(r, s) for r, s in owned if r[1] in chain] or owned)
        assert source is not None and source.period is not None
        taken = BaseFact("owns", (*row[:-1], *source.period))
        start = on - dt.timedelta(days=rng.choice([0, 30, 400]))
        period = (start, on + dt.timedelta(days=9))
        share = f"{rng.choice([10, 40, 100])} %"
        holder = rng.choice([*holders, "republic_kz"])
        added = BaseFact("owns", (holder, chain[-1], share, *period))
        deep = BaseFact("owns", (deepest, q["executor"], share, *period))
        args: list[Argument] = [q["customer"], q["executor"], q["secret"], on]
        # Any two stored facts naming a party or the secret of the question, taken away: the
        # other tables and slices a what-if computes again (agreements, requests, permits).
        named = _stored_naming(store, {q["customer"], q["executor"], q["secret"]})
        others = rng.sample(named, min(2, len(named)))
        edits: list[tuple[list[BaseFact], list[BaseFact]]] = [
            ([added], []),
            ([], [taken]),
            ([added], [taken]),
            ([deep, foreigner], [taken]),
            ([], others[:1]),
            ([added], others),
        ]
        for assume, retract in edits:
            expected = plain.query("transfer_allowed", args, assume=assume, retract=retract)
            actual = tabled.query("transfer_allowed", args, assume=assume, retract=retract)
            assert actual.model_dump() == expected.model_dump(), (json.dumps(q), assume, retract)


def _holders_up(
    org: str, owned: list[tuple[tuple[Value, ...], FactSource | None]], store: FactStore
) -> list[str]:
    """``org`` and the organizations up its chains of holders, nearest first."""
    found = [org]
    for name in found:
        for row, _ in owned:
            holder = str(row[0])
            if row[1] == name and holder not in found and store.holds("organization", (holder,)):
                found.append(holder)
    return found


def _stored_naming(store: FactStore, names: set[str]) -> list[BaseFact]:
    """The facts of ``store`` with an argument among ``names``, as stored (a dated one with its
    period), in a fixed order."""
    found = []
    for predicate in sorted(store.schema()):
        for row, source in store.match(predicate, ()):
            if names & {value for value in row if isinstance(value, str)}:
                period = source.period if source is not None else None
                found.append(BaseFact(predicate, (*row[:-1], *period) if period else row))
    return found
