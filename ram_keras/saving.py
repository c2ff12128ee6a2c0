"""Writing and reading trained models: `*.weights.h5` with the config inside."""

import json
import os

import h5py
import keras

from ram_keras.model import RecurrentAttentionModel

CONFIG_ATTRIBUTE = "ram_keras_model_config"
METADATA_ATTRIBUTE = "ram_keras_metadata"
WEIGHTS_SUFFIX = ".weights.h5"


class ModelFileError(ValueError):
    """A model file that cannot be read as a ram_keras model; says why."""


def sidecar_config_path(weights_path):
    """`run0.weights.h5` -> `run0.config.json`, the config written beside it."""
    if weights_path.endswith(WEIGHTS_SUFFIX):
        return weights_path[: -len(WEIGHTS_SUFFIX)] + ".config.json"
    return os.path.splitext(weights_path)[0] + ".config.json"


def _atomic_write_text(path, text):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save_model(model, path, metadata=None):
    """Writes `model`'s weights to `path` (must end in `.weights.h5`).

    The model config (and `metadata`, e.g. the experiment's name) is stored
    inside the HDF5 file as JSON attributes and also written beside it as
    `*.config.json`. The file appears atomically: it is written under a
    temporary name and renamed.
    """
    if not path.endswith(WEIGHTS_SUFFIX):
        raise ValueError(f"Model files must end in {WEIGHTS_SUFFIX!r}, got {path!r}.")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".tmp-{os.getpid()}-{os.path.basename(path)}")
    model.save_weights(tmp)
    config = model.get_config()
    with h5py.File(tmp, "a") as f:
        f.attrs[CONFIG_ATTRIBUTE] = json.dumps(config)
        f.attrs[METADATA_ATTRIBUTE] = json.dumps(metadata or {})
    os.replace(tmp, path)
    _atomic_write_text(
        sidecar_config_path(path),
        json.dumps({"model": config, "metadata": metadata or {}}, indent=2) + "\n",
    )


def read_model_file_info(path):
    """Returns `(model_config, metadata)` stored in or beside a model file."""
    if not os.path.isfile(path):
        raise ModelFileError(f"Model file not found: {path}")
    try:
        with h5py.File(path, "r") as f:
            config = f.attrs.get(CONFIG_ATTRIBUTE)
            metadata = f.attrs.get(METADATA_ATTRIBUTE)
    except OSError as error:
        raise ModelFileError(f"Not a readable HDF5 model file: {path} ({error})") from None
    if config is not None:
        return json.loads(config), json.loads(metadata) if metadata else {}
    sidecar = sidecar_config_path(path)
    if os.path.isfile(sidecar):
        with open(sidecar) as f:
            stored = json.load(f)
        return stored["model"], stored.get("metadata", {})
    raise ModelFileError(
        f"{path} holds no ram_keras model config and there is no {sidecar} beside it."
    )


def build_model(model_config):
    """A fully built (not yet compiled) RecurrentAttentionModel from its config."""
    return RecurrentAttentionModel.from_config(dict(model_config)).build_all()


def load_model(path):
    """Loads a trained model, ready for `predict` and `evaluate`.

    Args:
        path: a `*.weights.h5` file written by training (`save_model`), whose
            config is read from inside it or from `*.config.json` beside it;
            or a whole-model `.keras` file.

    Returns:
        A compiled `RecurrentAttentionModel`.
    """
    path = os.fspath(path)
    if path.endswith(".keras"):
        if not os.path.isfile(path):
            raise ModelFileError(f"Model file not found: {path}")
        return keras.saving.load_model(path, safe_mode=True)
    config, _ = read_model_file_info(path)
    model = build_model(config)
    weights_path = path
    if not path.endswith(WEIGHTS_SUFFIX):
        raise ModelFileError(f"Model weight files must end in {WEIGHTS_SUFFIX!r}: {path}")
    try:
        model.load_weights(weights_path)
    except Exception as error:
        raise ModelFileError(f"Could not load weights from {path}: {error}") from None
    model.compile(optimizer=keras.optimizers.Adam())
    return model
