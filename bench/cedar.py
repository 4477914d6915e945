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
from collections.abc import Sequence
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


def _owners(f: Floor, holders: Sequence[tuple[str, Any]]) -> list[dict[str, str]]:
    """A party's parents: its owners, and the flags of a foreign (with a share) and of a
    non-state holder, through which ``in`` follows ownership chains (cl8_1, cl8_4)."""
    parents = [{"type": "Party", "id": owner} for owner, _share in holders]
    if any(f.foreign_party(o) for o, share in holders if share > 0):
        parents.append({"type": "Flag", "id": "foreign_owner"})
    if any(f.non_state_holder(o) for o, _ in holders):
        parents.append({"type": "Flag", "id": "non_state_holder"})
    return parents


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
        allowed: bool = result.allowed
        return allowed

    # -- entities ------------------------------------------------------------------------------

    def _note(self, what: str, count: int) -> None:
        self.most[what] = max(self.most[what], count)

    def _parties(self) -> list[dict[str, Any]]:
        """Organizations and persons, each with its owners as parents."""
        f = self.floor
        ids = set(f._unary.get("organization", ())) | set(f._unary.get("person", ()))
        holders = f._rev.get("owns", {})
        return [self._party(x, holders.get(x, ())) for x in sorted(ids)]

    def _party(self, x: str, holders: Sequence[tuple[str, Any]]) -> dict[str, Any]:
        """Party ``x``: its kind and the like, its clearance windows; ``holders`` (owner, share)."""
        f = self.floor
        person = f.has("person", x)
        attrs: dict[str, Any] = {
            "kind": "person" if person else next(iter(f.v("org_kind", x)), ""),
            "division": f.has("has_protection_division", x),
            "empowered": f.has("empowered_provider", x),
            "has_holder": bool(holders),
            "affiliated_with": [_ref("Party", o) for o in f.v("affiliated", x)],
        }
        if person:
            attrs["citizenship"] = next(iter(f.v("citizenship", x)), "")
        cities = f.v("located_in", x)
        if cities:
            attrs["city"] = cities[0]
        attrs.update(self._clearance_windows(x))
        return {"uid": {"type": "Party", "id": x}, "attrs": attrs, "parents": _owners(f, holders)}

    def _clearance_windows(self, x: str) -> dict[str, Any]:
        """The windows of ``x``'s permits (from a security authority, up to a cancellation), of
        its officials' admissions and of its own admissions (cl. 11)."""
        f = self.floor
        permits = [
            (min(f.v("permit_issued", p)).toordinal(), self._permit_until(p))
            for p in f.r("permit_holder", x)
            if any(f.kind(i, "national_security") for i in f.v("permit_issuer", p))
        ]
        officials = [w for o in f.r("works_at", x) for w in self._admissions(o)]
        own = self._admissions(x)
        for spans in (permits, officials, own):
            self._note("windows", len(spans))
        return {
            "permit_windows": _windows(permits),
            "official_windows": _windows(officials),
            "admission_windows": _windows(own),
        }

    def _permit_until(self, p: str) -> int:
        f = self.floor
        until: int = max(f.v("permit_valid_until", p)).toordinal()
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
        """Agreements, with the windows and first days that the policy compares with the day."""
        return [self._agreement(a) for a in sorted(self.floor._unary.get("agreement", ()))]

    def _agreement(self, a: str) -> dict[str, Any]:
        """Agreement ``a``: its parties and place, the provider's papers and windows (cl. 8.4),
        its suspensions, and the first days it is cancelled or changed (cl. 9, 10)."""
        f = self.floor
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
        provider_ok, windows = self._provider_windows(a)
        attrs["provider_ok"] = provider_ok
        attrs["provider_windows"] = _windows(windows)
        suspensions = self._suspensions(a)
        attrs["suspensions"] = _windows(suspensions)
        self._note("windows", max(len(windows), len(suspensions)))
        cancelled = [day for x in f.r("cancellation_of", a) for day in f.v("cancellation_date", x)]
        if cancelled:
            attrs["cancelled_from"] = min(cancelled).toordinal()
        changed = [day for ch in f._changes.get(a, ()) for day in f.v("change_date", ch)]
        if changed:
            attrs["changed_from"] = min(changed).toordinal()
        return {"uid": {"type": "Agreement", "id": a}, "attrs": attrs, "parents": []}

    def _provider_windows(self, a: str) -> tuple[bool, list[tuple[int, int]]]:
        """Whether a services agreement for ``a`` has all its papers (cl8_4.provider_division),
        and the windows in which one is current (cl8_4.current)."""
        f = self.floor
        provider_ok, windows = False, []
        for org in f.v("agreement_protection_by", a):
            for e in f.v("agreement_executor", a):
                for p in f.services_agreements(e, org):
                    if f.provider_papers(e, org, p):
                        provider_ok = True
                    windows += self._arrangement_windows(org, p)
        return provider_ok, windows

    def _arrangement_windows(self, org: str, p: str) -> list[tuple[int, int]]:
        """The windows in which services agreement ``p`` is concluded and a permit of ``org``
        indicating it is valid."""
        f = self.floor
        return [
            (
                max(day, min(f.v("permit_issued", pm))).toordinal(),
                max(f.v("permit_valid_until", pm)).toordinal(),
            )
            for day in f.v("protection_concluded", p)
            for pm in f.r("permit_protection", p)
            if org in f.v("permit_holder", pm)
        ]

    def _suspensions(self, a: str) -> list[tuple[int, int]]:
        """The windows in which ``a`` is suspended: from the start to the first end or
        elimination of the violation (cl. 9)."""
        f = self.floor
        suspensions = []
        for su in f.r("suspension_agreement", a):
            ends = [day.toordinal() for day in f.v("suspension_end", su)]
            ends += [
                day.toordinal()
                for v in f.v("suspension_violation", su)
                for day in f.v("violation_eliminated", v)
            ]
            suspensions += [
                (start.toordinal(), min(ends, default=FAR)) for start in f.v("suspension_start", su)
            ]
        return suspensions

    def _secrets(self) -> list[dict[str, Any]]:
        """Secrets, each tagged by executor with the routes (permission x agreement) to it."""
        tags = self._routes()
        return [self._secret(s, tags) for s in sorted(self.floor._unary.get("secret", ()))]

    def _secret(self, s: str, tags: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, Any]:
        """Secret ``s``: stamped, its disposer, and its routes by executor as tags."""
        f = self.floor
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
        return entity

    def _routes(self) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Secret -> executor -> the routes to it, over the agreements with complete terms."""
        f = self.floor
        tags: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for a in sorted(f._unary.get("agreement", ())):
            if f.agreement_terms_complete(a):
                self._agreement_routes(a, tags)
        return tags

    def _agreement_routes(self, a: str, tags: dict[str, dict[str, list[dict[str, Any]]]]) -> None:
        """Add to ``tags`` the routes through ``a``: for each secret it lists, each written
        permission to its customer and executor that ``a`` was concluded after (cl. 3.1, 5-7)."""
        f = self.floor
        listed = [*f.v("annex_secret", a), *f.v("agreement_system", a)]
        for c in f.v("agreement_customer", a):
            for e in f.v("agreement_executor", a):
                for s in listed:
                    for ans in f.written_permissions(c, e, s, f.secret_in_scope(s)):
                        if f.agreement_after_permission(a, ans):
                            route = self._route(c, e, a, s, ans)
                            tags.setdefault(s, {}).setdefault(e, []).append(route)

    def _route(self, c: str, e: str, a: str, s: str, ans: str) -> dict[str, Any]:
        """The route of ``s`` from ``c`` to ``e`` by permission ``ans`` and agreement ``a``."""
        route: dict[str, Any] = {
            "customer": _ref("Party", c),
            "answer_day": min(self.floor.v("answer_date", ans)).toordinal(),
            "agreement": _ref("Agreement", a),
        }
        notice = self._notice_from(c, e, a, s)
        if notice is not None:
            route["notice_from"] = notice
        return route

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
