"""Generate a national-scale world of Decree 743 fact files, and transfer questions about it.

    .venv/bin/python bench/generate.py --executors 10000 --out /tmp/world10k --seed 1

writes the project's own fact files (the record kinds of ``facts/``, valid for
``load_fact_files``) into ``OUT/facts/`` and ``OUT/questions.json``: about 1000 questions
``transfer_allowed(C, E, S, D)``, half allowed and half refused.

The world, for N executors: N/10 customers (ministries whose heads may classify and which
dispose of the secrets, and state enterprises under them), ten cities each with a national
security department, holding companies in ownership chains up to six deep (about 5 % of the
executors have foreign participation somewhere up the chain), empowered 100 %-state
protection providers in every city, and per executor: its head and officials with admissions,
about ten secrets, a request with a granted answer signed by the head (or the deputy acting
for him), an agreement with every clause-6 term and its annex, a notice (about 70 %), a permit,
and a protection arrangement (mostly its own division; some by a provider, the customer or a
quasi-public holding). Noise of every kind the rules look at is mixed in: refused answers,
signers who are neither head nor acting, agreements before the permission, expired permits
and admissions, notices to the wrong city or before the agreement, suspensions with and
without an end, cancellations of agreements and permits, liquidations and terminations,
providers that are not empowered, not wholly the state's, in another city or that informed
only one postal service. A small share of the facts change on a day inside the questions'
range (dated fields and ownership or affiliation periods): replaced heads, officials who
leave, divisions set up or closed, moves, owners who bought in or sold, providers empowered
later, a holding that became quasi-public. The readings of issue 10 part 2 come at small rates:
planned periods, answers received late, withdrawn, refused later or silent on the executor,
secrets added by addenda after a second permission, admission forms against stamps, regions
with a town without its own department, shares that do not sum to 100 %, a ring of holders,
quasi-public status, permit cancellations by the customer, assignees after a customer's change.

The questions are labelled with the hand-written check of ``bench/floor.py`` to balance them,
then (unless ``--no-verify``) every one is asked of policyeval itself; its answer is the label
written, and any disagreement is reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from policyeval.engine.store import BaseFact

CITIES = (
    "astana",
    "almaty",
    "shymkent",
    "karaganda",
    "aktobe",
    "taraz",
    "pavlodar",
    "oskemen",
    "semey",
    "atyrau",
)
FOREIGN_COUNTRIES = ("ru", "cn", "tr", "cy", "de", "us")
EPOCH = dt.date(2024, 1, 1)
PROVIDER_RENEWAL = dt.date(2025, 7, 1)  # providers' first permits end the day before
CONTROL = (
    "Section 7: control by the customer; the executor answers for the secrets during and after"
    " the work."
)
FINANCING = "Section 9: protection measures are financed within the contract price."
CERTIFICATE = "Certificate: the system processes planning data classified up to secret."
GENERATOR = 3
"""The version of the worlds written: 2 dates the facts that change (heads, ownership, ...);
3 adds territories and competence, planned periods, withdrawn and later refused permissions,
addenda listing secrets, admission forms, summed shares, quasi-public status and assignees."""
TOWN = "temirtau"
"""A town without a department of its own, in the region of Karaganda (cl. 3.3)."""
REGION = "karaganda_region"
DAY = dt.timedelta(days=1)


class Text(str):
    """A value written as quoted text (names, numbers, terms), not as a bare symbol."""


@dataclass(frozen=True)
class Period:
    """A value of a dated field from ``start`` to ``end`` (both included; None = open)."""

    value: str | bool
    start: dt.date | None = None
    end: dt.date | None = None

    def render(self) -> str:
        parts = [f"value: {_render(self.value)}"]
        if self.start is not None:
            parts.append(f"valid_from: {self.start.isoformat()}")
        if self.end is not None:
            parts.append(f"valid_to: {self.end.isoformat()}")
        return "{" + ", ".join(parts) + "}"


@dataclass(frozen=True)
class Periods:
    """A dated field written as its values with their periods."""

    items: tuple[Period, ...]


def changed(old: str | bool, new: str | bool, on: dt.date) -> Periods:
    """``old`` up to the day before ``on``, ``new`` from ``on``."""
    return Periods((Period(old, end=on - DAY), Period(new, start=on)))


Value = str | int | Decimal | bool | dt.date | list[str] | Periods


def _render(value: Value) -> str:
    if isinstance(value, Text):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    if isinstance(value, Periods):
        return "[" + ", ".join(item.render() for item in value.items) + "]"
    return str(value)


@dataclass
class ExecutorInfo:
    """What question sampling needs to know of one executor."""

    id: str
    customer: str
    secrets: list[str]
    start: dt.date  # the day the agreement was (or would be) concluded
    assignee: str | None = None  # acts for the customer after a change (cl. 10)


@dataclass
class World:
    """Fact files as lines of YAML (one flow mapping per record), and sampling hints."""

    rng: random.Random
    files: dict[str, list[str]] = field(default_factory=dict)
    executors: list[ExecutorInfo] = field(default_factory=list)
    customers: list[str] = field(default_factory=list)
    all_secrets: list[str] = field(default_factory=list)
    records: int = 0

    def emit(self, file: str, kind: str, id_: str, **fields: Value | None) -> None:
        parts = [f"kind: {kind}", f"id: {id_}"]
        parts += [f"{k}: {_render(v)}" for k, v in fields.items() if v is not None]
        self.files.setdefault(file, []).append("- {" + ", ".join(parts) + "}\n")
        self.records += 1

    def write(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("*.yaml"):
            old.unlink()
        for name, lines in self.files.items():
            with (directory / f"{name}.yaml").open("w", encoding="utf-8") as out:
                out.write("# Generated by bench/generate.py\n")
                out.writelines(lines)


def _days(rng: random.Random, low: int, high: int) -> dt.timedelta:
    return dt.timedelta(days=rng.randint(low, high))


def _digits(rng: random.Random) -> Text:
    return Text(f"{rng.randrange(10**11, 10**12):012d}")


@dataclass
class Ministry:
    id: str
    head: str
    deputy: str
    director: str
    windows: list[tuple[dt.date, dt.date | None]]  # the deputy acts for the head
    former: str | None = None  # the head before ``replaced``, if the head was replaced
    replaced: dt.date | None = None

    def deputy_acts(self, day: dt.date) -> bool:
        return any(start <= day and (end is None or day <= end) for start, end in self.windows)

    def head_on(self, day: dt.date) -> str:
        """The head on ``day``."""
        if self.former is not None and self.replaced is not None and day < self.replaced:
            return self.former
        return self.head

    def other_head(self, day: dt.date) -> str | None:
        """A head of another time than ``day`` (former or successor), if the head changed."""
        if self.former is None:
            return None
        return self.head if self.head_on(day) == self.former else self.former


@dataclass
class Provider:
    id: str
    city: str
    good: bool
    permit_old: str
    permit_new: str
    agreements_old: list[str] = field(default_factory=list)
    agreements_new: list[str] = field(default_factory=list)


@dataclass
class Setting:
    """What every executor is drawn against: the customers, holdings and protectors."""

    ministries: list[Ministry]
    parent_ministry: dict[str, Ministry]  # customer -> the ministry that disposes of its secrets
    customer_city: dict[str, str]
    providers: dict[str, list[Provider]]  # city -> its four protection providers
    quasi: list[str]
    clean: list[str]  # holdings with no foreign participation up the chain
    tainted: list[str]  # holdings with foreign participation at or above them


def generate(executors: int, seed: int) -> World:
    """The whole world for ``executors`` executors, deterministic for ``seed``."""
    w = World(random.Random(seed))
    n_customers = max(4, executors // 10)
    n_ministries = max(2, n_customers // 10)
    _state_and_security(w)
    # ministries (dispose of secrets) and enterprises: the customers
    ministries = [_ministry(w, m) for m in range(n_ministries)]
    parent_ministry: dict[str, Ministry] = {m.id: m for m in ministries}
    customer_city: dict[str, str] = {}
    w.customers.extend(m.id for m in ministries)
    for c in range(n_customers - n_ministries):
        _enterprise(w, c, ministries, parent_ministry, customer_city)
    for ministry in ministries:
        customer_city[ministry.id] = "astana"
    _terminations(w, w.customers[n_ministries:])
    clean, tainted = _holdings(w, max(3, executors // 40))
    _state_holding(w)
    providers = _providers(w)
    quasi = _quasi_public(w, max(2, executors // 500))
    setting = Setting(ministries, parent_ministry, customer_city, providers, quasi, clean, tainted)
    for i in range(executors):
        _executor(w, i, setting)
    _provider_permits(w, providers)
    return w


# ---- the state and the customers ----------------------------------------------------------


def _state_and_security(w: World) -> None:
    """The republic, and the national security department of every city."""
    w.emit(
        "organizations",
        "organization",
        "republic_kz",
        name=Text("Republic of Kazakhstan"),
        org_kind="state",
    )
    for city in CITIES:
        w.emit(
            "organizations",
            "organization",
            f"knb_{city}",
            name=Text(f"Department of the National Security Committee for {city.title()}"),
            org_kind="national_security",
            bin=_digits(w.rng),
            city=city,
        )
        kind = "republican_city" if city in CITIES[:3] else "city"
        region = REGION if city == "karaganda" else None
        w.emit(
            "organizations",
            "territory",
            city,
            name=Text(city.title()),
            territory_kind=kind,
            region=region,
        )
        w.emit(
            "organizations",
            "competence",
            f"comp_knb_{city}",
            authority=f"knb_{city}",
            territory=city,
        )
    w.emit(
        "organizations", "territory", REGION, name=Text("Karaganda Region"), territory_kind="region"
    )
    w.emit(
        "organizations",
        "territory",
        TOWN,
        name=Text(TOWN.title()),
        territory_kind="city",
        region=REGION,
    )
    w.emit(
        "organizations",
        "competence",
        "comp_knb_karaganda_region",
        authority="knb_karaganda",
        territory=REGION,
    )


def _ministry(w: World, m: int) -> Ministry:
    """Ministry ``m``: its head (the first ministry's, and three in ten others', replaced on a
    day: the list of heads is dated), deputy and director, the deputy's acting windows, itself."""
    rng = w.rng
    mid = f"min_{m}"
    ministry = Ministry(mid, f"p_{mid}_head", f"p_{mid}_dep", f"p_{mid}_dir", [])
    if m == 0 or rng.random() < 0.3:
        ministry.former = f"p_{mid}_head0"
        ministry.replaced = dt.date(2024, 3, 1) + _days(rng, 0, 900)
    staff: list[tuple[str, str, Value]] = [
        (ministry.head, "Minister", mid),
        (ministry.deputy, "Vice Minister", mid),
        (ministry.director, "Director of Department", mid),
    ]
    head: Value = ministry.head
    if ministry.former is not None and ministry.replaced is not None:
        head = changed(ministry.former, ministry.head, ministry.replaced)
        staff[0] = (ministry.head, "Minister", Periods((Period(mid, start=ministry.replaced),)))
        left = Periods((Period(mid, end=ministry.replaced - DAY),))
        staff.append((ministry.former, "Former Minister", left))
    for pid, role, works_at in staff:
        w.emit(
            "people",
            "person",
            pid,
            name=Text(f"{role} of Ministry {m}"),
            citizenship="kz",
            works_at=works_at,
        )
    ministry.windows = _acting_windows(rng)
    for k, (start, end) in enumerate(ministry.windows):
        w.emit(
            "people",
            "acting",
            f"act_{mid}_{k}",
            org=mid,
            person=ministry.deputy,
            start=start,
            end=end,
        )
    w.emit(
        "organizations",
        "organization",
        mid,
        name=Text(f"Ministry {m} of the Republic of Kazakhstan"),
        org_kind="state_body",
        bin=_digits(rng),
        city=rng.choice(CITIES[:3]),
        head=head,
        # one ministry in twenty has a head who may not classify: its answers never count
        head_may_classify=(m % 20 != 19),
        has_protection_division=True,
    )
    return ministry


def _acting_windows(rng: random.Random) -> list[tuple[dt.date, dt.date | None]]:
    """When a deputy acts for the head: a few weeks every four to seven months, maybe open."""
    windows: list[tuple[dt.date, dt.date | None]] = []
    day = dt.date(2023, 6, 1) + _days(rng, 0, 120)
    while day < dt.date(2027, 6, 1):
        windows.append((day, day + _days(rng, 14, 35)))
        day += _days(rng, 120, 220)
    if rng.random() < 0.2:  # an appointment still running, with no end
        windows.append((dt.date(2026, 9, 1), None))
    return windows


def _enterprise(
    w: World,
    c: int,
    ministries: list[Ministry],
    parent_ministry: dict[str, Ministry],
    customer_city: dict[str, str],
) -> None:
    """State enterprise ``c``, a customer under one of the ministries."""
    rng = w.rng
    cid = f"cu_{c}"
    kind = "quasi_public" if rng.random() < 0.15 else "state_organization"
    city = rng.choice(CITIES)
    w.emit(
        "people",
        "person",
        f"p_{cid}_head",
        name=Text(f"Director of Enterprise {c}"),
        citizenship="kz",
        works_at=cid,
    )
    w.emit(
        "organizations",
        "organization",
        cid,
        name=Text(f"State Enterprise {c}"),
        org_kind=kind,
        bin=_digits(rng),
        city=city,
        head=f"p_{cid}_head",
        has_protection_division=rng.random() < 0.9,
    )
    w.emit("organizations", "ownership", f"own_{cid}", owner="republic_kz", owned=cid, percent=100)
    parent_ministry[cid] = rng.choice(ministries)
    customer_city[cid] = city
    w.customers.append(cid)


def _terminations(w: World, enterprises: list[str]) -> None:
    """Enterprises that terminate all their work using state secrets (naming no agreement)."""
    terminating = {c for c in enterprises if w.rng.random() < 0.005}
    for k, cid in enumerate(sorted(terminating)):
        w.emit(
            "history",
            "change",
            f"chc_{k}",
            party=cid,
            change_kind="termination",
            date=dt.date(2026, 1, 1) + _days(w.rng, 0, 360),
        )


# ---- holding chains (up to six deep), some with foreign participation ----------------------


def _holdings(w: World, n_chains: int) -> tuple[list[str], list[str]]:
    """The holding chains; the holdings without and with foreign participation up the chain."""
    attach: list[tuple[str, bool]] = []
    foreign_orgs: list[str] = []
    for c in range(n_chains):
        attach += _holding_chain(w, c, foreign_orgs)
    clean = [holding for holding, foreign in attach if not foreign]
    tainted = [holding for holding, foreign in attach if foreign]
    return clean, tainted


def _holding_chain(w: World, c: int, foreign_orgs: list[str]) -> list[tuple[str, bool]]:
    """Chain ``c``, each holding owning the next: (holding, foreign participation up to it)."""
    rng = w.rng
    depth = rng.randint(1, 6)
    tainted_at = rng.randint(1, depth) if rng.random() < 0.3 else None
    chain: list[tuple[str, bool]] = []
    previous: str | None = None
    tainted = False
    for level in range(1, depth + 1):
        hid = f"h_{c}_{level}"
        w.emit(
            "organizations",
            "organization",
            hid,
            name=Text(f"Holding {c}-{level} LLP"),
            org_kind="commercial",
            bin=_digits(rng),
            city=rng.choice(CITIES),
        )
        if previous is None:
            _chain_founders(w, c, hid)
        else:
            w.emit(
                "organizations",
                "ownership",
                f"own_{hid}",
                owner=previous,
                owned=hid,
                percent=rng.choice((51, 75, 100)),
            )
        if level == tainted_at:
            tainted = True
            _foreign_shareholder(w, c, hid, foreign_orgs)
        chain.append((hid, tainted))
        previous = hid
    return chain


def _chain_founders(w: World, c: int, hid: str) -> None:
    """The one or two citizens who own the top holding ``hid`` of chain ``c``."""
    owners = w.rng.randint(1, 2)
    for k in range(owners):
        pid = f"p_{hid}_owner{k}"
        w.emit("people", "person", pid, name=Text(f"Owner {k} of Holding {c}"), citizenship="kz")
        share = 100 if owners == 1 else (60 if k == 0 else 40)
        w.emit("organizations", "ownership", f"own_{hid}_{k}", owner=pid, owned=hid, percent=share)


def _foreign_shareholder(w: World, c: int, hid: str, foreign_orgs: list[str]) -> None:
    """A foreign organization (numbered in ``foreign_orgs``) or person with a share in ``hid``;
    three in ten bought in only on a day of the benchmark's years."""
    rng = w.rng
    since = EPOCH + _days(rng, 200, 900) if rng.random() < 0.3 else None
    if rng.random() < 0.5:
        fid = f"fo_{len(foreign_orgs)}"
        foreign_orgs.append(fid)
        w.emit(
            "organizations",
            "organization",
            fid,
            name=Text(f"Foreign Investments {fid} Ltd"),
            org_kind="foreign",
        )
        w.emit(
            "organizations",
            "ownership",
            f"own_{hid}_f",
            owner=fid,
            owned=hid,
            percent=Decimal(rng.choice(("0.5", "10", "49", "12.75"))),
            valid_from=since,
        )
    else:
        pid = f"pf_{hid}"
        w.emit(
            "people",
            "person",
            pid,
            name=Text(f"Foreign Shareholder of Holding {c}"),
            citizenship=rng.choice(FOREIGN_COUNTRIES),
        )
        w.emit(
            "organizations",
            "ownership",
            f"own_{hid}_f",
            owner=pid,
            owned=hid,
            percent=Decimal(rng.choice(("1", "20", "0.0001"))),
            valid_from=since,
        )


# ---- protection providers (8.4) and quasi-public holdings (8.3) ----------------------------


def _state_holding(w: World) -> None:
    """The national holding, wholly the state's; a state company whose register shows only
    70 % of its capital; two state organizations holding each other (a ring, no state above)."""
    w.emit(
        "organizations",
        "organization",
        "state_holding",
        name=Text("National Holding JSC"),
        org_kind="quasi_public",
        bin=_digits(w.rng),
        city="astana",
        has_protection_division=True,
    )
    w.emit(
        "organizations",
        "ownership",
        "own_state_holding",
        owner="republic_kz",
        owned="state_holding",
        percent=100,
    )
    for oid, name in (
        ("state_sub", "Partly Registered"),
        ("ring_a", "Ring A"),
        ("ring_b", "Ring B"),
    ):
        w.emit(
            "organizations",
            "organization",
            oid,
            name=Text(f"{name} JSC"),
            org_kind="state_organization" if oid != "state_sub" else "commercial",
            city="astana",
        )
    w.emit(
        "organizations",
        "ownership",
        "own_state_sub",
        owner="republic_kz",
        owned="state_sub",
        percent=70,
    )
    w.emit("organizations", "ownership", "own_ring_a", owner="ring_b", owned="ring_a", percent=100)
    w.emit("organizations", "ownership", "own_ring_b", owner="ring_a", owned="ring_b", percent=100)


def _providers(w: World) -> dict[str, list[Provider]]:
    """Four protection providers in every city."""
    providers: dict[str, list[Provider]] = {}
    for city in CITIES:
        for k in range(4):
            providers.setdefault(city, []).append(_provider(w, city, k))
    return providers


def _provider(w: World, city: str, k: int) -> Provider:
    """Provider ``k`` of ``city``: 0 and 1 qualify under 8.4 (1 in some cities only from the
    day the Government empowered it); 2 is empowered but 49 % private (in some cities only from
    the day the investor bought in); 3 is wholly the state's but was never empowered."""
    pid = f"pr_{city}_{k}"
    late = CITIES.index(city) % 3 == 0
    empowered: Value = k != 3
    if k == 1 and late:
        empowered = Periods((Period(True, start=dt.date(2025, 1, 1)),))
    w.emit(
        "organizations",
        "organization",
        pid,
        name=Text(f"Qorgau {city.title()} {k} JSC"),
        org_kind="quasi_public",
        bin=_digits(w.rng),
        city=city,
        has_protection_division=True,
        empowered_provider=empowered,
    )
    if k == 2:
        w.emit(
            "organizations", "ownership", f"own_{pid}", owner="republic_kz", owned=pid, percent=51
        )
        w.emit(
            "people",
            "person",
            f"p_{pid}_inv",
            name=Text(f"Private Investor of {pid}"),
            citizenship="kz",
        )
        w.emit(
            "organizations",
            "ownership",
            f"own_{pid}_p",
            owner=f"p_{pid}_inv",
            owned=pid,
            percent=49,
            valid_from=dt.date(2025, 3, 1) if late else None,
        )
    else:
        owner, percent = _provider_owner(city, k)
        w.emit("organizations", "ownership", f"own_{pid}", owner=owner, owned=pid, percent=percent)
    return Provider(pid, city, k < 2, f"pm_{pid}_a", f"pm_{pid}_b")


def _provider_owner(city: str, k: int) -> tuple[str, int]:
    """Who holds provider ``k`` (0, 1 or 3) of ``city``, and what share: the Republic, the
    national holding, a ministry on the state's behalf; in three cities a holder that makes the
    provider not wholly the state's (60 % on record, a holder with 70 % on record, a ring)."""
    special = {
        ("aktobe", 0): ("min_0", 100),
        ("taraz", 0): ("republic_kz", 60),
        ("oskemen", 1): ("state_sub", 100),
        ("semey", 0): ("ring_a", 100),
    }
    default = ("state_holding", 100) if k == 1 else ("republic_kz", 100)
    return special.get((city, k), default)


def _quasi_public(w: World, count: int) -> list[str]:
    """``count`` quasi-public holdings, wholly the state's; the first was a state enterprise
    until it was made a subject of the quasi-public sector on 1 July 2025. Every other one is a
    commercial company with quasi-public status (the second only from 1 April 2025)."""
    quasi = [f"qp_{k}" for k in range(count)]
    for k, qid in enumerate(quasi):
        kind: Value = "quasi_public"
        status: Value | None = None
        if k == 0:
            kind = changed("state_organization", "quasi_public", dt.date(2025, 7, 1))
        elif k % 2 == 1:
            kind, status = "commercial", True
            if k == 1:
                status = Periods((Period(True, start=dt.date(2025, 4, 1)),))
        w.emit(
            "organizations",
            "organization",
            qid,
            name=Text(f"Quasi-public Holding {k} JSC"),
            org_kind=kind,
            bin=_digits(w.rng),
            city=w.rng.choice(CITIES),
            has_protection_division=True,
            quasi_public=status,
        )
        w.emit(
            "organizations", "ownership", f"own_{qid}", owner="republic_kz", owned=qid, percent=100
        )
    return quasi


def _provider_permits(w: World, providers: dict[str, list[Provider]]) -> None:
    """The providers' two permits, each listing the services agreements made in its time."""
    for city in CITIES:
        for p in providers[city]:
            w.emit(
                "permits",
                "permit",
                p.permit_old,
                holder=p.id,
                number=Text(f"KNB-{p.id}-1"),
                issued=dt.date(2020, 7, 1),
                valid_until=PROVIDER_RENEWAL - dt.timedelta(days=1),
                issuer=f"knb_{city}",
                protection_agreements=p.agreements_old or None,
            )
            w.emit(
                "permits",
                "permit",
                p.permit_new,
                holder=p.id,
                number=Text(f"KNB-{p.id}-2"),
                issued=PROVIDER_RENEWAL,
                valid_until=dt.date(2030, 6, 30),
                issuer=f"knb_{city}",
                protection_agreements=p.agreements_new or None,
            )


# ---- executors --------------------------------------------------------------------------


@dataclass
class Draft:
    """One executor while it is drawn: what the later steps of ``_executor`` refer to."""

    i: int
    eid: str
    citizen: bool
    city: str
    customer: str
    ministry: Ministry  # disposes of the customer's secrets
    t0: dt.date  # the request is sent
    officials: list[str] = field(default_factory=list)
    permit: str | None = None
    admissions: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    system: str | None = None  # the information system serviced, for maintenance work
    assignee: str | None = None  # the customer's assignee after a change (cl. 10)

    @property
    def knb(self) -> str:
        """The national security department competent for the executor's city (cl. 3.3)."""
        return "knb_karaganda" if self.city == TOWN else f"knb_{self.city}"


@dataclass
class Contract:
    """The executor's agreement as the steps after it need it."""

    id: str
    concluded: dt.date
    annex: list[str]


def _executor(w: World, i: int, setting: Setting) -> None:
    """Executor ``i`` and its one piece of work, each step drawing in turn from ``w.rng``."""
    rng = w.rng
    citizen = rng.random() < 0.08
    eid = f"cz_{i}" if citizen else f"ex_{i}"
    city = TOWN if rng.random() < 0.03 else rng.choice(CITIES)
    customer = rng.choice(w.customers)
    t0 = EPOCH + _days(rng, 0, 900)
    x = Draft(i, eid, citizen, city, customer, setting.parent_ministry[customer], t0)
    if citizen:
        _citizen(w, x)
    else:
        _organization(w, x, setting.clean, setting.tainted)
        x.permit = _executor_permit(w, x)
    x.admissions = _admissions(w, x)
    _secrets(w, x)
    answer_day = _request_and_answer(w, x, setting.ministries)
    contract = _agreement(w, x, answer_day, setting)
    _notice(w, x, contract)
    if not citizen and x.system is None and rng.random() < 0.05:
        _added_secret(w, x, contract)
    _control_and_changes(w, x, contract)
    _audited_transfer(w, x, contract)
    w.executors.append(ExecutorInfo(eid, customer, x.secrets, contract.concluded, x.assignee))


def _citizen(w: World, x: Draft) -> None:
    """The executor as a citizen (now and then a foreign one)."""
    country = "kz" if w.rng.random() < 0.95 else w.rng.choice(FOREIGN_COUNTRIES)
    w.emit(
        "people",
        "person",
        x.eid,
        name=Text(f"Citizen Expert {x.i}"),
        citizenship=country,
        iin=_digits(w.rng),
        city=x.city,
        position=Text("Engineer"),
    )


def _organization(w: World, x: Draft, clean: list[str], tainted: list[str]) -> None:
    """The executor as an organization: itself, who owns it, its officials. A few change over
    the years: a division set up or closed on a day, a move to another city, a head who leaves."""
    rng = w.rng
    i, eid = x.i, x.eid
    head = f"p_{eid}_0"
    left = x.t0 + _days(rng, 60, 500) if rng.random() < 0.04 else None  # the head leaves
    w.emit(
        "organizations",
        "organization",
        eid,
        name=Text(f"Executor {i} LLP"),
        org_kind="commercial",
        bin=_digits(rng),
        legal_address=Text(f"{x.city.title()}, Street {i % 97}, office {i % 13}"),
        city=_executor_city(rng, x),
        head=head if left is None else changed(head, f"p_{eid}_new", left + DAY),
        has_protection_division=_division(rng, x),
    )
    foreign = rng.random() < 0.05
    _outside_owner(w, x, foreign, clean, tainted)
    for k in range(rng.randint(1, 3)):
        pid = f"p_{eid}_{k}"
        w.emit(
            "people",
            "person",
            pid,
            name=Text(f"Official {k} of Executor {i}"),
            citizenship="kz",
            works_at=eid if k or left is None else Periods((Period(eid, end=left),)),
            position=Text("Head" if k == 0 else "Engineer"),
        )
        x.officials.append(pid)
    if left is not None:  # his successor, not yet admitted to state secrets
        w.emit(
            "people",
            "person",
            f"p_{eid}_new",
            name=Text(f"New Head of Executor {i}"),
            citizenship="kz",
            works_at=Periods((Period(eid, start=left + DAY),)),
            position=Text("Head"),
        )
    if not foreign or rng.random() < 0.5:
        w.emit(
            "organizations",
            "ownership",
            f"own_{eid}_p",
            owner=x.officials[0],
            owned=eid,
            percent=Decimal(rng.choice(("49", "100", "33.3333"))),
        )


def _division(rng: random.Random, x: Draft) -> Value:
    """Whether the executor has a protection division: most do; a few set one up only after the
    work began, or closed theirs."""
    roll = rng.random()
    if roll < 0.04:
        return Periods((Period(True, start=x.t0 + _days(rng, 30, 200)),))
    if roll < 0.06:
        return Periods((Period(True, end=x.t0 + _days(rng, 200, 500)),))
    return roll < 0.80


def _executor_city(rng: random.Random, x: Draft) -> Value:
    """The executor's city; three in a hundred move to another city after the work began."""
    if rng.random() >= 0.03:
        return x.city
    elsewhere = rng.choice([c for c in CITIES if c != x.city])
    return changed(x.city, elsewhere, x.t0 + _days(rng, 100, 500))


def _outside_owner(w: World, x: Draft, foreign: bool, clean: list[str], tainted: list[str]) -> None:
    """A holding or a foreign partner owning the executor: foreign ones if ``foreign``. Half the
    foreign partners bought in only after the work began; a quarter of the holdings sold."""
    rng = w.rng
    eid = x.eid
    if foreign and rng.random() < 0.8 and tainted:
        w.emit(
            "organizations",
            "ownership",
            f"own_{eid}_h",
            owner=rng.choice(tainted),
            owned=eid,
            percent=rng.choice((51, 100)),
        )
    elif foreign:
        w.emit(
            "people",
            "person",
            f"pf_{eid}",
            name=Text(f"Foreign Partner of Executor {x.i}"),
            citizenship=rng.choice(FOREIGN_COUNTRIES),
        )
        w.emit(
            "organizations",
            "ownership",
            f"own_{eid}_f",
            owner=f"pf_{eid}",
            owned=eid,
            percent=Decimal(rng.choice(("5", "30", "25.5"))),
            valid_from=x.t0 + _days(rng, 150, 450) if rng.random() < 0.5 else None,
        )
    elif clean and rng.random() < 0.4:  # a small world may have no clean holding
        w.emit(
            "organizations",
            "ownership",
            f"own_{eid}_h",
            owner=rng.choice(clean),
            owned=eid,
            percent=rng.choice((51, 100)),
            valid_to=x.t0 + _days(rng, 100, 500) if rng.random() < 0.25 else None,
        )


def _executor_permit(w: World, x: Draft) -> str:
    """The organization's permit (sometimes expired, late, from the wrong issuer, cancelled)."""
    rng = w.rng
    permit = f"pm_{x.eid}"
    issued = x.t0 - _days(rng, 30, 1500)
    until = issued + dt.timedelta(days=1826)
    if rng.random() < 0.12:
        until = x.t0 + _days(rng, 60, 400)
    if rng.random() < 0.02:
        issued = x.t0 + _days(rng, 30, 200)  # issued only after the work began
    issuer = x.knb if rng.random() < 0.98 else x.ministry.id  # not a security authority
    w.emit(
        "permits",
        "permit",
        permit,
        holder=x.eid,
        number=Text(f"KNB-{x.i}"),
        issued=issued,
        valid_until=until,
        issuer=issuer,
    )
    if rng.random() < 0.02:  # by the department, or by the customer (which cannot, cl. 9)
        w.emit(
            "history",
            "cancellation",
            f"ca_{permit}",
            target=permit,
            date=x.t0 + _days(rng, 60, 500),
            by=x.knb if rng.random() < 0.5 else x.customer,
        )
    return permit


def _admissions(w: World, x: Draft) -> list[str]:
    """Admissions of the citizen, or of all the officials but the last (at least one)."""
    admitted = [x.eid] if x.citizen else x.officials[: max(1, len(x.officials) - 1)]
    return [_admission(w, x, k, pid) for k, pid in enumerate(admitted)]


def _admission(w: World, x: Draft, k: int, pid: str) -> str:
    """Admission ``k``, of ``pid`` (sometimes expired or registered too late)."""
    rng = w.rng
    adm = f"ad_{x.eid}_{k}"
    issued = x.t0 - _days(rng, 10, 1000)
    until = issued + dt.timedelta(days=1826)
    roll = rng.random()
    if roll < 0.05:
        until = x.t0 + _days(rng, 30, 300)
    elif roll < 0.08:
        issued = x.t0 + _days(rng, 200, 400)  # not yet registered when the work begins
        until = issued + dt.timedelta(days=1826)
    form, level = _admission_form(rng)
    w.emit(
        "permits",
        "admission",
        adm,
        person=pid,
        number=Text(f"F{form or 0}-{x.i}/{k}"),
        issued=issued,
        valid_until=until,
        issuer=x.knb,
        form=form,
        level=level,
    )
    return adm


def _admission_form(rng: random.Random) -> tuple[int | None, str]:
    """The form of an admission (1 special importance, 2 top secret, 3 secret) and the level
    recorded with it; one in twenty gives the level alone, and one in fifty a level that
    differs from its form (the form counts, cl. 11)."""
    form = rng.choice((1, 1, 2, 2, 2, 3))
    levels = ("special_importance", "top_secret", "secret")
    roll = rng.random()
    if roll < 0.05:
        return None, rng.choice(levels)
    if roll < 0.07:
        return form, levels[(form + 1) % 3]
    return form, levels[form - 1]


def _secrets(w: World, x: Draft) -> None:
    """About ten secrets disposed of by the customer's ministry, and for maintenance work the
    information system: into ``x.secrets`` and ``x.system``."""
    rng = w.rng
    maintenance = not x.citizen and rng.random() < 0.03
    for k in range(rng.randint(8, 12)):
        sid = f"s_{x.i}_{k}"
        w.emit("secrets", "secret", sid, **_secret_fields(rng, x, k))
        x.secrets.append(sid)
    if maintenance:
        x.system = f"sys_{x.i}"
        w.emit(
            "secrets",
            "secret",
            x.system,
            name=Text(f"Information system of {x.customer}"),
            carrier="information_system",
            stamp="secret",
            account_number=Text(f"IS-{x.i}"),
            disposer=x.ministry.id,
            owner=x.customer if rng.random() < 0.9 else x.ministry.id,
        )
        x.secrets.append(x.system)
    w.all_secrets.extend(x.secrets)


def _secret_fields(rng: random.Random, x: Draft, k: int) -> dict[str, Value | None]:
    """The particulars of secret ``k`` (rarely unstamped, the enterprise's own or incomplete)."""
    i, ministry = x.i, x.ministry
    fields: dict[str, Value | None] = {
        "name": Text(f"Document {k} of work {i}"),
        "carrier": "material" if k == 1 else "document",
        "stamp": rng.choice(("secret", "secret", "top_secret", "special_importance")),
        "account_number": Text(f"{ministry.id.upper()}-{i}/{k}"),
        "copy_number": Text(str(1 + k % 3)),
        "sheets": 5 + (i * 7 + k * 3) % 200,
        "disposer": ministry.id,
    }
    roll = rng.random()
    if roll < 0.005:
        fields["stamp"] = None  # never classified: out of scope
    elif roll < 0.01:
        fields["disposer"] = (
            x.customer if x.customer.startswith("cu_") else ministry.id
        )  # an enterprise's own stamp
    elif roll < 0.013:
        fields["sheets"] = None  # particulars missing: the annex is incomplete
    return fields


def _request_and_answer(w: World, x: Draft, ministries: list[Ministry]) -> dt.date:
    """The request and the ministry's answer (now and then a second, refused one); the day of
    the answer."""
    rng = w.rng
    eid, ministry = x.eid, x.ministry
    received = x.t0 + _days(rng, 1, 3)
    answer_day = received + _days(rng, 3, 14)
    requested = [s for s in x.secrets if s != x.system] + ([x.system] if x.system else [])
    w.emit(
        "requests",
        "request",
        f"rq_{eid}",
        customer=x.customer,
        addressee=ministry.id,
        executor=eid,
        sent=x.t0,
        received=received,
        secrets=requested,
        substantiation=Text(f"Work {x.i} under the state order"),
        **_planned(rng, answer_day),
        permits=[x.permit] if x.permit else None,
        admissions=x.admissions[:1] or None,
    )
    granted = list(requested)
    if rng.random() < 0.2:
        granted.pop(rng.randrange(len(granted)))  # only to the extent necessary
    decision = "granted" if rng.random() < 0.96 else "refused"
    signer = _signer(rng, ministry, answer_day)
    by = ministry.id if rng.random() < 0.99 else rng.choice(ministries).id
    outcome: dict[str, Value] = (
        {"secrets": granted}
        if decision == "granted"
        else {"reasons": [Text("The executor's permit does not cover the work.")]}
    )
    w.emit(
        "requests",
        "answer",
        f"an_{eid}",
        request=f"rq_{eid}",
        by=by,
        decision=decision,
        date=answer_day,
        signed_by=signer,
        executor=_answer_executor(w, x),
        received=answer_day + _days(rng, 1, 6) if rng.random() < 0.25 else None,
        withdrawn=answer_day + _days(rng, 60, 400) if rng.random() < 0.02 else None,
        **outcome,
    )
    if rng.random() < 0.02:  # the body refuses later on the same request (cl. 3.1)
        refused = answer_day + _days(rng, 30, 300)
        w.emit(
            "requests",
            "answer",
            f"anr_{eid}",
            request=f"rq_{eid}",
            by=ministry.id,
            decision="refused",
            date=refused,
            signed_by=ministry.head_on(refused),
            received=refused + _days(rng, 0, 5),
            reasons=[Text("The need for the transfer has lapsed.")],
        )
    if rng.random() < 0.05:
        _refused_request(w, x)
    return answer_day


def _planned(rng: random.Random, answer_day: dt.date) -> dict[str, Value | None]:
    """The planned period of a request (item 4): mostly from the answer for two years; one in
    ten starts a few weeks later, one in ten ends within the year."""
    start = answer_day + (_days(rng, 20, 80) if rng.random() < 0.1 else dt.timedelta(0))
    end = answer_day + (_days(rng, 120, 400) if rng.random() < 0.1 else dt.timedelta(days=720))
    return {"planned_start": start, "planned_end": end}


def _answer_executor(w: World, x: Draft) -> str | None:
    """The executor the answer names: mostly this one; three in ten name none (the request's
    counts); one in a hundred names another executor."""
    roll = w.rng.random()
    if roll < 0.01 and w.executors:
        return w.executors[-1].id
    return None if roll < 0.3 else x.eid


def _signer(rng: random.Random, ministry: Ministry, answer_day: dt.date) -> str:
    """Who signs the answer: mostly the head that day or the deputy acting for him."""
    if ministry.deputy_acts(answer_day) and rng.random() < 0.9:
        signer = ministry.deputy
    else:
        signer = ministry.head_on(answer_day)
    roll = rng.random()
    other = ministry.other_head(answer_day)
    if roll < 0.03:
        signer = ministry.director  # neither the head nor acting for him
    elif roll < 0.05:
        signer = ministry.deputy  # acting for the head only if a window covers the day
    elif roll < 0.08 and other is not None:
        signer = other  # the former head after he left, or his successor before he came
    return signer


def _refused_request(w: World, x: Draft) -> None:
    """A second request, for two of the secrets, refused."""
    eid, ministry = x.eid, x.ministry
    w.emit(
        "requests",
        "request",
        f"rqx_{eid}",
        customer=x.customer,
        addressee=ministry.id,
        executor=eid,
        sent=x.t0 + dt.timedelta(days=40),
        received=x.t0 + dt.timedelta(days=41),
        secrets=x.secrets[:2],
    )
    w.emit(
        "requests",
        "answer",
        f"anx_{eid}",
        request=f"rqx_{eid}",
        by=ministry.id,
        decision="refused",
        date=x.t0 + dt.timedelta(days=50),
        signed_by=ministry.head_on(x.t0 + dt.timedelta(days=50)),
        reasons=[Text("No need to transfer these carriers.")],
    )


def _agreement(w: World, x: Draft, answer_day: dt.date, setting: Setting) -> Contract:
    """The agreement with every clause-6 term (now and then one missing) and its annex."""
    rng = w.rng
    concluded = answer_day + _days(rng, 0, 20)
    if rng.random() < 0.03:
        concluded = answer_day - _days(rng, 1, 10)  # concluded before the permission (cl. 7)
    aid = f"ag_{x.eid}"
    annex = [s for s in x.secrets if s != x.system]
    if rng.random() < 0.3:
        annex.pop(rng.randrange(len(annex)))
    maintenance = x.system is not None
    agreement: dict[str, Value | None] = {
        "customer": x.customer,
        "executor": x.eid,
        "concluded": concluded,
        "subject": "maintenance" if maintenance else "documents",
        "control_terms": Text(CONTROL),
        "financing_terms": Text(FINANCING),
        "permits": [x.permit] if x.permit else None,
        "admissions": x.admissions[:1] or None,
        "annex": None if maintenance else annex,
        "systems": [x.system] if x.system else None,
        "certificate": Text(CERTIFICATE) if maintenance and rng.random() < 0.9 else None,
        "work_city": x.city if rng.random() < 0.7 else None,
        "responsible_division": Text("Department of Special Projects"),
    }
    roll = rng.random()
    if roll < 0.01:
        agreement["financing_terms"] = None
    elif roll < 0.02:
        agreement["responsible_division"] = None
    elif roll < 0.025:
        agreement["permits"] = agreement["admissions"] = None
    _protection(w, x, agreement, concluded, setting)
    w.emit("agreements", "agreement", aid, **agreement)
    return Contract(aid, concluded, annex)


def _protection(
    w: World, x: Draft, agreement: dict[str, Value | None], concluded: dt.date, setting: Setting
) -> None:
    """Who protects the secrets (cl. 8): mostly the executor's own division."""
    rng = w.rng
    roll = rng.random()
    if x.citizen or roll < 0.06:
        agreement["protection_by"] = x.customer  # 8.2, at the customer's premises or city
        if rng.random() < 0.7:
            agreement["at_customer_premises"] = True
        elif rng.random() < 0.5:
            agreement["work_city"] = setting.customer_city[x.customer]
    elif roll < 0.10:
        qp = rng.choice(setting.quasi)  # 8.3
        agreement["protection_by"] = qp
        if rng.random() < 0.9:  # three in ten affiliated only from a day after the agreement
            since = concluded + _days(rng, 0, 200) if rng.random() < 0.3 else None
            w.emit(
                "organizations",
                "affiliation",
                f"aff_{x.eid}",
                affiliate=x.eid,
                subject=qp,
                valid_from=since,
            )
    elif roll < 0.25:
        agreement["protection_by"] = _provider_protects(w, x, concluded, setting.providers)
    else:
        agreement["protection_by"] = x.eid  # 8.1: its own division


def _provider_protects(
    w: World, x: Draft, concluded: dt.date, providers: dict[str, list[Provider]]
) -> str:
    """A services agreement with a provider (8.4), now and then one that does not qualify, and
    the provider's notice to the postal services; the provider."""
    rng = w.rng
    pa = f"pa_{x.eid}"
    bad = rng.random() < 0.12
    home = providers.get(x.city, providers["karaganda"])  # the town has no provider of its own
    pool = home if not bad or rng.random() < 0.6 else providers[rng.choice(CITIES)]
    provider = rng.choice(pool if bad else pool[:2])
    pa_day = concluded - _days(rng, 0, 30)
    w.emit(
        "permits",
        "protection_agreement",
        pa,
        executor=x.eid,
        provider=provider.id,
        concluded=pa_day if rng.random() < 0.98 else None,
    )
    services = (
        ["courier_service", "special_postal_service"]
        if rng.random() < 0.93
        else ["courier_service"]
    )
    w.emit(
        "permits",
        "service_notice",
        f"sn_{x.eid}",
        protection_agreement=pa,
        sender=provider.id,
        services=services,
        date=pa_day + dt.timedelta(days=2),
    )
    if pa_day < PROVIDER_RENEWAL:
        provider.agreements_old.append(pa)
    if pa_day >= PROVIDER_RENEWAL or rng.random() < 0.9:
        provider.agreements_new.append(pa)
    if x.permit and rng.random() < 0.96:
        _permit_lists(w, x.permit, pa)
    return provider.id


def _notice(w: World, x: Draft, contract: Contract) -> None:
    """The notice to the national security department of the executor's city (cl. 3.3)."""
    rng = w.rng
    if rng.random() >= 0.70:
        return
    listed = list(contract.annex) if x.system is None else [x.system]  # a system for maintenance
    if rng.random() < 0.1 and len(listed) > 1:
        listed.pop(rng.randrange(len(listed)))
    authority = x.knb if rng.random() < 0.95 else f"knb_{rng.choice(CITIES)}"
    day = contract.concluded + _days(rng, 0, 15)
    if rng.random() < 0.03:
        day = contract.concluded - _days(rng, 1, 5)
    w.emit(
        "agreements",
        "notice",
        f"nt_{x.eid}",
        customer=x.customer,
        authority=authority,
        date=day,
        agreement=contract.id,
        secrets=listed,
    )


def _control_and_changes(w: World, x: Draft, contract: Contract) -> None:
    """Now and then a violation and suspension, a cancellation or a change (cl. 9, 10)."""
    roll = w.rng.random()
    if roll < 0.06:
        _violation(w, x, contract)
    elif roll < 0.08:
        w.emit(
            "history",
            "cancellation",
            f"ca_{contract.id}",
            target=contract.id,
            date=contract.concluded + _days(w.rng, 30, 400),
            by=x.customer,
        )
    elif roll < 0.10:
        _executor_change(w, x, contract)
    elif roll < 0.13:
        _customer_termination(w, x, contract)


def _violation(w: World, x: Draft, contract: Contract) -> None:
    """A violation found, and the suspension for it (ended, or the violation eliminated, or
    neither)."""
    rng = w.rng
    found = contract.concluded + _days(rng, 20, 300)
    kind = rng.random()
    eliminated = found + _days(rng, 10, 90) if kind >= 0.4 and kind < 0.7 else None
    w.emit(
        "history",
        "violation",
        f"vi_{x.eid}",
        agreement=contract.id,
        date=found,
        description=Text("Carriers kept outside the protected premises."),
        eliminated=eliminated,
    )
    end = found + _days(rng, 10, 60) if kind < 0.4 else None
    w.emit(
        "history",
        "suspension",
        f"su_{x.eid}",
        agreement=contract.id,
        start=found + dt.timedelta(days=1),
        end=end,
        violation=f"vi_{x.eid}",
    )


def _executor_change(w: World, x: Draft, contract: Contract) -> None:
    """A change of the executor (naming the agreement or not), and maybe carriers returned."""
    rng = w.rng
    eid = x.eid
    names = [contract.id] if rng.random() < 0.5 else None
    day = contract.concluded + _days(rng, 30, 400)
    w.emit(
        "history",
        "change",
        f"ch_{eid}",
        party=eid,
        change_kind=rng.choice(("liquidation", "ownership", "functions")),
        date=day,
        agreements=names,
    )
    if rng.random() < 0.5:  # some of the carriers come back (cl. 10)
        w.emit(
            "history",
            "secret_return",
            f"ret_{eid}",
            executor=eid,
            customer=x.customer,
            secrets=contract.annex[:1] or x.secrets[:1],
            date=day + _days(rng, 1, 30),
            agreement=contract.id,
        )


def _customer_termination(w: World, x: Draft, contract: Contract) -> None:
    """The customer terminates the work under the agreement, tells the national security
    department, and (an enterprise) assigns the agreement to its ministry."""
    rng = w.rng
    eid, customer = x.eid, x.customer
    day = contract.concluded + _days(rng, 30, 400)
    w.emit(
        "history",
        "change",
        f"ch_{eid}",
        party=customer,
        change_kind="termination",
        date=day,
        agreements=[contract.id],
    )
    w.emit(
        "history",
        "change_notice",
        f"cn_{eid}",
        change=f"ch_{eid}",
        sender=customer,
        recipient=x.knb,
        date=day + _days(rng, 1, 20),
    )
    if customer.startswith("min_"):
        return
    if rng.random() < 0.85:  # the disposing ministry told too (cl. 10)
        w.emit(
            "history",
            "change_notice",
            f"cnb_{eid}",
            change=f"ch_{eid}",
            sender=customer,
            recipient=x.ministry.id,
            date=day + _days(rng, 1, 20),
        )
    w.emit(
        "history",
        "addendum",
        f"add_{eid}",
        agreement=contract.id,
        date=day + _days(rng, 1, 20),
        assignee=x.ministry.id,
        change=f"ch_{eid}",
    )
    x.assignee = x.ministry.id


def _added_secret(w: World, x: Draft, contract: Contract) -> None:
    """A secret added to the annex later: a second request granted, an addendum listing it
    (one in five before the permission was received) and a notice of it."""
    rng = w.rng
    eid, ministry = x.eid, x.ministry
    sid = f"s_{x.i}_add"
    w.emit("secrets", "secret", sid, **_secret_fields(rng, x, 99))
    sent = contract.concluded + _days(rng, 20, 100)
    granted = sent + _days(rng, 3, 10)
    w.emit(
        "requests",
        "request",
        f"rq2_{eid}",
        customer=x.customer,
        addressee=ministry.id,
        executor=eid,
        sent=sent,
        secrets=[sid],
        planned_start=granted,
        planned_end=granted + dt.timedelta(days=720),
    )
    w.emit(
        "requests",
        "answer",
        f"an2_{eid}",
        request=f"rq2_{eid}",
        by=ministry.id,
        decision="granted",
        date=granted,
        signed_by=ministry.head_on(granted),
        executor=eid,
        secrets=[sid],
    )
    added = granted + (_days(rng, 1, 30) if rng.random() < 0.8 else -_days(rng, 1, 10))
    w.emit("agreements", "addendum", f"adx_{eid}", agreement=contract.id, date=added, secrets=[sid])
    w.emit(
        "agreements",
        "notice",
        f"nt2_{eid}",
        customer=x.customer,
        authority=x.knb,
        date=max(added, granted) + _days(rng, 0, 10),
        agreement=contract.id,
        secrets=[sid],
    )
    x.secrets.append(sid)
    w.all_secrets.append(sid)


def _audited_transfer(w: World, x: Draft, contract: Contract) -> None:
    """Now and then a transfer that took place (audited, not a condition)."""
    if w.rng.random() < 0.2 and contract.annex:
        w.emit(
            "history",
            "transfer",
            f"t_{x.eid}",
            customer=x.customer,
            executor=x.eid,
            secrets=contract.annex[:2],
            date=contract.concluded + _days(w.rng, 5, 60),
            agreement=contract.id,
            recipient=x.eid if x.citizen else x.officials[0],
        )


def _permit_lists(w: World, permit: str, pa: str) -> None:
    """Add ``pa`` to the executor's own permit, already written as a line of permits.yaml."""
    lines = w.files["permits"]
    for index in range(len(lines) - 1, -1, -1):
        if f"id: {permit}," in lines[index]:
            lines[index] = lines[index][:-2] + f", protection_agreements: [{pa}]}}\n"
            return
    raise AssertionError(f"permit {permit} not written")


# ---- questions ------------------------------------------------------------------------


def candidate_questions(w: World, rng: random.Random) -> Iterable[tuple[str, str, str, dt.date]]:
    """Endless plausible questions: mostly an executor's own customer and secrets."""
    while True:
        info = rng.choice(w.executors)
        customer = info.customer if rng.random() < 0.95 else rng.choice(w.customers)
        if info.assignee is not None and rng.random() < 0.5:
            customer = info.assignee
        secret = rng.choice(info.secrets) if rng.random() < 0.95 else rng.choice(w.all_secrets)
        day = info.start + _days(rng, -60, 540)
        yield customer, info.id, secret, day


class Question(TypedDict):
    """One question as ``questions.json`` holds it, with its label."""

    customer: str
    executor: str
    secret: str
    on: str  # ISO date
    allowed: bool


def choose_questions(
    w: World,
    decide: Callable[[str, str, str, dt.date], object],
    count: int,
    rng: random.Random,
) -> list[Question]:
    """``count`` distinct questions, half allowed and half refused by ``decide``."""
    want = {True: count // 2, False: count - count // 2}
    chosen: list[Question] = []
    seen: set[tuple[str, str, str, dt.date]] = set()
    tries = 0
    for question in candidate_questions(w, rng):
        tries += 1
        if tries > count * 200:
            break
        if question in seen:
            continue
        seen.add(question)
        verdict = bool(decide(*question))
        if want[verdict] > 0:
            want[verdict] -= 1
            c, e, s, d = question
            chosen.append(
                {"customer": c, "executor": e, "secret": s, "on": d.isoformat(), "allowed": verdict}
            )
            if not any(want.values()):
                break
    rng.shuffle(chosen)
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executors", type=int, default=10000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument(
        "--policies", type=Path, default=Path(__file__).resolve().parent.parent / "policies"
    )
    parser.add_argument(
        "--no-verify", action="store_true", help="do not ask policyeval to confirm the labels"
    )
    args = parser.parse_args(argv)
    build_world(
        args.executors,
        args.out,
        args.seed,
        args.questions,
        args.policies,
        verify=not args.no_verify,
    )
    return 0


def build_world(
    executors: int,
    out: Path,
    seed: int = 1,
    questions: int = 1000,
    policies: Path | None = None,
    *,
    verify: bool = True,
    say: Callable[[str], object] = print,
) -> dict[str, object]:
    """Generate, write, load back, choose balanced questions; returns a summary."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from floor import Floor, fact_rows

    from policyeval.decree743 import BUILTINS, VOCABULARY
    from policyeval.facts.loader import load_fact_files

    start = time.perf_counter()
    world = generate(executors, seed)
    world.write(out / "facts")
    written = time.perf_counter() - start
    say(
        f"generated {world.records} records for {executors} executors in {written:.1f} s"
        f" -> {out / 'facts'}"
    )
    start = time.perf_counter()
    fact_base = load_fact_files([out / "facts"], VOCABULARY)
    say(
        f"loaded back with load_fact_files: {len(fact_base.facts)} facts"
        f" in {time.perf_counter() - start:.1f} s"
    )
    floor = Floor(fact_rows(fact_base))
    chosen = choose_questions(world, floor.allowed, questions, random.Random(seed + 1))
    summary: dict[str, object] = {
        "generator": GENERATOR,
        "executors": executors,
        "seed": seed,
        "records": world.records,
        "facts": len(fact_base.facts),
        "dated_facts": dated_facts([*fact_base.facts, *fact_base.computed_facts()]),
        "questions": len(chosen),
        "disagreements": [],
    }
    if verify:
        from policyeval.evaluator import Evaluator, build_knowledge_base
        from policyeval.loading import load_rules

        rules = load_rules(policies or Path(__file__).resolve().parent.parent / "policies")
        # The labels come from the rules evaluated as written (no tables): the straightforward
        # evaluation, which the tabled one is checked against; answers are the same either way.
        if _has_materialize(build_knowledge_base):
            knowledge_base = build_knowledge_base(
                rules.rules, fact_base.store(), builtins=BUILTINS, materialize=False
            )
        else:
            knowledge_base = build_knowledge_base(rules.rules, fact_base.store(), builtins=BUILTINS)
        evaluator = Evaluator(knowledge_base)
        disagreements: list[dict[str, object]] = []
        for q in chosen:
            day = dt.date.fromisoformat(q["on"])
            verdict = bool(
                evaluator.ask("transfer_allowed", [q["customer"], q["executor"], q["secret"], day])
            )
            if verdict != q["allowed"]:
                disagreements.append({**q, "policyeval": verdict})
                q["allowed"] = verdict
        summary["disagreements"] = disagreements
        if disagreements:
            say(
                f"WARNING: the floor check disagrees with policyeval on {len(disagreements)}"
                " questions:"
            )
            for d in disagreements[:20]:
                say(f"  {d}")
    allowed = sum(1 for q in chosen if q["allowed"])
    summary["allowed"] = allowed
    (out / "questions.json").write_text(json.dumps(chosen, indent=0) + "\n", encoding="utf-8")
    (out / "world.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    say(
        f"{len(chosen)} questions ({allowed} allowed, {len(chosen) - allowed} refused)"
        f" -> {out / 'questions.json'}"
    )
    return summary


def dated_facts(facts: Iterable[BaseFact]) -> dict[str, int]:
    """Per dated predicate, how many facts hold over a bounded period (not every day)."""
    from floor import DATED

    from policyeval.engine.store import ALWAYS

    counts: dict[str, int] = {}
    for fact in facts:
        if fact.predicate in DATED and tuple(fact.args[-2:]) != ALWAYS:
            counts[fact.predicate] = counts.get(fact.predicate, 0) + 1
    return dict(sorted(counts.items()))


def _has_materialize(function: Callable[..., object]) -> bool:
    import inspect

    return "materialize" in inspect.signature(function).parameters


if __name__ == "__main__":
    raise SystemExit(main())
