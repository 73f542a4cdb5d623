"""AutoSampler: Gaussian-process BO while it pays, TPE when the study outgrows it."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tftune.distributions import BaseDistribution, CategoricalDistribution
from tftune.samplers._base import BaseSampler
from tftune.samplers._tpe import TPESampler
from tftune.trial._constraints import ConstraintsFunc, check_constraints_func, record_constraints
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState
from tftune._pickling import portable_state, restore_state

if TYPE_CHECKING:
    from tftune.study._study import Study


class AutoSampler(BaseSampler):
    """Chooses the sampler per trial from the study's shape.

    A Gaussian process is the most sample-efficient while trials are few and the shared search
    space is small; TPE scales to long studies, many parameters and define-by-run branches
    (parameters outside the shared space are always TPE's). While the GP is in use, every
    ``tpe_every``-th trial is TPE's all the same: on multimodal and valley-shaped objectives
    (Levy, Ackley, Rosenbrock) the GP alone settles on one basin, and TPE's proposals from the
    whole good region get it out, for a small loss where the GP alone is best (Branin,
    Hartmann); see benchmarks/results/samplers.md. Both learn from the same trials, so
    switching loses nothing.

    Several objectives (as Optuna's AutoSampler decides): with at most
    ``gp_max_objectives`` objectives and no categorical parameter in the shared space, the GP
    (log expected hypervolume improvement, one GP per objective) while fewer than
    ``gp_max_trials`` trials are complete, every trial (``tpe_every`` is the single-objective
    rule); otherwise multi-objective TPE. On the benchmark's 8 float problems (7 with 2
    objectives, DTLZ2 with 3; 2 constrained; 4 seeds) the GP's median hypervolume is above
    MOTPE's on all 8 at 100 evaluations and on 6 at 200; below it there by < 1 % on C2-DTLZ2
    and on DTLZ2 with 3 objectives (every seed lower: ``gp_max_objectives=2`` hands 3
    objectives to TPE), for 40-150 ms per ask at 200 trials against TPE's few ms (see
    benchmarks/results/multi_objective.md). With categoricals or more objectives there is no
    such evidence, and TPE is the faster of the two.

    Args:
        seed: seeds both samplers.
        gp_max_trials: use the GP while fewer trials than this are complete.
        gp_max_dims: ... and the shared space has at most this many parameters.
        tpe_every: while the GP is in use on one objective, trial numbers ``tpe_every - 1``,
            ``2 * tpe_every - 1``, ... go to TPE; None: every trial to the GP.
        gp_max_objectives: the most objectives the GP takes on in a multi-objective study.
        constraints_func: ``(FrozenTrial) -> Sequence[float]``, evaluated when a trial
            finishes (a value > 0 is a violation); both samplers prefer feasible trials.
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        gp_max_trials: int = 200,
        gp_max_dims: int = 16,
        tpe_every: int | None = 2,
        constraints_func: ConstraintsFunc | None = None,
        gp_max_objectives: int = 3,
    ) -> None:
        if tpe_every is not None and (
            isinstance(tpe_every, bool) or not isinstance(tpe_every, int) or tpe_every < 1
        ):
            raise ValueError(f"`tpe_every` must be None or an int >= 1, got {tpe_every!r}.")
        if (
            isinstance(gp_max_objectives, bool)
            or not isinstance(gp_max_objectives, int)
            or gp_max_objectives < 1
        ):
            raise ValueError(
                f"`gp_max_objectives` must be an int >= 1, got {gp_max_objectives!r}."
            )
        self.gp_max_objectives = gp_max_objectives
        self.constraints_func = check_constraints_func(constraints_func)
        from tftune.samplers._gp import GPSampler  # SciPy's optimizers: loaded when used

        self.gp = GPSampler(seed=seed)
        self.tpe = TPESampler(seed=seed)
        self.gp_max_trials = gp_max_trials
        self.gp_max_dims = gp_max_dims
        self.tpe_every = tpe_every
        self._choice: dict[int, BaseSampler] = {}
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        """Picklable: locks are rebuilt and this process's caches left out."""
        return portable_state(self, caches=("_choice",))

    def __setstate__(self, state: dict[str, Any]) -> None:
        restore_state(self, state)

    def reseed_rng(self) -> None:
        self.gp.reseed_rng()
        self.tpe.reseed_rng()

    def choose(
        self, study: Study, space: dict[str, BaseDistribution], trial_number: int = 0
    ) -> BaseSampler:
        """The sampler for trial ``trial_number`` over ``space`` in ``study`` now."""
        n_objectives = len(study.directions)
        if n_objectives > 1 and (
            n_objectives > self.gp_max_objectives
            or any(isinstance(d, CategoricalDistribution) for d in space.values())
        ):
            return self.tpe
        n_complete = study.storage.get_n_trials(study.study_id, states=(TrialState.COMPLETE,))
        if not (0 < len(space) <= self.gp_max_dims and n_complete < self.gp_max_trials):
            return self.tpe
        if n_objectives > 1:
            return self.gp
        if self.tpe_every is not None and trial_number % self.tpe_every == self.tpe_every - 1:
            return self.tpe
        return self.gp

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        space = self.tpe.infer_relative_search_space(study, trial)
        with self._lock:
            self._choice[trial.trial_id] = self.choose(study, space, trial.number)
        return space

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        with self._lock:
            sampler = self._choice.get(trial.trial_id, self.tpe)
        return sampler.sample_relative(study, trial, search_space)

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, distribution: BaseDistribution
    ) -> Any:
        return self.tpe.sample_independent(study, trial, param_name, distribution)

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: Any, values: Sequence[float] | None
    ) -> None:
        with self._lock:
            self._choice.pop(trial.trial_id, None)
        if self.constraints_func is not None:
            record_constraints(self.constraints_func, study, trial, state)
        self.gp.after_trial(study, trial, state, values)
        self.tpe.after_trial(study, trial, state, values)
