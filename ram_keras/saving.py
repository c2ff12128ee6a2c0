"""Writing and reading trained models: `*.weights.h5` with the config inside.

A model file is Keras's own weights file (`model.save_weights`) with three
JSON attributes added: the model's class (`RecurrentAttentionModel` or
`CatchAgent`), its config and the training metadata; the config and metadata
are also written beside it as `*.config.json`. Files of ram_keras 0.1 (one
dense layer for the core, no class attribute) are read too: their weights are
mapped onto today's layers (`_load_version_1_weights`), and give the same
outputs.
"""

import collections
import json
import os
import zipfile

import h5py
import keras
import numpy as np

from ram_keras.models import CatchAgent, RecurrentAttention, RecurrentAttentionModel

CONFIG_ATTRIBUTE = "ram_keras_model_config"
METADATA_ATTRIBUTE = "ram_keras_metadata"
CLASS_ATTRIBUTE = "ram_keras_model_class"
FORMAT_ATTRIBUTE = "ram_keras_format"
# 1: ram_keras 0.1 (no class or format attribute); 2: since the glimpse step.
FILE_FORMAT = 2
WEIGHTS_SUFFIX = ".weights.h5"
MODEL_CLASSES = {cls.__name__: cls for cls in (RecurrentAttentionModel, CatchAgent)}


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
        f.attrs[CLASS_ATTRIBUTE] = type(model).__name__
        f.attrs[FORMAT_ATTRIBUTE] = FILE_FORMAT
        f.attrs[CONFIG_ATTRIBUTE] = json.dumps(config)
        f.attrs[METADATA_ATTRIBUTE] = json.dumps(metadata or {})
    os.replace(tmp, path)
    _atomic_write_text(
        sidecar_config_path(path),
        json.dumps({"class_name": type(model).__name__, "model": config,
                    "metadata": metadata or {}}, indent=2) + "\n",
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


ModelFileInfo = collections.namedtuple("ModelFileInfo",
                                       ["class_name", "config", "metadata", "file_format"])
ModelFileInfo.__doc__ = """What a model file says about its model: the class name, its config
(of today's format), the training metadata and the file format (1 or 2)."""


def _upgrade_version_1_config(config):
    """`(class name, config)` of a ram_keras 0.1 model config, in today's settings."""
    config = dict(config)
    if "screen_size" in config:
        config["retina_reduction"] = "sum" if config.pop("count_pixels", True) else "mean"
        return "CatchAgent", config
    if config.pop("random_locations", False):
        config["location_policy"] = "random"
    return "RecurrentAttentionModel", config


def read_model_file_info(path):
    """Returns the `ModelFileInfo` stored in or beside a model file.

    Reads only JSON text from the file (never pickles or code). Raises
    `ModelFileError` saying what is wrong: missing, empty, not HDF5,
    truncated or corrupt, or without a ram_keras model config.
    """
    _check_readable_file(path)
    try:
        with h5py.File(path, "r") as f:
            attributes = {key: f.attrs.get(key) for key in (
                CLASS_ATTRIBUTE, FORMAT_ATTRIBUTE, CONFIG_ATTRIBUTE, METADATA_ATTRIBUTE)}
    except OSError as error:
        raise ModelFileError(
            f"{path} is truncated or corrupt: HDF5 cannot read it ({error})"
        ) from None
    class_name = attributes[CLASS_ATTRIBUTE]
    config, metadata = attributes[CONFIG_ATTRIBUTE], attributes[METADATA_ATTRIBUTE]
    if config is not None:
        metadata = _parse_json_attribute(metadata, "metadata", path) if metadata else {}
        config = _parse_json_attribute(config, "model config", path)
    else:
        sidecar = sidecar_config_path(path)
        if not os.path.isfile(sidecar):
            raise ModelFileError(
                f"{path} holds no ram_keras model config and there is no {sidecar} beside it.")
        with open(sidecar) as f:
            stored = _parse_json_attribute(f.read(), "model config", sidecar)
        if not isinstance(stored.get("model"), dict):
            raise ModelFileError(f"{sidecar} has no 'model' config")
        config, metadata = stored["model"], stored.get("metadata") or {}
        class_name = stored.get("class_name")
    if isinstance(class_name, bytes):
        class_name = class_name.decode("utf-8", "replace")
    if class_name is None:
        class_name, config = _upgrade_version_1_config(config)
        return ModelFileInfo(class_name, config, metadata, 1)
    if class_name not in MODEL_CLASSES:
        raise ModelFileError(f"{path} holds a {class_name!r}, not a ram_keras model "
                             f"({', '.join(MODEL_CLASSES)})")
    return ModelFileInfo(str(class_name), config, metadata, FILE_FORMAT)


def build_model(class_name, model_config):
    """A built (not yet compiled) model of class `class_name` from its config."""
    return MODEL_CLASSES[class_name].from_config(dict(model_config))


def _load_version_1_weights(model, path):
    """Assigns the weights of a ram_keras 0.1 file to today's layers.

    0.1 kept the core as one dense layer on `[g_t, h_{t-1}]`: its kernel's
    first rows are today's `kernel` (on `g_t`), the last `units` rows the
    `recurrent_kernel`. Every other layer kept its weights.
    """
    names = {
        "action_head/logits_dense": model.action_head.logits_dense,
        "baseline_head/value_dense": model.baseline_head.value_dense,
        "glimpse_network/what_dense": model.glimpse_network.what_dense,
        "glimpse_network/where_dense": model.glimpse_network.where_dense,
        "glimpse_network/combine_dense": model.glimpse_network.combine_dense,
        "layers/location_sampler/mean_dense": model.location_sampler.mean_dense,
    }
    with h5py.File(path, "r") as f:
        for name, layer in names.items():
            layer.set_weights([np.asarray(f[f"{name}/vars/{i}"]) for i in range(2)])
        step_kernel = np.asarray(f["core/step_dense/vars/0"])
        step_bias = np.asarray(f["core/step_dense/vars/1"])
    units = model.glimpse_step.core_units
    model.core.set_weights([step_kernel[:-units], step_kernel[-units:], step_bias])


def load_model(path):
    """Loads a trained model, ready for `predict`, `evaluate` (and `play`, for Catch).

    Args:
        path: a `*.weights.h5` file written by training (`save_model`), whose
            config is read from inside it or from `*.config.json` beside it
            (also files of ram_keras 0.1); or a whole-model `.keras` file
            (`model.save`, loaded with Keras's `safe_mode`, which refuses
            Lambda layers and other stored code).

    Returns:
        A compiled `RecurrentAttentionModel` or `CatchAgent`.

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
    info = read_model_file_info(path)
    try:
        model = build_model(info.class_name, info.config)
    except Exception as error:  # noqa: BLE001 - any config the model rejects
        raise ModelFileError(
            f"{path} holds a model config ram_keras cannot build: {error}"
        ) from None
    try:
        if info.file_format == 1:
            _load_version_1_weights(model, path)
        else:
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
    if not isinstance(model, RecurrentAttention):
        raise ModelFileError(
            f"{path} holds a {type(model).__name__}, not a ram_keras model"
        )
    return model
