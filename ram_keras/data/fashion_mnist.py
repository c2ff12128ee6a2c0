"""Fashion-MNIST (Xiao et al., 2017): 28x28 grey pictures of 10 kinds of clothing, in MNIST's
format and sizes (60,000 training and 10,000 test images).

No PyPI package is known to ship it, so it comes from Keras: its cache first
(`$KERAS_HOME` or `~/.keras`, then `datasets/fashion-mnist/` with the four
standard IDX files), then `keras.datasets.fashion_mnist.load_data()`, which
downloads them into that cache once. Offline without them,
`DatasetNotFoundError` says how to get them.
"""

import gzip
import os

import numpy as np

from ram_keras.data.mnist import DatasetNotFoundError

CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot")
# Keras's file names, in the order of its loader: labels, then images, train then test.
FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")
# IDX magic numbers: unsigned bytes, 1 dimension (labels) or 3 (images).
LABELS_MAGIC, IMAGES_MAGIC = 2049, 2051


def cache_folder():
    """Where Keras keeps Fashion-MNIST: `$KERAS_HOME/datasets/fashion-mnist`, or ~/.keras's."""
    home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return os.path.join(home, "datasets", "fashion-mnist")


def read_idx(path):
    """The uint8 array of a gzipped IDX file (labels `(N,)` or images `(N, H, W)`)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[:4], "big")
    if magic not in (LABELS_MAGIC, IMAGES_MAGIC):
        raise ValueError(f"{path} is not an IDX file of bytes (magic number {magic})")
    dims = magic - 2048
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    values = np.frombuffer(data, np.uint8, offset=4 + 4 * dims)
    if values.size != int(np.prod(shape)):
        raise ValueError(f"{path} holds {values.size} values, its header says {shape}")
    return values.reshape(shape)


def _read_cache(folder):
    y_train, x_train, y_test, x_test = (read_idx(os.path.join(folder, name)) for name in FILES)
    return (x_train, y_train), (x_test, y_test)


def load_fashion_mnist():
    """Fashion-MNIST: `((x_train, y_train), (x_test, y_test))`, uint8 images `(N, 28, 28)`
    and int64 labels (`CLASS_NAMES[label]`).

    Raises:
        DatasetNotFoundError: the Keras cache lacks the files and the download fails.
    """
    problems = []
    folder = cache_folder()
    missing = [name for name in FILES if not os.path.isfile(os.path.join(folder, name))]
    if not missing:
        try:
            return _checked(_read_cache(folder))
        except (OSError, ValueError, DatasetNotFoundError) as error:
            problems.append(f"Keras cache {folder}: {error}")
    else:
        problems.append(f"Keras cache {folder}: missing {', '.join(missing)}")
    try:
        import keras

        return _checked(keras.datasets.fashion_mnist.load_data())
    except Exception as error:  # noqa: BLE001 - offline, a proxy, a broken download
        problems.append(f"Keras download: {type(error).__name__}: {error}")
    raise DatasetNotFoundError(
        "Could not load Fashion-MNIST. Tried:\n  - " + "\n  - ".join(problems)
        + "\nRun once with internet access (Keras downloads it into its cache), or put the "
        f"four files {', '.join(FILES)} (from "
        "https://github.com/zalandoresearch/fashion-mnist) into " + folder + ".")


def _checked(data):
    """The arrays as uint8 / int64, or DatasetNotFoundError if they are not 28x28 images with
    one label each (the standard files hold 60,000 and 10,000)."""
    (x_train, y_train), (x_test, y_test) = data
    for images, labels in ((x_train, y_train), (x_test, y_test)):
        if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.shape != images.shape[:1] \
                or not len(labels):
            raise DatasetNotFoundError(
                f"Fashion-MNIST has unexpected shapes: images {images.shape}, labels "
                f"{labels.shape}")
    return ((np.asarray(x_train, np.uint8), np.asarray(y_train, np.int64)),
            (np.asarray(x_test, np.uint8), np.asarray(y_test, np.int64)))
