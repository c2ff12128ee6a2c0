"""Checkpoints for --resume, the output lock, and the stop on non-finite losses."""

import json
import os
import textwrap

import keras
import numpy as np
import pytest

from helpers import REPO, run_script
from ram_keras import RecurrentAttentionModel
from ram_keras.training import checkpoints
from ram_keras.training.checkpoints import (
    CheckpointError,
    EpochCheckpoint,
    NonFiniteLossError,
    OutputLock,
    OutputLockedError,
    StopOnNonFiniteLoss,
    read_checkpoint,
    restore_checkpoint,
)


def tiny_model():
    model = RecurrentAttentionModel(image_shape=(8, 8, 1), num_glimpses=2, glimpse_size=4,
                                    what_units=8, where_units=8, glimpse_units=8, core_units=8,
                                    seed=3)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=False)
    return model


def test_nan_stop_keeps_the_last_checkpointed_model(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((64, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 10, 64)
    model = tiny_model()
    history = {"epoch": []}
    checkpoint = EpochCheckpoint(str(tmp_path), {"a": 1}, history, lambda: 1.0)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0,
              callbacks=[StopOnNonFiniteLoss(), checkpoint])
    good = model.get_weights()
    broken = x.copy()
    broken[5] = np.nan
    with pytest.raises(NonFiniteLossError, match="epoch 1, batch 1"):
        model.fit(broken, y, epochs=1, batch_size=16, verbose=0, shuffle=False,
                  callbacks=[StopOnNonFiniteLoss(), checkpoint])
    assert not all(np.allclose(a, b) for a, b in zip(good, model.get_weights()))
    state = read_checkpoint(str(tmp_path))
    assert state["epoch"] == 2  # the broken epoch was never checkpointed
    restore_checkpoint(model, str(tmp_path), state)
    for a, b in zip(good, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_checkpoint_restores_optimizer_and_random_state(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.random((64, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 10, 64)
    model = tiny_model()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0,
              callbacks=[EpochCheckpoint(str(tmp_path), {}, {}, lambda: 0.0)])
    state = read_checkpoint(str(tmp_path))
    assert state["epoch"] == 1 and state["random_state"]
    fresh = tiny_model()
    fresh.optimizer.build(fresh.trainable_variables)
    restore_checkpoint(fresh, str(tmp_path), state)
    assert int(fresh.optimizer.iterations) == int(model.optimizer.iterations) == 4
    for a, b in zip(model.optimizer.variables, fresh.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    for a, b in zip(model.non_trainable_variables, fresh.non_trainable_variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_checkpoint_errors_name_the_problem(tmp_path):
    assert read_checkpoint(str(tmp_path)) is None
    (tmp_path / "state.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="unreadable"):
        read_checkpoint(str(tmp_path))
    (tmp_path / "state.json").write_text(json.dumps({"format": 1, "weights": "gone.weights.h5"}))
    with pytest.raises(CheckpointError, match="missing"):
        read_checkpoint(str(tmp_path))
    with pytest.raises(CheckpointError, match="epochs 10 there, 20 now"):
        checkpoints.check_checkpoint_settings(
            {"settings": {"epochs": 10}}, {"epochs": 20}, str(tmp_path))
    # Steps per call change the speed, not the training: a run resumes across them.
    checkpoints.check_checkpoint_settings(
        {"settings": {"epochs": 10, "steps_per_execution": 23}},
        {"epochs": 10, "steps_per_execution": 67}, str(tmp_path))
    with pytest.raises(CheckpointError, match="batch_size 32 there, 64 now"):
        checkpoints.check_checkpoint_settings(
            {"settings": {"batch_size": 32, "steps_per_execution": 23}},
            {"batch_size": 64, "steps_per_execution": 67}, str(tmp_path))


def test_lock_is_exclusive_and_released(tmp_path):
    with OutputLock(str(tmp_path)):
        with pytest.raises(OutputLockedError, match=f"pid {os.getpid()}"):
            # flock locks are per open file: a second open in this process conflicts too.
            with OutputLock(str(tmp_path)):
                pass
    with OutputLock(str(tmp_path)):
        pass
    script = textwrap.dedent(f"""
        import sys; sys.path.insert(0, {REPO!r})
        from ram_keras.training.checkpoints import OutputLock
        with OutputLock({str(tmp_path)!r}):
            print("locked")
    """)
    assert run_script("-c", script).stdout.strip() == "locked"
