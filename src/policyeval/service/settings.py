"""The service's settings, read from ``POLICYEVAL_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the service reads rules and facts and writes its decision log."""

    model_config = SettingsConfigDict(env_prefix="POLICYEVAL_")

    policies: Path = Path("policies")
    redactions: list[Path] = Field(
        default_factory=list,
        description="rule directories of other redactions of the decree, served beside "
        "`policies` (each declares its own; `POLICYEVAL_REDACTIONS` is a JSON list)",
    )
    facts: Path = Path("facts")
    decision_log: Path = Path("var/decisions.sqlite3")
    scenarios: Path = Path("tests/scenarios")

    @property
    def rule_directories(self) -> list[Path]:
        """``policies`` and the directories of the other redactions."""
        return [self.policies, *self.redactions]
