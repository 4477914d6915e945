"""The pages as people use them, in Chromium: signing in, asking, proofs, clauses, roles.

Every test's context reaches the service only (``conftest.py``: a request to another host, a
console error or a 5xx answer fails it). Expected texts come from the pages' catalog and the
served snapshot, not from copies.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, Page, expect

from browser import flows
from browser.conftest import NewPage, SignIn
from browser.crawl import crawl, kind_of
from browser.harness import Service, open_context
from policyeval.service.web.texts import texts

t = texts()


def test_signing_in_through_the_form_greets_the_user_by_name_and_role(
    page: Page, signed_in: SignIn
) -> None:
    signed_in(page, "lawyer")
    expect(page.locator("header .who")).to_contain_text(t("site.signed_in_as", name="lawyer"))
    expect(page.get_by_role("navigation", name=t("nav.label"))).to_be_visible()


def test_a_wrong_key_is_refused_on_the_form(page: Page) -> None:
    page.goto("/signin")
    page.fill("#credential", "pe_nothere_secret")
    page.locator("main form").get_by_role("button").click()
    expect(page.get_by_role("alert")).to_contain_text(t("signin.failed"))


def test_a_page_without_a_session_sends_the_browser_to_sign_in_and_back(
    page: Page, service: Service
) -> None:
    page.goto("/source/rules/03-sequence.md")
    expect(page).to_have_url(f"{service.url}/signin?next=/source/rules/03-sequence.md")
    page.fill("#credential", service.keys["lawyer"])
    page.locator("main form").get_by_role("button").click()
    expect(page).to_have_url(f"{service.url}/source/rules/03-sequence.md")


def test_clause_8_lists_its_rules_and_its_scenarios(
    page: Page, signed_in: SignIn, service: Service
) -> None:
    entry = service.snapshot.clause("8")
    assert entry is not None and entry.rules and entry.scenarios
    signed_in(page, "lawyer")
    page.get_by_role("navigation", name=t("nav.label")).get_by_role(
        "link", name=t("nav.clauses")
    ).click()
    page.get_by_role("link", name=t("clauses.open", number="8"), exact=True).click()
    heading = t("clauses.heading", number="8", title=entry.title)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    for rule_id in entry.rules:
        expect(page.locator(f'main a[href="/rules/{rule_id}"]').first).to_be_visible()
    for file in entry.scenarios:
        link = page.locator(f'main a[href="/scenarios#{file}"]')
        expect(link).to_have_text(entry.scenario_names.get(file) or file)

    first = entry.scenarios[0]
    page.locator(f'main a[href="/scenarios#{first}"]').click()
    expect(page).to_have_url(f"{service.url}/scenarios#{first}")
    row = page.locator(f'tr[id="{first}"]')
    expect(row).to_be_in_viewport()
    expect(row.get_by_role("rowheader")).to_contain_text(entry.scenario_names.get(first) or first)


def test_the_admin_sees_the_reload_button_and_the_officer_does_not(
    new_page: NewPage, signed_in: SignIn
) -> None:
    admin, officer = new_page(), new_page()
    signed_in(admin, "admin")
    nav = admin.get_by_role("navigation", name=t("nav.label"))
    nav.get_by_role("link", name=t("nav.admin")).click()
    expect(admin.get_by_role("button", name=t("admin.reload_button"))).to_be_visible()

    signed_in(officer, "officer")
    nav = officer.get_by_role("navigation", name=t("nav.label"))
    expect(nav.get_by_role("link", name=t("nav.admin"))).to_have_count(0)
    answer = officer.goto("/admin")
    assert answer is not None and answer.status == 403
    expect(officer.get_by_role("button", name=t("admin.reload_button"))).to_have_count(0)


def test_every_page_the_navigation_reaches_loads_from_this_site_alone(
    page: Page, signed_in: SignIn, service: Service
) -> None:
    """Links followed three deep from the home page, a few pages of each kind, as the admin
    (who is offered every page) with a decision in the log: none answers an error (a broken
    link is a 404), and none asks for anything from another host (``conftest``)."""
    flows.ask_by_api(service, "officer", "bereke_systems", ["doc_9"], "2026-03-10")
    signed_in(page, "admin")
    statuses = crawl(page, service.host, "/", depth=3, cap=80)
    kinds = {kind_of(address)[0] for address in statuses}
    assert {"clauses", "decisions", "organizations", "secrets", "records", "ask"} <= kinds
    broken = {address: status for address, status in statuses.items() if status >= 400}
    assert not broken, broken


def test_the_skip_link_comes_first_and_tab_then_reaches_the_question(
    page: Page, signed_in: SignIn
) -> None:
    signed_in(page, "officer")
    page.goto("/ask")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name=t("site.skip"))).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label(t("ask.field.customer"))).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label(t("ask.field.executor"))).to_be_focused()


def test_an_officer_is_refused_another_organizations_decision(
    new_page: NewPage, signed_in: SignIn, service: Service
) -> None:
    decision_id = flows.ask_by_api(service, "officer", "nurtech", ["doc_1"], "2026-03-10")
    address = f"/decisions/{decision_id}"

    own, other = new_page(), new_page()
    signed_in(own, "officer")
    answer = own.goto(address)
    assert answer is not None and answer.status == 200
    expect(own.get_by_role("heading", level=1)).to_contain_text(t("decisions.outcome.allowed"))

    signed_in(other, "stranger")
    answer = other.goto(address)
    assert answer is not None and answer.status == 403
    expect(other.get_by_role("heading", level=1)).to_contain_text("403")
    expect(other.locator("main")).not_to_contain_text("nurtech")


def test_an_officer_asks_an_allowed_question_and_reads_what_it_rests_on(
    page: Page, signed_in: SignIn, service: Service
) -> None:
    signed_in(page, "officer")
    flows.ask(page, "nurtech", ["doc_1", "doc_2"], "2026-03-10")
    logged = _logged(service, page.url)
    assert logged["decision"] == "allowed"
    decision = page.locator(".decision-view")
    expect(decision.locator(".decision-outcome")).to_contain_text(t("ask.outcome.allowed"))
    for item in logged["detail"]["per_secret"]:
        section = decision.locator(f"#decision-{item['secret']}")
        expect(section.locator("h3")).to_contain_text(t("ask.outcome.allowed"))
        for clause in item["clauses"]:
            expect(section.locator(f'a.clause[href="/clauses/{clause}"]').first).to_be_visible()


def test_an_officer_asks_a_refused_question_and_reads_the_reasons_and_repairs(
    page: Page, signed_in: SignIn, service: Service
) -> None:
    signed_in(page, "officer")
    flows.ask(page, "bereke_systems", ["doc_9"], "2026-03-10")
    logged = _logged(service, page.url)
    assert logged["decision"] == "refused" and logged["detail"]["reasons"]
    decision = page.locator(".decision-view")
    expect(decision.locator(".decision-outcome")).to_contain_text(t("ask.outcome.refused"))
    reasons = decision.locator("section.reasons article.reason")
    expect(reasons).to_have_count(len(logged["detail"]["reasons"]))
    for reason, shown in zip(logged["detail"]["reasons"], reasons.all(), strict=True):
        expect(shown.locator("a.rule-id")).to_have_text(reason["rule"])
        expect(shown.locator(".reason-text")).to_contain_text(_plain(reason["text"]))
    repairs = decision.locator("li.repair")
    advice = logged["detail"]["per_secret"][0]["repairs"]["repairs"]
    expect(repairs).to_have_count(len(advice))
    for change in advice[0]["changes"]:
        expect(repairs.first).to_contain_text(_plain(change["text"]))


def test_a_proof_step_opens_and_its_rule_link_lands_on_the_rule_beside_its_clause(
    page: Page, signed_in: SignIn, service: Service
) -> None:
    signed_in(page, "officer")
    flows.ask(page, "nurtech", ["doc_1"], "2026-03-10")
    steps = page.locator(".proof-tree details.node-rule")
    step = steps.nth(steps.evaluate_all("nodes => nodes.findIndex(node => !node.open)"))
    step.locator(":scope > summary").click()
    expect(step).to_have_attribute("open", "")
    rule_link = step.locator(":scope > .node-meta a.rule-id")
    rule_id = rule_link.inner_text()
    clause = step.locator(":scope > .node-meta a.clause").get_attribute("href")
    rule_link.click()
    expect(page).to_have_url(f"{service.url}{clause}#rule-{rule_id}")
    rule = page.locator(f'section.rule[id="rule-{rule_id}"]')
    expect(rule).to_be_in_viewport()
    expect(rule.locator("h3")).to_have_text(rule_id)


def test_a_repair_tried_as_a_what_if_turns_the_refusal_into_an_allowed_transfer(
    page: Page, signed_in: SignIn
) -> None:
    signed_in(page, "officer")
    flows.ask(page, "bereke_systems", ["doc_9"], "2026-03-10")
    flows.try_first_repair(page)
    row = page.locator("table.compare tbody tr", has=page.get_by_role("rowheader", name="doc_9"))
    cells = row.locator("td")
    expect(cells.nth(0)).to_contain_text(t("ask.outcome.refused"))
    expect(cells.nth(1)).to_contain_text(t("ask.outcome.allowed"))
    expect(cells.nth(2)).to_contain_text(t("ask.whatif.changed"))
    with_it = page.locator("section.with .decision-outcome")
    expect(with_it).to_contain_text(t("ask.outcome.allowed"))


def _logged(service: Service, address: str) -> dict[str, Any]:
    """The logged decision shown at ``address`` (``/decisions/<id>``), as the API gives it."""
    decision_id = address.rsplit("/", 1)[-1]
    with service.api("auditor") as api:
        answer = api.get(f"/v1/decisions/{decision_id}")
    answer.raise_for_status()
    logged: dict[str, Any] = answer.json()
    return logged


def _plain(text: str) -> str:
    """An engine's text as a page shows it: its `names` set as code, without the backticks."""
    return text.replace("`", "")


def test_the_guard_aborts_and_records_a_request_to_another_host(
    browser: Browser, service: Service
) -> None:
    """What makes the other tests fail when a page reaches out: checked on a page of no site
    (so no Content-Security-Policy stops the request before the network would see it)."""
    context, watch = open_context(browser, service)
    try:
        page = context.new_page()
        page.set_content('<img alt="" src="http://192.0.2.1/pixel.png">')
        page.wait_for_load_state("load")
    finally:
        context.close()
    assert watch.external == ["http://192.0.2.1/pixel.png"]
