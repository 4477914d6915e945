"""What the service holds between requests: the snapshot served, the decision log, its settings."""

from __future__ import annotations

import threading
from collections.abc import Callable
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
    warm_ups: list[Callable[[Snapshot], object]] = field(default_factory=list)
    """Work worth doing once per snapshot before anyone asks for it (the pages' fact index):
    run in a thread of its own whenever a snapshot starts being served."""
    warming: list[threading.Thread] = field(default_factory=list, init=False)
    """The warm-up threads started (the last few; a test joins them)."""
    loader: Loader = field(init=False)

    def __post_init__(self) -> None:
        self.loader = Loader(self.settings, self.swap)
        if self.snapshot is not None:
            self.warm_up(self.snapshot)

    def swap(self, new: Snapshot) -> Snapshot | None:
        """Serve ``new`` from the next request on (one assignment); returns the one replaced."""
        old, self.snapshot = self.snapshot, new
        self.warm_up(new)
        return old

    def warm_up(self, snapshot: Snapshot) -> None:
        """Start the warm-ups of ``snapshot`` in the background (a failure only costs the
        first request the work)."""
        for warm_up in self.warm_ups:
            thread = threading.Thread(target=warm_up, args=(snapshot,), daemon=True)
            thread.start()
            self.warming[:] = [*self.warming[-7:], thread]
