"""Studies: create, load, copy, run and inspect."""

from tftune._direction import StudyDirection
from tftune.storages._base import StudySummary
from tftune.study._callbacks import MaxTrialsCallback
from tftune.study._copy import copy_study
from tftune.study._study import (
    Study,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)

__all__ = [
    "MaxTrialsCallback",
    "Study",
    "StudyDirection",
    "StudySummary",
    "copy_study",
    "create_study",
    "delete_study",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
]
