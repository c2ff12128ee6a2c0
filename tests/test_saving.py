import json
import os

import numpy as np
import pytest

import ram_keras
from ram_keras import RecurrentAttentionModel
from ram_keras.saving import ModelFileError, save_model, sidecar_config_path


def trained_like_model():
    model = RecurrentAttentionModel(image_shape=(12, 12, 1), num_glimpses=2, glimpse_size=4,
                                    what_units=8, where_units=8, glimpse_units=16,
                                    core_units=16, seed=1).build_all()
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def test_h5_roundtrip_gives_identical_predictions(tmp_path):
    model = trained_like_model()
    images = np.random.default_rng(1).random((6, 12, 12, 1)).astype(np.float32)
    path = str(tmp_path / "run0.weights.h5")
    save_model(model, path, metadata={"config": "test"})
    assert os.path.isfile(sidecar_config_path(path))
    restored = ram_keras.load_model(path)
    np.testing.assert_array_equal(restored.predict(images, verbose=0), model.predict(images, verbose=0))
    assert restored.get_config() == model.get_config()
    assert not [f for f in os.listdir(tmp_path) if "tmp" in f]


def test_config_beside_the_file_is_used_when_not_inside(tmp_path):
    model = trained_like_model()
    path = str(tmp_path / "plain.weights.h5")
    model.save_weights(path)  # plain Keras weights: no config inside
    with open(sidecar_config_path(path), "w") as f:
        json.dump({"model": model.get_config()}, f)
    images = np.zeros((2, 12, 12, 1), np.float32)
    np.testing.assert_array_equal(
        ram_keras.load_model(path).predict(images, verbose=0), model.predict(images, verbose=0)
    )


def test_missing_and_broken_files_raise_model_file_error(tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        ram_keras.load_model(str(tmp_path / "none.weights.h5"))
    junk = tmp_path / "junk.weights.h5"
    junk.write_bytes(b"not hdf5 at all")
    with pytest.raises(ModelFileError, match="HDF5"):
        ram_keras.load_model(str(junk))
    bare = str(tmp_path / "bare.weights.h5")
    trained_like_model().save_weights(bare)
    with pytest.raises(ModelFileError, match="no ram_keras model config"):
        ram_keras.load_model(bare)


def test_save_needs_weights_suffix(tmp_path):
    with pytest.raises(ValueError, match="weights.h5"):
        save_model(trained_like_model(), str(tmp_path / "model.h5"))
