"""Health and reload."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from policyeval import Snapshot
from policyeval.service.auth import require
from policyeval.service.deps import StateDep
from policyeval.service.errors import PROBLEM_RESPONSES, NotFoundError
from policyeval.service.reloads import LoadJob, Served
from policyeval.service.schemas import Health, Loading, LoadStatus, ReloadResult, Versions

router = APIRouter(tags=["system"], responses=PROBLEM_RESPONSES)
admin = [Depends(require("admin"))]


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Loading, "description": "still loading, or the first load failed"}},
)
async def healthz(state: StateDep) -> Health | JSONResponse:
    """Up, and serving these versions; 503 ``loading`` (or ``failed``) before the first load is
    done. ``async`` and reading state only: it never waits for a worker thread, so it answers
    while evaluations fill the thread pool."""
    snapshot = state.snapshot
    if snapshot is not None:
        return Health(**_versions(snapshot).model_dump())
    job = state.loader.latest()
    failed = job is not None and job.state == "failed"
    body = Loading(
        status="failed" if failed else "loading",
        progress=job.progress[-5:] if job else [],
        problems=_problems(job),
    )
    return JSONResponse(body.model_dump(), status_code=503, headers={"Retry-After": "5"})


@router.post(
    "/v1/reload",
    response_model=LoadStatus | ReloadResult,
    status_code=202,
    dependencies=admin,
    responses={200: {"model": ReloadResult, "description": "with `wait`: the load is done"}},
)
def reload(
    state: StateDep,
    response: Response,
    wait: Annotated[bool, Query(description="answer when the load is done")] = False,
) -> LoadStatus | ReloadResult:
    """Reload rules and facts in the background (202 with the load's id; follow it at
    ``GET /v1/reload/{id}``). With ``wait``, answer when it is done: the new versions, or a 422
    listing every problem. On any problem the old rules and facts keep serving: the new
    snapshot is built completely, then swapped in with one assignment."""
    job = state.loader.start()
    if not wait:
        return _status(job)
    job.done.wait()
    if job.error is not None:
        raise job.error
    response.status_code = 200
    return _result(job)


@router.get("/v1/reload/{load_id}", response_model=LoadStatus, dependencies=admin)
def reload_status(load_id: str, state: StateDep) -> LoadStatus:
    """A load's progress, and its result or every problem once it is over."""
    job = state.loader.job(load_id)
    if job is None:
        raise NotFoundError(f"no load `{load_id}`")
    return _status(job)


def _status(job: LoadJob) -> LoadStatus:
    return LoadStatus(
        id=job.id,
        state=job.state,
        started=job.started,
        finished=job.finished,
        progress=list(job.progress),
        result=_result(job) if job.state == "done" else None,
        problems=_problems(job),
    )


def _result(job: LoadJob) -> ReloadResult:
    assert job.served is not None
    previous = job.previous
    return ReloadResult(
        **Versions.model_validate(job.served, from_attributes=True).model_dump(),
        previous_policy_version=previous.policy_version if previous else "",
        previous_facts_version=previous.facts_version if previous else "",
    )


def _problems(job: LoadJob | None) -> list[str]:
    if job is None or job.error is None:
        return []
    return [str(problem) for problem in job.error.problems] or [job.error.message]


def _versions(snapshot: Snapshot) -> Versions:
    return Versions.model_validate(Served.of(snapshot), from_attributes=True)
