"""A served rule, fact or scenario file, each line numbered and linkable (``#L12``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from policyeval.service.deps import StateDep
from policyeval.service.errors import NotFoundError
from policyeval.service.web.pages import render
from policyeval.service.web.session import Viewer
from policyeval.service.web.sources import SourceRoots

router = APIRouter(include_in_schema=False)


@router.get("/source/{root}/{path:path}")
def source(request: Request, root: str, path: str, state: StateDep, principal: Viewer) -> Response:
    lines = SourceRoots.of(state.settings).read(root, path)
    if lines is None:
        raise NotFoundError(f"no served file `{root}/{path[:200]}`")
    return render(request, "source.html.j2", principal, root=root, path=path, lines=lines)
