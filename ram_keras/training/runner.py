"""The runner behind every config: train, evaluate, save; the same for every task.

A config module (configs/run_*.py) holds one dict `CONFIG` and calls
`main(CONFIG)` when run. The task its `dataset` names (`ram_keras.tasks`) says
what the data, the model and the final evaluation are; everything else is
here, once:

- flags (`ram_keras.training.cli`), the tf.distribute strategy and XLA;
- a lock on `<out>/checkpoints/<name>/` while a run writes there, a checkpoint
  of every epoch for `--resume`, and a stop at the first non-finite loss that
  keeps the last good model (`ram_keras.training.checkpoints`);
- `model.fit` with the validation data of the task after every epoch;
- `<out>/models/<name>/runK.weights.h5` and `<out>/results/<name>/results.json`.

results.json (the same shape for every task): `task`, `config` (the settings
after the flags), `reference` (task figures such as a random agent's), and
`runs`, each with `run`, `seed`, `history` (per epoch: `epoch`,
`wall_time_s`, `train_<metric>` of the sampled episodes, `val_<metric>` of the
validation data with the deterministic policy), `final` (the task's final
evaluation on the validation and the test data, and the first epoch reaching
the config's target), `final_without_averaging` (with `weight_averaging`: the
same evaluation of the last weights instead of their average), `model_path`,
`train_wall_time_s` and `wall_time_s`;
and `summary`, the mean and std over runs of every number in `final`.
"""

import argparse
import dataclasses
import json
import os
import sys
import time

import keras

from ram_keras.data import DatasetNotFoundError
from ram_keras.saving import save_model
from ram_keras.tasks import task_for
from ram_keras.training import cli, distribution
from ram_keras.training.averaging import AveragedWeights, holding_weights
from ram_keras.training.location_std import FinalLocationStd
from ram_keras.training.checkpoints import (
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
from ram_keras.training.configs import ConfigError, as_json, check_common_settings
from ram_keras.training.history import EpochRecorder, summarize
from ram_keras.training.optimizers import make_optimizer


def _completed_runs(results_path, effective):
    """Runs already finished by an earlier invocation of the same command."""
    try:
        with open(results_path) as f:
            previous = json.load(f)
    except (OSError, ValueError):
        return {}
    if not isinstance(previous, dict) or previous.get("config") != effective:
        return {}
    return {run["run"]: run for run in previous.get("runs", [])
            if isinstance(run, dict) and run.get("final") and "stopped" not in run}


def steps_per_call(steps_per_epoch, steps_per_execution):
    """The steps per call of the compiled training function: the largest divisor of
    `steps_per_epoch` that is at most `steps_per_execution`.

    Keras runs whole calls, so a call that does not divide the epoch would run past
    its end into the next epoch's batches (10 steps in calls of 3 run 12); calls
    that divide it train exactly the steps that one step per call trains.
    """
    return max(n for n in range(1, min(steps_per_epoch, steps_per_execution) + 1)
               if steps_per_epoch % n == 0)


def checkpoint_to_resume(checkpoint_dir, effective, args, strategy, name):
    """The checkpoint state this run continues from, or None to start afresh.

    Raises CheckpointError for an interrupted run's checkpoint met without
    `--resume`/`--restart`, or one made by a different command. In a cluster
    every worker resumes from the last epoch all of them have saved.
    """
    state = read_checkpoint(checkpoint_dir)
    if state is not None and args.restart:
        remove_checkpoint(checkpoint_dir)
        state = None
    if state is not None and not args.resume:
        _refuse_checkpoint(checkpoint_dir, state)
    if args.resume:
        own = state["epoch"] if state else 0
        common = distribution.agree_on_epoch(strategy, own)
        if common != own:
            print(f"[{name}] this worker saved epoch {own}; the cluster resumes after "
                  f"epoch {common}", flush=True)
        if state is not None and common != state["epoch"]:
            state = read_checkpoint(checkpoint_dir, epoch=common) if common else None
    if state is not None:
        check_checkpoint_settings(state, effective, checkpoint_dir)
    return state


def _refuse_checkpoint(checkpoint_dir, state):
    raise CheckpointError(
        f"an interrupted run left a checkpoint in {checkpoint_dir} (epoch "
        f"{state['epoch']} of {state['settings'].get('epochs')}); add --resume to "
        "continue it, or --restart to discard it and start afresh")


def parse_args(config, task, argv=None):
    parser = argparse.ArgumentParser(
        prog=f"python configs/{config['name']}.py",
        description=config.get("description", f"Train RAM: {config['name']}."))
    cli.add_training_flags(parser, config)
    task.add_flags(parser, config)
    return parser.parse_args(argv)


def apply_flags(config, args, task):
    """The config as the flags change it (the common ones, then the task's)."""
    config = dict(config, epochs=args.epochs, runs=args.runs, batch_size=args.batch_size,
                  learning_rate=args.learning_rate, seed=args.seed,
                  gradient_clip_norm=args.gradient_clip_norm or None,
                  weight_averaging=args.weight_averaging or None,
                  final_location_std=args.final_location_std,
                  final_location_std_epochs=args.final_location_std_epochs,
                  steps_per_execution=args.steps_per_execution)
    return task.apply_flags(config, args)


def run_experiment(config, args, strategy=None, task=None):
    """Trains `args.runs` models as `config` and the flags say; returns the results dict.

    Holds a lock on `<out>/checkpoints/<name>/` while it runs (a second run
    writing to the same place gets `OutputLockedError`). Raises
    `CheckpointError` for an interrupted run's checkpoint met without
    `--resume`/`--restart`, and `NonFiniteLossError` when the loss becomes
    NaN or inf (after saving the last good model).
    """
    task = task or task_for(config)
    config = task.validate(apply_flags(config, args, task))
    if strategy is None:
        strategy = distribution.make_strategy(args.strategy, args.devices)
    if not distribution.is_chief():
        # Every worker trains; only the chief's models and results are kept in --out.
        # The others write theirs (and their checkpoints, for --resume) beside it.
        args = argparse.Namespace(**vars(args))
        args.out = os.path.join(args.out, "workers", distribution.worker_name())
    policy = keras.mixed_precision.global_policy()
    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        with OutputLock(os.path.join(args.out, "checkpoints", config["name"])):
            return _run_experiment(config, args, strategy, task)
    finally:
        keras.mixed_precision.set_global_policy(policy)


@dataclasses.dataclass
class Experiment:
    """What every run of one command shares: the settings, the data, the output paths."""

    config: dict
    args: argparse.Namespace
    strategy: object
    task: object
    data: object
    steps_per_epoch: int
    steps_per_execution: int
    jit_compile: bool
    verbose: int
    effective: dict  # the settings as recorded in results.json (config, flags, strategy)

    @property
    def name(self):
        return self.config["name"]

    @property
    def models_dir(self):
        return os.path.join(self.args.out, "models", self.name)

    @property
    def results_path(self):
        return os.path.join(self.args.out, "results", self.name, "results.json")

    def checkpoint_dir(self, run_index):
        return os.path.join(self.args.out, "checkpoints", self.name, f"run{run_index}")


def _run_experiment(config, args, strategy, task):
    experiment = _prepare_experiment(config, args, strategy, task)
    name, results_path = experiment.name, experiment.results_path
    results = {"task": task.name, "config": experiment.effective,
               "reference": task.reference(config, experiment.data), "runs": []}
    completed = _completed_runs(results_path, experiment.effective) if args.resume else {}
    if not args.resume and not args.restart:
        # Before anything trains: a later run's leftover checkpoint must not be found only
        # after the earlier runs have trained again (and their models were moved aside).
        for run_index in range(config["runs"]):
            state = read_checkpoint(experiment.checkpoint_dir(run_index))
            if state is not None:
                _refuse_checkpoint(experiment.checkpoint_dir(run_index), state)

    def write():
        results["summary"] = summarize(results["runs"])
        atomic_write_json(results_path, results)

    for run_index in range(config["runs"]):
        if run_index in completed:
            results["runs"].append(completed[run_index])
            print(f"[{name}] run {run_index + 1}/{config['runs']} already finished "
                  f"({completed[run_index]['model_path']})", flush=True)
            continue
        _train_run(experiment, run_index, results, write)
    print(f"[{name}] results: {results_path}", flush=True)
    return results


def _prepare_experiment(config, args, strategy, task):
    """Data: the task's data, the steps of an epoch and of a call, XLA, what results.json
    records as the settings."""
    name = config["name"]
    verbose = args.verbose if args.verbose is not None else (1 if sys.stdout.isatty() else 2)
    data = task.load_data(config, args)
    steps_per_epoch = task.steps_per_epoch(config, data)
    jit_compile = args.jit
    steps_per_execution = steps_per_call(steps_per_epoch, config["steps_per_execution"])
    if steps_per_execution > 1 and args.strategy in ("mirrored", "multi_worker"):
        # Keras's loop of several steps per call fails to run under these strategies
        # (TensorFlow 2.21: "You must feed a value for placeholder tensor ... while/cond").
        print(f"[{name}] note: the {args.strategy} strategy trains one step per call of the "
              "training function (several per call fail under it)", flush=True)
        steps_per_execution = 1
    elif steps_per_execution != config["steps_per_execution"]:
        print(f"[{name}] note: {steps_per_execution} steps per call of the training function, "
              f"the largest number up to the {config['steps_per_execution']} asked for that "
              f"divides the {steps_per_epoch} steps of an epoch", flush=True)
    if jit_compile and not distribution.supports_xla(strategy):
        print(f"[{name}] note: XLA has no cross-device collectives on CPUs, so the "
              f"{args.strategy} strategy trains without XLA here", flush=True)
        jit_compile = False
    effective = as_json(dict(
        config, **task.run_settings(args), jit_compile=jit_compile, strategy=args.strategy,
        replicas=strategy.num_replicas_in_sync, mixed_precision=bool(args.mixed_precision)))
    return Experiment(config, args, strategy, task, data, steps_per_epoch, steps_per_execution,
                      jit_compile, verbose, effective)


def _train_run(experiment, run_index, results, write):
    """One run: its model (resumed from a checkpoint or new), `fit`, the final evaluation,
    the model file and results.json."""
    config, args, name = experiment.config, experiment.args, experiment.name
    seed = config["seed"] + run_index
    checkpoint_dir = experiment.checkpoint_dir(run_index)
    state = checkpoint_to_resume(checkpoint_dir, experiment.effective, args,
                                 experiment.strategy, name)
    if run_index == 0 and state is None:
        # A fresh start (also a --resume that found nothing to continue: other settings,
        # or no checkpoint) never overwrites what an earlier command trained.
        if args.resume:
            print(f"[{name}] nothing to resume for run 1 (no checkpoint and no finished run of "
                  "these settings): starting afresh", flush=True)
        keep_earlier_outputs(experiment.models_dir, experiment.results_path, name)
    keras.utils.set_random_seed(seed)
    model = _compiled_model(experiment, seed)
    initial_epoch, history, wall_offset = 0, None, 0.0
    if state is not None:
        restore_checkpoint(model, checkpoint_dir, state)
        initial_epoch, history, wall_offset = state["epoch"], state["history"], \
            state["wall_time_s"]
        resume_location_std(model, config, initial_epoch)
    run = {"run": run_index, "seed": seed, "history": None, "final": {}}
    recorder = EpochRecorder(write, history, wall_offset, experiment.task.
                             sampled_paths_per_epoch(config, experiment.data))
    callbacks, averaging = _callbacks(experiment, run_index, checkpoint_dir, recorder)
    run["history"] = recorder.history
    results["runs"].append(run)
    start = time.time()
    if initial_epoch < config["epochs"]:
        try:
            _fit(experiment, model, run_index, seed, initial_epoch, callbacks)
        except NonFiniteLossError as error:
            _keep_last_good_model(model, error, run, checkpoint_dir, experiment.models_dir,
                                  config, seed, args.out)
            write()
            raise
    run["train_wall_time_s"] = round(recorder.wall_time(), 2)
    _final_evaluation(experiment, model, run, recorder, averaging)
    model_path = _save_outputs(experiment, model, run, seed, start, wall_offset, write)
    remove_checkpoint(checkpoint_dir)
    print(f"[{name}] run {run_index + 1}: {experiment.task.describe_final(run['final'])}; "
          f"model {model_path}", flush=True)


def resume_location_std(model, config, initial_epoch):
    """A run resumed after `initial_epoch` epochs inside the last phase of
    `final_location_std` (even after its last epoch, where `fit` and its
    `FinalLocationStd` callback do not run) samples with that phase's std, as the
    uninterrupted run did."""
    if config.get("final_location_std") is not None and \
            initial_epoch >= config["epochs"] - config["final_location_std_epochs"]:
        model.location_sampler.std = config["final_location_std"]


def _compiled_model(experiment, seed):
    """Model: the task's model, compiled with the optimizer built, in the strategy's scope."""
    config = experiment.config
    with experiment.strategy.scope():
        model = experiment.task.build_model(config, seed)
        model.compile(optimizer=make_optimizer(
            config, experiment.steps_per_epoch * config["epochs"], experiment.steps_per_epoch),
            jit_compile=experiment.jit_compile,
            steps_per_execution=experiment.steps_per_execution)
        model.optimizer.build(model.trainable_variables)
    return model


def _callbacks(experiment, run_index, checkpoint_dir, recorder):
    """Callbacks of `fit`, in their order, and the weight averaging among them (or None)."""
    config, args, task = experiment.config, experiment.args, experiment.task
    callbacks = [StopOnNonFiniteLoss(), recorder,
                 EpochCheckpoint(checkpoint_dir, experiment.effective, recorder.history,
                                 recorder.wall_time)]
    if args.tensorboard:
        from ram_keras.viz.tensorboard import TensorBoardLogger

        callbacks.append(TensorBoardLogger(
            os.path.join(args.tensorboard, experiment.name, f"run{run_index}"),
            pictures=lambda trained: task.pictures(trained, config, experiment.data),
            pictures_every=cli.TENSORBOARD_PICTURES_EVERY))
    if config.get("final_location_std") is not None:
        callbacks.insert(0, FinalLocationStd(
            config["final_location_std"],
            config["epochs"] - config["final_location_std_epochs"]))
    averaging = AveragedWeights() if config.get("weight_averaging") else None
    if averaging is not None:
        # Before the recorder and the checkpoint: validation sees the average, they see
        # the training weights back in place.
        callbacks.insert(0, averaging)
    # First of all: the task's validation figures join the logs before anything reads them.
    callbacks[:0] = task.epoch_callbacks(config, experiment.data)
    return callbacks, averaging


def _fit(experiment, model, run_index, seed, initial_epoch, callbacks):
    """Fit: epochs `initial_epoch + 1 ..` on the task's training data, validating after each."""
    config, task, data = experiment.config, experiment.task, experiment.data
    resumed = f", resuming after epoch {initial_epoch}" if initial_epoch else ""
    print(f"[{experiment.name}] run {run_index + 1}/{config['runs']}, seed {seed}: "
          f"{task.describe_training(config, data)}, {config['epochs']} epochs of "
          f"{experiment.steps_per_epoch} steps{resumed}", flush=True)
    train_data = distribution.shard_by_data(
        task.training_data(config, data, seed, initial_epoch))
    validation_data = task.validation_data(config, data)
    if validation_data is not None:
        validation_data = distribution.shard_by_data(validation_data)
    model.fit(train_data, epochs=config["epochs"], initial_epoch=initial_epoch,
              shuffle=False, steps_per_epoch=experiment.steps_per_epoch,
              validation_data=validation_data, callbacks=callbacks,
              verbose=experiment.verbose)


def _final_evaluation(experiment, model, run, recorder, averaging):
    """Final evaluation: the task's, of the saved weights (and of the last ones when they
    are an average), and the first epoch reaching the config's target."""
    config, task, data = experiment.config, experiment.task, experiment.data
    if averaging is not None and averaging.last_weights is None:
        # Resumed after the last epoch: fit did not run, so the average is not in yet.
        averaging.last_weights = [v.numpy() for v in model.trainable_variables]
        model.optimizer.finalize_variable_values(model.trainable_variables)
    run["final"] = task.final_evaluation(model, config, data)
    if averaging is not None:
        # What the averaging bought, on this same run: the last weights evaluated alike.
        with holding_weights(model, averaging.last_weights):
            run["final_without_averaging"] = task.final_evaluation(model, config, data)
    run["final"]["first_epoch_reaching_target"] = task.first_epoch_reaching_target(
        recorder.history, config)


def _save_outputs(experiment, model, run, seed, start, wall_offset, write):
    """Outputs: the model file, the run's times and results.json; returns the model's path."""
    model_path = os.path.join(experiment.models_dir, f"run{run['run']}.weights.h5")
    save_model(model, model_path, metadata=experiment.task.metadata(experiment.config, seed))
    run["model_path"] = os.path.relpath(model_path, experiment.args.out)
    run["wall_time_s"] = round(wall_offset + time.time() - start, 2)
    write()
    return model_path


def keep_earlier_outputs(models_dir, results_path, name):
    """Moves an earlier run's models and results.json into `earlier/<time>/` beside them.

    A fresh run (not `--resume`) writes `results.json` from its first epoch and
    the models at its end; whatever an earlier run left there (a committed
    model, say) is kept, never overwritten. Returns the folders it moved
    things to (empty when there was nothing to keep).
    """
    stamp = time.strftime("%Y%m%d-%H%M%S")
    earlier_models = []
    if os.path.isdir(models_dir):
        earlier_models = sorted(
            f for f in os.listdir(models_dir) if f.startswith("run")
            and (f.endswith(".weights.h5") or f.endswith(".config.json") or f.endswith(".keras")))
    moves = [(models_dir, f) for f in earlier_models]
    if os.path.isfile(results_path):
        moves.append((os.path.dirname(results_path), os.path.basename(results_path)))
    kept = []
    for folder, filename in moves:
        target = os.path.join(folder, "earlier", stamp)
        suffix = 1
        while os.path.exists(os.path.join(target, filename)):  # two runs in one second
            suffix += 1
            target = os.path.join(folder, "earlier", f"{stamp}-{suffix}")
        os.makedirs(target, exist_ok=True)
        os.replace(os.path.join(folder, filename), os.path.join(target, filename))
        if target not in kept:
            kept.append(target)
    if kept:
        print(f"[{name}] note: an earlier run's files were moved to "
              f"{' and '.join(kept)} (--resume continues an interrupted run instead)",
              flush=True)
    return kept


def _keep_last_good_model(model, error, run, checkpoint_dir, models_dir, config, seed, out):
    """After a non-finite loss: save the last checkpointed model, note it in `run`."""
    state = read_checkpoint(checkpoint_dir)
    run["stopped"] = str(error)
    if state is None:
        run["model_path"] = None
        error.kept = "no epoch had finished, so there is no good model to keep"
        return
    restore_checkpoint(model, checkpoint_dir, state)
    model_path = os.path.join(models_dir, f"run{run['run']}.weights.h5")
    metadata = dict(task_for(config).metadata(config, seed), stopped=str(error),
                    epochs_completed=state["epoch"])
    save_model(model, model_path, metadata=metadata)
    run["model_path"] = os.path.relpath(model_path, out)
    error.kept = f"kept the model of epoch {state['epoch']}, the last good one: {model_path}"


def main(config, argv=None):
    """Entry point of a config module: parse flags, train, report.

    Problems a user can fix (a bad config, a locked output folder, a stale
    checkpoint, a loss that became NaN, an unwritable output folder) end the
    process with a one-line `error: ...` message and exit status 1.
    """
    try:
        task = task_for(config)
        check_common_settings(config)
        args = parse_args(config, task, argv)
        # Logical CPUs and multi-worker collectives must be set up before TensorFlow
        # creates its first tensor (validating the config builds a model).
        if args.cpu_devices:
            distribution.split_cpu(args.cpu_devices)
        strategy = distribution.make_strategy(args.strategy, args.devices)
    except (ConfigError, distribution.StrategyError) as error:
        sys.exit(f"error: {error}")
    try:
        return run_experiment(config, args, strategy, task)
    except (ConfigError, CheckpointError, OutputLockedError, DatasetNotFoundError,
            distribution.StrategyError) as error:
        sys.exit(f"error: {error}")
    except OSError as error:  # e.g. --out not writable, disk full
        sys.exit(cli.os_error_message(error))
    except NonFiniteLossError as error:
        sys.exit(f"error: training stopped: {error}; {getattr(error, 'kept', '')}. "
                 "Try a lower learning rate or gradient_clip_norm in the config.")
