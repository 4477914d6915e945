"""What a fact file looks like."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from policyeval import ROLES, VOCABULARY, fact_file_json_schema
from policyeval.service.auth import require

router = APIRouter(prefix="/v1/facts", tags=["facts"], dependencies=[Depends(require(*ROLES))])


@router.get("/schema")
def schema() -> dict[str, Any]:
    """The JSON Schema of fact files (and of ``assume`` records)."""
    return fact_file_json_schema(VOCABULARY)
