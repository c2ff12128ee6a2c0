import numpy as np
import pytest
import tensorflow as tf

from helpers import assert_config_roundtrip
from ram_keras import ActionHead, BaselineHead


def test_action_head_is_linear():
    states = np.random.default_rng(0).normal(size=(3, 8)).astype(np.float32)
    head = ActionHead(num_actions=4)
    logits = head(states).numpy()
    kernel, bias = head.logits_dense.get_weights()
    np.testing.assert_allclose(logits, states @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_baseline_head_is_linear_and_stops_gradient_to_state():
    states = tf.constant(np.random.default_rng(1).normal(size=(3, 8)).astype(np.float32))
    head = BaselineHead()
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(states)
        values = head(states)
        total = tf.reduce_sum(values)
    kernel, bias = head.value_dense.get_weights()
    np.testing.assert_allclose(values.numpy(), (states.numpy() @ kernel + bias)[:, 0], rtol=1e-5)
    assert tape.gradient(total, states) is None
    assert all(g is not None for g in tape.gradient(total, head.trainable_weights))


def test_baseline_head_with_state_gradient_lets_its_error_reach_the_state():
    states = tf.constant(np.random.default_rng(2).normal(size=(3, 8)).astype(np.float32))
    head = BaselineHead(state_gradient=True)
    with tf.GradientTape() as tape:
        tape.watch(states)
        total = tf.reduce_sum(head(states))
    gradient = tape.gradient(total, states).numpy()
    kernel = head.value_dense.get_weights()[0]
    np.testing.assert_allclose(gradient, np.broadcast_to(kernel[:, 0], (3, 8)), rtol=1e-6)


def test_config_roundtrip():
    assert_config_roundtrip(ActionHead(7))
    assert_config_roundtrip(BaselineHead(state_gradient=True))


@pytest.mark.parametrize("count", [1, 0, 2.5, True])
def test_bad_action_counts_raise(count):
    with pytest.raises(ValueError):
        ActionHead(num_actions=count)
