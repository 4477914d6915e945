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
    decision_log: str | Path = Field(
        default="var/decisions.sqlite3",
        description="the decision log: a SQLite file, or a `postgresql://` URL shared by replicas",
    )
    scenarios: Path = Path("tests/scenarios")
    snapshots: Path | None = Field(
        default=Path("var/snapshots"),
        description="where the loaded fact base and its tables are kept between starts (a "
        "file per version of the fact files, rule files and code; written 0600, used only "
        "when all three are the same); `null`: load from the files every time",
    )
    credentials: Path = Field(
        default=Path("var/credentials.json"),
        description="the API keys' store (hashes only; created 0600)",
    )
    credentials_recheck_seconds: float = Field(
        default=0.0,
        ge=0,
        description="how often, at most, authenticating looks at the credentials' file; 0 (the "
        "default): on every request, so a revocation anywhere takes effect at the next request. "
        "Above 0, a key revoked by another process (the CLI, another worker) stops working "
        "within this time, one revoked by this worker at once; a key not known yet is looked "
        "up at once",
    )
    jwt_keys: Path | None = Field(
        default=None, description="a JSON Web Key Set file: JWTs signed by these keys are accepted"
    )
    jwt_issuer: str = ""
    jwt_audience: str = "policyeval"
    session_secret: Path = Field(
        default=Path("var/session-secret"),
        description="the key signing the web pages' session cookies (created 0600 with 32 "
        "random bytes on first use; replicas serving one site share it)",
    )
    session_hours: float = Field(
        default=8.0, gt=0, description="how long a web sign-in lasts before signing in again"
    )
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["localhost", "127.0.0.1", "::1", "testserver"],
        description="`Host` values served (others get 400); `*` for any",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="browser origins, besides the service's own, allowed to change state",
    )

    # -- limits: each a problem+json answer, never a hang (README, "Limits") ----------------
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=0,
        description="the largest request body read, in bytes; a larger one is a 413, refused "
        "by its Content-Length before it is read, or once this much of it has streamed in",
    )
    max_secrets: int = Field(
        default=50, ge=1, description="secrets one decision may ask about; more is a 422"
    )
    max_assumed_records: int = Field(
        default=200, ge=0, description="fact records one what-if may assume; more is a 422"
    )
    max_query_args: int = Field(
        default=16, ge=1, description="arguments one query may give; more is a 422"
    )
    evaluation_seconds: float | None = Field(
        default=10.0,
        gt=0,
        description="the time budget of one evaluation (a decision with its proofs, reasons "
        "and repairs, or a query); past it the evaluation is stopped and the request gets a "
        "503 `time_budget_exceeded`. `null`: no budget",
    )
    max_concurrent_evaluations: int = Field(
        default=2,
        ge=1,
        description="evaluations run at once (decisions, queries, reports); the engine holds "
        "the GIL, so more only slow each other and `/healthz` (48 heavy decisions at once: "
        "`/healthz` within 0.6 s with 1 slot, 1.1 s with 2, 4.9 s with 4). A request finding "
        "every slot taken waits `evaluation_wait_seconds`, then gets a 503 `busy` with "
        "`Retry-After`",
    )
    evaluation_wait_seconds: float = Field(
        default=2.0, ge=0, description="how long a request waits for an evaluation slot"
    )

    @property
    def rule_directories(self) -> list[Path]:
        """``policies`` and the directories of the other redactions."""
        return [self.policies, *self.redactions]
