"""The blog's define-by-run recipe: only ``import optuna`` changed.

As published, it judges each trial on training accuracy after one epoch; the held-out test below
shows what that choice is worth. ``quickstart.py`` in this folder runs the same search judged on
validation data, with tftune's Keras tuner owning the training loop.
"""

import tensorflow as tf
import tftune as optuna  # the only change: `import optuna`

from _data import breast_cancer

X, y, X_test, y_test = breast_cancer()

# --- the recipe, as published ----------------------------------------------------------------
def objective(trial):
    learning_rate = trial.suggest_loguniform('learning_rate', 0.001, 0.1)
    dropout_rate = trial.suggest_float('dropout_rate', 0.2, 0.4)
    
    model = tf.keras.Sequential()
    model.add(tf.keras.layers.Dense(64, activation='relu'))
    model.add(tf.keras.layers.Dropout(dropout_rate))
    model.add(tf.keras.layers.Dense(1, activation='sigmoid'))
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate),
                  loss=tf.keras.losses.BinaryCrossentropy(),
                  metrics=['accuracy'])

    history = model.fit(X, y)
    return history.history['accuracy'][-1]

study = optuna.create_study(direction='maximize')
study.optimize(objective, n_trials=100)
# ----------------------------------------------------------------------------------------------

best = study.best_params
print(f"Best parameters: {best} (training accuracy {study.best_value:.4f})")
model = tf.keras.Sequential([tf.keras.layers.Dense(64, activation="relu"), tf.keras.layers.Dropout(best["dropout_rate"]),
                             tf.keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer=tf.keras.optimizers.Adam(best["learning_rate"]), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(X, y, verbose=0)
print(f"Held-out accuracy of the best parameters: {model.evaluate(X_test, y_test, verbose=0)[1]:.4f}")
