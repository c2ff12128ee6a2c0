"""Keeping long runs safe: per-epoch checkpoints for `--resume`, a lock on the
output folder, and a stop on non-finite losses.

Layout under a run's output folder `<out>`:

    <out>/checkpoints/<config>/lock                 held while a run trains
    <out>/checkpoints/<config>/run<K>/state.json    last completed epoch
    <out>/checkpoints/<config>/run<K>/previous.json the epoch before it
    <out>/checkpoints/<config>/run<K>/epoch<E>.weights.h5

`state.json` is the commit point: it is written (atomically) only after the
weights it names are complete on disk, so a kill at any moment leaves either
the previous checkpoint or the new one. The weights file holds the model and
the optimizer state (Adam moments and the step counter that drives the
learning-rate schedule); `state.json` adds the epoch counter, the metric
history and the state of the model's random-number generators, which is
everything an uninterrupted run would carry into the next epoch (the input
pipeline's draws depend only on the seed and the epoch, see
`ram_keras.data.pipelines.make_dataset`).
"""

import json
import os
import time

import keras
import numpy as np

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

STATE_FILE = "state.json"
PREVIOUS_STATE_FILE = "previous.json"
STATE_FORMAT = 1


class OutputLockedError(RuntimeError):
    """Another training run is writing to the same output folder."""


class CheckpointError(ValueError):
    """A checkpoint that cannot be used to resume this run; says why."""


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or infinite."""

    def __init__(self, epoch, batch, loss):
        self.epoch, self.batch, self.loss = epoch, batch, loss
        super().__init__(f"the training loss became {loss} at epoch {epoch + 1}, batch {batch + 1}")


def atomic_write_json(path, data):
    """Writes `data` as JSON to `path` via a temporary file and a rename."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class OutputLock:
    """An exclusive lock on `<folder>/lock` for as long as a run writes there.

    Uses `fcntl.flock`, so the operating system drops the lock when the
    process dies, even by `kill -9`: there are no stale locks to clean up.
    A second run that finds the lock held raises `OutputLockedError` naming
    the process that holds it.
    """

    def __init__(self, folder):
        self.folder = folder
        self.path = os.path.join(folder, "lock")
        self._file = None

    def __enter__(self):
        if fcntl is None:
            return self
        os.makedirs(self.folder, exist_ok=True)
        handle = open(self.path, "a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown process"
            handle.close()
            raise OutputLockedError(
                f"another training run ({holder}) is writing to {self.folder}; wait for it "
                "to finish or give this run a different --out"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}")
        handle.flush()
        self._file = handle
        return self

    def __exit__(self, *exc):
        if self._file is not None:
            self._file.truncate(0)
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        return False


def random_state_variables(model):
    """The model's variables that `save_weights` leaves out (seed generator
    states), in a fixed order (their paths change when several models live in
    one process)."""
    return [v for v in model.non_trainable_variables if "seed_generator" in v.path]


def _read_state(path):
    try:
        with open(path) as f:
            state = json.load(f)
    except (OSError, ValueError) as error:
        raise CheckpointError(f"the checkpoint {path} is unreadable ({error})") from None
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise CheckpointError(f"{path} is not a ram_keras checkpoint of format {STATE_FORMAT}")
    weights = os.path.join(os.path.dirname(path), str(state.get("weights")))
    if not os.path.isfile(weights):
        raise CheckpointError(f"the checkpoint {path} names {weights}, which is missing")
    return state


def read_checkpoint(folder, epoch=None):
    """The state dict of the checkpoint in `folder`, or None if there is none.

    Args:
        folder: a run's checkpoint folder.
        epoch: None for the latest checkpoint; else the checkpoint of that
            epoch (the latest or the one before it, which is also kept so
            that the workers of a cluster can agree on a common epoch).
    """
    latest = os.path.join(folder, STATE_FILE)
    previous = os.path.join(folder, PREVIOUS_STATE_FILE)
    candidates = [p for p in (latest, previous) if os.path.isfile(p)]
    if not candidates:
        return None
    if epoch is None:
        return _read_state(candidates[0])
    for path in candidates:
        state = _read_state(path)
        if state["epoch"] == epoch:
            return state
    raise CheckpointError(f"{folder} holds no checkpoint of epoch {epoch}")


# Settings that change how fast training runs, not what it computes: a run resumes across them
# (steps per call of the compiled function: tests/test_runner.py checks that the weights and
# history are those of one step per call).
SPEED_SETTINGS = ("steps_per_execution",)


def checkpoint_of_weights(path):
    """The state of the checkpoint whose weights file is `path` (`.../run<K>/epoch<E>.weights.h5`
    with the `state.json` or `previous.json` naming it beside it), or None when `path` is
    not a checkpoint's. Its `settings` are the run's config, model settings included."""
    folder = os.path.dirname(os.path.abspath(path))
    for name in (STATE_FILE, PREVIOUS_STATE_FILE):
        state_path = os.path.join(folder, name)
        if os.path.isfile(state_path):
            state = _read_state(state_path)
            if state.get("weights") == os.path.basename(path):
                return state
    return None


def check_checkpoint_settings(state, settings, folder):
    """Raises CheckpointError if the checkpoint was made by a different command (one that
    differs in more than `SPEED_SETTINGS`)."""
    saved = state.get("settings", {})
    changed = [
        f"{key} {saved.get(key)!r} there, {value!r} now"
        for key, value in settings.items()
        if saved.get(key) != value and key not in SPEED_SETTINGS
    ]
    if changed:
        raise CheckpointError(
            f"the checkpoint in {folder} was made with other settings ({'; '.join(changed)}); "
            "rerun the original command with --resume, or start afresh with --restart"
        )


def restore_checkpoint(model, folder, state):
    """Loads model weights, optimizer state and random state from a checkpoint."""
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    weights = os.path.join(folder, state["weights"])
    try:
        model.load_weights(weights)
    except Exception as error:  # noqa: BLE001 - any failure is a broken checkpoint
        raise CheckpointError(f"cannot load the checkpoint {weights}: {error}") from None
    variables = random_state_variables(model)
    saved = state.get("random_state", [])
    if len(saved) != len(variables):
        raise CheckpointError(
            f"the checkpoint in {folder} holds {len(saved)} random-generator states, "
            f"the model has {len(variables)}"
        )
    for variable, value in zip(variables, saved):
        variable.assign(np.asarray(value, dtype=variable.dtype))


def remove_checkpoint(folder):
    """Deletes a run's checkpoint folder (after the run has finished)."""
    if not os.path.isdir(folder):
        return
    for name in os.listdir(folder):
        os.remove(os.path.join(folder, name))
    os.rmdir(folder)


class EpochCheckpoint(keras.callbacks.Callback):
    """Writes the whole training state at the end of every epoch.

    Args:
        folder: the run's checkpoint folder.
        settings: dict of the command's settings; `--resume` refuses a
            checkpoint whose settings differ.
        history: the metric history dict (shared with `EpochRecorder`, which
            must come before this callback in the callback list).
        wall_time: a callable giving the run's training seconds so far.
    """

    def __init__(self, folder, settings, history, wall_time):
        super().__init__()
        self.folder = folder
        self.settings = settings
        self.history = history
        self.wall_time = wall_time
        self.last_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        os.makedirs(self.folder, exist_ok=True)
        name = f"epoch{epoch + 1:04d}.weights.h5"
        tmp = os.path.join(self.folder, f".tmp-{os.getpid()}-{name}")
        self.model.save_weights(tmp)
        os.replace(tmp, os.path.join(self.folder, name))
        state = {
            "format": STATE_FORMAT,
            "epoch": epoch + 1,
            "weights": name,
            "settings": self.settings,
            "history": self.history,
            "wall_time_s": round(self.wall_time(), 2),
            "random_state": [
                np.asarray(v).tolist() for v in random_state_variables(self.model)
            ],
        }
        latest = os.path.join(self.folder, STATE_FILE)
        previous = os.path.join(self.folder, PREVIOUS_STATE_FILE)
        keep = {name}
        if os.path.isfile(latest):
            keep.add(_read_state(latest)["weights"])
            os.replace(latest, previous)  # a kill here leaves previous.json to resume from
        atomic_write_json(latest, state)
        for old in os.listdir(self.folder):
            if old.startswith("epoch") and old.endswith(".weights.h5") and old not in keep:
                os.remove(os.path.join(self.folder, old))
        self.last_epoch = epoch + 1


class StopOnNonFiniteLoss(keras.callbacks.TerminateOnNaN):
    """Keras's `TerminateOnNaN` in its raising mode, with the epoch in the error.

    Raising (rather than setting `stop_training`) keeps the epoch-end
    callbacks from recording or checkpointing the broken epoch, so the last
    checkpoint is the last good model; the runner then saves that one.
    Raises `NonFiniteLossError` at the first batch whose loss is NaN or inf.
    """

    def __init__(self):
        super().__init__(raise_error=True)
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_batch_end(self, batch, logs=None):
        try:
            super().on_batch_end(batch, logs)
        except RuntimeError:
            raise NonFiniteLossError(self.epoch, batch, float(logs["loss"])) from None
