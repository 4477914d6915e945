"""The question pages over the bundled world: /ask, /whatif, /query, and a decision as shown.

The expectations are read from the served snapshot and the decision log (what the decision
says, which rules and clauses it rests on, which repair it offers), never typed in: the pages
must show what the library decides.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from paths import FACTS
from policyeval import DecisionLog, Snapshot
from policyeval.service.web.forms import label
from policyeval.service.web.presets import PRESETS
from web_session import Pages

CUSTOMER, OTHER_CUSTOMER = "kazspecmash", "minprom"
ON = "2026-03-10"
ALLOWED = {"customer": CUSTOMER, "executor": "nurtech", "secret": ["doc_1", "doc_2"], "on": ON}
REFUSED = {"customer": CUSTOMER, "executor": "bereke_systems", "secret": ["doc_9"], "on": ON}
"""facts/README.md, "Questions worth asking": allowed; refused by cl. 7 with a checked repair."""
NEW_ORG = {"kind": "organization", "id": "whatif_org", "name": "W", "org_kind": "commercial"}


def snapshot_of(app: FastAPI) -> Snapshot:
    served: Snapshot | None = app.state.service.snapshot
    assert served is not None
    return served


def log_of(app: FastAPI) -> DecisionLog:
    log: DecisionLog = app.state.service.decision_log
    return log


def decided(client: TestClient, app: FastAPI, form: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Ask ``form`` on /ask: the decision's page and its logged JSON."""
    answer = client.post("/ask", data=form)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert re.fullmatch(r"/decisions/[0-9a-f]{32}", location)
    entry = log_of(app).get(location.rsplit("/", 1)[-1])
    assert entry is not None
    page = client.get(location)
    assert page.status_code == 200
    return page.text, entry.detail


def forms(page: str, css_class: str) -> list[list[tuple[str, str]]]:
    """The fields (name, value) of each ``<form class=css_class>`` of ``page``."""
    found = []
    for body in re.findall(rf'<form[^>]*class="{css_class}"[^>]*>(.*?)</form>', page, re.S):
        fields = re.findall(
            r'<input type="hidden" name="([^"]+)" value=(?:"([^"]*)"|\'([^\']*)\')', body
        )
        found.append([(name, html.unescape(a or b)) for name, a, b in fields])
    return found


def section(page: str, element_id: str) -> str:
    """The part of ``page`` from the element ``element_id`` on (to the next section)."""
    start = page.index(f'id="{element_id}"')
    end = page.find("<section", start + 1)
    return page[start : end if end > 0 else len(page)]


# -- the form --------------------------------------------------------------------------------


def test_the_form_offers_an_officer_its_customers_and_the_facts_by_name(
    pages: Pages, world_app: FastAPI
) -> None:
    page = pages(roles=("officer",), customers=(CUSTOMER,)).get("/ask")
    assert page.status_code == 200
    customer = re.search(
        r'<select id="q-customer" name="customer"[^>]*>(.*?)</select>', page.text, re.S
    )
    assert customer is not None
    assert re.findall(r'<option value="([^"]+)"', customer.group(1)) == [CUSTOMER]
    records = snapshot_of(world_app).fact_base.records
    name = label(records["organization"]["nurtech"])
    assert name and f'<option value="nurtech">{name}' in html.unescape(page.text)
    for secret in records["secret"]:
        assert f'name="secret" value="{secret}"' in page.text
    assert 'type="date"' in page.text


def test_a_lawyer_sees_the_question_offered_as_a_what_if_only(pages: Pages) -> None:
    page = pages(roles=("lawyer",)).get("/ask").text
    assert 'formaction="/whatif"' in page
    assert '<button type="submit">Decide</button>' not in page


def test_the_form_is_filled_from_the_query_string(pages: Pages) -> None:
    page = pages().get("/ask?customer=kazspecmash&executor=nurtech&secret=doc_1&on=2026-01-20").text
    assert 'name="executor" value="nurtech"' in page
    assert 'value="doc_1" checked' in page
    assert 'value="2026-01-20"' in page


# -- a decision ------------------------------------------------------------------------------


def test_an_allowed_question_shows_its_proof_tree_linking_rules_clauses_and_facts(
    pages: Pages, world_app: FastAPI
) -> None:
    officer = pages(roles=("officer",), customers=(CUSTOMER,))
    page, detail = decided(officer, world_app, ALLOWED)
    assert detail["decision"] == "allowed" and detail["assumed"] == 0
    for item in detail["per_secret"]:
        tree = section(page, f"decision-{item['secret']}")
        assert '<details class="node node-rule" open>' in tree  # the first level open
        for rule in item["rules"]:
            assert f'href="/rules/{rule}"' in tree
        for clause in item["clauses"]:
            assert f'href="/clauses/{clause}"' in tree
        fact = item["proof"]
        while fact["kind"] != "fact":
            fact = fact["children"][0]
        assert fact["atom"] in tree
        assert re.search(rf'href="/source/facts/[^"]+#L{fact["source"]["line"]}"', tree)
        assert "data-expand-all" in tree and "data-collapse-all" in tree


def test_a_refused_question_shows_its_reasons_and_its_checked_repairs(
    pages: Pages, world_app: FastAPI
) -> None:
    page, detail = decided(pages(roles=("officer",), customers=(CUSTOMER,)), world_app, REFUSED)
    assert detail["decision"] == "refused"
    for reason in detail["reasons"]:
        assert f'href="/clauses/{reason["clause"]}"' in page
        assert f'href="/rules/{reason["rule"]}"' in page
    (secret,) = detail["per_secret"]
    repair = secret["repairs"]["repairs"][0]
    assert repair["checked"]
    for change in repair["changes"]:
        shown = re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(change["text"], quote=False))
        assert shown in page
    assert len(forms(page, "try")) == len(secret["repairs"]["repairs"])


def test_trying_a_repair_as_a_what_if_turns_the_refusal_into_an_allowed_decision(
    pages: Pages, world_app: FastAPI
) -> None:
    officer = pages(roles=("officer",), customers=(CUSTOMER,), name="repairs")
    page, _ = decided(officer, world_app, REFUSED)
    first = forms(page, "try")[0]
    answer = officer.post("/whatif", data=_multi([*first, ("action", "decide")]))
    assert answer.status_code == 200, answer.text
    compared = section(answer.text, "result-heading")
    assert re.search(r"✗ refused</span></td>\s*<td><span[^>]*>✓ allowed", compared)
    logged = re.search(r'Logged as a what-if:\s*<a href="/decisions/([0-9a-f]{32})"', answer.text)
    assert logged is not None
    entry = log_of(world_app).get(logged.group(1))
    assert entry is not None and entry.hypothetical and entry.decision == "allowed"
    assert entry.asked_by == "repairs"


def test_a_repair_no_longer_offered_is_named_not_applied(pages: Pages) -> None:
    form = {**REFUSED, "record": [], "action": "decide"}
    form["repair"] = '{"secret": "doc_9", "number": 1, "text": "something else"}'
    answer = pages().post("/whatif", data=form)
    assert answer.status_code == 422
    assert "Repair 1 of doc_9 is no longer offered" in answer.text


# -- roles -----------------------------------------------------------------------------------


def test_a_lawyer_may_not_ask_a_real_decision_but_may_ask_a_what_if(
    pages: Pages, world_app: FastAPI
) -> None:
    lawyer = pages(roles=("lawyer",), name="a-lawyer")
    refused = lawyer.post("/ask", data=ALLOWED)
    assert refused.status_code == 403
    assert "<html" in refused.text and "what-if decisions only" in refused.text
    answer = lawyer.post(
        "/whatif", data={**ALLOWED, "record": json.dumps(NEW_ORG), "action": "decide"}
    )
    assert answer.status_code == 200, answer.text
    assert "what-if: " in answer.text and "✓ allowed" in answer.text
    assert 'href="/decisions/' not in section(answer.text, "result-heading").split("</p>")[0]


def test_an_officer_may_not_ask_for_another_customer(pages: Pages) -> None:
    officer = pages(roles=("officer",), customers=(CUSTOMER,))
    other = {**ALLOWED, "customer": OTHER_CUSTOMER}
    assert officer.post("/ask", data=other).status_code == 403
    what_if = {
        **other,
        "records_text": "- {kind: organization, id: x_org, name: X, org_kind: commercial}",
    }
    assert officer.post("/whatif", data=what_if).status_code == 403


def test_an_auditor_may_not_ask(pages: Pages) -> None:
    auditor = pages(roles=("auditor",))
    assert auditor.get("/ask").status_code == 403
    assert auditor.get("/whatif").status_code == 403
    assert auditor.get("/query").status_code == 200


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"on": "10.03.2026"}, "Transfer date: write the date as YYYY-MM-DD (got `10.03.2026`)"),
        ({"on": "2026-02-30"}, "Transfer date: `2026-02-30` is not a day of the calendar"),
        ({"executor": "nobody_here"}, "Executor: no record `nobody_here` in the facts"),
        ({"executor": "doc_1"}, "Executor: `doc_1` is a secret, not an organization or a person"),
        ({"secret": []}, "Secrets: this is needed"),
        ({"secret": ["doc_1", "ghost_doc"]}, "Secret: no record `ghost_doc` in the facts"),
    ],
)
def test_bad_input_gives_the_form_again_with_a_422_naming_the_field(
    pages: Pages, change: dict[str, Any], words: str
) -> None:
    answer = pages().post("/ask", data={**ALLOWED, **change})
    assert answer.status_code == 422
    assert words in html.unescape(answer.text)
    assert (
        'name="executor" value="{}"'.format(html.escape(change.get("executor", "nurtech")))
        in answer.text
    )


@pytest.mark.parametrize(
    ("records_text", "words"),
    [
        (
            "- {kind: permit, id: pm_x, holder: nurtech}",
            "Record 1: permit `pm_x`: missing field `number`",
        ),
        ("- {kind: bogus, id: b}", "Record 1: unknown kind `bogus`"),
        ("- [unclosed", "Records as YAML or JSON: line 1: expected ',' or ']'"),
        ("just text", "write a list of records"),
        (  # nine levels of nine aliases: 387 million values if anything expanded them
            "\n".join(
                ["- &l0 [x, x, x, x, x, x, x, x, x]"]
                + [f"- &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, 9)]
                + ["- {kind: person, id: p, name: *l8, citizenship: kz}"]
            ),
            "anchors and aliases (&name, *name) are not accepted",
        ),
    ],
)
def test_bad_assumed_records_give_a_422_naming_the_record_and_field(
    pages: Pages, records_text: str, words: str
) -> None:
    form = {**REFUSED, "records_text": records_text, "action": "decide"}
    answer = pages(roles=("lawyer",)).post("/whatif", data=form)
    assert answer.status_code == 422
    assert words in html.unescape(answer.text)
    assert records_text in html.unescape(answer.text)  # the box is kept


def test_a_what_if_assuming_nothing_is_refused_with_a_422(pages: Pages) -> None:
    answer = pages().post("/whatif", data={**REFUSED, "action": "decide"})
    assert answer.status_code == 422
    assert "Records assumed: none" in answer.text


# -- writing records -------------------------------------------------------------------------


def test_a_kind_s_fields_come_from_the_fact_schema(pages: Pages) -> None:
    page = pages(roles=("lawyer",)).get("/whatif?kind=permit").text
    for field in ("holder", "number", "issued", "valid_until", "issuer"):
        assert f'name="field.{field}"' in page
    assert 'name="field.valid_until" type="date"' in page
    assert pages().get("/whatif?kind=nothing").status_code == 422


def test_a_record_written_in_the_fields_is_added_then_decided_with(
    pages: Pages, world_app: FastAPI
) -> None:
    client = pages(roles=("lawyer",))
    form = {
        **REFUSED,
        "kind": "organization",
        "field.id": "whatif_org_2",
        "field.name": "Another",
        "field.org_kind": "commercial",
        "action": "add",
    }
    added = client.post("/whatif", data=form)
    assert added.status_code == 200, added.text
    records = re.findall(r'<input type="hidden" name="record" value="([^"]*)">', added.text)
    assert len(records) == 1 and "whatif_org_2" in html.unescape(records[0])
    answer = client.post(
        "/whatif", data={**REFUSED, "record": html.unescape(records[0]), "action": "decide"}
    )
    assert answer.status_code == 200
    assert "what-if: " in answer.text
    bad = client.post("/whatif", data={**form, "field.org_kind": "", "field.id": "x_2"})
    assert bad.status_code == 422
    assert "missing field `org_kind`" in html.unescape(bad.text)


def test_a_record_is_dropped_and_edited_by_its_buttons(pages: Pages) -> None:
    client = pages(roles=("lawyer",))
    state = {**REFUSED, "record": [json.dumps(NEW_ORG)]}
    dropped = client.post("/whatif", data={**state, "action": "drop-record:1"})
    assert 'name="record"' not in dropped.text
    edited = client.post("/whatif", data={**state, "action": "edit-record:1"})
    assert 'name="field.id" value="whatif_org"' in edited.text
    assert '<option value="organization" selected>' in edited.text


# -- other questions -------------------------------------------------------------------------


def test_a_preset_answers_with_a_table_of_its_blank_arguments_and_proofs(
    pages: Pages, world_app: FastAPI
) -> None:
    page = pages(roles=("auditor",)).get("/query?preset=request_lacks&arg=&arg=&run=1")
    assert page.status_code == 200
    expected = snapshot_of(world_app).query("request_lacks", [None, None], proofs=False)
    assert expected.answers
    table = section(page.text, "answers-heading")
    assert '<th scope="col">R</th><th scope="col">Item</th>' in table
    rows = re.findall(r'<tbody class="answer">\s*<tr>(.*?)</tr>', table, re.S)
    cells = [re.findall(r"<td>(?:<[^>]+>)?([^<]*)", row) for row in rows]
    assert cells == [[str(v) for v in answer.values] for answer in expected.answers]
    assert table.count('class="row-proof"') == len(expected.answers)


def test_a_question_without_answers_shows_why_not_in_words(
    pages: Pages, world_app: FastAPI
) -> None:
    snapshot = snapshot_of(world_app)
    lacking = snapshot.query("request_lacks", [None, None], proofs=False).answers[0].values[0]
    page = pages(roles=("lawyer",)).get(f"/query?preset=request_complete&arg={lacking}&run=1")
    assert page.status_code == 200
    expected = snapshot.query("request_complete", [lacking], proofs=False)
    assert not expected.answers and expected.reasons
    answers = section(page.text, "answers-heading")
    assert "✗ no" in answers and "Why not" in answers
    for reason in expected.reasons:
        assert f'href="/clauses/{reason.clause}"' in answers
        assert reason.text.split("`")[0] in html.unescape(answers)


def test_any_predicate_is_asked_by_its_arguments(pages: Pages) -> None:
    client = pages(roles=("lawyer",))
    form = client.get("/query?predicate=foreign_participation").text
    assert '<label for="arg0"><code>O</code>' in form
    answer = client.get(
        "/query?predicate=foreign_participation&arg=steppe_systems&arg=2026-03-10&run=1"
    )
    assert answer.status_code == 200 and "✓ yes" in answer.text


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("predicate=no_such_thing", "no predicate `no_such_thing`"),
        ("preset=answer_overdue&arg=r_10&arg=&run=1", "D: a value is needed here"),
        (
            "preset=executors_for&arg=kazspecmash&arg=&arg=doc_1&arg=soon&run=1",
            'D: argument 4 of `transfer_allowed` is a date, not "soon"',
        ),
        (
            "preset=request_complete&arg=r_7&on=someday&run=1",
            "Date of the question: write the date",
        ),
        ("preset=nothing", "There is no question `nothing`"),
    ],
)
def test_a_bad_question_is_a_422_naming_the_argument(pages: Pages, query: str, words: str) -> None:
    answer = pages(roles=("auditor",)).get(f"/query?{query}")
    assert answer.status_code == 422
    assert words in html.unescape(answer.text)


def _multi(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Form fields, a name repeated keeping its values in order."""
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return data


def test_a_repair_tried_on_a_what_if_keeps_what_the_what_if_assumed(pages: Pages) -> None:
    client = pages(roles=("lawyer",))
    first = client.post("/whatif", data={**REFUSED, "record": json.dumps(NEW_ORG)})
    assert first.status_code == 200, first.text
    with_them = first.text[
        first.text.index('id="with-heading"') : first.text.index('id="without-heading"')
    ]
    tries = forms(with_them, "try")
    assert tries and ("record", json.dumps(NEW_ORG)) in tries[0]
    second = client.post("/whatif", data=_multi([*tries[0], ("action", "decide")]))
    assert second.status_code == 200, second.text
    assert 'name="record" value="' in second.text  # still assumed
    assert "Repairs tried" in second.text
    assert re.search(r"✗ refused</span></td>\s*<td><span[^>]*>✓ allowed", second.text)


def test_the_question_opens_as_a_what_if_from_the_ask_page(pages: Pages) -> None:
    answer = pages(roles=("lawyer",)).post("/whatif", data={**REFUSED, "action": "edit"})
    assert answer.status_code == 200
    assert 'name="executor" value="bereke_systems"' in answer.text
    assert 'value="doc_9" checked' in answer.text
    assert "The decision with the what-if" not in answer.text


def test_answers_name_files_under_their_served_root_never_the_servers_path(
    pages: Pages, world_app: FastAPI
) -> None:
    officer = pages(roles=("officer",), customers=(CUSTOMER,))
    for form in (ALLOWED, REFUSED):
        page, _ = decided(officer, world_app, form)
        assert form is REFUSED or "<code>facts/secrets.yaml:" in page  # a proof's fact, linked
        assert str(FACTS.resolve().parent) not in page


def test_every_preset_asks_a_predicate_the_rules_define_with_its_arity(world_app: FastAPI) -> None:
    arities = snapshot_of(world_app).knowledge_base.program.arities
    for preset in PRESETS:
        assert arities.get(preset.predicate) == len(preset.args), preset.key
