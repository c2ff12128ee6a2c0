"""One glimpse of RAM: where to look, what is seen there, and the new core state."""

import keras
from keras import ops

from ram_keras.layers.core import make_core_cell
from ram_keras.layers.glimpse_network import GlimpseNetwork
from ram_keras.layers.glimpse_sensor import GlimpseSensor
from ram_keras.layers.location_sampler import LocationSampler

# How a location is chosen: by the Gaussian policy, uniformly at random (the
# paper's "random glimpses" ablation), or always the centre (a fixed view).
LOCATION_POLICIES = ("learned", "random", "centre")
# How the first location is chosen: by the policy from the zero state (so it is
# learned too), uniformly at random, or at the centre.
FIRST_LOCATIONS = ("policy", "random", "centre")


@keras.saving.register_keras_serializable(package="ram_keras")
class GlimpseStep(keras.layers.Layer):
    """One step of RAM, shared by the classifier and the Catch agent.

    From the observation `x_t` (an image, or the current Catch screen) and the
    core states `s_{t-1}` (whose first entry is `h_{t-1}`):

    1. the location `l_t` is drawn by the policy from `h_{t-1}`
       (`LocationSampler`; see `location_policy` and `first_location`) and
       clipped to `[-1, 1]^2`; the log-probability is that of the sample drawn;
    2. the retina reads `rho_t = GlimpseSensor(x_t, l_t)`;
    3. the glimpse network encodes `g_t = GlimpseNetwork(rho_t, l_t)`;
    4. the core updates `h_t, s_t = core(g_t, s_{t-1})` (a Keras
       `SimpleRNNCell` with ReLU, or an `LSTMCell`; see `make_core_cell`).

    Args:
        glimpse_size, num_scales, scale, retina_reduction: the retina
            (`GlimpseSensor`; `retina_reduction` is its `reduction`).
        what_units, where_units, glimpse_units: `GlimpseNetwork` sizes.
        core_units, core_type, identity_init: the core (`make_core_cell`).
        location_std, mean_activation, learn_std: the policy
            (`LocationSampler`'s `std`, `mean_activation`, `learn_std`).
        policy_state_gradient: let REINFORCE reach the core through the
            state the policy reads (`LocationSampler(state_gradient=...)`).
        location_policy: `"learned"`, `"random"` (uniform in `[-1, 1]^2`,
            log-probability 0, so REINFORCE is off) or `"centre"` (always
            `(0, 0)`, log-probability 0).
        first_location: `"policy"`, `"random"` or `"centre"`: how the first
            location is chosen when `location_policy` is `"learned"`. A random
            first location is the centre (its mean) when `deterministic`.
        seed: int or None, seed of the policy's random draws.
        init_std: None, or the std of the truncated-normal kernels of the
            glimpse network and the policy (`ram_keras.layers.initializers`).

    Call arguments:
        inputs: `[observation, states]`: observation `(batch, H, W, C)`, states
            the list from `initial_state` or from the previous step.
        deterministic: look at the policy's mean instead of a sample.
        first: this is the first glimpse of an episode.

    Returns:
        `(states, glimpse)`: the new core states, and a dict of `(batch, ...)`
        tensors: `location` (clipped, where the retina looked), `sample` (as
        drawn, before clipping), `mean`, `log_prob`, and `patches` (the retina's
        output, `(batch, num_scales, g, g, C)`).
    """

    def __init__(self, glimpse_size=8, num_scales=1, scale=2, retina_reduction="mean",
                 what_units=128, where_units=128, glimpse_units=256, core_units=256,
                 core_type="relu", identity_init=False, location_std=0.1,
                 mean_activation="tanh", learn_std=False, policy_state_gradient=False,
                 location_policy="learned", first_location="policy", seed=None, init_std=None,
                 **kwargs):
        super().__init__(**kwargs)
        if location_policy not in LOCATION_POLICIES:
            raise ValueError(f"GlimpseStep: `location_policy` must be one of "
                             f"{LOCATION_POLICIES}, got {location_policy!r}.")
        if first_location not in FIRST_LOCATIONS:
            raise ValueError(f"GlimpseStep: `first_location` must be one of "
                             f"{FIRST_LOCATIONS}, got {first_location!r}.")
        self.location_policy = location_policy
        self.first_location = first_location
        self.glimpse_sensor = GlimpseSensor(glimpse_size, num_scales, scale, retina_reduction,
                                            name="glimpse_sensor")
        self.glimpse_network = GlimpseNetwork(what_units, where_units, glimpse_units,
                                              init_std=init_std, name="glimpse_network")
        self.core = make_core_cell(core_units, core_type, identity_init, name="core")
        self.location_sampler = LocationSampler(
            location_std, mean_activation=mean_activation, learn_std=learn_std,
            state_gradient=policy_state_gradient, seed=seed, init_std=init_std,
            name="location_sampler")
        self.core_units = core_units
        self.core_type = core_type
        self.identity_init = bool(identity_init)

    def build(self, input_shape):
        # Called with the observation's shape, or by Keras with `[observation, states]`'s.
        observation_shape = input_shape[0] if isinstance(input_shape[0], (list, tuple)) \
            else input_shape
        batch = observation_shape[0]
        patches_shape = self.glimpse_sensor.compute_output_shape([observation_shape, (batch, 2)])
        self.glimpse_sensor.build([observation_shape, (batch, 2)])
        self.location_sampler.build((batch, self.core_units))
        self.glimpse_network.build([patches_shape, (batch, 2)])
        self.core.build((batch, self.glimpse_network.output_units))

    def initial_state(self, batch_size):
        """The core states before the first glimpse: zeros, `[h]` or `[h, c]`."""
        return [ops.zeros((batch_size, self.core_units), self.compute_dtype)
                for _ in range(2 if self.core_type == "lstm" else 1)]

    def _locations(self, h, deterministic, first):
        """`(sample, mean, log_prob)` of this step's location."""
        sample, mean, log_prob = self.location_sampler(h, deterministic=deterministic)
        policy = self.location_policy
        if policy == "learned" and first and self.first_location != "policy":
            # The mean of a uniform first location is the centre.
            policy = "centre" if deterministic else self.first_location
        if policy == "random":
            sample = keras.random.uniform(ops.shape(mean), minval=-1.0, maxval=1.0,
                                          seed=self.location_sampler.seed_generator,
                                          dtype=mean.dtype)
            return sample, sample, ops.zeros_like(log_prob)
        if policy == "centre":
            zeros = ops.zeros_like(mean)
            return zeros, zeros, ops.zeros_like(log_prob)
        return sample, mean, log_prob

    def call(self, inputs, deterministic=False, first=False):
        observation, states = inputs
        sample, mean, log_prob = self._locations(states[0], deterministic, first)
        location = ops.clip(sample, -1.0, 1.0)
        patches = self.glimpse_sensor([observation, location])
        features = self.glimpse_network([patches, location])
        _, states = self.core(features, list(states))
        return list(states), {"location": location, "sample": sample, "mean": mean,
                              "log_prob": log_prob, "patches": patches}

    def get_config(self):
        config = super().get_config()
        sensor, network = self.glimpse_sensor, self.glimpse_network
        sampler = self.location_sampler
        config.update({
            "glimpse_size": sensor.glimpse_size, "num_scales": sensor.num_scales,
            "scale": sensor.scale, "retina_reduction": sensor.reduction,
            "what_units": network.what_units, "where_units": network.where_units,
            "glimpse_units": network.output_units, "core_units": self.core_units,
            "core_type": self.core_type, "identity_init": self.identity_init,
            "location_std": sampler.std, "mean_activation": sampler.mean_activation,
            "learn_std": sampler.learn_std, "policy_state_gradient": sampler.state_gradient,
            "location_policy": self.location_policy, "first_location": self.first_location,
            "seed": sampler.seed, "init_std": network.init_std,
        })
        return config
