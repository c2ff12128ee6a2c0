"""The action (classifier) head and the baseline head."""

import keras
from keras import ops

from ram_keras.layers.initializers import check_init_std, dense_kernel_initializer


@keras.saving.register_keras_serializable(package="ram_keras")
class ActionHead(keras.layers.Layer):
    """Action logits from the core state: `logits = W h_t + b`.

    Args:
        num_actions: int >= 2, the number of classes (10 for MNIST) or actions
            (3 for the Catch paddle).
        init_std: None (a Glorot uniform kernel) or the std of a
            truncated-normal kernel (`ram_keras.layers.initializers`).

    Input shape:
        `(batch, state_units)`.

    Output shape:
        `(batch, num_actions)` logits (apply softmax for probabilities).
    """

    def __init__(self, num_actions=10, init_std=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(num_actions, bool) or not isinstance(num_actions, int) or num_actions < 2:
            raise ValueError(
                f"ActionHead: `num_actions` must be an int >= 2, got {num_actions!r}.")
        self.num_actions = num_actions
        self.init_std = check_init_std("ActionHead", init_std)
        self.logits_dense = keras.layers.Dense(
            num_actions, kernel_initializer=dense_kernel_initializer(init_std), name="logits")

    def build(self, input_shape):
        self.logits_dense.build(input_shape)

    def call(self, states):
        return self.logits_dense(states)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_actions)

    def get_config(self):
        config = super().get_config()
        config.update({"num_actions": self.num_actions, "init_std": self.init_std})
        return config


@keras.saving.register_keras_serializable(package="ram_keras")
class BaselineHead(keras.layers.Layer):
    """State-dependent reward baseline `b_t = w . stop_gradient(h_t) + c`.

    Reading the state through `stop_gradient` keeps the baseline's squared
    error out of the core (a baseline that leaks into the core is a common
    failure of public ports): only this head
    learns from it, unless `state_gradient=True` lets it reach the core too.

    Args:
        state_gradient: let the squared error's gradient flow into the core.
        init_std: None (a Glorot uniform kernel) or the std of a
            truncated-normal kernel (`ram_keras.layers.initializers`).

    Input shape:
        `(batch, state_units)`.

    Output shape:
        `(batch,)`.
    """

    def __init__(self, state_gradient=False, init_std=None, **kwargs):
        super().__init__(**kwargs)
        self.state_gradient = bool(state_gradient)
        self.init_std = check_init_std("BaselineHead", init_std)
        self.value_dense = keras.layers.Dense(
            1, kernel_initializer=dense_kernel_initializer(init_std), name="value")

    def build(self, input_shape):
        self.value_dense.build(input_shape)

    def call(self, states):
        if not self.state_gradient:
            states = ops.stop_gradient(states)
        return ops.squeeze(self.value_dense(states), axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],)

    def get_config(self):
        config = super().get_config()
        config.update({"state_gradient": self.state_gradient, "init_std": self.init_std})
        return config
