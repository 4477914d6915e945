"""Rendering a page: the Jinja2 environment (autoescaped), its globals, security headers.

Every page extends ``templates/base.html.j2``; a route calls :func:`render` with its template
and context. The navigation offers each signed-in role what it may use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import StrictUndefined

from policyeval import Principal
from policyeval.service.web.session import may
from policyeval.service.web.sources import SourceRoots
from policyeval.service.web.texts import texts

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.undefined = StrictUndefined  # a misspelt name fails the page's test, not silently
TEMPLATES.env.autoescape = True  # every template, *.html.j2 too (select_autoescape would skip them)
TEMPLATES.env.globals["may"] = may

SECURITY_HEADERS = {
    # Everything from this service and nothing else: the pages work with no internet access,
    # and an injected script or a foreign form target is refused by the browser.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'self'; "
        "base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # pages about state secrets stay out of shared caches
}


def render(
    request: Request,
    template: str,
    principal: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The page ``template`` for ``principal`` with ``context``."""
    state = getattr(request.app.state, "service", None)
    sources = SourceRoots.of(state.settings) if state is not None else SourceRoots(())
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "t": texts(),
            "viewer": principal,
            "source_url": sources.url,
            "source_label": sources.label,
            **context,
        },
        status_code=status_code,
    )
    response.headers.update(SECURITY_HEADERS)
    return response
