"""Synthetic data for the demo and benchmarks: realistic cohorts built through the services."""
