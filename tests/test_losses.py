import numpy as np

import pytest
import tensorflow as tf

from ram_keras.layers import LocationSampler
from ram_keras.losses import (
    baseline_loss,
    categorical_entropy,
    classification_reward,
    cross_entropy_loss,
    leave_one_out_baseline,
    log_probability_reward,
    reinforce_loss,
)


def test_cross_entropy_matches_numpy():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(6, 10)).astype(np.float32) * 3
    labels = rng.integers(0, 10, 6)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    want = -log_softmax[np.arange(6), labels].mean()
    np.testing.assert_allclose(cross_entropy_loss(labels, logits).numpy(), want, rtol=1e-5)


def test_reward_is_one_for_correct_final_prediction():
    logits = np.array([[0.1, 2.0, 0.0], [3.0, 0.0, 1.0], [0.0, 0.0, 5.0]], np.float32)
    labels = np.array([1, 2, 2])
    np.testing.assert_array_equal(classification_reward(labels, logits).numpy(), [1.0, 0.0, 1.0])


def test_log_probability_reward_is_the_true_class_log_softmax():
    logits = np.array([[0.1, 2.0, 0.0], [3.0, 0.0, 1.0], [0.0, 0.0, 5.0]], np.float32)
    labels = np.array([1, 2, 2])
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(log_probability_reward(labels, logits).numpy(),
                               log_softmax[np.arange(3), labels], rtol=1e-6)
    # A constant of the loss: no gradient reaches the logits through it.
    variable = tf.Variable(logits)
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(log_probability_reward(labels, variable))
    assert tape.gradient(total, variable) is None


def test_reinforce_loss_matches_numpy():
    rng = np.random.default_rng(1)
    log_probs = rng.normal(size=(5, 4)).astype(np.float32)
    rewards = rng.integers(0, 2, 5).astype(np.float32)
    baselines = rng.random((5, 4)).astype(np.float32)
    want = np.mean(np.sum(-log_probs * (rewards[:, None] - baselines), axis=1))
    np.testing.assert_allclose(
        reinforce_loss(log_probs, rewards, baselines).numpy(), want, rtol=1e-5
    )


def test_baseline_loss_matches_numpy():
    rng = np.random.default_rng(2)
    rewards = rng.integers(0, 2, 5).astype(np.float32)
    baselines = rng.random((5, 4)).astype(np.float32)
    want = np.mean((rewards[:, None] - baselines) ** 2)
    np.testing.assert_allclose(baseline_loss(rewards, baselines).numpy(), want, rtol=1e-5)


def test_leave_one_out_baseline_is_the_mean_of_the_other_paths():
    rewards = np.array([1, 0, 1, 1, 0, 0, 0, 1], np.float32)  # two inputs x 4 paths
    got = leave_one_out_baseline(rewards, 4).numpy()
    want = [[2 / 3], [1], [2 / 3], [2 / 3], [1 / 3], [1 / 3], [1 / 3], [0]]
    np.testing.assert_allclose(got, want, rtol=1e-6)
    # As a REINFORCE baseline it broadcasts over time.
    log_probs = np.random.default_rng(3).normal(size=(8, 5)).astype(np.float32)
    np.testing.assert_allclose(
        reinforce_loss(log_probs, rewards, got).numpy(),
        np.mean(np.sum(-log_probs * (rewards[:, None] - np.asarray(want)), axis=1)), rtol=1e-5)
    with pytest.raises(ValueError):
        leave_one_out_baseline(rewards, 1)


def test_categorical_entropy_matches_numpy():
    p = np.random.default_rng(4).dirichlet(np.ones(3), (4, 6)).astype(np.float32)
    p[0, 0] = [1, 0, 0]
    want = -np.sum(p * np.log(np.where(p > 0, p, 1)), axis=-1)
    np.testing.assert_allclose(categorical_entropy(p).numpy(), want, rtol=1e-5, atol=1e-6)


def test_reinforce_gradient_of_the_policy_is_the_score_function_formula():
    """d/dW of mean_n sum_t -log pi(l_t | h_t) (R_n - b_nt) for the tanh-mean Gaussian policy:
    -1/N sum_{n,t} (R - b) h_t^T [(l - mu) / std^2 * (1 - mu^2)]."""
    rng = np.random.default_rng(5)
    n, steps, units, std = 6, 3, 5, 0.3
    states = rng.normal(size=(n, steps, units)).astype(np.float32)
    rewards = rng.integers(0, 2, n).astype(np.float32)
    baselines = rng.random((n, steps)).astype(np.float32)
    sampler = LocationSampler(std=std, seed=2)
    sampler.build((None, units))
    with tf.GradientTape() as tape:
        outputs = [sampler(states[:, t]) for t in range(steps)]
        log_probs = tf.stack([o[2] for o in outputs], axis=1)
        loss = reinforce_loss(log_probs, rewards, baselines)
    kernel_gradient, bias_gradient = (g.numpy() for g in tape.gradient(
        loss, sampler.mean_dense.trainable_weights))
    samples = np.stack([o[0].numpy() for o in outputs], axis=1)
    means = np.stack([o[1].numpy() for o in outputs], axis=1)
    # d log pi / d pre-activation, per step and coordinate:
    score = (samples - means) / std**2 * (1 - means**2)
    weights = -(rewards[:, None] - baselines)[..., None] * score / n  # (n, T, 2)
    np.testing.assert_allclose(kernel_gradient, np.einsum("ntu,ntd->ud", states, weights),
                               rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(bias_gradient, weights.sum(axis=(0, 1)), rtol=1e-4, atol=1e-6)


def test_sample_weights_give_the_weighted_batch_mean_of_every_term():
    """Keras's reduction of weighted losses: `mean_n w_n loss_n` (the batch size divides,
    not the sum of the weights), checked against numpy for every term."""
    rng = np.random.default_rng(6)
    n, steps = 5, 4
    weights = np.array([0.0, 2.0, 0.5, 1.0, 3.0], np.float32)
    logits = rng.normal(size=(n, 10)).astype(np.float32)
    labels = rng.integers(0, 10, n)
    log_probs = rng.normal(size=(n, steps)).astype(np.float32)
    rewards = rng.integers(0, 2, n).astype(np.float32)
    baselines = rng.random((n, steps)).astype(np.float32)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(
        cross_entropy_loss(labels, logits, weights).numpy(),
        np.mean(weights * -log_softmax[np.arange(n), labels]), rtol=1e-5)
    np.testing.assert_allclose(
        reinforce_loss(log_probs, rewards, baselines, weights).numpy(),
        np.mean(weights * np.sum(-log_probs * (rewards[:, None] - baselines), axis=1)),
        rtol=1e-5)
    np.testing.assert_allclose(
        baseline_loss(rewards, baselines, weights).numpy(),
        np.mean(weights * np.mean((rewards[:, None] - baselines) ** 2, axis=1)), rtol=1e-5)
