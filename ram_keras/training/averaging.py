"""Weight averaging: validate, evaluate and save the average of the recent weights.

With `weight_averaging: m` in a config (`--weight-averaging m`), Adam keeps an
exponential moving average of the trainable weights beside them (Keras's
`use_ema`): after every update `average = m * average + (1 - m) * weights`, so
the average spans about `1 / (1 - m)` updates (1,000 for m = 0.999). Training
itself still moves the weights; the average only smooths the noise of the
sampled glimpse paths out of what is kept. The runner validates the average
after every epoch (`AveragedWeights`), `fit` puts it into the model at its end
(`optimizer.finalize_variable_values`), and the saved model holds it; the last
weights training reached are kept too, so that results.json can say what the
averaging bought on the same run (`final_without_averaging`).
"""

import keras
import numpy as np


class AveragedWeights(keras.callbacks.Callback):
    """Puts the optimizer's weight average into the model while it is evaluated.

    Keras's `SwapEMAWeights` swaps by adding and subtracting, which leaves the
    training weights off by float rounding after every swap; this callback
    copies them out and back, so training with it is bit for bit training
    without it. After `fit`, `last_weights` holds the trained (not averaged)
    weights of the last epoch, as numpy arrays in `model.trainable_variables`
    order.
    """

    def __init__(self):
        super().__init__()
        self.last_weights = None
        self._held = None

    def _optimizer(self):
        optimizer = getattr(self.model.optimizer, "inner_optimizer", self.model.optimizer)
        if not getattr(optimizer, "use_ema", False):
            raise ValueError("AveragedWeights needs an optimizer made with use_ema=True.")
        return optimizer

    def _averages(self):
        """The optimizer's average of each of `model.trainable_variables`, in that order.

        The one private Keras attribute here (no public API exposes the averages; Keras's
        own `SwapEMAWeights` reads it too), which is why setup.py pins Keras's minor
        version. The runner builds the optimizer with `model.trainable_variables`, so the
        averages come in their order.
        """
        averages = self._optimizer()._model_variables_moving_average
        if len(averages) != len(self.model.trainable_variables):
            raise ValueError("AveragedWeights needs the optimizer built with the model's "
                             "trainable variables.")
        return averages

    def on_test_begin(self, logs=None):
        if self._held is not None:
            return
        averages = self._averages()
        self._held = [variable.numpy() for variable in self.model.trainable_variables]
        for variable, average in zip(self.model.trainable_variables, averages):
            variable.assign(average)

    def on_test_end(self, logs=None):
        if self._held is None:
            return
        for variable, value in zip(self.model.trainable_variables, self._held):
            variable.assign(value)
        self._held = None

    def on_epoch_end(self, epoch, logs=None):
        # `fit` overwrites the weights with the average after the last epoch.
        self.last_weights = [variable.numpy() for variable in self.model.trainable_variables]


def holding_weights(model, weights):
    """Context manager: `model` holds `weights` (trainable, in order) inside, its own after."""
    return _Holding(model, weights)


class _Holding:
    def __init__(self, model, weights):
        self.model, self.weights, self.kept = model, weights, None

    def __enter__(self):
        variables = self.model.trainable_variables
        if len(variables) != len(self.weights):
            raise ValueError(f"{len(self.weights)} arrays for {len(variables)} trainable "
                             "variables")
        self.kept = [variable.numpy() for variable in variables]
        for variable, value in zip(variables, self.weights):
            variable.assign(np.asarray(value))
        return self.model

    def __exit__(self, *exc):
        for variable, value in zip(self.model.trainable_variables, self.kept):
            variable.assign(value)
        return False
