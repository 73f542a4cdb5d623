"""scikit-learn front door: Keras estimators and a study-driven search estimator.

Needs scikit-learn (``pip install 'tftune[sklearn]'``); Keras loads only when a model is built.
"""

from tftune.sklearn._search import StudySearchCV
from tftune.sklearn._wrappers import KerasClassifier, KerasRegressor

__all__ = ["KerasClassifier", "KerasRegressor", "StudySearchCV"]
