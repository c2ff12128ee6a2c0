import keras
import numpy as np
import pytest

from ram_keras.training.optimizers import StaircaseDecay, learning_rate_schedule, make_optimizer


def rates(schedule, steps):
    return np.array([float(schedule(step)) for step in steps])


def test_cosine_decays_to_the_final_fraction():
    schedule = learning_rate_schedule({"learning_rate": 1e-3, "final_learning_rate_fraction": 0.1},
                                      total_steps=100, steps_per_epoch=10)
    got = rates(schedule, [0, 50, 100, 200])
    want = [1e-3, 1e-4 + 0.9e-3 * 0.5, 1e-4, 1e-4]
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_staircase_steps_down_every_half_epoch_to_its_floor():
    config = {"learning_rate": 1e-3, "learning_rate_schedule": "staircase",
              "staircase_decay_rate": 0.5, "final_learning_rate_fraction": 0.1}
    schedule = learning_rate_schedule(config, total_steps=1000, steps_per_epoch=20)
    assert isinstance(schedule, StaircaseDecay) and schedule.decay_steps == 10
    np.testing.assert_allclose(rates(schedule, [0, 9, 10, 25, 30, 100]),
                               [1e-3, 1e-3, 5e-4, 2.5e-4, 1.25e-4, 1e-4], rtol=1e-5)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert restored.get_config() == schedule.get_config()
    with pytest.raises(ValueError):
        StaircaseDecay(1e-3, 0, 0.5)


def test_constant_schedule_and_global_clipping():
    optimizer = make_optimizer({"learning_rate": 2e-3, "learning_rate_schedule": "constant",
                                "gradient_clip_norm": 5.0}, 100, 10)
    assert float(optimizer.learning_rate) == pytest.approx(2e-3)
    assert optimizer.global_clipnorm == 5.0
    variable = keras.Variable(np.zeros(2, np.float32))
    optimizer = make_optimizer({"learning_rate": 1.0, "learning_rate_schedule": "constant",
                                "gradient_clip_norm": 1.0}, 100, 10)
    optimizer.apply([np.array([30.0, 40.0], np.float32)], [variable])
    # Adam's first step moves each weight by the learning rate, whatever the scale;
    # clipping keeps the direction: both move.
    assert np.all(np.abs(variable.numpy()) > 0.5)
