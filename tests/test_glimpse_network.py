import numpy as np
import pytest

from helpers import assert_config_roundtrip
from ram_keras import GlimpseNetwork


def relu(x):
    return np.maximum(x, 0)


@pytest.mark.parametrize("channels", [1, 3])
def test_matches_numpy(channels):
    rng = np.random.default_rng(0)
    patches = rng.random((3, 2, 4, 4, channels)).astype(np.float32)
    locations = rng.uniform(-1, 1, (3, 2)).astype(np.float32)
    net = GlimpseNetwork(what_units=5, where_units=3, output_units=7)
    got = net([patches, locations]).numpy()
    w_what, b_what = net.what_dense.get_weights()
    w_where, b_where = net.where_dense.get_weights()
    w_combine, b_combine = net.combine_dense.get_weights()
    assert w_what.shape == (2 * 4 * 4 * channels, 5)  # every channel of every patch
    h_what = relu(patches.reshape(3, -1) @ w_what + b_what)
    h_where = relu(locations @ w_where + b_where)
    # Linear(h_what) + Linear(h_where) as one matrix split in two.
    want = relu(h_what @ w_combine[:5] + h_where @ w_combine[5:] + b_combine)
    assert got.shape == (3, 7)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_config_roundtrip():
    assert_config_roundtrip(GlimpseNetwork(16, 8, 32))


def test_bad_units_raise():
    with pytest.raises(ValueError):
        GlimpseNetwork(what_units=0)
