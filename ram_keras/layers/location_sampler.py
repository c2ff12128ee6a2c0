"""The location policy: a Gaussian over the next glimpse location."""

import math

import keras
from keras import ops
import tensorflow as tf

from ram_keras.layers.initializers import check_init_std, dense_kernel_initializer

MEAN_ACTIVATIONS = ("tanh", "linear", "clip")
# Replica r draws with the key `seed + r * REPLICA_KEY_STRIDE` (taken modulo
# 2**31 - 2 by Keras), a stream of its own; replica 0, and one device without a
# strategy, draw with the generator's own seed.
REPLICA_KEY_STRIDE = 0x9E3779B1


@keras.saving.register_keras_serializable(package="ram_keras")
class ReplicaSeedGenerator(keras.random.SeedGenerator):
    """A `keras.random.SeedGenerator` whose draws differ between replicas.

    Under `tf.distribute` every replica (and every worker) holds the same copy
    of a generator's state, so a plain generator makes them all draw the same
    numbers: N replicas would explore like one. `next()` adds the global
    replica index (`replica_id_in_sync_group`, which counts across workers too)
    to the key of the seed, so each replica has its own stream, still a pure
    function of the seed: runs reproduce.
    """

    def next(self, ordered=True):
        seed = super().next(ordered=ordered)
        context = tf.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync == 1:
            return seed
        replica = ops.cast(context.replica_id_in_sync_group, seed.dtype)
        return seed + ops.stack([replica * REPLICA_KEY_STRIDE, ops.zeros_like(replica)])


def gaussian_log_prob(sample, mean, std):
    """Log-density of `sample` under a diagonal Gaussian, summed over the last axis.

    Args:
        sample, mean: `(..., d)` tensors.
        std: float or `(d,)` tensor, the standard deviation of each coordinate.

    Returns:
        `(...)` tensor: `sum_d [-(x - mu)^2 / (2 std^2) - log(std) - log(2 pi) / 2]`.
    """
    z = (sample - mean) / std
    log_std = math.log(std) if isinstance(std, (int, float)) else ops.log(std)
    per_dim = -0.5 * ops.square(z) - log_std - 0.5 * math.log(2.0 * math.pi)
    return ops.sum(per_dim, axis=-1)


@keras.saving.register_keras_serializable(package="ram_keras")
class LocationSampler(keras.layers.Layer):
    """Gaussian location policy `l ~ N(mean(h), std^2 I)`, e.g. `mean = tanh(W h + b)`.

    The layer reads the core state through `stop_gradient` (unless
    `state_gradient=True`), so only the REINFORCE term trains it, and the
    sample is drawn with `stop_gradient`: it is a constant to every loss
    (ports that let the cross-entropy reach the policy through the sample fail).
    The log-probability is that of the exact sample drawn, before the caller
    clips it to `[-1, 1]` (the clipped value's would bias the gradient).

    Args:
        std: float > 0, the policy's standard deviation in location units
            (one unit is half the image, see `ram_keras.geometry`); with
            `learn_std` its initial value.
        location_dims: int, 2 for (row, col).
        mean_activation: `"tanh"` (the mean stays inside the image),
            `"linear"` (the mean is `W h + b`, unbounded; only the sample is
            clipped to the image afterwards) or `"clip"` (the mean is `W h + b`
            clipped to `[-1, 1]`, with no gradient beyond: slundqui/tfRAM's).
        learn_std: train `log std` (one per coordinate) by REINFORCE too.
        state_gradient: let the REINFORCE gradient flow through the state into
            the core (the paper trains only the location network with it).
        seed: int or None, seed of the layer's `keras.random.SeedGenerator`.
        init_std: None (a Glorot uniform kernel for the mean) or the std of a
            truncated-normal kernel (`ram_keras.layers.initializers`).

    Input shape:
        `(batch, state_units)`, the core state `h_t`.

    Output shape:
        A tuple `(sample, mean, log_prob)`: `(batch, 2)`, `(batch, 2)`,
        `(batch,)`. With `deterministic=True` the sample is the mean (also
        without gradient).
    """

    def __init__(self, std=0.1, location_dims=2, mean_activation="tanh", learn_std=False,
                 state_gradient=False, seed=None, init_std=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(std, bool) or not isinstance(std, (int, float)) or not 0 < std < math.inf:
            raise ValueError(f"LocationSampler: `std` must be a float > 0, got {std!r}.")
        if (isinstance(location_dims, bool) or not isinstance(location_dims, int)
                or location_dims < 1):
            raise ValueError(
                f"LocationSampler: `location_dims` must be a positive int, got {location_dims!r}."
            )
        if mean_activation not in MEAN_ACTIVATIONS:
            raise ValueError(f"LocationSampler: `mean_activation` must be one of "
                             f"{MEAN_ACTIVATIONS}, got {mean_activation!r}.")
        self.std = float(std)
        self.location_dims = location_dims
        self.mean_activation = mean_activation
        self.learn_std = bool(learn_std)
        self.state_gradient = bool(state_gradient)
        self.seed = seed
        self.seed_generator = ReplicaSeedGenerator(seed)
        self.init_std = check_init_std("LocationSampler", init_std)
        self.mean_dense = keras.layers.Dense(
            location_dims, activation="tanh" if mean_activation == "tanh" else None,
            kernel_initializer=dense_kernel_initializer(init_std), name="mean")

    def build(self, input_shape):
        self.mean_dense.build(input_shape)
        if self.learn_std:
            self.log_std = self.add_weight(
                shape=(self.location_dims,), name="log_std",
                initializer=keras.initializers.Constant(math.log(self.std)))

    def current_std(self):
        """The standard deviation now: the fixed `std`, or `exp(log_std)` if learned."""
        return ops.exp(self.log_std) if self.learn_std else self.std

    def call(self, states, deterministic=False):
        if not self.state_gradient:
            states = ops.stop_gradient(states)
        mean = self.mean_dense(states)
        if self.mean_activation == "clip":
            mean = ops.clip(mean, -1.0, 1.0)
        std = self.current_std()
        if deterministic:
            # The mean, as a constant like every sample: a loss of a deterministic
            # rollout (the cross-entropy, say) must not move the policy through it.
            sample = ops.stop_gradient(mean)
        else:
            noise = keras.random.normal(ops.shape(mean), seed=self.seed_generator,
                                        dtype=mean.dtype)
            sample = ops.stop_gradient(mean + ops.cast(std, mean.dtype) * noise)
        log_prob = gaussian_log_prob(ops.cast(sample, "float32"), ops.cast(mean, "float32"),
                                     std)
        return sample, mean, log_prob

    def compute_output_shape(self, input_shape):
        batch = input_shape[0]
        return (batch, self.location_dims), (batch, self.location_dims), (batch,)

    def get_config(self):
        config = super().get_config()
        config.update({"std": self.std, "location_dims": self.location_dims,
                       "mean_activation": self.mean_activation, "learn_std": self.learn_std,
                       "state_gradient": self.state_gradient, "seed": self.seed,
                       "init_std": self.init_std})
        return config
