import numpy as np
import pytest

from ram_keras.layers import make_core_cell


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_relu_core_is_a_keras_simple_rnn_cell_and_matches_numpy():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(4, 6)).astype(np.float32)
    h = rng.normal(size=(4, 5)).astype(np.float32)
    core = make_core_cell(units=5, core_type="relu")
    output, states = core(features, [h])
    kernel, recurrent, bias = core.get_weights()
    want = np.maximum(features @ kernel + h @ recurrent + bias, 0)
    np.testing.assert_allclose(output.numpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(states[0].numpy(), want, rtol=1e-5, atol=1e-6)


def test_lstm_core_matches_numpy_and_its_forget_gate_starts_open():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(4, 6)).astype(np.float32)
    h = rng.normal(size=(4, 5)).astype(np.float32)
    c = rng.normal(size=(4, 5)).astype(np.float32)
    core = make_core_cell(units=5, core_type="lstm")
    output, (new_h, new_c) = core(features, [h, c])
    kernel, recurrent, bias = core.get_weights()
    # Gates in Keras's order: input, forget, cell, output; the forget bias starts at 1.
    np.testing.assert_array_equal(bias, np.concatenate([np.zeros(5), np.ones(5), np.zeros(10)]))
    pre = features @ kernel + h @ recurrent + bias
    i, f, c_hat, o = np.split(pre, 4, axis=1)
    want_c = sigmoid(f) * c + sigmoid(i) * np.tanh(c_hat)
    want_h = sigmoid(o) * np.tanh(want_c)
    np.testing.assert_allclose(new_c.numpy(), want_c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_h.numpy(), want_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(output.numpy(), new_h.numpy())


def test_identity_init_carries_the_state_over():
    core = make_core_cell(units=5, core_type="relu", identity_init=True)
    state = np.abs(np.random.default_rng(2).normal(size=(3, 5))).astype(np.float32)
    # With no input the new state is ReLU(I h + 0) = h.
    output, _ = core(np.zeros((3, 4), np.float32), [state])
    np.testing.assert_allclose(output.numpy(), state, rtol=1e-6)
    kernel, recurrent, _ = core.get_weights()
    np.testing.assert_array_equal(recurrent, np.eye(5))
    assert np.abs(kernel).max() > 0


@pytest.mark.parametrize("kwargs", [{"units": 0}, {"units": True}, {"core_type": "gru"}])
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        make_core_cell(**kwargs)
