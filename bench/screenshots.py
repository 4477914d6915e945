"""Screenshots of the main pages for the README, taken in Debian's Chromium (run by hand).

    .venv/bin/python bench/screenshots.py [--out docs/screenshots]

Starts the service over the bundled world on loopback and drives ``/usr/bin/chromium`` as the
browser tests do (``tests/browser/harness.py``: every request to another host is aborted), then
saves each page of :data:`SHOTS` as a PNG 1280 pixels wide, cut at ``--max-height``. A page
that asked for anything from another host, logged a console error or answered a 5xx is
reported, and the script exits 1.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the browser tests' harness, run outside pytest

from browser import flows  # noqa: E402
from browser.harness import Service, chromium, open_context, serve, sign_in, unavailable  # noqa: E402

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

Prepare = Callable[["Page", Service], None]

WIDTH = 1280


def home(page: Page, service: Service) -> None:
    page.goto("/")


def clause(page: Page, service: Service) -> None:
    page.goto("/clauses/8")


def allowed(page: Page, service: Service) -> None:
    """An allowed answer, a step of its proof opened."""
    flows.ask(page, "nurtech", ["doc_1"], "2026-03-10")
    steps = page.locator(".proof-tree details.node-rule")
    steps.nth(steps.evaluate_all("nodes => nodes.findIndex(node => !node.open)")).locator(
        ":scope > summary"
    ).click()


def refused(page: Page, service: Service) -> None:
    """A refused answer: its reasons and the checked repairs."""
    flows.ask(page, "bereke_systems", ["doc_9"], "2026-03-10")


def whatif(page: Page, service: Service) -> None:
    """The refused question again, with its repair assumed: refused → allowed."""
    flows.ask(page, "bereke_systems", ["doc_9"], "2026-03-10")
    flows.try_first_repair(page)


def organization(page: Page, service: Service) -> None:
    page.goto("/organizations/nurtech")


def decision_log(page: Page, service: Service) -> None:
    flows.ask_by_api(service, "officer", "nurtech", ["doc_1", "doc_2"], "2026-03-10")
    flows.ask_by_api(service, "officer", "bereke_systems", ["doc_9"], "2026-03-10")
    flows.ask_by_api(service, "officer", "steppe_systems", ["doc_4"], "2026-03-10")
    page.goto("/decisions")


SHOTS: dict[str, tuple[str, Prepare]] = {
    "home": ("officer", home),
    "clause": ("lawyer", clause),
    "ask-allowed": ("officer", allowed),
    "ask-refused": ("officer", refused),
    "whatif": ("officer", whatif),
    "decisions": ("auditor", decision_log),
    "organization": ("officer", organization),
}
"""Each screenshot's file name (without ``.png``), who is signed in, and how the page is made."""


def take(browser: Browser, service: Service, out: Path, max_height: int) -> list[str]:
    """Save every shot in ``out``; the problems the pages had."""
    problems: list[str] = []
    for name, (user, prepare) in SHOTS.items():
        context, watch = open_context(browser, service, width=WIDTH, height=800)
        page = context.new_page()
        sign_in(page, service, user)
        prepare(page, service)
        height = min(max_height, page.evaluate("document.documentElement.scrollHeight"))
        page.screenshot(
            path=out / f"{name}.png",
            full_page=True,
            clip={"x": 0, "y": 0, "width": WIDTH, "height": height},
        )
        context.close()
        problems += [f"{name}: {line}" for line in watch.problems()]
        print(f"{out / name}.png ({WIDTH}×{height})")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--max-height", type=int, default=2200, help="pixels, at most")
    args = parser.parse_args(argv)
    why_not = unavailable()
    if why_not is not None:
        print(f"no browser to drive: {why_not}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as var, serve(Path(var)) as service, chromium() as browser:
        problems = take(browser, service, args.out, args.max_height)
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
