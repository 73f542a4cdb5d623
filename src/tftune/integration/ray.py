"""``TftuneSearch``: tftune's samplers in Ray Tune, as a ``ray.tune.search.Searcher``.

Ray Tune runs and schedules the trials (its ASHA scheduler included); each trial's parameters
come from a tftune study (``study.ask``), its intermediate results are reported to it and its
final result is told. The study lives in tftune storage, so the searcher keeps no state of its
own: a restored experiment, or a new one given the same study, continues where the study is
(Ray Tune's OptunaSearch loses its study on ``Tuner.restore``, ray-project/ray#30861).
Needs ``tftune[ray]``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from ray.tune.search import Searcher
from ray.tune.search.sample import (
    Categorical,
    Domain,
    Float,
    Integer,
    LogUniform,
    Quantized,
    Uniform,
)
from ray.tune.search.variant_generator import parse_spec_vars

import tftune
from tftune.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tftune.exceptions import SearchSpaceExhausted
from tftune.pruners import BasePruner
from tftune.samplers import BaseSampler
from tftune.storages import BaseStorage
from tftune.trial import TrialState

_STATE_FILE = "tftune_search.json"


def convert_search_space(space: Mapping[str, Any]) -> dict[str, BaseDistribution]:
    """Ray Tune's ``param_space`` (``tune.uniform``, ``tune.loguniform``, ``tune.quniform``,
    ``tune.randint``, ``tune.lograndint``, ``tune.choice``; nested dicts become ``a/b`` names)
    or tftune distributions, as tftune distributions."""
    resolved, domains, grids = parse_spec_vars(dict(space))
    if grids:
        raise ValueError(
            "`space` must not use tune.grid_search with TftuneSearch; use a tftune "
            f"GridSampler instead, got grid parameters {['/'.join(p) for p, _ in grids]}."
        )
    converted = {"/".join(path): _distribution("/".join(path), d) for path, d in domains}
    for path, value in resolved:
        if isinstance(value, BaseDistribution):
            converted["/".join(path)] = value
    return converted


def _distribution(name: str, domain: Domain) -> BaseDistribution:
    sampler = domain.get_sampler()  # type: ignore[no-untyped-call]
    step = None
    if isinstance(sampler, Quantized):
        step, sampler = sampler.q, sampler.sampler
    log = isinstance(sampler, LogUniform)
    if isinstance(domain, Categorical) and isinstance(sampler, Uniform):
        return CategoricalDistribution(domain.categories)
    supported = isinstance(sampler, (Uniform, LogUniform)) and not (log and step)
    if supported and isinstance(domain, Float):
        return FloatDistribution(domain.lower, domain.upper, log=log, step=step)
    if supported and isinstance(domain, Integer):
        # Ray's integer upper bound is exclusive, except when quantized
        return IntDistribution(
            domain.lower, domain.upper - (0 if step else 1), log=log, step=int(step or 1)
        )
    raise ValueError(
        f"`space[{name!r}]` is a {type(domain).__name__} sampled by "
        f"{type(sampler).__name__}, which TftuneSearch cannot convert "
        "(supported: uniform, loguniform, quniform, randint, lograndint, qrandint, choice)."
    )


def _nested(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a/b": 1}`` as ``{"a": {"b": 1}}`` (Ray Tune's nested configs)."""
    nested: dict[str, Any] = {}
    for name, value in flat.items():
        *parents, leaf = name.split("/")
        node = nested
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return nested


class TftuneSearch(Searcher):
    """A Ray Tune searcher whose suggestions come from a tftune study.

    Args:
        space: the search space (Ray Tune domains or tftune distributions); by default the
            Tuner's ``param_space``.
        metric: the result key to optimize (or the Tuner's ``TuneConfig(metric=...)``).
        mode: ``"min"`` or ``"max"``.
        sampler: a tftune sampler (default: the study's default).
        pruner: unused by Ray Tune's schedulers; kept on the study for ``should_prune``.
        study_name: the study to create or continue (generated when omitted).
        storage: where the study lives (``None``: in memory; a URL to keep it across runs).
    """

    def __init__(
        self,
        space: Mapping[str, Any] | None = None,
        metric: str | None = None,
        mode: str | None = None,
        *,
        sampler: BaseSampler | None = None,
        pruner: BasePruner | None = None,
        study_name: str | None = None,
        storage: str | BaseStorage | None = None,
    ) -> None:
        if mode not in (None, "min", "max"):
            raise ValueError(f"`mode` must be 'min' or 'max', got {mode!r}.")
        super().__init__(metric=metric, mode=mode)
        self._space = convert_search_space(space) if space else None
        self._sampler, self._pruner = sampler, pruner
        self._study_name, self._storage = study_name, storage
        self._study: tftune.Study | None = None
        self._running: dict[str, tftune.Trial] = {}

    @property
    def study(self) -> tftune.Study:
        """The tftune study (created on first use, or continued when it exists)."""
        if self._study is None:
            if self._mode is None or self._metric is None:
                raise RuntimeError(
                    "TftuneSearch needs `metric` and `mode`: pass them to TftuneSearch or to "
                    "the Tuner's TuneConfig."
                )
            self._study = tftune.create_study(
                study_name=self._study_name,
                storage=self._storage,
                sampler=self._sampler,
                pruner=self._pruner,
                direction="maximize" if self._mode == "max" else "minimize",
                load_if_exists=True,
            )
        return self._study

    def set_search_properties(
        self, metric: str | None, mode: str | None, config: dict[str, Any], **spec: Any
    ) -> bool:
        if self._space is not None and config:
            return False  # a space was given already
        self._metric = self._metric or metric
        self._mode = self._mode or mode
        if config:
            self._space = convert_search_space(config)
        return True

    def suggest(self, trial_id: str) -> dict[str, Any] | None:
        if self._space is None:
            raise RuntimeError(
                "TftuneSearch has no search space: pass `space` or the Tuner's param_space."
            )
        try:
            trial = self.study.ask(fixed_distributions=self._space)
        except SearchSpaceExhausted:
            return Searcher.FINISHED  # type: ignore[return-value]  # Ray's "no more" marker
        self._running[trial_id] = trial
        return _nested(trial.params)

    def on_trial_result(self, trial_id: str, result: dict[str, Any]) -> None:
        trial = self._running.get(trial_id)
        value = result.get(self._metric) if self._metric else None
        if trial is not None and isinstance(value, (int, float)):
            trial.report(float(value), int(result.get("training_iteration", 0)))

    def on_trial_complete(
        self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False
    ) -> None:
        trial = self._running.pop(trial_id, None)
        if trial is None:
            return
        value = None if result is None or self._metric is None else result.get(self._metric)
        if error or not isinstance(value, (int, float)):
            self.study.tell(trial, state=TrialState.FAIL)
        else:
            self.study.tell(trial, float(value))

    # --- Ray Tune's checkpoints: the state is the study; only the names are saved ------------
    def save(self, checkpoint_path: str) -> None:
        state = {"study_name": self.study.study_name, "running": self._numbers()}
        with open(checkpoint_path, "w") as file:
            json.dump(state, file)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path) as file:
            state = json.load(file)
        self._study_name = state["study_name"]
        self._study = None
        self._running = {}  # Ray Tune restarts the unfinished trials: they get new ones

    def save_to_dir(self, checkpoint_dir: str, session_str: str = "default") -> None:
        self.save(os.path.join(checkpoint_dir, _STATE_FILE))

    def restore_from_dir(self, checkpoint_dir: str) -> None:
        self.restore(os.path.join(checkpoint_dir, _STATE_FILE))

    def _numbers(self) -> dict[str, int]:
        return {trial_id: trial.number for trial_id, trial in self._running.items()}
