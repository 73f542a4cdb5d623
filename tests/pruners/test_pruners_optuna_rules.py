"""Optuna's rules that the pruners follow: decisions at the first report of each interval,
PatientPruner's "fell behind" rule, NaN handling of the percentile pruners, ThresholdPruner's
TypeErrors and the experimental warnings."""

from __future__ import annotations

import math

import pytest

import tftune
from tftune.exceptions import ExperimentalWarning
from tftune.pruners import MedianPruner, PatientPruner, ThresholdPruner, WilcoxonPruner

pytestmark = pytest.mark.filterwarnings("ignore::tftune.exceptions.ExperimentalWarning")


@pytest.fixture(autouse=True)
def _quiet() -> None:
    tftune.logging.set_verbosity(tftune.logging.WARNING)


def _pruned_steps(study: tftune.Study, reports: dict[int, float], last: int) -> list[int]:
    """Steps 0..last at which should_prune() says yes; ``reports`` at the given steps."""
    trial = study.ask()
    pruned = []
    for step in range(last + 1):
        if step in reports:
            trial.report(reports[step], step)
        if trial.should_prune():
            pruned.append(step)
    return pruned


@pytest.mark.parametrize(
    ("warmup", "interval", "every", "expected"),
    [
        (0, 1, 1, [0, 1, 2, 3, 4, 5]),
        (1, 2, 1, [1, 3, 5]),
        # Reports every 3 steps, decisions every 10: the first report in each interval counts.
        (0, 10, 3, [0, 1, 2, 12, 13, 14, 21, 22, 23]),
        (2, 10, 3, [3, 4, 5, 12, 13, 14, 24, 25, 26]),
    ],
)
def test_median_pruner_decides_at_the_first_report_of_each_interval(
    warmup: int, interval: int, every: int, expected: list[int]
) -> None:
    study = tftune.create_study(pruner=MedianPruner(0, warmup, interval))
    last = max(expected)
    good = study.ask()
    for step in range(last + 1):
        good.report(0.0, step)
    study.tell(good, 0.0)
    reports = {s: 2.0 for s in range(last + 1) if s % every == 0}
    assert _pruned_steps(study, reports, last) == expected


def test_median_pruner_keeps_a_trial_when_the_others_have_only_nan_there() -> None:
    study = tftune.create_study(pruner=MedianPruner(0, 0))
    for _ in range(2):
        trial = study.ask()
        trial.report(math.nan, 1)
        study.tell(trial, -1.0)
    trial = study.ask()
    trial.report(1.0, 1)
    assert not trial.should_prune()


def test_threshold_pruner_uses_the_same_interval_rule() -> None:
    study = tftune.create_study(pruner=ThresholdPruner(upper=1.0, interval_steps=10))
    assert _pruned_steps(study, {s: 2.0 for s in range(0, 24, 3)}, 23) == [
        0, 1, 2, 12, 13, 14, 21, 22, 23
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("patience", "min_delta", "direction", "values", "expected"),
    [
        (0, 0.0, "maximize", [1, 0], [1]),
        (1, 0.0, "minimize", [0, 1, 2], [2]),
        (0, 0.0, "minimize", [1, 1], []),  # a plateau is not falling behind
        (0, 1.0, "maximize", [1, 0], []),  # behind by 1, not by more than min_delta
        (1, 1.0, "minimize", [0, 1, 2, 3], [3]),
    ],
)
def test_patient_pruner_prunes_once_recent_reports_fell_behind(
    patience: int, min_delta: float, direction: str, values: list[float], expected: list[int]
) -> None:
    study = tftune.create_study(
        direction=direction, pruner=PatientPruner(None, patience, min_delta)
    )
    assert _pruned_steps(study, dict(enumerate(values)), len(values) - 1) == expected


def test_patient_pruner_ignores_nan_reports() -> None:
    study = tftune.create_study(pruner=PatientPruner(None, 0, 0))
    assert _pruned_steps(study, {0: math.nan, 1: 1.0, 2: math.nan}, 2) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lower": "val", "upper": 1.0}, r"`lower` must be a number or None, got 'val'"),
        ({"lower": 0.0, "upper": "val"}, r"`upper` must be a number or None, got 'val'"),
        ({}, "needs `lower` or `upper`"),
    ],
)
def test_threshold_pruner_type_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        ThresholdPruner(**kwargs)  # type: ignore[arg-type]


def test_threshold_pruner_nan_bound_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"`upper` must be a number or None, got nan"):
        ThresholdPruner(upper=math.nan)


@pytest.mark.parametrize(
    ("build", "name"),
    [(lambda: PatientPruner(None, 1), "PatientPruner"), (WilcoxonPruner, "WilcoxonPruner")],
)
def test_experimental_pruners_warn(build: object, name: str) -> None:
    with pytest.warns(ExperimentalWarning, match=rf"{name} is experimental"):
        build()  # type: ignore[operator]


def test_bootstrap_count_needs_a_fixed_resource() -> None:
    from tftune.pruners import HyperbandPruner, SuccessiveHalvingPruner

    with pytest.raises(ValueError, match=r"needs an int `max_resource`.*bootstrap_count=1"):
        HyperbandPruner(max_resource="auto", bootstrap_count=1)
    with pytest.raises(ValueError, match=r"needs an int `min_resource`.*min_resource='auto'"):
        SuccessiveHalvingPruner(min_resource="auto", bootstrap_count=2)
    HyperbandPruner(max_resource=27, bootstrap_count=1)  # fine with a fixed resource


@pytest.mark.parametrize(
    ("best_reports", "reports", "message"),
    [
        ({1: 1.0}, {1: math.nan}, r"trial #1 reported a NaN or infinite value"),
        ({1: math.nan}, {1: 1.0}, r"the best trial #0 reported a NaN or infinite value"),
        ({1: math.inf}, {1: 1.0}, r"the best trial #0 reported a NaN or infinite value"),
        ({}, {1: 1.0}, r"the best trial #0 reported nothing"),
        ({1: 1.0}, {1: 1.0, 2: 2.0}, r"reported steps the best trial #0 did not"),
    ],
)
@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_wilcoxon_pruner_warns_when_it_cannot_compare(
    best_reports: dict[int, float], reports: dict[int, float], message: str, direction: str
) -> None:
    study = tftune.create_study(direction=direction, pruner=WilcoxonPruner())
    study.add_trial(tftune.trial.create_trial(value=0.0, intermediate_values=best_reports))
    trial = study.ask()
    with pytest.warns(UserWarning, match=message):
        for step, value in reports.items():
            trial.report(value, step)
            assert not trial.should_prune()
