"""Model files: ram_keras's `*.weights.h5` (config inside), `.keras`, files of 0.1, errors."""

import json
import os

import numpy as np
import pytest

import ram_keras
from helpers import REPO
from ram_keras import CatchAgent, RecurrentAttentionModel
from ram_keras.saving import (
    ModelFileError,
    read_model_file_info,
    save_model,
    sidecar_config_path,
)

LEGACY = os.path.join(REPO, "tests", "data")


def trained_like_model():
    model = RecurrentAttentionModel(image_shape=(12, 12, 1), num_glimpses=2, glimpse_size=4,
                                    what_units=8, where_units=8, glimpse_units=16,
                                    core_units=16, seed=1)
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
        json.dump({"class_name": "RecurrentAttentionModel", "model": model.get_config()}, f)
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


def saved_model_file(tmp_path, name="run0.weights.h5"):
    path = str(tmp_path / name)
    save_model(trained_like_model(), path, metadata={"config": "test"})
    return path


def test_empty_and_truncated_files_are_named_as_such(tmp_path):
    empty = tmp_path / "empty.weights.h5"
    empty.write_bytes(b"")
    with pytest.raises(ModelFileError, match="empty"):
        ram_keras.load_model(str(empty))
    path = saved_model_file(tmp_path)
    data = open(path, "rb").read()
    for keep in (0.9, 0.5, 0.1, 0.01):
        truncated = tmp_path / f"cut{int(keep * 100)}.weights.h5"
        truncated.write_bytes(data[: int(len(data) * keep)])
        with pytest.raises(ModelFileError, match="truncated or corrupt"):
            ram_keras.load_model(str(truncated))


def test_weights_that_do_not_fit_their_config_are_refused(tmp_path):
    import h5py

    path = saved_model_file(tmp_path)
    with h5py.File(path, "a") as f:
        config = json.loads(f.attrs["ram_keras_model_config"])
        config["core_units"] = 32  # the stored weights are for 16 units
        f.attrs["ram_keras_model_config"] = json.dumps(config)
    with pytest.raises(ModelFileError, match="do not fit"):
        ram_keras.load_model(path)

    path = saved_model_file(tmp_path, "missing_layer.weights.h5")
    with h5py.File(path, "a") as f:
        del f["action_head"]
    with pytest.raises(ModelFileError, match="do not fit|truncated or corrupt"):
        ram_keras.load_model(path)


def test_malformed_or_foreign_configs_are_refused(tmp_path):
    import h5py

    path = saved_model_file(tmp_path)
    with h5py.File(path, "a") as f:
        f.attrs["ram_keras_model_config"] = "{broken"
    with pytest.raises(ModelFileError, match="malformed model config"):
        ram_keras.load_model(path)
    path = saved_model_file(tmp_path, "foreign.weights.h5")
    with h5py.File(path, "a") as f:
        f.attrs["ram_keras_model_config"] = json.dumps(
            {"class_name": "Lambda", "function": "__import__('os').system('touch PWNED')"})
    with pytest.raises(ModelFileError, match="cannot build"):
        ram_keras.load_model(path)
    with h5py.File(path, "a") as f:
        f.attrs["ram_keras_model_class"] = "Lambda"
    with pytest.raises(ModelFileError, match="not a ram_keras model"):
        ram_keras.load_model(path)
    assert not os.path.exists("PWNED")


def test_keras_archives_with_code_are_refused_without_running_it(tmp_path):
    import keras

    marker = tmp_path / "ran"
    marker_name = str(marker)
    inputs = keras.Input((2,))
    outputs = keras.layers.Lambda(lambda x: x + float(open(marker_name, "w").write("x")))(inputs)
    path = str(tmp_path / "lambda.keras")
    keras.Model(inputs, outputs).save(path)
    if marker.exists():
        marker.unlink()  # tracing the model at save time ran it; loading must not
    with pytest.raises(ModelFileError, match="Cannot load"):
        ram_keras.load_model(path)
    assert not marker.exists()
    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"PK not really")
    with pytest.raises(ModelFileError, match="not a .keras archive"):
        ram_keras.load_model(str(junk))


@pytest.mark.parametrize("name", ["classifier_relu", "classifier_lstm"])
def test_files_of_version_0_1_give_the_outputs_they_gave_then(name):
    """tests/data holds small models written by ram_keras 0.1 and their outputs then."""
    with open(os.path.join(LEGACY, "legacy_outputs.json")) as f:
        then = json.load(f)[name]
    path = os.path.join(LEGACY, f"legacy_{name}.weights.h5")
    assert read_model_file_info(path).file_format == 1
    model = ram_keras.load_model(path)
    assert isinstance(model, RecurrentAttentionModel)
    images = np.asarray(then["images"], np.float32)
    np.testing.assert_allclose(model.predict(images, verbose=0), then["probabilities"],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.rollout(images, deterministic=True)["locations"].numpy(),
                               then["locations"], atol=1e-6)


def test_catch_agent_files_of_version_0_1_play_as_they_played_then():
    with open(os.path.join(LEGACY, "legacy_outputs.json")) as f:
        then = json.load(f)["catch_agent"]
    agent = ram_keras.load_model(os.path.join(LEGACY, "legacy_catch_agent.weights.h5"))
    assert isinstance(agent, CatchAgent) and agent.glimpse_sensor.reduction == "sum"
    played = agent.play(np.asarray(then["keys"]))
    np.testing.assert_array_equal(played["rewards"], then["rewards"])
    np.testing.assert_array_equal(played["actions"], then["actions"])
    np.testing.assert_allclose(played["locations"], then["locations"], atol=1e-6)


def test_saved_files_name_their_class_and_format(tmp_path):
    path = saved_model_file(tmp_path)
    info = read_model_file_info(path)
    assert (info.class_name, info.file_format) == ("RecurrentAttentionModel", 2)
    assert info.metadata == {"config": "test"}
    with open(sidecar_config_path(path)) as f:
        assert json.load(f)["class_name"] == "RecurrentAttentionModel"
