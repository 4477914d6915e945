"""The transfer question in clingo: the rules as ASP, grounded once, one small part per question.

The rules of ``policies/`` that ``transfer_allowed`` uses are written below as ASP, rule for rule
(same names, same bodies). Two changes make them groundable:

* dates are integers (``date.toordinal()``), so ``Day <= D`` compares numbers;
* a rule with a given day ``D`` (``@given("D")``) cannot be grounded for every day, so those rules
  live in the program part ``q(I, C, E, S, D)`` that is grounded per question, with the question's
  constants as parameters and the question number ``I`` in every head (an atom may be defined
  in one grounding step only). Rules whose arguments would otherwise range over every pair of
  records (``agreement_after_permission``, ``same_city``, ``acting_ended``) are restricted to
  the pairs the transfer question can reach (a hand magic-set step); nothing else changes.

The program is stratified, so grounding computes its one answer set: after ``ground`` the atom
``q_allowed(I)`` is a fact or is absent, and no ``solve`` is needed per question.
(``AspChecker.cross_check`` solves once at the end to confirm.)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

import clingo

_SYMBOL = re.compile(r"^[a-z][a-z0-9_]*$")

BASE = r"""
% clause 1 and 2
secret_in_scope(S, B) :-
    secret(S), secret_disposer(S, B), org_kind(B, state_body), secret_stamp(S, _).
customer_role(C) :- org_kind(C, state_body).
customer_role(C) :- org_kind(C, national_security).
customer_role(C) :- org_kind(C, state_organization).
customer_role(C) :- org_kind(C, quasi_public).
customer_role(C) :- org_kind(C, commercial).
executor_role(E) :- org_kind(E, commercial).
executor_role(E) :- person(E), citizenship(E, kz).

% clause 3.1 and 5
written_permission(C, E, S, B, Ans) :-
    permission_granted(C, E, S, B, Ans), answer_validly_signed(Ans).
permission_granted(C, E, S, B, Ans) :-
    request_executor(R, E), request_customer(R, C), answer_request(Ans, R),
    answer_decision(Ans, granted), answer_secret(Ans, S), answer_by(Ans, B).
answer_validly_signed(Ans) :-
    answer_signed_by(Ans, P), answer_by(Ans, B), head_may_classify(B), org_head(B, P).
answer_validly_signed(Ans) :-
    answer_signed_by(Ans, P), answer_by(Ans, B), head_may_classify(B), answer_date(Ans, Day),
    acting_for_head(P, B, Day).
% acting_for_head(P, B, Day) is @given("Day"): grounded for the days of answers it signs
acting_day(P, B, Day) :- answer_signed_by(Ans, P), answer_by(Ans, B), answer_date(Ans, Day).
acting_for_head(P, B, Day) :-
    acting_day(P, B, Day), acting_person(X, P), acting_org(X, B), acting_start(X, Start),
    Start <= Day, not acting_ended(X, Day).
acting_ended(X, Day) :- acting_day(P, B, Day), acting_person(X, P), acting_end(X, End), End < Day.

% clause 6
agreement_lists_secret(A, S) :- annex_secret(A, S).
agreement_lists_secret(A, S) :- agreement_system(A, S).
agreement_terms_complete(A) :-
    agreement(A), control_settled(A), financing_settled(A), clearance_stated(A),
    secrets_listed(A), division_determined(A).
control_settled(A) :- agreement_control(A, _).
financing_settled(A) :- agreement_financing(A, _).
clearance_stated(A) :- agreement_permit(A, P), agreement_executor(A, E), permit_holder(P, E).
clearance_stated(A) :-
    agreement_admission(A, Ad), agreement_executor(A, E), admission_person(Ad, E).
clearance_stated(A) :-
    agreement_admission(A, Ad), agreement_executor(A, E), admission_person(Ad, X), works_at(X, E).
secrets_listed(A) :- annex_secret(A, _), not particulars_missing_in_annex(A).
particulars_missing_in_annex(A) :- annex_secret(A, S), not particulars_complete(S).
particulars_complete(S) :-
    secret_carrier(S, document), secret_name(S, _), secret_stamp(S, _), secret_account(S, _),
    secret_copy(S, _), secret_sheets(S, _).
particulars_complete(S) :-
    secret_carrier(S, material), secret_name(S, _), secret_stamp(S, _), secret_account(S, _),
    secret_copy(S, _), secret_sheets(S, _).
particulars_complete(S) :-
    secret_carrier(S, information_system), secret_name(S, _), secret_stamp(S, _),
    secret_account(S, _).
certificate_regime(A) :-
    agreement_subject(A, maintenance), agreement_system(A, _), not system_outside_regime(A).
system_outside_regime(A) :- agreement_system(A, Sys), not customer_system(A, Sys).
customer_system(A, Sys) :-
    agreement_system(A, Sys), agreement_customer(A, C), secret_owner(Sys, C),
    secret_carrier(Sys, information_system).
secrets_listed(A) :- certificate_regime(A), agreement_certificate(A, _).
division_determined(A) :- agreement_division(A, _).

% clause 7 (restricted to an agreement and an answer of the same customer and executor)
agreement_after_permission(A, Ans) :-
    written_permission(C, E, _, _, Ans), agreement_executor(A, E), agreement_customer(A, C),
    agreement_concluded(A, Concluded), answer_date(Ans, Permitted), Permitted <= Concluded.

% clause 8
protection_by(A, Org, way_1_executor) :-
    agreement_protection_by(A, Org), agreement_executor(A, Org), has_protection_division(Org),
    not foreign_participation(Org).
foreign_participation(O) :- owns(X, O, Share), Share > 0, foreign_party(X).
foreign_participation(O) :- owns(X, O, Share), Share > 0, foreign_participation(X).
foreign_party(X) :- org_kind(X, foreign).
foreign_party(X) :- citizenship(X, Country), Country != kz.
protection_by(A, Org, way_2_customer) :-
    agreement_protection_by(A, Org), agreement_customer(A, Org), has_protection_division(Org),
    work_at_customer(A).
protection_by(A, Org, way_2_customer) :-
    agreement_protection_by(A, Org), agreement_customer(A, Org), has_protection_division(Org),
    agreement_work_city(A, City), located_in(Org, City).
protection_by(A, Org, way_3_quasi_public) :-
    agreement_protection_by(A, Org), org_kind(Org, quasi_public), has_protection_division(Org),
    agreement_executor(A, E), affiliated(E, Org).
protection_by(A, Org, way_4_provider) :-
    agreement_protection_by(A, Org), agreement_executor(A, E), Org != E, same_city(Org, E),
    not foreign_participation(Org), wholly_state_owned(Org), empowered_provider(Org),
    has_protection_division(Org), services_agreement(E, Org, P), permit_names_services(E, P),
    permit_names_services(Org, P), services_informed(P, Org, courier_service),
    services_informed(P, Org, special_postal_service).
% same_city restricted to an agreement's protector and executor
same_city(Org, E) :-
    agreement_protection_by(A, Org), agreement_executor(A, E),
    located_in(Org, City), located_in(E, City).
wholly_state_owned(O) :- owns(Holder, O, _), not non_state_participation(O).
non_state_participation(O) :- owns(X, O, _), person(X).
non_state_participation(O) :- owns(X, O, _), org_kind(X, commercial).
non_state_participation(O) :- owns(X, O, _), org_kind(X, foreign).
non_state_participation(O) :-
    owns(X, O, _), organization(X), not org_kind(X, state), not has_holder(X).
non_state_participation(O) :- owns(X, O, _), non_state_participation(X).
has_holder(X) :- owns(_, X, _).
services_agreement(E, Org, P) :- protection_executor(P, E), protection_provider(P, Org).
permit_names_services(Party, P) :- permit_protection(Pm, P), permit_holder(Pm, Party).
services_informed(P, Org, Service) :-
    service_notice_agreement(N, P), service_notice_sender(N, Org),
    service_notice_recipient(N, Service).

% clause 10 (question-independent part) and 2.1
joint_work(A, C, E) :-
    agreement_customer(A, C), agreement_executor(A, E), agreement_concluded(A, _),
    uses_state_secrets(A).
uses_state_secrets(A) :- annex_secret(A, _).
uses_state_secrets(A) :- agreement_system(A, _).
change_affects(Ch, A) :- change_agreement(Ch, A).
change_affects(Ch, A) :- change_party(Ch, P), joint_work(A, P, _), not change_names_agreements(Ch).
change_affects(Ch, A) :- change_party(Ch, P), joint_work(A, _, P), not change_names_agreements(Ch).
change_names_agreements(Ch) :- change_agreement(Ch, _).
"""

QUESTION = r"""
% cl3.transfer_allowed for the question i: may c transfer s to e on d?
q_allowed(i) :-
    secret_in_scope(s, B), customer_role(c), executor_role(e),
    written_permission(c, e, s, B, Ans), q_permission_before_transfer(i, Ans),
    q_agreement_concluded_by(i, A), agreement_lists_secret(A, s), agreement_terms_complete(A),
    agreement_after_permission(A, Ans), q_notice_given(i, A), q_protection_organized(i, A),
    agreement(A), not q_order_suspended(i, A), not q_order_cancelled(i, A),
    not q_change_in_effect(i, A), q_executor_cleared(i).
q_permission_before_transfer(i, Ans) :-
    written_permission(c, e, s, _, Ans), answer_date(Ans, Day), Day <= d.
q_agreement_concluded_by(i, A) :-
    agreement_executor(A, e), agreement_customer(A, c), agreement_concluded(A, Day), Day <= d.
q_notice_given(i, A) :-
    q_agreement_concluded_by(i, A), notice_agreement(N, A), notice_customer(N, c),
    notice_secret(N, s),
    notice_date(N, Day), Day <= d, agreement_concluded(A, Concluded), Concluded <= Day,
    notice_authority(N, Authority), org_kind(Authority, national_security),
    located_in(e, City), located_in(Authority, City).
q_protection_organized(i, A) :-
    q_agreement_concluded_by(i, A), protection_by(A, Org, Way), Way != way_4_provider.
q_protection_organized(i, A) :-
    q_agreement_concluded_by(i, A), protection_by(A, Org, way_4_provider),
    q_provider_arrangement_current(i, A, Org).
q_provider_arrangement_current(i, A, Org) :-
    q_agreement_concluded_by(i, A), protection_by(A, Org, way_4_provider),
    agreement_executor(A, E), services_agreement(E, Org, P), protection_concluded(P, Concluded),
    Concluded <= d, permit_protection(Pm, P), permit_holder(Pm, Org), permit_issued(Pm, Issued),
    Issued <= d, permit_valid_until(Pm, Until), d <= Until.
q_order_suspended(i, A) :-
    q_agreement_concluded_by(i, A), suspension_agreement(Su, A), suspension_start(Su, Start),
    Start <= d, not q_suspension_over(i, Su).
q_suspension_over(i, Su) :-
    q_agreement_concluded_by(i, A), suspension_agreement(Su, A), suspension_end(Su, End), End < d.
q_suspension_over(i, Su) :-
    q_agreement_concluded_by(i, A), suspension_agreement(Su, A), suspension_violation(Su, V),
    violation_eliminated(V, Eliminated), Eliminated < d.
q_order_cancelled(i, A) :-
    q_agreement_concluded_by(i, A), cancellation_of(X, A), cancellation_date(X, Day), Day <= d.
q_change_in_effect(i, A) :-
    q_agreement_concluded_by(i, A), change_affects(Ch, A), change_date(Ch, Day), Day <= d.
q_executor_cleared(i) :- organization(e), q_permit_valid_on(i, P), q_admitted_official(i).
q_executor_cleared(i) :- person(e), q_citizen_admitted(i).
q_permit_valid_on(i, P) :-
    permit_holder(P, e), permit_issuer(P, I), org_kind(I, national_security),
    permit_issued(P, Issued),
    Issued <= d, permit_valid_until(P, Until), d <= Until, not q_permit_cancelled(i, P).
q_permit_cancelled(i, P) :-
    permit_holder(P, e), cancellation_of(X, P), cancellation_date(X, Day), Day <= d.
q_citizen_admitted(i) :-
    admission_person(Ad, e), admission_issued(Ad, Issued), Issued <= d,
    admission_valid_until(Ad, Until), d <= Until.
q_admitted_official(i) :- works_at(X, e), q_admission_valid_on_official(i, X).
q_admission_valid_on_official(i, X) :-
    works_at(X, e), admission_person(Ad, X), admission_issued(Ad, Issued), Issued <= d,
    admission_valid_until(Ad, Until), d <= Until.
"""

# the base predicates the program reads
NEEDED = frozenset(re.findall(r"\b([a-z_]+)\(", BASE + QUESTION)) - frozenset(
    re.findall(r"^([a-z_]+)\(", BASE + QUESTION, re.MULTILINE)  # heads start a line
)


def _term(value: Any) -> str:
    if isinstance(value, dt.date):
        return str(value.toordinal())
    if isinstance(value, bool):
        raise TypeError(value)
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(value)
    if _SYMBOL.match(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _symbol(value: str) -> clingo.Symbol:
    return clingo.Function(value) if _SYMBOL.match(value) else clingo.String(value)


class AspChecker:
    """The rules in clingo over the same facts: ``ground_base`` once, ``allowed`` per question."""

    def __init__(self) -> None:
        self.control = clingo.Control(["--warn=none"])
        self._next = 0

    def ground_base(self, facts: Iterable[tuple[str, tuple[Any, ...]]]) -> int:
        """Add the facts and the question-independent rules and ground them; returns #facts."""
        lines = []
        for predicate, args in facts:
            if predicate in NEEDED:
                lines.append(f"{predicate}({','.join(map(_term, args))}).")
        self.control.add("base", [], "\n".join(lines) + BASE)
        self.control.add("q", ["i", "c", "e", "s", "d"], QUESTION)
        self.control.ground([("base", [])])
        return len(lines)

    def allowed(self, c: str, e: str, s: str, d: dt.date) -> bool:
        """Ground the question's part and look its answer up."""
        i = clingo.Number(self._next)
        self._next += 1
        args = [i, _symbol(c), _symbol(e), _symbol(s), clingo.Number(d.toordinal())]
        self.control.ground([("q", args)])
        atom = self.control.symbolic_atoms[clingo.Function("q_allowed", [i])]
        return atom is not None and atom.is_fact

    def ground_batch(self, questions: list[tuple[str, str, str, dt.date]]) -> list[bool]:
        """Every question's part in one ``ground`` call, then the answers looked up."""
        first = self._next
        parts = []
        for offset, (c, e, s, d) in enumerate(questions):
            i = clingo.Number(first + offset)
            parts.append(
                ("q", [i, _symbol(c), _symbol(e), _symbol(s), clingo.Number(d.toordinal())])
            )
        self._next += len(questions)
        self.control.ground(parts)
        answers = []
        for offset in range(len(questions)):
            atom = self.control.symbolic_atoms[
                clingo.Function("q_allowed", [clingo.Number(first + offset)])
            ]
            answers.append(atom is not None and atom.is_fact)
        return answers

    def cross_check(self) -> set[int]:
        """Solve once: the question numbers whose ``q_allowed`` is in the answer set."""
        found: set[int] = set()
        with self.control.solve(yield_=True) as handle:
            for model in handle:
                found = {
                    sym.arguments[0].number
                    for sym in model.symbols(atoms=True)
                    if sym.name == "q_allowed"
                }
                break
        return found
