"""The real service and a real browser, for the browser tests and ``bench/screenshots.py``.

:func:`serve` starts the service with uvicorn in a thread on a free loopback port, over the
bundled world (``policies/``, ``facts/``, ``tests/scenarios/``), its decision log, credentials
and session secret under a directory of the caller's, with a key for each of :data:`USERS`.
:func:`chromium` launches Debian's Chromium (``/usr/bin/chromium``; Playwright's own browser
download is not used), headless, with a fresh profile (Playwright makes one per launch) and
its background traffic switched off. :func:`open_context` gives a browser context in which
every request to another host than the service is aborted and recorded, with the pages'
console errors (a Content-Security-Policy violation is one) and 5xx answers: :class:`Watch`.

Playwright is imported only when a browser is launched, so :func:`unavailable` can say why
the tests cannot run where it is not installed.
"""

from __future__ import annotations

import importlib.util
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

import httpx
import uvicorn
from fastapi import FastAPI

from policyeval import ALL_CUSTOMERS, CredentialStore, Role, Snapshot
from policyeval.service import Settings, create_app
from web_session import bundled_settings

if TYPE_CHECKING:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        ConsoleMessage,
        Page,
        Response,
        Route,
        WebError,
    )

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's ``chromium`` package (CI installs it: ``.ci/run``)."""

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
"""Nothing of the browser's own reaches out: no updates, sync, or first-run pages."""

BROWSER_SCHEMES = ("data", "blob", "about", "chrome", "chrome-extension")
"""Addresses the browser answers itself, never over the network (its PDF viewer is an
extension: a PDF report opened in a page loads its files from ``chrome-extension://``)."""

CUSTOMER = "kazspecmash"
"""The customer of the bundled world (facts/README.md, "Questions worth asking")."""

OTHER_ORGANIZATION = "minprom"
"""An organization of the bundled world other than :data:`CUSTOMER`."""

USERS: dict[str, tuple[tuple[Role, ...], tuple[str, ...]]] = {
    "admin": (("admin",), (ALL_CUSTOMERS,)),
    "lawyer": (("lawyer",), ()),
    "officer": (("officer",), (CUSTOMER,)),
    "auditor": (("auditor",), ()),
    "stranger": (("officer",), (OTHER_ORGANIZATION,)),
}
"""Who signs in: a name, its roles and, for an officer, its customers."""

READY_SECONDS = 120.0
"""How long the service may take to load the bundled world before the set-up gives up."""


def unavailable() -> str | None:
    """Why a browser cannot be driven here, or None when it can."""
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (the dev extras: pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (Debian's package: apt-get install chromium)"
    return None


@dataclass(frozen=True)
class Service:
    """The running service: where it answers and the key of each of :data:`USERS`."""

    url: str
    settings: Settings
    keys: dict[str, str]
    app: FastAPI

    @property
    def snapshot(self) -> Snapshot:
        """What the service serves (the tests read their expectations from it)."""
        served: Snapshot | None = self.app.state.service.snapshot
        assert served is not None, "the service has not loaded the world"
        return served

    @property
    def host(self) -> str:
        """``127.0.0.1:<port>``: the only host a page may reach."""
        return urlsplit(self.url).netloc

    def api(self, user: str) -> httpx.Client:
        """A client of the service's API with ``user``'s key."""
        headers = {"Authorization": f"Bearer {self.keys[user]}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


@contextmanager
def serve(var: Path) -> Iterator[Service]:
    """The service over the bundled world, answering on loopback until the block ends."""
    settings = bundled_settings(var)
    store = CredentialStore(settings.credentials)
    keys = {name: store.create(name, *USERS[name])[1] for name in USERS}
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.bind(("127.0.0.1", 0))
    app = create_app(settings)
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{listening.getsockname()[1]}"
        _wait_ready(url, thread)
        yield Service(url, settings, keys, app)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listening.close()


def _wait_ready(url: str, thread: threading.Thread) -> None:
    """Poll ``/healthz`` until it answers 200 (the world is loaded), within a deadline."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the service stopped while starting (see its log above)")
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"the service did not answer /healthz within {READY_SECONDS:.0f} s")


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Chromium, with a fresh profile of its own that is removed at the end."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watch:
    """What the pages of one browser context did that they should not have."""

    host: str
    external: list[str] = field(default_factory=list)
    """Requests to any other host than the service's (each aborted)."""
    errors: list[str] = field(default_factory=list)
    """Console errors (a blocked inline style or script among them) and uncaught exceptions."""
    failures: list[str] = field(default_factory=list)
    """Answers of the service with a 5xx status."""

    def problems(self) -> list[str]:
        """Everything recorded, one line each."""
        return (
            [f"external request: {url}" for url in self.external]
            + [f"console: {text}" for text in self.errors]
            + [f"server error: {line}" for line in self.failures]
        )

    def route(self, route: Route) -> None:
        parts = urlsplit(route.request.url)
        if parts.scheme in BROWSER_SCHEMES or parts.netloc == self.host:
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort("blockedbyclient")

    def console(self, message: ConsoleMessage) -> None:
        # The browser reports every 4xx page it loads; a 403 page is a page, not an error.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def web_error(self, error: WebError) -> None:
        self.errors.append(str(error.error))

    def response(self, response: Response) -> None:
        if response.status >= 500:
            self.failures.append(f"{response.status} {response.url}")


def open_context(
    browser: Browser, service: Service, width: int = 1280, height: int = 900
) -> tuple[BrowserContext, Watch]:
    """A new context (no cookies) that reaches the service only, and what it records."""
    context = browser.new_context(
        base_url=service.url,
        viewport={"width": width, "height": height},
        locale="en-GB",
        timezone_id="Asia/Almaty",
        service_workers="block",
    )
    watch = Watch(service.host)
    context.route("**/*", watch.route)
    context.on("console", watch.console)
    context.on("weberror", watch.web_error)
    context.on("response", watch.response)
    return context, watch


def sign_in(page: Page, service: Service, user: str, then: str = "/") -> None:
    """Sign ``page``'s browser in as ``user`` through the sign-in form, landing on ``then``."""
    page.goto(f"/signin?{urlencode({'next': then})}")
    page.fill("#credential", service.keys[user])
    page.locator("main form").get_by_role("button").click()
    page.wait_for_url(lambda url: url == f"{service.url}{then}")
