"""What the benchmarks share: a config's model, optimizer and training data, as the runner
makes them, and a JSON report beside the printed one."""

import json
import os
import platform
import sys
import types

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)


def training_setup(config_name, batch_size=None, jit=None, strategy=None, changes=None,
                   total_steps=None, with_data=False, limit=None, steps_per_execution=1,
                   seed=0):
    """`(config, model, dataset)`: a compiled model and its endless training stream.

    As `ram_keras.training.runner` makes them (same task data, pipeline,
    optimizer), with `changes` applied to the config (a dict of settings whose
    `model` entry is merged into the model's), the batch size and XLA if
    given, and the learning-rate schedule for `total_steps` updates (default:
    the config's epochs): a cosine spans them as it spans the config's epochs;
    a staircase keeps its pace per update (a step down every
    `staircase_epochs` of the config's own epochs, at its own batch size, as in
    the config's run, so
    a shorter run stops where the config's run would be after as many
    updates); `steps_per_execution` training steps per call of the
    compiled function (Keras's `compile` argument); `seed` seeds
    the model's weights and draws and the training stream. With `with_data`,
    the task's data too.
    """
    from ram_keras.tasks import task_for
    from ram_keras.tasks import load_config
    from ram_keras.training.optimizers import make_optimizer

    import tensorflow as tf

    config = load_config(config_name)
    own_batch_size = config["batch_size"]
    changes = dict(changes or {})
    config = dict(config, **{k: v for k, v in changes.items() if k != "model"},
                  model=dict(config["model"], **changes.get("model", {})))
    if batch_size is not None:
        config["batch_size"] = batch_size
    if jit is None:
        jit = config.get("jit_compile", True)
    task = task_for(config)
    task.validate(config)
    flags = types.SimpleNamespace(limit=limit, eval_limit=None)
    data = task.load_data(config, flags)
    steps = task.steps_per_epoch(config, data)
    dataset = task.training_data(dict(config, epochs=10**6), data, seed=seed,
                                 first_epoch=0)
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        model = task.build_model(config, seed=seed)
        # A staircase decays every so many of the config's own epochs (at its own batch
        # size, whatever a candidate's): tfRAM defines its schedule per update. Squeezing its
        # 228 steps down into a 45-minute budget put its recipe at the floor rate for 61% of
        # the budget; at a candidate's 10x batch, a step every half of its own epochs decayed
        # 10x faster per update (docs/hard_tasks.md).
        own_steps = task.steps_per_epoch(dict(config, batch_size=own_batch_size), data)
        model.compile(optimizer=make_optimizer(
                          config, total_steps or steps * config["epochs"], own_steps),
                      jit_compile=jit, steps_per_execution=steps_per_execution)
        model.optimizer.build(model.trainable_variables)
    return (config, model, dataset, data) if with_data else (config, model, dataset)


def named_changes(text):
    """argparse type: `NAME=JSON` (a dict of config settings) -> `(name, changes)`."""
    import argparse

    name, _, spec = text.partition("=")
    try:
        changes = json.loads(spec)
    except ValueError:
        raise argparse.ArgumentTypeError(f"needs NAME=JSON, got {text!r}") from None
    if not name or not isinstance(changes, dict):
        raise argparse.ArgumentTypeError(f"needs NAME=JSON object, got {text!r}")
    return name, changes


def machine():
    """What the figures were measured on."""
    import tensorflow as tf

    return {"cpu_count": os.cpu_count(), "tensorflow": tf.__version__,
            "python": platform.python_version()}


def write_json(path, report):
    if path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w") as f:
            json.dump(report, f, indent=2)
            f.write("\n")


def timed_fit(model, dataset, steps):
    """`(ms_per_step, fit_ms_per_step)` of `model.fit(dataset, steps_per_epoch=steps)`.

    The first is the steady rate: from the end of the first call of the
    compiled function to the end of the last (Keras calls `on_train_batch_end`
    once per call). The second divides the whole `fit` call, which also holds
    the set-up of the input iterator and its tear-down at the end: tearing down
    an iterator that still has batches in flight has taken 0 to 3 s on this
    machine, at random, which halved some earlier throughput figures.
    """
    import time

    import keras

    stamps = []

    class StepClock(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            stamps.append((batch, time.perf_counter()))

    start = time.perf_counter()
    model.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0, callbacks=[StepClock()])
    fit_seconds = time.perf_counter() - start
    (first_batch, first), (last_batch, last) = stamps[0], stamps[-1]
    if last_batch == first_batch:
        raise ValueError(f"{steps} steps make only one call of the training function: "
                         "time more steps")
    return 1000 * (last - first) / (last_batch - first_batch), 1000 * fit_seconds / steps


def alternating_rounds(models, rounds):
    """ms per step of each of `models` (`{name: (model, dataset, steps)}`, warmed up), timed
    with `timed_fit` in alternating rounds (A B, then B A, ...), so that this machine's drift
    falls on all alike. Returns `{name: [ms per step of every round]}`."""
    names = list(models)
    ms_per_step = {name: [] for name in names}
    for round_index in range(rounds):
        for name in names if round_index % 2 == 0 else names[::-1]:
            model, dataset, steps = models[name]
            ms_per_step[name].append(timed_fit(model, dataset, steps)[0])
        print(f"round {round_index + 1}: " + ", ".join(
            f"{name} {ms_per_step[name][-1]:.2f} ms/step" for name in names), flush=True)
    return ms_per_step


def paired_report(ms_per_step):
    """Medians per name, and the median over rounds of each one's speed-up over the first."""
    import statistics

    names = list(ms_per_step)
    reference = names[0]
    return {
        "ms_per_step": {name: [round(t, 3) for t in ms_per_step[name]] for name in names},
        "median_ms_per_step": {name: round(statistics.median(ms_per_step[name]), 3)
                               for name in names},
        f"median_speedup_over_{reference}": {
            name: round(statistics.median(
                a / b for a, b in zip(ms_per_step[reference], ms_per_step[name])), 3)
            for name in names[1:]},
    }
