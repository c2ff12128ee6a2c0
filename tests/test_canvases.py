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
                rows = slice(max(dr, 0), 7 + min(dr, 0))
                cols = slice(max(dc, 0), 11 + min(dc, 0))
                source = original[max(-dr, 0):7 - max(dr, 0), max(-dc, 0):11 - max(dc, 0)]
                want[rows, cols] = source / 255.0
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


def numpy_composite(canvases, pieces, rows, cols, owner, style, box=None):
    """Clutter styles written out piece by piece (canvas coordinates, pieces wholly inside)."""
    out = canvases.astype(np.float64).copy()
    size = pieces.shape[1]
    if style == "pasted_box":
        clutter = np.zeros_like(out)
    for piece, r, c, b in zip(pieces, rows, cols, owner):
        window = (b, slice(r, r + size), slice(c, c + size))
        if style == "max":
            out[window] = np.maximum(out[window], piece)
        elif style == "add_clip":
            out[window] = out[window] + piece
        elif style == "blend":  # x (1 - p) + p on [0, 1] values
            x, p = out[window] / 255.0, piece / 255.0
            out[window] = 255.0 * (x * (1 - p) + p)
        else:
            clutter[window] = np.maximum(clutter[window], piece)
    if style == "add_clip":
        out = np.minimum(out, 255.0)
    if style == "pasted_box":
        out = np.where(box, out, clutter)
    return out


@pytest.mark.parametrize("style", datasets.CLUTTER_STYLES)
def test_each_clutter_style_against_a_numpy_reference(style):
    rng = np.random.default_rng(7)
    canvases = rng.integers(0, 256, (2, 12, 12)).astype(np.float32)
    num_pieces = 3
    pieces = rng.integers(0, 256, (2 * num_pieces, 4, 4)).astype(np.float32)
    # Pieces 0 and 1 of canvas 0 overlap, so the order of blending matters.
    rows = np.array([2, 3, 7, 0, 8, 5], np.int32)
    cols = np.array([2, 4, 1, 8, 8, 0], np.int32)
    owner = np.repeat(np.arange(2, dtype=np.int32), num_pieces)
    box = np.zeros((2, 12, 12), bool)
    box[0, 1:6, 2:9], box[1, 4:10, 3:8] = True, True
    got = datasets.composite_clutter(canvases, pieces, rows, cols, owner, num_pieces, style,
                                     digit_box=box if style == "pasted_box" else None)
    want = numpy_composite(canvases, pieces, rows, cols, owner, style, box)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-3)
    assert got.numpy().min() >= 0 and got.numpy().max() <= 255
    with pytest.raises(ValueError, match="clutter style must be one of"):
        datasets.composite_clutter(canvases, pieces, rows, cols, owner, num_pieces, "paste")


def test_the_styles_of_one_seed_share_the_digits_places_and_the_pieces():
    rng = np.random.default_rng(3)
    digits = rng.integers(0, 256, (6, 28, 28)).astype(np.uint8)
    made = {style: datasets.make_fixed_canvases(digits, 11, 40, 4, clutter_style=style)
            .astype(np.int64) for style in datasets.CLUTTER_STYLES}
    clean = datasets.make_fixed_canvases(digits, 11, 40, 0).astype(np.int64)
    box = datasets.make_fixed_canvases(np.full_like(digits, 1), 11, 40, 0) > 0
    assert box.sum() == 6 * 28 * 28
    # Pasted box: the clean digit inside its box, the max-combined pieces outside it.
    np.testing.assert_array_equal(made["pasted_box"][box], clean[box])
    np.testing.assert_array_equal(made["pasted_box"][~box], made["max"][~box])
    # x + p - xp/255 lies between max(x, p) and min(x + p, 255).
    assert np.all(made["max"] <= made["blend"]) and np.all(made["blend"] <= made["add_clip"])
    assert np.any(made["max"] < made["blend"]) and np.any(made["blend"] < made["add_clip"])
    assert np.all(made["max"] >= clean)
    # No digits (validation_digits 0 on a canvas task): no canvases, not an error.
    assert datasets.make_fixed_canvases(digits[:0], 11, 40, 4).shape == (0, 40, 40)
