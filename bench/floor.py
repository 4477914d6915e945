"""The floor: ``transfer_allowed(X, E, S, D)`` checked by hand in Python over dict indexes.

Written condition by condition from ``policies/transfer.md`` and the rules it uses (clauses 1,
2, 3, 5, 6, 7, 8, 9, 10, 11), over the same base facts policyeval reads, the computed
``capital_accounted`` included (:func:`fact_rows`). Each method names the rule it stands for.
A dated fact (``DATED``: its row ends with the first and last day of its period) counts on a day
inside that period: on the question's day, or on the day the rule names (the answer's date for
its signer, the notice's for the competent department, the permit's issue for its issuer, the
agreement's conclusion for its officials and for the permission it needs). The recursions up
ownership chains (foreign participation, a non-state holder, the state reached) are searches up
the owners in force that day; the changes concerning each agreement are computed once when the
indexes are built.

``tests/bench/test_bench_generator.py`` checks that this agrees with policyeval, so the floor cannot
silently drift from the rules.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from policyeval.facts.loader import FactBase

Row = tuple[Any, ...]

CUSTOMER_KINDS = frozenset(
    {"state_body", "national_security", "state_organization", "quasi_public", "commercial"}
)
DATED = frozenset(
    {
        "org_kind",
        "located_in",
        "org_head",
        "has_protection_division",
        "empowered_provider",
        "quasi_public_status",
        "works_at",
        "owns",
        "affiliated",
        "capital_accounted",
        "territory_region",
        "competent_for",
    }
)
"""The dated base predicates: a fact row ends with its first and last day."""
_EMPTY: tuple[Any, ...] = ()


FORM_NEEDED = {"special_importance": 1, "top_secret": 2, "secret": 3}
"""cl11.form_*: the form of admission each stamp needs (a lower number admits to more)."""


def fact_rows(fact_base: FactBase) -> list[tuple[str, Row]]:
    """Every row policyeval's store holds: the records' facts and the computed ones."""
    facts = [*fact_base.facts, *fact_base.computed_facts()]
    return [(f.predicate, f.args) for f in facts]


def in_force(row: Row, d: dt.date) -> bool:
    """Whether a dated row (ending with its first and last day) holds on ``d``."""
    start: dt.date = row[-2]
    end: dt.date = row[-1]
    return start <= d <= end


class Floor:
    """Indexes of the base facts and the transfer question answered over them."""

    def __init__(self, facts: Iterable[tuple[str, Row]], dated: Iterable[str] = DATED) -> None:
        self.dated = frozenset(dated)
        # predicate -> first argument -> the rest of each row (one value for undated binary
        # predicates; for a dated one, the rest with the period, and for a unary one the period)
        fwd: dict[str, dict[Any, list[Any]]] = defaultdict(lambda: defaultdict(list))
        # predicate -> second argument -> the first argument (and, when there is more, the rest)
        rev: dict[str, dict[Any, list[Any]]] = defaultdict(lambda: defaultdict(list))
        unary: dict[str, set[Any]] = defaultdict(set)
        for predicate, args in facts:
            width = len(args) - 2 if predicate in self.dated else len(args)
            if width == 1 and predicate not in self.dated:
                unary[predicate].add(args[0])
            elif width == 1:
                fwd[predicate][args[0]].append(args[1:])
            elif len(args) == 2:
                fwd[predicate][args[0]].append(args[1])
                rev[predicate][args[1]].append(args[0])
            else:
                fwd[predicate][args[0]].append(args[1:])
                rev[predicate][args[1]].append((args[0], *args[2:]))
        self._fwd: dict[str, dict[Any, list[Any]]] = {p: dict(d) for p, d in fwd.items()}
        self._rev: dict[str, dict[Any, list[Any]]] = {p: dict(d) for p, d in rev.items()}
        self._unary = dict(unary)
        self._changes = self._changes_affecting()
        self._terms: dict[str, bool] = {}
        self._lawful: dict[str, bool] = {}

    # -- index access ------------------------------------------------------------------------

    def v(self, predicate: str, first: Any) -> Sequence[Any]:
        """Second arguments (or the rest of the rows) of ``predicate`` with ``first``; for a
        dated predicate, the rows with their periods."""
        return self._fwd.get(predicate, {}).get(first, _EMPTY)

    def r(self, predicate: str, second: Any) -> Sequence[Any]:
        """First arguments of the binary ``predicate`` with ``second`` (for a dated or a
        longer one, the first argument with the rest of the row)."""
        return self._rev.get(predicate, {}).get(second, _EMPTY)

    def has(self, predicate: str, first: Any) -> bool:
        """Whether an undated ``predicate`` has a row starting with ``first``."""
        if predicate in self._unary:
            return first in self._unary[predicate]
        return first in self._fwd.get(predicate, {})

    def on(self, predicate: str, first: Any, d: dt.date) -> list[Any]:
        """The second arguments of the dated ``predicate`` with ``first`` in force on ``d``."""
        return [row[0] for row in self.v(predicate, first) if in_force(row, d)]

    def r_on(self, predicate: str, second: Any, d: dt.date) -> list[Any]:
        """The first arguments of the dated ``predicate`` with ``second`` in force on ``d``."""
        return [row[0] for row in self.r(predicate, second) if in_force(row, d)]

    def holds(self, predicate: str, first: Any, d: dt.date) -> bool:
        """Whether the dated one-argument ``predicate`` holds of ``first`` on ``d``."""
        return any(in_force(period, d) for period in self.v(predicate, first))

    def kind(self, org: str, kind: str, d: dt.date) -> bool:
        return kind in self.on("org_kind", org, d)

    def owners(self, owned: str, d: dt.date) -> list[Any]:
        """The holders of ``owned``'s capital on ``d`` (``owns(X, owned, _, d)``)."""
        return self.r_on("owns", owned, d)

    def one(self, predicate: str, first: Any) -> Any:
        """The first second argument of the undated ``predicate`` with ``first``, or None."""
        values = self.v(predicate, first)
        return values[0] if values else None

    # -- the top question (cl3.transfer_allowed) ---------------------------------------------

    def allowed(self, x: str, e: str, s: str, d: dt.date) -> bool:
        """Whether ``transfer_allowed(x, e, s, d)`` holds: ``x`` acting as the customer."""
        bodies = self.secret_in_scope(s, d)
        if not bodies or not self.customer_role(x, d) or not self.executor_role(e, d):
            return False
        if not self.cleared_for_secret(e, s, d):
            return False
        return any(self._allowed_for(x, c, e, s, d, bodies) for c in self.customers_for(x, d))

    def _allowed_for(self, x: str, c: str, e: str, s: str, d: dt.date, bodies: set[str]) -> bool:
        """The rest of cl3.transfer_allowed for the original customer ``c``."""
        answers = [
            ans
            for ans in self.written_permissions(c, e, s, bodies)
            if self.permission_in_force(ans, d) and self.received_on(ans) <= d  # cl7
        ]
        return bool(answers) and any(
            self.agreement_carries(x, c, e, s, d, a, answers)
            for a in self.agreements_concluded_by(c, e, d)
        )

    def agreement_carries(
        self, x: str, c: str, e: str, s: str, d: dt.date, a: str, answers: list[str]
    ) -> bool:
        """The conditions of cl3.transfer_allowed on agreement ``a``, given the permissions
        ``answers`` in force on ``d``."""
        listed = self.listed_by(a, s, d)
        if not listed or not self.agreement_terms_complete(a):
            return False
        if not self.agreement_lawfully_concluded(a):
            return False
        if not any(self.received_on(ans) <= day for ans in answers for day in listed):
            return False  # cl7.listed_after_permission
        return (
            self.notice_given(c, e, a, s, d)
            and self.protection_organized(a, d)
            and not self.order_suspended(a, d)
            and not self.order_cancelled(a, d)
            and self.acts_as_customer(x, c, a, d)
        )

    # -- clauses 1 and 2 ---------------------------------------------------------------------

    def is_state_body(self, b: str, d: dt.date) -> bool:
        """cl1.state_body, cl1.national_security_body"""
        kinds = self.on("org_kind", b, d)
        return "state_body" in kinds or "national_security" in kinds

    def secret_in_scope(self, s: str, d: dt.date) -> set[str]:
        """cl1.state_secret: the state bodies B with ``secret_in_scope(s, B, d)``."""
        if not self.has("secret", s) or not self.has("secret_stamp", s):
            return set()
        return {b for b in self.v("secret_disposer", s) if self.is_state_body(b, d)}

    def customer_role(self, c: str, d: dt.date) -> bool:
        """cl2_2.*"""
        return any(k in CUSTOMER_KINDS for k in self.on("org_kind", c, d))

    def executor_role(self, e: str, d: dt.date) -> bool:
        """cl2_3.executor_organization, cl2_3.executor_citizen"""
        if self.kind(e, "commercial", d):
            return True
        return self.has("person", e) and "kz" in self.v("citizenship", e)

    # -- clause 3.1, 5 and 7: the written permission -----------------------------------------

    def written_permissions(self, c: str, e: str, s: str, bodies: set[str]) -> list[str]:
        """cl3_1.written_permission, cl3_1.permission_granted: the answers ``Ans``."""
        return [
            ans
            for ans in self.permissions_for_executor(c, e)
            if s in self.v("answer_secret", ans)
            and any(b in bodies for b in self.v("answer_by", ans))
            and self.answer_validly_signed(ans)
        ]

    def permissions_for_executor(self, c: str, e: str) -> list[str]:
        """cl3_1.permission_for_executor: granted answers to ``c``'s requests about ``e``
        that concern ``e``."""
        return [
            ans
            for r in self.r("request_executor", e)
            if c in self.v("request_customer", r)
            for ans in self.r("answer_request", r)
            if "granted" in self.v("answer_decision", ans) and self.answer_concerns(ans, e)
        ]

    def answer_concerns(self, ans: str, e: str) -> bool:
        """cl3_1.answer_names_executor, cl3_1.answer_silent_on_executor"""
        named = self.v("answer_executor", ans)
        if named:
            return e in named
        return any(e in self.v("request_executor", r) for r in self.v("answer_request", ans))

    def received_on(self, ans: str) -> dt.date:
        """cl3_1.received_on, cl3_1.received_on_answer_date (dates are one per answer)."""
        day: dt.date = self.one("answer_received", ans) or self.one("answer_date", ans)
        return day

    def permission_in_force(self, ans: str, d: dt.date) -> bool:
        """cl3_1.permission_in_force, cl3_1.within_planned_terms"""
        for r in self.v("answer_request", ans):
            if any(d < start for start in self.v("request_planned_start", r)):
                continue
            if any(end < d for end in self.v("request_planned_end", r)):
                continue
            return self.permission_stands(ans, d)
        return False

    def permission_stands(self, ans: str, d: dt.date) -> bool:
        """cl3_1.permission_stands, cl3_1.withdrawn, cl3_1.later_refusal"""
        if not self.has("answer", ans) or any(w <= d for w in self.v("answer_withdrawn", ans)):
            return False
        granted = self.one("answer_date", ans)
        return not any(
            "refused" in self.v("answer_decision", ref)
            and granted < self.one("answer_date", ref)
            and self.received_on(ref) <= d
            for r in self.v("answer_request", ans)
            for ref in self.r("answer_request", r)
        )

    def answer_validly_signed(self, ans: str) -> bool:
        """cl5.signed_by_head (the head on the answer's date), cl5.signed_by_acting"""
        for p in self.v("answer_signed_by", ans):
            for b in self.v("answer_by", ans):
                if not self.has("head_may_classify", b):
                    continue
                for day in self.v("answer_date", ans):
                    if p in self.on("org_head", b, day) or self.acting_for_head(p, b, day):
                        return True
        return False

    def acting_for_head(self, p: str, b: str, day: dt.date) -> bool:
        """cl5.acting_for_head, cl5.acting_ended"""
        return any(
            b in self.v("acting_org", x)
            and any(start <= day for start in self.v("acting_start", x))
            and not any(end < day for end in self.v("acting_end", x))
            for x in self.r("acting_person", p)
        )

    def agreement_lawfully_concluded(self, a: str) -> bool:
        """cl7.agreement_lawfully_concluded, cl7.agreement_allowed on the conclusion day
        (question-independent, remembered)."""
        known = self._lawful.get(a)
        if known is None:
            known = self._lawful[a] = any(
                self.received_on(ans) <= day
                and self.answer_validly_signed(ans)
                and self.permission_stands(ans, day)
                for c in self.v("agreement_customer", a)
                for e in self.v("agreement_executor", a)
                for day in self.v("agreement_concluded", a)
                for ans in self.permissions_for_executor(c, e)
            )
        return known

    # -- clauses 3.2 and 6: the agreement ----------------------------------------------------

    def agreements_concluded_by(self, c: str, e: str, d: dt.date) -> list[str]:
        """cl3_2.agreement_concluded"""
        return [
            a
            for a in self.r("agreement_executor", e)
            if c in self.v("agreement_customer", a)
            and any(day <= d for day in self.v("agreement_concluded", a))
        ]

    def listed_by(self, a: str, s: str, d: dt.date) -> list[dt.date]:
        """cl6_4.listed_by: the days ``Listed <= d`` from which ``a`` lists ``s``."""
        return [day for day in self.secret_listed_on(a, s) if day <= d]

    def secret_listed_on(self, a: str, s: str) -> list[dt.date]:
        """cl6_4.listed_in_annex, cl6_4.listed_by_addendum, cl6.system_covered"""
        concluded = self.v("agreement_concluded", a)
        days: list[dt.date] = []
        if s in self.v("annex_secret", a) or (
            s in self.v("agreement_system", a)
            and self.certificate_regime(a)
            and self.has("agreement_certificate", a)
        ):
            days += concluded
        for x in self.r("addendum_agreement", a):
            if s in self.v("addendum_secret", x):
                days += [
                    day for day in self.v("addendum_date", x) if any(c <= day for c in concluded)
                ]
        return days

    def agreement_terms_complete(self, a: str) -> bool:
        """cl6.terms_complete (question-independent, remembered)"""
        known = self._terms.get(a)
        if known is None:
            known = self._terms[a] = (
                self.has("agreement", a)
                and self.has("agreement_control", a)  # cl6_1
                and self.has("agreement_financing", a)  # cl6_2
                and self.clearance_stated(a)  # cl6_3
                and self.secrets_listed(a)  # cl6_4, cl6.certificate_attached
            )
        return known

    def clearance_stated(self, a: str) -> bool:
        """cl6_3.permit_stated, cl6_3.citizen_admission_stated, cl6_3.official_admission_stated
        (an official of the executor on the day the agreement was concluded)"""
        executors = self.v("agreement_executor", a)
        for p in self.v("agreement_permit", a):
            if any(e in self.v("permit_holder", p) for e in executors):
                return True
        concluded = self.v("agreement_concluded", a)
        for ad in self.v("agreement_admission", a):
            for x in self.v("admission_person", ad):
                if x in executors or any(
                    e in self.on("works_at", x, day) for e in executors for day in concluded
                ):
                    return True
        return False

    def secrets_listed(self, a: str) -> bool:
        """cl6_4.secrets_annexed or cl6.certificate_attached"""
        if self.particulars_missing_in_annex(a):
            return False
        if self.v("annex_secret", a):
            return True
        return (
            self.certificate_regime(a)
            and self.has("agreement_certificate", a)
            and all(
                self.has("secret_stamp", sys) and self.has("secret_account", sys)
                for sys in self.v("agreement_system", a)
            )  # not cl6.system_particulars_missing
        )

    def particulars_missing_in_annex(self, a: str) -> bool:
        """cl6_4.annex_particulars, cl6_4.addendum_particulars"""
        added = [s for x in self.r("addendum_agreement", a) for s in self.v("addendum_secret", x)]
        return not all(self.particulars_complete(s) for s in [*self.v("annex_secret", a), *added])

    def particulars_complete(self, s: str) -> bool:
        """cl4_2.document_particulars, cl4_2.material_particulars, cl4_2.system_particulars"""
        base = (
            self.has("secret_name", s)
            and self.has("secret_stamp", s)
            and self.has("secret_account", s)
        )
        if not base:
            return False
        carriers = self.v("secret_carrier", s)
        if "information_system" in carriers:
            return True
        return any(c in carriers for c in ("document", "material")) and (
            self.has("secret_copy", s) and self.has("secret_sheets", s)
        )

    def certificate_regime(self, a: str) -> bool:
        """cl6.certificate_regime, cl6.system_outside_regime, cl6.customer_system"""
        systems = self.v("agreement_system", a)
        if "maintenance" not in self.v("agreement_subject", a) or not systems:
            return False
        customers = self.v("agreement_customer", a)
        return all(
            any(c in self.v("secret_owner", sys) for c in customers)
            and "information_system" in self.v("secret_carrier", sys)
            for sys in systems
        )

    # -- clause 3.3: the notice to the territorially competent department --------------------

    def notice_given(self, c: str, e: str, a: str, s: str, d: dt.date) -> bool:
        """cl3_3.notice_sent: the department competent on the notice's day"""
        concluded = self.v("agreement_concluded", a)
        if e not in self.v("agreement_executor", a):
            return False
        for n in self.r("notice_agreement", a):
            if c not in self.v("notice_customer", n) or s not in self.v("notice_secret", n):
                continue
            for day in self.v("notice_date", n):
                if (
                    day <= d
                    and any(x <= day for x in concluded)
                    and any(
                        self.competent_authority(au, a, day) for au in self.v("notice_authority", n)
                    )
                ):
                    return True
        return False

    def competent_authority(self, authority: str, a: str, day: dt.date) -> bool:
        """cl3_3.competent_for_place, cl3_3.competent_for_region"""
        if not self.kind(authority, "national_security", day):
            return False
        territories = set(self.on("competent_for", authority, day))
        return any(
            place in territories
            or any(region in territories for region in self.on("territory_region", place, day))
            for place in self.activity_places(a, day)
        )

    def activity_places(self, a: str, day: dt.date) -> list[Any]:
        """cl3_3.place_of_work, cl3_3.place_of_executor"""
        named = self.v("agreement_work_city", a)
        if named:
            return list(named)
        return [p for e in self.v("agreement_executor", a) for p in self.on("located_in", e, day)]

    # -- clause 8: protection ----------------------------------------------------------------

    def protection_organized(self, a: str, d: dt.date) -> bool:
        """cl8.protection_organized, cl8.protection_organized_provider"""
        for org, way in self.protection_by(a, d):
            if way != "way_4_provider" or self.provider_arrangement_current(a, org, d):
                return True
        return False

    def protection_by(self, a: str, d: dt.date) -> list[tuple[str, str]]:
        """cl8_1.executor_division, cl8_2.customer_premises, cl8_3.quasi_public_division,
        cl8_4.provider_division"""
        ways: list[tuple[str, str]] = []
        executors = self.v("agreement_executor", a)
        for org in self.v("agreement_protection_by", a):
            if self.holds("has_protection_division", org, d):
                ways += self._ways_of(a, org, executors, d)
        return ways

    def _ways_of(
        self, a: str, org: str, executors: Sequence[Any], d: dt.date
    ) -> list[tuple[str, str]]:
        """The ways of clause 8 in which ``org``, with a protection division on ``d``, protects
        for ``a`` that day."""
        ways: list[tuple[str, str]] = []
        if org in executors and not self.foreign_participation(org, d):
            ways.append((org, "way_1_executor"))
        if org in self.v("agreement_customer", a) and self.has("work_at_customer", a):
            ways.append((org, "way_2_customer"))
        if self.quasi_public_subject(org, d) and any(
            e != org and org in self.on("affiliated", e, d) for e in executors
        ):
            ways.append((org, "way_3_quasi_public"))
        if any(self._provider_division(org, e, d) for e in executors):
            ways.append((org, "way_4_provider"))
        return ways

    def quasi_public_subject(self, org: str, d: dt.date) -> bool:
        """cl8_3.quasi_public_status, cl8_3.quasi_public_kind"""
        return self.holds("quasi_public_status", org, d) or self.kind(org, "quasi_public", d)

    def _provider_division(self, org: str, e: str, d: dt.date) -> bool:
        """The conditions of cl8_4.provider_division for one executor on ``d``."""
        if org == e or not self.same_city(org, e, d):
            return False
        if self.foreign_participation(org, d) or not self.wholly_state_owned(org, d):
            return False
        if not self.holds("empowered_provider", org, d):
            return False
        return any(
            self.permit_names_services(e, p) and self.permit_names_services(org, p)
            for p in self.services_agreements(e, org)
        )

    def same_city(self, org: str, e: str, d: dt.date) -> bool:
        """cl8_4.same_city"""
        cities = self.on("located_in", e, d)
        return any(c in cities for c in self.on("located_in", org, d))

    def services_agreements(self, e: str, org: str) -> list[str]:
        """cl8_4.services_agreement"""
        return [
            p for p in self.r("protection_executor", e) if org in self.v("protection_provider", p)
        ]

    def permit_names_services(self, party: str, p: str) -> bool:
        """cl8_4.permit_indicates"""
        return any(party in self.v("permit_holder", pm) for pm in self.r("permit_protection", p))

    def services_informed(self, p: str, org: str, service: str, d: dt.date) -> bool:
        """cl8.services_informed: by ``d``, after the services agreement was concluded"""
        concluded = self.v("protection_concluded", p)
        return any(
            org in self.v("service_notice_sender", n)
            and service in self.v("service_notice_recipient", n)
            and any(
                day <= d and any(c <= day for c in concluded)
                for day in self.v("service_notice_date", n)
            )
            for n in self.r("service_notice_agreement", p)
        )

    def provider_arrangement_current(self, a: str, org: str, d: dt.date) -> bool:
        """cl8_4.current"""
        return any(
            any(day <= d for day in self.v("protection_concluded", p))
            and self._provider_permit_current(org, p, d)
            and self.services_informed(p, org, "courier_service", d)
            and self.services_informed(p, org, "special_postal_service", d)
            for e in self.v("agreement_executor", a)
            for p in self.services_agreements(e, org)
        )

    def _provider_permit_current(self, org: str, p: str, d: dt.date) -> bool:
        """A permit of ``org`` indicating ``p``, issued by ``d`` and valid on ``d``."""
        return any(
            org in self.v("permit_holder", pm)
            and any(day <= d for day in self.v("permit_issued", pm))
            and any(d <= day for day in self.v("permit_valid_until", pm))
            for pm in self.r("permit_protection", p)
        )

    def foreign_party(self, x: str, d: dt.date) -> bool:
        """cl8_1.foreign_organization, cl8_1.foreign_person"""
        return self.kind(x, "foreign", d) or any(c != "kz" for c in self.v("citizenship", x))

    def foreign_participation(self, org: str, d: dt.date) -> bool:
        """cl8_1.foreign_owner, cl8_1.foreign_through_owner: a foreign party up the chain of
        owners in force on ``d``."""
        return self._up_the_chain(org, d, self.foreign_party, lambda _x, _d: True)

    def wholly_state_owned(self, org: str, d: dt.date) -> bool:
        """cl8_4.wholly_state_owned: the capital accounted for, no non-state participation"""
        return self.holds("capital_accounted", org, d) and not self._up_the_chain(
            org, d, self.non_state_holder, lambda x, day: not self.state_party(x, day)
        )

    def state_party(self, x: str, d: dt.date) -> bool:
        """cl8_4.state_holder, cl8_4.state_body_holder"""
        return self.kind(x, "state", d) or self.is_state_body(x, d)

    def non_state_holder(self, x: str, d: dt.date) -> bool:
        """cl8_4.person_holder, cl8_4.foreign_holder, cl8_4.holder_capital_unaccounted,
        cl8_4.holder_without_state: a holder ``x`` that is not the state's by itself on ``d``."""
        if self.has("person", x) or self.kind(x, "foreign", d):
            return True
        return (
            self.has("organization", x)
            and not self.state_party(x, d)
            and (not self.holds("capital_accounted", x, d) or not self.state_reached(x, d))
        )

    def state_reached(self, x: str, d: dt.date) -> bool:
        """cl8_4.state_reached, cl8_4.state_reached_through: the state up the chain"""
        return self._up_the_chain(x, d, self.state_party, lambda _x, _d: True)

    def _up_the_chain(
        self,
        org: str,
        d: dt.date,
        test: Callable[[Any, dt.date], bool],
        through: Callable[[Any, dt.date], bool],
    ) -> bool:
        """Whether a holder of ``org``, or of one of its holders ``through`` which the search
        goes on, and so on, passes ``test`` on ``d``: the least fixed point of a rule and its
        recursive twin (cl8_4.indirect_holder goes on through non-state holders only)."""
        seen, stack = {org}, [org]
        while stack:
            for owner in self.owners(stack.pop(), d):
                if test(owner, d):
                    return True
                if owner not in seen and through(owner, d):
                    seen.add(owner)
                    stack.append(owner)
        return False

    # -- clause 9 ----------------------------------------------------------------------------

    def order_suspended(self, a: str, d: dt.date) -> bool:
        """cl9.suspended, cl9.suspension_ended, cl9.suspension_violation_eliminated"""
        for su in self.r("suspension_agreement", a):
            if not any(start <= d for start in self.v("suspension_start", su)):
                continue
            over = any(end < d for end in self.v("suspension_end", su)) or any(
                day < d
                for v in self.v("suspension_violation", su)
                for day in self.v("violation_eliminated", v)
            )
            if not over:
                return True
        return False

    def order_cancelled(self, a: str, d: dt.date) -> bool:
        """cl9.cancelled (not cl9.not_cancelled): the agreement cancelled by ``d``"""
        return not self.has("agreement", a) or any(
            day <= d for x in self.r("cancellation_of", a) for day in self.v("cancellation_date", x)
        )

    def permit_cancelled(self, p: str, d: dt.date) -> bool:
        """cl9.permit_cancelled: by a national security authority (so on its day)"""
        return any(
            day <= d
            and any(self.kind(by, "national_security", day) for by in self.v("cancellation_by", x))
            for x in self.r("cancellation_of", p)
            for day in self.v("cancellation_date", x)
        )

    # -- clause 10: who acts as the customer -------------------------------------------------

    def customers_for(self, x: str, d: dt.date) -> set[str]:
        """cl10.customer_itself, cl10.customer_by_assignment: the ``C`` of ``customer_for``."""
        found = {x} if self.r("agreement_customer", x) else set()
        for ad in self.r("addendum_assignee", x):
            for a in self.v("addendum_agreement", ad):
                found |= {
                    c
                    for c in self.v("agreement_customer", a)
                    if c != x and self.assignee_acts(x, c, a, d)
                }
        return found

    def acts_as_customer(self, x: str, c: str, a: str, d: dt.date) -> bool:
        """cl10.original_customer, cl10.acts_by_assignment"""
        if x == c and c in self.v("agreement_customer", a) and not self.change_in_effect(a, d):
            return self.has("agreement", a)  # cl10.no_change
        return self.assignee_acts(x, c, a, d)

    def assignee_acts(self, x: str, c: str, a: str, d: dt.date) -> bool:
        """cl10.assignee_continues"""
        if c not in self.v("agreement_customer", a) or self.executor_change_in_effect(a, d):
            return False
        return any(
            x in self.v("addendum_assignee", ad)
            and any(day <= d for day in self.v("addendum_date", ad))
            and self.named_assignee_authorized(ad, d)
            and self._change_answered(a, ad, d)
            for ad in self.r("addendum_agreement", a)
        )

    def _change_answered(self, a: str, ad: str, d: dt.date) -> bool:
        """A customer-side change by ``d`` that addendum ``ad`` answers, both notices sent."""
        return any(
            self.addendum_answers(ad, ch)
            and ch in self.customer_side_changes(a)
            and self.change_date(ch) <= d
            and self.security_notified(a, ch, d)
            and self.bodies_notified(a, ch, d)
            for ch in self.v("addendum_change", ad)
        )

    def change_date(self, ch: str) -> dt.date:
        day: dt.date = self.one("change_date", ch) or dt.date.max
        return day

    def addendum_answers(self, ad: str, ch: str) -> bool:
        """cl10.addendum_answers (the addendum's agreement is checked by the caller)"""
        return any(self.change_date(ch) <= day for day in self.v("addendum_date", ad))

    def named_assignee_authorized(self, ad: str, d: dt.date) -> bool:
        """cl10.named_assignee_authorized, cl10.assignee_*"""
        return any(
            self.kind(x, "state_body", d)
            or self.kind(x, "national_security", d)
            or self.permit_valid_on(x, d)
            for x in self.v("addendum_assignee", ad)
        )

    def customer_side_changes(self, a: str) -> set[str]:
        """cl10.customer_side"""
        customers = self.v("agreement_customer", a)
        return {
            ch
            for ch in self._changes.get(a, ())
            if any(p in customers for p in self.v("change_party", ch))
        }

    def security_notified(self, a: str, ch: str, d: dt.date) -> bool:
        """cl10.security_notified: the department competent on the notice's day"""
        return any(
            day <= d
            and any(
                self.competent_authority(au, a, day) for au in self.v("change_notice_recipient", n)
            )
            for n in self.r("change_notice_of", ch)
            for day in self.v("change_notice_date", n)
        )

    def bodies_notified(self, a: str, ch: str, d: dt.date) -> bool:
        """cl10.bodies_notified, cl10.body_unnotified, cl10.body_notified"""
        customers = self.v("agreement_customer", a)
        bodies = {b for s in self.secrets_used_under(a) for b in self.v("secret_disposer", s)}
        notified = {
            b
            for n in self.r("change_notice_of", ch)
            if any(day <= d for day in self.v("change_notice_date", n))
            for b in self.v("change_notice_recipient", n)
        }
        return all(b in notified for b in bodies if any(b != c for c in customers))

    def secrets_used_under(self, a: str) -> set[str]:
        """cl10.used_annexed, cl10.used_system, cl10.used_transferred"""
        transferred = {
            s for t in self.r("transfer_agreement", a) for s in self.v("transfer_secret", t)
        }
        return {*self.v("annex_secret", a), *self.v("agreement_system", a), *transferred}

    def change_in_effect(self, a: str, d: dt.date) -> bool:
        """cl10.change_in_effect"""
        return any(self.change_date(ch) <= d for ch in self._changes.get(a, ()))

    def executor_change_in_effect(self, a: str, d: dt.date) -> bool:
        """cl10.executor_change_in_effect, cl10.executor_side"""
        executors = self.v("agreement_executor", a)
        return any(
            self.change_date(ch) <= d and any(p in executors for p in self.v("change_party", ch))
            for ch in self._changes.get(a, ())
        )

    def _changes_affecting(self) -> dict[str, set[str]]:
        """cl10.change_names_agreement, cl10.change_of_customer, cl10.change_of_executor"""
        affects: dict[str, set[str]] = defaultdict(set)
        for ch, agreements in self._fwd.get("change_agreement", {}).items():
            for a in agreements:
                affects[a].add(ch)
        for ch, parties in self._fwd.get("change_party", {}).items():
            if self.has("change_agreement", ch):
                continue
            for a in self._joint_work_of(parties):
                if any(c <= self.change_date(ch) for c in self.v("agreement_concluded", a)):
                    affects[a].add(ch)
        return affects

    def _joint_work_of(self, parties: Sequence[Any]) -> set[str]:
        """The agreements of joint work in which one of ``parties`` is the customer or the
        executor (cl10.change_of_customer, cl10.change_of_executor)."""
        return {
            a
            for p in parties
            for a in {*self.r("agreement_customer", p), *self.r("agreement_executor", p)}
            if self.joint_work(a)
        }

    def joint_work(self, a: str) -> bool:
        """cl2_1.joint_work, for the agreement's own customer and executor"""
        return (
            bool(self.v("agreement_customer", a))
            and bool(self.v("agreement_executor", a))
            and self.has("agreement_concluded", a)
            and (self.has("annex_secret", a) or self.has("agreement_system", a))
        )

    # -- clause 11 ---------------------------------------------------------------------------

    def cleared_for_secret(self, e: str, s: str, d: dt.date) -> bool:
        """cl11.organization_cleared_for_secret, cl11.citizen_cleared_for_secret"""
        stamps = self.v("secret_stamp", s)
        if self.has("organization", e) and self.permit_valid_on(e, d):
            officials = self.r_on("works_at", e, d)
            if any(self.admitted_to(x, stamp, d) for x in officials for stamp in stamps):
                return True
        return self.has("person", e) and any(self.admitted_to(e, st, d) for st in stamps)

    def admitted_to(self, x: str, stamp: str, d: dt.date) -> bool:
        """An admission of ``x`` valid on ``d`` that covers ``stamp`` (cl11.admission_valid)."""
        return any(
            any(day <= d for day in self.v("admission_issued", ad))
            and any(d <= day for day in self.v("admission_valid_until", ad))
            and self.admission_covers(ad, stamp)
            for ad in self.r("admission_person", x)
        )

    def admission_covers(self, ad: str, stamp: str) -> bool:
        """cl11.admission_covers_by_form, cl11.admission_covers_by_level"""
        needed = FORM_NEEDED.get(stamp)
        if needed is None:
            return False
        forms = self.v("admission_form", ad)
        if forms:
            return any(form <= needed for form in forms)
        return any(FORM_NEEDED.get(level, 9) <= needed for level in self.v("admission_level", ad))

    def permit_valid_on(self, e: str, d: dt.date) -> bool:
        """cl11.permit_valid (the issuer a security authority on the day of issue)"""
        return any(
            any(
                issued <= d and self.kind(i, "national_security", issued)
                for i in self.v("permit_issuer", p)
                for issued in self.v("permit_issued", p)
            )
            and any(d <= day for day in self.v("permit_valid_until", p))
            and not self.permit_cancelled(p, d)
            for p in self.r("permit_holder", e)
        )
