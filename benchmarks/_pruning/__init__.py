"""Helpers of ``bench_pruning.py`` (issue 5): the tasks, the contenders, the report."""
