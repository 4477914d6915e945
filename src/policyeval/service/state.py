"""What the service holds between requests: the snapshot served, the decision log, its settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from policyeval import CredentialStore, DecisionLog, JwtVerifier, Snapshot
from policyeval.service.reloads import Loader
from policyeval.service.settings import Settings


@dataclass
class ServiceState:
    """Created at startup and kept in ``app.state.service``.

    ``snapshot`` is everything a question needs, in one immutable object: a request reads it
    once (:func:`policyeval.service.deps.get_snapshot`) and a reload replaces it with one
    assignment, so no request sees the rules of one version and the facts of another.
    """

    settings: Settings
    snapshot: Snapshot | None
    """``None`` until the first load is done (the service then answers 503, health "loading")."""
    decision_log: DecisionLog
    credentials: CredentialStore
    jwt: JwtVerifier | None = None
    loader: Loader = field(init=False)

    def __post_init__(self) -> None:
        self.loader = Loader(self.settings, self.swap)

    def swap(self, new: Snapshot) -> Snapshot | None:
        """Serve ``new`` from the next request on (one assignment); returns the one replaced."""
        old, self.snapshot = self.snapshot, new
        return old
