"""A sampler with some parameters pinned to fixed values."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tftune._experimental import experimental_class
from tftune.distributions import BaseDistribution
from tftune.samplers._base import BaseSampler
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.study._study import Study


@experimental_class("2.4.0")
class PartialFixedSampler(BaseSampler):
    """Gives every parameter in ``fixed_params`` its fixed value and leaves the others to
    ``base_sampler`` (which then models only the free ones).

    A fixed value outside the suggested range warns and is used as given.

    Example: ``PartialFixedSampler({"units": 64}, TPESampler())`` tunes everything but
    ``units``.
    """

    def __init__(self, fixed_params: dict[str, Any], base_sampler: BaseSampler) -> None:
        if not isinstance(fixed_params, dict):
            raise TypeError(
                f"`fixed_params` must be a dict of parameter name to value, got {fixed_params!r}."
            )
        if not isinstance(base_sampler, BaseSampler):
            raise TypeError(f"`base_sampler` must be a sampler, got {base_sampler!r}.")
        self._fixed_params = dict(fixed_params)
        self._base_sampler = base_sampler

    def prepare(self, study: Study) -> None:
        self._base_sampler.prepare(study)

    def is_exhausted(self, study: Study) -> bool:
        return self._base_sampler.is_exhausted(study)

    def reseed_rng(self) -> None:
        self._base_sampler.reseed_rng()

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        space = self._base_sampler.infer_relative_search_space(study, trial)
        return {name: d for name, d in space.items() if name not in self._fixed_params}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return self._base_sampler.sample_relative(study, trial, search_space)

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, distribution: BaseDistribution
    ) -> Any:
        if param_name not in self._fixed_params:
            return self._base_sampler.sample_independent(study, trial, param_name, distribution)
        value = self._fixed_params[param_name]
        if not distribution.contains(distribution.to_internal_repr(value)):
            warnings.warn(
                f"The fixed value {value!r} of parameter {param_name!r} lies outside "
                f"{distribution!r}; it is used as given.",
                UserWarning,
                stacklevel=2,
            )
        return value

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._base_sampler.before_trial(study, trial)

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        self._base_sampler.after_trial(study, trial, state, values)
