"""The decree clause by clause: the list and its search, a clause's page, a rule's address.

Expected rules, scenarios and statuses are read from the served snapshot's clause index.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markupsafe import escape

from paths import TOY_FACTS, TOY_REDACTIONS
from policyeval import ClauseEntry, Rule, Snapshot
from policyeval.service import Settings, create_app
from web_session import Pages, sign_in


@pytest.fixture(scope="module")
def snapshot(world_app: FastAPI) -> Snapshot:
    served: Snapshot | None = world_app.state.service.snapshot
    assert served is not None
    return served


@pytest.fixture
def lawyer(pages: Pages) -> TestClient:
    return pages(roles=("lawyer",), name="clause-reader")


def entry_of(snapshot: Snapshot, clause: str) -> ClauseEntry:
    found = snapshot.clause(clause)
    assert found is not None, clause
    return found


def section(page: str, rule_id: str) -> str:
    """The ``<section>`` of ``rule_id`` in ``page``."""
    start = page.index(f'<section class="rule" id="rule-{rule_id}"')
    return page[start : page.index("</section>", start)]


def test_clause_8_shows_each_of_its_rules_once_and_the_rules_its_sentences_name(
    lawyer: TestClient, snapshot: Snapshot
) -> None:
    entry = entry_of(snapshot, "8")
    assert entry.rules, "clause 8 has rules"
    page = lawyer.get("/clauses/8").text
    for rule_id in entry.rules:
        assert page.count(f'id="rule-{rule_id}"') == 1, rule_id
    for rule_id in {rule for sentence in entry.sentences for rule in sentence.rules}:
        assert f'href="/rules/{rule_id}"' in page, rule_id
    for sentence in entry.sentences:
        assert str(escape(sentence.text)) in page


def test_clause_8_lists_its_scenarios_linked_to_the_scenarios_page_and_their_files(
    lawyer: TestClient, snapshot: Snapshot
) -> None:
    entry = entry_of(snapshot, "8")
    assert entry.scenarios, "clause 8 has scenario tests"
    page = lawyer.get("/clauses/8").text
    for file in entry.scenarios:
        assert f'href="/scenarios#{file}"' in page
        assert f'href="/source/scenarios/{file}"' in page
        assert str(escape(entry.scenario_names[file])) in page


def test_a_sub_clause_with_dots_in_its_number_has_its_page(lawyer: TestClient) -> None:
    answer = lawyer.get("/clauses/8.3")
    assert answer.status_code == 200
    assert 'id="rule-cl8_3.quasi_public_division"' in answer.text


def _interpreted(snapshot: Snapshot) -> Rule:
    """A rule with an interpretation and a refusal, whose interpretation names no `code`."""
    return next(
        rule
        for rule in snapshot.knowledge_base.rules.rules
        if rule.interpretation and rule.refusal and "`" not in rule.interpretation
    )


def test_a_rule_shows_its_datalog_reading_refusal_place_and_interpretation_marked_as_such(
    lawyer: TestClient, snapshot: Snapshot
) -> None:
    rule = _interpreted(snapshot)
    page = lawyer.get(f"/clauses/{rule.clause}").text
    shown = section(page, rule.id)
    assert str(escape(rule.reading)) in shown
    assert str(escape(rule.refusal or "")) in shown
    assert f"{escape(rule.head)} :-" in shown
    assert (
        '<div class="interpretation" data-label="Interpretation (a reading the decree leaves '
        f'open)"><p>{escape(rule.interpretation)}</p></div>'
    ) in shown
    assert rule.location is not None
    assert f'href="/source/rules/{rule.location.file.rsplit("/", 1)[-1]}#L' in shown
    assert f'href="/clauses?q={rule.head.predicate}"' in shown


def test_a_rule_s_address_sends_the_browser_to_its_place_on_its_clause_page(
    lawyer: TestClient, snapshot: Snapshot
) -> None:
    rule = snapshot.knowledge_base.rules.rules[0]
    answer = lawyer.get(f"/rules/{rule.id}")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/clauses/{quote(rule.clause)}#rule-{rule.id}"
    assert f'id="rule-{rule.id}"' in lawyer.get(answer.headers["location"]).text


@pytest.mark.parametrize("path", ["/clauses/99.9", "/rules/cl99.nothing"])
def test_an_unknown_clause_or_rule_is_a_404_page(lawyer: TestClient, path: str) -> None:
    answer = lawyer.get(path)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "404" in answer.text


@pytest.mark.parametrize("path", ["/clauses", "/clauses/8.3", "/rules/cl8_3.quasi_public_division"])
def test_an_anonymous_browser_is_sent_to_sign_in(anonymous: TestClient, path: str) -> None:
    answer = anonymous.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/signin?next={path}"


@pytest.mark.parametrize("role", ["officer", "lawyer", "auditor", "admin"])
def test_every_role_may_read_the_decree(pages: Pages, role: str) -> None:
    client = pages(roles=(role,), customers=("*",), name=f"reader-{role}")
    assert client.get("/clauses").status_code == 200
    assert client.get("/clauses/8").status_code == 200


def test_the_list_shows_every_clause_in_order_each_sentence_with_its_status_in_words(
    lawyer: TestClient, snapshot: Snapshot
) -> None:
    page = lawyer.get("/clauses").text
    places = [page.index(f'<h2><a href="/clauses/{e.clause}">') for e in snapshot.clauses]
    assert places == sorted(places)
    words = {
        "encoded": '"status status-ok">✓ encoded<',
        "partly": '"status status-partly">◐ partly encoded<',
        "not encoded": '"status status-no">✗ not encoded<',
        "not a condition": '"status status-neutral">not a condition<',
    }
    sentences = [s for entry in snapshot.clauses for s in entry.sentences]
    for status, word in words.items():
        count = sum(1 for s in sentences if s.status == status)
        # each sentence in the list, and once in the summary of counts
        assert page.count(word) == count + (1 if count else 0), status


def test_the_list_counts_each_clause_s_rules_and_scenarios_and_links_its_page(
    lawyer: TestClient, snapshot: Snapshot
) -> None:
    page = lawyer.get("/clauses").text
    for entry in snapshot.clauses:
        start = page.index(f'<h2><a href="/clauses/{entry.clause}">')
        item = page[start : page.index("</li>\n", page.index('class="clause-meta"', start))]
        assert f"Rules: {len(entry.rules)} · scenario tests: {len(entry.scenarios)}" in item


def test_the_list_filters_as_one_types_over_each_clause_s_rules(
    lawyer: TestClient, snapshot: Snapshot
) -> None:
    page = lawyer.get("/clauses").text
    assert 'data-filter="#clause-list"' in page
    entry = entry_of(snapshot, "8.3")
    start = page.index('<li data-search="8.3 ')
    searched = page[start : page.index(">", start)]
    assert all(rule_id in searched for rule_id in entry.rules)


def test_the_search_works_as_a_plain_form(lawyer: TestClient) -> None:
    page = lawyer.get("/clauses").text
    assert '<form method="get" action="/clauses"' in page
    assert '<label for="clause-q">' in page and 'id="clause-q" name="q"' in page


def hits(client: TestClient, query: str) -> list[str]:
    """The clauses a search finds, in order."""
    page = client.get("/clauses", params={"q": query}).text
    results = page[page.index('<section class="hits"') :]
    found: list[str] = []
    for part in results.split('<h3><a href="/clauses/')[1:]:
        found.append(part.split('"', 1)[0])
    return found


def test_a_clause_number_finds_the_clause_and_its_sub_clauses(
    lawyer: TestClient, snapshot: Snapshot
) -> None:
    assert hits(lawyer, "8.3") == ["8.3"]
    assert hits(lawyer, "§ 8") == [
        e.clause for e in snapshot.clauses if e.clause.split(".")[0] == "8"
    ]


def test_a_rule_id_finds_its_clause_and_says_so(lawyer: TestClient, snapshot: Snapshot) -> None:
    rule = snapshot.knowledge_base.rules.rule("cl8_3.quasi_public_division")
    assert rule is not None
    page = lawyer.get("/clauses", params={"q": rule.id}).text
    assert hits(lawyer, rule.id) == [rule.clause]
    assert f'href="/rules/{rule.id}"><code>{rule.id}</code></a> — its id' in " ".join(page.split())


def test_a_predicate_finds_every_rule_defining_or_using_it(
    lawyer: TestClient, snapshot: Snapshot
) -> None:
    predicate = "secret_in_scope"
    rules = snapshot.knowledge_base.rules.rules
    defining = [r for r in rules if r.head.predicate == predicate]
    using = [r for r in rules if predicate in r.body_predicates()]
    assert defining and using
    page = lawyer.get("/clauses", params={"q": predicate}).text
    for rule in defining + using:
        assert f'href="/rules/{rule.id}"' in page, rule.id
    assert page.count(f"defines <code>{predicate}</code>") == len(defining)
    assert page.count(f"uses <code>{predicate}</code>") == len(using)
    expected = [
        e.clause for e in snapshot.clauses if e.clause in {r.clause for r in defining + using}
    ]
    assert hits(lawyer, predicate) == expected


def test_words_find_the_decree_s_text_and_rules_readings(
    lawyer: TestClient, snapshot: Snapshot
) -> None:
    found = hits(lawyer, "AFFILIATED quasi-public")
    assert "8.3" in found
    page = lawyer.get("/clauses", params={"q": "affiliated quasi-public"}).text
    assert "the decree&#39;s text:" in page
    reading = snapshot.knowledge_base.rules.rule("cl8_3.quasi_public_division")
    assert reading is not None and "affiliated" in reading.reading
    assert "its reading" in page


def test_a_search_finding_nothing_says_so(lawyer: TestClient) -> None:
    page = lawyer.get("/clauses", params={"q": "zzzqqq"}).text
    assert "Nothing found for “zzzqqq”" in page


def test_the_pages_keep_to_the_content_security_policy(lawyer: TestClient) -> None:
    for path in ("/clauses", "/clauses/10", "/clauses?q=transfer"):
        page = lawyer.get(path).text
        assert "style=" not in page and "<script>" not in page and "javascript:" not in page


def test_a_query_is_shown_escaped(lawyer: TestClient) -> None:
    page = lawyer.get("/clauses", params={"q": "<script>x</script>"}).text
    assert "<script>x" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page


@pytest.fixture(scope="module")
def two_redactions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A lawyer's client of the toy rules in two redactions (the second requires a notice)."""
    var: Path = tmp_path_factory.mktemp("two-redactions")
    settings = Settings(
        policies=TOY_REDACTIONS / "first",
        redactions=[TOY_REDACTIONS / "second"],
        facts=TOY_FACTS,
        scenarios=var / "scenarios",
        decision_log=var / "decisions.sqlite3",
        credentials=var / "credentials.json",
        session_secret=var / "session-secret",
    )
    app = create_app(settings)
    with TestClient(app):
        yield sign_in(app, settings, ["lawyer"])


def test_with_several_redactions_the_pages_show_the_latest_and_say_so(
    two_redactions: TestClient,
) -> None:
    said = "The rules shown are those of the redaction “Toy rules for transfer of state secrets"
    for path in ("/clauses", "/clauses/3"):
        page = two_redactions.get(path).text
        assert said in page and "Toy Decree No. 2 of 1 February 2026" in page
    assert 'id="rule-toy2.transfer"' in two_redactions.get("/clauses/3").text
    assert two_redactions.get("/rules/toy2.notice").headers["location"] == (
        "/clauses/3.3#rule-toy2.notice"
    )
