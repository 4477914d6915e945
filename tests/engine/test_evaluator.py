"""The evaluator on small rule sets: answers, what-if, safety, threads, atomic replace, fused
lookups (proofs and why-not: tests/explain)."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from pyDatalog import pyDatalog

from policyeval.engine.store import BaseFact, FactStore
from policyeval.errors import QueryError, RuleCheckError
from policyeval.evaluator import Argument, Evaluator, build_knowledge_base
from policyeval.explain.model import FailedCondition
from policyeval.language.parser import parse_rules
from policyeval.language.syntax import RuleSet, Var
from routes import FEB1, ROUTES, routes_evaluator, routes_rules, routes_store


@pytest.fixture()
def evaluator() -> Evaluator:
    return routes_evaluator()


def test_recursion_and_variables(evaluator: Evaluator) -> None:
    assert evaluator.ask("path", ["a", None]) == [("a", "b"), ("a", "hub")]
    assert evaluator.ask("path", [Var("X"), "hub"]) == [("a", "hub"), ("b", "hub"), ("c", "hub")]
    assert evaluator.ask("path", [Var("X"), Var("X")]) == []


def test_dates_compare_as_dates(evaluator: Evaluator) -> None:
    assert evaluator.ask("go", ["a", FEB1]) == [("a", FEB1)]
    assert evaluator.ask("go", ["a", dt.date(2025, 12, 31)]) == []
    answer = evaluator.query("go", [Var("Who"), FEB1]).answers
    assert [a.bindings for a in answer] == [{"Who": "a"}]


def test_negation(evaluator: Evaluator) -> None:
    assert evaluator.ask("go", ["c", FEB1]) == []


def test_what_if_facts_hold_for_one_question_only(evaluator: Evaluator) -> None:
    assumed = [BaseFact("vip", ("c",)), BaseFact("day", (FEB1,))]
    assert evaluator.ask("go", ["c", FEB1], assume=assumed) == [("c", FEB1)]
    assert evaluator.ask("go", ["c", FEB1]) == []


def test_a_what_if_computes_again_the_tables_its_facts_change(evaluator: Evaluator) -> None:
    """Facts of ``edge`` change the ``path`` table and the slice of ``go.open`` that reads it:
    a what-if adding one asks the same program over a store in which both are computed again,
    for the rows asked; ``vip`` and ``day`` feed no table or slice, which stay the stored ones."""
    kb = evaluator.knowledge_base
    program = kb.program
    assert program.materialized == {"path"} and set(program.slices) == {"go.open"}
    (slice_table,) = program.stale_tables({"edge"}) - {"path"}
    assert program.stale_tables({"edge", "banned"}) == {"path", slice_table}
    assert program.stale_tables({"vip", "day"}) == set()
    assumed = [BaseFact("edge", ("d", "hub")), BaseFact("opened", ("d", FEB1))]
    asked, world = kb.world(assumed)
    assert asked is program
    assert world.size("path") == 0  # nothing computed before it is asked
    assert world.rows("path", ["d", None]) == [("d", "hub")]
    assert world.size("path") == 1  # only d's paths: not a, b and c's
    assert evaluator.ask("go", ["d", FEB1], assume=assumed) == [("d", FEB1)]
    with_ban = [*assumed, BaseFact("banned", ("d",))]
    assert evaluator.ask("go", ["d", FEB1], assume=with_ban) == []
    vip = [BaseFact("vip", ("c",)), BaseFact("day", (FEB1,))]
    assert evaluator.ask("go", ["c", FEB1], assume=vip) == [("c", FEB1)]
    assert kb.world(vip)[1].size("path") == kb.store.size("path")  # the stored table


def test_query_arguments_are_only_constants(evaluator: Evaluator, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    hostile = f"__import__('os').system('touch {marker}')"
    assert evaluator.ask("path", [hostile, Var("Y")]) == []
    result = evaluator.query("go", [hostile, FEB1])
    assert result.answers == [] and marker.exists() is False
    assert isinstance(result.why_not, FailedCondition)
    assert hostile in result.why_not.condition


def test_text_evaluating_entry_points_are_never_called(
    evaluator: Evaluator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def forbidden(*_: object, **__: object) -> None:
        raise AssertionError("pyDatalog text evaluation was called")

    monkeypatch.setattr(pyDatalog, "load", forbidden)
    monkeypatch.setattr(pyDatalog, "ask", forbidden)
    fresh = Evaluator.from_rules(routes_rules(), routes_store())
    assert fresh.query("go", ["a", FEB1]).answers
    assert evaluator.query("go", ["c", FEB1]).why_not is not None


def test_malformed_questions_are_rejected(evaluator: Evaluator) -> None:
    with pytest.raises(QueryError, match="unknown predicate `nope`"):
        evaluator.ask("nope", [])
    with pytest.raises(QueryError, match="takes 2 arguments"):
        evaluator.ask("go", ["a"])


def test_concurrent_callers_get_correct_answers(evaluator: Evaluator) -> None:
    errors: list[str] = []
    expected = {
        ("go", "a"): [("a", FEB1)],
        ("go", "c"): [],
        ("path", "a"): [("a", "b"), ("a", "hub")],
    }

    def worker() -> None:
        for _ in range(40):
            for (predicate, subject), answer in expected.items():
                args: list[Argument] = [subject, FEB1] if predicate == "go" else [subject, None]
                got = evaluator.ask(predicate, args)
                if got != answer:
                    errors.append(f"{predicate}({subject}) gave {got}")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_replace_is_atomic_for_readers(evaluator: Evaluator) -> None:
    widened = routes_store()
    widened.add("edge", ("hub", "d"))
    seen: set[tuple[str, int]] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            kb = evaluator.knowledge_base
            rows = evaluator.ask("path", ["a", None])
            seen.add((kb.facts_version, len(rows)))

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    evaluator.replace(store=widened, facts_version="f2")
    evaluator.replace(store=routes_store(), facts_version="f1")
    evaluator.replace(store=widened, facts_version="f2")
    stop.set()
    for thread in threads:
        thread.join()
    assert {count for _, count in seen} <= {2, 3}
    assert evaluator.ask("path", ["a", None]) == [("a", "b"), ("a", "d"), ("a", "hub")]


def test_failed_replace_keeps_the_old_rules_serving(evaluator: Evaluator) -> None:
    broken = routes_rules(
        ROUTES + '\n@id("bad") @clause("3") @reading("{X}")\nbad(X) :- nope(X).\n'
    )
    with pytest.raises(RuleCheckError) as raised:
        evaluator.replace(rules=broken, policy_version="p2")
    assert [p.code for p in raised.value.problems] == ["unknown_predicate"]
    assert evaluator.knowledge_base.policy_version == "p1"
    assert evaluator.ask("go", ["a", FEB1]) == [("a", FEB1)]


FOREIGN_OWNERSHIP = (
    '@id("f.direct") @clause("8") @reading("{X} has a foreign owner")\n'
    "foreign(X) :- owns(O, X), foreign_kind(O).\n"
    '@id("f.chain") @clause("8") @reading("{X} is owned by foreign-held {O}")\n'
    "foreign(X) :- owns(O, X), foreign(O).\n"
)


def test_recursion_over_a_ring_terminates() -> None:
    """Right recursion over a cycle of three: pyDatalog alone does not terminate on it."""
    rules = routes_rules(FOREIGN_OWNERSHIP)
    store = FactStore({"owns": 2, "foreign_kind": 1})
    for owner, owned in [("a", "b"), ("b", "c"), ("c", "a"), ("z", "b")]:
        store.add("owns", (owner, owned))
    assert Evaluator.from_rules(rules, store).ask("foreign", ["a"]) == []
    store.add("foreign_kind", ("z",))
    evaluator = Evaluator.from_rules(rules, store)
    proof = evaluator.prove("foreign", ["a"])
    assert proof is not None and proof.rule == "f.chain"
    assert evaluator.ask("foreign", [None]) == [("a",), ("b",), ("c",)]


def test_runs_of_index_lookups_are_fused_into_one_engine_literal() -> None:
    rules = RuleSet(
        tuple(
            parse_rules(
                """
@id("f.on_time") @reading("{P} is on time")
on_time(P) :- paper(P, Day), due(P, Due), Day <= Due, not void(P, _), good(P), signed(P, 1).

@id("f.good") @reading("{P} is good")
good(P) :- checked(P, _).
""",
                "fuse.md",
                clause="5",
            )
        )
    )
    from policyeval.engine.planning import Lookup, fuse_lookups

    rule = rules.rules_for("on_time")[0]
    parts = fuse_lookups(rule.body, frozenset({"paper", "due", "void", "signed", "checked"}))
    assert [type(part).__name__ for part in parts] == ["Lookup", "Atom", "Atom"]
    first = parts[0]
    assert isinstance(first, Lookup)
    assert [str(lit) for lit in first.literals] == [
        "paper(P, Day)",
        "due(P, Due)",
        "Day <= Due",
        "not void(P, _1)",
    ]
    assert [v.name for v in first.variables] == ["P", "Day", "Due"]

    store = FactStore()
    day = dt.date(2026, 5, 1)
    for paper, due, signed in [
        ("p1", day, 1),
        ("p2", day - dt.timedelta(days=1), 1),
        ("p3", day, 0),
    ]:
        store.add("paper", (paper, day))
        store.add("due", (paper, due))
        store.add("checked", (paper, "ok"))
        store.add("signed", (paper, signed))
    store.add("paper", ("p4", day))
    store.add("due", ("p4", day))
    store.add("checked", ("p4", "ok"))
    store.add("signed", ("p4", 1))
    store.add("void", ("p4", "torn"))
    store.add("signed", ("p3", "1"))  # the text "1" is not the number 1
    evaluator = Evaluator.from_rules(rules, store)
    assert evaluator.ask("on_time", [None]) == [("p1",)]
    assert evaluator.ask("on_time", ["p2"]) == []


def test_replacing_the_rules_alone_rebuilds_on_the_facts_not_on_the_old_tables() -> None:
    """The old rules' derived rows are not facts: replacing `ok(X) :- a(X).` by
    `ok(X) :- b(X).` must not keep answering `ok(x)`."""
    store = FactStore()
    store.add("a", ("x",))
    store.add("b", ("y",))
    before = RuleSet(
        tuple(parse_rules('@id("ok.a") @reading("{X} is ok")\nok(X) :- a(X).', "r.md", "1"))
    )
    after = RuleSet(
        tuple(parse_rules('@id("ok.b") @reading("{X} is ok")\nok(X) :- b(X).', "r.md", "1"))
    )
    evaluator = Evaluator.from_rules(before, store)
    assert evaluator.ask("ok", [None]) == [("x",)]
    evaluator.replace(rules=after)
    assert evaluator.ask("ok", [None]) == [("y",)]
    evaluator.replace(rules=before)
    assert evaluator.ask("ok", [None]) == [("x",)]


@pytest.mark.parametrize("materialize", [True, False], ids=["tables", "plain"])
def test_a_variable_equated_with_itself_waits_until_it_is_bound(materialize: bool) -> None:
    """`X = X` gives `X` no value: it is evaluated once `e(X)` has bound it (it was put first,
    where it never held, so the rule gave nothing)."""
    store = FactStore()
    for value in ("a", "b"):
        store.add("e", (0, value))
    store.add("v", ("b",))
    rules = RuleSet(
        tuple(
            parse_rules(
                '@id("p.r") @reading("{X} is p")\np(0, X) :- e(0, X), X = X, not v(X).',
                "r.md",
                "1",
            )
        )
    )
    evaluator = Evaluator(build_knowledge_base(rules, store, materialize=materialize))
    assert evaluator.ask("p", [None, None]) == [(0, "a")]
