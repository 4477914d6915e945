"""The HTTP service: FastAPI routes over the same library calls the CLI makes."""

from policyeval.service.app import create_app
from policyeval.service.settings import Settings

__all__ = ["Settings", "create_app"]
