"""The glimpse step: policy -> retina -> glimpse network -> core, as one layer."""

import numpy as np
import pytest
import tensorflow as tf

from helpers import assert_config_roundtrip
from ram_keras.layers import GlimpseStep

SMALL = dict(glimpse_size=4, num_scales=2, what_units=8, where_units=8, glimpse_units=16,
             core_units=16, location_std=0.3, seed=0)


def step_layer(**kwargs):
    layer = GlimpseStep(**dict(SMALL, **kwargs))
    layer.build((None, 12, 12, 1))
    return layer


def test_step_chains_policy_retina_glimpse_network_and_core():
    layer = step_layer(core_type="lstm")
    rng = np.random.default_rng(0)
    images = rng.random((5, 12, 12, 1)).astype(np.float32)
    states = [rng.normal(size=(5, 16)).astype(np.float32) for _ in range(2)]
    new_states, glimpse = layer([images, states])
    # The same composition, by hand, from the glimpse's own location.
    location = np.clip(glimpse["sample"].numpy(), -1, 1)
    np.testing.assert_array_equal(glimpse["location"].numpy(), location)
    _, mean, _ = layer.location_sampler(states[0], deterministic=True)
    np.testing.assert_allclose(glimpse["mean"].numpy(), mean.numpy(), rtol=1e-6)
    patches = layer.glimpse_sensor([images, location])
    np.testing.assert_allclose(glimpse["patches"].numpy(), patches.numpy())
    features = layer.glimpse_network([patches, location])
    _, want = layer.core(features, states)
    for got, expected in zip(new_states, want):
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)
    assert glimpse["log_prob"].shape == (5,) and len(new_states) == 2


def test_initial_state_is_zeros_of_the_core():
    assert [s.shape for s in step_layer().initial_state(3)] == [(3, 16)]
    states = step_layer(core_type="lstm").initial_state(3)
    assert len(states) == 2 and all(np.all(s.numpy() == 0) for s in states)


@pytest.mark.parametrize("first_location", ["random", "centre"])
def test_first_location_random_or_centre(first_location):
    layer = step_layer(first_location=first_location)
    images = np.zeros((500, 12, 12, 1), np.float32)
    states = layer.initial_state(500)
    _, first = layer([images, states], first=True)
    _, later = layer([images, states], first=False)
    locations = first["location"].numpy()
    if first_location == "random":
        assert locations.min() >= -1 and locations.max() <= 1 and locations.std() > 0.5
    else:
        assert np.all(locations == 0)
    assert np.all(first["log_prob"].numpy() == 0)
    assert np.all(later["log_prob"].numpy() != 0)  # later glimpses: the policy
    # Deterministic: a random first location is its mean, the centre.
    _, deterministic = layer([images, states], first=True, deterministic=True)
    assert np.all(deterministic["location"].numpy() == 0)


def test_random_policy_ablation_and_centre_policy():
    images = np.zeros((200, 12, 12, 1), np.float32)
    random_layer = step_layer(location_policy="random")
    _, glimpse = random_layer([images, random_layer.initial_state(200)], deterministic=True)
    assert glimpse["location"].numpy().std() > 0.4 and np.all(glimpse["log_prob"].numpy() == 0)
    centre_layer = step_layer(location_policy="centre")
    _, glimpse = centre_layer([images, centre_layer.initial_state(200)])
    assert np.all(glimpse["location"].numpy() == 0)


def test_config_roundtrip():
    rebuilt = assert_config_roundtrip(GlimpseStep(**dict(
        SMALL, core_type="lstm", mean_activation="linear", learn_std=True,
        first_location="random", retina_reduction="sum")))
    assert rebuilt.glimpse_sensor.reduction == "sum" and rebuilt.core_type == "lstm"


@pytest.mark.parametrize("kwargs", [{"location_policy": "everywhere"},
                                    {"first_location": "last"}, {"core_type": "gru"}])
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        GlimpseStep(**kwargs)
