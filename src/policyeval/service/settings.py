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
    credentials: Path = Field(
        default=Path("var/credentials.json"),
        description="the API keys' store (hashes only; created 0600)",
    )
    jwt_keys: Path | None = Field(
        default=None, description="a JSON Web Key Set file: JWTs signed by these keys are accepted"
    )
    jwt_issuer: str = ""
    jwt_audience: str = "policyeval"
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["localhost", "127.0.0.1", "::1", "testserver"],
        description="`Host` values served (others get 400); `*` for any",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="browser origins, besides the service's own, allowed to change state",
    )

    @property
    def rule_directories(self) -> list[Path]:
        """``policies`` and the directories of the other redactions."""
        return [self.policies, *self.redactions]
