"""What people do on the pages, step by step: the browser tests and the screenshots share it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from browser.harness import CUSTOMER, Service
from policyeval.service.web.texts import texts

if TYPE_CHECKING:
    from playwright.sync_api import Page

t = texts()


def ask_by_api(service: Service, user: str, executor: str, secrets: list[str], on: str) -> str:
    """Ask a decision of :data:`CUSTOMER` through the API as ``user``; the logged decision's
    id (the log then has something to show)."""
    question = {"customer": CUSTOMER, "executor": executor, "secrets": secrets, "on": on}
    with service.api(user) as api:
        asked = api.post("/v1/decisions/transfer", json=question)
    asked.raise_for_status()
    decision_id: str = asked.json()["decision_id"]
    return decision_id


def ask(page: Page, executor: str, secrets: list[str], on: str) -> None:
    """Fill the Ask form for :data:`CUSTOMER` and decide; the page lands on the decision's."""
    page.goto("/ask")
    customer = page.locator("#q-customer")
    if customer.evaluate("field => field.tagName") == "SELECT":
        customer.select_option(CUSTOMER)
    else:
        customer.fill(CUSTOMER)
    page.fill("#q-executor", executor)
    page.fill("#q-on", on)
    _choose_secrets(page, secrets)
    page.locator("form.question-form").get_by_role("button", name=t("ask.decide")).click()
    page.wait_for_url(re.compile(r"/decisions/[0-9a-f]+$"))


def _choose_secrets(page: Page, secrets: list[str]) -> None:
    """Tick the secrets offered as checkboxes, or type them in the secret fields."""
    listed = page.locator("#q-secret-list")
    for number, secret in enumerate(secrets, start=1):
        if listed.count():
            listed.locator(f'input[value="{secret}"]').check()
        else:
            page.fill(f"#q-secret-{number}", secret)


def try_first_repair(page: Page) -> None:
    """On a refused decision's page, try its first repair as a what-if: the what-if page then
    shows the decision with it and without it."""
    page.get_by_role("button", name=t("ask.repair.try")).first.click()
    page.wait_for_url(re.compile(r"/whatif$"))
