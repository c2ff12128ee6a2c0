"""Random bytes and random arrays: every failure is a clean, named error.

The library raises `ModelFileError` for files and `ValueError` for arrays;
the scripts exit with status 1 or 2 and one `error:` line, never a traceback.
"""

import numpy as np

import ram_keras
from helpers import assert_clean_failure, run_main
from ram_keras import RecurrentAttentionModel
from ram_keras.saving import ModelFileError, save_model


def small_model():
    return RecurrentAttentionModel(image_shape=(10, 10, 1), num_glimpses=2, glimpse_size=4,
                                   what_units=8, where_units=8, glimpse_units=8,
                                   core_units=8, seed=0)


def random_blobs(rng, count):
    """Random bytes: pure noise, and noise behind a real HDF5 signature or zip header."""
    blobs = []
    for i in range(count):
        body = rng.integers(0, 256, int(rng.integers(0, 4096)), dtype=np.uint8).tobytes()
        prefix = [b"", b"\x89HDF\r\n\x1a\n", b"PK\x03\x04"][i % 3]
        blobs.append(prefix + body)
    return blobs


def mangled_model_files(rng, tmp_path, count):
    """A real model file with random bytes overwritten or cut off."""
    path = str(tmp_path / "real.weights.h5")
    save_model(small_model(), path)
    data = bytearray(open(path, "rb").read())
    blobs = []
    for i in range(count):
        copy = bytearray(data)
        if i % 2:
            copy = copy[: int(rng.integers(1, len(copy)))]
        else:
            for at in rng.integers(0, len(copy), 64):
                copy[at] = int(rng.integers(0, 256))
        blobs.append(bytes(copy))
    return blobs


def test_load_model_on_random_bytes_raises_only_model_file_error(tmp_path):
    rng = np.random.default_rng(0)
    blobs = random_blobs(rng, 30) + mangled_model_files(rng, tmp_path, 20)
    for i, blob in enumerate(blobs):
        for suffix in (".weights.h5", ".keras"):
            path = tmp_path / f"fuzz{i}{suffix}"
            path.write_bytes(blob)
            try:
                model = ram_keras.load_model(str(path))
            except ModelFileError as error:
                assert str(error)  # a message, naming the file or the problem
                continue
            # A few byte flips may land in unused space: then it must still work.
            assert model.predict(np.zeros((1, 10, 10, 1), np.float32), verbose=0).shape == (1, 10)


def random_arrays(rng):
    shapes = [(), (3,), (2, 10), (2, 10, 10), (2, 10, 10, 1), (2, 10, 10, 3), (2, 11, 10, 1),
              (0, 10, 10, 1), (2, 10, 10, 1, 1)]
    dtypes = [np.float32, np.float64, np.uint8, np.int64, np.bool_, np.complex64, object, str]
    for i in range(60):
        shape = shapes[int(rng.integers(len(shapes)))]
        dtype = dtypes[int(rng.integers(len(dtypes)))]
        if i % 6 == 0:  # the right shape and dtype: only the values are random
            shape, dtype = (2, 10, 10, 1), np.float32
        if rng.random() < 0.4:
            values = rng.random(shape)  # in range: only shape and dtype can be wrong
        else:
            values = rng.normal(0.5, 1.0, shape) * float(rng.choice([1e-3, 1, 1e6]))
        if rng.random() < 0.3 and values.size:
            values.flat[int(rng.integers(values.size))] = rng.choice([np.nan, np.inf, -np.inf])
        if dtype is str:
            yield np.full(shape, "x")
        else:
            with np.errstate(invalid="ignore", over="ignore"):
                yield values.astype(dtype)


def test_predict_on_random_arrays_raises_only_value_error():
    model = small_model()
    rng = np.random.default_rng(1)
    outcomes = {"ok": 0, "ValueError": 0}
    for images in random_arrays(rng):
        for predict in (lambda x: model.predict(x, verbose=0),
                        lambda x: model.predict_monte_carlo(x, samples=2)):
            try:
                probs = predict(images)
            except ValueError as error:
                assert str(error)
                outcomes["ValueError"] += 1
                continue
            outcomes["ok"] += 1
            assert probs.shape == (len(images), 10) and np.all(np.isfinite(probs))
    assert outcomes["ValueError"] > 20 and outcomes["ok"] > 0


def test_scripts_on_random_files_fail_cleanly(tmp_path):
    rng = np.random.default_rng(2)
    blobs = random_blobs(rng, 3) + mangled_model_files(rng, tmp_path, 2)
    for i, blob in enumerate(blobs):
        model = tmp_path / f"fuzz{i}.weights.h5"
        model.write_bytes(blob)
        assert_clean_failure(run_main("evaluate", "run_mnist", str(model), "--samples", "0",
                                      "--paths", "0"), 1)
        results = tmp_path / f"fuzz{i}.json"
        results.write_bytes(blob)
        assert_clean_failure(run_main("plot", str(results), "--out", str(tmp_path / "p.png")), 1)
