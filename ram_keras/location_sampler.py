"""The location policy: a Gaussian over the next glimpse location."""

import math

import keras
from keras import ops


def gaussian_log_prob(sample, mean, std):
    """Log-density of `sample` under a diagonal Gaussian, summed over the last axis.

    Args:
        sample, mean: `(..., d)` tensors.
        std: float, the standard deviation of every coordinate.

    Returns:
        `(...)` tensor: `sum_d [-(x - mu)^2 / (2 std^2) - log(std) - log(2 pi) / 2]`.
    """
    z = (sample - mean) / std
    per_dim = -0.5 * ops.square(z) - math.log(std) - 0.5 * math.log(2.0 * math.pi)
    return ops.sum(per_dim, axis=-1)


@keras.saving.register_keras_serializable(package="ram_keras")
class LocationSampler(keras.layers.Layer):
    """Gaussian location policy `l ~ N(tanh(W stop_gradient(h) + b), std^2 I)`.

    The mean is a linear function of the core state, squashed by tanh into
    `[-1, 1]`. The layer reads the state through `stop_gradient`, so only the
    REINFORCE term trains its weights, and the sample is drawn with
    `stop_gradient` too: it is a constant to every loss (RAM_NOTES "why ports
    fail", 1). The log-probability is that of the exact sample drawn, before
    the caller clips it to `[-1, 1]` (same notes, 2).

    Args:
        std: float > 0, the policy's standard deviation in location units
            (one unit is half the image, see `GlimpseSensor`).
        location_dims: int, 2 for (row, col).
        seed: int or None, seed of the layer's `keras.random.SeedGenerator`.

    Input shape:
        `(batch, state_units)`, the core state `h_t`.

    Output shape:
        A tuple `(sample, mean, log_prob)`: `(batch, 2)`, `(batch, 2)`,
        `(batch,)`. With `deterministic=True` the sample is the mean.
    """

    def __init__(self, std=0.1, location_dims=2, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(std, bool) or not isinstance(std, (int, float)) or not std > 0:
            raise ValueError(f"LocationSampler: `std` must be a float > 0, got {std!r}.")
        if isinstance(location_dims, bool) or not isinstance(location_dims, int) or location_dims < 1:
            raise ValueError(
                f"LocationSampler: `location_dims` must be a positive int, got {location_dims!r}."
            )
        self.std = float(std)
        self.location_dims = location_dims
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.mean_dense = keras.layers.Dense(location_dims, activation="tanh", name="mean")

    def build(self, input_shape):
        self.mean_dense.build(input_shape)

    def call(self, states, deterministic=False):
        mean = self.mean_dense(ops.stop_gradient(states))
        if deterministic:
            sample = mean
        else:
            noise = keras.random.normal(
                ops.shape(mean), seed=self.seed_generator, dtype=mean.dtype
            )
            sample = ops.stop_gradient(mean + self.std * noise)
        log_prob = gaussian_log_prob(sample, mean, self.std)
        return sample, mean, log_prob

    def compute_output_shape(self, input_shape):
        batch = input_shape[0]
        return (batch, self.location_dims), (batch, self.location_dims), (batch,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"std": self.std, "location_dims": self.location_dims, "seed": self.seed}
        )
        return config
