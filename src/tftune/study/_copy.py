"""``copy_study``: a study with all its trials and attributes, into another storage."""

from __future__ import annotations

from tftune.storages import BaseStorage, get_storage


def copy_study(
    *,
    from_study_name: str,
    from_storage: str | BaseStorage,
    to_storage: str | BaseStorage,
    to_study_name: str | None = None,
) -> None:
    """Copy a study (directions, user and system attributes, every trial) to ``to_storage``,
    under ``to_study_name`` (default: the same name). The copy's trials are numbered as in
    the original; WAITING trials stay queued. DuplicatedStudyError if the name is taken there.
    """
    from tftune.study._study import create_study, load_study

    source = load_study(study_name=from_study_name, storage=from_storage)
    target = create_study(
        study_name=to_study_name or from_study_name,
        storage=get_storage(to_storage),
        directions=source.directions,
    )
    for key, value in source.system_attrs.items():
        target.set_system_attr(key, value)
    for key, value in source.user_attrs.items():
        target.set_user_attr(key, value)
    target.add_trials(source.get_trials(deepcopy=True))
