"""Shared test configuration: reproducible property tests.

Under ``CI`` (set by CI runs) hypothesis runs derandomized — the same examples every run, on
every machine — and keeps no example database between runs, so a CI run can never fail by
chance nor because of an example an earlier run saved. Elsewhere it explores as usual.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))
