"""The blog's random-search recipe, on today's TensorFlow: only the wrapper's import changed."""

from sklearn.model_selection import RandomizedSearchCV
from tftune.sklearn import KerasClassifier  # the only change
from scipy.stats import uniform
import tensorflow as tf

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

param_dist = {
    'learning_rate': uniform(0.001, 0.1),
    'dropout_rate': uniform(0.2, 0.4)
}

random = RandomizedSearchCV(estimator=model, param_distributions=param_dist, n_iter=10, cv=3)
random_result = random.fit(X, y)
# ----------------------------------------------------------------------------------------------

print(f"Best parameters: {random_result.best_params_} (cross-validated accuracy {random_result.best_score_:.4f})")
print(f"Held-out accuracy of the refitted best model: {random_result.score(X_test, y_test):.4f}")
