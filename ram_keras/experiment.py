"""Runs an experiment described by a config module: train, evaluate, save.

A config module (configs/run_*.py) holds one dict `CONFIG` and calls
`main(CONFIG)` when run. This module turns it into trained models under
`<out>/models/<name>/runK.weights.h5` and `<out>/results/<name>/results.json`,
keeping a checkpoint of every epoch in `<out>/checkpoints/<name>/` until a run
ends (see `training_state.py`), so that `--resume` can continue a killed run.
"""

import argparse
import importlib.util
import json
import os
import sys
import time

import keras
import numpy as np

from ram_keras import cli, datasets, distribution
from ram_keras.model import RecurrentAttentionModel
from ram_keras.saving import build_model, save_model
from ram_keras.training_state import (
    CheckpointError,
    EpochCheckpoint,
    NonFiniteLossError,
    OutputLock,
    OutputLockedError,
    StopOnNonFiniteLoss,
    atomic_write_json,
    check_checkpoint_settings,
    read_checkpoint,
    remove_checkpoint,
    restore_checkpoint,
)
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
# The reinforcement-learning task: its configs are run by ram_keras.catch_training.
CATCH_DATASET = "catch"
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


def check_required_settings(config, required=None):
    """Raises ConfigError unless every required setting is there with its type.

    `required` maps names to types (default: the classifier configs'
    `REQUIRED_SETTINGS`); a float setting also takes an int.
    """
    for key, kind in (REQUIRED_SETTINGS if required is None else required).items():
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


def validate_config(config):
    """The config, checked; raises ConfigError naming the first bad setting.

    Catch configs (`dataset: "catch"`) are checked by
    `catch_training.validate_config`.
    """
    if config.get("dataset") == CATCH_DATASET:
        from ram_keras.catch_training import validate_config as validate_catch_config

        return validate_catch_config(config)
    check_required_settings(config)
    if config.get("strategy", "default") not in distribution.STRATEGIES:
        raise ConfigError(f"Config strategy must be one of {distribution.STRATEGIES}, "
                          f"got {config.get('strategy')!r}.")
    if config["dataset"] not in DATASETS:
        raise ConfigError(f"Config dataset must be one of {DATASETS + (CATCH_DATASET,)}, "
                          f"got {config['dataset']!r}.")
    for key in ("epochs", "batch_size", "runs"):
        if config[key] < 1:
            raise ConfigError(f"Config setting {key!r} must be >= 1, got {config[key]}.")
    try:
        RecurrentAttentionModel(**config["model"])
    except (TypeError, ValueError) as error:
        raise ConfigError(f"Config setting 'model' is invalid: {error}") from None
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


# Model settings that decide the shapes of the weights: a model file must agree
# with the config it is evaluated under on all of them.
SHAPE_SETTINGS = ("image_shape", "screen_size", "num_classes", "glimpse_size", "num_scales",
                  "what_units", "where_units", "glimpse_units", "core_units", "core_type")


def model_task(metadata, configs_dir=DEFAULT_CONFIGS_DIR):
    """`(dataset, config name)` a model file was trained on, from its metadata.

    Older files store only the config name; the task is then read from that
    config module if it exists. Either may be None when unknown.
    """
    name = metadata.get("config")
    dataset = metadata.get("dataset")
    if dataset is None and isinstance(name, str) and name in list_configs(configs_dir):
        try:
            dataset = load_config(name, configs_dir)["dataset"]
        except ConfigError:
            dataset = None
    return dataset, name


def check_model_fits_config(model_config, metadata, config, model_path,
                            configs_dir=DEFAULT_CONFIGS_DIR):
    """Raises ConfigError if a model file belongs to another task or config.

    Args:
        model_config: the model's config (stored in the file).
        metadata: the file's metadata (`{"config": ..., "dataset": ...}`).
        config: the experiment config it is to be evaluated under.
        model_path: for the message.
    """
    dataset, trained_config = model_task(metadata, configs_dir)
    if dataset is not None and dataset != config["dataset"]:
        hint = f"; evaluate it with `python evaluate.py {trained_config} {model_path}`" \
            if trained_config in list_configs(configs_dir) else ""
        raise ConfigError(
            f"{model_path} was trained on another task: {dataset} (config {trained_config}), "
            f"but {config['name']} is the task {config['dataset']}{hint}"
        )
    differences = [
        f"{key} {model_config.get(key)!r} in the file, {config['model'].get(key)!r} in "
        f"{config['name']}"
        for key in SHAPE_SETTINGS
        if _as_json(model_config.get(key)) != _as_json(config["model"].get(key))
    ]
    if differences:
        raise ConfigError(
            f"{model_path} is from another config (wrong shapes for {config['name']}): "
            + "; ".join(differences)
        )


def parse_args(config, argv=None):
    parser = argparse.ArgumentParser(
        prog=f"python configs/{config['name']}.py",
        description=config.get("description", f"Train RAM: {config['name']}."),
    )
    parser.add_argument("--epochs", type=cli.positive_int, default=config["epochs"],
                        help="epochs per run (default %(default)s)")
    parser.add_argument("--runs", type=cli.positive_int, default=config["runs"],
                        help="independent runs with seeds seed, seed+1, ... (default %(default)s)")
    parser.add_argument("--batch-size", type=cli.positive_int, default=config["batch_size"],
                        help="training batch size (default %(default)s)")
    parser.add_argument("--limit", type=cli.positive_int, default=None,
                        help="use only the first N training images (default: all)")
    parser.add_argument("--seed", type=cli.non_negative_int, default=config["seed"],
                        help="seed of the first run (default %(default)s)")
    cli.add_run_flags(parser, REPO_ROOT)
    parser.add_argument("--glimpses", type=cli.positive_int, default=None,
                        help="glimpses per image (default: the config's, "
                             f"{config['model'].get('num_glimpses')})")
    parser.add_argument("--location-std", type=cli.positive_float, default=None,
                        help="standard deviation of the location policy (default: the "
                             f"config's, {config['model'].get('location_std')})")
    parser.add_argument("--random-glimpses", action="store_true",
                        help="ablation: uniformly random glimpse locations instead of the "
                             "learned policy")
    parser.add_argument("--strategy", choices=distribution.STRATEGIES,
                        default=config.get("strategy", "default"),
                        help="tf.distribute strategy: default (one device), mirrored (all local "
                             "GPUs or --devices), multi_worker (cluster from TF_CONFIG), tpu "
                             "(default %(default)s)")
    parser.add_argument("--devices", type=cli.device_list, default=None,
                        help="comma-separated devices for --strategy mirrored, e.g. "
                             "/gpu:0,/gpu:1 (default: all local GPUs)")
    parser.add_argument("--cpu-devices", type=cli.positive_int, default=None,
                        help="split the CPU into N logical devices (/cpu:0 ... ), to try "
                             "--strategy mirrored without GPUs; not faster")
    parser.add_argument("--jit", action=argparse.BooleanOptionalAction,
                        default=config.get("jit_compile", True),
                        help="compile the training step with XLA (default: %(default)s)")
    parser.add_argument("--mixed-precision", action="store_true",
                        help="compute in float16 with float32 weights (mixed_float16); "
                             "helps on GPUs with tensor cores, slows the CPU down")
    parser.add_argument("--test-limit", type=cli.positive_int, default=None,
                        help="evaluate on only the first N test images (quick checks; "
                             "default: all)")
    parser.add_argument("--tensorboard", metavar="DIR", default=None,
                        help="write TensorBoard logs to DIR/<config>/runK: scalars per epoch "
                             f"and glimpse pictures every {TENSORBOARD_IMAGE_EVERY} epochs "
                             "(view with `tensorboard --logdir DIR`)")
    return parser.parse_args(argv)


def load_task_data(config, limit=None, test_limit=None):
    """`(x_train, y_train), (x_test, y_test)` for the config's task.

    Training images are the uint8 28x28 digits (the pipeline places them on
    the canvas afresh every epoch, see `training_dataset`); test images are
    the task's fixed uint8 test set (`(N, S, S)` canvases for the translated
    and cluttered tasks, fixed by `test_seed`, clutter from test digits).
    """
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist()
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]
    if test_limit is not None:
        x_test, y_test = x_test[:test_limit], y_test[:test_limit]
    if config["dataset"] != "mnist":
        x_test = datasets.make_fixed_test_set(
            x_test, config["test_seed"], config["canvas_size"], config["clutter_pieces"]
        )
    return (x_train, y_train), (x_test, y_test)


def training_dataset(config, x_train, y_train, batch_size, seed, drop_remainder=False,
                     epochs=None, first_epoch=0):
    """The config's training pipeline: shuffled, placed and cluttered afresh every epoch.

    With `epochs`, one stream of epochs `first_epoch .. epochs - 1` whose
    draws depend only on `(seed, epoch)` (see `datasets.make_dataset`).
    """
    canvas = {}
    if config["dataset"] != "mnist":
        canvas = {
            "canvas_size": config["canvas_size"],
            "clutter_pieces": config["clutter_pieces"],
            "clutter_source": x_train,
        }
    return datasets.make_dataset(
        x_train, y_train, batch_size, shuffle=True, seed=seed,
        max_shift=config.get("max_shift", 0), drop_remainder=drop_remainder,
        epochs=epochs, first_epoch=first_epoch, **canvas,
    )


def apply_flags(config, args):
    """The config as these flags change it (glimpse count, random glimpses)."""
    model = dict(config["model"])
    if getattr(args, "glimpses", None) is not None:
        model["num_glimpses"] = args.glimpses
    if getattr(args, "location_std", None) is not None:
        model["location_std"] = args.location_std
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


class EpochRecorder(keras.callbacks.Callback):
    """Collects per-epoch metrics and wall time, and rewrites results.json.

    Args:
        on_update: called after every epoch (writes results.json).
        history: the history so far (a resumed run), else None.
        wall_time_offset: training seconds spent before this process (resume).
    """

    def __init__(self, on_update, history=None, wall_time_offset=0.0):
        super().__init__()
        self.history = history if history is not None else {"epoch": [], "wall_time_s": []}
        self.on_update = on_update
        self.wall_time_offset = wall_time_offset
        self.start = time.time()

    def on_train_begin(self, logs=None):
        self.start = time.time()

    def wall_time(self):
        """Training seconds of this run so far, across resumes."""
        return self.wall_time_offset + time.time() - self.start

    def on_epoch_end(self, epoch, logs=None):
        self.history["epoch"].append(epoch + 1)
        self.history["wall_time_s"].append(round(self.wall_time(), 2))
        for key, value in (logs or {}).items():
            name = key.replace("val_", "test_") if key.startswith("val_") else f"train_{key}"
            self.history.setdefault(name, []).append(float(value))
        self.on_update()


def summarize(runs, key):
    values = [r["final"][key] for r in runs if r.get("final", {}).get(key) is not None]
    if not values:
        return None
    return {"mean": float(np.mean(values)), "std": float(np.std(values)), "n": len(values)}


def _as_json(value):
    return json.loads(json.dumps(value))


def _completed_runs(results_path, effective):
    """Runs already finished by an earlier invocation of the same command."""
    try:
        with open(results_path) as f:
            previous = json.load(f)
    except (OSError, ValueError):
        return {}
    if not isinstance(previous, dict) or previous.get("config") != effective:
        return {}
    return {
        run["run"]: run for run in previous.get("runs", [])
        if isinstance(run, dict) and run.get("final") and "stopped" not in run
    }


def run_experiment(config, args, strategy=None):
    """Trains `args.runs` models and writes models/ and results/; returns the results.

    Holds a lock on `<out>/checkpoints/<name>/` while it runs (a second run
    writing to the same place gets `OutputLockedError`). Raises
    `CheckpointError` for an interrupted run's checkpoint met without
    `--resume`/`--restart`, and `NonFiniteLossError` when the loss becomes
    NaN or inf (after saving the last good model).
    """
    config = apply_flags(config, args)
    if strategy is None:
        strategy = distribution.make_strategy(getattr(args, "strategy", "default"),
                                              getattr(args, "devices", None))
    if not distribution.is_chief():
        # Every worker trains; only the chief's models and results are kept in --out.
        # The others write theirs (and their checkpoints, for --resume) beside it.
        args = argparse.Namespace(**vars(args))
        args.out = os.path.join(args.out, "workers", distribution.worker_name())
    policy = keras.mixed_precision.global_policy()
    if getattr(args, "mixed_precision", False):
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        with OutputLock(os.path.join(args.out, "checkpoints", config["name"])):
            return _run_experiment(config, args, strategy)
    finally:
        keras.mixed_precision.set_global_policy(policy)


def _run_experiment(config, args, strategy):
    name = config["name"]
    models_dir = os.path.join(args.out, "models", name)
    results_path = os.path.join(args.out, "results", name, "results.json")
    checkpoints_dir = os.path.join(args.out, "checkpoints", name)
    verbose = args.verbose
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    test_limit = getattr(args, "test_limit", None)
    resume, restart = getattr(args, "resume", False), getattr(args, "restart", False)
    (x_train, y_train), (x_test, y_test) = load_task_data(config, args.limit, test_limit)
    batch_size = args.batch_size
    steps_per_epoch = int(np.ceil(len(x_train) / batch_size))
    jit_compile = getattr(args, "jit", config.get("jit_compile", True))
    if jit_compile and not distribution.supports_xla(strategy):
        print(f"[{name}] note: XLA has no cross-device collectives on CPUs, so the "
              f"{getattr(args, 'strategy', 'default')} strategy trains without XLA here",
              flush=True)
        jit_compile = False
    effective = _as_json(dict(
        config, epochs=args.epochs, batch_size=batch_size, runs=args.runs, seed=args.seed,
        limit=args.limit, test_limit=test_limit, jit_compile=jit_compile,
        strategy=getattr(args, "strategy", "default"), replicas=strategy.num_replicas_in_sync,
        mixed_precision=bool(getattr(args, "mixed_precision", False)),
    ))
    results = {"config": effective, "runs": []}
    completed = _completed_runs(results_path, effective) if resume else {}

    def write():
        results["summary"] = {
            "test_accuracy": summarize(results["runs"], "test_accuracy"),
            "test_accuracy_monte_carlo": summarize(results["runs"], "test_accuracy_monte_carlo"),
        }
        atomic_write_json(results_path, results)

    for run_index in range(args.runs):
        if run_index in completed:
            results["runs"].append(completed[run_index])
            print(f"[{name}] run {run_index + 1}/{args.runs} already finished "
                  f"({completed[run_index]['model_path']})", flush=True)
            continue
        seed = args.seed + run_index
        checkpoint_dir = os.path.join(checkpoints_dir, f"run{run_index}")
        state = read_checkpoint(checkpoint_dir)
        if state is not None and restart:
            remove_checkpoint(checkpoint_dir)
            state = None
        if state is not None and not resume:
            raise CheckpointError(
                f"an interrupted run left a checkpoint in {checkpoint_dir} (epoch "
                f"{state['epoch']} of {state['settings'].get('epochs')}); add --resume to "
                "continue it, or --restart to discard it and start afresh"
            )
        if resume:
            # In a cluster, every worker resumes from the epoch all of them have saved.
            own = state["epoch"] if state else 0
            common = distribution.agree_on_epoch(strategy, own)
            if common != own:
                print(f"[{name}] this worker saved epoch {own}; the cluster resumes after "
                      f"epoch {common}", flush=True)
            if state is not None and common != state["epoch"]:
                state = read_checkpoint(checkpoint_dir, epoch=common) if common else None
        if state is not None:
            check_checkpoint_settings(state, effective, checkpoint_dir)
        keras.utils.set_random_seed(seed)
        with strategy.scope():
            model = build_model(dict(config["model"], seed=seed))
            model.compile(
                optimizer=make_optimizer(config, steps_per_epoch, args.epochs),
                jit_compile=jit_compile,
            )
            model.optimizer.build(model.trainable_variables)
        initial_epoch, history, wall_offset = 0, None, 0.0
        if state is not None:
            restore_checkpoint(model, checkpoint_dir, state)
            initial_epoch, history = state["epoch"], state["history"]
            wall_offset = state["wall_time_s"]
        run = {"run": run_index, "seed": seed, "history": None, "final": {}}
        recorder = EpochRecorder(write, history, wall_offset)
        callbacks = [
            StopOnNonFiniteLoss(),
            recorder,
            EpochCheckpoint(checkpoint_dir, effective, recorder.history, recorder.wall_time),
        ]
        if getattr(args, "tensorboard", None):
            callbacks.append(TensorBoardLogger(
                os.path.join(args.tensorboard, name, f"run{run_index}"),
                images=datasets.to_float_images(x_test[:TENSORBOARD_IMAGES]),
                labels=y_test[:TENSORBOARD_IMAGES],
                image_every=TENSORBOARD_IMAGE_EVERY,
            ))
        run["history"] = recorder.history
        results["runs"].append(run)
        start = time.time()
        if initial_epoch < args.epochs:
            resumed = f", resuming after epoch {initial_epoch}" if initial_epoch else ""
            print(f"[{name}] run {run_index + 1}/{args.runs}, seed {seed}: "
                  f"{len(x_train)} training images, {args.epochs} epochs{resumed}", flush=True)
            train_data = distribution.shard_by_data(training_dataset(
                config, x_train, y_train, batch_size, seed,
                epochs=args.epochs, first_epoch=initial_epoch))
            test_data = distribution.shard_by_data(datasets.make_dataset(x_test, y_test, 1000))
            try:
                model.fit(train_data, epochs=args.epochs, initial_epoch=initial_epoch, shuffle=False,
                          steps_per_epoch=steps_per_epoch, validation_data=test_data,
                          callbacks=callbacks, verbose=verbose)
            except NonFiniteLossError as error:
                _keep_last_good_model(model, error, run, checkpoint_dir, models_dir, name, seed,
                                      config, args.out)
                write()
                raise
        run["train_wall_time_s"] = round(recorder.wall_time(), 2)
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
        save_model(model, model_path, metadata=_model_metadata(config, seed))
        run["model_path"] = os.path.relpath(model_path, args.out)
        run["wall_time_s"] = round(wall_offset + time.time() - start, 2)
        write()
        remove_checkpoint(checkpoint_dir)
        mc_text = f", Monte-Carlo ({config['mc_samples']} paths) {monte_carlo:.4f}" if monte_carlo is not None else ""
        print(f"[{name}] run {run_index + 1}: test accuracy {deterministic:.4f} "
              f"(deterministic){mc_text}; model {model_path}", flush=True)
    print(f"[{name}] results: {results_path}", flush=True)
    return results


def _model_metadata(config, seed, **extra):
    return {"config": config["name"], "dataset": config["dataset"], "seed": seed, **extra}


def _keep_last_good_model(model, error, run, checkpoint_dir, models_dir, name, seed, config, out):
    """After a non-finite loss: save the last checkpointed model, note it in `run`."""
    state = read_checkpoint(checkpoint_dir)
    run["stopped"] = str(error)
    if state is None:
        run["model_path"] = None
        error.kept = "no epoch had finished, so there is no good model to keep"
        return
    restore_checkpoint(model, checkpoint_dir, state)
    model_path = os.path.join(models_dir, f"run{run['run']}.weights.h5")
    save_model(model, model_path, metadata=_model_metadata(
        config, seed, stopped=str(error), epochs_completed=state["epoch"]))
    run["model_path"] = os.path.relpath(model_path, out)
    error.kept = f"kept the model of epoch {state['epoch']}, the last good one: {model_path}"


def main(config, argv=None):
    """Entry point of a config module: parse flags, train, report.

    Problems a user can fix (a bad config, a locked output folder, a stale
    checkpoint, a loss that became NaN) end the process with a one-line
    `error: ...` message and exit status 1.
    """
    try:
        check_required_settings(config)
        args = parse_args(config, argv)
        # Logical CPUs and multi-worker collectives must be set up before TensorFlow
        # creates its first tensor (validate_config already builds a model).
        if args.cpu_devices:
            distribution.split_cpu(args.cpu_devices)
        strategy = distribution.make_strategy(args.strategy, args.devices)
        config = validate_config(dict(config))
    except (ConfigError, distribution.StrategyError) as error:
        sys.exit(f"error: {error}")
    try:
        return run_experiment(config, args, strategy)
    except (ConfigError, CheckpointError, OutputLockedError, datasets.DatasetNotFoundError,
            distribution.StrategyError) as error:
        sys.exit(f"error: {error}")
    except OSError as error:  # e.g. --out not writable, disk full
        sys.exit(cli.os_error_message(error))
    except NonFiniteLossError as error:
        sys.exit(f"error: training stopped: {error}; {getattr(error, 'kept', '')}. "
                 "Try a lower learning rate or clipnorm in the config.")
