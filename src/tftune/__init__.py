"""tftune: hyperparameter tuning for TensorFlow/Keras.

Define-by-run studies with the names Optuna users know, crash-safe SQLite/PostgreSQL storage,
and samplers from grid and random search up. ``import tftune`` never imports TensorFlow; the
Keras and scikit-learn front doors load it when used.
"""

from __future__ import annotations

__version__ = "0.1.0"

from tftune import (
    distributions,
    exceptions,
    logging,
    pruners,
    samplers,
    search_space,
    storages,
    trial,
)
from tftune.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tftune.exceptions import TrialPruned
from tftune.study import (
    Study,
    StudyDirection,
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)
from tftune.trial import FrozenTrial, Trial, TrialState, create_trial

__all__ = [
    "CategoricalDistribution",
    "FloatDistribution",
    "FrozenTrial",
    "IntDistribution",
    "Study",
    "StudyDirection",
    "Trial",
    "TrialPruned",
    "TrialState",
    "__version__",
    "copy_study",
    "create_study",
    "create_trial",
    "delete_study",
    "distributions",
    "exceptions",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
    "logging",
    "pruners",
    "samplers",
    "search_space",
    "storages",
    "trial",
]

#: Subpackages loaded on first use (``optuna.visualization.plot_...`` after ``import optuna``),
#: so that ``import tftune`` stays light.
_LAZY_SUBPACKAGES = ("artifacts", "importance", "integration", "terminator", "visualization")


def __getattr__(name: str) -> object:
    if name in _LAZY_SUBPACKAGES:
        import importlib

        return importlib.import_module(f"tftune.{name}")
    raise AttributeError(f"module 'tftune' has no attribute {name!r}")
