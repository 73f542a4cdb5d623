"""Per-copy optimizer update rules: Keras 3's Adam, AdamW, SGD and RMSprop on stacked variables.

Every hyperparameter is a (K,) vector so each copy follows its own optimizer exactly; each formula
mirrors keras/src/optimizers/<name>.py and the clipping / weight decay of base_optimizer.py.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tftune.keras._fusion._layers import copy_axis

Schedule = keras.optimizers.schedules.LearningRateSchedule
Slots = dict[str, tf.Tensor]  # fused slot name -> its stacked (K, ...) values
Updated = tuple[tf.Tensor, Slots]  # a stacked variable's new value and its new slots

# fused slot name -> attribute holding the Keras optimizer's slot list, per optimizer class
KERAS_SLOTS: dict[str, dict[str, str]] = {
    "Adam": {"momentum": "_momentums", "velocity": "_velocities"},
    "AdamW": {"momentum": "_momentums", "velocity": "_velocities"},
    "SGD": {"momentum": "momentums"},
    "RMSprop": {
        "velocity": "_velocities",
        "momentum": "_momentums",
        "average_gradient": "_average_gradients",
    },
}
HYPERPARAMETERS: dict[str, tuple[str, ...]] = {
    "Adam": ("beta_1", "beta_2", "epsilon"),
    "AdamW": ("beta_1", "beta_2", "epsilon"),
    "SGD": ("momentum", "nesterov"),
    "RMSprop": ("rho", "momentum", "epsilon", "centered"),
}
BASE_HYPERPARAMETERS = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm")


def read_hyperparameters(optimizer: keras.optimizers.Optimizer) -> dict[str, Any]:
    """The optimizer's update hyperparameters; learning_rate is a float or a
    LearningRateSchedule."""
    kind = type(optimizer).__name__
    rate = optimizer._learning_rate
    values: dict[str, Any] = {
        "learning_rate": rate
        if isinstance(rate, Schedule)
        else float(keras.ops.convert_to_numpy(rate))
    }
    for name in HYPERPARAMETERS[kind] + BASE_HYPERPARAMETERS:
        value = getattr(optimizer, name)
        values[name] = value if isinstance(value, bool) else float(value or 0.0)
    return values


def _vector(values: Sequence[float]) -> tf.Tensor:
    return tf.constant(np.asarray(values, dtype=np.float64), tf.float32)


class FusedOptimizer:
    """One optimizer type with per-copy hyperparameters, updating stacked (K, ...) variables."""

    def __init__(self, kind: str, hyperparameters: Sequence[dict[str, Any]]) -> None:
        self.kind = kind
        self.slot_names = tuple(KERAS_SLOTS[kind])
        self.hyper = hyperparameters
        self.rates = [h["learning_rate"] for h in hyperparameters]
        self.constant_rates = _vector([0.0 if isinstance(r, Schedule) else r for r in self.rates])
        self.clip = {
            name: _vector([h[name] for h in hyperparameters]) for name in BASE_HYPERPARAMETERS
        }
        self.uses = {
            name: any(h[name] > 0 for h in hyperparameters) for name in BASE_HYPERPARAMETERS
        }

    def _column(self, name: str) -> list[Any]:
        return [h[name] for h in self.hyper]

    def learning_rates(self, steps: tf.Tensor) -> tf.Tensor:
        """(K,) learning rate of each copy at its own step (before this update)."""
        if not any(isinstance(r, Schedule) for r in self.rates):
            return self.constant_rates
        return tf.stack(
            [
                tf.cast(rate(steps[k]), tf.float32)
                if isinstance(rate, Schedule)
                else self.constant_rates[k]
                for k, rate in enumerate(self.rates)
            ]
        )

    def clip_gradients(self, grads: list[tf.Tensor]) -> list[tf.Tensor]:
        """Keras' clipnorm / global_clipnorm / clipvalue, each copy with its own setting."""
        if self.uses["clipnorm"]:
            grads = [self._clip_by_norm(g) for g in grads]
        if self.uses["global_clipnorm"]:
            grads = self._clip_by_global_norm(grads)
        if self.uses["clipvalue"]:
            grads = [self._clip_by_value(g) for g in grads]
        return grads

    def _clip_by_norm(self, g: tf.Tensor) -> tf.Tensor:
        rank = g.shape.rank
        clipnorm = copy_axis(self.clip["clipnorm"], rank)
        l2sum = tf.reduce_sum(tf.square(g), axis=list(range(1, rank)), keepdims=True)
        positive = l2sum > 0
        l2norm = tf.where(positive, tf.sqrt(tf.where(positive, l2sum, tf.ones_like(l2sum))), l2sum)
        clipped = g * clipnorm / tf.maximum(l2norm, clipnorm)
        return tf.where(clipnorm > 0, clipped, g)

    def _clip_by_global_norm(self, grads: list[tf.Tensor]) -> list[tf.Tensor]:
        squares = [tf.reduce_sum(tf.square(g), axis=list(range(1, g.shape.rank))) for g in grads]
        norm = tf.sqrt(tf.add_n(squares))
        limit = self.clip["global_clipnorm"]
        scale = limit * tf.minimum(1.0 / norm, 1.0 / limit) + (norm - norm)
        return [
            tf.where(copy_axis(limit, g.shape.rank) > 0, g * copy_axis(scale, g.shape.rank), g)
            for g in grads
        ]

    def _clip_by_value(self, g: tf.Tensor) -> tf.Tensor:
        limit = copy_axis(self.clip["clipvalue"], g.shape.rank)
        return tf.where(limit > 0, tf.clip_by_value(g, -limit, limit), g)

    def decay(self, variable: tf.Tensor, rates: tf.Tensor) -> tf.Tensor:
        """Keras 3 decoupled weight decay: var - var * wd * lr (before the update)."""
        if not self.uses["weight_decay"]:
            return variable
        rank = variable.shape.rank
        return variable - variable * copy_axis(self.clip["weight_decay"], rank) * copy_axis(
            rates, rank
        )

    def update(
        self,
        variable: tf.Tensor,
        grad: tf.Tensor,
        slots: Slots,
        rates: tf.Tensor,
        steps: tf.Tensor,
    ) -> Updated:
        """New variable and slot values for one stacked variable."""
        rule = {
            "Adam": self._adam,
            "AdamW": self._adam,
            "SGD": self._sgd,
            "RMSprop": self._rmsprop,
        }[self.kind]
        return rule(variable, grad, slots, copy_axis(rates, variable.shape.rank), steps)

    def _hyper(
        self, name: str, rank: int, transform: Callable[[float], float] = lambda v: v
    ) -> tf.Tensor:
        return copy_axis(_vector([transform(v) for v in self._column(name)]), rank)

    def _adam(
        self, variable: tf.Tensor, grad: tf.Tensor, slots: Slots, lr: tf.Tensor, steps: tf.Tensor
    ) -> Updated:
        rank = variable.shape.rank
        local_step = copy_axis(tf.cast(steps + 1, tf.float32), rank)
        beta_1, beta_2 = self._hyper("beta_1", rank), self._hyper("beta_2", rank)
        alpha = lr * tf.sqrt(1 - tf.pow(beta_2, local_step)) / (1 - tf.pow(beta_1, local_step))
        new, m, v = adam_kernel_for(variable.shape.num_elements() or 0)(
            variable,
            grad,
            slots["momentum"],
            slots["velocity"],
            alpha,
            self._hyper("beta_1", rank, lambda b: 1 - b),
            self._hyper("beta_2", rank, lambda b: 1 - b),
            self._hyper("epsilon", rank),
        )
        return new, {"momentum": m, "velocity": v}

    def _sgd(
        self, variable: tf.Tensor, grad: tf.Tensor, slots: Slots, lr: tf.Tensor, steps: tf.Tensor
    ) -> Updated:
        rank = variable.shape.rank
        momentum = self._hyper("momentum", rank)
        m = slots["momentum"] * momentum - grad * lr
        nesterov = copy_axis(tf.constant(self._column("nesterov")), rank)
        new = variable + tf.where(nesterov, m * momentum - grad * lr, m)
        return new, {"momentum": m}

    def _rmsprop(
        self, variable: tf.Tensor, grad: tf.Tensor, slots: Slots, lr: tf.Tensor, steps: tf.Tensor
    ) -> Updated:
        rank = variable.shape.rank
        rho = self._hyper("rho", rank)
        complement = self._hyper("rho", rank, lambda r: 1 - r)
        epsilon = self._hyper("epsilon", rank)
        velocity = rho * slots["velocity"] + complement * tf.square(grad)
        average = rho * slots["average_gradient"] + complement * grad
        centered = copy_axis(tf.constant(self._column("centered")), rank)
        denominator = tf.where(
            centered, velocity - tf.square(average) + epsilon, velocity + epsilon
        )
        increment = (lr * grad) / tf.sqrt(denominator)
        momentum = self._hyper("momentum", rank) * slots["momentum"] + increment
        return variable - momentum, {
            "velocity": velocity,
            "momentum": momentum,
            "average_gradient": average,
        }


def adam_rule(
    variable: tf.Tensor,
    grad: tf.Tensor,
    momentum: tf.Tensor,
    velocity: tf.Tensor,
    alpha: tf.Tensor,
    one_minus_beta_1: tf.Tensor,
    one_minus_beta_2: tf.Tensor,
    epsilon: tf.Tensor,
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """Keras' Adam update (keras/src/optimizers/adam.py) of one stacked variable: its new value,
    momentum and velocity; the per-copy hyperparameters broadcast along the copy axis."""
    m = momentum + (grad - momentum) * one_minus_beta_1
    v = velocity + (tf.square(grad) - velocity) * one_minus_beta_2
    return variable - (m * alpha) / (tf.sqrt(v) + epsilon), m, v


#: Set to "0" to keep XLA out of the fused Adam update (it is probed once otherwise).
XLA_SETTING = "TFTUNE_XLA"
_LOG = logging.getLogger(__name__)


#: The fewest elements of a stacked weight whose Adam update runs XLA-compiled (8 MiB of
#: float32). Below it the unfused update stays in the CPU caches and is as fast, while each
#: distinct shape compiled costs about 0.1 CPU-second at a pack's first step.
XLA_MIN_ELEMENTS = 2**21


def adam_kernel_for(elements: int) -> Callable[..., tuple[tf.Tensor, tf.Tensor, tf.Tensor]]:
    """The Adam update for a stacked weight of ``elements`` numbers: compiled only when it is
    big enough to pay for its compile (``XLA_MIN_ELEMENTS``)."""
    return adam_kernel() if elements >= XLA_MIN_ELEMENTS else adam_rule


@functools.cache
def adam_kernel() -> Callable[..., tuple[tf.Tensor, tf.Tensor, tf.Tensor]]:
    """The Adam update compiled by XLA into one pass over the stacked weights (unfused, its
    eight element-wise operations each read and write the whole (K, ...) tensors: 3x the CPU
    time), or the plain update where XLA does not compile on the default device (a device
    plugin without XLA) or ``TFTUNE_XLA=0``. Decided once per process, by a probe."""
    if os.environ.get(XLA_SETTING, "1") == "0":
        return adam_rule
    compiled: Callable[..., tuple[tf.Tensor, tf.Tensor, tf.Tensor]] = tf.function(
        adam_rule, jit_compile=True, autograph=False
    )
    with tf.init_scope():  # run the probe eagerly, even when asked while a step is traced
        ones = tf.ones((2,))
        try:
            compiled(ones, ones, ones, ones, ones, ones, ones, ones)
        except Exception as error:  # any failure to compile or run means: not here
            _LOG.info("XLA is not available here (%s); fused Adam runs unfused", error)
            return adam_rule
    return compiled


def keras_slot(
    optimizer: keras.optimizers.Optimizer, slot: str, variable: keras.Variable
) -> keras.Variable | None:
    """The Keras optimizer's slot variable for a model variable, or None when that copy has no
    such slot."""
    if not optimizer.built:
        return None
    slots = getattr(optimizer, KERAS_SLOTS[type(optimizer).__name__][slot], None)
    if not slots:
        return None
    return slots[optimizer._get_variable_index(variable)]
