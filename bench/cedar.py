"""The transfer question in Cedar (cedarpy): entities with derived attributes, one policy.

Request: principal ``Party::"<customer>"``, action ``Action::"transfer"``, resource
``Secret::"<secret>"``, context ``{executor: Party::"<executor>", executor_id, day}`` (the day
as ``date.toordinal()``).

What Cedar evaluates itself: the kinds and citizenship of the parties (cl. 1, 2.2, 2.3), the
secret's stamp and disposer, the four ways of clause 8 from the agreement's attributes, **the
foreign and non-state participation up ownership chains** (clauses 8.1, 8.4), through the
entity hierarchy: an organization's parents are its owners, and ``Flag::"foreign_owner"`` /
``Flag::"non_state_holder"`` is a parent of whatever a foreign / non-state party holds
directly, so ``org in Flag::"foreign_owner"`` is the recursive rule; and every comparison with
the day of the transfer.

What Cedar cannot express and is precomputed into attributes (said so in the bench output):
joins and existentials over other records — the (permission, agreement) pairs that may carry
a secret from a customer to an executor (cl. 3.1, 5, 6, 7), kept as entity tags of the secret
keyed by executor; the earliest valid notice (3.3); the valid windows of permits, admissions,
the provider's arrangement, suspensions (8.4, 9, 11), the first cancellation and the first
change in effect (9, 10); and universals — an agreement's clause-6 terms, the provider's
services agreement with both permits and both postal services informed. A date-dependent
existential becomes a list of day windows, unrolled in the policy up to the largest count in
the world (Cedar has no quantifiers).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import cedarpy
from floor import CUSTOMER_KINDS, Floor

FAR = dt.date(9999, 12, 31).toordinal()
CAVEAT = (
    "Cedar: ownership recursion via entity hierarchy (`in`); joins (permission x agreement),"
    " windows (permits, admissions, provider, suspensions) and clause-6 universals precomputed"
    " into entity attributes"
)


def _ref(kind: str, id_: str) -> dict[str, Any]:
    return {"__entity": {"type": kind, "id": id_}}


def _windows(spans: list[tuple[int, int]]) -> dict[str, dict[str, int]]:
    return {f"w{k}": {"f": f, "t": t} for k, (f, t) in enumerate(sorted(spans)) if f <= t}


class CedarChecker:
    """Entities built from the floor's indexes (and its static joins); one Cedar policy."""

    def __init__(self, floor: Floor) -> None:
        self.floor = floor
        self.most = {"routes": 1, "windows": 1}
        entities = self._parties() + self._agreements() + self._secrets()
        entities += [
            {"uid": {"type": "Flag", "id": f}, "attrs": {}, "parents": []}
            for f in ("foreign_owner", "non_state_holder")
        ]
        self.count = len(entities)
        self.entities = cedarpy.Entities.from_json_str(json.dumps(entities))
        self.policy_text = policy(self.most["routes"], self.most["windows"])
        self.policies = cedarpy.PolicySet.from_str(self.policy_text)

    def allowed(self, c: str, e: str, s: str, d: dt.date) -> bool:
        request = {
            "principal": {"type": "Party", "id": c},
            "action": {"type": "Action", "id": "transfer"},
            "resource": {"type": "Secret", "id": s},
            "context": {"executor": _ref("Party", e), "executor_id": e, "day": d.toordinal()},
        }
        result = cedarpy.is_authorized(request, self.policies, self.entities)
        return result.allowed

    # -- entities ------------------------------------------------------------------------------

    def _note(self, what: str, count: int) -> None:
        self.most[what] = max(self.most[what], count)

    def _parties(self) -> list[dict[str, Any]]:
        f = self.floor
        ids = set(f._unary.get("organization", ())) | set(f._unary.get("person", ()))
        holders = f._rev.get("owns", {})
        out = []
        for x in sorted(ids):
            person = f.has("person", x)
            attrs: dict[str, Any] = {
                "kind": "person" if person else next(iter(f.v("org_kind", x)), ""),
                "division": f.has("has_protection_division", x),
                "empowered": f.has("empowered_provider", x),
                "has_holder": x in holders,
                "affiliated_with": [_ref("Party", o) for o in f.v("affiliated", x)],
            }
            if person:
                attrs["citizenship"] = next(iter(f.v("citizenship", x)), "")
            cities = f.v("located_in", x)
            if cities:
                attrs["city"] = cities[0]
            permits = [
                (min(f.v("permit_issued", p)).toordinal(), self._permit_until(p))
                for p in f.r("permit_holder", x)
                if any(f.kind(i, "national_security") for i in f.v("permit_issuer", p))
            ]
            officials = [w for o in f.r("works_at", x) for w in self._admissions(o)]
            own = self._admissions(x)
            for spans in (permits, officials, own):
                self._note("windows", len(spans))
            attrs["permit_windows"] = _windows(permits)
            attrs["official_windows"] = _windows(officials)
            attrs["admission_windows"] = _windows(own)
            parents = []
            for owner, _share in holders.get(x, ()):
                parents.append({"type": "Party", "id": owner})
            if any(f.foreign_party(o) for o, share in holders.get(x, ()) if share > 0):
                parents.append({"type": "Flag", "id": "foreign_owner"})
            if any(self._non_state_holder(o) for o, _ in holders.get(x, ())):
                parents.append({"type": "Flag", "id": "non_state_holder"})
            out.append({"uid": {"type": "Party", "id": x}, "attrs": attrs, "parents": parents})
        return out

    def _non_state_holder(self, o: str) -> bool:
        f = self.floor
        return (
            f.has("person", o)
            or f.kind(o, "commercial")
            or f.kind(o, "foreign")
            or (f.has("organization", o) and not f.kind(o, "state") and not f.r("owns", o))
        )

    def _permit_until(self, p: str) -> int:
        f = self.floor
        until = max(f.v("permit_valid_until", p)).toordinal()
        for x in f.r("cancellation_of", p):
            for day in f.v("cancellation_date", x):
                until = min(until, day.toordinal() - 1)
        return until

    def _admissions(self, x: str) -> list[tuple[int, int]]:
        f = self.floor
        return [
            (
                min(f.v("admission_issued", ad)).toordinal(),
                max(f.v("admission_valid_until", ad)).toordinal(),
            )
            for ad in f.r("admission_person", x)
        ]

    def _agreements(self) -> list[dict[str, Any]]:
        f = self.floor
        out = []
        for a in sorted(f._unary.get("agreement", ())):
            attrs: dict[str, Any] = {"at_customer": f.has("work_at_customer", a)}
            concluded = f.v("agreement_concluded", a)
            attrs["concluded"] = min(concluded).toordinal() if concluded else FAR
            for name, pred in (
                ("customer", "agreement_customer"),
                ("executor", "agreement_executor"),
                ("protection_by", "agreement_protection_by"),
            ):
                values = f.v(pred, a)
                if values:
                    attrs[name] = _ref("Party", values[0])
            cities = f.v("agreement_work_city", a)
            if cities:
                attrs["work_city"] = cities[0]
            provider_ok, windows = False, []
            for org in f.v("agreement_protection_by", a):
                for e in f.v("agreement_executor", a):
                    for p in f.services_agreements(e, org):
                        if f.provider_papers(e, org, p):
                            provider_ok = True
                        for day in f.v("protection_concluded", p):
                            for pm in f.r("permit_protection", p):
                                if org in f.v("permit_holder", pm):
                                    start = max(day, min(f.v("permit_issued", pm))).toordinal()
                                    windows.append(
                                        (start, max(f.v("permit_valid_until", pm)).toordinal())
                                    )
            attrs["provider_ok"] = provider_ok
            attrs["provider_windows"] = _windows(windows)
            suspensions = []
            for su in f.r("suspension_agreement", a):
                ends = [day.toordinal() for day in f.v("suspension_end", su)]
                ends += [
                    day.toordinal()
                    for v in f.v("suspension_violation", su)
                    for day in f.v("violation_eliminated", v)
                ]
                for start in f.v("suspension_start", su):
                    suspensions.append((start.toordinal(), min(ends, default=FAR)))
            attrs["suspensions"] = _windows(suspensions)
            self._note("windows", max(len(windows), len(suspensions)))
            cancelled = [
                day for x in f.r("cancellation_of", a) for day in f.v("cancellation_date", x)
            ]
            if cancelled:
                attrs["cancelled_from"] = min(cancelled).toordinal()
            changed = [day for ch in f._changes.get(a, ()) for day in f.v("change_date", ch)]
            if changed:
                attrs["changed_from"] = min(changed).toordinal()
            out.append({"uid": {"type": "Agreement", "id": a}, "attrs": attrs, "parents": []})
        return out

    def _secrets(self) -> list[dict[str, Any]]:
        """Secrets, each tagged by executor with the routes (permission x agreement) to it."""
        f = self.floor
        tags: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for a in sorted(f._unary.get("agreement", ())):
            if not f.agreement_terms_complete(a):
                continue
            listed = [*f.v("annex_secret", a), *f.v("agreement_system", a)]
            for c in f.v("agreement_customer", a):
                for e in f.v("agreement_executor", a):
                    for s in listed:
                        bodies = f.secret_in_scope(s)
                        for ans in f.written_permissions(c, e, s, bodies):
                            if not f.agreement_after_permission(a, ans):
                                continue
                            route: dict[str, Any] = {
                                "customer": _ref("Party", c),
                                "answer_day": min(f.v("answer_date", ans)).toordinal(),
                                "agreement": _ref("Agreement", a),
                            }
                            notice = self._notice_from(c, e, a, s)
                            if notice is not None:
                                route["notice_from"] = notice
                            tags.setdefault(s, {}).setdefault(e, []).append(route)
        out = []
        for s in sorted(f._unary.get("secret", ())):
            attrs: dict[str, Any] = {"stamped": f.has("secret_stamp", s)}
            disposers = f.v("secret_disposer", s)
            if disposers:
                attrs["disposer"] = _ref("Party", disposers[0])
            entity: dict[str, Any] = {
                "uid": {"type": "Secret", "id": s},
                "attrs": attrs,
                "parents": [],
            }
            if s in tags:
                entity["tags"] = {}
                for e, routes in tags[s].items():
                    self._note("routes", len(routes))
                    entity["tags"][e] = {f"r{k}": r for k, r in enumerate(routes)}
            out.append(entity)
        return out

    def _notice_from(self, c: str, e: str, a: str, s: str) -> int | None:
        """The first day a notice of cl. 3.3 counts for (c, e, a, s), if any."""
        f = self.floor
        cities = f.v("located_in", e)
        concluded = f.v("agreement_concluded", a)
        days = []
        for n in f.r("notice_agreement", a):
            if c not in f.v("notice_customer", n) or s not in f.v("notice_secret", n):
                continue
            if not any(
                f.kind(au, "national_security") and any(x in cities for x in f.v("located_in", au))
                for au in f.v("notice_authority", n)
            ):
                continue
            days += [day for day in f.v("notice_date", n) if any(x <= day for x in concluded)]
        return min(days).toordinal() if days else None


def _within(expr: str, windows: int) -> str:
    """The day falls in one of the windows of the record ``expr``."""
    return (
        "("
        + " || ".join(
            f"({expr} has w{k} && {expr}.w{k}.f <= context.day && context.day <= {expr}.w{k}.t)"
            for k in range(windows)
        )
        + ")"
    )


def policy(routes: int, windows: int) -> str:
    """The one permit policy, with routes and windows unrolled to the counts given."""
    kinds = ", ".join(f'"{k}"' for k in sorted(CUSTOMER_KINDS))
    executor = "context.executor"

    def route(r: str) -> str:
        a = f"{r}.agreement"
        pb = f"{a}.protection_by"
        protected = (
            f"({a} has protection_by && {pb}.division && ("
            f'({pb} == {a}.executor && !({pb} in Flag::"foreign_owner"))'
            f" || ({pb} == {a}.customer && ({a}.at_customer"
            f" || ({a} has work_city && {pb} has city && {pb}.city == {a}.work_city)))"
            f' || ({pb}.kind == "quasi_public" && {a}.executor.affiliated_with.contains({pb}))'
            f" || ({pb} != {a}.executor && {pb} has city && {a}.executor has city"
            f" && {pb}.city == {a}.executor.city"
            f' && !({pb} in Flag::"foreign_owner") && {pb}.has_holder'
            f' && !({pb} in Flag::"non_state_holder")'
            f" && {pb}.empowered && {a}.provider_ok"
            f" && {_within(f'{a}.provider_windows', windows)})))"
        )
        return (
            f"({r}.customer == principal && {r}.answer_day <= context.day"
            f" && {a}.concluded <= context.day"
            f" && {r} has notice_from && {r}.notice_from <= context.day"
            f" && {protected}"
            f" && !{_within(f'{a}.suspensions', windows)}"
            f" && !({a} has cancelled_from && {a}.cancelled_from <= context.day)"
            f" && !({a} has changed_from && {a}.changed_from <= context.day))"
        )

    permits = _within(f"{executor}.permit_windows", windows)
    officials = _within(f"{executor}.official_windows", windows)
    tag = "resource.getTag(context.executor_id)"
    any_route = " || ".join(f"({tag} has r{k} && {route(f'{tag}.r{k}')})" for k in range(routes))
    return f"""permit(principal, action == Action::"transfer", resource)
when {{
  resource.stamped && resource has disposer && resource.disposer.kind == "state_body"
  && [{kinds}].contains(principal.kind)
  && ({executor}.kind == "commercial"
      || ({executor}.kind == "person" && {executor}.citizenship == "kz"))
  && (({executor}.kind != "person" && {permits} && {officials})
      || ({executor}.kind == "person" && {_within(f"{executor}.admission_windows", windows)}))
  && resource.hasTag(context.executor_id)
  && ({any_route})
}};
"""
