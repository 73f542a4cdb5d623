"""KerasTuner's oracles, as tftune samplers and pruners.

An oracle here holds the search's settings (objective, ``max_trials``, seed, the pre-declared
hyperparameters, retry limits) and names the tftune sampler (and pruner) that choose the
trials; the study in the tuner's SQLite file keeps every trial, so there is no oracle state on
disk besides it. Once a tuner owns it, ``get_best_trials`` and ``get_trial`` read the study.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tftune.keras_tuner._hyperparameters import HyperParameters
from tftune.keras_tuner._objective import Objective, create_objective
from tftune.keras_tuner._space import grid
from tftune.keras_tuner._trial import Trial
from tftune.pruners import BasePruner, HyperbandPruner
from tftune.samplers import BaseSampler, GPSampler, GridSampler, RandomSampler

if TYPE_CHECKING:
    from tftune.keras_tuner._tuners import Tuner


def _positive_int_or_none(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{name}` must be a positive int or None, got {value!r}.")
    return value


def _non_negative_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"`{name}` must be a non-negative int, got {value!r}.")
    return value


class Oracle:
    """The settings every search shares; subclasses choose the sampler."""

    def __init__(
        self,
        objective: Any = None,
        max_trials: int | None = None,
        hyperparameters: HyperParameters | None = None,
        allow_new_entries: bool = True,
        tune_new_entries: bool = True,
        seed: int | None = None,
        max_retries_per_trial: int = 0,
        max_consecutive_failed_trials: int = 3,
    ) -> None:
        if hyperparameters is not None and not isinstance(hyperparameters, HyperParameters):
            raise TypeError(
                "`hyperparameters` must be a keras_tuner.HyperParameters, "
                f"got {hyperparameters!r}."
            )
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"`seed` must be an int or None, got {seed!r}.")
        self.objective: Objective = create_objective(objective)
        self.max_trials = _positive_int_or_none("max_trials", max_trials)
        self.hyperparameters = hyperparameters.copy() if hyperparameters else HyperParameters()
        self.allow_new_entries = bool(allow_new_entries)
        self.tune_new_entries = bool(tune_new_entries)
        self.seed = seed
        self.max_retries_per_trial = _non_negative_int(
            "max_retries_per_trial", max_retries_per_trial
        )
        self.max_consecutive_failed_trials = _positive_int_or_none(
            "max_consecutive_failed_trials", max_consecutive_failed_trials
        )
        self._reader: Tuner | None = None

    # --- what the tuner asks -------------------------------------------------------------------
    def sampler(self, space: HyperParameters) -> BaseSampler:
        """The tftune sampler for the discovered ``space``."""
        return RandomSampler(seed=self.seed)

    def pruner(self) -> BasePruner | None:
        return None

    def trial_budget(self) -> int | None:
        """How many trials the search runs in all (``None``: until the sampler stops)."""
        return self.max_trials

    def fixed_epochs(self) -> int | None:
        """The epochs every trial trains for, whatever ``search`` says (Hyperband's)."""
        return None

    def bind(self, tuner: Tuner) -> None:
        """Let ``tuner`` answer the oracle's questions about trials."""
        self._reader = tuner

    # --- KerasTuner's reading methods ----------------------------------------------------------
    def _tuner(self) -> Tuner:
        if self._reader is None:
            raise RuntimeError("This oracle belongs to no tuner yet; pass it to a Tuner first.")
        return self._reader

    def get_space(self) -> HyperParameters:
        """The search space (the declared hyperparameters and those the hypermodel declares)."""
        return self._tuner().space.copy()

    def get_best_trials(self, num_trials: int = 1) -> list[Trial]:
        """The best completed trials, best first (then others, if fewer completed)."""
        return self._tuner().best_trials(num_trials)

    def get_trial(self, trial_id: str) -> Trial:
        return self._tuner().trial(trial_id)

    @property
    def trials(self) -> dict[str, Trial]:
        return {t.trial_id: t for t in self._tuner().all_trials()}

    def remaining_trials(self) -> int | None:
        return self._tuner().remaining_trials()


class RandomSearchOracle(Oracle):
    """Random search: tftune's ``RandomSampler``."""

    def __init__(self, objective: Any = None, max_trials: int | None = 10, **kwargs: Any):
        super().__init__(objective=objective, max_trials=max_trials, **kwargs)


class BayesianOptimizationOracle(Oracle):
    """Bayesian optimization: tftune's Gaussian-process sampler (``GPSampler``).

    ``num_initial_points`` random trials come first (default: 3 per hyperparameter).
    ``alpha`` and ``beta`` (KerasTuner's GP noise and UCB exploration) are accepted for
    compatibility; tftune's GP fits its noise and uses expected improvement instead.
    """

    def __init__(
        self,
        objective: Any = None,
        max_trials: int | None = 10,
        num_initial_points: int | None = None,
        alpha: float = 1e-4,
        beta: float = 2.6,
        **kwargs: Any,
    ) -> None:
        super().__init__(objective=objective, max_trials=max_trials, **kwargs)
        self.num_initial_points = _positive_int_or_none("num_initial_points", num_initial_points)
        for name, value in (("alpha", alpha), ("beta", beta)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"`{name}` must be a non-negative number, got {value!r}.")
        self.alpha, self.beta = float(alpha), float(beta)

    def sampler(self, space: HyperParameters) -> BaseSampler:
        startup = self.num_initial_points or max(3 * len(space.space), 1)
        return GPSampler(seed=self.seed, n_startup_trials=startup)


class GridSearchOracle(Oracle):
    """Grid search over the discovered space: tftune's ``GridSampler`` (each cell once, the
    default configuration first; a float without ``step`` tries its 10 decile midpoints)."""

    def __init__(self, objective: Any = None, max_trials: int | None = None, **kwargs: Any):
        super().__init__(objective=objective, max_trials=max_trials, **kwargs)

    def sampler(self, space: HyperParameters) -> BaseSampler:
        sub_grids = [sub for sub in grid(space) if sub]
        if not space.space:
            raise ValueError(
                "GridSearch needs the search space before the search starts, and found no "
                "hyperparameter: pass a `hypermodel` that declares them, or declare them "
                "with `hyperparameters=` (for a run_trial() of your own)."
            )
        self._grid_size = GridSampler(sub_grids).grid_size if sub_grids else 1
        return GridSampler(sub_grids) if sub_grids else RandomSampler(seed=self.seed)

    def trial_budget(self) -> int | None:
        size = getattr(self, "_grid_size", None)
        if self.max_trials is None:
            return size
        return self.max_trials if size is None else min(self.max_trials, size)


class HyperbandOracle(Oracle):
    """Hyperband: random configurations under tftune's ``HyperbandPruner`` (brackets of
    successive halving up to ``max_epochs``, reduction ``factor``). A trial stopped at a rung
    keeps a checkpoint, and a promotion resumes it from there instead of training it again.
    The search samples as many configurations as KerasTuner's Hyperband would
    (``hyperband_iterations`` times the first round of each bracket); promotions continue
    those trials and do not count."""

    def __init__(
        self,
        objective: Any = None,
        max_epochs: int = 100,
        factor: int = 3,
        hyperband_iterations: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(objective=objective, max_trials=None, **kwargs)
        for name, value, low in (
            ("max_epochs", max_epochs, 1),
            ("factor", factor, 2),
            ("hyperband_iterations", hyperband_iterations, 1),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"`{name}` must be an int >= {low}, got {value!r}.")
        self.max_epochs, self.factor = max_epochs, factor
        self.hyperband_iterations = hyperband_iterations

    def pruner(self) -> BasePruner:
        # KerasTuner's Hyperband ranks trials by their value at each rung, not by where their
        # curves are heading: the same rule here, so a search keeps KerasTuner's decisions.
        return HyperbandPruner(
            min_resource=1,
            max_resource=self.max_epochs,
            reduction_factor=self.factor,
            extrapolate_curves=False,
        )

    def fixed_epochs(self) -> int:
        return self.max_epochs

    def trial_budget(self) -> int:
        return self.hyperband_iterations * sum(
            _round_size(self.max_epochs, self.factor, bracket, 0)
            for bracket in range(_brackets(self.max_epochs, self.factor))
        )

    def keras_tuner_trials(self) -> int:
        """KerasTuner's trial count, every round of every bracket (promotions included)."""
        return self.hyperband_iterations * sum(
            _round_size(self.max_epochs, self.factor, bracket, round_number)
            for bracket in range(_brackets(self.max_epochs, self.factor))
            for round_number in range(bracket + 1)
        )


def _brackets(max_epochs: int, factor: int) -> int:
    """KerasTuner's bracket count: how often ``max_epochs`` divides by ``factor`` down to 1."""
    epochs, count = float(max_epochs), 0
    while epochs >= 1:
        epochs /= factor
        count += 1
    return count


def _round_size(max_epochs: int, factor: int, bracket: int, round_number: int) -> int:
    """KerasTuner's trials in one round of one bracket (each bracket about the same epochs)."""
    last_size = math.ceil(1 + math.log(max_epochs, factor)) / (bracket + 1)
    return math.ceil(last_size * float(factor) ** (bracket - round_number))


OracleFactory = Callable[..., Oracle]
