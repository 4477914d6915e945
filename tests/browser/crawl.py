"""Following a site's links breadth-first in a browser page, as far as a depth and a cap.

A site's pages come in kinds (``/clauses/8`` and ``/clauses/9`` are one kind, a page of the
same template): a few of each kind are visited, so a capped crawl sees every kind of page
the links reach rather than the first sixty clauses.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Page

SKIPPED = ("/static/", "/signout", "/docs", "/redoc", "/openapi.json", "/v1/")
"""Not pages to visit: files, the API and its documentation, signing out."""


def crawl(
    page: Page, host: str, start: str = "/", depth: int = 2, cap: int = 80, per_kind: int = 3
) -> dict[str, int]:
    """The status of every page of ``host`` reached from ``start`` by following links (each
    address once, without its fragment), ``depth`` links deep, at most ``per_kind`` pages of
    a kind and ``cap`` in all."""
    statuses: dict[str, int] = {}
    kinds: Counter[tuple[str, ...]] = Counter()
    frontier = [start]
    for level in range(depth + 1):
        found: list[str] = []
        for address in frontier:
            if len(statuses) >= cap:
                return statuses
            statuses[address] = _visit(page, address)
            if level < depth:
                found += _links(page, host)
        frontier = []
        for address in dict.fromkeys(found):
            kind = kind_of(address)
            if address not in statuses and kinds[kind] < per_kind:
                kinds[kind] += 1
                frontier.append(address)
    return statuses


def kind_of(address: str) -> tuple[str, ...]:
    """What pages of one kind share: the first step of the path, the number of steps, the
    names of the query's parameters.

    >>> kind_of("/clauses/8"), kind_of("/query?preset=answer_due")
    (('clauses', '2'), ('query', '1', 'preset'))
    >>> kind_of("/records/permit/pm_1") == kind_of("/records/notice/n_8")
    True
    """
    parts = urlsplit(address)
    steps = [step for step in parts.path.split("/") if step]
    names = sorted({name for name, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return (steps[0] if steps else "", str(len(steps)), *names)


def _visit(page: Page, address: str) -> int:
    """Open ``address`` in ``page``; its status (a file the browser downloads, such as a PDF
    report, is asked for again outside the page, with the same cookies)."""
    from playwright.sync_api import Error

    try:
        response = page.goto(address)
    except Error as exc:
        if "Download is starting" not in exc.message:
            raise
        return page.request.get(address).status
    return response.status if response is not None else 0


def _links(page: Page, host: str) -> list[str]:
    """The addresses of the page's links to ``host`` (path and query), in document order."""
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    local = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.netloc != host or parts.path.startswith(SKIPPED):
            continue
        local.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return list(dict.fromkeys(local))
