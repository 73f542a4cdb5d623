"""Helpers of the multi-objective benchmark (bench_multi_objective.py)."""
