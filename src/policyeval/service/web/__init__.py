"""The web pages for lawyers, officers and auditors, served by the API's own app.

Server-rendered Jinja2 pages with forms that work without JavaScript; one small script of ours
(``static/app.js``) adds conveniences (expand or fold a whole proof, filter a list as one
types). No framework, no build step, nothing from a CDN: every script, style sheet and font is
a file of this package, and the Content-Security-Policy forbids anything else.

Why not htmx or a front-end framework: a page is one question and its answer, which a form
post and a server-rendered page give with the browser's own history, printing and keyboard
use; a third-party script would be one more thing to vet and ship on machines that hold state
secrets.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from policyeval import Snapshot
from policyeval.service.settings import Settings
from policyeval.service.web import errors, home
from policyeval.service.web.fact_index import fact_index
from policyeval.service.web.routes import routers

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI, settings: Settings) -> list[Callable[[Snapshot], object]]:
    """Serve the pages, their static files, and their errors as pages; returns the work to do
    for each snapshot served before a page needs it (who names whom, for the fact pages: ~1 s
    at 1,000 executors, which the first fact page would otherwise wait for)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(home.router)
    for router in routers():
        app.include_router(router)
    errors.install(app)
    return [lambda snapshot: fact_index(snapshot, settings.facts)]
