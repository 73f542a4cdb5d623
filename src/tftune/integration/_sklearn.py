"""``OptunaSearchCV``: Optuna's name for :class:`tftune.sklearn.StudySearchCV`."""

from tftune.sklearn import StudySearchCV

#: The same estimator, which takes Optuna's ``study``, ``enable_pruning``, ``max_iter``,
#: ``subsample``, ``callbacks`` and ``catch`` arguments.
OptunaSearchCV = StudySearchCV

__all__ = ["OptunaSearchCV"]
