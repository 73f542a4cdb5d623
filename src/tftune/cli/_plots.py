"""``tftune plot`` and ``tftune importance``: which figure or table, from which options."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import tftune
from tftune.cli._errors import CliError
from tftune.trial import FrozenTrial

#: Plot kinds and what each shows (the --kind help).
PLOTS = {
    "history": "values and best so far",
    "intermediate": "learning curves, pruned trials marked",
    "slice": "value against each parameter",
    "contour": "value over pairs of parameters",
    "parallel": "parallel coordinates",
    "rank": "parameters coloured by the value's rank",
    "edf": "distribution of the values",
    "importances": "parameter importances",
    "timeline": "when each trial ran, by state",
    "pareto": "Pareto front (several objectives)",
    "hypervolume": "hypervolume history (several objectives, needs --reference-point)",
}
#: Kinds that plot one number per trial: a study with several objectives needs --target-index.
ONE_VALUE = ("history", "slice", "contour", "parallel", "rank", "edf")
#: Kinds that take --params.
WITH_PARAMS = ("slice", "contour", "parallel", "rank", "importances")
EVALUATORS = ("ped-anova", "fanova", "mdi")


def objective_target(
    study: tftune.Study, index: int | None, option: str = "--target-index"
) -> tuple[Callable[[FrozenTrial], float] | None, str | None]:
    """The target and its name for objective ``index``; (None, None) when not given."""
    n_objectives = len(study.directions)
    if index is None:
        return None, None
    if not 0 <= index < n_objectives:
        raise CliError(
            f"{option} must be an objective index from 0 to {n_objectives - 1} for study "
            f"{study.study_name!r}, got {index}"
        )

    def target(trial: FrozenTrial) -> float:
        return float(trial.values[index])  # type: ignore[index]

    return target, f"Objective {index}" if n_objectives > 1 else "Objective Value"


def evaluator(name: str, seed: int | None) -> Any:
    """The importance evaluator named on the command line."""
    from tftune import importance

    if name == "fanova":
        return importance.FanovaImportanceEvaluator(seed=seed)
    if name == "mdi":
        return importance.MeanDecreaseImpurityImportanceEvaluator(seed=seed)
    return importance.PedAnovaImportanceEvaluator()


def make_figure(study: tftune.Study, kind: str, args: argparse.Namespace) -> Any:
    """The plotly figure of ``kind``; CliError for options the kind cannot use."""
    from tftune import visualization as vis

    if args.params is not None and kind not in WITH_PARAMS:
        raise CliError(
            f"--params applies to --kind {', '.join(WITH_PARAMS)}, not to --kind {kind}"
        )
    if args.reference_point is not None and kind != "hypervolume":
        raise CliError(f"--reference-point applies to --kind hypervolume, not to --kind {kind}")
    several = len(study.directions) > 1
    if kind in ONE_VALUE and several and args.target_index is None:
        raise CliError(
            f"--kind {kind} plots one number per trial, and study {study.study_name!r} has "
            f"{len(study.directions)} objectives: pass --target-index 0 to "
            f"{len(study.directions) - 1}"
        )
    target, name = objective_target(study, args.target_index)
    named: dict[str, Any] = {"target": target} if target is not None else {}
    if name is not None:
        named["target_name"] = name
    params = {"params": args.params} if args.params is not None else {}
    if kind == "history":
        return vis.plot_optimization_history(study, **named)
    if kind == "intermediate":
        return vis.plot_intermediate_values(study)
    if kind == "edf":
        return vis.plot_edf(study, **named)
    if kind == "importances":
        chosen = evaluator(args.evaluator, args.seed)
        return vis.plot_param_importances(study, evaluator=chosen, **params, **named)
    if kind == "timeline":
        return vis.plot_timeline(study)
    if kind == "pareto":
        return vis.plot_pareto_front(study)
    if kind == "hypervolume":
        if args.reference_point is None:
            raise CliError(
                "--kind hypervolume needs --reference-point, one number per objective, worse "
                "than the trials (e.g. --reference-point 1.0 10.0)"
            )
        return vis.plot_hypervolume_history(study, args.reference_point)
    plot = {
        "slice": vis.plot_slice,
        "contour": vis.plot_contour,
        "parallel": vis.plot_parallel_coordinate,
        "rank": vis.plot_rank,
    }[kind]
    return plot(study, **params, **named)


def importances(study: tftune.Study, args: argparse.Namespace) -> dict[str, float]:
    """``get_param_importances`` as the ``importance`` command's options ask."""
    from tftune.importance import get_param_importances

    if len(study.directions) > 1 and args.target_index is None:
        raise CliError(
            f"study {study.study_name!r} has {len(study.directions)} objectives: pass "
            f"--target-index 0 to {len(study.directions) - 1}"
        )
    target, _ = objective_target(study, args.target_index)
    return get_param_importances(
        study, evaluator=evaluator(args.evaluator, args.seed), params=args.params, target=target
    )
