import numpy as np
import pytest

from ram_keras.data import canvases as datasets
from ram_keras.data.pipelines import make_dataset


def test_shift_moves_digits_by_at_most_max_shift():
    image = np.zeros((1, 12, 12), np.uint8)
    image[0, 5, 6] = 255
    images = image.repeat(64, 0)
    dataset = make_dataset(images, np.zeros(64), batch_size=64, max_shift=2, seed=3)
    shifted = next(iter(dataset))[0].numpy()[..., 0]
    rows, cols = np.nonzero(shifted)[1:]
    assert shifted.sum() == pytest.approx(64.0)
    assert rows.min() >= 3 and rows.max() <= 7 and cols.min() >= 4 and cols.max() <= 8
    assert len(set(zip(rows, cols))) > 10


def test_shift_moves_every_channel_of_non_square_images_alike():
    """RGB 7x11 images: each shifted image is its original moved by one offset with zero
    fill (a numpy roll-and-blank), the same for all three channels."""
    rng = np.random.default_rng(1)
    images = rng.integers(1, 256, (32, 7, 11, 3)).astype(np.uint8)
    dataset = make_dataset(images, np.arange(32), batch_size=32, max_shift=2, seed=5)
    shifted, order = (t.numpy() for t in next(iter(dataset)))
    assert shifted.shape == (32, 7, 11, 3)
    offsets = set()
    for got, original in zip(shifted, images[order]):
        matches = []
        for dr in range(-2, 3):
            for dc in range(-2, 3):
                want = np.zeros((7, 11, 3))
                rows, cols = slice(max(dr, 0), 7 + min(dr, 0)), slice(max(dc, 0), 11 + min(dc, 0))
                src_r, src_c = slice(max(-dr, 0), 7 - max(dr, 0)), slice(max(-dc, 0), 11 - max(dc, 0))
                want[rows, cols] = original[src_r, src_c] / 255.0
                if np.allclose(got, want, atol=1e-6):
                    matches.append((dr, dc))
        assert len(matches) == 1
        offsets.add(matches[0])
    assert len(offsets) > 5


def digits_with_unique_values(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(1, 256, (n, 28, 28)).astype(np.uint8)


@pytest.mark.parametrize("canvas_size", [60, 100])
def test_translated_digit_lies_wholly_inside_the_canvas(canvas_size):
    import tensorflow as tf

    digits = digits_with_unique_values(16)
    canvases = datasets.translate_digits(tf.constant(digits), canvas_size, tf.constant([1, 2])).numpy()
    assert canvases.shape == (16, canvas_size, canvas_size)
    for canvas, digit in zip(canvases, digits):
        rows, cols = np.nonzero(canvas)
        top, left = rows.min(), cols.min()
        assert rows.max() - top == 27 and cols.max() - left == 27
        np.testing.assert_array_equal(canvas[top:top + 28, left:left + 28], digit)
        assert canvas.sum() == digit.astype(np.float64).sum()


def test_clutter_pieces_are_8x8_crops_of_source_digits():
    import tensorflow as tf

    source = np.arange(28 * 28, dtype=np.float64).reshape(1, 28, 28) % 250 + 1
    source = source.astype(np.uint8)
    canvases = tf.zeros((20, 60, 60))
    cluttered = datasets.add_clutter(canvases, tf.constant(source), 1, tf.constant([3, 4])).numpy()
    for canvas in cluttered:
        rows, cols = np.nonzero(canvas)
        assert len(rows) == 64
        piece = canvas[rows.min():rows.min() + 8, cols.min():cols.min() + 8]
        found = [(r, c) for r in range(21) for c in range(21)
                 if np.array_equal(source[0, r:r + 8, c:c + 8], piece)]
        assert found


def test_clutter_count_and_value_range():
    import tensorflow as tf

    source = np.full((5, 28, 28), 255, np.uint8)
    for pieces in (1, 4, 8):
        out = datasets.add_clutter(tf.zeros((50, 100, 100)), tf.constant(source), pieces,
                                   tf.constant([pieces, 0])).numpy()
        lit = (out == 255).sum(axis=(1, 2))
        assert out.max() == 255 and out.min() == 0
        assert np.all(lit <= 64 * pieces) and np.all(lit >= 64)
        assert lit.mean() > 0.8 * 64 * pieces  # few overlaps on a 100x100 canvas


def test_fixed_test_set_depends_only_on_the_seed():
    digits = digits_with_unique_values(30, seed=1)
    a = datasets.make_fixed_canvases(digits, 11, 60, clutter_pieces=4, chunk=7)
    b = datasets.make_fixed_canvases(digits, 11, 60, clutter_pieces=4, chunk=7)
    c = datasets.make_fixed_canvases(digits, 12, 60, clutter_pieces=4, chunk=7)
    assert a.shape == (30, 60, 60) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # Every digit's pixels are all there (clutter only adds, with max).
    assert np.all(a.reshape(30, -1).sum(1) >= digits.reshape(30, -1).sum(1))
