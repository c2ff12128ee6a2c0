import numpy as np
import pytest

from ram_keras.data import pipelines as datasets


def digits_with_unique_values(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(1, 256, (n, 28, 28)).astype(np.uint8)

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


def test_rgb_images_keep_their_channels():
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, (10, 5, 6, 3)).astype(np.uint8)
    dataset = datasets.make_dataset(images, np.arange(10), batch_size=4)
    batches = [(x.numpy(), y.numpy()) for x, y in dataset]
    assert [x.shape for x, _ in batches] == [(4, 5, 6, 3), (4, 5, 6, 3), (2, 5, 6, 3)]
    for x, y in batches:
        np.testing.assert_allclose(x, images[y] / 255.0, rtol=1e-6)


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
