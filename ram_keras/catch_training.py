"""Trains a CatchAgent as a config module describes it (`configs/run_catch.py`).

Games are identified by keys `(seed, game_id)` (see `ram_keras.catch`):
training run `seed` plays games `0, 1, 2, ...` of stream `seed`, a new batch of
`batch_size` games for every update, so no game is replayed; after every epoch
the greedy agent (most probable action, mean location) plays the
`test_episodes` games `0 .. test_episodes - 1` of stream `test_seed`, which is
never a training stream. Writes `<out>/models/<name>/run0.weights.h5` (after
every epoch, so a stopped run keeps its last model) and
`<out>/results/<name>/results.json` (atomically, after every epoch), and
keeps a checkpoint of the last epoch (model, Adam state, random state) in
`<out>/checkpoints/<name>/run0/` until the run ends, from which `--resume`
continues a killed run exactly (see `ram_keras.training_state`).
"""

import argparse
import json
import os
import sys
import time

import keras
import numpy as np
import tensorflow as tf

from ram_keras import cli
from ram_keras.catch import CatchGame, game_keys, play_random_agent
from ram_keras.catch_agent import CatchAgent
from ram_keras.experiment import ConfigError, check_required_settings
from ram_keras.saving import save_model
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

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATASET = "catch"
REQUIRED_SETTINGS = {
    "name": str,
    "dataset": str,
    "model": dict,
    "epochs": int,
    "steps_per_epoch": int,
    "batch_size": int,
    "learning_rate": float,
    "seed": int,
    "test_seed": int,
    "test_episodes": int,
}
# The full-screen reference: one 24x24 glimpse at the centre, no location policy.
FULL_SCREEN_MODEL = {"glimpse_size": 24, "num_scales": 1, "location_policy": "centre"}
MAX_KEY = 2**32


class CatchConfigError(ConfigError):
    """A Catch config that cannot be used; the message says which setting and why."""


def validate_config(config):
    """Returns the config if every setting is usable, else raises CatchConfigError."""
    try:
        check_required_settings(config, REQUIRED_SETTINGS)
    except ConfigError as error:
        raise CatchConfigError(str(error)) from None
    if config["dataset"] != DATASET:
        raise CatchConfigError(f"Config dataset must be {DATASET!r}, got {config['dataset']!r}.")
    if not config["learning_rate"] > 0:
        raise CatchConfigError(
            f"Config setting 'learning_rate' must be > 0, got {config['learning_rate']!r}.")
    for key in ("epochs", "steps_per_epoch", "batch_size", "test_episodes"):
        if config[key] < 1:
            raise CatchConfigError(f"Config setting {key!r} must be >= 1, got {config[key]}.")
    for key in ("seed", "test_seed"):
        if not 0 <= config[key] < MAX_KEY:
            raise CatchConfigError(f"Config setting {key!r} must be in [0, 2**32), got {config[key]}.")
    if config["seed"] == config["test_seed"]:
        raise CatchConfigError("Config seed and test_seed must differ (training and test games "
                               "would be the same).")
    target = config.get("target_reward")
    if target is not None and (isinstance(target, bool) or not isinstance(target, (int, float))
                               or not 0 < target <= 1):
        raise CatchConfigError(f"Config setting 'target_reward' must be in (0, 1], got {target!r}.")
    try:
        CatchAgent(**config["model"])
    except (TypeError, ValueError) as error:
        raise CatchConfigError(f"Config setting 'model' is invalid: {error}") from None
    return config


def parse_args(config, argv=None):
    parser = argparse.ArgumentParser(
        prog=f"python configs/{config['name']}.py",
        description=config.get("description", f"Train a CatchAgent: {config['name']}."),
    )
    parser.add_argument("--epochs", type=cli.positive_int, default=config["epochs"],
                        help="epochs (default %(default)s)")
    parser.add_argument("--steps-per-epoch", type=cli.positive_int,
                        default=config["steps_per_epoch"],
                        help="updates per epoch, each on a new batch of games "
                             "(default %(default)s)")
    parser.add_argument("--batch-size", type=cli.positive_int, default=config["batch_size"],
                        help="games played in parallel per update (default %(default)s)")
    parser.add_argument("--learning-rate", type=cli.positive_float,
                        default=float(config["learning_rate"]),
                        help="Adam's learning rate (default %(default)s)")
    parser.add_argument("--seed", type=cli.non_negative_int, default=config["seed"],
                        help="seed of the run: its training games and its samplers, < 2**32 "
                             "(default %(default)s)")
    parser.add_argument("--test-episodes", type=cli.positive_int,
                        default=config["test_episodes"],
                        help="fresh games the greedy agent plays after every epoch "
                             "(default %(default)s)")
    parser.add_argument("--full-screen", action="store_true",
                        help="reference agent: one 24x24 glimpse of the whole screen, no "
                             "location policy (results under <name>_full_screen)")
    parser.add_argument("--jit", action=argparse.BooleanOptionalAction,
                        default=config.get("jit_compile", False),
                        help="compile the training step with XLA (default: %(default)s)")
    cli.add_run_flags(parser, REPO_ROOT)
    return parser.parse_args(argv)


def apply_flags(config, args):
    """The config as the flags change it; `--full-screen` also renames it."""
    config = dict(config, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
                  batch_size=args.batch_size, learning_rate=args.learning_rate,
                  seed=args.seed, test_episodes=args.test_episodes, jit_compile=args.jit)
    if args.full_screen:
        config["name"] = f"{config['name']}_full_screen"
        config["model"] = dict(config["model"], **FULL_SCREEN_MODEL)
    return validate_config(config)


def training_games(seed, batch_size, first_step, steps):
    """Keys of the training games, one batch `(batch_size, 2)` per update."""
    first_game = first_step * batch_size
    ids = tf.data.Dataset.range(first_game, first_game + steps * batch_size).batch(batch_size)

    def keys_of(game_ids):
        return tf.stack([tf.fill(tf.shape(game_ids), np.int64(seed)), game_ids], axis=1)

    return ids.map(keys_of)


def test_games(config):
    """Keys `(test_episodes, 2)` of the games the agent is judged on."""
    return game_keys(config["test_seed"], 0, config["test_episodes"])


def make_optimizer(config, total_steps):
    """Adam; a cosine decay to `final_learning_rate_fraction` if the config asks for one."""
    learning_rate = float(config["learning_rate"])
    if config.get("cosine_decay", False):
        learning_rate = keras.optimizers.schedules.CosineDecay(
            learning_rate, decay_steps=max(1, total_steps),
            alpha=config.get("final_learning_rate_fraction", 0.0),
        )
    return keras.optimizers.Adam(learning_rate=learning_rate, clipnorm=config.get("clipnorm"))


def build_agent(config, seed):
    """A built, compiled CatchAgent for this config."""
    agent = CatchAgent(**dict(config["model"], seed=seed)).build_all()
    total_steps = config["epochs"] * config["steps_per_epoch"]
    agent.compile(optimizer=make_optimizer(config, total_steps),
                  jit_compile=config.get("jit_compile", False))
    return agent


def evaluate_agent(agent, keys, batch_size=1000):
    """Fraction of the games with these keys the greedy agent catches."""
    return float(np.mean(agent.play(keys, deterministic=True, batch_size=batch_size)["rewards"]))


class CatchRecorder(keras.callbacks.Callback):
    """After every epoch: records the metrics, saves the model, rewrites results.json.

    Args:
        history: the metric history dict (of a resumed run, or empty lists).
        write, save: called after every epoch (results.json, the model).
        games_per_epoch: int, training games per epoch.
        wall_time_offset: training seconds spent before this process (resume).
    """

    def __init__(self, history, write, save, games_per_epoch, wall_time_offset=0.0):
        super().__init__()
        self.history = history
        self.write = write
        self.save = save
        self.games_per_epoch = games_per_epoch
        self.wall_time_offset = wall_time_offset
        self.start = time.time()

    def on_train_begin(self, logs=None):
        self.start = time.time()

    def wall_time(self):
        """Training seconds of this run so far, across resumes."""
        return self.wall_time_offset + time.time() - self.start

    def on_epoch_end(self, epoch, logs=None):
        self.history["epoch"].append(epoch + 1)
        self.history["episodes"].append((epoch + 1) * self.games_per_epoch)
        self.history["wall_time_s"].append(round(self.wall_time(), 2))
        for key, value in (logs or {}).items():
            name = key.replace("val_", "test_") if key.startswith("val_") else f"train_{key}"
            self.history.setdefault(name, []).append(float(value))
        self.save()
        self.write()


def first_epoch_reaching(history, target):
    """`(epoch, episodes, wall_time_s)` of the first epoch whose test reward >= target."""
    for i, reward in enumerate(history.get("test_reward", [])):
        if reward >= target:
            return {"epoch": history["epoch"][i], "episodes": history["episodes"][i],
                    "wall_time_s": history["wall_time_s"][i]}
    return None


def run_training(config, args):
    """Trains one agent as `config` and the flags say; returns the results dict.

    Holds a lock on `<out>/checkpoints/<name>/` while it runs and keeps a
    checkpoint of every epoch there (model, optimizer and random state) until
    the run ends, so that `--resume` continues a killed run exactly.
    """
    config = apply_flags(config, args)
    with OutputLock(os.path.join(args.out, "checkpoints", config["name"])):
        return _run_training(config, args)


def _run_training(config, args):
    name, seed = config["name"], config["seed"]
    model_path = os.path.join(args.out, "models", name, "run0.weights.h5")
    results_path = os.path.join(args.out, "results", name, "results.json")
    checkpoint_dir = os.path.join(args.out, "checkpoints", name, "run0")
    verbose = args.verbose
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    settings = json.loads(json.dumps(config))
    state = read_checkpoint(checkpoint_dir)
    if state is not None and getattr(args, "restart", False):
        remove_checkpoint(checkpoint_dir)
        state = None
    if state is not None and not getattr(args, "resume", False):
        raise CheckpointError(
            f"an interrupted run left a checkpoint in {checkpoint_dir} (epoch {state['epoch']} "
            f"of {state['settings'].get('epochs')}); add --resume to continue it, or "
            "--restart to discard it and start afresh")
    if state is not None:
        check_checkpoint_settings(state, settings, checkpoint_dir)

    games_per_epoch = config["steps_per_epoch"] * config["batch_size"]
    test_keys = test_games(config)
    random_reward = play_random_agent(CatchGame(config["model"].get("screen_size", 24)),
                                      test_keys, seed=config["test_seed"])
    keras.utils.set_random_seed(seed)
    agent = build_agent(config, seed)
    initial_epoch, history, wall_offset = 0, None, 0.0
    if state is not None:
        restore_checkpoint(agent, checkpoint_dir, state)
        initial_epoch, history, wall_offset = state["epoch"], state["history"], state["wall_time_s"]
    metadata = {"config": name, "dataset": DATASET, "seed": seed}
    results = {
        "config": settings,
        "model_path": os.path.relpath(model_path, args.out),
        "reference": {"random_agent_test_reward": random_reward},
        "history": history or {"epoch": [], "episodes": [], "wall_time_s": []},
        "final": {},
    }

    def write():
        atomic_write_json(results_path, results)

    recorder = CatchRecorder(results["history"], write,
                             lambda: save_model(agent, model_path, metadata),
                             games_per_epoch, wall_offset)
    callbacks = [
        StopOnNonFiniteLoss(),
        recorder,
        EpochCheckpoint(checkpoint_dir, settings, recorder.history, recorder.wall_time),
    ]
    resumed = f", resuming after epoch {initial_epoch}" if initial_epoch else ""
    print(f"[{name}] seed {seed}: {config['epochs']} epochs of {config['steps_per_epoch']} "
          f"updates x {config['batch_size']} games{resumed}; test: {config['test_episodes']} "
          f"games of stream {config['test_seed']} (random agent {random_reward:.3f})",
          flush=True)
    if initial_epoch < config["epochs"]:
        total_steps = config["epochs"] * config["steps_per_epoch"]
        first_step = initial_epoch * config["steps_per_epoch"]
        agent.fit(
            training_games(seed, config["batch_size"], first_step, total_steps - first_step),
            shuffle=False,  # the stream of games is the order; silences Keras's warning
            epochs=config["epochs"], initial_epoch=initial_epoch,
            steps_per_epoch=config["steps_per_epoch"],
            validation_data=tf.data.Dataset.from_tensors(test_keys),
            callbacks=callbacks, verbose=verbose,
        )
    if recorder.history.get("test_reward"):
        # The last epoch's greedy play on the test games: the final agent's.
        test_reward = recorder.history["test_reward"][-1]
    else:
        test_reward = evaluate_agent(agent, test_keys)
    results["final"] = {
        "test_reward": test_reward,
        "test_episodes": config["test_episodes"],
        "training_episodes": config["epochs"] * games_per_epoch,
        "train_wall_time_s": recorder.history["wall_time_s"][-1],
        "target_reward": config.get("target_reward"),
        "first_epoch_reaching_target": (
            first_epoch_reaching(recorder.history, config["target_reward"])
            if config.get("target_reward") is not None else None),
    }
    save_model(agent, model_path, metadata)
    write()
    remove_checkpoint(checkpoint_dir)
    print(f"[{name}] caught {test_reward:.4f} of {config['test_episodes']} test games "
          f"(greedy); model {model_path}; results {results_path}", flush=True)
    return results


def main(config, argv=None):
    """Entry point of a Catch config module: parse flags, train, report.

    Problems a user can fix (a bad config, a locked output folder, a stale
    checkpoint, a loss that became NaN, an unwritable output folder) end the
    process with a one-line `error: ...` message and exit status 1.
    """
    try:
        config = validate_config(dict(config))
    except CatchConfigError as error:
        sys.exit(f"error: {error}")
    args = parse_args(config, argv)
    try:
        return run_training(config, args)
    except (CatchConfigError, CheckpointError, OutputLockedError) as error:
        sys.exit(f"error: {error}")
    except NonFiniteLossError as error:
        sys.exit(f"error: training stopped: {error}; the model of the last good epoch is in "
                 "models/ and its checkpoint in checkpoints/. Try a lower learning rate.")
    except OSError as error:
        sys.exit(cli.os_error_message(error))
