"""Writing and reading trained models: `*.weights.h5` with the config inside."""

import json
import os
import zipfile

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


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _check_readable_file(path):
    """Raises ModelFileError for a missing, empty or non-HDF5 file."""
    if not os.path.exists(path):
        raise ModelFileError(f"Model file not found: {path}")
    if not os.path.isfile(path):
        raise ModelFileError(f"Not a model file (a folder?): {path}")
    size = os.path.getsize(path)
    if size == 0:
        raise ModelFileError(f"Model file {path} is empty (0 bytes)")
    with open(path, "rb") as f:
        head = f.read(len(HDF5_SIGNATURE))
    if head != HDF5_SIGNATURE:
        raise ModelFileError(
            f"{path} is not an HDF5 file (ram_keras models are *{WEIGHTS_SUFFIX} files "
            "written by training)"
        )


def _parse_json_attribute(value, what, path):
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        raise ModelFileError(f"{path} holds a malformed {what} (not JSON)") from None
    if not isinstance(parsed, dict):
        raise ModelFileError(f"{path} holds a malformed {what} (not a JSON object)")
    return parsed


def read_model_file_info(path):
    """Returns `(model_config, metadata)` stored in or beside a model file.

    Reads only JSON text from the file (never pickles or code). Raises
    `ModelFileError` saying what is wrong: missing, empty, not HDF5,
    truncated or corrupt, or without a ram_keras model config.
    """
    _check_readable_file(path)
    try:
        with h5py.File(path, "r") as f:
            config = f.attrs.get(CONFIG_ATTRIBUTE)
            metadata = f.attrs.get(METADATA_ATTRIBUTE)
    except OSError as error:
        raise ModelFileError(
            f"{path} is truncated or corrupt: HDF5 cannot read it ({error})"
        ) from None
    if config is not None:
        metadata = _parse_json_attribute(metadata, "metadata", path) if metadata else {}
        return _parse_json_attribute(config, "model config", path), metadata
    sidecar = sidecar_config_path(path)
    if os.path.isfile(sidecar):
        with open(sidecar) as f:
            stored = _parse_json_attribute(f.read(), "model config", sidecar)
        if not isinstance(stored.get("model"), dict):
            raise ModelFileError(f"{sidecar} has no 'model' config")
        return stored["model"], stored.get("metadata") or {}
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
            or a whole-model `.keras` file (loaded with Keras's `safe_mode`,
            which refuses Lambda layers and other stored code).

    Returns:
        A compiled `RecurrentAttentionModel`.

    Raises:
        ModelFileError: the file is missing, empty, not HDF5 (or not a
            `.keras` archive), truncated or corrupt, has no or a malformed
            config, or holds weights that do not fit its config.
    """
    path = os.fspath(path)
    if path.endswith(".keras"):
        return _load_keras_archive(path)
    if not path.endswith(WEIGHTS_SUFFIX):
        raise ModelFileError(f"Model weight files must end in {WEIGHTS_SUFFIX!r}: {path}")
    config, _ = read_model_file_info(path)
    try:
        model = build_model(config)
    except Exception as error:  # noqa: BLE001 - any config the model rejects
        raise ModelFileError(
            f"{path} holds a model config ram_keras cannot build: {error}"
        ) from None
    try:
        model.load_weights(path)
    except ValueError as error:
        raise ModelFileError(
            f"The weights in {path} do not fit the model config stored with it "
            f"(wrong shapes or missing layers): {error}"
        ) from None
    except Exception as error:  # noqa: BLE001 - h5py and Keras raise many kinds
        raise ModelFileError(f"{path} is truncated or corrupt: {error}") from None
    model.compile(optimizer=keras.optimizers.Adam())
    return model


def _load_keras_archive(path):
    if not os.path.isfile(path):
        raise ModelFileError(f"Model file not found: {path}")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path} is not a .keras archive (not a zip file)")
    try:
        model = keras.saving.load_model(path, safe_mode=True)
    except Exception as error:  # noqa: BLE001 - Keras raises many kinds
        raise ModelFileError(f"Cannot load {path}: {error}") from None
    if not isinstance(model, RecurrentAttentionModel):
        raise ModelFileError(
            f"{path} holds a {type(model).__name__}, not a ram_keras RecurrentAttentionModel"
        )
    return model
