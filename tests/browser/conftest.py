"""The pages in a real browser: the service on loopback, Debian's Chromium driven by Playwright.

Skipped where there is no ``/usr/bin/chromium`` or no playwright (one skip, naming what is
missing), except under ``CI``, which installs both (``.ci/run``; the dev extras): there a
missing browser fails the run. Every context reaches the service only: a request to any other
host is aborted, and a test whose pages asked for one (or logged a console error, or got a
5xx) fails.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

from browser.harness import Service, Watch, chromium, open_context, serve, sign_in, unavailable

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

HERE = Path(__file__).parent
WHY_NOT = unavailable()
"""Why no browser can be driven here (None: one can)."""


def give_up() -> NoReturn:
    """Skip, naming why there is no browser; under ``CI`` (which installs one) fail."""
    if os.environ.get("CI"):
        pytest.fail(f"the browser tests cannot run under CI: {WHY_NOT}", pytrace=False)
    pytest.skip(f"no browser to drive: {WHY_NOT}")


class Unavailable(pytest.File):
    """Stands for this folder's tests where there is no browser: one skip, or one failure."""

    def collect(self) -> list[pytest.Item]:
        give_up()


def pytest_ignore_collect(collection_path: Path) -> bool | None:
    """Without a browser, no module of this folder is imported (they need playwright)."""
    if WHY_NOT is None or collection_path.parent != HERE:
        return None
    return collection_path.suffix == ".py" and collection_path.name != "conftest.py"


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.File | None:
    if WHY_NOT is not None and file_path == HERE / "conftest.py":
        return Unavailable.from_parent(parent, path=file_path)
    return None


SignIn = Callable[["Page", str], None]
"""The ``signed_in`` fixture: ``signed_in(page, "officer")``."""
NewPage = Callable[[], "Page"]
"""The ``new_page`` fixture: ``new_page()``, a page of a browser of its own."""


@pytest.fixture(scope="package")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with serve(tmp_path_factory.mktemp("browser-var")) as running:
        yield running


@pytest.fixture(scope="package")  # not "session": Playwright's sync API keeps an event loop
def browser() -> Iterator[Browser]:  # running in the main thread until it stops, which breaks
    # any later test that calls asyncio.run() (tests/service/test_limits.py did, in CI)
    if WHY_NOT is not None:  # a test module named on the command line is collected anyway
        give_up()
    with chromium() as launched:
        yield launched


@pytest.fixture
def new_page(browser: Browser, service: Service) -> Iterator[NewPage]:
    """``new_page()``: a page in a new context (no cookies) that reaches the service only;
    what every context recorded is checked after the test."""
    opened: list[tuple[BrowserContext, Watch]] = []

    def make() -> Page:
        context, watch = open_context(browser, service)
        opened.append((context, watch))
        return context.new_page()

    yield make
    for context, _ in opened:
        context.close()
    problems = [line for _, watch in opened for line in watch.problems()]
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(new_page: NewPage) -> Page:
    """A page in a new context that reaches the service only (checked after the test)."""
    return new_page()


@pytest.fixture
def signed_in(service: Service) -> SignIn:
    """``signed_in(page, role)``: sign ``page`` in as the user of that name (harness.USERS)."""

    def sign(page: Page, user: str) -> None:
        sign_in(page, service, user)

    return sign
