"""One kind of distribution per parameter name in a study, as Optuna's storages enforce.

The first distribution a study used for each name (in the trials stored when the check first
runs, and in every suggestion made through this process since) is kept per ``Study`` object;
a later suggestion of the name in another trial must be compatible with it
(``check_distribution_compatibility``: same kind, same ``log``, same choices).
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING

from tftune.distributions import BaseDistribution, check_distribution_compatibility

if TYPE_CHECKING:
    from tftune.study._study import Study

_KNOWN: weakref.WeakKeyDictionary[Study, dict[str, BaseDistribution]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def check_param_distribution(study: Study, name: str, distribution: BaseDistribution) -> None:
    """ValueError if ``name`` had an incompatible distribution in another trial of ``study``;
    otherwise remember ``distribution`` when it is the first for the name."""
    with _LOCK:
        known = _KNOWN.get(study)
        if known is None:
            known = {}
            for trial in study.get_trials(deepcopy=False):
                for each, stored in trial.distributions.items():
                    known.setdefault(each, stored)
            _KNOWN[study] = known
        first = known.setdefault(name, distribution)
    if first is distribution:
        return
    try:
        check_distribution_compatibility(first, distribution)
    except ValueError as error:
        raise ValueError(
            f"Parameter {name!r} was suggested as {first!r} in an earlier trial of study "
            f"{study.study_name!r}; it cannot be suggested as {distribution!r} ({error}) "
            "Use one kind of distribution per name in a study."
        ) from None
