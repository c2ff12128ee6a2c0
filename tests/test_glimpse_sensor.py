import numpy as np
import pytest
import tensorflow as tf

from helpers import assert_config_roundtrip
from ram_keras import GlimpseSensor


def reference_retina(images, locations, glimpse_size, num_scales, scale, reduce=np.mean):
    """Loop-by-loop numpy retina: crop with zero fill, then average (or sum) blocks."""
    n, height, width, channels = images.shape
    out = np.zeros((n, num_scales, glimpse_size, glimpse_size, channels), np.float64)
    for b in range(n):
        centre_row = (locations[b, 0] + 1.0) / 2.0 * height
        centre_col = (locations[b, 1] + 1.0) / 2.0 * width
        for k in range(num_scales):
            w = glimpse_size * scale**k
            f = scale**k
            top = int(np.round(centre_row - w / 2.0))
            left = int(np.round(centre_col - w / 2.0))
            patch = np.zeros((w, w, channels))
            for i in range(w):
                for j in range(w):
                    r, c = top + i, left + j
                    if 0 <= r < height and 0 <= c < width:
                        patch[i, j] = images[b, r, c]
            out[b, k] = reduce(patch.reshape(glimpse_size, f, glimpse_size, f, channels),
                               axis=(1, 3))
    return out


def test_centre_glimpse_is_the_central_block():
    image = np.arange(28 * 28, dtype=np.float32).reshape(1, 28, 28, 1)
    sensor = GlimpseSensor(glimpse_size=8, num_scales=1)
    patches = sensor([image, np.zeros((1, 2), np.float32)]).numpy()
    # centre (14, 14) -> rows and columns 10..17
    np.testing.assert_array_equal(patches[0, 0, :, :, 0], image[0, 10:18, 10:18, 0])


def test_corners_half_outside_the_image():
    image = np.random.default_rng(0).random((1, 28, 28, 1)).astype(np.float32)
    sensor = GlimpseSensor(glimpse_size=8, num_scales=1)
    top_left = sensor([image, np.array([[-1.0, -1.0]], np.float32)]).numpy()[0, 0, :, :, 0]
    np.testing.assert_allclose(top_left[4:, 4:], image[0, :4, :4, 0])
    assert np.all(top_left[:4, :] == 0) and np.all(top_left[:, :4] == 0)
    bottom_right = sensor([image, np.array([[1.0, 1.0]], np.float32)]).numpy()[0, 0, :, :, 0]
    np.testing.assert_allclose(bottom_right[:4, :4], image[0, 24:, 24:, 0])
    assert np.all(bottom_right[4:, :] == 0) and np.all(bottom_right[:, 4:] == 0)


def test_every_pixel_can_be_a_glimpse_centre():
    # A single bright pixel anywhere is seen by a glimpse centred on it.
    sensor = GlimpseSensor(glimpse_size=2, num_scales=1)
    for r, c in [(0, 0), (0, 27), (27, 0), (27, 27), (13, 5)]:
        image = np.zeros((1, 28, 28, 1), np.float32)
        image[0, r, c, 0] = 1.0
        # Location of the pixel's centre: centre = (l + 1) / 2 * 28 = r + 0.5
        location = np.array([[(r + 0.5) / 14.0 - 1.0, (c + 0.5) / 14.0 - 1.0]], np.float32)
        patch = sensor([image, location]).numpy()
        assert patch.sum() == 1.0


@pytest.mark.parametrize(
    "size,glimpse_size,num_scales,scale,channels",
    [(28, 8, 1, 2, 1), (60, 12, 3, 2, 1), (100, 12, 4, 2, 1), (24, 6, 3, 2, 2), (30, 5, 2, 3, 1),
     (20, 4, 3, 2, 3)],  # the last: RGB
)
def test_matches_numpy_reference(size, glimpse_size, num_scales, scale, channels):
    rng = np.random.default_rng(size + num_scales)
    images = rng.random((6, size, size, channels)).astype(np.float32)
    locations = np.concatenate(
        [
            np.array([[-1, -1], [1, 1], [-1, 1], [0, 0]], np.float32),
            rng.uniform(-1, 1, (2, 2)).astype(np.float32),
        ]
    )
    sensor = GlimpseSensor(glimpse_size, num_scales, scale)
    got = sensor([images, locations]).numpy()
    want = reference_retina(images, locations, glimpse_size, num_scales, scale)
    assert got.shape == (6, num_scales, glimpse_size, glimpse_size, channels)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_sum_reduction_counts_the_pixels_of_each_block():
    rng = np.random.default_rng(3)
    images = (rng.random((5, 24, 24, 1)) < 0.1).astype(np.float32)
    locations = rng.uniform(-1, 1, (5, 2)).astype(np.float32)
    got = GlimpseSensor(6, 3, 2, reduction="sum")([images, locations]).numpy()
    np.testing.assert_allclose(got, reference_retina(images, locations, 6, 3, 2, np.sum),
                               atol=1e-5)
    # The finest scale's blocks are single pixels: sum and mean agree there.
    means = GlimpseSensor(6, 3, 2)([images, locations]).numpy()
    np.testing.assert_array_equal(got[:, 0], means[:, 0])


def test_compiles_under_xla_with_same_values():
    rng = np.random.default_rng(1)
    images = rng.random((4, 60, 60, 1)).astype(np.float32)
    locations = rng.uniform(-1, 1, (4, 2)).astype(np.float32)
    sensor = GlimpseSensor(12, 3, 2)
    compiled = tf.function(lambda x, l: sensor([x, l]), jit_compile=True)
    np.testing.assert_allclose(
        compiled(images, locations).numpy(),
        reference_retina(images, locations, 12, 3, 2),
        rtol=1e-5,
        atol=1e-6,
    )


def test_config_roundtrip():
    sensor = assert_config_roundtrip(GlimpseSensor(glimpse_size=12, num_scales=3, scale=2,
                                                   reduction="sum"))
    assert sensor.patch_widths == [12, 24, 48] and sensor.reduction == "sum"


@pytest.mark.parametrize(
    "kwargs", [{"glimpse_size": 0}, {"num_scales": -1}, {"scale": 1, "num_scales": 2},
               {"glimpse_size": 2.5}, {"reduction": "max"}]
)
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        GlimpseSensor(**kwargs)
