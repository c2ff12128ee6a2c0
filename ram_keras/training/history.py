"""What a training run records: per-epoch metrics, the first epoch reaching a target."""

import time

import keras
import numpy as np


class EpochRecorder(keras.callbacks.History):
    """Keras's `History`, kept in results.json's form and written after every epoch.

    Args:
        on_update: called after every epoch (writes results.json).
        history: the history so far (of a resumed run), else None.
        wall_time_offset: training seconds spent before this process (resume).
        paths_per_epoch: sampled episodes (glimpse paths) per epoch; when given, the
            history's `paths_seen` counts them up to the end of each epoch.
    """

    def __init__(self, on_update, history=None, wall_time_offset=0.0, paths_per_epoch=None):
        super().__init__()
        self.paths_per_epoch = paths_per_epoch
        if paths_per_epoch is not None and history is not None and "paths_seen" not in history:
            history["paths_seen"] = [epoch * paths_per_epoch for epoch in history["epoch"]]
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
        if self.paths_per_epoch is not None:
            self.history.setdefault("paths_seen", []).append((epoch + 1) * self.paths_per_epoch)
        for key, value in (logs or {}).items():
            name = key if key.startswith("val_") else f"train_{key}"
            self.history.setdefault(name, []).append(float(np.mean(value)))
        self.on_update()


def first_epoch_reaching(history, key, target, higher_is_better=True):
    """`{epoch, wall_time_s}` of the first epoch whose `history[key]` reaches `target`."""
    for i, value in enumerate(history.get(key, [])):
        if (value >= target) if higher_is_better else (value <= target):
            return {"epoch": history["epoch"][i], "wall_time_s": history["wall_time_s"][i]}
    return None


def summarize(runs):
    """Mean, std and count over the runs of every number in their `final`."""
    keys = sorted({key for run in runs for key, value in run.get("final", {}).items()
                   if isinstance(value, (int, float)) and not isinstance(value, bool)})
    summary = {}
    for key in keys:
        values = [run["final"][key] for run in runs if isinstance(run["final"].get(key), (int, float))]
        summary[key] = {"mean": float(np.mean(values)), "std": float(np.std(values)),
                        "n": len(values)}
    return summary
