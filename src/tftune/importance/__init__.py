"""Which parameters mattered: ``get_param_importances(study)``, most important first.

The default evaluator, PED-ANOVA, needs only NumPy; fANOVA and mean decrease in impurity fit a
scikit-learn random forest (``pip install 'tftune[sklearn]'``), loaded only when they run.
"""

from tftune.importance._base import BaseImportanceEvaluator, get_param_importances
from tftune.importance._fanova import FanovaImportanceEvaluator
from tftune.importance._mdi import MeanDecreaseImpurityImportanceEvaluator
from tftune.importance._ped_anova import PedAnovaImportanceEvaluator

__all__ = [
    "BaseImportanceEvaluator",
    "FanovaImportanceEvaluator",
    "MeanDecreaseImpurityImportanceEvaluator",
    "PedAnovaImportanceEvaluator",
    "get_param_importances",
]
