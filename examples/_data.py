"""The data every example uses: scikit-learn's bundled breast-cancer set, standardised.

``X, y`` is the training part the recipes search on; ``X_test, y_test`` is held out and
judges the parameters they choose. ``TFTUNE_EXAMPLES_QUICK=1`` keeps a small sample, so the
examples run in CI in seconds (the recipes' code itself is unchanged).
"""

from __future__ import annotations

import os

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

QUICK = os.environ.get("TFTUNE_EXAMPLES_QUICK") == "1"


def breast_cancer() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Standardised features, split 80/20 into (X, y) for the search and a held-out test set."""
    x, y = load_breast_cancer(return_X_y=True)
    if QUICK:
        keep = np.random.default_rng(0).choice(len(x), 150, replace=False)
        x, y = x[keep], y[keep]
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(x_train)
    return (
        scaler.transform(x_train).astype("float32"),
        y_train,
        scaler.transform(x_test).astype("float32"),
        y_test,
    )
