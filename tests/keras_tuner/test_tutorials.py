"""The keras.io KerasTuner guides, run as their readers wrote them: only the import line
(``import tftune.keras_tuner as keras_tuner``) and the data (bundled digits, random arrays)
change, and the sizes are small."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

import tftune.keras_tuner as keras_tuner
from tftune.trial import TrialState


# --- "Getting started with KerasTuner" ---------------------------------------------------------
def build_model(hp):  # type: ignore[no-untyped-def]
    model = keras.Sequential()
    model.add(layers.Flatten())
    # Tune the number of layers.
    for i in range(hp.Int("num_layers", 1, 3)):
        model.add(
            layers.Dense(
                # Tune number of units separately.
                units=hp.Int(f"units_{i}", min_value=32, max_value=512, step=32),
                activation=hp.Choice("activation", ["relu", "tanh"]),
            )
        )
    if hp.Boolean("dropout"):
        model.add(layers.Dropout(rate=0.25))
    model.add(layers.Dense(10, activation="softmax"))
    learning_rate = hp.Float("lr", min_value=1e-4, max_value=1e-2, sampling="log")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def test_getting_started_search_query_and_retrain(mnist_like, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    x_train, y_train, x_val, y_val = mnist_like
    build_model(keras_tuner.HyperParameters())
    hp = keras_tuner.HyperParameters()
    print(hp.Int("units", min_value=32, max_value=512, step=32))
    assert capsys.readouterr().out == "32\n"

    tuner = keras_tuner.RandomSearch(
        hypermodel=build_model,
        objective="val_accuracy",
        max_trials=2,
        executions_per_trial=2,
        overwrite=True,
        directory=tmp_path / "my_dir",
        project_name="helloworld",
    )
    tuner.search_space_summary()
    summary = capsys.readouterr().out
    assert "Default search space size: 5" in summary and "num_layers (Int)" in summary
    assert "{'default': None, 'conditions': [], 'min_value': 1, 'max_value': 3" in summary

    tuner.search(x_train, y_train, epochs=2, validation_data=(x_val, y_val))

    trials = tuner.study.get_trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 2
    first = tuner.oracle.get_trial("0").hyperparameters.values
    assert first == {  # the first trial runs every default
        "num_layers": 1,
        "units_0": 32,
        "activation": "relu",
        "dropout": False,
        "lr": 1e-4,
    }
    # Get the top 2 models.
    models = tuner.get_best_models(num_models=2)
    best_model = models[0]
    # Build the model.
    # Needed for `Sequential` without specified `input_shape`.
    best_model.build(input_shape=(None, 28, 28))
    best_model.summary()
    best = tuner.oracle.get_best_trials(2)
    assert best[0].score >= best[1].score
    # Two executions: the score is the mean of both trainings' best epochs, so the kept model
    # (the last execution's) scores near it, not exactly it.
    _, accuracy = best_model.evaluate(x_val, y_val, verbose=0)
    assert abs(accuracy - best[0].score) < 0.25

    capsys.readouterr()
    tuner.results_summary()
    text = capsys.readouterr().out
    assert text.startswith("Results summary\nResults in ")
    assert 'Objective(name="val_accuracy", direction="max")' in text
    assert f"Trial {best[0].trial_id} summary" in text and "Score: " in text

    # Get the top 2 hyperparameters.
    best_hps = tuner.get_best_hyperparameters(5)
    assert len(best_hps) == 2  # only two trials ran
    # Build the model with the best hp.
    model = build_model(best_hps[0])
    assert model.optimizer.learning_rate.numpy() == pytest.approx(best_hps[0]["lr"])
    # Fit with the entire dataset.
    x_all = np.concatenate((x_train, x_val))
    y_all = np.concatenate((y_train, y_val))
    model.fit(x=x_all, y=y_all, epochs=1)


class MyHyperModel(keras_tuner.HyperModel):
    def build(self, hp):  # type: ignore[no-untyped-def]
        model = keras.Sequential()
        model.add(layers.Flatten())
        model.add(
            layers.Dense(
                units=hp.Int("units", min_value=32, max_value=512, step=32),
                activation="relu",
            )
        )
        model.add(layers.Dense(10, activation="softmax"))
        model.compile(
            optimizer="adam",
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    def fit(self, hp, model, *args, **kwargs):  # type: ignore[no-untyped-def]
        return model.fit(
            *args,
            # Tune whether to shuffle the data in each epoch.
            shuffle=hp.Boolean("shuffle"),
            **kwargs,
        )


def test_getting_started_tune_model_training_and_resume(mnist_like, tmp_path) -> None:  # type: ignore[no-untyped-def]
    x_train, y_train, x_val, y_val = mnist_like
    hp = keras_tuner.HyperParameters()
    hypermodel = MyHyperModel()
    model = hypermodel.build(hp)
    hypermodel.fit(hp, model, np.random.rand(100, 28, 28), np.random.rand(100, 10))

    def tuner(max_trials: int, overwrite: bool) -> keras_tuner.RandomSearch:
        return keras_tuner.RandomSearch(
            MyHyperModel(),
            objective="val_accuracy",
            max_trials=max_trials,
            overwrite=overwrite,
            directory=tmp_path / "my_dir",
            project_name="tune_hypermodel",
        )

    first = tuner(2, overwrite=True)
    first.search(x_train, y_train, epochs=1, validation_data=(x_val, y_val))
    assert len(first.study.trials) == 2
    assert all("shuffle" in t.hyperparameters.values for t in first.oracle.trials.values())
    first.close()

    again = tuner(2, overwrite=False)  # the same folder: the search is done already
    again.search(x_train, y_train, epochs=1, validation_data=(x_val, y_val))
    assert len(again.study.trials) == 2
    again.close()
    more = tuner(3, overwrite=False)  # one more trial, the two others are kept
    more.search(x_train, y_train, epochs=1, validation_data=(x_val, y_val))
    assert [t.number for t in more.study.trials] == [0, 1, 2]
    more.close()
    fresh = tuner(1, overwrite=True)  # starts over: only the queued default trial is there
    assert [t.state for t in fresh.study.get_trials()] == [TrialState.WAITING]
    fresh.close()


class HyperRegressor(keras_tuner.HyperModel):
    def build(self, hp):  # type: ignore[no-untyped-def]
        model = keras.Sequential(
            [
                layers.Dense(units=hp.Int("units", 32, 128, 32), activation="relu"),
                layers.Dense(units=1),
            ]
        )
        model.compile(
            optimizer="adam",
            loss="mean_squared_error",
        )
        return model

    def fit(self, hp, model, x, y, validation_data, **kwargs):  # type: ignore[no-untyped-def]
        model.fit(x, y, **kwargs)
        x_val, y_val = validation_data
        y_pred = model.predict(x_val)
        # Return a single float to minimize.
        return np.mean(np.abs(y_pred - y_val))


class DictRegressor(HyperRegressor):
    def fit(self, hp, model, x, y, validation_data, **kwargs):  # type: ignore[no-untyped-def]
        model.fit(x, y, **kwargs)
        x_val, y_val = validation_data
        y_pred = model.predict(x_val)
        # Return a dictionary of metrics for KerasTuner to track.
        return {
            "metric_a": -np.mean(np.abs(y_pred - y_val)),
            "metric_b": np.mean(np.square(y_pred - y_val)),
        }


def test_getting_started_custom_objectives(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    data = {
        "x": np.random.rand(100, 10),
        "y": np.random.rand(100, 1),
        "validation_data": (np.random.rand(20, 10), np.random.rand(20, 1)),
    }
    tuner = keras_tuner.RandomSearch(
        hypermodel=HyperRegressor(),
        # No objective to specify.
        # Objective is the return value of `HyperModel.fit()`.
        max_trials=2,
        overwrite=True,
        directory=tmp_path / "my_dir",
        project_name="custom_eval",
    )
    tuner.search(**data, verbose=0)
    tuner.results_summary()
    assert 'Objective(name="default_objective", direction="min")' in capsys.readouterr().out
    scores = [t.score for t in tuner.oracle.get_best_trials(2)]
    assert scores == sorted(scores) and all(0 < s < 1 for s in scores)

    tuner = keras_tuner.RandomSearch(
        hypermodel=DictRegressor(),
        # Objective is one of the keys.
        # Maximize the negative MAE, equivalent to minimize MAE.
        objective=keras_tuner.Objective("metric_a", "max"),
        max_trials=2,
        overwrite=True,
        directory=tmp_path / "my_dir",
        project_name="custom_eval_dict",
    )
    tuner.search(**data, verbose=0)
    best = tuner.oracle.get_best_trials(2)
    assert [t.score for t in best] == sorted((t.score for t in best), reverse=True)
    assert set(best[0].metrics) == {"metric_a", "metric_b"}

    def build_regressor(hp):  # type: ignore[no-untyped-def]
        model = keras.Sequential(
            [
                layers.Dense(units=hp.Int("units", 32, 128, 32), activation="relu"),
                layers.Dense(units=1),
            ]
        )
        model.compile(
            optimizer="adam",
            loss="mean_squared_error",
            # Objective is one of the metrics.
            metrics=[keras.metrics.MeanAbsoluteError()],
        )
        return model

    tuner = keras_tuner.RandomSearch(
        hypermodel=build_regressor,
        # The objective name and direction.
        # Name is the f"val_{snake_case_metric_class_name}".
        objective=keras_tuner.Objective("val_mean_absolute_error", direction="min"),
        max_trials=3,
        overwrite=True,
        directory=tmp_path / "my_dir",
        project_name="built_in_metrics",
    )
    tuner.search(**data)
    assert tuner.packing_note is None  # plain fit: the trials trained in packs
    assert len(tuner.study.get_trials(states=(TrialState.COMPLETE,))) == 3


def test_getting_started_tune_anything(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    class MyTuner(keras_tuner.RandomSearch):
        def run_trial(self, trial, *args, **kwargs):  # type: ignore[no-untyped-def]
            # Get the hp from trial.
            hp = trial.hyperparameters
            # Define "x" as a hyperparameter.
            x = hp.Float("x", min_value=-1.0, max_value=1.0)
            # Return the objective value to minimize.
            return x * x + 1

    tuner = MyTuner(
        # No hypermodel or objective specified.
        max_trials=20,
        overwrite=True,
        directory=tmp_path / "my_dir",
        project_name="tune_anything",
    )
    # No need to pass anything to search()
    # unless you use them in run_trial().
    tuner.search()
    print(tuner.get_best_hyperparameters()[0].get("x"))
    best_x = float(capsys.readouterr().out)
    assert abs(best_x) < 0.3
    assert len(tuner.study.trials) == 20


# --- "Tune hyperparameters in your custom training loop" ---------------------------------------
x_train = np.random.rand(200, 28, 28, 1)
y_train = np.random.randint(0, 10, (200, 1))
x_val = np.random.rand(200, 28, 28, 1)
y_val = np.random.randint(0, 10, (200, 1))


class CustomLoopHyperModel(keras_tuner.HyperModel):
    def build(self, hp):  # type: ignore[no-untyped-def]
        """Builds a convolutional model."""
        inputs = keras.Input(shape=(28, 28, 1))
        x = keras.layers.Flatten()(inputs)
        x = keras.layers.Dense(units=hp.Choice("units", [32, 64, 128]), activation="relu")(x)
        outputs = keras.layers.Dense(10)(x)
        return keras.Model(inputs=inputs, outputs=outputs)

    def fit(self, hp, model, x, y, validation_data, callbacks=None, **kwargs):  # type: ignore[no-untyped-def]
        # Convert the datasets to tf.data.Dataset.
        batch_size = hp.Int("batch_size", 32, 128, step=32, default=64)
        train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(batch_size)
        validation_data = tf.data.Dataset.from_tensor_slices(validation_data).batch(batch_size)

        # Define the optimizer.
        optimizer = keras.optimizers.Adam(
            hp.Float("learning_rate", 1e-4, 1e-2, sampling="log", default=1e-3)
        )
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

        # The metric to track validation loss.
        epoch_loss_metric = keras.metrics.Mean()

        # Function to run the train step.
        @tf.function
        def run_train_step(images, labels):  # type: ignore[no-untyped-def]
            with tf.GradientTape() as tape:
                logits = model(images)
                loss = loss_fn(labels, logits)
                # Add any regularization losses.
                if model.losses:
                    loss += tf.math.add_n(model.losses)
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))

        # Function to run the validation step.
        @tf.function
        def run_val_step(images, labels):  # type: ignore[no-untyped-def]
            logits = model(images)
            loss = loss_fn(labels, logits)
            # Update the metric.
            epoch_loss_metric.update_state(loss)

        # Assign the model to the callbacks.
        for callback in callbacks:
            callback.model = model

        # Record the best validation loss value
        best_epoch_loss = float("inf")

        # The custom training loop.
        for epoch in range(2):
            print(f"Epoch: {epoch}")

            # Iterate the training data to run the training step.
            for images, labels in train_ds:
                run_train_step(images, labels)

            # Iterate the validation data to run the validation step.
            for images, labels in validation_data:
                run_val_step(images, labels)

            # Calling the callbacks after epoch.
            epoch_loss = float(epoch_loss_metric.result().numpy())
            for callback in callbacks:
                # The "my_metric" is the objective passed to the tuner.
                callback.on_epoch_end(epoch, logs={"my_metric": epoch_loss})
            epoch_loss_metric.reset_state()  # Keras 3's name (the guide has reset_states)

            print(f"Epoch loss: {epoch_loss}")
            best_epoch_loss = min(best_epoch_loss, epoch_loss)

        # Return the evaluation metric value.
        return best_epoch_loss


def test_custom_training_loop(tmp_path) -> None:  # type: ignore[no-untyped-def]
    tuner = keras_tuner.RandomSearch(
        objective=keras_tuner.Objective("my_metric", "min"),
        max_trials=2,
        hypermodel=CustomLoopHyperModel(),
        directory=tmp_path / "results",
        project_name="custom_training",
        overwrite=True,
    )
    tuner.search(x=x_train, y=y_train, validation_data=(x_val, y_val))
    best_hps = tuner.get_best_hyperparameters()[0]
    print(best_hps.values)
    assert set(best_hps.values) == {"units", "batch_size", "learning_rate"}
    best_model = tuner.get_best_models()[0]
    best_model.summary()
    # Each epoch's my_metric was reported to the trial through the callbacks.
    best = tuner.study.best_trial
    assert sorted(best.intermediate_values) == [0, 1]
    assert best.value == min(best.intermediate_values.values())
    assert best_model.count_params() == 28 * 28 * best_hps["units"] + best_hps["units"] * 11 + 10


# --- "Handling failed trials in KerasTuner" ----------------------------------------------------
def test_failed_trials(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    def build_model(hp):  # type: ignore[no-untyped-def]
        # Define the 2 hyperparameters for the units in dense layers
        units_1 = hp.Int("units_1", 10, 40, step=10)
        units_2 = hp.Int("units_2", 10, 30, step=10)

        # Define the model
        model = keras.Sequential(
            [
                layers.Dense(units=units_1, input_shape=(20,)),
                layers.Dense(units=units_2),
                layers.Dense(units=1),
            ]
        )
        model.compile(loss="mse")

        # Raise an error when the model is too large
        num_params = model.count_params()
        if num_params > 1200:
            raise keras_tuner.errors.FailedTrialError(
                f"Model too large! It contains {num_params} params."
            )
        return model

    tuner = keras_tuner.GridSearch(
        hypermodel=build_model,
        objective="val_loss",
        overwrite=True,
        max_retries_per_trial=3,
        max_consecutive_failed_trials=8,
        directory=tmp_path,
    )
    # Use random data to train the model.
    tuner.search(
        x=np.random.rand(100, 20),
        y=np.random.rand(100, 1),
        validation_data=(np.random.rand(100, 20), np.random.rand(100, 1)),
        epochs=1,
    )
    # Print the results.
    tuner.results_summary()
    out = capsys.readouterr().out
    trials = tuner.study.get_trials()
    assert len(trials) == 12  # the whole 4 x 3 grid, each cell once
    cells = {(t.params["units_1"], t.params["units_2"]): t for t in trials}
    assert len(cells) == 12 and trials[0].params == {"units_1": 10, "units_2": 10}
    for (u1, u2), trial in cells.items():
        size = 21 * u1 + (u1 + 1) * u2 + u2 + 1
        expected = TrialState.FAIL if size > 1200 else TrialState.COMPLETE
        assert trial.state == expected, (u1, u2, size)
        if size > 1200:
            assert (
                f"Model too large! It contains {size} params." in trial.system_attrs["fail_reason"]
            )
    assert "Trial 00 summary" in out or "Score:" in out


def test_failed_trials_in_a_row_stop_the_search(tmp_path) -> None:  # type: ignore[no-untyped-def]
    def build_model(hp):  # type: ignore[no-untyped-def]
        hp.Int("units", 1, 8)
        raise keras_tuner.errors.FailedTrialError("always")

    tuner = keras_tuner.RandomSearch(
        hypermodel=build_model,
        objective="val_loss",
        max_trials=10,
        max_consecutive_failed_trials=2,
        directory=tmp_path,
    )
    with pytest.raises(RuntimeError, match="2 trials failed in a row"):
        tuner.search(x=np.zeros((4, 2)), y=np.zeros((4, 1)), validation_split=0.5)
    # Two builds ran; the rest of their pack was closed when the search stopped.
    reasons = [t.system_attrs["fail_reason"] for t in tuner.study.get_trials()]
    assert sum("FailedTrialError: always" in reason for reason in reasons) == 2


# --- "Visualize the hyperparameter tuning process" ---------------------------------------------
def test_visualize_with_tensorboard(mnist_like, tmp_path) -> None:  # type: ignore[no-untyped-def]
    x_train, y_train, x_val, y_val = mnist_like
    tuner = keras_tuner.RandomSearch(
        build_model,
        objective="val_accuracy",
        max_trials=2,
        overwrite=True,
        directory=tmp_path / "results",
    )
    logdir = tmp_path / "tb_logs"
    tuner.search(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        epochs=1,
        # Use the TensorBoard callback.
        # The logs will be write to "/tmp/tb_logs".
        callbacks=[keras.callbacks.TensorBoard(str(logdir))],
    )
    for trial_id in ("0", "1"):  # one folder per trial and execution, as KerasTuner writes
        folder = pathlib.Path(logdir, trial_id, "execution0")
        events = list(folder.rglob("events.out.tfevents.*"))
        assert {p.parent.name for p in events} == {"train", "validation", "execution0"}
        [session] = folder.glob("events.out.tfevents.*.hparams")  # the trial's HParams


# --- "Writing your own Tuner to support a custom training loop" (the older guide) --------------
def build_conv_model(hp):  # type: ignore[no-untyped-def]
    """Builds a convolutional model."""
    inputs = tf.keras.Input(shape=(28, 28, 1))
    x = inputs
    for i in range(hp.Int("conv_layers", 1, 3, default=3)):
        x = tf.keras.layers.Conv2D(
            filters=hp.Int("filters_" + str(i), 4, 32, step=4, default=8),
            kernel_size=hp.Int("kernel_size_" + str(i), 3, 5),
            activation="relu",
            padding="same",
        )(x)

        if hp.Choice("pooling" + str(i), ["max", "avg"]) == "max":
            x = tf.keras.layers.MaxPooling2D()(x)
        else:
            x = tf.keras.layers.AveragePooling2D(2)(x)  # Keras 3 needs the pool size

        x = tf.keras.layers.BatchNormalization()(x)
        x = tf.keras.layers.ReLU()(x)

    if hp.Choice("global_pooling", ["max", "avg"]) == "max":
        x = tf.keras.layers.GlobalMaxPooling2D()(x)
    else:
        x = tf.keras.layers.GlobalAveragePooling2D()(x)
    outputs = tf.keras.layers.Dense(10, activation="softmax")(x)

    model = tf.keras.Model(inputs, outputs)

    optimizer = hp.Choice("optimizer", ["adam", "sgd"])
    model.compile(optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class OnEpochEndTuner(keras_tuner.Tuner):
    def run_trial(self, trial, train_ds):  # type: ignore[no-untyped-def]
        hp = trial.hyperparameters

        # Hyperparameters can be added anywhere inside `run_trial`.
        # When the first trial is run, they will take on their default values.
        # Afterwards, they will be tuned by the `Oracle`.
        train_ds = train_ds.batch(hp.Int("batch_size", 32, 128, step=32, default=64))

        model = self.hypermodel.build(trial.hyperparameters)
        lr = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log", default=1e-3)
        optimizer = tf.keras.optimizers.Adam(lr)
        epoch_loss_metric = tf.keras.metrics.Mean()
        loss_fn = tf.keras.losses.SparseCategoricalCrossentropy()

        def run_train_step(data):  # type: ignore[no-untyped-def]
            images = tf.dtypes.cast(data[0], "float32") / 255.0
            labels = data[1]
            with tf.GradientTape() as tape:
                logits = model(images)
                loss = loss_fn(labels, logits)
                # Add any regularization losses.
                if model.losses:
                    loss += tf.math.add_n(model.losses)
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
            epoch_loss_metric.update_state(loss)
            return loss

        for epoch in range(2):
            print(f"Epoch: {epoch}")

            self.on_epoch_begin(trial, model, epoch, logs={})
            for batch, data in enumerate(train_ds):
                self.on_batch_begin(trial, model, batch, logs={})
                batch_loss = float(run_train_step(data))
                self.on_batch_end(trial, model, batch, logs={"loss": batch_loss})

                if batch % 100 == 0:
                    loss = epoch_loss_metric.result().numpy()
                    print(f"Batch: {batch}, Average Loss: {loss}")

            epoch_loss = epoch_loss_metric.result().numpy()
            self.on_epoch_end(trial, model, epoch, logs={"loss": epoch_loss})
            epoch_loss_metric.reset_state()  # Keras 3's name (the guide has reset_states)


def test_older_custom_tuner_guide_reports_through_on_epoch_end(tmp_path) -> None:  # type: ignore[no-untyped-def]
    tuner = OnEpochEndTuner(
        oracle=keras_tuner.oracles.BayesianOptimization(
            objective=keras_tuner.Objective("loss", "min"), max_trials=2
        ),
        hypermodel=build_conv_model,
        directory=tmp_path / "results",
        project_name="mnist_custom_training",
    )
    x_train = np.random.randint(0, 255, (64, 28, 28, 1)).astype("uint8")
    y_train = np.random.randint(0, 10, 64).astype(np.int64)
    mnist_train = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    tuner.search(train_ds=mnist_train)
    best_hps = tuner.get_best_hyperparameters()[0]
    print(best_hps.values)
    assert best_hps["conv_layers"] in (1, 2, 3) and "batch_size" in best_hps
    best_model = tuner.get_best_models()[0]
    trials = tuner.study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 2
    assert all(sorted(t.intermediate_values) == [0, 1] for t in trials)
    assert tuner.study.best_trial.value == min(tuner.study.best_trial.intermediate_values.values())
    assert best_model.count_params() > 0
