"""The page families, one module each (each a ``router``)."""

from __future__ import annotations

from fastapi import APIRouter

from policyeval.service.web.routes import source

ROUTERS: list[APIRouter] = [source.router]
