"""The blog's grid-search recipe, on today's TensorFlow: only the wrapper's import changed.

Before: ``from tensorflow.keras.wrappers.scikit_learn import KerasClassifier`` (removed in 2.13).
"""

import tensorflow as tf
from tftune.sklearn import KerasClassifier  # the only change
from sklearn.model_selection import GridSearchCV

from _data import breast_cancer

X, y, X_test, y_test = breast_cancer()

# --- the recipe, as published ----------------------------------------------------------------
def create_model(learning_rate, dropout_rate):
    model = tf.keras.Sequential()
    model.add(tf.keras.layers.Dense(64, activation='relu'))
    model.add(tf.keras.layers.Dropout(dropout_rate))
    model.add(tf.keras.layers.Dense(1, activation='sigmoid'))
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate),
                  loss=tf.keras.losses.BinaryCrossentropy(),
                  metrics=['accuracy'])
    return model

model = KerasClassifier(build_fn=create_model)
param_grid = {
    'learning_rate': [0.001, 0.01, 0.1],
    'dropout_rate': [0.2, 0.3, 0.4]
}
grid = GridSearchCV(estimator=model, param_grid=param_grid, cv=3)
grid_result = grid.fit(X, y)
# ----------------------------------------------------------------------------------------------

print(f"Best parameters: {grid_result.best_params_} (cross-validated accuracy {grid_result.best_score_:.4f})")
print(f"Held-out accuracy of the refitted best model: {grid_result.score(X_test, y_test):.4f}")
