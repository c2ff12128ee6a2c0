"""Fashion-MNIST from the Keras cache (small IDX files written here), and the error offline."""

import gzip
import os

import numpy as np
import pytest

from ram_keras.data import fashion_mnist


def write_idx(path, array):
    """A gzipped IDX file of uint8 values, as the Fashion-MNIST files are written."""
    magic = 2048 + array.ndim
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """An empty KERAS_HOME and a Keras download that fails, as on a machine without internet."""
    import keras

    def no_network():
        raise OSError("URL fetch failure: no network")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", no_network)
    return tmp_path


def test_reads_the_four_files_of_the_keras_cache(offline):
    rng = np.random.default_rng(0)
    arrays = {"train-images-idx3-ubyte.gz": rng.integers(0, 256, (7, 28, 28)),
              "train-labels-idx1-ubyte.gz": rng.integers(0, 10, 7),
              "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (3, 28, 28)),
              "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 3)}
    folder = offline / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    for name, array in arrays.items():
        write_idx(folder / name, array)
    assert fashion_mnist.cache_folder() == str(folder)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_fashion_mnist()
    assert x_train.dtype == np.uint8 and y_train.dtype == np.int64
    np.testing.assert_array_equal(x_train, arrays["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(y_train, arrays["train-labels-idx1-ubyte.gz"])
    np.testing.assert_array_equal(x_test, arrays["t10k-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(y_test, arrays["t10k-labels-idx1-ubyte.gz"])
    assert len(fashion_mnist.CLASS_NAMES) == 10 and fashion_mnist.CLASS_NAMES[9] == "Ankle boot"


def test_clear_error_offline_without_the_files(offline):
    with pytest.raises(fashion_mnist.DatasetNotFoundError) as error:
        fashion_mnist.load_fashion_mnist()
    message = str(error.value)
    folder = os.path.join(str(offline), "datasets", "fashion-mnist")
    assert "missing train-labels-idx1-ubyte.gz" in message and "no network" in message
    assert f"into {folder}" in message and "internet" in message


def test_a_broken_cache_file_is_named(offline):
    folder = offline / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    for name in fashion_mnist.FILES:
        write_idx(folder / name, np.zeros((2, 28, 28) if "images" in name else 2))
    with gzip.open(folder / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(b"not an idx file")
    with pytest.raises(fashion_mnist.DatasetNotFoundError, match="t10k-images.*not an IDX"):
        fashion_mnist.load_fashion_mnist()


def test_the_config_trains_on_fashion_mnist_as_on_mnist(offline):
    """run_fashion_mnist: the task reads the cache, holds out the last validation_digits and
    names the classes; offline without the files its command ends with the error."""
    from helpers import REPO, assert_clean_failure, run_main
    from ram_keras.tasks import load_config
    from ram_keras.tasks.classification import ClassificationTask, class_names
    from ram_keras.training.configs import read_config_module

    config_path = os.path.join(REPO, "configs", "run_fashion_mnist.py")
    mnist_recipe = read_config_module("run_mnist_fast")
    config = load_config(config_path)
    assert config["dataset"] == "fashion_mnist" and config["model"] == mnist_recipe["model"]
    assert config["validation_digits"] == 10000 and "paper_test_error_percent" not in config
    assert class_names(config)[0] == "T-shirt/top"
    result = run_main(config_path, "--epochs", "1", "--out", str(offline / "out"))
    assert_clean_failure(result, 1)
    assert "Could not load Fashion-MNIST" in result.stderr

    folder = offline / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    train = rng.integers(0, 256, (9, 28, 28))
    for name in fashion_mnist.FILES:
        write_idx(folder / name, train if name.startswith("train-images")
                  else np.arange(9) if "labels" in name else train[:4])
    for name in ("t10k-labels-idx1-ubyte.gz",):
        write_idx(folder / name, np.arange(4))
    data = ClassificationTask().load_data(dict(config, validation_digits=3))
    np.testing.assert_array_equal(data.x_train, train[:6])
    np.testing.assert_array_equal(data.y_validation, [6, 7, 8])
    assert data.x_test.shape == (4, 28, 28)
