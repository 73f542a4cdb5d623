"""GPSampler with several objectives: log EHVI over one GP per objective (issue 16)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tftune
from tftune.hypervolume import compute_hypervolume, non_dominated_box_bounds
from tftune.samplers import AutoSampler, GPSampler, RandomSampler
from tftune.samplers._gp._multi_objective import log_ehvi, normal_qmc_samples


@pytest.fixture(autouse=True)
def _quiet() -> None:
    tftune.logging.set_verbosity(tftune.logging.WARNING)


def zdt1(trial: tftune.Trial, n_var: int = 5) -> tuple[float, float]:
    x = np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(n_var)])
    g = 1.0 + 9.0 * x[1:].mean()
    return float(x[0]), float(g * (1.0 - math.sqrt(x[0] / g)))


def zdt2(trial: tftune.Trial, n_var: int = 5) -> tuple[float, float]:
    x = np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(n_var)])
    g = 1.0 + 9.0 * x[1:].mean()
    return float(x[0]), float(g * (1.0 - (x[0] / g) ** 2))


def dtlz2(trial: tftune.Trial, n_var: int = 5) -> tuple[float, float, float]:
    x = np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(n_var)])
    g = float(((x[2:] - 0.5) ** 2).sum())
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    return (
        (1 + g) * math.cos(a) * math.cos(b),
        (1 + g) * math.cos(a) * math.sin(b),
        (1 + g) * math.sin(a),
    )


def hypervolume(study: tftune.Study, reference: list[float]) -> float:
    signs = np.array([1.0 if d.name == "MINIMIZE" else -1.0 for d in study.directions])
    loss = np.array([t.values for t in study.trials if t.values is not None]) * signs
    return compute_hypervolume(loss, np.asarray(reference) * signs)


# --- the box decomposition and log EHVI --------------------------------------------------------
@pytest.mark.parametrize("k", [2, 3, 4])
def test_boxes_are_disjoint_and_cover_the_region_no_point_dominates(k: int) -> None:
    rng = np.random.default_rng(k)
    points = rng.random((12, k))
    points /= np.linalg.norm(points, axis=1, keepdims=True)  # a front ...
    points = np.vstack([points, points[:3] + 0.05])  # ... and some dominated points
    reference = np.full(k, 1.2)
    lower, upper = non_dominated_box_bounds(points, reference)
    floor = -0.5  # below every point: the open boxes cut off here
    volume = np.prod(upper - np.maximum(lower, floor), axis=1).sum()
    assert volume + compute_hypervolume(points, reference) == pytest.approx(
        np.prod(reference - floor), rel=1e-12
    )
    # Every improvement is the box formula's: HV(P + y) - HV(P) = sum of the boxes' parts >= y.
    base = compute_hypervolume(points, reference)
    for y in rng.random((10, k)) * 1.2:
        exact = compute_hypervolume(np.vstack([points, y]), reference) - base
        boxes = np.prod(np.clip(upper - np.maximum(y, lower), 0.0, None), axis=1).sum()
        assert boxes == pytest.approx(exact, abs=1e-12)


def test_box_bounds_reject_a_bad_reference_point_by_name() -> None:
    with pytest.raises(ValueError, match=r"`reference_point` must be a flat sequence"):
        non_dominated_box_bounds([[0.0, 1.0]], [[1.0, 2.0]])
    with pytest.raises(ValueError, match="must not contain NaN"):
        non_dominated_box_bounds([[np.nan, 1.0]], [1.0, 2.0])


def test_log_ehvi_matches_a_brute_force_monte_carlo_estimate() -> None:
    front = np.array([[0.0, 1.0], [0.4, 0.5], [1.0, 0.0]])
    reference = np.array([1.5, 1.5])
    lower, upper = non_dominated_box_bounds(front, reference)
    mean = np.array([[0.3, 0.4], [0.7, 0.45], [-0.2, 1.1]])
    std = np.array([[0.2, 0.3], [0.15, 0.1], [0.5, 0.05]])
    ours = log_ehvi(mean, std, normal_qmc_samples(2, 4096, seed=0), lower, upper)
    rng = np.random.default_rng(1)
    base = compute_hypervolume(front, reference)
    for i in range(len(mean)):
        draws = mean[i] + std[i] * rng.standard_normal((4000, 2))
        gains = [compute_hypervolume(np.vstack([front, d]), reference) - base for d in draws]
        brute = float(np.mean(gains))
        # 4,000 draws: the estimate's own standard error is below 3 % here.
        assert math.exp(ours[i]) == pytest.approx(brute, rel=0.08)


def test_log_ehvi_of_a_certain_point_is_its_exact_improvement() -> None:
    front = np.array([[0.2, 0.8, 0.5], [0.6, 0.3, 0.4], [0.5, 0.5, 0.1]])
    reference = np.ones(3)
    lower, upper = non_dominated_box_bounds(front, reference)
    y = np.array([[0.3, 0.4, 0.3]])
    exact = compute_hypervolume(np.vstack([front, y]), reference) - compute_hypervolume(
        front, reference
    )
    value = log_ehvi(y, np.zeros_like(y), normal_qmc_samples(3, 8, seed=0), lower, upper)
    assert value[0] == pytest.approx(math.log(exact), abs=1e-9)
    dominated = log_ehvi(
        np.array([[0.9, 0.9, 0.9]]), np.zeros((1, 3)), np.zeros((1, 3)), lower, upper
    )
    # Nothing to gain: only the clamp's volume, 1e-12 per box along an axis of no gain.
    assert dominated[0] < math.log(1e-10)


# --- the sampler -------------------------------------------------------------------------------
def _run(objective, directions, sampler, n_trials):  # type: ignore[no-untyped-def]
    study = tftune.create_study(directions=directions, sampler=sampler)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "samples at random" fallback any more
        study.optimize(objective, n_trials=n_trials)
    return study


@pytest.mark.parametrize(
    ("objective", "reference"), [(zdt1, [1.1, 11.0]), (zdt2, [1.1, 11.0])], ids=["zdt1", "zdt2"]
)
def test_gp_beats_random_hypervolume_at_equal_trials_on_every_seed(objective, reference) -> None:  # type: ignore[no-untyped-def]
    directions = ["minimize", "minimize"]
    for seed in range(3):
        gp = _run(objective, directions, GPSampler(seed=seed), 30)
        random = _run(objective, directions, RandomSampler(seed=seed), 30)
        # Measured 11.55-11.63 (zdt1) and 11.0 (zdt2) against at most 9.4 at random.
        assert hypervolume(gp, reference) > hypervolume(random, reference) + 0.5


def test_gp_beats_random_with_three_objectives() -> None:
    directions = ["minimize"] * 3
    reference = [2.0, 2.0, 2.0]
    gaps = []
    for seed in range(2):
        gp = _run(dtlz2, directions, GPSampler(seed=seed), 30)
        random = _run(dtlz2, directions, RandomSampler(seed=seed), 30)
        gaps.append(hypervolume(gp, reference) - hypervolume(random, reference))
    # Measured gaps 0.20 and 0.65 (of a largest possible 7.48; random reaches 6.25-6.44).
    assert min(gaps) > 0.0 and np.mean(gaps) > 0.25


def test_mixed_directions_are_respected() -> None:
    def objective(trial: tftune.Trial) -> tuple[float, float]:
        f1, f2 = zdt1(trial)
        return f1, -f2  # the second objective maximized: the same problem

    directions = ["minimize", "maximize"]
    reference = [1.1, -11.0]
    gp = _run(objective, directions, GPSampler(seed=0), 30)
    random = _run(objective, directions, RandomSampler(seed=0), 30)
    assert hypervolume(gp, reference) > hypervolume(random, reference) + 0.5
    # Read the wrong way round (the second objective minimized), the GP would chase g large.
    late = gp.trials[10:]
    assert np.median([t.values[1] for t in late]) > np.median(
        [t.values[1] for t in random.trials[10:]]
    )


def test_constraints_combine_with_log_ehvi() -> None:
    # ZDT1 with the half x0 < 0.5 infeasible: the feasible front is x0 in [0.5, 1], g = 1.
    def constraints(trial: tftune.FrozenTrial) -> list[float]:
        return [0.5 - trial.params["x0"]]

    directions = ["minimize", "minimize"]
    gp = _run(zdt1, directions, GPSampler(seed=0, constraints_func=constraints), 30)
    random = _run(zdt1, directions, RandomSampler(seed=0), 30)
    late = gp.trials[10:]
    assert sum(t.params["x0"] >= 0.5 for t in late) >= 0.8 * len(late)

    def feasible_hv(study: tftune.Study) -> float:
        ok = [t.values for t in study.trials if t.params["x0"] >= 0.5]
        return compute_hypervolume(np.array(ok).reshape(-1, 2), [1.1, 11.0])

    assert feasible_hv(gp) > feasible_hv(random) + 0.5
    # While no trial is feasible, the probability of feasibility alone steers the search.
    hard = _run(
        zdt1,
        directions,
        GPSampler(seed=0, n_startup_trials=5, constraints_func=lambda t: [0.9 - t.params["x0"]]),
        15,
    )
    assert any(t.params["x0"] >= 0.9 for t in hard.trials[5:])


def test_int_log_and_categorical_parameters() -> None:
    def objective(trial: tftune.Trial) -> tuple[float, float]:
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        units = trial.suggest_int("units", 8, 128, log=True)
        layers = trial.suggest_int("layers", 1, 4)
        act = trial.suggest_categorical("act", ["relu", "tanh", "none"])
        error = (math.log10(lr) + 3) ** 2 + (layers - 2) ** 2 + (act != "relu") * 2.0
        return error, units * layers  # accuracy against cost

    study = _run(objective, ["minimize", "minimize"], GPSampler(seed=0), 30)
    for t in study.trials:
        assert 1e-5 <= t.params["lr"] <= 1e-1
        assert isinstance(t.params["units"], int) and 8 <= t.params["units"] <= 128
        assert t.params["layers"] in (1, 2, 3, 4)
        assert t.params["act"] in ("relu", "tanh", "none")
    late = study.trials[10:]
    assert sum(t.params["act"] == "relu" for t in late) > len(late) / 2
    front = {t.number for t in study.best_trials}
    assert any(study.trials[n].values[0] < 0.5 for n in front)


def test_proposals_are_reproducible_with_a_seed() -> None:
    a = _run(zdt1, ["minimize", "minimize"], GPSampler(seed=3), 14)
    b = _run(zdt1, ["minimize", "minimize"], GPSampler(seed=3), 14)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]


def test_bad_input_is_refused_with_the_parameter_and_value() -> None:
    with pytest.raises(ValueError, match=r"`n_startup_trials` must be a positive int, got 0"):
        GPSampler(n_startup_trials=0)
    sampler = GPSampler(seed=0, n_startup_trials=2, constraints_func=lambda t: [float("nan")])
    study = tftune.create_study(directions=["minimize", "minimize"], sampler=sampler)
    with pytest.raises(ValueError, match=r"Constraint values cannot be NaN, got \[nan\]"):
        study.optimize(zdt1, n_trials=1)


# --- AutoSampler -------------------------------------------------------------------------------
def test_auto_sampler_uses_the_gp_for_few_objectives_over_numbers_only() -> None:
    sampler = AutoSampler(seed=0, gp_max_trials=12)
    study = _run(zdt1, ["minimize", "minimize"], sampler, 10)
    space = sampler.tpe.infer_relative_search_space(study, study.trials[-1])
    # Every trial number: the single-objective rule of every second trial to TPE does not apply.
    assert {sampler.choose(study, space, number) for number in range(10, 14)} == {sampler.gp}
    study.optimize(zdt1, n_trials=2)
    assert sampler.choose(study, space, 12) is sampler.tpe  # past gp_max_trials

    def mixed(trial: tftune.Trial) -> tuple[float, float]:
        trial.suggest_categorical("c", ["a", "b"])
        return zdt1(trial)

    with_categorical = AutoSampler(seed=0)
    study = _run(mixed, ["minimize", "minimize"], with_categorical, 3)
    space = with_categorical.tpe.infer_relative_search_space(study, study.trials[-1])
    assert with_categorical.choose(study, space, 3) is with_categorical.tpe

    four = AutoSampler(seed=0)
    study = _run(lambda t: (*zdt1(t), *zdt1(t)), ["minimize"] * 4, four, 3)
    space = four.tpe.infer_relative_search_space(study, study.trials[-1])
    assert four.choose(study, space, 3) is four.tpe
    assert AutoSampler(seed=0, gp_max_objectives=4).choose(study, space, 3).__class__ is GPSampler


@pytest.mark.parametrize("value", [0, 2.5, True])
def test_auto_sampler_checks_gp_max_objectives(value: object) -> None:
    with pytest.raises(
        ValueError, match=rf"`gp_max_objectives` must be an int >= 1, got {value!r}"
    ):
        AutoSampler(gp_max_objectives=value)  # type: ignore[arg-type]
