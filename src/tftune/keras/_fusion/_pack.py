"""FusedPack: K compiled Keras models trained as one stacked TensorFlow computation."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import keras
import numpy as np
import tensorflow as tf

from tftune.keras._fusion._align import is_slot
from tftune.keras._fusion._inspect import (
    aligned_layers,
    chain_layers,
    fusion_blocker,
    loss_spec,
    metric_specs,
)
from tftune.keras._fusion._layers import (
    Flow,
    FusedLayer,
    ParamDef,
    copy_axis,
    fuse_layers,
    per_copy,
)
from tftune.keras._fusion._losses import (
    MetricFn,
    per_copy_loss,
    per_copy_metric_sums,
    resolve_metrics,
)
from tftune.keras._fusion._optimizers import (
    KERAS_SLOTS,
    FusedOptimizer,
    keras_slot,
    read_hyperparameters,
)

T = TypeVar("T")
# the train and eval tf.functions for one data shape, and the compiled metrics' log names
Compiled = tuple[
    Callable[[np.ndarray, np.ndarray], None],
    Callable[[np.ndarray, np.ndarray], tuple[tf.Tensor, tf.Tensor]],
    list[str],
]
Metrics = list[tuple[str, MetricFn]]
# a Keras variable and its new value (BatchNormalization's moving statistics)
Updates = list[tuple[tf.Variable, tf.Tensor]]


@dataclass
class CopyState:
    """One copy's unpadded numbers: layer weights, optimizer slots, step count, optimizer
    hyperparameters."""

    values: list[np.ndarray]
    present: list[bool]
    slots: list[dict[str, np.ndarray]]  # one dict per trainable weight, in weight order
    step: int
    hyper: dict[str, Any]
    active: bool = True


@dataclass
class _Param:
    """A stacked weight: (K, *padded) variable, mask of real entries, per-copy true shapes and
    regularizers. Where only some copies have the weight (``rows``: a Dense position others fill
    with an identity slot) the variable stacks those alone, padded to their widest, and the
    others' fixed values wait in ``outside``."""

    layer: FusedLayer
    definition: ParamDef
    variable: tf.Variable
    valid: tf.Tensor
    shapes: list[tuple[int, ...]]
    present: list[bool]
    absent_anywhere: bool = False  # some copy lacks this weight (an identity slot, no bias)
    l1: tf.Tensor | None = None
    l2: tf.Tensor | None = None
    slots: dict[str, tf.Variable] = field(default_factory=dict)
    rows: list[int] | None = None
    outside: dict[int, np.ndarray] = field(default_factory=dict)

    def held(self, per_copy: tf.Tensor) -> tf.Tensor:
        """A per-copy (K, ...) tensor cut to the copies this weight stacks."""
        return per_copy if self.rows is None else tf.gather(per_copy, self.rows)


def _stack_padded(
    arrays: Sequence[np.ndarray],
    present: Sequence[bool],
    shape: tuple[int, ...] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Zero-pad per-copy arrays to ``shape`` (one copy's; the widest of theirs when None) and
    stack them; also return the mask of real entries."""
    widest = tuple(max(sizes) for sizes in zip(*(a.shape for a in arrays), strict=True))
    if shape is None:
        shape = widest
    elif len(shape) != len(widest) or any(w > n for w, n in zip(widest, shape, strict=True)):
        raise ValueError(f"arrays of widest shape {widest} do not fit the padded shape {shape}")
    stacked = np.zeros((len(arrays), *shape), np.float32)
    valid = np.zeros(stacked.shape, bool)
    for k, (array, real) in enumerate(zip(arrays, present, strict=True)):
        region: tuple[int | slice, ...] = (k, *(slice(0, n) for n in array.shape))
        stacked[region] = array
        valid[region] = real
    return stacked, valid


def _stack_slots(arrays: Sequence[np.ndarray], shape: tuple[int, ...]) -> tf.Tensor | np.ndarray:
    """One optimizer slot of the copies, stacked and zero-padded to ``shape`` (that of their
    stacked weight). All zeros (a fresh optimizer's) are made where the variable lives, with no
    host array to fill and copy."""
    if len(shape) == 0 or shape[0] != len(arrays):
        raise ValueError(f"slot shape {shape} does not stack {len(arrays)} copies")
    if not any(array.any() for array in arrays):
        return tf.zeros(shape, tf.float32)
    return _stack_padded(arrays, [True] * len(arrays), tuple(shape[1:]))[0]


def _regularizer_factors(regularizer: Any) -> tuple[float, float]:
    if regularizer is None:
        return 0.0, 0.0
    return float(getattr(regularizer, "l1", 0.0) or 0.0), float(
        getattr(regularizer, "l2", 0.0) or 0.0
    )


class FusedPack:
    """K compiled Keras models of one structure, trained together with per-copy hyperparameters."""

    def __init__(
        self,
        models: Sequence[keras.Model],
        *,
        seed: int | None = None,
        input_shape: tuple[int | None, ...] | None = None,
    ) -> None:
        models = list(models)
        for model in models:
            if not model.built and input_shape is not None:
                model.build((None, *input_shape))
        reason = fusion_blocker(models)
        if reason is not None:
            raise ValueError(reason)
        chains = _accepted(aligned_layers([_accepted(chain_layers(model)) for model in models]))
        layers = fuse_layers(chains)
        states = [_read_copy(model, layers, k) for k, model in enumerate(models)]
        self._setup(
            models, chains, states, np.random.randint(2**31) if seed is None else seed, rng_step=0
        )

    def _setup(
        self,
        models: list[keras.Model],
        chains: list[list[keras.layers.Layer]],
        states: list[CopyState],
        seed: int,
        rng_step: int,
    ) -> None:
        self.models = models
        self.size = len(models)
        self._chains = chains
        self._seed = int(seed)
        self._epoch = 0
        self._layers = fuse_layers(chains)
        self._loss = _accepted(loss_spec(models[0].loss))
        self._metric_specs = _accepted(metric_specs(models[0]))
        self._optimizer = FusedOptimizer(
            type(models[0].optimizer).__name__, [s.hyper for s in states]
        )
        self._held_optimizers: dict[tuple[int, ...], FusedOptimizer] = {}
        self._params = self._stack_params(states)
        self._steps = tf.Variable(np.array([s.step for s in states], np.int64), trainable=False)
        self._active = tf.Variable(np.array([s.active for s in states]), trainable=False)
        self._diverged = tf.Variable(np.zeros(self.size, bool), trainable=False)
        self._rng_step = tf.Variable(rng_step, dtype=tf.int64, trainable=False)
        self._train_sums = tf.Variable(
            tf.zeros([len(self._metric_specs) + 1, self.size]), trainable=False
        )
        self._train_counts = tf.Variable(tf.zeros([len(self._metric_specs) + 1]), trainable=False)
        self._functions: dict[tuple[tuple[int, ...], tuple[int, ...]], Compiled] = {}

    def _stack_params(self, states: list[CopyState]) -> list[_Param]:
        # a global gradient norm sums every weight of a copy: all weights then stack every copy
        compact = not self._optimizer.uses["global_clipnorm"]
        params, index, trainable_index = [], 0, 0
        for layer in self._layers:
            layer.rows = layer.row_candidates if compact else None
            held = list(range(self.size)) if layer.rows is None else layer.rows
            for definition, *keras_vars in zip(
                layer.params, *(layer.keras_variables(own) for own in layer.layers), strict=True
            ):
                arrays = [s.values[index] for s in states]
                present = [s.present[index] for s in states]
                stacked, valid = _stack_padded(
                    [arrays[k] for k in held], [present[k] for k in held]
                )
                variable = tf.Variable(stacked, trainable=definition.trainable)
                param = _Param(
                    layer,
                    definition,
                    variable,
                    tf.constant(valid),
                    [a.shape for a in arrays],
                    present,
                    not all(present[k] for k in held),
                    rows=layer.rows,
                    outside={k: a for k, a in enumerate(arrays) if k not in held},
                )
                layer.variables.append(param.variable)
                factors = np.array(
                    [
                        _regularizer_factors(v.regularizer if v is not None else None)
                        for v in (keras_vars[k] for k in held)
                    ]
                )
                if factors.any():
                    param.l1, param.l2 = (
                        tf.constant(factors[:, 0], tf.float32),
                        tf.constant(factors[:, 1], tf.float32),
                    )
                if definition.trainable:
                    for slot in self._optimizer.slot_names:
                        slot_arrays = [states[k].slots[trainable_index][slot] for k in held]
                        param.slots[slot] = tf.Variable(
                            _stack_slots(slot_arrays, stacked.shape), trainable=False
                        )
                    trainable_index += 1
                params.append(param)
                index += 1
        return params

    @property
    def active(self) -> list[bool]:
        """False for each frozen copy."""
        return [bool(a) for a in self._active.numpy()]

    @property
    def steps(self) -> list[int]:
        """Each copy's optimizer iteration count."""
        return [int(s) for s in self._steps.numpy()]

    # ----- the fused computation -----

    def _forward(self, x: tf.Tensor, training: bool) -> tuple[tf.Tensor, Updates]:
        flow = Flow(x, True, None)
        updates: Updates = []
        for layer in self._layers:
            seed = tf.stack([tf.constant(self._seed + layer.position, tf.int64), self._rng_step])
            flow = layer(flow, training, seed, updates)
        return per_copy(flow, self.size), updates

    def _regularization(self) -> tf.Tensor:
        total = tf.zeros([self.size])
        for param in self._params:
            if param.l1 is not None:
                axes = list(range(1, param.variable.shape.rank))
                penalty = param.l1 * tf.reduce_sum(tf.abs(param.variable), axes)
                penalty += param.l2 * tf.reduce_sum(tf.square(param.variable), axes)
                if param.rows is not None:
                    penalty = tf.scatter_nd(tf.constant(param.rows)[:, None], penalty, [self.size])
                total += penalty
        return total

    def _losses(
        self, x: tf.Tensor, y: tf.Tensor, training: bool, metrics: Metrics
    ) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor, Updates]:
        """Per-copy losses (K,), then the batch's (M+1, K) sums and (M+1,) counts for the logs
        (loss first)."""
        y_pred, updates = self._forward(x, training)
        losses = per_copy_loss(self._loss, y, y_pred) + self._regularization()
        metric_sums, metric_counts = per_copy_metric_sums(metrics, y, y_pred)
        rows = tf.cast(tf.shape(x)[0], tf.float32)
        sums = tf.concat([losses[None] * rows, metric_sums], axis=0)
        return losses, sums, tf.concat([rows[None], metric_counts], axis=0), updates

    def _train_step(self, x: tf.Tensor, y: tf.Tensor, metrics: Metrics) -> None:
        trainables = [p for p in self._params if p.definition.trainable]
        with tf.GradientTape() as tape:
            losses, sums, counts, updates = self._losses(x, y, True, metrics)
            live = tf.logical_and(self._active, tf.math.is_finite(losses))
            total = tf.reduce_sum(tf.where(live, losses, 0.0))
        grads = tape.gradient(total, [p.variable for p in trainables])
        grads = [  # (a Dense with identity slots gathers its real copies' kernels)
            tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads
        ]
        self._apply(trainables, grads, live)
        valid_of = {id(p.variable): p.valid for p in self._params}
        for variable, value in updates:
            variable.assign(
                tf.where(tf.logical_and(valid_of[id(variable)], live[:, None]), value, variable)
            )
        self._train_sums.assign_add(tf.where(live[None], sums, 0.0))
        self._train_counts.assign_add(counts)
        self._steps.assign_add(tf.cast(live, tf.int64))
        self._diverged.assign(
            tf.logical_or(self._diverged, tf.logical_and(self._active, tf.logical_not(live)))
        )
        self._active.assign(live)
        self._rng_step.assign_add(1)

    def _apply(self, trainables: list[_Param], grads: list[tf.Tensor], live: tf.Tensor) -> None:
        rates = self._optimizer.learning_rates(self._steps)
        # a weight a copy lacks (an identity slot's kernel) has a gradient there, which must not
        # count in that copy's global gradient norm: it takes no step
        grads = [
            tf.where(param.valid, grad, 0.0) if param.absent_anywhere else grad
            for param, grad in zip(trainables, grads, strict=True)
        ]
        if self._optimizer.uses["global_clipnorm"]:  # (every weight stacks every copy then)
            grads = self._optimizer.clip_gradients(grads)
        else:
            grads = [
                self._optimizer_of(param).clip_gradients([grad])[0]
                for param, grad in zip(trainables, grads, strict=True)
            ]
        gated: list[tuple[tf.Variable, tf.Tensor]] = []  # (target, new value) pairs
        ungated: list[tuple[tf.Variable, tf.Tensor, tf.Tensor, tf.Tensor]] = []
        for param, grad in zip(trainables, grads, strict=True):
            optimizer, held_rates, held_live = (
                self._optimizer_of(param),
                param.held(rates),
                param.held(live),
            )
            old = param.variable
            slots = {name: slot.read_value() for name, slot in param.slots.items()}
            new, new_slots = optimizer.update(
                optimizer.decay(old, held_rates), grad, slots, held_rates, param.held(self._steps)
            )
            targets = [(old, new, old.read_value())] + [
                (param.slots[name], value, slots[name]) for name, value in new_slots.items()
            ]
            if param.absent_anywhere:  # always gated by the mask of real entries
                gate = tf.logical_and(param.valid, copy_axis(held_live, old.shape.rank))
                gated += [(target, tf.where(gate, new, was)) for target, new, was in targets]
            else:
                gate = copy_axis(held_live, old.shape.rank)
                ungated += [(target, new, was, gate) for target, new, was in targets]
        for target, value in gated + _unless_all_live(ungated, tf.reduce_all(live)):
            target.assign(value)

    def _optimizer_of(self, param: _Param) -> FusedOptimizer:
        """The optimizer with the hyperparameters of the copies ``param`` stacks."""
        if param.rows is None:
            return self._optimizer
        key = tuple(param.rows)
        if key not in self._held_optimizers:
            self._held_optimizers[key] = FusedOptimizer(
                self._optimizer.kind, [self._optimizer.hyper[k] for k in key]
            )
        return self._held_optimizers[key]

    def _eval_step(
        self, x: tf.Tensor, y: tf.Tensor, metrics: Metrics
    ) -> tuple[tf.Tensor, tf.Tensor]:
        _, sums, counts, _ = self._losses(x, y, False, metrics)
        return sums, counts

    def _compiled(self, x: np.ndarray, y: np.ndarray) -> Compiled:
        """The train and eval tf.functions for these data shapes (traced once, any batch size)."""
        key = (x.shape[1:], y.shape[1:])
        if key not in self._functions:
            output_shape = self._chains[0][-1].output.shape
            metrics = resolve_metrics(self._metric_specs, (None, *y.shape[1:]), output_shape)
            signature = [
                tf.TensorSpec((None, *x.shape[1:]), tf.float32),
                tf.TensorSpec((None, *y.shape[1:]), tf.float32),
            ]
            # no AutoGraph: the step has no tensor-dependent Python control flow, and converting
            # its code (and the Keras functions it calls) took about half of each trace
            train = tf.function(
                lambda a, b: self._train_step(a, b, metrics),
                input_signature=signature,
                autograph=False,
            )
            evaluate = tf.function(
                lambda a, b: self._eval_step(a, b, metrics),
                input_signature=signature,
                autograph=False,
            )
            self._functions[key] = (train, evaluate, [name for name, _ in metrics])
        return self._functions[key]

    # ----- public API -----

    def fit_epoch(
        self, x: Any, y: Any, *, batch_size: int, shuffle: bool = True, seed: int | None = None
    ) -> list[dict[str, float]]:
        """Train every active copy one epoch; per copy the epoch's logs as Model.fit names them."""
        x, y = _as_float32(x), _as_float32(y)
        train, _, names = self._compiled(x, y)
        order = np.arange(len(x))
        if shuffle:
            order = np.random.default_rng(
                seed if seed is not None else (self._seed, self._epoch)
            ).permutation(len(x))
        self._epoch += 1
        started = self.active
        self._diverged.assign(tf.zeros_like(self._diverged))
        self._train_sums.assign(tf.zeros_like(self._train_sums))
        self._train_counts.assign(tf.zeros_like(self._train_counts))
        for start in range(0, len(x), batch_size):
            rows = order[start : start + batch_size]
            train(x[rows], y[rows])
        sums = self._train_sums.numpy() / self._train_counts.numpy()[:, None]
        diverged = self._diverged.numpy()
        return [
            {}
            if not started[k]
            else {"loss": math.nan}
            if diverged[k]
            else _logs(names, sums[:, k])
            for k in range(self.size)
        ]

    def evaluate(self, x: Any, y: Any, *, batch_size: int) -> list[dict[str, float]]:
        """Per copy {"loss": ..., "<metric>": ...} like model.evaluate(return_dict=True)."""
        x, y = _as_float32(x), _as_float32(y)
        _, evaluate, names = self._compiled(x, y)
        sums, counts = np.zeros((len(names) + 1, self.size)), np.zeros((len(names) + 1, 1))
        for start in range(0, len(x), batch_size):
            batch_sums, batch_counts = evaluate(
                x[start : start + batch_size], y[start : start + batch_size]
            )
            sums += batch_sums.numpy()
            counts += batch_counts.numpy()[:, None]
        return [_logs(names, sums[:, k] / counts[:, 0]) for k in range(self.size)]

    def freeze(self, index: int) -> None:
        """Stop training copy ``index``: its weights, optimizer slots and step count stop
        changing."""
        self._active.assign(tf.tensor_scatter_nd_update(self._active, [[index]], [False]))

    def copy_state(self, index: int) -> CopyState:
        """Copy ``index``'s current unpadded weights, slots, step count and hyperparameters."""
        return self.copy_states([index])[0]

    def copy_states(self, indices: Sequence[int]) -> list[CopyState]:
        """:meth:`copy_state` of several copies, reading each stacked variable once for them
        all (one host copy per variable, then numpy slices) instead of once per copy."""
        indices = list(indices)
        for index in indices:
            if not 0 <= index < self.size:
                raise IndexError(f"Copy index must be in [0, {self.size}), got {index}.")
        states = [CopyState([], [], [], 0, {}) for _ in indices]
        for param in self._params:
            rows = {
                k: k if param.rows is None else param.rows.index(k)
                for k in indices
                if k not in param.outside
            }
            values = _read_rows(param.variable, list(rows.values()))
            slots = {
                name: _read_rows(slot, list(rows.values())) for name, slot in param.slots.items()
            }
            for state, index in zip(states, indices, strict=True):
                state.present.append(param.present[index])
                if index in param.outside:  # a weight this copy lacks: its fixed values
                    state.values.append(param.outside[index])
                    if param.definition.trainable:
                        shape = param.shapes[index]
                        state.slots.append(
                            {name: np.zeros(shape, np.float32) for name in param.slots}
                        )
                    continue
                row = rows[index]
                region = tuple(slice(0, n) for n in param.shapes[index])
                state.values.append(values[row][region])
                if param.definition.trainable:
                    state.slots.append({name: read[row][region] for name, read in slots.items()})
        steps, active = self.steps, self.active
        for state, index in zip(states, indices, strict=True):
            state.step, state.active = steps[index], active[index]
            state.hyper = self._optimizer.hyper[index]
        return states

    def write_back(
        self, index: int | Sequence[int] | None = None, *, include_optimizer: bool = True
    ) -> None:
        """Copy the trained state of copy ``index`` (several: a sequence; all when None) into
        its own Keras model, reading the pack's variables once for all of them."""
        indices = (
            list(range(self.size))
            if index is None
            else [index]
            if isinstance(index, int)
            else list(index)
        )
        for k, state in zip(indices, self.copy_states(indices), strict=True):
            self.write_state(k, state, include_optimizer=include_optimizer)

    def write_state(self, index: int, state: CopyState, *, include_optimizer: bool = True) -> None:
        """Write ``state`` (from :meth:`copy_states`) into copy ``index``'s own Keras model."""
        pairs = self._keras_pairs(index)
        for (_param, variable), value in zip(pairs, state.values, strict=True):
            if variable is not None:
                variable.assign(value)
        if include_optimizer:
            _write_optimizer(self.models[index], pairs, state)

    def _keras_pairs(self, index: int) -> list[tuple[_Param, keras.Variable | None]]:
        pairs: list[tuple[_Param, keras.Variable | None]] = []
        for layer in self._layers:
            variables = layer.keras_variables(layer.layers[index])
            pairs.extend(
                zip([p for p in self._params if p.layer is layer], variables, strict=True)
            )
        return pairs

    def repack(self, keep: Sequence[int]) -> FusedPack:
        """A smaller pack of copies ``keep`` (in that order) with their current state."""
        keep = list(keep)
        pack = FusedPack.__new__(FusedPack)
        pack._setup(
            [self.models[k] for k in keep],
            [self._chains[k] for k in keep],
            self.copy_states(keep),
            self._seed,
            rng_step=int(self._rng_step.numpy()),
        )
        pack._epoch = self._epoch
        return pack


def _unless_all_live(
    targets: list[tuple[tf.Variable, tf.Tensor, tf.Tensor, tf.Tensor]], all_live: tf.Tensor
) -> list[tuple[tf.Variable, tf.Tensor]]:
    """The values to assign to (target, new, old, copy gate) of weights every copy has: the new
    ones where the copy trains, the old ones elsewhere.

    Padded entries need no gate: their gradient, optimizer slots and weight are exactly zero,
    so every update rule leaves them zero (a weight some copy lacks, an identity slot's kernel
    or a missing bias, keeps the mask of real entries instead). When every copy trains (the
    common case) the per-element selection is skipped: it took a third of an Adam step. One
    condition for all the weights: one per weight traced two branch graphs each (a third
    of the trace under a profiler; 5-10% of its CPU time measured).
    """
    if not targets:
        return []
    values = tf.cond(
        all_live,
        lambda: [new for _, new, _, _ in targets],
        lambda: [tf.where(gate, new, old) for _, new, old, gate in targets],
    )
    return [(target, value) for (target, _, _, _), value in zip(targets, values, strict=True)]


def _read_rows(variable: tf.Variable, rows: list[int]) -> dict[int, np.ndarray]:
    """Rows ``rows`` of a stacked variable as host arrays, by row: one read for them all (the
    whole variable when every row is asked for, else one gather)."""
    if not rows:
        return {}
    if sorted(rows) == list(range(variable.shape[0])):
        read = variable.numpy()
        return {row: read[row] for row in rows}
    read = tf.gather(variable, rows).numpy()
    return {row: read[position] for position, row in enumerate(rows)}


def _accepted(checked: T | str) -> T:
    """A model's chain, loss or metrics that ``fusion_blocker`` accepted (never a reason)."""
    assert not isinstance(checked, str), checked
    return checked


def _logs(names: list[str], values: np.ndarray) -> dict[str, float]:
    return {
        "loss": float(values[0]),
        **{name: float(v) for name, v in zip(names, values[1:], strict=True)},
    }


def _as_float32(array: Any) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(array, dtype=np.float32))


def _read_copy(model: keras.Model, layers: list[FusedLayer], index: int) -> CopyState:
    """Copy ``index``'s weights, optimizer slots, iteration count and hyperparameters from its
    model."""
    optimizer = model.optimizer
    values, present, slots = [], [], []
    for layer in layers:
        own = layer.layers[index]
        if is_slot(own):  # a padding slot: fixed values, absent weights, zero optimizer slots
            for definition, value in zip(layer.params, own.slot_values(), strict=True):
                values.append(value)
                present.append(False)
                if definition.trainable:
                    slots.append(
                        {
                            name: np.zeros(value.shape, np.float32)
                            for name in KERAS_SLOTS[type(optimizer).__name__]
                        }
                    )
            continue
        for definition, variable, shape in zip(
            layer.params, layer.keras_variables(own), layer.fallback_shapes(own), strict=True
        ):
            values.append(
                keras.ops.convert_to_numpy(variable).astype(np.float32)
                if variable is not None
                else np.full(shape, definition.filler, np.float32)
            )
            present.append(variable is not None)
            if definition.trainable:
                slots.append(
                    {
                        name: _read_slot(optimizer, name, variable, shape)
                        for name in KERAS_SLOTS[type(optimizer).__name__]
                    }
                )
    return CopyState(
        values,
        present,
        slots,
        int(keras.ops.convert_to_numpy(optimizer.iterations)),
        read_hyperparameters(optimizer),
    )


def _read_slot(
    optimizer: keras.optimizers.Optimizer,
    name: str,
    variable: keras.Variable | None,
    shape: tuple[int, ...],
) -> np.ndarray:
    slot = None if variable is None else keras_slot(optimizer, name, variable)
    return (
        np.zeros(shape, np.float32)
        if slot is None
        else keras.ops.convert_to_numpy(slot).astype(np.float32)
    )


def _write_optimizer(
    model: keras.Model, pairs: list[tuple[_Param, keras.Variable | None]], state: CopyState
) -> None:
    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    trainable = [(param, variable) for param, variable in pairs if param.definition.trainable]
    for (_param, variable), slots in zip(trainable, state.slots, strict=True):
        if variable is None:
            continue
        for name, value in slots.items():
            target = keras_slot(optimizer, name, variable)
            if target is not None:
                target.assign(value)
    optimizer.iterations.assign(state.step)


def fit(
    pack: FusedPack,
    x: Any,
    y: Any,
    *,
    epochs: int,
    batch_size: int,
    validation_data: tuple[Any, Any] | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    on_epoch_end: Callable[[int, list[dict[str, float]]], None] | None = None,
) -> list[list[dict[str, float]]]:
    """Train the pack for ``epochs``; per epoch the per-copy logs (validation keys prefixed
    "val_")."""
    history = []
    for epoch in range(epochs):
        logs = pack.fit_epoch(
            x,
            y,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=None if seed is None else seed + epoch,
        )
        if validation_data is not None:
            scores = pack.evaluate(*validation_data, batch_size=batch_size)
            logs = [
                {**log, **{f"val_{k}": v for k, v in score.items()}} if log else log
                for log, score in zip(logs, scores, strict=True)
            ]
        history.append(logs)
        if on_epoch_end is not None:
            on_epoch_end(epoch, logs)
    return history
