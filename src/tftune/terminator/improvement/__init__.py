"""Optuna's module path ``optuna.terminator.improvement``: the improvement evaluators."""
