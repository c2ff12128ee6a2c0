"""Weight averaging: the average against a numpy reference, validation on it, training untouched."""

import keras
import numpy as np
import pytest

from helpers import small_classifier
from ram_keras.training.averaging import AveragedWeights, holding_weights
from ram_keras.training.optimizers import make_optimizer

MOMENTUM = 0.8


class WeightsAfterEveryStep(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.steps = []

    def on_train_batch_end(self, batch, logs=None):
        self.steps.append([variable.numpy() for variable in self.model.trainable_variables])


def train(averaging, epochs=2):
    """A small classifier, 4 steps per epoch, validated every epoch; its weights per step."""
    keras.utils.set_random_seed(0)
    model = small_classifier()
    config = {"learning_rate": 1e-2, "learning_rate_schedule": "constant",
              "weight_averaging": MOMENTUM if averaging else None}
    model.compile(optimizer=make_optimizer(config, 8, 4), jit_compile=False)
    rng = np.random.default_rng(1)
    images = rng.random((64, 12, 12, 1)).astype(np.float32)
    labels = rng.integers(0, 10, 64)
    validation = (images[:32], labels[:32])
    recorder = WeightsAfterEveryStep()
    callbacks = [AveragedWeights(), recorder] if averaging else [recorder]
    history = model.fit(images, labels, batch_size=16, epochs=epochs, shuffle=False,
                        validation_data=validation, callbacks=callbacks, verbose=0)
    return model, recorder.steps, history.history, callbacks[0], validation


def numpy_average(steps, momentum):
    """Keras's `use_ema`: the first update's weights, then `m * average + (1 - m) * w`."""
    average = [np.array(w, np.float64) for w in steps[0]]
    averages = [average]
    for weights in steps[1:]:
        average = [momentum * a + (1 - momentum) * w for a, w in zip(average, weights)]
        averages.append(average)
    return averages


@pytest.fixture(scope="module")
def averaged_run():
    return train(averaging=True)


def test_the_model_ends_holding_the_numpy_average_and_validation_saw_it(averaged_run):
    model, steps, history, averaged, validation = averaged_run
    assert len(steps) == 8
    averages = numpy_average(steps, MOMENTUM)
    for got, want in zip(model.trainable_variables, averages[-1]):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    # The last trained weights are kept, exactly.
    for got, want in zip(averaged.last_weights, steps[-1]):
        np.testing.assert_array_equal(got, want)
    assert not np.allclose(averaged.last_weights[0], model.trainable_variables[0].numpy())
    # Each epoch's validation evaluated the average at that epoch's end.
    for epoch, step in ((0, 3), (1, 7)):
        with holding_weights(model, averages[step]):
            logs = model.evaluate(*validation, batch_size=32, verbose=0, return_dict=True)
        assert logs["accuracy"] == pytest.approx(history["val_accuracy"][epoch], abs=1e-6)
        assert logs["classification_loss"] == pytest.approx(
            history["val_classification_loss"][epoch], rel=1e-4)


def test_averaging_leaves_training_itself_unchanged(averaged_run):
    """The training weights step by step are those of a run without averaging: the average is
    swapped in for validation by copying, not by Keras's add-and-subtract swap."""
    with_average = averaged_run[1]
    _, without, _, _, _ = train(averaging=False)
    for a_step, b_step in zip(with_average, without):
        for a, b in zip(a_step, b_step):
            np.testing.assert_array_equal(a, b)


def test_holding_weights_puts_them_back():
    model = small_classifier()
    before = [v.numpy() for v in model.trainable_variables]
    zeros = [np.zeros_like(w) for w in before]
    with holding_weights(model, zeros):
        assert all(not np.any(v.numpy()) for v in model.trainable_variables)
    for got, want in zip(model.trainable_variables, before):
        np.testing.assert_array_equal(got.numpy(), want)
    with pytest.raises(ValueError, match="arrays for"):
        with holding_weights(model, zeros[:-1]):
            pass


def test_averaged_weights_refuses_an_optimizer_without_an_average():
    model = small_classifier()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False)
    callback = AveragedWeights()
    callback.set_model(model)
    with pytest.raises(ValueError, match="use_ema=True"):
        callback.on_test_begin()
