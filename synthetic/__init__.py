"""Synthetic cohorts for the demo, the benchmarks and the tests, outside the request-serving code.

``plan`` and ``activity`` draw the cohort as rows (pure, seeded); ``write``
stores them in bulk; ``target`` keeps them out of databases that are not the
demo's unless told; ``demo`` is what ``reprise demo-data`` runs.
"""
