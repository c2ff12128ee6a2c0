"""Interrupted and broken runs: kill -9 and --resume, the output lock, NaN losses."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import keras
import numpy as np
import pytest

from ram_keras import training_state
from ram_keras.saving import build_model, load_model
from ram_keras.training_state import (
    CheckpointError,
    EpochCheckpoint,
    NonFiniteLossError,
    OutputLock,
    OutputLockedError,
    StopOnNonFiniteLoss,
    read_checkpoint,
    restore_checkpoint,
)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")

TINY_CONFIG = """
import os, sys
sys.path.insert(0, {repo!r})
from ram_keras.defaults import PAPER_MODEL, TRAINING
from ram_keras.experiment import main
CONFIG = {{
    **TRAINING,
    "name": "run_tiny",
    "dataset": "mnist",
    "model": {{**PAPER_MODEL, "image_shape": [28, 28, 1], "num_glimpses": 2,
               "glimpse_size": 6, "what_units": 16, "where_units": 16,
               "glimpse_units": 32, "core_units": 32}},
    "epochs": {epochs},
    "batch_size": 32,
    "learning_rate": {learning_rate},
    "mc_samples": 0,
    "max_shift": 2,
    "jit_compile": False,
}}
if __name__ == "__main__":
    main(CONFIG)
"""


def write_config(folder, epochs=6, learning_rate=1e-3):
    path = folder / "run_tiny.py"
    path.write_text(TINY_CONFIG.format(repo=REPO, epochs=epochs, learning_rate=learning_rate))
    return str(path)


def command(config, out, *extra):
    return [sys.executable, config, "--limit", "320", "--test-limit", "200", "--out", str(out),
            "--verbose", "2", *extra]


def run(args, timeout=300):
    return subprocess.run(args, capture_output=True, text=True, env=ENV, timeout=timeout)


def final_weights(out):
    model = load_model(str(out / "models" / "run_tiny" / "run0.weights.h5"))
    return model.get_weights()


def test_kill_9_then_resume_ends_where_an_uninterrupted_run_ends(tmp_path):
    config = write_config(tmp_path)
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    result = run(command(config, straight))
    assert result.returncode == 0, result.stderr[-2000:]

    process = subprocess.Popen(command(config, killed), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=ENV)
    state_path = killed / "checkpoints" / "run_tiny" / "run0" / "state.json"
    deadline = time.time() + 240
    while time.time() < deadline and process.poll() is None:
        if state_path.exists() and json.loads(state_path.read_text())["epoch"] >= 2:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    epoch_at_kill = json.loads(state_path.read_text())["epoch"]
    assert 2 <= epoch_at_kill < 6

    # Rerunning without --resume refuses to overwrite the interrupted run.
    refused = run(command(config, killed))
    assert refused.returncode == 1 and "--resume" in refused.stderr
    assert "Traceback" not in refused.stderr
    # A different command cannot resume it either.
    other = run(command(config, killed, "--resume", "--batch-size", "16"))
    assert other.returncode == 1 and "batch_size" in other.stderr

    resumed = run(command(config, killed, "--resume"))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"resuming after epoch {epoch_at_kill}" in resumed.stdout
    for a, b in zip(final_weights(straight), final_weights(killed)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    history_a = json.loads((straight / "results" / "run_tiny" / "results.json").read_text())
    history_b = json.loads((killed / "results" / "run_tiny" / "results.json").read_text())
    run_a, run_b = history_a["runs"][0], history_b["runs"][0]
    assert run_b["history"]["epoch"] == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(run_a["history"]["train_loss"], run_b["history"]["train_loss"],
                               rtol=1e-5)
    assert run_a["final"] == run_b["final"]
    # The finished run's checkpoint is gone; resuming again is a no-op.
    assert not state_path.exists()
    again = run(command(config, killed, "--resume"))
    assert again.returncode == 0 and "already finished" in again.stdout


def test_second_run_on_the_same_out_folder_is_refused(tmp_path):
    config = write_config(tmp_path, epochs=50)
    out = tmp_path / "out"
    first = subprocess.Popen(command(config, out), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=ENV)
    lock = out / "checkpoints" / "run_tiny" / "lock"
    deadline = time.time() + 120
    while time.time() < deadline and not (lock.exists() and lock.read_text()):
        time.sleep(0.05)
    try:
        second = run(command(config, out))
        assert second.returncode == 1, second.stderr[-2000:]
        assert f"pid {first.pid}" in second.stderr and "--out" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        first.kill()
        first.wait()
    # kill -9 released the lock: the folder is usable again (here: --restart).
    with OutputLock(str(out / "checkpoints" / "run_tiny")):
        pass


def test_nan_loss_stops_training_with_a_clear_message(tmp_path):
    config = write_config(tmp_path, epochs=3, learning_rate=1e30)
    out = tmp_path / "out"
    result = run(command(config, out))
    assert result.returncode == 1
    assert "error: training stopped: the training loss became" in result.stderr
    assert "Traceback" not in result.stderr
    results = json.loads((out / "results" / "run_tiny" / "results.json").read_text())
    assert "loss became" in results["runs"][0]["stopped"]


def tiny_model():
    model = build_model({"image_shape": [8, 8, 1], "num_glimpses": 2, "glimpse_size": 4,
                         "what_units": 8, "where_units": 8, "glimpse_units": 8,
                         "core_units": 8, "seed": 3})
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
        training_state.check_checkpoint_settings(
            {"settings": {"epochs": 10}}, {"epochs": 20}, str(tmp_path))


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
        from ram_keras.training_state import OutputLock
        with OutputLock({str(tmp_path)!r}):
            print("locked")
    """)
    assert run([sys.executable, "-c", script]).stdout.strip() == "locked"
