"""The final phase with a narrower location policy: it trains as if the std were set by hand."""

import keras
import numpy as np
import pytest

from helpers import run_main, small_classifier, write_tiny_config
from ram_keras.training.location_std import FinalLocationStd

STD, FINAL_STD = 0.2, 0.05


def data():
    rng = np.random.default_rng(1)
    return rng.random((32, 12, 12, 1)).astype(np.float32), rng.integers(0, 10, 32)


def fresh_model(run_eagerly=False):
    keras.utils.set_random_seed(0)
    model = small_classifier(location_std=STD)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=False,
                  run_eagerly=run_eagerly)
    return model


def test_the_last_epochs_train_as_with_the_std_set_by_hand():
    images, labels = data()
    fit = dict(batch_size=16, shuffle=False, verbose=0)
    by_callback = fresh_model()
    by_callback.fit(images, labels, epochs=2, callbacks=[FinalLocationStd(FINAL_STD, 1)], **fit)
    assert by_callback.location_sampler.std == FINAL_STD
    assert by_callback.get_config()["location_std"] == FINAL_STD

    # By hand, eagerly: each step reads the std as it is then (and no tracing to wait for).
    by_hand = fresh_model(run_eagerly=True)
    by_hand.fit(images, labels, epochs=1, **fit)
    by_hand.location_sampler.std = FINAL_STD
    by_hand.fit(images, labels, epochs=2, initial_epoch=1, **fit)

    for a, b in zip(by_callback.get_weights(), by_hand.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    # (That the std changes what training does is test_location_sampler's: samples scale
    # with it. Without the rebuilt step the callback's run would keep std 0.2 and differ.)


def test_a_policy_that_learns_its_std_is_refused():
    model = small_classifier(learn_std=True)
    callback = FinalLocationStd(FINAL_STD, 0)
    callback.set_model(model)
    with pytest.raises(ValueError, match="learn_std"):
        callback.on_epoch_begin(0)
    with pytest.raises(ValueError, match="> 0"):
        FinalLocationStd(0.0, 1)


def test_the_runner_refuses_a_final_std_without_its_epochs(tmp_path):
    config = write_tiny_config(tmp_path, epochs=2)
    result = run_main(config, "--limit", "320", "--out", str(tmp_path / "bad"),
                      "--final-location-std", "0.05")
    assert result.code == 1 and "final_location_std_epochs" in result.stderr
