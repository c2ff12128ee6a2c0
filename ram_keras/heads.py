"""The action (classifier) head and the baseline head."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="ram_keras")
class ActionHead(keras.layers.Layer):
    """Class logits from the core state: `logits = W h_t + b`.

    Args:
        num_classes: int, number of classes (10 for MNIST).

    Input shape:
        `(batch, state_units)`.

    Output shape:
        `(batch, num_classes)` logits (apply softmax for probabilities).
    """

    def __init__(self, num_classes=10, **kwargs):
        super().__init__(**kwargs)
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(
                f"ActionHead: `num_classes` must be an int >= 2, got {num_classes!r}."
            )
        self.num_classes = num_classes
        self.logits_dense = keras.layers.Dense(num_classes, name="logits")

    def build(self, input_shape):
        self.logits_dense.build(input_shape)

    def call(self, states):
        return self.logits_dense(states)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_classes)

    def get_config(self):
        config = super().get_config()
        config.update({"num_classes": self.num_classes})
        return config


@keras.saving.register_keras_serializable(package="ram_keras")
class BaselineHead(keras.layers.Layer):
    """State-dependent reward baseline `b_t = w . stop_gradient(h_t) + c`.

    Reading the state through `stop_gradient` keeps the baseline's squared
    error out of the core (RAM_NOTES "why ports fail", 3): only this head
    learns from it.

    Input shape:
        `(batch, state_units)`.

    Output shape:
        `(batch,)`.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.value_dense = keras.layers.Dense(1, name="value")

    def build(self, input_shape):
        self.value_dense.build(input_shape)

    def call(self, states):
        return ops.squeeze(self.value_dense(ops.stop_gradient(states)), axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],)
