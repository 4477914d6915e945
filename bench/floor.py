"""The floor: ``transfer_allowed(C, E, S, D)`` checked by hand in Python over dict indexes.

Written condition by condition from ``policies/transfer.md`` and the rules it uses (clauses 1,
2, 3, 5, 6, 7, 8, 9, 10, 11), over the same base facts policyeval reads. Each method names the
rule it stands for. Question-independent recursion (foreign participation, participation of a
non-state holder) and the changes concerning each agreement are computed once, as least fixed
points, when the indexes are built; everything that depends on the day is checked per question.

``tests/bench/test_bench_generator.py`` checks that this agrees with policyeval, so the floor cannot
silently drift from the rules.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

Row = tuple[Any, ...]

CUSTOMER_KINDS = frozenset(
    {"state_body", "national_security", "state_organization", "quasi_public", "commercial"}
)
_EMPTY: tuple[Any, ...] = ()


class Floor:
    """Indexes of the base facts and the transfer question answered over them."""

    def __init__(self, facts: Iterable[tuple[str, Row]]) -> None:
        # predicate -> first argument -> the rest of each row (one value for binary predicates)
        fwd: dict[str, dict[Any, list[Any]]] = defaultdict(lambda: defaultdict(list))
        # binary predicate -> second argument -> first arguments
        rev: dict[str, dict[Any, list[Any]]] = defaultdict(lambda: defaultdict(list))
        unary: dict[str, set[Any]] = defaultdict(set)
        for predicate, args in facts:
            if len(args) == 1:
                unary[predicate].add(args[0])
            elif len(args) == 2:
                fwd[predicate][args[0]].append(args[1])
                rev[predicate][args[1]].append(args[0])
            else:
                fwd[predicate][args[0]].append(args[1:])
                rev[predicate][args[1]].append((args[0], *args[2:]))
        self._fwd: dict[str, dict[Any, list[Any]]] = {p: dict(d) for p, d in fwd.items()}
        self._rev: dict[str, dict[Any, list[Any]]] = {p: dict(d) for p, d in rev.items()}
        self._unary = dict(unary)
        self._foreign = self._foreign_participation()
        self._non_state = self._non_state_participation()
        self._changes = self._changes_affecting()
        self._terms: dict[str, bool] = {}
        self._ways: dict[str, list[tuple[str, str]]] = {}

    # -- index access ------------------------------------------------------------------------

    def v(self, predicate: str, first: Any) -> Sequence[Any]:
        """Second arguments (or the rest of the rows) of ``predicate`` with ``first``."""
        return self._fwd.get(predicate, {}).get(first, _EMPTY)

    def r(self, predicate: str, second: Any) -> Sequence[Any]:
        """First arguments of the binary ``predicate`` with ``second``."""
        return self._rev.get(predicate, {}).get(second, _EMPTY)

    def has(self, predicate: str, first: Any) -> bool:
        if predicate in self._unary:
            return first in self._unary[predicate]
        return first in self._fwd.get(predicate, {})

    def kind(self, org: str, kind: str) -> bool:
        return kind in self.v("org_kind", org)

    # -- the top question (cl3.transfer_allowed) ---------------------------------------------

    def allowed(self, c: str, e: str, s: str, d: dt.date) -> bool:
        """Whether ``transfer_allowed(c, e, s, d)`` holds."""
        bodies = self.secret_in_scope(s)
        if not bodies or not self.customer_role(c) or not self.executor_role(e):
            return False
        if not self.executor_cleared(e, d):
            return False
        answers = [
            ans
            for ans in self.written_permissions(c, e, s, bodies)
            if any(day <= d for day in self.v("answer_date", ans))  # cl7.permission_before_transfer
        ]
        return bool(answers) and any(
            self.agreement_carries(c, e, s, d, a, answers)
            for a in self.agreements_concluded_by(c, e, d)
        )

    def agreement_carries(
        self, c: str, e: str, s: str, d: dt.date, a: str, answers: list[str]
    ) -> bool:
        """The rest of cl3.transfer_allowed for agreement ``a``, given the permissions ``answers``
        that count on ``d``: it lists ``s``, is complete and later than one of them, was notified,
        its secrets are protected, and it is not suspended, cancelled or changed on ``d``."""
        if not self.agreement_lists_secret(a, s) or not self.agreement_terms_complete(a):
            return False
        if not any(self.agreement_after_permission(a, ans) for ans in answers):
            return False
        return (
            self.notice_given(c, e, a, s, d)
            and self.protection_organized(a, d)
            and not self.order_suspended(a, d)
            and not self.order_cancelled(a, d)
            and not self.change_in_effect(a, d)
        )

    # -- clauses 1 and 2 ---------------------------------------------------------------------

    def secret_in_scope(self, s: str) -> set[str]:
        """cl1.state_secret: the state bodies B with ``secret_in_scope(s, B)``."""
        if not self.has("secret", s) or not self.has("secret_stamp", s):
            return set()
        return {b for b in self.v("secret_disposer", s) if self.kind(b, "state_body")}

    def customer_role(self, c: str) -> bool:
        """cl2_2.*"""
        return any(k in CUSTOMER_KINDS for k in self.v("org_kind", c))

    def executor_role(self, e: str) -> bool:
        """cl2_3.executor_organization, cl2_3.executor_citizen"""
        if self.kind(e, "commercial"):
            return True
        return self.has("person", e) and "kz" in self.v("citizenship", e)

    # -- clause 3.1 and 5: the written permission --------------------------------------------

    def written_permissions(self, c: str, e: str, s: str, bodies: set[str]) -> list[str]:
        """cl3_1.written_permission and cl3_1.permission_granted: the answers ``Ans``."""
        found = []
        for r in self.r("request_executor", e):
            if c not in self.v("request_customer", r):
                continue
            for ans in self.r("answer_request", r):
                if (
                    "granted" in self.v("answer_decision", ans)
                    and s in self.v("answer_secret", ans)
                    and any(b in bodies for b in self.v("answer_by", ans))
                    and self.answer_validly_signed(ans)
                ):
                    found.append(ans)
        return found

    def answer_validly_signed(self, ans: str) -> bool:
        """cl5.signed_by_head, cl5.signed_by_acting"""
        for p in self.v("answer_signed_by", ans):
            for b in self.v("answer_by", ans):
                if not self.has("head_may_classify", b):
                    continue
                if p in self.v("org_head", b):
                    return True
                if any(self.acting_for_head(p, b, day) for day in self.v("answer_date", ans)):
                    return True
        return False

    def acting_for_head(self, p: str, b: str, day: dt.date) -> bool:
        """cl5.acting_for_head, cl5.acting_ended"""
        for x in self.r("acting_person", p):
            if (
                b in self.v("acting_org", x)
                and any(start <= day for start in self.v("acting_start", x))
                and not any(end < day for end in self.v("acting_end", x))
            ):
                return True
        return False

    # -- clauses 3.2, 6 and 7: the agreement -------------------------------------------------

    def agreements_concluded_by(self, c: str, e: str, d: dt.date) -> list[str]:
        """cl3_2.agreement_concluded"""
        return [
            a
            for a in self.r("agreement_executor", e)
            if c in self.v("agreement_customer", a)
            and any(day <= d for day in self.v("agreement_concluded", a))
        ]

    def agreement_lists_secret(self, a: str, s: str) -> bool:
        """cl6_4.listed_in_annex, cl6.system_covered"""
        return s in self.v("annex_secret", a) or s in self.v("agreement_system", a)

    def agreement_after_permission(self, a: str, ans: str) -> bool:
        """cl7.agreement_after_permission"""
        return any(
            permitted <= concluded
            for concluded in self.v("agreement_concluded", a)
            for permitted in self.v("answer_date", ans)
        )

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
                and self.has("agreement_division", a)  # cl6.division_determined
            )
        return known

    def clearance_stated(self, a: str) -> bool:
        """cl6_3.permit_stated, cl6_3.citizen_admission_stated, cl6_3.official_admission_stated"""
        executors = self.v("agreement_executor", a)
        for p in self.v("agreement_permit", a):
            if any(e in self.v("permit_holder", p) for e in executors):
                return True
        for ad in self.v("agreement_admission", a):
            for x in self.v("admission_person", ad):
                if x in executors or any(e in self.v("works_at", x) for e in executors):
                    return True
        return False

    def secrets_listed(self, a: str) -> bool:
        """cl6_4.secrets_annexed or cl6.certificate_attached"""
        annex = self.v("annex_secret", a)
        if annex and all(self.particulars_complete(s) for s in annex):
            return True
        return self.certificate_regime(a) and self.has("agreement_certificate", a)

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

    # -- clause 3.3: the notice --------------------------------------------------------------

    def notice_given(self, c: str, e: str, a: str, s: str, d: dt.date) -> bool:
        """cl3_3.notice_sent, cl3_3.place_of_activity"""
        cities = self.v("located_in", e)
        concluded = self.v("agreement_concluded", a)
        for n in self.r("notice_agreement", a):
            if c not in self.v("notice_customer", n) or s not in self.v("notice_secret", n):
                continue
            if not any(
                day <= d and any(x <= day for x in concluded) for day in self.v("notice_date", n)
            ):
                continue
            for authority in self.v("notice_authority", n):
                if self.kind(authority, "national_security") and any(
                    city in cities for city in self.v("located_in", authority)
                ):
                    return True
        return False

    # -- clause 8: protection ----------------------------------------------------------------

    def protection_organized(self, a: str, d: dt.date) -> bool:
        """cl8.protection_organized, cl8.protection_organized_provider"""
        for org, way in self.protection_by(a):
            if way != "way_4_provider" or self.provider_arrangement_current(a, org, d):
                return True
        return False

    def protection_by(self, a: str) -> list[tuple[str, str]]:
        """cl8_1.executor_division, cl8_2.*, cl8_3.quasi_public_division, cl8_4.provider_division"""
        known = self._ways.get(a)
        if known is not None:
            return known
        ways: list[tuple[str, str]] = []
        executors = self.v("agreement_executor", a)
        for org in self.v("agreement_protection_by", a):
            if self.has("has_protection_division", org):
                ways += self._ways_of(a, org, executors)
        self._ways[a] = ways
        return ways

    def _ways_of(self, a: str, org: str, executors: Sequence[Any]) -> list[tuple[str, str]]:
        """The ways of clause 8 in which ``org``, with a protection division, protects for ``a``."""
        ways: list[tuple[str, str]] = []
        if org in executors and org not in self._foreign:
            ways.append((org, "way_1_executor"))
        if org in self.v("agreement_customer", a) and (
            self.has("work_at_customer", a)
            or any(city in self.v("located_in", org) for city in self.v("agreement_work_city", a))
        ):
            ways.append((org, "way_2_customer"))
        if self.kind(org, "quasi_public") and any(
            org in self.v("affiliated", e) for e in executors
        ):
            ways.append((org, "way_3_quasi_public"))
        if any(self._provider_division(org, e) for e in executors):
            ways.append((org, "way_4_provider"))
        return ways

    def _provider_division(self, org: str, e: str) -> bool:
        """The conditions of cl8_4.provider_division for one executor."""
        if org == e or not any(c in self.v("located_in", e) for c in self.v("located_in", org)):
            return False
        if org in self._foreign or not self.wholly_state_owned(org):
            return False
        if not self.has("empowered_provider", org):
            return False
        return any(self.provider_papers(e, org, p) for p in self.services_agreements(e, org))

    def provider_papers(self, e: str, org: str, p: str) -> bool:
        """The papers of cl8_4.provider_division for services agreement ``p``: both permits
        indicate it, and the provider informed the courier and the special postal service."""
        return (
            self.permit_names_services(e, p)
            and self.permit_names_services(org, p)
            and self.services_informed(p, org, "courier_service")
            and self.services_informed(p, org, "special_postal_service")
        )

    def services_agreements(self, e: str, org: str) -> list[str]:
        """cl8_4.services_agreement"""
        return [
            p for p in self.r("protection_executor", e) if org in self.v("protection_provider", p)
        ]

    def permit_names_services(self, party: str, p: str) -> bool:
        """cl8_4.permit_indicates"""
        return any(party in self.v("permit_holder", pm) for pm in self.r("permit_protection", p))

    def services_informed(self, p: str, org: str, service: str) -> bool:
        """cl8.services_informed"""
        return any(
            org in self.v("service_notice_sender", n)
            and service in self.v("service_notice_recipient", n)
            for n in self.r("service_notice_agreement", p)
        )

    def provider_arrangement_current(self, a: str, org: str, d: dt.date) -> bool:
        """cl8_4.current"""
        for e in self.v("agreement_executor", a):
            for p in self.services_agreements(e, org):
                if not any(day <= d for day in self.v("protection_concluded", p)):
                    continue
                for pm in self.r("permit_protection", p):
                    if (
                        org in self.v("permit_holder", pm)
                        and any(day <= d for day in self.v("permit_issued", pm))
                        and any(d <= day for day in self.v("permit_valid_until", pm))
                    ):
                        return True
        return False

    def wholly_state_owned(self, org: str) -> bool:
        """cl8_4.wholly_state_owned"""
        return bool(self.r("owns", org)) and org not in self._non_state  # cl8_4.has_holder

    def foreign_party(self, x: str) -> bool:
        """cl8_1.foreign_organization, cl8_1.foreign_person"""
        return self.kind(x, "foreign") or any(c != "kz" for c in self.v("citizenship", x))

    def _foreign_participation(self) -> set[str]:
        """cl8_1.foreign_owner, cl8_1.foreign_through_owner: the least fixed point, downwards."""
        owned_by: dict[Any, list[tuple[Any, int]]] = defaultdict(list)  # owner -> (owned, share)
        found: set[str] = set()
        for owned, rows in self._rev.get("owns", {}).items():
            for owner, share in rows:
                if share > 0:
                    owned_by[owner].append((owned, share))
                    if self.foreign_party(owner):
                        found.add(owned)
        return _closure(found, owned_by)

    def _non_state_participation(self) -> set[str]:
        """cl8_4.person_holder ... cl8_4.indirect_holder: the least fixed point, downwards."""
        owned_by: dict[Any, list[tuple[Any, int]]] = defaultdict(list)
        found: set[str] = set()
        for owned, rows in self._rev.get("owns", {}).items():
            for owner, share in rows:
                owned_by[owner].append((owned, share))
                if self.non_state_holder(owner):
                    found.add(owned)
        return _closure(found, owned_by)

    def non_state_holder(self, x: str) -> bool:
        """cl8_4.person_holder, cl8_4.commercial_holder, cl8_4.foreign_holder,
        cl8_4.unknown_holder: a holder ``x`` that is not the state, by itself."""
        return (
            self.has("person", x)
            or self.kind(x, "commercial")
            or self.kind(x, "foreign")
            or (self.has("organization", x) and not self.kind(x, "state") and not self.r("owns", x))
        )

    # -- clauses 9 and 10 --------------------------------------------------------------------

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

    def order_cancelled(self, target: str, d: dt.date) -> bool:
        """cl9.cancelled (and cl9.permit_cancelled, for a permit)"""
        return any(
            day <= d
            for x in self.r("cancellation_of", target)
            for day in self.v("cancellation_date", x)
        )

    def change_in_effect(self, a: str, d: dt.date) -> bool:
        """cl10.change_in_effect"""
        return any(day <= d for ch in self._changes.get(a, ()) for day in self.v("change_date", ch))

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

    def executor_cleared(self, e: str, d: dt.date) -> bool:
        """cl11.organization_cleared, cl11.citizen_cleared"""
        if (
            self.has("organization", e)
            and self.permit_valid_on(e, d)
            and self.admitted_official(e, d)
        ):
            return True
        return self.has("person", e) and self.admission_valid_on(e, d)

    def permit_valid_on(self, e: str, d: dt.date) -> bool:
        """cl11.permit_valid"""
        for p in self.r("permit_holder", e):
            if (
                any(self.kind(i, "national_security") for i in self.v("permit_issuer", p))
                and any(day <= d for day in self.v("permit_issued", p))
                and any(d <= day for day in self.v("permit_valid_until", p))
                and not self.order_cancelled(p, d)
            ):
                return True
        return False

    def admission_valid_on(self, x: str, d: dt.date) -> bool:
        """cl11.admission_valid"""
        return any(
            any(day <= d for day in self.v("admission_issued", ad))
            and any(d <= day for day in self.v("admission_valid_until", ad))
            for ad in self.r("admission_person", x)
        )

    def admitted_official(self, e: str, d: dt.date) -> bool:
        """cl11.admitted_official"""
        return any(self.admission_valid_on(x, d) for x in self.r("works_at", e))


def _closure(found: set[str], owned_by: dict[Any, list[tuple[Any, int]]]) -> set[str]:
    """``found`` and everything owned, directly or through a chain, by something in it."""
    stack = list(found)
    while stack:
        for owned, _ in owned_by.get(stack.pop(), ()):
            if owned not in found:
                found.add(owned)
                stack.append(owned)
    return found
