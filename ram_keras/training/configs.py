"""Experiment configs: one module per experiment holding a dict `CONFIG`.

The modules live in the repository's `configs/` folder, which an installed
ram_keras carries as `ram_keras/configs/`. `read_config_module` finds one by
name (`run_mnist`) or by path (`my_configs/run_tiny.py`) and runs the module;
`ram_keras.tasks.load_config` also checks its `CONFIG` with the task that its
`dataset` names (this module sits below the tasks, which use its checks).

Settings every config has:

| setting | type | meaning |
| --- | --- | --- |
| `name` | str | the experiment's name: `models/<name>/`, `results/<name>/` |
| `dataset` | str | the task: `mnist`, `translated_mnist`, `cluttered_mnist`, `fashion_mnist`, |
| | | `folder` (your own images) or `catch` |
| `model` | dict | the model's settings (the task's model class) |
| `epochs`, `batch_size`, `runs`, `seed` | int | the schedule and the first run's seed |
| `learning_rate` | float | Adam's initial learning rate |

and optional ones for every task: `learning_rate_schedule` (`cosine`, the
default, `constant` or `staircase`) with `final_learning_rate_fraction`,
`staircase_decay_rate`, `staircase_epochs`; `gradient_clip_norm` (global norm);
`weight_averaging` (momentum in (0, 1) of a moving average of the weights that is
validated and saved instead of the last weights, `ram_keras.training.averaging`);
`final_location_std` with `final_location_std_epochs` (the last epochs train with a
narrower location policy, `ram_keras.training.location_std`);
`jit_compile`; `steps_per_execution` (training steps per call of the compiled
function, as in `keras.Model.compile`: fewer calls from Python, the same
training; the runner uses the largest number up to it that divides an epoch's
steps; default 1); `strategy`; `description`.
"""

import importlib.util
import json
import os

import ram_keras

PACKAGE_DIR = os.path.dirname(os.path.abspath(ram_keras.__file__))
# Installed: the package's own copy. From a source checkout: the repository's folder.
CONFIGS_DIR = next(
    (folder for folder in (os.path.join(PACKAGE_DIR, "configs"),
                           os.path.join(os.path.dirname(PACKAGE_DIR), "configs"))
     if os.path.isdir(folder)),
    os.path.join(PACKAGE_DIR, "configs"))

COMMON_SETTINGS = {
    "name": str,
    "dataset": str,
    "model": dict,
    "epochs": int,
    "batch_size": int,
    "learning_rate": float,
    "seed": int,
    "runs": int,
}
SCHEDULES = ("cosine", "constant", "staircase")


class ConfigError(ValueError):
    """A config that cannot be used; the message says which setting and why."""


def list_configs(configs_dir=None):
    """Names of the config modules in `configs_dir` (run_*.py), default `CONFIGS_DIR`."""
    configs_dir = configs_dir or CONFIGS_DIR
    if not os.path.isdir(configs_dir):
        return []
    return sorted(
        f[:-3] for f in os.listdir(configs_dir) if f.startswith("run_") and f.endswith(".py"))


def read_config_module(name_or_path, configs_dir=None):
    """The `CONFIG` dict of a config module, by name or file path (not yet checked)."""
    configs_dir = configs_dir or CONFIGS_DIR
    path = name_or_path
    if not path.endswith(".py"):
        path = os.path.join(configs_dir, f"{name_or_path}.py")
    if not os.path.isfile(path):
        known = ", ".join(list_configs(configs_dir)) or "none"
        raise ConfigError(f"Unknown config {name_or_path!r}. Configs that exist: {known}.")
    spec = importlib.util.spec_from_file_location(
        f"ram_keras_config_{os.path.basename(path)[:-3]}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not isinstance(getattr(module, "CONFIG", None), dict):
        raise ConfigError(f"{path} defines no CONFIG dict.")
    return dict(module.CONFIG)


def check_settings(config, settings):
    """Raises ConfigError unless every setting is there with its type (a float also takes an int)."""
    for key, kind in settings.items():
        if key not in config:
            raise ConfigError(f"Config is missing the setting {key!r}.")
        value = config[key]
        ok = isinstance(value, kind) and not isinstance(value, bool)
        if kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok:
            raise ConfigError(f"Config setting {key!r} must be {kind.__name__}, got {value!r}.")


def check_common_settings(config):
    """Checks the settings every task's config has (see the module docstring)."""
    from ram_keras.training import distribution

    check_settings(config, COMMON_SETTINGS)
    for key in ("epochs", "batch_size", "runs"):
        if config[key] < 1:
            raise ConfigError(f"Config setting {key!r} must be >= 1, got {config[key]}.")
    if not config["learning_rate"] > 0:
        raise ConfigError(
            f"Config setting 'learning_rate' must be > 0, got {config['learning_rate']!r}.")
    if config.get("strategy", "default") not in distribution.STRATEGIES:
        raise ConfigError(f"Config strategy must be one of {distribution.STRATEGIES}, "
                          f"got {config.get('strategy')!r}.")
    schedule = config.get("learning_rate_schedule", "cosine")
    if schedule not in SCHEDULES:
        raise ConfigError(
            f"Config learning_rate_schedule must be one of {SCHEDULES}, got {schedule!r}.")
    steps = config.get("steps_per_execution", 1)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ConfigError(f"Config steps_per_execution must be an integer >= 1, got {steps!r}.")
    clip = config.get("gradient_clip_norm")
    if clip is not None and (isinstance(clip, bool) or not isinstance(clip, (int, float))
                             or not clip > 0):
        raise ConfigError(f"Config gradient_clip_norm must be a number > 0, got {clip!r}.")
    final_std = config.get("final_location_std")
    final_epochs = config.get("final_location_std_epochs")
    if final_std is not None or final_epochs is not None:
        if isinstance(final_std, bool) or not isinstance(final_std, (int, float)) \
                or not final_std > 0:
            raise ConfigError("Config final_location_std must be a number > 0 (with "
                              f"final_location_std_epochs), got {final_std!r}.")
        if isinstance(final_epochs, bool) or not isinstance(final_epochs, int) \
                or not 1 <= final_epochs <= config["epochs"]:
            raise ConfigError("Config final_location_std_epochs must be an integer in "
                              f"[1, epochs] (with final_location_std), got {final_epochs!r}.")
        if (config.get("model") or {}).get("learn_std"):
            raise ConfigError("Config final_location_std needs a fixed policy std, but the "
                              "model learns its std (learn_std)")
    momentum = config.get("weight_averaging")
    if momentum is not None and (isinstance(momentum, bool)
                                 or not isinstance(momentum, (int, float))
                                 or not 0 < momentum < 1):
        raise ConfigError("Config weight_averaging must be None or a momentum in (0, 1), "
                          f"got {momentum!r}.")
    return config


def as_json(value):
    """`value` as it reads back from JSON (tuples become lists, and so on)."""
    return json.loads(json.dumps(value))


def build_from_config(model_class, model_settings):
    """`model_class(**model_settings)`, with the model's complaint as a ConfigError."""
    try:
        return model_class(**model_settings)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"Config setting 'model' is invalid: {error}") from None
