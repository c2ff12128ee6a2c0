import math

import numpy as np
import pytest
import tensorflow as tf

from helpers import assert_config_roundtrip
from ram_keras import LocationSampler, gaussian_log_prob


def test_log_prob_matches_gaussian_formula():
    rng = np.random.default_rng(0)
    sample = rng.normal(size=(5, 2)).astype(np.float32)
    mean = rng.normal(size=(5, 2)).astype(np.float32)
    std = 0.17
    want = np.sum(
        -((sample - mean) ** 2) / (2 * std**2) - np.log(std) - 0.5 * np.log(2 * np.pi), axis=-1
    )
    np.testing.assert_allclose(gaussian_log_prob(sample, mean, std).numpy(), want, rtol=1e-5)


def test_sampler_returns_log_prob_of_the_exact_unclipped_sample():
    sampler = LocationSampler(std=0.5, seed=1)
    states = np.random.default_rng(1).normal(size=(2000, 16)).astype(np.float32) * 3
    sample, mean, log_prob = (t.numpy() for t in sampler(states))
    # mean = tanh(W h + b)
    kernel, bias = (w.numpy() for w in sampler.mean_dense.weights)
    np.testing.assert_allclose(mean, np.tanh(states @ kernel + bias), rtol=1e-5, atol=1e-6)
    want = np.sum(
        -((sample - mean) ** 2) / (2 * 0.25) - math.log(0.5) - 0.5 * math.log(2 * math.pi), axis=-1
    )
    np.testing.assert_allclose(log_prob, want, rtol=1e-4, atol=1e-4)
    # With std 0.5 and |mean| <= 1 many samples fall outside [-1, 1]: not clipped here.
    assert np.abs(sample).max() > 1.0
    noise = (sample - mean) / 0.5
    assert abs(noise.mean()) < 0.05 and abs(noise.std() - 1.0) < 0.05


def test_deterministic_returns_the_mean():
    sampler = LocationSampler(std=0.2, seed=0)
    states = np.ones((3, 8), np.float32)
    sample, mean, _ = sampler(states, deterministic=True)
    np.testing.assert_array_equal(sample.numpy(), mean.numpy())


def test_sample_carries_no_gradient_and_state_is_stopped():
    sampler = LocationSampler(std=0.1, seed=0)
    states = tf.constant(np.random.default_rng(2).normal(size=(4, 8)).astype(np.float32))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(states)
        sample, mean, log_prob = sampler(states)
        total_sample = tf.reduce_sum(sample)
        total_log_prob = tf.reduce_sum(log_prob)
    assert tape.gradient(total_sample, sampler.trainable_weights)[0] is None
    assert all(g is not None for g in tape.gradient(total_log_prob, sampler.trainable_weights))
    assert tape.gradient(total_log_prob, states) is None


def test_same_seed_same_samples():
    states = np.ones((4, 8), np.float32)
    a = LocationSampler(std=0.1, seed=7)
    b = LocationSampler(std=0.1, seed=7)
    b.build(states.shape)
    a.build(states.shape)
    b.mean_dense.set_weights(a.mean_dense.get_weights())
    np.testing.assert_array_equal(a(states)[0].numpy(), b(states)[0].numpy())


def test_config_roundtrip():
    assert_config_roundtrip(LocationSampler(std=0.12, seed=3))


@pytest.mark.parametrize("std", [0, -0.1, "a", None])
def test_bad_std_raises(std):
    with pytest.raises(ValueError):
        LocationSampler(std=std)
