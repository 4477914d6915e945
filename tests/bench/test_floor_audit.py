"""The floor's audit (``bench/floor_audit.py``) gives policyeval's rows for every transfer.

On the bench generator's world (the fixtures of ``test_bench_generator``), and on the same world
with transfers the generator does not make (before the agreement or the permission, a year on,
without a recipient or an agreement, received by an official whose admission records no degree
or by a stranger, by an assignee and by the customer it replaced, during a suspension, of a
secret out of scope, by or to a party without the role), each transfer's ``audit_result``,
``transfer_breaches`` and ``transfer_undetermined`` rows are compared. The world is seeded, so
the outcomes and clauses covered are the same every run.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import generate
import pytest

# tests/bench is on pytest's path, not on mypy's
import test_bench_generator as generated  # type: ignore[import-not-found]
from floor import fact_rows
from floor_audit import CLAUSES, LAWFUL, UNDETERMINED, UNLAWFUL, FloorAudit

from paths import ROOT
from policyeval.decree743 import BUILTINS, VOCABULARY
from policyeval.decree743.vocabulary import Addendum, Admission, Agreement, Suspension
from policyeval.evaluator import Evaluator, build_knowledge_base
from policyeval.facts.loader import FactBase, load_fact_files
from policyeval.facts.model import FactRecord
from policyeval.loading import load_rules

world = generated.world  # the generated world and its fact base, shared fixtures
fact_base = generated.fact_base

R = TypeVar("R", bound=FactRecord)
Audit = tuple[set[str], set[str], set[tuple[str, str]]]
"""A transfer's audit results, the clauses it broke, and (clause, missing record) undetermined."""


def records(facts: FactBase, kind: str, model: type[R]) -> list[R]:
    """The records of ``kind`` (its ``model``), sorted by id."""
    found = [r for r in facts.records.get(kind, {}).values() if isinstance(r, model)]
    return sorted(found, key=lambda r: r.id)


def policyeval_audit(facts: FactBase) -> dict[str, Audit]:
    """Each transfer's rows, asked of policyeval (its tables, as the bench loads it)."""
    rules = load_rules(ROOT / "policies").rules
    evaluator = Evaluator(build_knowledge_base(rules, facts.store(), builtins=BUILTINS))

    def rows(predicate: str, t: str, width: int) -> set[tuple[str, ...]]:
        found = evaluator.ask(predicate, [t, *[None] * width])
        return {tuple(str(value) for value in row[1:]) for row in found}

    return {
        t: (
            {r for (r,) in rows("audit_result", t, 1)},
            {c for (c,) in rows("transfer_breaches", t, 1)},
            {(c, missing) for c, missing in rows("transfer_undetermined", t, 2)},
        )
        for t in sorted(facts.records.get("transfer", {}))
    }


def floor_audit(facts: FactBase) -> dict[str, Audit]:
    """Each transfer's rows, by the floor."""
    floor = FloorAudit(fact_rows(facts))
    audit: dict[str, Audit] = {}
    for t in floor.transfers():
        record = floor.transfer(t)
        audit[t] = (floor.audit_result(t), floor.breaches(record), floor.undetermined(record))
    return audit


def assert_same_audit(facts: FactBase) -> dict[str, Audit]:
    """The floor's rows equal policyeval's for every transfer; policyeval's rows."""
    expected = policyeval_audit(facts)
    found = floor_audit(facts)
    assert sorted(found) == sorted(expected)
    for t, rows in expected.items():
        assert found[t] == rows, f"the floor and policyeval differ on {t}"
        assert len(rows[0]) == 1, f"{t} has the results {rows[0]}"  # exactly one per transfer
    return expected


def test_the_floor_audits_the_generated_transfers_as_policyeval(fact_base: FactBase) -> None:
    expected = assert_same_audit(fact_base)
    outcomes = {result for results, _, _ in expected.values() for result in results}
    # the generator makes lawful and unlawful transfers, never one that cannot be established
    # (each names its recipient, and every admission records its degree)
    assert outcomes == {LAWFUL, UNLAWFUL}, outcomes


# ---- the same world with transfers the generator does not make ----------------------------


@pytest.fixture(scope="module")
def variant_facts(
    world: Path, fact_base: FactBase, tmp_path_factory: pytest.TempPathFactory
) -> FactBase:
    """The generated world and, in a file of their own, the variants of :func:`variants`."""
    extra = generate.World(random.Random(0))
    variants(extra, fact_base, FloorAudit(fact_rows(fact_base)))
    out = tmp_path_factory.mktemp("variants")
    extra.write(out)
    return load_fact_files([world / "facts", out], VOCABULARY)


def variants(w: generate.World, facts: FactBase, floor: FloorAudit) -> None:
    """Per agreement :func:`agreement_variants` and :func:`unpermitted_transfer`, then
    :func:`assignee_transfers`, :func:`suspended_transfers` and :func:`odd_parties`."""
    issuer = records(facts, "admission", Admission)[0].issuer
    for a, concluded in concluded_agreements(facts):
        received_by = recipient(facts, floor, a)
        agreement_variants(w, a, concluded, received_by, issuer)
        unpermitted_transfer(w, floor, a, received_by)
    assignee_transfers(w, facts, floor)
    suspended_transfers(w, facts, floor)
    odd_parties(w, facts, floor)


def concluded_agreements(facts: FactBase) -> list[tuple[Agreement, dt.date]]:
    """The agreements concluded, with the day."""
    found = records(facts, "agreement", Agreement)
    return [(a, a.concluded) for a in found if a.concluded is not None]


def recipient(facts: FactBase, floor: FloorAudit, a: Agreement) -> str:
    """The executor if a citizen, else its first official (whatever the day)."""
    if a.executor in facts.records["person"]:
        return a.executor
    first_official: str = floor.r("works_at", a.executor)[0][0]
    return first_official


def agreement_variants(
    w: generate.World, a: Agreement, concluded: dt.date, received_by: str, issuer: str
) -> None:
    """Transfers under ``a``: before its conclusion, a month and a year after; a month after,
    one without a recipient, one without an agreement, and one received by a new official
    whose admission records no degree."""
    on = concluded + dt.timedelta(days=30)
    base: dict[str, generate.Value | None] = {
        "customer": a.customer,
        "executor": a.executor,
        "secrets": list((a.annex or a.systems)[:2]),
        "agreement": a.id,
    }
    for name, days in (("before", -10), ("month", 30), ("year", 400)):
        day = concluded + dt.timedelta(days=days)
        w.emit("v", "transfer", f"tv_{a.id}_{name}", **base, date=day, recipient=received_by)
    w.emit("v", "transfer", f"tv_{a.id}_unknown", **base, date=on)
    w.emit("v", "transfer", f"tv_{a.id}_none", **{**base, "agreement": None}, date=on)
    if received_by == a.executor:
        return
    person = f"pv_{a.id}"
    w.emit("v", "person", person, name=generate.Text("V"), citizenship="kz", works_at=a.executor)
    w.emit(
        "v",
        "admission",
        f"adv_{a.id}",
        person=person,
        number=generate.Text("U"),
        issued=on - dt.timedelta(days=1),
        valid_until=on + dt.timedelta(days=1),
        issuer=issuer,
    )
    w.emit("v", "transfer", f"tv_{a.id}_ungraded", **base, date=on, recipient=person)


def unpermitted_transfer(
    w: generate.World, floor: FloorAudit, a: Agreement, received_by: str
) -> None:
    """A transfer between ``a``'s parties the day before its customer received the first
    permission about its executor, naming no agreement: audit.cl7_transfer_early then alone
    gives clause 7 (with an agreement, audit.cl7_agreement_early always does too)."""
    answers = floor.permissions_for_executor(a.customer, a.executor)
    if answers:
        w.emit(
            "v",
            "transfer",
            f"tv_{a.id}_unpermitted",
            customer=a.customer,
            executor=a.executor,
            secrets=list((a.annex or a.systems)[:2]),
            date=min(floor.received_on(ans) for ans in answers) - dt.timedelta(days=1),
            recipient=received_by,
        )


def assignee_transfers(w: generate.World, facts: FactBase, floor: FloorAudit) -> None:
    """A month after each addendum naming an assignee: a transfer by it, and one by the
    customer it replaced."""
    agreements = {a.id: a for a in records(facts, "agreement", Agreement)}
    for ad in records(facts, "addendum", Addendum):
        if ad.assignee is None:
            continue
        a = agreements[ad.agreement]
        for by in (ad.assignee, a.customer):
            w.emit(
                "v",
                "transfer",
                f"tv_{ad.id}_{by}",
                customer=by,
                executor=a.executor,
                secrets=list(a.annex[:2]),
                date=ad.date + dt.timedelta(days=30),
                agreement=a.id,
                recipient=recipient(facts, floor, a),
            )


def suspended_transfers(w: generate.World, facts: FactBase, floor: FloorAudit) -> None:
    """A transfer on the first day of each suspension of an order (clause 9)."""
    agreements = {a.id: a for a in records(facts, "agreement", Agreement)}
    for su in records(facts, "suspension", Suspension):
        a = agreements[su.agreement]
        w.emit(
            "v",
            "transfer",
            f"tv_{su.id}",
            customer=a.customer,
            executor=a.executor,
            secrets=list((a.annex or a.systems)[:2]),
            date=su.start,
            agreement=a.id,
            recipient=recipient(facts, floor, a),
        )


def odd_parties(w: generate.World, facts: FactBase, floor: FloorAudit) -> None:
    """A month after the first agreement: a secret out of scope (clause 1), a customer that
    cannot be one (2.2), the customer as executor (2.3), and a recipient who is not the
    executor's (11)."""
    (a, concluded), (other, _) = concluded_agreements(facts)[:2]
    day = concluded + dt.timedelta(days=30)
    outside = first(s for s in sorted(facts.records["secret"]) if not floor.secret_in_scope(s, day))
    no_role = first(
        o for o in sorted(facts.records["organization"]) if not floor.customer_role(o, day)
    )
    base: dict[str, generate.Value | None] = {
        "secrets": [*a.annex[:1], outside],
        "date": day,
        "agreement": a.id,
    }
    w.emit("v", "transfer", "tv_outside", customer=a.customer, executor=a.executor, **base)
    w.emit("v", "transfer", "tv_no_role", customer=no_role, executor=a.executor, **base)
    w.emit("v", "transfer", "tv_to_customer", customer=a.customer, executor=a.customer, **base)
    w.emit(
        "v",
        "transfer",
        "tv_stranger",
        customer=a.customer,
        executor=a.executor,
        secrets=list(a.annex[:1]),
        date=day,
        agreement=a.id,
        recipient=recipient(facts, floor, other),
    )


def first(found: Iterator[str]) -> str:
    """The first value found (the world has one, or the test's world has changed)."""
    return next(found)


def test_the_floor_audits_transfers_of_every_outcome_as_policyeval(
    variant_facts: FactBase,
) -> None:
    expected = assert_same_audit(variant_facts)
    outcomes = {result for results, _, _ in expected.values() for result in results}
    assert outcomes == {LAWFUL, UNLAWFUL, UNDETERMINED}, outcomes
    broken = {clause for _, clauses, _ in expected.values() for clause in clauses}
    assert broken == set(CLAUSES), broken
    missing = {row for _, _, rows in expected.values() for row in rows}
    assert missing == {("11", "transfer_recipient"), ("11", "admission_form")}, missing
