"""The lawyers' scenario tests, by clause: the last run's results for the rules served, and a
button (lawyers and administrators) that runs them all in the background.

Every signed-in role may read the page. A run takes about fifteen seconds on the bundled world;
while it is under way the page says so and reloads itself. A form field ``wait=true`` runs in
the request instead (tests, scripts).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from policyeval.service.deps import SnapshotDep, StateDep
from policyeval.service.web.pages import render
from policyeval.service.web.scenario_runs import scenario_runs
from policyeval.service.web.scenario_view import scenario_groups
from policyeval.service.web.session import Viewer, may, needs

router = APIRouter(include_in_schema=False)


@router.get("/scenarios")
def scenarios(
    request: Request, snapshot: SnapshotDep, state: StateDep, principal: Viewer
) -> Response:
    """Every scenario file by clause, with the last run's result for the rules served."""
    runs = scenario_runs(request.app)
    run = runs.last(snapshot.policy_version)
    groups = scenario_groups(snapshot.clauses, run.results if run else [], state.settings.scenarios)
    return render(
        request,
        "scenarios.html.j2",
        principal,
        groups=groups,
        run=run,
        running=runs.current,
        may_run=may(principal, "lawyer"),
        policy_version=snapshot.policy_version,
    )


@router.post("/scenarios")
def run(
    request: Request,
    snapshot: SnapshotDep,
    state: StateDep,
    principal: Viewer,
    wait: Annotated[bool, Form()] = False,
) -> Response:
    """Start a run of every scenario (or join the one under way); back to the page."""
    needs(principal, "lawyer")
    scenario_runs(request.app).start(state.settings, snapshot.policy_version, wait=wait)
    return RedirectResponse("/scenarios", status_code=303)
