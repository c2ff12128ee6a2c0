"""The recurrent core that integrates glimpses over time."""

import keras
from keras import ops

CORE_TYPES = ("relu", "lstm")


@keras.saving.register_keras_serializable(package="ram_keras")
class IdentityBelowGlorotInitializer(keras.initializers.Initializer):
    """Kernel `(inputs + units, units)`: Glorot-uniform rows, then the identity.

    The last `units` rows multiply the previous state, so the recurrent matrix
    starts as the identity (IRNN) while the input rows are Glorot-uniform.
    """

    def __init__(self, seed=None):
        self.seed = seed
        self.glorot = keras.initializers.GlorotUniform(seed)

    def __call__(self, shape, dtype=None):
        rows, units = shape
        if rows <= units:
            raise ValueError(f"IdentityBelowGlorotInitializer needs rows > units, got {shape}.")
        top = self.glorot((rows - units, units), dtype=dtype)
        return ops.concatenate([top, ops.eye(units, dtype=dtype)], axis=0)

    def get_config(self):
        return {"seed": self.seed}


@keras.saving.register_keras_serializable(package="ram_keras")
class CoreNetwork(keras.layers.Layer):
    """One step of the core: `h_t = ReLU(W_h h_{t-1} + W_g g_t + b)`, or an LSTM.

    Args:
        units: int, size of the state `h_t` (256 in the paper).
        core_type: `"relu"` (the paper's classifier core) or `"lstm"` (its
            Catch agent).
        identity_init: for the ReLU core, start the recurrent matrix `W_h`
            as the identity (IRNN, Le et al. 2015) instead of Glorot-uniform,
            so the state carries over unchanged until training says
            otherwise; `W_g` stays Glorot-uniform.

    Input shape:
        A list `[g_t, state]`: `g_t` `(batch, features)`; `state` is `h` of
        shape `(batch, units)` for `"relu"`, and `(h, c)` for `"lstm"`.

    Output shape:
        The new state, with the structure of the input state. `h_t` is always
        `state[0]` via `CoreNetwork.output_of(state)`.
    """

    def __init__(self, units=256, core_type="relu", identity_init=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError(f"CoreNetwork: `units` must be a positive int, got {units!r}.")
        if core_type not in CORE_TYPES:
            raise ValueError(
                f"CoreNetwork: `core_type` must be one of {CORE_TYPES}, got {core_type!r}."
            )
        self.units = units
        self.core_type = core_type
        self.identity_init = bool(identity_init)
        gates = units if core_type == "relu" else 4 * units
        initializer = "glorot_uniform"
        if self.identity_init and core_type == "relu":
            initializer = IdentityBelowGlorotInitializer()
        # One matrix on [g_t, h_{t-1}] is W_g g_t + W_h h_{t-1}.
        self.step_dense = keras.layers.Dense(gates, kernel_initializer=initializer, name="step")

    def build(self, input_shape):
        features_shape = input_shape[0]
        self.step_dense.build((features_shape[0], features_shape[-1] + self.units))

    def initial_state(self, batch_size):
        zeros = ops.zeros((batch_size, self.units), dtype="float32")
        return zeros if self.core_type == "relu" else (zeros, zeros)

    def output_of(self, state):
        """The state vector `h_t` that the heads read."""
        return state if self.core_type == "relu" else state[0]

    def call(self, inputs):
        features, state = inputs
        previous_h = self.output_of(state)
        pre = self.step_dense(ops.concatenate([features, previous_h], axis=-1))
        if self.core_type == "relu":
            return ops.relu(pre)
        i, f, c_hat, o = ops.split(pre, 4, axis=-1)
        c = ops.sigmoid(f) * state[1] + ops.sigmoid(i) * ops.tanh(c_hat)
        h = ops.sigmoid(o) * ops.tanh(c)
        return (h, c)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"units": self.units, "core_type": self.core_type, "identity_init": self.identity_init}
        )
        return config
