"""The service's settings, read from ``POLICYEVAL_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the service reads rules and facts and writes its decision log."""

    model_config = SettingsConfigDict(env_prefix="POLICYEVAL_")

    policies: Path = Path("policies")
    facts: Path = Path("facts")
    decision_log: Path = Path("var/decisions.sqlite3")
    scenarios: Path = Path("tests/scenarios")
