"""The transfer question in clingo: the rules as ASP, grounded once, one small part per question.

The rules of ``policies/`` that ``transfer_allowed`` uses are written below as ASP, rule for rule
(same names, same bodies). Three changes make them groundable:

* dates are integers (``date.toordinal()``), so ``Day <= D`` compares numbers;
* a dated fact (``org_kind(O, K, Day)`` in the rules) is stored with its period,
  ``org_kind(O, K, From, To)`` (an open end is ``date.min`` / ``date.max``), and asking it of a
  day ``Day`` is ``org_kind(O, K, F, T), F <= Day, Day <= T``;
* a rule with a given day ``D`` (``@given("D")``) cannot be grounded for every day, so those rules
  live in the program part ``q(I, C, E, S, D)`` that is grounded per question, with the question's
  constants as parameters and the question number ``I`` in every head (an atom may be defined
  in one grounding step only). Rules whose arguments would otherwise range over every pair of
  records or every day (``same_city``, ``acting_ended``, the department competent on a notice's
  day, a permission ended by a withdrawal or a later refusal, which becomes the first day it is
  ended, ``ended_from``) or every organization (foreign and non-state participation, the state
  reached, asked up the ownership chains above the question's protectors only) are restricted
  to what the transfer question can reach (a hand magic-set step). ``customer_for`` is left
  out: ``acts_as_customer`` implies it. A dated fact asked of a fixed day (the answer's date
  for the head who signs it, the day of issue for a permit's issuer, the conclusion of the
  agreement for its officials and the permission it needs, a notice's day for the competent
  department) is joined in the base part.

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
% clauses 3.1 and 5 (the head of the body on the answer's date)
written_permission(C, E, S, B, Ans) :-
    permission_granted(C, E, S, B, Ans), answer_validly_signed(Ans).
permission_granted(C, E, S, B, Ans) :-
    permission_for_executor(C, E, Ans), answer_secret(Ans, S), answer_by(Ans, B).
permission_for_executor(C, E, Ans) :-
    request_customer(R, C), request_executor(R, E), answer_request(Ans, R),
    answer_decision(Ans, granted), answer_concerns(Ans, E).
answer_concerns(Ans, E) :- answer_executor(Ans, E).
answer_concerns(Ans, E) :-
    answer_request(Ans, R), request_executor(R, E), not answer_names_an_executor(Ans).
answer_names_an_executor(Ans) :- answer_executor(Ans, _).
answer_received_on(Ans, Day) :- answer_received(Ans, Day).
answer_received_on(Ans, Day) :- answer_date(Ans, Day), not receipt_recorded(Ans).
receipt_recorded(Ans) :- answer_received(Ans, _).
% permission_ended(Ans, D) holds from the first day of a withdrawal or of a later refusal
ended_from(Ans, Day) :- answer_withdrawn(Ans, Day).
ended_from(Ans, Day) :-
    answer_request(Ans, R), answer_request(Ref, R), answer_decision(Ref, refused),
    answer_date(Ans, Granted), answer_date(Ref, Refused), Granted < Refused,
    answer_received_on(Ref, Day).
answer_validly_signed(Ans) :-
    answer_signed_by(Ans, P), answer_by(Ans, B), head_may_classify(B), answer_date(Ans, Day),
    org_head(B, P, F, T), F <= Day, Day <= T.
answer_validly_signed(Ans) :-
    answer_signed_by(Ans, P), answer_by(Ans, B), head_may_classify(B), answer_date(Ans, Day),
    acting_for_head(P, B, Day).
% acting_for_head(P, B, Day) is @given("Day"): grounded for the days of answers it signs
acting_day(P, B, Day) :- answer_signed_by(Ans, P), answer_by(Ans, B), answer_date(Ans, Day).
acting_for_head(P, B, Day) :-
    acting_day(P, B, Day), acting_person(X, P), acting_org(X, B), acting_start(X, Start),
    Start <= Day, not acting_ended(X, Day).
acting_ended(X, Day) :- acting_day(P, B, Day), acting_person(X, P), acting_end(X, End), End < Day.

% clause 7: agreement_allowed on the day the agreement was concluded
agreement_lawfully_concluded(A) :-
    agreement_customer(A, C), agreement_executor(A, E), agreement_concluded(A, Day),
    permission_for_executor(C, E, Ans), answer_validly_signed(Ans),
    answer_received_on(Ans, Received), Received <= Day, answer(Ans), not ended_by(Ans, Day).
ended_by(Ans, Day) :-
    agreement_customer(A, C), agreement_executor(A, E), agreement_concluded(A, Day),
    permission_for_executor(C, E, Ans), ended_from(Ans, From), From <= Day.

% clause 6 (an official of the executor on the day the agreement was concluded)
agreement_terms_complete(A) :-
    agreement(A), control_settled(A), financing_settled(A), clearance_stated(A),
    secrets_listed(A).
control_settled(A) :- agreement_control(A, _).
financing_settled(A) :- agreement_financing(A, _).
clearance_stated(A) :- agreement_permit(A, P), agreement_executor(A, E), permit_holder(P, E).
clearance_stated(A) :-
    agreement_admission(A, Ad), agreement_executor(A, E), admission_person(Ad, E).
clearance_stated(A) :-
    agreement_admission(A, Ad), agreement_executor(A, E), admission_person(Ad, X),
    agreement_concluded(A, Day), works_at(X, E, F, T), F <= Day, Day <= T.
secrets_listed(A) :- annex_secret(A, _), not particulars_missing_in_annex(A).
secrets_listed(A) :-
    certificate_regime(A), agreement_certificate(A, _), not system_particulars_missing(A),
    not particulars_missing_in_annex(A).
particulars_missing_in_annex(A) :- annex_secret(A, S), not particulars_complete(S).
particulars_missing_in_annex(A) :-
    addendum_agreement(X, A), addendum_secret(X, S), not particulars_complete(S).
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
system_particulars_missing(A) :- agreement_system(A, Sys), not particulars_but_name(Sys).
particulars_but_name(Sys) :- secret_stamp(Sys, _), secret_account(Sys, _).
secret_listed_on(A, S, Day) :- annex_secret(A, S), agreement_concluded(A, Day).
secret_listed_on(A, S, Day) :-
    addendum_secret(X, S), addendum_agreement(X, A), addendum_date(X, Day),
    agreement_concluded(A, Concluded), Concluded <= Day.
secret_listed_on(A, S, Day) :-
    agreement_system(A, S), certificate_regime(A), agreement_certificate(A, _),
    agreement_concluded(A, Day).

% clause 3.3: the department competent on the day of a notice (or of a change notice)
notice_day(A, Day) :- notice_agreement(N, A), notice_date(N, Day).
notice_day(A, Day) :- change_notice_of(N, Ch), change_affects(Ch, A), change_notice_date(N, Day).
work_place_named(A) :- agreement_work_city(A, _).
activity_place(A, Place, Day) :- notice_day(A, Day), agreement_work_city(A, Place).
activity_place(A, Place, Day) :-
    notice_day(A, Day), agreement_executor(A, E), not work_place_named(A),
    located_in(E, Place, F, T), F <= Day, Day <= T.
competent_authority(Au, A, Day) :-
    activity_place(A, Place, Day), competent_for(Au, Place, F, T), F <= Day, Day <= T,
    org_kind(Au, national_security, F2, T2), F2 <= Day, Day <= T2.
competent_authority(Au, A, Day) :-
    activity_place(A, Place, Day), territory_region(Place, Region, F1, T1), F1 <= Day,
    Day <= T1, competent_for(Au, Region, F, T), F <= Day, Day <= T,
    org_kind(Au, national_security, F2, T2), F2 <= Day, Day <= T2.
notice_valid(A, C, S, Day) :-
    notice_agreement(N, A), notice_customer(N, C), notice_secret(N, S), notice_date(N, Day),
    agreement_concluded(A, Concluded), Concluded <= Day, notice_authority(N, Au),
    competent_authority(Au, A, Day).

% clause 8.4: the papers; the postal services informed from a day
services_agreement(E, Org, P) :- protection_executor(P, E), protection_provider(P, Org).
permit_names_services(Party, P) :- permit_protection(Pm, P), permit_holder(Pm, Party).
informed_from(P, Org, Service, Day) :-
    service_notice_agreement(N, P), service_notice_sender(N, Org),
    service_notice_recipient(N, Service), service_notice_date(N, Day),
    protection_concluded(P, Concluded), Concluded <= Day.

% clause 10 (question-independent part) and 2.1
joint_work(A, C, E) :-
    agreement_customer(A, C), agreement_executor(A, E), agreement_concluded(A, _),
    uses_state_secrets(A).
uses_state_secrets(A) :- annex_secret(A, _).
uses_state_secrets(A) :- agreement_system(A, _).
change_affects(Ch, A) :- change_agreement(Ch, A).
change_affects(Ch, A) :-
    change_party(Ch, P), not change_names_agreements(Ch), joint_work(A, P, _),
    agreement_concluded(A, Concluded), change_date(Ch, Day), Concluded <= Day.
change_affects(Ch, A) :-
    change_party(Ch, P), not change_names_agreements(Ch), joint_work(A, _, P),
    agreement_concluded(A, Concluded), change_date(Ch, Day), Concluded <= Day.
change_names_agreements(Ch) :- change_agreement(Ch, _).
customer_side_change(Ch, A) :- change_affects(Ch, A), change_party(Ch, C), agreement_customer(A, C).
executor_side_change(Ch, A) :-
    change_affects(Ch, A), change_party(Ch, E), agreement_executor(A, E).
addendum_answers(Ad, Ch, A) :-
    addendum_agreement(Ad, A), addendum_change(Ad, Ch), addendum_date(Ad, Day),
    change_date(Ch, ChDay), ChDay <= Day.
secret_used_under(A, S) :- annex_secret(A, S).
secret_used_under(A, S) :- agreement_system(A, S).
secret_used_under(A, S) :- transfer_agreement(T, A), transfer_secret(T, S).

% clause 11: the form of admission a stamp needs
admission_covers(Ad, Stamp) :- admission_form(Ad, Form), form_needed(Stamp, Needed), Form <= Needed.
admission_covers(Ad, Stamp) :-
    admission_level(Ad, Level), not admission_has_form(Ad), form_needed(Level, LevelForm),
    form_needed(Stamp, Needed), LevelForm <= Needed.
admission_has_form(Ad) :- admission_form(Ad, _).
form_needed(special_importance, 1).
form_needed(top_secret, 2).
form_needed(secret, 3).
"""

QUESTION = r"""
% cl3.transfer_allowed for the question i: may c, acting as the customer, transfer s to e on d?
% (customer_for(c, C, d) follows from acts_as_customer(c, C, A, d), so it is not repeated)
q_allowed(i) :-
    q_secret_in_scope(i, B), q_customer_role(i), q_executor_role(i),
    q_acts(i, A, C), written_permission(C, e, s, B, Ans), q_in_force(i, Ans),
    answer_received_on(Ans, Received), Received <= d,
    q_listed(i, A, Listed), Received <= Listed,
    agreement_terms_complete(A), agreement_lawfully_concluded(A),
    q_notice_given(i, A, C), q_protection_organized(i, A),
    agreement(A), not q_order_suspended(i, A), not q_order_cancelled(i, A),
    q_cleared(i).

% clauses 1 and 2, on d
q_secret_in_scope(i, B) :-
    secret(s), secret_disposer(s, B), q_state_body(i, B), secret_stamp(s, _).
q_state_body(i, B) :- secret_disposer(s, B), org_kind(B, state_body, F, T), F <= d, d <= T.
q_state_body(i, B) :-
    secret_disposer(s, B), org_kind(B, national_security, F, T), F <= d, d <= T.
q_customer_role(i) :- org_kind(c, state_body, F, T), F <= d, d <= T.
q_customer_role(i) :- org_kind(c, national_security, F, T), F <= d, d <= T.
q_customer_role(i) :- org_kind(c, state_organization, F, T), F <= d, d <= T.
q_customer_role(i) :- org_kind(c, quasi_public, F, T), F <= d, d <= T.
q_customer_role(i) :- org_kind(c, commercial, F, T), F <= d, d <= T.
q_executor_role(i) :- org_kind(e, commercial, F, T), F <= d, d <= T.
q_executor_role(i) :- person(e), citizenship(e, kz).

% clauses 3.1 and 7: the permission in force on d
q_ans(i, Ans) :- written_permission(_, e, s, _, Ans).
q_in_force(i, Ans) :-
    q_ans(i, Ans), answer_request(Ans, R), not q_planned_later(i, R), not q_planned_ended(i, R),
    answer(Ans), not q_ended(i, Ans).
q_planned_later(i, R) :-
    q_ans(i, Ans), answer_request(Ans, R), request_planned_start(R, Start), d < Start.
q_planned_ended(i, R) :-
    q_ans(i, Ans), answer_request(Ans, R), request_planned_end(R, End), End < d.
q_ended(i, Ans) :- q_ans(i, Ans), ended_from(Ans, Day), Day <= d.

% clauses 3.2, 3.3 and 6
q_agr(i, A, C) :-
    agreement_executor(A, e), agreement_customer(A, C), agreement_concluded(A, Day), Day <= d.
q_a(i, A) :- q_agr(i, A, _).
q_listed(i, A, Listed) :- q_a(i, A), secret_listed_on(A, s, Listed), Listed <= d.
q_notice_given(i, A, C) :- q_agr(i, A, C), notice_valid(A, C, s, Day), Day <= d.

% clause 8, on d
q_protection_organized(i, A) :- q_protection_by(i, A, Org, Way), Way != way_4_provider.
q_protection_organized(i, A) :-
    q_protection_by(i, A, Org, way_4_provider), q_provider_arrangement_current(i, A, Org).
q_protection_by(i, A, Org, way_1_executor) :-
    q_a(i, A), agreement_protection_by(A, Org), agreement_executor(A, Org),
    has_protection_division(Org, F, T), F <= d, d <= T, not q_foreign_participation(i, Org).
q_protection_by(i, A, Org, way_2_customer) :-
    q_a(i, A), agreement_protection_by(A, Org), agreement_customer(A, Org),
    has_protection_division(Org, F, T), F <= d, d <= T, work_at_customer(A).
q_protection_by(i, A, Org, way_3_quasi_public) :-
    q_a(i, A), agreement_protection_by(A, Org), q_quasi_public_subject(i, Org),
    has_protection_division(Org, F, T), F <= d, d <= T,
    agreement_executor(A, E), E != Org, affiliated(E, Org, F3, T3), F3 <= d, d <= T3.
q_quasi_public_subject(i, Org) :- q_up(i, Org), quasi_public_status(Org, F, T), F <= d, d <= T.
q_quasi_public_subject(i, Org) :- q_kind(i, Org, quasi_public).
q_protection_by(i, A, Org, way_4_provider) :-
    q_a(i, A), agreement_protection_by(A, Org), agreement_executor(A, E),
    Org != E, q_same_city(i, Org, E), not q_foreign_participation(i, Org),
    q_wholly_state_owned(i, Org), empowered_provider(Org, F1, T1), F1 <= d, d <= T1,
    has_protection_division(Org, F, T), F <= d, d <= T,
    services_agreement(E, Org, P), permit_names_services(E, P), permit_names_services(Org, P).
q_same_city(i, Org, E) :-
    q_a(i, A), agreement_protection_by(A, Org), agreement_executor(A, E),
    located_in(Org, City, F1, T1), F1 <= d, d <= T1, located_in(E, City, F2, T2), F2 <= d, d <= T2.
q_provider_arrangement_current(i, A, Org) :-
    q_protection_by(i, A, Org, way_4_provider), agreement_executor(A, E),
    services_agreement(E, Org, P), protection_concluded(P, Concluded), Concluded <= d,
    permit_protection(Pm, P), permit_holder(Pm, Org), permit_issued(Pm, Issued), Issued <= d,
    permit_valid_until(Pm, Until), d <= Until,
    informed_from(P, Org, courier_service, Day1), Day1 <= d,
    informed_from(P, Org, special_postal_service, Day2), Day2 <= d.
% the ownership chains above the protectors, on d
q_up(i, O) :- q_a(i, A), agreement_protection_by(A, O).
q_up(i, X) :- q_owns(i, X, _).
q_owns(i, X, O) :- q_up(i, O), owns(X, O, _, F, T), F <= d, d <= T.
q_kind(i, X, K) :- q_up(i, X), org_kind(X, K, F, T), F <= d, d <= T.
q_foreign_participation(i, O) :- q_owns(i, X, O), q_foreign_party(i, X).
q_foreign_participation(i, O) :- q_owns(i, X, O), q_foreign_participation(i, X).
q_foreign_party(i, X) :- q_kind(i, X, foreign).
q_foreign_party(i, X) :- q_up(i, X), citizenship(X, Country), Country != kz.
q_wholly_state_owned(i, O) :- q_accounted(i, O), not q_non_state_participation(i, O).
q_accounted(i, O) :- q_up(i, O), capital_accounted(O, F, T), F <= d, d <= T.
q_state_party(i, X) :- q_kind(i, X, state).
q_state_party(i, X) :- q_kind(i, X, state_body).
q_state_party(i, X) :- q_kind(i, X, national_security).
q_non_state_participation(i, O) :- q_owns(i, X, O), person(X).
q_non_state_participation(i, O) :- q_owns(i, X, O), q_kind(i, X, foreign).
q_non_state_participation(i, O) :-
    q_owns(i, X, O), organization(X), not q_state_party(i, X), not q_accounted(i, X).
q_non_state_participation(i, O) :-
    q_owns(i, X, O), not q_state_party(i, X), q_non_state_participation(i, X).
q_non_state_participation(i, O) :-
    q_owns(i, X, O), organization(X), not q_state_party(i, X), not q_state_reached(i, X).
q_state_reached(i, X) :- q_owns(i, Y, X), q_state_party(i, Y).
q_state_reached(i, X) :- q_owns(i, Y, X), q_state_reached(i, Y).

% clause 9
q_order_suspended(i, A) :-
    q_a(i, A), suspension_agreement(Su, A), suspension_start(Su, Start),
    Start <= d, not q_suspension_over(i, Su).
q_suspension_over(i, Su) :-
    q_a(i, A), suspension_agreement(Su, A), suspension_end(Su, End), End < d.
q_suspension_over(i, Su) :-
    q_a(i, A), suspension_agreement(Su, A), suspension_violation(Su, V),
    violation_eliminated(V, Eliminated), Eliminated < d.
q_order_cancelled(i, A) :- q_a(i, A), cancellation_of(X, A), cancellation_date(X, Day), Day <= d.

% clause 10: the original customer until a change, an assignee after the notices
q_acts(i, A, c) :- q_agr(i, A, c), agreement(A), not q_change_in_effect(i, A).
q_acts(i, A, C) :-
    q_agr(i, A, C), addendum_assignee(Ad, c), addendum_agreement(Ad, A),
    addendum_answers(Ad, Ch, A), customer_side_change(Ch, A), change_date(Ch, ChDay), ChDay <= d,
    addendum_date(Ad, AdDay), AdDay <= d, q_named_assignee_authorized(i, Ad),
    q_security_notified(i, A, Ch), not q_body_unnotified(i, A, Ch),
    not q_executor_change_in_effect(i, A).
q_change_in_effect(i, A) :- q_a(i, A), change_affects(Ch, A), change_date(Ch, Day), Day <= d.
q_executor_change_in_effect(i, A) :-
    q_a(i, A), executor_side_change(Ch, A), change_date(Ch, Day), Day <= d.
q_assignee(i, Ad, X) :- q_a(i, A), addendum_agreement(Ad, A), addendum_assignee(Ad, X).
q_named_assignee_authorized(i, Ad) :-
    q_assignee(i, Ad, X), org_kind(X, state_body, F, T), F <= d, d <= T.
q_named_assignee_authorized(i, Ad) :-
    q_assignee(i, Ad, X), org_kind(X, national_security, F, T), F <= d, d <= T.
q_named_assignee_authorized(i, Ad) :- q_assignee(i, Ad, X), q_permit_valid(i, X).
q_security_notified(i, A, Ch) :-
    q_a(i, A), customer_side_change(Ch, A), change_notice_of(N, Ch), change_notice_date(N, Day),
    Day <= d, change_notice_recipient(N, Au), competent_authority(Au, A, Day).
q_body_unnotified(i, A, Ch) :-
    q_a(i, A), customer_side_change(Ch, A), agreement_customer(A, C), secret_used_under(A, S),
    secret_disposer(S, B), B != C, not q_body_notified(i, Ch, B).
q_body_notified(i, Ch, B) :-
    q_a(i, A), customer_side_change(Ch, A), change_notice_of(N, Ch), change_notice_recipient(N, B),
    change_notice_date(N, Day), Day <= d.

% clause 11 (the permit's issuer on the day of issue, cancelled by a security authority;
% an official on d admitted to the secret's stamp)
q_party(i, e).
q_party(i, X) :- q_assignee(i, _, X).
q_permit_valid(i, X) :-
    q_party(i, X), permit_holder(P, X), permit_issuer(P, I), permit_issued(P, Issued),
    org_kind(I, national_security, F, T), F <= Issued, Issued <= T,
    Issued <= d, permit_valid_until(P, Until), d <= Until, not q_permit_cancelled(i, P).
q_permit_cancelled(i, P) :-
    q_party(i, X), permit_holder(P, X), cancellation_of(Y, P), cancellation_by(Y, By),
    cancellation_date(Y, Day), org_kind(By, national_security, F, T), F <= Day, Day <= T,
    Day <= d.
q_cleared(i) :-
    organization(e), q_permit_valid(i, e), secret_stamp(s, Stamp), q_official(i, X),
    q_admission(i, X, Ad), admission_covers(Ad, Stamp).
q_cleared(i) :-
    person(e), secret_stamp(s, Stamp), q_admission(i, e, Ad), admission_covers(Ad, Stamp).
q_official(i, X) :- works_at(X, e, F, T), F <= d, d <= T.
q_admission(i, X, Ad) :-
    q_official(i, X), admission_person(Ad, X), admission_issued(Ad, Issued), Issued <= d,
    admission_valid_until(Ad, Until), d <= Until.
q_admission(i, e, Ad) :-
    person(e), admission_person(Ad, e), admission_issued(Ad, Issued), Issued <= d,
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
