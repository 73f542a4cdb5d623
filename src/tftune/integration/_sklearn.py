"""``OptunaSearchCV``: Optuna's name for :class:`tftune.sklearn.StudySearchCV`."""

from tftune.sklearn import StudySearchCV

#: The same estimator; Optuna's ``study``, ``enable_pruning``, ``max_iter`` and ``subsample``
#: arguments are not taken (give ``storage``/``study_name``/``sampler`` instead).
OptunaSearchCV = StudySearchCV

__all__ = ["OptunaSearchCV"]
