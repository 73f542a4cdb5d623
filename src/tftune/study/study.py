"""``optuna.study.study``: the module that Optuna code imports :class:`Study` and its
functions from (``from optuna.study.study import Study``). The same objects as in
:mod:`tftune.study`."""

from __future__ import annotations

from tftune.study._copy import copy_study
from tftune.study._study import (
    ObjectiveFunc,
    Study,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)

#: What ``Study.optimize`` calls: one trial in, one objective value (or one per objective) out.
ObjectiveFuncType = ObjectiveFunc

__all__ = [
    "ObjectiveFuncType",
    "Study",
    "copy_study",
    "create_study",
    "delete_study",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
]
