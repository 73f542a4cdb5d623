"""Helpers of bench_optuna_tests.py: fetch Optuna's test sources, classify and record tests."""
