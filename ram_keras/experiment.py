"""Runs an experiment described by a config module: train, evaluate, save.

A config module (configs/run_*.py) holds one dict `CONFIG` and calls
`main(CONFIG)` when run. This module turns it into trained models under
`<out>/models/<name>/runK.weights.h5` and `<out>/results/<name>/results.json`.
"""

import argparse
import importlib.util
import json
import os
import sys
import time

import keras
import numpy as np

from ram_keras import datasets
from ram_keras.saving import build_model, save_model
from ram_keras.visualization import TensorBoardLogger

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CONFIGS_DIR = os.path.join(REPO_ROOT, "configs")

# Settings every config must have, with their types.
REQUIRED_SETTINGS = {
    "name": str,
    "dataset": str,
    "model": dict,
    "epochs": int,
    "batch_size": int,
    "learning_rate": float,
    "seed": int,
    "runs": int,
    "mc_samples": int,
}
DATASETS = ("mnist", "translated_mnist", "cluttered_mnist")
# Settings the translated and cluttered tasks need besides REQUIRED_SETTINGS.
CANVAS_SETTINGS = {"canvas_size": int, "clutter_pieces": int, "test_seed": int}
# --tensorboard: glimpse pictures of this many test images, every this many epochs.
TENSORBOARD_IMAGES = 4
TENSORBOARD_IMAGE_EVERY = 5


class ConfigError(ValueError):
    """A config that cannot be used; the message says which setting and why."""


def list_configs(configs_dir=DEFAULT_CONFIGS_DIR):
    """Names of the config modules in `configs_dir` (run_*.py)."""
    if not os.path.isdir(configs_dir):
        return []
    return sorted(
        f[:-3] for f in os.listdir(configs_dir) if f.startswith("run_") and f.endswith(".py")
    )


def load_config(name_or_path, configs_dir=DEFAULT_CONFIGS_DIR):
    """The validated CONFIG dict of a config module, by name or file path."""
    path = name_or_path
    if not path.endswith(".py"):
        path = os.path.join(configs_dir, f"{name_or_path}.py")
    if not os.path.isfile(path):
        known = ", ".join(list_configs(configs_dir)) or "none"
        raise ConfigError(f"Unknown config {name_or_path!r}. Configs that exist: {known}.")
    spec = importlib.util.spec_from_file_location(
        f"ram_keras_config_{os.path.basename(path)[:-3]}", path
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not isinstance(getattr(module, "CONFIG", None), dict):
        raise ConfigError(f"{path} defines no CONFIG dict.")
    return validate_config(dict(module.CONFIG))


def validate_config(config):
    for key, kind in REQUIRED_SETTINGS.items():
        if key not in config:
            raise ConfigError(f"Config is missing the setting {key!r}.")
        value = config[key]
        ok = isinstance(value, kind) and not isinstance(value, bool)
        if kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok:
            raise ConfigError(
                f"Config setting {key!r} must be {kind.__name__}, got {value!r}."
            )
    if config["dataset"] not in DATASETS:
        raise ConfigError(f"Config dataset must be one of {DATASETS}, got {config['dataset']!r}.")
    for key in ("epochs", "batch_size", "runs"):
        if config[key] < 1:
            raise ConfigError(f"Config setting {key!r} must be >= 1, got {config[key]}.")
    if config["dataset"] != "mnist":
        for key, kind in CANVAS_SETTINGS.items():
            value = config.get(key)
            if not isinstance(value, kind) or isinstance(value, bool) or value < 0:
                raise ConfigError(
                    f"Config setting {key!r} must be a non-negative {kind.__name__} for "
                    f"dataset {config['dataset']!r}, got {value!r}."
                )
        if config["canvas_size"] < 28:
            raise ConfigError(f"Config canvas_size must be >= 28, got {config['canvas_size']}.")
        shape = list(config["model"].get("image_shape", []))
        if shape != [config["canvas_size"], config["canvas_size"], 1]:
            raise ConfigError(
                f"Config model image_shape {shape} does not match canvas_size "
                f"{config['canvas_size']}."
            )
    return config


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def _non_negative_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def parse_args(config, argv=None):
    parser = argparse.ArgumentParser(
        prog=f"python configs/{config['name']}.py",
        description=config.get("description", f"Train RAM: {config['name']}."),
    )
    parser.add_argument("--epochs", type=_positive_int, default=config["epochs"],
                        help="epochs per run (default %(default)s)")
    parser.add_argument("--runs", type=_positive_int, default=config["runs"],
                        help="independent runs with seeds seed, seed+1, ... (default %(default)s)")
    parser.add_argument("--batch-size", type=_positive_int, default=config["batch_size"],
                        help="training batch size (default %(default)s)")
    parser.add_argument("--limit", type=_positive_int, default=None,
                        help="use only the first N training images (default: all)")
    parser.add_argument("--seed", type=_non_negative_int, default=config["seed"],
                        help="seed of the first run (default %(default)s)")
    parser.add_argument("--out", default=REPO_ROOT,
                        help="folder that receives models/ and results/ (default: the repo root)")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=None,
                        help="Keras fit verbosity (default: progress bar on a terminal, "
                             "one line per epoch otherwise)")
    parser.add_argument("--glimpses", type=_positive_int, default=None,
                        help="glimpses per image (default: the config's, "
                             f"{config['model'].get('num_glimpses')})")
    parser.add_argument("--random-glimpses", action="store_true",
                        help="ablation: uniformly random glimpse locations instead of the "
                             "learned policy")
    parser.add_argument("--tensorboard", metavar="DIR", default=None,
                        help="write TensorBoard logs to DIR/<config>/runK: scalars per epoch "
                             f"and glimpse pictures every {TENSORBOARD_IMAGE_EVERY} epochs "
                             "(view with `tensorboard --logdir DIR`)")
    return parser.parse_args(argv)


def load_task_data(config, limit=None):
    """`(x_train, y_train), (x_test, y_test)` for the config's task.

    Training images are the uint8 28x28 digits (the pipeline places them on
    the canvas afresh every epoch, see `training_dataset`); test images are
    the task's fixed uint8 test set (`(N, S, S)` canvases for the translated
    and cluttered tasks, fixed by `test_seed`, clutter from test digits).
    """
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist()
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]
    if config["dataset"] != "mnist":
        x_test = datasets.make_fixed_test_set(
            x_test, config["test_seed"], config["canvas_size"], config["clutter_pieces"]
        )
    return (x_train, y_train), (x_test, y_test)


def training_dataset(config, x_train, y_train, batch_size, seed, drop_remainder=False):
    """The config's training pipeline: shuffled, placed and cluttered afresh every epoch."""
    canvas = {}
    if config["dataset"] != "mnist":
        canvas = {
            "canvas_size": config["canvas_size"],
            "clutter_pieces": config["clutter_pieces"],
            "clutter_source": x_train,
        }
    return datasets.make_dataset(
        x_train, y_train, batch_size, shuffle=True, seed=seed,
        max_shift=config.get("max_shift", 0), drop_remainder=drop_remainder, **canvas,
    )


def apply_flags(config, args):
    """The config as these flags change it (glimpse count, random glimpses)."""
    model = dict(config["model"])
    if getattr(args, "glimpses", None) is not None:
        model["num_glimpses"] = args.glimpses
    if getattr(args, "random_glimpses", False):
        model["random_locations"] = True
    return dict(config, model=model)


def make_optimizer(config, steps_per_epoch, epochs):
    """Adam with a cosine decay of the learning rate over the whole run."""
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=config["learning_rate"],
        decay_steps=max(1, steps_per_epoch * epochs),
        alpha=config.get("final_learning_rate_fraction", 0.0),
        warmup_target=None,
    )
    return keras.optimizers.Adam(learning_rate=schedule, clipnorm=config.get("clipnorm"))


def evaluate_accuracy(model, images, labels, mc_samples=0, batch_size=1000):
    """Test accuracy with the deterministic policy, and with `mc_samples` paths.

    Returns:
        `(deterministic_accuracy, monte_carlo_accuracy or None)`.
    """
    float_images = datasets.to_float_images(images)
    probs = model.predict(float_images, batch_size=batch_size, verbose=0)
    deterministic = float(np.mean(np.argmax(probs, -1) == labels))
    monte_carlo = None
    if mc_samples > 0:
        mc_probs = model.predict_monte_carlo(float_images, samples=mc_samples,
                                             batch_size=max(1, batch_size // mc_samples * 5))
        monte_carlo = float(np.mean(np.argmax(mc_probs, -1) == labels))
    return deterministic, monte_carlo


def atomic_write_json(path, data):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class EpochRecorder(keras.callbacks.Callback):
    """Collects per-epoch metrics and wall time, and rewrites results.json."""

    def __init__(self, on_update):
        super().__init__()
        self.history = {"epoch": [], "wall_time_s": []}
        self.on_update = on_update
        self.start = None

    def on_train_begin(self, logs=None):
        self.start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        self.history["epoch"].append(epoch + 1)
        self.history["wall_time_s"].append(round(time.time() - self.start, 2))
        for key, value in (logs or {}).items():
            name = key.replace("val_", "test_") if key.startswith("val_") else f"train_{key}"
            self.history.setdefault(name, []).append(float(value))
        self.on_update()


def summarize(runs, key):
    values = [r["final"][key] for r in runs if r.get("final", {}).get(key) is not None]
    if not values:
        return None
    return {"mean": float(np.mean(values)), "std": float(np.std(values)), "n": len(values)}


def run_experiment(config, args):
    """Trains `args.runs` models and writes models/ and results/; returns the results."""
    config = apply_flags(config, args)
    name = config["name"]
    models_dir = os.path.join(args.out, "models", name)
    results_path = os.path.join(args.out, "results", name, "results.json")
    verbose = args.verbose
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    (x_train, y_train), (x_test, y_test) = load_task_data(config, args.limit)
    batch_size = args.batch_size
    steps_per_epoch = int(np.ceil(len(x_train) / batch_size))
    effective = dict(config, epochs=args.epochs, batch_size=batch_size, runs=args.runs,
                     seed=args.seed, limit=args.limit)
    results = {"config": effective, "runs": []}

    def write():
        results["summary"] = {
            "test_accuracy": summarize(results["runs"], "test_accuracy"),
            "test_accuracy_monte_carlo": summarize(results["runs"], "test_accuracy_monte_carlo"),
        }
        atomic_write_json(results_path, results)

    for run_index in range(args.runs):
        seed = args.seed + run_index
        keras.utils.set_random_seed(seed)
        model = build_model(dict(config["model"], seed=seed))
        model.compile(
            optimizer=make_optimizer(config, steps_per_epoch, args.epochs),
            jit_compile=config.get("jit_compile", True),
        )
        train_data = training_dataset(config, x_train, y_train, batch_size, seed)
        test_data = datasets.make_dataset(x_test, y_test, 1000)
        run = {"run": run_index, "seed": seed, "history": None, "final": {}}
        recorder = EpochRecorder(write)
        callbacks = [recorder]
        if getattr(args, "tensorboard", None):
            callbacks.append(TensorBoardLogger(
                os.path.join(args.tensorboard, name, f"run{run_index}"),
                images=datasets.to_float_images(x_test[:TENSORBOARD_IMAGES]),
                labels=y_test[:TENSORBOARD_IMAGES],
                image_every=TENSORBOARD_IMAGE_EVERY,
            ))
        run["history"] = recorder.history
        results["runs"].append(run)
        print(f"[{name}] run {run_index + 1}/{args.runs}, seed {seed}: "
              f"{len(x_train)} training images, {args.epochs} epochs", flush=True)
        start = time.time()
        model.fit(train_data, epochs=args.epochs, validation_data=test_data,
                  callbacks=callbacks, verbose=verbose)
        run["train_wall_time_s"] = round(time.time() - start, 2)
        deterministic, monte_carlo = evaluate_accuracy(
            model, x_test, y_test, mc_samples=config["mc_samples"]
        )
        run["final"] = {
            "test_accuracy": deterministic,
            "test_error_percent": round(100 * (1 - deterministic), 3),
            "test_accuracy_monte_carlo": monte_carlo,
            "mc_samples": config["mc_samples"],
        }
        model_path = os.path.join(models_dir, f"run{run_index}.weights.h5")
        save_model(model, model_path, metadata={"config": name, "seed": seed})
        run["model_path"] = os.path.relpath(model_path, args.out)
        run["wall_time_s"] = round(time.time() - start, 2)
        write()
        mc_text = f", Monte-Carlo ({config['mc_samples']} paths) {monte_carlo:.4f}" if monte_carlo is not None else ""
        print(f"[{name}] run {run_index + 1}: test accuracy {deterministic:.4f} "
              f"(deterministic){mc_text}; model {model_path}", flush=True)
    print(f"[{name}] results: {results_path}", flush=True)
    return results


def main(config, argv=None):
    """Entry point of a config module: parse flags, train, report."""
    try:
        config = validate_config(dict(config))
    except ConfigError as error:
        sys.exit(f"error: {error}")
    args = parse_args(config, argv)
    return run_experiment(config, args)
