"""The decision log's pages and the administration page, over the bundled world.

Decisions are asked through the API, as an officer would, by an asker named for this module
alone: the log is shared by every test of the session, and each list here is narrowed to it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import sys
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from policyeval import CredentialStore
from policyeval.service import Settings
from web_session import Pages

X, Y = "kazspecmash", "zertteu_institute"
ON = "2026-03-10"
WHAT_IF_ORG = {"kind": "organization", "id": "whatif_org", "name": "W", "org_kind": "commercial"}
LISTED = re.compile(r'<a href="/decisions/([0-9a-f]{32})">')


@dataclass(frozen=True)
class Logged:
    """The decisions this module asked: their asker, and each one's id."""

    asker: str
    allowed: str  # X to nurtech, allowed
    refused: str  # X to bereke_systems, refused
    what_if: str  # X to nurtech with an assumed record: a what-if
    other: str  # Y's, refused


def ask(
    api: TestClient,
    customer: str,
    executor: str,
    secret: str,
    explain: str = "reasons",
    **extra: Any,
) -> str:
    """The id of the decision asked (and logged, with its reasons, unless ``explain=none``)."""
    body = {"customer": customer, "executor": executor, "secrets": [secret], "on": ON, **extra}
    answer = api.post("/v1/decisions/transfer", json=body, params={"explain": explain})
    assert answer.status_code == 200, answer.text
    decision_id: str = answer.json()["decision_id"]
    return decision_id


def api_client(app: FastAPI, settings: Settings, name: str) -> TestClient:
    """The API, as an officer (and lawyer, for what-ifs) of every customer named ``name``."""
    _, token = CredentialStore(settings.credentials).create(name, ["officer", "lawyer"], ["*"])
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture(scope="module")
def logged(world_app: FastAPI, world_settings: Settings) -> Logged:
    asker = f"pages-{uuid.uuid4().hex[:8]}"
    api = api_client(world_app, world_settings, asker)
    return Logged(
        asker=asker,
        allowed=ask(api, X, "nurtech", "doc_1"),
        refused=ask(api, X, "bereke_systems", "doc_9"),
        what_if=ask(api, X, "nurtech", "doc_1", assume=[WHAT_IF_ORG]),
        other=ask(api, Y, "nurtech", "doc_1"),
    )


def listed(page: str) -> list[str]:
    """The ids of the decisions a log page lists, in its order."""
    return LISTED.findall(page)


# -- the log ----------------------------------------------------------------------------------


def test_an_officer_sees_its_customers_decisions_only(pages: Pages, logged: Logged) -> None:
    officer = pages(roles=("officer",), customers=(X,))
    answer = officer.get("/decisions", params={"asked_by": logged.asker})
    assert answer.status_code == 200
    assert listed(answer.text) == [logged.refused, logged.allowed]  # newest first, no what-if
    assert officer.get("/decisions", params={"customer": Y}).status_code == 403


def test_an_officer_of_several_customers_chooses_one(pages: Pages, logged: Logged) -> None:
    officer = pages(roles=("officer",), customers=(X, Y))
    unnamed = officer.get("/decisions", params={"asked_by": logged.asker})
    assert "Choose one of your customers" in unnamed.text and listed(unnamed.text) == []
    assert f'<option value="{Y}">' in unnamed.text
    named = officer.get("/decisions", params={"asked_by": logged.asker, "customer": Y})
    assert listed(named.text) == [logged.other]


def test_an_auditor_sees_every_customer_and_the_filters_narrow(
    pages: Pages, logged: Logged
) -> None:
    auditor = pages(roles=("auditor",))

    def ids(**filters: str) -> list[str]:
        answer = auditor.get("/decisions", params={"asked_by": logged.asker, **filters})
        assert answer.status_code == 200
        return listed(answer.text)

    assert ids() == [logged.other, logged.refused, logged.allowed]
    assert ids(decision="refused") == [logged.other, logged.refused]
    assert ids(executor="nurtech") == [logged.other, logged.allowed]
    assert ids(customer=X, decision="allowed") == [logged.allowed]
    assert ids(hypothetical="true") == [logged.what_if]
    assert ids(hypothetical="any") == [logged.other, logged.what_if, logged.refused, logged.allowed]
    assert ids(on_from="2026-03-11") == [] and len(ids(on_from=ON, on_to=ON)) == 3


def test_a_row_names_who_asked_what_and_the_answer(pages: Pages, logged: Logged) -> None:
    page = pages(roles=("auditor",)).get(
        "/decisions", params={"asked_by": logged.asker, "hypothetical": "true"}
    )
    row = page.text.split(f'href="/decisions/{logged.what_if}"')[1].split("</tr>")[0]
    assert logged.asker in row and "2026-03-10" in row
    assert 'href="/organizations/kazspecmash"' in row and 'href="/organizations/nurtech"' in row
    assert 'href="/secrets/doc_1"' in row
    assert "✓ allowed" in row and "what-if" in row


def test_a_bad_filter_is_named_on_the_form(pages: Pages) -> None:
    answer = pages(roles=("auditor",)).get("/decisions", params={"on_from": "someday"})
    assert answer.status_code == 200
    assert "Transfer date from:" in answer.text and 'value="someday"' in answer.text
    assert listed(answer.text) == []


def test_a_full_page_links_the_next_which_holds_the_rest(
    pages: Pages, world_app: FastAPI, world_settings: Settings
) -> None:
    asker = f"pager-{uuid.uuid4().hex[:8]}"
    api = api_client(world_app, world_settings, asker)
    asked = [ask(api, X, "nurtech", "doc_1", explain="none") for _ in range(51)]
    auditor = pages(roles=("auditor",))
    first = auditor.get("/decisions", params={"asked_by": asker})
    assert listed(first.text) == asked[:0:-1]  # the 50 newest, newest first
    following = re.search(r'<a rel="next" href="([^"]+)"', first.text)
    assert following is not None
    second = auditor.get(following.group(1).replace("&amp;", "&"))
    assert listed(second.text) == [asked[0]]
    assert 'rel="next"' not in second.text and f"/decisions?asked_by={asker}" in second.text


def test_a_lawyer_reads_no_decision(pages: Pages, logged: Logged) -> None:
    lawyer = pages(roles=("lawyer",))
    for path in (
        "/decisions",
        f"/decisions/{logged.allowed}",
        f"/decisions/{logged.allowed}/report",
    ):
        answer = lawyer.get(path)
        assert answer.status_code == 403 and "text/html" in answer.headers["content-type"]


# -- one decision -----------------------------------------------------------------------------


def test_a_decision_page_names_the_asker_its_place_and_its_report(
    pages: Pages, logged: Logged, world_app: FastAPI
) -> None:
    record = world_app.state.service.decision_log.get(logged.refused)
    answer = pages(roles=("officer",), customers=(X,)).get(f"/decisions/{logged.refused}")
    assert answer.status_code == 200
    text = answer.text
    assert logged.asker in text and record.entry_hash in text and f"entry {record.seq}" in text
    assert record.policy_version in text and record.facts_version in text
    assert f'href="/decisions/{logged.refused}/report"' in text
    assert f'href="/decisions/{logged.refused}/report?format=pdf"' in text
    assert "✗ refused" in text


def test_a_decision_page_shows_the_decision_with_its_reasons(
    pages: Pages, logged: Logged, world_app: FastAPI
) -> None:
    reasons = world_app.state.service.decision_log.get(logged.refused).detail["reasons"]
    text = pages(roles=("auditor",)).get(f"/decisions/{logged.refused}").text
    shown = html.unescape(text.split("The decision</h2>")[1])
    assert reasons and all(r["rule"] in shown and r["text"] in shown for r in reasons)


def test_a_what_if_says_so(pages: Pages, logged: Logged) -> None:
    text = pages(roles=("auditor",)).get(f"/decisions/{logged.what_if}").text
    assert "yes: decided with" in text and "what-if" in text


def test_another_customers_decision_is_forbidden_to_an_officer(
    pages: Pages, logged: Logged
) -> None:
    officer = pages(roles=("officer",), customers=(X,))
    for path in (f"/decisions/{logged.other}", f"/decisions/{logged.other}/report"):
        answer = officer.get(path)
        assert answer.status_code == 403 and "does not act for the customer" in answer.text


def test_an_unknown_decision_is_a_404_page(pages: Pages) -> None:
    answer = pages(roles=("auditor",)).get("/decisions/nothere")
    assert answer.status_code == 404 and "text/html" in answer.headers["content-type"]


# -- its report -------------------------------------------------------------------------------


def test_the_report_is_its_own_page_with_its_style_allowed_by_hash(
    pages: Pages, logged: Logged
) -> None:
    answer = pages(roles=("auditor",)).get(f"/decisions/{logged.refused}/report")
    assert answer.status_code == 200 and answer.text.startswith("<!DOCTYPE html>")
    assert "decision report" in answer.text and logged.asker in answer.text
    css = re.findall(r"<style>(.*?)</style>", answer.text, flags=re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(css[0].encode()).digest()).decode()
    policy = answer.headers["content-security-policy"]
    assert len(css) == 1 and f"style-src 'self' 'sha256-{digest}';" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert answer.headers["cache-control"] == "no-store"


def test_the_report_as_pdf(pages: Pages, logged: Logged) -> None:
    answer = pages(roles=("officer",), customers=(X,)).get(
        f"/decisions/{logged.allowed}/report", params={"format": "pdf"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")


def test_without_weasyprint_the_pdf_is_a_503_page(
    pages: Pages, logged: Logged, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # importing it raises ImportError
    answer = pages(roles=("auditor",)).get(
        f"/decisions/{logged.allowed}/report", params={"format": "pdf"}
    )
    assert answer.status_code == 503 and "WeasyPrint" in answer.text
    assert "text/html" in answer.headers["content-type"]


# -- administration ---------------------------------------------------------------------------


def test_only_an_admin_administers(pages: Pages) -> None:
    for roles in (("auditor",), ("lawyer",), ("officer",)):
        client = pages(roles=roles, customers=(X,))
        assert client.get("/admin").status_code == 403
        assert client.post("/admin/reload").status_code == 403
        assert (
            client.post("/admin/credentials", data={"name": "x", "roles": "admin"}).status_code
            == 403
        )


def test_an_admin_reloads_and_sees_the_load_finish(pages: Pages, world_app: FastAPI) -> None:
    admin = pages(roles=("admin",))
    page = admin.get("/admin")
    snapshot = world_app.state.service.snapshot
    assert snapshot.policy_version in page.text and snapshot.facts_version in page.text
    assert f"<dd>{len(snapshot.knowledge_base.facts)}</dd>" in page.text
    started = admin.post("/admin/reload")
    assert started.status_code == 303
    load_id = re.fullmatch(r"/admin\?load=([0-9a-f]+)", started.headers["location"])
    assert load_id is not None
    job = world_app.state.service.loader.job(load_id.group(1))
    assert job.done.wait(timeout=300), "the load did not finish"
    finished = admin.get("/admin", params={"load": job.id})
    assert job.state == "done" and "✓ done" in finished.text
    assert job.served.policy_version in finished.text
    assert admin.get("/admin", params={"load": "nothere"}).status_code == 404


def test_an_admin_makes_a_key_shown_once_and_revokes_it(
    pages: Pages, world_settings: Settings
) -> None:
    admin = pages(roles=("admin",))
    name = f"made-{uuid.uuid4().hex[:8]}"
    form = {"name": name, "roles": ["officer", "auditor"], "customers": f"{X}, {Y}"}
    made = admin.post("/admin/credentials", data=form)
    assert made.status_code == 200
    token = re.search(r"pe_[0-9a-f]+_[A-Za-z0-9_-]+", made.text)
    assert token is not None
    store = CredentialStore(world_settings.credentials)
    principal = store.authenticate(token.group(0))
    assert principal.name == name and principal.roles == {"officer", "auditor"}
    assert principal.customers == {X, Y}
    record = next(k for k in store.list() if k.name == name)
    listing = admin.get("/admin").text
    assert record.id in listing and name in listing
    assert token.group(0) not in listing and record.sha256 not in listing  # shown once, no hash
    forged = admin.post(
        f"/admin/credentials/{record.id}/revoke", headers={"Origin": "https://evil.example"}
    )
    assert forged.status_code == 403 and store.principal_of(record.id).name == name
    revoked = admin.post(f"/admin/credentials/{record.id}/revoke")
    assert revoked.status_code == 303
    notice = admin.get(revoked.headers["location"]).text
    assert f"The key {record.id} ({name}) is revoked." in notice
    assert next(k for k in store.list() if k.id == record.id).revoked is not None
    assert admin.post("/admin/credentials/nothere/revoke").status_code == 404


def test_a_key_without_what_it_needs_comes_back_with_the_problem(pages: Pages) -> None:
    admin = pages(roles=("admin",))
    nameless = admin.post("/admin/credentials", data={"name": " ", "roles": ["lawyer"]})
    assert nameless.status_code == 422 and "A key needs a name." in nameless.text
    officer = admin.post("/admin/credentials", data={"name": "o", "roles": ["officer"]})
    assert officer.status_code == 422 and "names its customers" in officer.text
    assert 'value="o"' in officer.text and 'value="officer" checked' in officer.text
