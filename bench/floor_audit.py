"""The floor's audit: ``audit_result(T, Result)`` for every past transfer, by hand in Python.

Written condition by condition from ``policies/audit.md`` over the floor's indexes
(:class:`floor.Floor`, built from :func:`floor.fact_rows`): each ``transfer_breaches(T, Clause)``
rule, ``transfer_undetermined``, ``complies``, ``lawful_transfer`` and ``audit_result``, and the
rules they use. Where a rule is one the transfer decision asks too, the floor's own method
answers it. Each method names the rule it stands for. A transfer record's fields are read as
lists (the rules join on every value), so a record naming two of anything is judged as the rules
judge it.

``tests/bench/test_floor_audit.py`` checks that this gives policyeval's rows on generated worlds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from floor import Floor

LAWFUL = "lawful"
UNLAWFUL = "unlawful"
UNDETERMINED = "cannot_be_established"
CLAUSES = ("1", "2.2", "2.3", "3.1", "3.2", "3.3", "6", "7", "8", "9", "10", "11")
"""The clauses ``audit.lawful`` asks ``complies(T, Clause)`` of."""


class Body(NamedTuple):
    """A secret ``S`` of a transfer, its principal ``C``, executor ``E`` and day ``D``, a state
    body ``B`` with ``secret_in_scope(S, B, D)``, and the answers ``Ans`` with
    ``written_permission(C, E, S, B, Ans)``."""

    s: Any
    c: Any
    e: Any
    d: dt.date
    b: Any
    answers: list[str]


@dataclass(frozen=True)
class Transfer:
    """One transfer's facts: its id and the values of each field (``transfer_*``); and, found
    once for all the rules that join on them, its principals and its :class:`Body` rows."""

    id: str
    customers: Sequence[Any]
    executors: Sequence[Any]
    secrets: Sequence[Any]
    dates: Sequence[dt.date]
    agreements: Sequence[Any]
    recipients: Sequence[Any]
    principals: frozenset[Any] = frozenset()
    bodies: tuple[Body, ...] = ()


class FloorAudit(Floor):
    """The floor, with the audit of past transfers (``policies/audit.md``)."""

    def transfers(self) -> list[str]:
        """Every transfer record's id (``transfer(T)``), sorted."""
        return sorted(self._unary.get("transfer", ()))

    def transfer(self, t: str) -> Transfer:
        """The facts of transfer ``t``, its principals and bodies."""
        v = self.v
        facts = Transfer(
            t,
            v("transfer_customer", t),
            v("transfer_executor", t),
            v("transfer_secret", t),
            v("transfer_date", t),
            v("transfer_agreement", t),
            v("transfer_recipient", t),
        )
        judged = dataclasses.replace(facts, principals=frozenset(self.principals(facts)))
        return dataclasses.replace(judged, bodies=tuple(self.bodies(judged)))

    # -- the result (audit.result_*) ---------------------------------------------------------

    def audit_result(self, t: str) -> set[str]:
        """audit.result_unlawful, audit.result_undetermined, audit.result_lawful"""
        x = self.transfer(t)
        broken = self.breaches(x)
        undetermined = self.undetermined(x)
        results = set()
        if broken:  # audit.unlawful
            results.add(UNLAWFUL)
        if undetermined and not broken:
            results.add(UNDETERMINED)
        if self.lawful_transfer(t, broken, undetermined):
            results.add(LAWFUL)
        return results

    def lawful_transfer(self, t: str, broken: set[str], undetermined: set[tuple[str, str]]) -> bool:
        """audit.lawful, given the transfer's breaches and undetermined clauses"""
        return self.has("transfer", t) and all(
            self.complies(t, clause, broken, undetermined) for clause in CLAUSES
        )

    def complies(
        self, t: str, clause: str, broken: set[str], undetermined: set[tuple[str, str]]
    ) -> bool:
        """audit.complies_* (audit.complies_11 with audit.undetermined_on)"""
        if not self.has("transfer", t) or clause in broken:
            return False
        return clause != "11" or not any(c == clause for c, _ in undetermined)

    # -- transfer_breaches(T, Clause) --------------------------------------------------------

    def breaches(self, x: Transfer) -> set[str]:
        """``transfer_breaches(T, Clause)``: the clause of every audit rule that fires."""
        rules: list[tuple[str, Callable[[Transfer], bool]]] = [
            ("1", self.breaks_scope),
            ("2.2", self.breaks_customer_role),
            ("2.3", self.breaks_executor_role),
            ("3.1", self.breaks_permission),
            ("3.2", self.breaks_agreement_concluded),
            ("3.3", self.breaks_notice),
            ("6", self.breaks_no_agreement),
            ("6", self.breaks_not_listed),
            ("6", self.breaks_terms),
            ("7", self.breaks_transfer_early),
            ("7", self.breaks_agreement_early),
            ("8", self.breaks_protection),
            ("9", self.breaks_suspension),
            ("9", self.breaks_cancellation),
            ("10", self.breaks_change),
            ("11", self.breaks_executor_cleared),
            ("11", self.breaks_recipient),
            ("11", self.breaks_recipient_degree),
        ]
        return {clause for clause, broken in rules if broken(x)}

    def breaks_scope(self, x: Transfer) -> bool:
        """audit.cl1 (audit.in_scope)"""
        return any(not self.secret_in_scope(s, d) for s in x.secrets for d in x.dates)

    def breaks_customer_role(self, x: Transfer) -> bool:
        """audit.cl2_2"""
        return any(not self.customer_role(c, d) for c in x.customers for d in x.dates)

    def breaks_executor_role(self, x: Transfer) -> bool:
        """audit.cl2_3"""
        return any(not self.executor_role(e, d) for e in x.executors for d in x.dates)

    def breaks_permission(self, x: Transfer) -> bool:
        """audit.cl3_1: for a disposing body ``B``, no ``permission_on(C, E, S, B, D)``"""
        return any(not self.permission_on(body) for body in x.bodies)

    def breaks_agreement_concluded(self, x: Transfer) -> bool:
        """audit.cl3_2"""
        return any(
            a not in self.agreements_concluded_by(c, e, d)
            for a in x.agreements
            for c, e, d in self.principal_parties(x)
        )

    def breaks_notice(self, x: Transfer) -> bool:
        """audit.cl3_3"""
        return any(
            not self.notice_given(c, e, a, s, d)
            for a in x.agreements
            for s in x.secrets
            for c, e, d in self.principal_parties(x)
        )

    def breaks_no_agreement(self, x: Transfer) -> bool:
        """audit.cl6_no_agreement"""
        return self.has("transfer", x.id) and not x.agreements

    def breaks_not_listed(self, x: Transfer) -> bool:
        """audit.cl6_not_listed (audit.listed_on_day)"""
        return any(
            not self.listed_by(a, s, d) for a in x.agreements for s in x.secrets for d in x.dates
        )

    def breaks_terms(self, x: Transfer) -> bool:
        """audit.cl6_terms"""
        return any(not self.agreement_terms_complete(a) for a in x.agreements)

    def breaks_transfer_early(self, x: Transfer) -> bool:
        """audit.cl7_transfer_early: a permission exists, none obtained by the day"""
        return any(
            self.permission_exists(body) and not self.permitted_by(body) for body in x.bodies
        )

    def breaks_agreement_early(self, x: Transfer) -> bool:
        """audit.cl7_agreement_early"""
        return any(
            self.permission_exists(body) and not self.permission_preceded(a, body)
            for body in x.bodies
            for a in x.agreements
        )

    def breaks_protection(self, x: Transfer) -> bool:
        """audit.cl8"""
        return any(not self.protection_organized(a, d) for a in x.agreements for d in x.dates)

    def breaks_suspension(self, x: Transfer) -> bool:
        """audit.cl9_suspended"""
        return any(self.order_suspended(a, d) for a in x.agreements for d in x.dates)

    def breaks_cancellation(self, x: Transfer) -> bool:
        """audit.cl9_cancelled"""
        return any(self.cancelled(a, d) for a in x.agreements for d in x.dates)

    def breaks_change(self, x: Transfer) -> bool:
        """audit.cl10: a change in effect, and the transfer's customer cannot act as the
        agreement's customer"""
        return any(
            self.change_in_effect(a, d)
            and any(
                not self.acts_as_customer(c, ac, a, d) for ac in self.v("agreement_customer", a)
            )
            for a in x.agreements
            for c in x.customers
            for d in x.dates
        )

    def breaks_executor_cleared(self, x: Transfer) -> bool:
        """audit.cl11_executor"""
        return any(not self.executor_cleared(e, d) for e in x.executors for d in x.dates)

    def breaks_recipient(self, x: Transfer) -> bool:
        """audit.cl11_recipient"""
        return any(not self.recipient_admitted(x, p, d) for p in x.recipients for d in x.dates)

    def breaks_recipient_degree(self, x: Transfer) -> bool:
        """audit.cl11_recipient_degree: not covered, and every valid admission graded"""
        return any(not ungraded for ungraded in self._uncovered_recipients(x))

    # -- transfer_undetermined(T, Clause, Missing) -------------------------------------------

    def undetermined(self, x: Transfer) -> set[tuple[str, str]]:
        """``transfer_undetermined(T, Clause, Missing)``: audit.cl11_recipient_unknown,
        audit.cl11_recipient_ungraded"""
        found = set()
        if self.has("transfer", x.id) and not x.recipients:  # not audit.has_recipient
            found.add(("11", "transfer_recipient"))
        if any(self._uncovered_recipients(x)):
            found.add(("11", "admission_form"))
        return found

    def _uncovered_recipients(self, x: Transfer) -> Iterator[bool]:
        """For each recipient admitted on the day (audit.recipient_admitted) and stamp of a
        secret not covered (not audit.recipient_covered: the floor's ``admitted_to``), whether
        audit.recipient_ungraded holds."""
        for p in x.recipients:
            for d in x.dates:
                if not self.recipient_admitted(x, p, d):
                    continue
                for s in x.secrets:
                    for stamp in self.v("secret_stamp", s):
                        if not self.admitted_to(p, stamp, d):
                            yield self.recipient_ungraded(p, d)

    # -- whose permission, agreement and notice ----------------------------------------------

    def principals(self, x: Transfer) -> set[Any]:
        """audit.principal_own, audit.principal_assignor: ``transfer_principal(T, C)``"""
        assignors = self.assignors(x)  # audit.assignee_transfer if any
        return assignors if assignors else set(x.customers)

    def assignors(self, x: Transfer) -> set[Any]:
        """audit.assignee_transfer_of: the customers in whose place an assignee transferred"""
        return {
            c
            for a in x.agreements
            for d in x.dates
            for c in self.v("agreement_customer", a)
            if any(made != c and self.acts_as_customer(made, c, a, d) for made in x.customers)
        }

    def principal_parties(self, x: Transfer) -> Iterator[tuple[Any, Any, dt.date]]:
        """Each principal ``C``, executor ``E`` and day ``D`` of the transfer."""
        for c in x.principals:
            for e in x.executors:
                for d in x.dates:
                    yield c, e, d

    def bodies(self, x: Transfer) -> Iterator[Body]:
        """The :class:`Body` rows of the transfer (its principals found)."""
        for c, e, d in self.principal_parties(x):
            for s in x.secrets:
                for b in self.secret_in_scope(s, d):
                    yield Body(s, c, e, d, b, self.written_permissions(c, e, s, {b}))

    # -- clauses 3.1 and 7, per disposing body -----------------------------------------------

    def permission_on(self, body: Body) -> bool:
        """audit.permission_on"""
        return any(self.permission_in_force(ans, body.d) for ans in body.answers)

    def permission_exists(self, body: Body) -> bool:
        """audit.permission_exists"""
        return bool(body.answers)

    def permitted_by(self, body: Body) -> bool:
        """audit.permitted_by (cl7.permission_before_transfer)"""
        return any(self.received_on(ans) <= body.d for ans in body.answers)

    def permission_preceded(self, a: str, body: Body) -> bool:
        """audit.permission_preceded (cl7.listed_after_permission)"""
        if not self.agreement_lawfully_concluded(a):
            return False
        listed = self.listed_by(a, body.s, body.d)
        return any(self.received_on(ans) <= day for ans in body.answers for day in listed)

    # -- clause 9 ----------------------------------------------------------------------------

    def cancelled(self, a: str, d: dt.date) -> bool:
        """cl9.cancelled (the floor's ``order_cancelled`` is ``not cl9.not_cancelled``: it also
        holds when the agreement has no record)"""
        return any(
            when <= d
            for c in self.r("cancellation_of", a)
            for when in self.v("cancellation_date", c)
        )

    # -- clause 11 ---------------------------------------------------------------------------

    def executor_cleared(self, e: str, d: dt.date) -> bool:
        """cl11.organization_cleared, cl11.citizen_cleared"""
        organization = (
            self.has("organization", e)
            and self.permit_valid_on(e, d)
            and self.admitted_official(e, d)
        )
        if organization:
            return True
        return self.has("person", e) and bool(self.valid_admissions(e, d))

    def admitted_official(self, e: str, d: dt.date) -> bool:
        """cl11.admitted_official"""
        return any(self.valid_admissions(official, d) for official in self.r_on("works_at", e, d))

    def valid_admissions(self, person: Any, d: dt.date) -> list[Any]:
        """cl11.admission_valid: the admissions of ``person`` valid on ``d``."""
        return [ad for ad in self.r("admission_person", person) if self._admission_runs(ad, d)]

    def _admission_runs(self, ad: Any, d: dt.date) -> bool:
        """Issued by ``d`` and valid until ``d`` or later."""
        issued, until = self.v("admission_issued", ad), self.v("admission_valid_until", ad)
        return any(first <= d for first in issued) and any(last >= d for last in until)

    def recipient_admitted(self, x: Transfer, p: Any, d: dt.date) -> bool:
        """audit.recipient_is_executor, audit.recipient_is_official"""
        if not self.valid_admissions(p, d):
            return False
        return p in x.executors or any(e in x.executors for e in self.on("works_at", p, d))

    def recipient_ungraded(self, p: Any, d: dt.date) -> bool:
        """audit.recipient_ungraded"""
        return any(not self.admission_graded(ad) for ad in self.valid_admissions(p, d))

    def admission_graded(self, ad: Any) -> bool:
        """cl11.admission_graded, cl11.admission_graded_by_level"""
        return self.has("admission_form", ad) or self.has("admission_level", ad)
