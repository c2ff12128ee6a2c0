import numpy as np

from ram_keras import geometry


def test_centres_follow_the_documented_formula():
    locations = np.array([[-1, -1], [1, 1], [0, 0], [0.5, -0.25]], np.float32)
    centres = np.asarray(geometry.glimpse_centres(locations, (28, 60)))
    np.testing.assert_allclose(centres, [[0, 0], [28, 60], [14, 30], [21, 22.5]])


def test_corners_round_half_to_even_like_numpy():
    rng = np.random.default_rng(0)
    locations = rng.uniform(-1, 1, (200, 2)).astype(np.float32)
    # Locations that put a corner exactly on a half pixel: 7.5 and 8.5.
    locations[:2] = [[7.5 / 14 - 1 + 4 / 14, 0], [8.5 / 14 - 1 + 4 / 14, 0]]
    widths = geometry.patch_widths(8, 3, 2)
    assert widths == [8, 16, 32]
    corners = np.asarray(geometry.patch_corners(locations, (28, 28, 1), widths))
    centres = (locations.astype(np.float32) + np.float32(1)) / np.float32(2) * np.float32(28)
    want = np.round(centres[:, None, :] - np.asarray(widths, np.float32)[:, None] / 2)
    assert corners.shape == (200, 3, 2)
    np.testing.assert_array_equal(corners, want)
    np.testing.assert_array_equal(corners[:2, 0, 0], [8, 8])  # 7.5 -> 8, 8.5 -> 8
