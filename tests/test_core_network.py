import keras
import numpy as np
import pytest

from helpers import assert_config_roundtrip
from ram_keras import CoreNetwork


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_relu_core_matches_numpy():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(4, 6)).astype(np.float32)
    state = rng.normal(size=(4, 5)).astype(np.float32)
    core = CoreNetwork(units=5, core_type="relu")
    got = core([features, state]).numpy()
    kernel, bias = core.step_dense.get_weights()
    want = np.maximum(features @ kernel[:6] + state @ kernel[6:] + bias, 0)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_lstm_core_matches_numpy():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(4, 6)).astype(np.float32)
    h = rng.normal(size=(4, 5)).astype(np.float32)
    c = rng.normal(size=(4, 5)).astype(np.float32)
    core = CoreNetwork(units=5, core_type="lstm")
    new_h, new_c = (t.numpy() for t in core([features, (h, c)]))
    kernel, bias = core.step_dense.get_weights()
    pre = np.concatenate([features, h], axis=1) @ kernel + bias
    i, f, c_hat, o = np.split(pre, 4, axis=1)
    want_c = sigmoid(f) * c + sigmoid(i) * np.tanh(c_hat)
    want_h = sigmoid(o) * np.tanh(want_c)
    np.testing.assert_allclose(new_c, want_c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_h, want_h, rtol=1e-5, atol=1e-6)
    assert core.output_of((new_h, new_c)) is not None


def test_initial_state_is_zero():
    assert np.all(CoreNetwork(3).initial_state(2).numpy() == 0)
    h, c = CoreNetwork(3, "lstm").initial_state(2)
    assert h.shape == (2, 3) and c.shape == (2, 3)


def test_config_roundtrip():
    assert_config_roundtrip(CoreNetwork(32, "lstm"))


@pytest.mark.parametrize("kwargs", [{"units": 0}, {"core_type": "gru"}])
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        CoreNetwork(**kwargs)


def test_identity_init_carries_the_state_over():
    core = CoreNetwork(units=5, core_type="relu", identity_init=True)
    state = np.abs(np.random.default_rng(2).normal(size=(3, 5))).astype(np.float32)
    # With no input the new state is ReLU(I h + 0) = h.
    out = core([np.zeros((3, 4), np.float32), state]).numpy()
    np.testing.assert_allclose(out, state, rtol=1e-6)
    kernel = core.step_dense.get_weights()[0]
    np.testing.assert_array_equal(kernel[4:], np.eye(5))
    assert np.abs(kernel[:4]).max() > 0


def test_identity_initializer_is_serializable():
    from ram_keras.core_network import IdentityBelowGlorotInitializer

    initializer = IdentityBelowGlorotInitializer(seed=3)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(initializer))
    np.testing.assert_array_equal(
        np.asarray(restored((6, 4))), np.asarray(initializer((6, 4)))
    )
    with pytest.raises(ValueError):
        initializer((4, 4))
