"""Studies: create, load, run and inspect."""

from tftune._direction import StudyDirection
from tftune.study._study import (
    Study,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)

__all__ = [
    "Study",
    "StudyDirection",
    "create_study",
    "delete_study",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
]
