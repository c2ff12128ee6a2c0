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


def test_sample_carries_no_gradient_and_its_log_prob_trains_the_policy():
    sampler = LocationSampler(std=0.1, seed=0)
    states = tf.constant(np.random.default_rng(2).normal(size=(4, 8)).astype(np.float32))
    with tf.GradientTape(persistent=True) as tape:
        sample, mean, log_prob = sampler(states)
        total_sample = tf.reduce_sum(sample)
        total_log_prob = tf.reduce_sum(log_prob)
    assert tape.gradient(total_sample, sampler.trainable_weights)[0] is None
    assert all(g is not None for g in tape.gradient(total_log_prob, sampler.trainable_weights))


def test_same_seed_same_samples():
    states = np.ones((4, 8), np.float32)
    a = LocationSampler(std=0.1, seed=7)
    b = LocationSampler(std=0.1, seed=7)
    b.build(states.shape)
    a.build(states.shape)
    b.mean_dense.set_weights(a.mean_dense.get_weights())
    np.testing.assert_array_equal(a(states)[0].numpy(), b(states)[0].numpy())


def test_linear_mean_is_not_squashed():
    sampler = LocationSampler(std=0.1, mean_activation="linear", seed=0)
    states = np.random.default_rng(4).normal(size=(50, 8)).astype(np.float32) * 5
    _, mean, _ = sampler(states, deterministic=True)
    kernel, bias = (w.numpy() for w in sampler.mean_dense.weights)
    np.testing.assert_allclose(mean.numpy(), states @ kernel + bias, rtol=1e-5, atol=1e-5)
    assert np.abs(mean.numpy()).max() > 1.0


def test_learned_std_starts_at_std_and_reinforce_trains_it():
    sampler = LocationSampler(std=0.2, learn_std=True, seed=0)
    states = tf.constant(np.random.default_rng(5).normal(size=(64, 8)).astype(np.float32))
    with tf.GradientTape() as tape:
        sample, mean, log_prob = sampler(states)
        total = tf.reduce_sum(log_prob)
    np.testing.assert_allclose(sampler.log_std.numpy(), np.log([0.2, 0.2]), rtol=1e-6)
    noise = (sample.numpy() - mean.numpy()) / 0.2
    # d/d log_std of sum_n log N(x; mu, std) = sum_n (z^2 - 1), per coordinate.
    gradient = tape.gradient(total, sampler.log_std).numpy()
    np.testing.assert_allclose(gradient, np.sum(noise**2 - 1, axis=0), rtol=1e-3, atol=1e-3)


def test_state_gradient_lets_reinforce_reach_the_state():
    states = tf.constant(np.random.default_rng(6).normal(size=(4, 8)).astype(np.float32))
    for state_gradient in (False, True):
        sampler = LocationSampler(std=0.1, state_gradient=state_gradient, seed=0)
        with tf.GradientTape() as tape:
            tape.watch(states)
            total = tf.reduce_sum(sampler(states)[2])
        assert (tape.gradient(total, states) is not None) == state_gradient


def test_replicas_draw_their_own_reproducible_samples(two_cpus):
    """Under MirroredStrategy on two CPUs each replica draws its own noise, and a
    second sampler with the same seed draws the same noise again."""
    strategy = two_cpus

    def draws(seed):
        with strategy.scope():
            sampler = LocationSampler(std=1.0, seed=seed)
            sampler.build((None, 4))
        states = np.zeros((1, 4), np.float32)

        def draw():
            sample, mean, _ = sampler(states)
            return sample - mean

        per_replica = strategy.run(tf.function(draw))
        return [t.numpy() for t in strategy.experimental_local_results(per_replica)]

    first, again, other = draws(11), draws(11), draws(12)
    assert len(first) == 2 and not np.allclose(first[0], first[1])
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(first[0], other[0])
    # Replica 0 draws what a sampler draws without a strategy.
    alone = LocationSampler(std=1.0, seed=11)
    sample, mean, _ = alone(np.zeros((1, 4), np.float32))
    np.testing.assert_allclose((sample - mean).numpy(), first[0], rtol=1e-6)


def test_clipped_mean_stays_in_the_image_and_passes_no_gradient_beyond_it():
    """tfRAM's mean: `clip(W h + b, -1, 1)`; the sample around it is not clipped here."""
    sampler = LocationSampler(std=0.1, mean_activation="clip", seed=0)
    states = tf.constant(np.random.default_rng(4).normal(size=(50, 8)).astype(np.float32) * 5)
    with tf.GradientTape() as tape:
        sample, mean, log_prob = sampler(states)
        reinforce = -tf.reduce_sum(log_prob)
    kernel, bias = (w.numpy() for w in sampler.mean_dense.weights)
    linear = states.numpy() @ kernel + bias
    np.testing.assert_allclose(mean.numpy(), np.clip(linear, -1, 1), rtol=1e-5, atol=1e-5)
    assert np.abs(linear).max() > 1.0 and np.abs(sample.numpy()).max() > 1.0
    # d(-log p)/d mean = -(x - mean) / std^2 where the mean is inside, 0 where clipped.
    inside = (np.abs(linear) < 1.0).astype(np.float32)
    want_bias = np.sum(-(sample.numpy() - mean.numpy()) / 0.01 * inside, axis=0)
    (got_bias,) = tape.gradient(reinforce, [sampler.mean_dense.bias])
    np.testing.assert_allclose(got_bias.numpy(), want_bias, rtol=1e-3, atol=1e-2)


def test_config_roundtrip():
    assert_config_roundtrip(LocationSampler(std=0.12, mean_activation="linear", learn_std=True,
                                            state_gradient=True, seed=3))
    assert_config_roundtrip(LocationSampler(mean_activation="clip", init_std=0.01))


@pytest.mark.parametrize("kwargs", [{"std": 0}, {"std": -0.1}, {"std": "a"}, {"std": None},
                                    {"mean_activation": "relu"}, {"location_dims": 0}])
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        LocationSampler(**kwargs)


def test_the_deterministic_location_carries_no_gradient():
    """A loss of a deterministic rollout (the cross-entropy of validation, of a greedy
    training) reads the location as a constant: it cannot move the policy."""
    sampler = LocationSampler(std=0.1, seed=0)
    states = tf.constant(np.random.default_rng(7).normal(size=(4, 8)).astype(np.float32))
    with tf.GradientTape() as tape:
        sample, mean, _ = sampler(states, deterministic=True)
        total = tf.reduce_sum(sample)
    np.testing.assert_array_equal(sample.numpy(), mean.numpy())
    assert all(g is None for g in tape.gradient(total, sampler.trainable_weights))
