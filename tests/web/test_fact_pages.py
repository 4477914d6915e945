"""The fact pages and the scenarios page over the bundled world: what each shows is read back
from the records themselves."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from paths import FACTS, SCENARIOS
from policyeval import VOCABULARY, FactBase, FactRecord, load_fact_files
from policyeval.decree743.vocabulary import Organization, Ownership
from policyeval.service import Settings, create_app
from policyeval.service.web import fact_views
from policyeval.service.web.fact_index import build, is_indexed
from policyeval.service.web.ownership import owners
from policyeval.service.web.scenario_runs import scenario_runs
from web_session import Pages, bundled_settings, sign_in

# -- reading a page ---------------------------------------------------------------------------


class Cell:
    def __init__(self) -> None:
        self.text = ""
        self.links: list[str] = []


class Tables(HTMLParser):
    """The tables of a page, each under the id of the heading before it; each row's cells
    (text and links) and the row's own id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[tuple[str | None, list[Cell]]]] = {}
        self.heading: str | None = None
        self.rows: list[tuple[str | None, list[Cell]]] | None = None
        self.cell: Cell | None = None
        self.head = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("h2", "h3") and found.get("id"):
            self.heading = found["id"]
        elif tag == "table":
            self.rows = self.tables.setdefault(self.heading or "", [])
        elif tag == "thead":
            self.head = True
        elif tag == "tr" and self.rows is not None and not self.head:
            self.rows.append((found.get("id"), []))
        elif tag in ("td", "th") and self.rows and not self.head:
            self.cell = Cell()
            self.rows[-1][1].append(self.cell)
        elif tag == "a" and self.cell is not None and found.get("href"):
            self.cell.links.append(str(found["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.rows = None
        elif tag == "thead":
            self.head = False
        elif tag in ("td", "th"):
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.text = " ".join((self.cell.text + " " + data).split())

    def body(self, heading: str) -> list[list[Cell]]:
        """The rows of the table under ``heading`` (not its header)."""
        return [cells for _, cells in self.tables[heading]]


def rows(client: TestClient, url: str, heading: str) -> list[list[Cell]]:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    return Tables(answer.text).body(heading)


def first_ids(table: list[list[Cell]]) -> list[str]:
    """The first cell's text of each row: the record id of a table of records."""
    return [cells[0].text for cells in table]


# -- the records --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def facts() -> FactBase:
    return load_fact_files([FACTS], VOCABULARY)


def records(facts: FactBase, kind: str) -> list[FactRecord]:
    return list(facts.records[kind].values())


def ids_naming(facts: FactBase, kind: str, target: str, *fields: str) -> set[str]:
    return {r.id for r in records(facts, kind) if any(target in values(r, f) for f in fields)}


def values(record: FactRecord, field: str) -> list[str]:
    """A field's ids: a plain value, a list, or a dated field's values."""
    value = getattr(record, field, None)
    items = value if isinstance(value, list) else [value]
    return [str(getattr(item, "value", item)) for item in items if item is not None]


def line_of(file: Path, record_id: str) -> int:
    """The line where the record ``record_id`` starts (its ``- kind:`` line)."""
    lines = file.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.strip() == f"id: {record_id}") - 1


# -- organizations --------------------------------------------------------------------------


def test_an_organization_shows_its_owners_up_the_chain_with_each_share(
    pages: Pages, facts: FactBase
) -> None:
    shares = [s for s in records(facts, "ownership") if isinstance(s, Ownership)]
    direct = {s.owner: s.percent for s in shares if s.owned == "steppe_systems"}
    holding = max(direct, key=lambda owner: direct[owner])  # altyn_invest, itself owned
    above = {s.owner: s.percent for s in shares if s.owned == holding}
    assert above, "the test needs an owner that is itself owned"

    table = rows(pages(roles=("auditor",)), "/organizations/steppe_systems", "owners")
    shown = {(cells[0].text, cells[1].text.split()[-1], cells[3].text): cells for cells in table}
    for owner, percent in direct.items():
        cells = shown[("1", owner, "steppe_systems")]
        assert cells[2].text == f"{format(percent.normalize(), 'f')} %"
    for owner, percent in above.items():
        cells = shown[("2", owner, holding)]
        assert cells[2].text == f"{format(percent.normalize(), 'f')} %"
        through = (direct[holding] * percent / 100).normalize()
        assert cells[5].text.startswith(f"{format(through, 'f')} %")
        kind = "organization" if owner in facts.records["organization"] else "person"
        page = f"/organizations/{owner}" if kind == "organization" else f"/records/person/{owner}"
        assert cells[1].links == [page]
    assert len(table) == len(direct) + len(above)


def test_an_owner_whose_share_changed_is_shown_with_each_period(pages: Pages) -> None:
    table = rows(pages(roles=("officer",)), "/organizations/nurtech", "owners")
    li = [(cells[2].text, cells[4].text) for cells in table if cells[1].text.endswith("li_v")]
    assert li == [("40 %", "until 2026-03-31"), ("30 %", "from 2026-04-01")]
    caspian = next(cells for cells in table if cells[1].text.endswith("caspian_ventures"))
    assert (caspian[2].text, caspian[4].text) == ("10 %", "from 2026-04-01")
    assert "/records/ownership/own_nurtech_caspian" in caspian[6].links


def test_a_ring_of_holders_is_shown_once_and_not_followed(tmp_path: Path) -> None:
    (tmp_path / "ring.yaml").write_text(
        """
- {kind: organization, id: held, name: Held, org_kind: commercial}
- {kind: organization, id: one, name: One, org_kind: state_organization}
- {kind: organization, id: two, name: Two, org_kind: state_organization}
- {kind: ownership, id: o1, owner: one, owned: held, percent: 100}
- {kind: ownership, id: o2, owner: two, owned: one, percent: 100, valid_to: 2025-12-31}
- {kind: ownership, id: o3, owner: one, owned: two, percent: 50, valid_from: 2026-01-01}
""",
        encoding="utf-8",
    )
    chain = owners(build(load_fact_files([tmp_path], VOCABULARY)), "held")
    assert [(h.depth, h.owner, h.owned, h.ring) for h in chain] == [
        (1, "one", "held", False),
        (2, "two", "one", False),
        (3, "one", "two", True),
    ]
    assert chain[1].through == "100" and chain[1].through_end == "2025-12-31"
    assert chain[2].through is None  # held until 2025 one way, from 2026 the other: never both


def test_an_organization_shows_its_permits_its_peoples_admissions_and_its_agreements(
    pages: Pages, facts: FactBase
) -> None:
    client = pages(roles=("lawyer",))
    url = "/organizations/nurtech"
    people = ids_naming(facts, "person", "nurtech", "works_at")
    admissions = {a.id for a in records(facts, "admission") if values(a, "person")[0] in people}
    assert admissions, "the test needs an admission of someone working at NurTech"
    expected = {
        "permits": ids_naming(facts, "permit", "nurtech", "holder"),
        "people_admissions": admissions,
        "agreements": ids_naming(facts, "agreement", "nurtech", "customer", "executor"),
        "requests": ids_naming(facts, "request", "nurtech", "customer", "addressee", "executor"),
        "transfers": ids_naming(facts, "transfer", "nurtech", "customer", "executor"),
    }
    for heading, ids in expected.items():
        assert set(first_ids(rows(client, url, heading))) == ids, heading
    permit = rows(client, url, "permits")[0]
    assert permit[0].links == [f"/records/permit/{permit[0].text}"]
    assert any(link.startswith("/source/facts/permits.yaml#L") for link in permit[-1].links)


def test_a_record_page_links_its_references_and_its_source_line(pages: Pages) -> None:
    answer = pages(roles=("auditor",)).get("/records/ownership/own_steppe_altyn")
    assert answer.status_code == 200
    assert 'href="/organizations/altyn_invest"' in answer.text
    assert 'href="/organizations/steppe_systems"' in answer.text
    line = line_of(FACTS / "organizations.yaml", "own_steppe_altyn")
    assert f'href="/source/facts/organizations.yaml#L{line}"' in answer.text


def test_an_organization_or_a_secret_asked_as_a_record_goes_to_its_own_page(pages: Pages) -> None:
    client = pages(roles=("auditor",))
    assert (
        client.get("/records/organization/nurtech").headers["location"] == "/organizations/nurtech"
    )
    assert client.get("/records/secret/doc_1").headers["location"] == "/secrets/doc_1"


# -- secrets --------------------------------------------------------------------------------


def test_a_secret_shows_where_it_was_permitted_agreed_and_transferred(
    pages: Pages, facts: FactBase
) -> None:
    client = pages(roles=("officer",))
    expected = {
        "answers": ids_naming(facts, "answer", "doc_1", "secrets"),
        "requests": ids_naming(facts, "request", "doc_1", "secrets"),
        "agreements": ids_naming(facts, "agreement", "doc_1", "annex", "systems"),
        "transfers": ids_naming(facts, "transfer", "doc_1", "secrets"),
    }
    assert all(expected.values()), "the test needs doc_1 permitted, agreed and transferred"
    for heading, ids in expected.items():
        assert set(first_ids(rows(client, "/secrets/doc_1", heading))) == ids, heading
    answer = client.get("/secrets/doc_1")
    disposer = values(facts.records["secret"]["doc_1"], "disposer")[0]
    assert f'href="/organizations/{disposer}"' in answer.text


# -- lists ----------------------------------------------------------------------------------


def test_the_organizations_list_pages_through_every_organization_once(
    pages: Pages, facts: FactBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fact_views, "PAGE_SIZE", 5)
    client = pages(roles=("auditor",))
    everyone = set(facts.records["organization"])
    pages_count = -(-len(everyone) // 5)
    assert pages_count >= 3, "the test needs three pages at least"
    seen: list[str] = []
    for number in range(1, pages_count + 1):
        answer = client.get(f"/organizations?page={number}")
        assert f"Page {number} of {pages_count}" in answer.text
        seen += [cells[1].text for cells in Tables(answer.text).body("")]
    assert sorted(seen) == sorted(everyone)
    second = client.get("/organizations?page=2").text
    assert 'rel="prev" href="/organizations?page=1"' in second
    assert 'rel="next" href="/organizations?page=3"' in second


def test_a_search_finds_the_organizations_of_a_city_and_the_secrets_of_a_stamp(
    pages: Pages, facts: FactBase
) -> None:
    client = pages(roles=("lawyer",))
    organizations = [o for o in records(facts, "organization") if isinstance(o, Organization)]
    in_almaty = {
        o.id
        for o in organizations
        if "almaty" in " ".join([o.id, o.name.lower(), *values(o, "city"), *values(o, "org_kind")])
    }
    assert in_almaty, "the test needs organizations in Almaty"
    found = Tables(client.get("/organizations?q=Almaty").text).body("")
    assert {cells[1].text for cells in found} == in_almaty
    top = {s.id for s in records(facts, "secret") if values(s, "stamp") == ["top_secret"]}
    found = Tables(client.get("/secrets?q=top_secret").text).body("")
    assert {cells[1].text for cells in found} == top
    assert Tables(client.get("/secrets?q=nothing+like+this").text).tables == {}


def test_an_unknown_record_is_a_not_found_page(pages: Pages) -> None:
    client = pages(roles=("auditor",))
    for url in (
        "/organizations/nowhere",
        "/secrets/nurtech",  # an organization, not a secret
        "/records/permit/nowhere",
        "/records/no_such_kind/doc_1",
    ):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert "text/html" in answer.headers["content-type"]
        assert "in the facts served" in answer.text


def test_the_fact_pages_need_a_session(anonymous: TestClient) -> None:
    answer = anonymous.get("/organizations/nurtech")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/signin")


# -- scenarios ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clause_8_app(
    world_app: FastAPI, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[FastAPI, Settings, list[str]]]:
    """The service over the bundled rules and facts, its scenarios those of clause 8 only
    (a run of all of them takes a while), copied into a checkout-like directory whose
    ``facts`` is the bundled world."""
    entry = world_app.state.service.snapshot.clause("8")
    top = tmp_path_factory.mktemp("clause8")
    (top / "facts").symlink_to(FACTS, target_is_directory=True)
    scenarios = top / "tests" / "scenarios"
    scenarios.mkdir(parents=True)
    for file in entry.scenarios:
        shutil.copy(SCENARIOS / file, scenarios / file)
    var = top / "var"
    settings = bundled_settings(var, scenarios)
    app = create_app(settings)
    with TestClient(app):
        yield app, settings, list(entry.scenarios)


def test_the_scenarios_of_clause_8_pass_after_a_run_by_name_with_their_anchors(
    clause_8_app: tuple[FastAPI, Settings, list[str]],
) -> None:
    app, settings, files = clause_8_app
    lawyer = sign_in(app, settings, ["lawyer"], name="lawyer")
    before = scenario_rows(lawyer.get("/scenarios").text, "clause-8")
    assert set(before) == set(files)
    assert all(cells[-1].text == "not run" for cells in before.values())

    answer = lawyer.post("/scenarios", data={"wait": "true"})
    assert (answer.status_code, answer.headers["location"]) == (303, "/scenarios")
    run = scenario_runs(app).last(app.state.service.snapshot.policy_version)
    assert run is not None and run.done.is_set() and not run.error

    html = lawyer.get("/scenarios").text
    after = scenario_rows(html, "clause-8")
    names = {Path(result.file).name: result.name for result in run.results}
    assert set(after) == set(files) == set(names)
    for file, cells in after.items():
        assert cells[0].text == names[file]
        assert cells[-1].text == "✓ passed"
        assert cells[1].links == [f"/source/scenarios/{file}"]
        assert html.count(f'<tr id="{file}">') == 1  # where /clauses/8 links: /scenarios#<file>


def scenario_rows(html: str, heading: str) -> dict[str, list[Cell]]:
    """The rows of the scenarios page under ``heading``, by file (shown under its root)."""
    table = Tables(html).tables[heading]
    return {cells[1].text.removeprefix("scenarios/"): cells for _, cells in table}


def test_every_role_reads_the_scenarios_but_only_lawyers_run_them(
    clause_8_app: tuple[FastAPI, Settings, list[str]],
) -> None:
    app, settings, _ = clause_8_app
    auditor = sign_in(app, settings, ["auditor"], name="auditor")
    page = auditor.get("/scenarios")
    assert page.status_code == 200
    assert 'action="/scenarios"' not in page.text
    assert auditor.post("/scenarios", data={"wait": "true"}).status_code == 403


def test_the_fact_index_is_built_when_a_snapshot_is_served_not_at_the_first_page(
    world_app: FastAPI, world_settings: Settings
) -> None:
    state = world_app.state.service
    for thread in state.warming:
        thread.join()
    assert is_indexed(state.snapshot, world_settings.facts)
    assert not is_indexed(state.snapshot, world_settings.facts.parent)  # another key: not built
