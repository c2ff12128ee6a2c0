"""Small initial weights for the dense layers outside the core (`init_std`, tfRAM's start)."""

import numpy as np
import pytest

from helpers import assert_config_roundtrip, small_classifier
from ram_keras import ActionHead, BaselineHead, GlimpseNetwork, LocationSampler
from ram_keras.layers.initializers import check_init_std, dense_kernel_initializer


def assert_truncated_normal(kernel, std):
    """A truncated normal at 2 std: every value within 2 std, the spread about 0.88 std."""
    values = np.asarray(kernel).ravel()
    assert np.abs(values).max() <= 2 * std + 1e-7
    assert 0.8 * std < values.std() < 0.95 * std and abs(values.mean()) < 0.1 * std


def test_every_dense_layer_outside_the_core_starts_small():
    network = GlimpseNetwork(64, 64, 128, init_std=0.01)
    network.build([(None, 1, 8, 8, 1), (None, 2)])
    sampler = LocationSampler(init_std=0.01)
    sampler.build((None, 256))
    heads = [ActionHead(10, init_std=0.01), BaselineHead(init_std=0.01)]
    for head in heads:
        head.build((None, 256))
    kernels = [network.what_dense.kernel, network.where_dense.kernel,
               network.combine_dense.kernel, sampler.mean_dense.kernel,
               heads[0].logits_dense.kernel, heads[1].value_dense.kernel]
    for kernel in kernels[:3] + kernels[4:5]:
        assert_truncated_normal(kernel.numpy(), 0.01)
    for kernel in kernels[3:4] + kernels[5:]:  # 512 and 256 values: the bound only
        assert np.abs(kernel.numpy()).max() <= 0.02 + 1e-7
    # Keras's default (Glorot uniform) without it: the policy's kernel 256x2 is ~9x wider.
    default = LocationSampler()
    default.build((None, 256))
    assert default.mean_dense.kernel.numpy().std() > 0.07
    for layer in (network, sampler, *heads):
        assert layer.get_config()["init_std"] == 0.01
        assert_config_roundtrip(layer)


def test_the_model_passes_it_to_every_dense_layer_and_leaves_the_core_alone():
    model = small_classifier(init_std=0.01, core_units=64, glimpse_units=64)
    dense = [model.glimpse_network.combine_dense.kernel, model.action_head.logits_dense.kernel]
    for kernel in dense:
        assert_truncated_normal(kernel.numpy(), 0.01)
    core_kernel = model.glimpse_step.core.kernel.numpy()
    assert core_kernel.std() > 0.05
    assert model.get_config()["init_std"] == 0.01
    assert type(model).from_config(model.get_config()).glimpse_step.get_config()["init_std"] == \
        0.01
    assert small_classifier().get_config()["init_std"] is None


@pytest.mark.parametrize("value", [0, -0.1, "0.01", True, float("inf")])
def test_bad_values_raise(value):
    with pytest.raises(ValueError, match="init_std"):
        check_init_std("Layer", value)
    with pytest.raises(ValueError, match="init_std"):
        GlimpseNetwork(init_std=value)


def test_none_is_kerass_default():
    assert dense_kernel_initializer(None) == "glorot_uniform"
    assert check_init_std("Layer", 1) == 1.0 and check_init_std("Layer", None) is None
