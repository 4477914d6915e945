"""Scenario tests a lawyer writes: the file format, judging, running, and the clause index.

Import the modules themselves; this package initializer imports nothing, so that loading
(:mod:`policyeval.loading`, which builds the clause index) and the runner (which loads through
it) do not import each other in a circle.
"""
