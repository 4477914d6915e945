"""An app factory for ``uvicorn --factory --workers N`` (each worker process loads its own world).

    uvicorn --app-dir bench --factory service_factory:create_app --workers 2

``policyeval.service.create_app()`` already works as a factory (its settings come from the
``POLICYEVAL_*`` environment variables), but it loads with the library's default
``compile_knowledge_base``. ``BENCH_MATERIALIZE=0`` builds with ``materialize=False`` instead
(what the benchmark can load at national scale; see README.md); anything else, or unset, keeps
the library's default.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from policyeval.loading import Snapshot, compile_knowledge_base, load_sources
from policyeval.service import Settings
from policyeval.service import create_app as create_service


def create_app() -> FastAPI:
    settings = Settings()
    if os.environ.get("BENCH_MATERIALIZE", "") != "0":
        return create_service(settings)
    rules, facts = load_sources(settings.policies, settings.facts)
    knowledge_base = compile_knowledge_base(rules, facts.store, facts.version, materialize=False)
    return create_service(settings, Snapshot(knowledge_base, facts.fact_base))
