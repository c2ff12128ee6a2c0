"""The runner behind every config, used as a user would: results, resume, lock, NaN, flags."""

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from helpers import ENV, assert_clean_failure, run_main, run_script, write_tiny_config
from ram_keras import load_model
from ram_keras.training.checkpoints import OutputLock


def test_training_writes_the_model_and_results_json(tiny_run):
    results = tiny_run.results
    assert results["task"] == "classification"
    config = results["config"]
    assert config["epochs"] == 3 and config["limit"] == 6144 and config["eval_limit"] == 500
    run = results["runs"][0]
    assert run["seed"] == 0 and run["history"]["epoch"] == [1, 2, 3]
    for key in ("train_loss", "train_accuracy", "train_reinforce_loss", "val_accuracy",
                "val_classification_loss", "wall_time_s", "val_accuracy_single_path",
                "val_accuracy_monte_carlo"):
        assert len(run["history"][key]) == 3, key
    assert run["history"]["paths_seen"] == [6144, 12288, 18432]
    assert all(0.3 < value <= 1.0 for value in run["history"]["val_accuracy_monte_carlo"])
    final = run["final"]
    for split in ("validation", "test"):
        for suffix in ("", "_single_path", "_monte_carlo"):
            accuracy = final[f"{split}_accuracy{suffix}"]
            assert 0.4 < accuracy <= 1.0, (split, suffix, accuracy)  # chance is 0.1
            assert final[f"{split}_error_percent{suffix}"] == round(100 * (1 - accuracy), 3)
    assert final["evaluation_paths"] == 2
    # The last epoch's validation accuracy is the final deterministic one.
    assert final["validation_accuracy"] == pytest.approx(run["history"]["val_accuracy"][-1])
    assert results["summary"]["test_accuracy"]["mean"] == final["test_accuracy"]
    assert run["model_path"] == "models/run_tiny/run0.weights.h5"
    assert run["wall_time_s"] >= run["train_wall_time_s"] > 0
    model = load_model(tiny_run.model_path)
    assert model.num_glimpses == 3
    assert not (tiny_run.out / "checkpoints" / "run_tiny" / "run0").exists()


def test_the_first_epoch_reaching_the_papers_error_is_recorded(tiny_config_path, tmp_path):
    """With a target the tiny model reaches (an error of 90%), epoch 1 is recorded."""
    from ram_keras.tasks.classification import ClassificationTask

    history = {"epoch": [1, 2], "wall_time_s": [3.0, 6.0], "val_accuracy": [0.5, 0.99]}
    task = ClassificationTask()
    assert task.first_epoch_reaching_target(history, {"paper_test_error_percent": 1.0}) == {
        "epoch": 2, "wall_time_s": 6.0}
    assert task.first_epoch_reaching_target(history, {"paper_test_error_percent": 0.5}) is None
    assert task.first_epoch_reaching_target(history, {}) is None


def command(config, out, *extra):
    return [config, "--limit", "320", "--eval-limit", "200", "--out", str(out), "--verbose",
            "2", *extra]


@pytest.mark.slow
def test_kill_9_then_resume_ends_where_an_uninterrupted_run_ends(tmp_path):
    config = write_tiny_config(tmp_path, epochs=5)
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    result = run_script(*command(config, straight))
    assert result.returncode == 0, result.stderr[-2000:]

    process = subprocess.Popen([sys.executable, *command(config, killed)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
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
    assert 2 <= epoch_at_kill < 5

    # Rerunning without --resume refuses to overwrite the interrupted run.
    refused = run_main(*command(config, killed))
    assert_clean_failure(refused, 1)
    assert "--resume" in refused.stderr
    # A different command cannot resume it either.
    other = run_main(*command(config, killed, "--resume", "--batch-size", "16"))
    assert other.code == 1 and "batch_size" in other.stderr

    resumed = run_main(*command(config, killed, "--resume"))
    assert resumed.code == 0, resumed.stderr[-2000:]
    assert f"resuming after epoch {epoch_at_kill}" in resumed.stdout
    for a, b in zip(load_model(straight / "models/run_tiny/run0.weights.h5").get_weights(),
                    load_model(killed / "models/run_tiny/run0.weights.h5").get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    run_a = json.loads((straight / "results/run_tiny/results.json").read_text())["runs"][0]
    run_b = json.loads((killed / "results/run_tiny/results.json").read_text())["runs"][0]
    assert run_b["history"]["epoch"] == [1, 2, 3, 4, 5]
    np.testing.assert_allclose(run_a["history"]["train_loss"], run_b["history"]["train_loss"],
                               rtol=1e-5)
    for key in ("validation_accuracy", "test_accuracy"):
        assert run_a["final"][key] == run_b["final"][key]
    # The finished run's checkpoint is gone; resuming again is a no-op.
    assert not state_path.exists()
    again = run_main(*command(config, killed, "--resume"))
    assert again.code == 0 and "already finished" in again.stdout


def test_steps_per_execution_trains_the_same_model(tmp_path):
    """10 steps per epoch; asked for 3 per call, the runner makes calls of 2 (Keras would
    run 4 calls of 3, 12 steps, taking 2 from the next epoch): the same weights and the same
    per-epoch history as one step per call."""
    config = write_tiny_config(tmp_path, epochs=2)
    runs = {}
    for steps in (1, 3):
        out = tmp_path / f"steps{steps}"
        result = run_main(*command(config, out, "--steps-per-execution", str(steps)))
        assert result.code == 0, result.stderr[-2000:]
        results = json.loads((out / "results/run_tiny/results.json").read_text())
        assert results["config"]["steps_per_execution"] == steps
        assert (f"note: {steps - 1} steps per call" in result.stdout) == (steps == 3)
        runs[steps] = (results["runs"][0], load_model(out / "models/run_tiny/run0.weights.h5"))
    (one, one_model), (three, three_model) = runs[1], runs[3]
    for a, b in zip(one_model.get_weights(), three_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for key in ("train_loss", "train_accuracy", "val_accuracy"):
        np.testing.assert_allclose(one["history"][key], three["history"][key], rtol=1e-5)
    assert one["final"]["test_accuracy"] == three["final"]["test_accuracy"]


@pytest.mark.parametrize("steps_per_epoch,asked,used", [
    (391, 17, 17), (391, 10, 1), (391, 1000, 391), (24, 17, 12), (10, 3, 2), (7, 1, 1)])
def test_steps_per_call_divide_the_epoch(steps_per_epoch, asked, used):
    from ram_keras.training.runner import steps_per_call

    assert steps_per_call(steps_per_epoch, asked) == used


def test_a_second_run_on_the_same_out_folder_is_refused(tiny_config_path, tmp_path):
    with OutputLock(str(tmp_path / "checkpoints" / "run_tiny")):
        result = run_main(*command(tiny_config_path, tmp_path))
    assert_clean_failure(result, 1)
    assert "another training run (pid" in result.stderr and "--out" in result.stderr


def test_a_nan_loss_stops_training_with_a_clear_message(tmp_path):
    config = write_tiny_config(tmp_path, epochs=3, learning_rate=1e30)
    result = run_main(*command(config, tmp_path / "out"))
    assert_clean_failure(result, 1)
    assert "error: training stopped: the training loss became" in result.stderr
    results = json.loads((tmp_path / "out/results/run_tiny/results.json").read_text())
    assert "loss became" in results["runs"][0]["stopped"]


@pytest.mark.parametrize("flags,message", [
    (["--epochs", "-3"], "positive"),
    (["--epochs", "ten"], "integer"),
    (["--glimpses", "0"], "positive"),
    (["--location-std", "0"], "> 0"),
    (["--location-std", "nan"], "> 0"),
    (["--learning-rate", "-1"], "> 0"),
    (["--batch-size", "1.5"], "integer"),
    (["--steps-per-execution", "0"], "positive"),
    (["--strategy", "gpu"], "invalid choice"),
    (["--resume", "--restart"], "not allowed with"),
    (["--no-such-flag"], "unrecognized"),
])
def test_bad_flags_fail_in_one_line(tiny_config_path, flags, message):
    result = run_main(tiny_config_path, *flags)
    assert_clean_failure(result, 2)
    assert message in result.stderr


def test_an_unwritable_out_folder_fails_in_one_line(tiny_config_path, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run_main(*command(tiny_config_path, blocker / "out"))
    assert_clean_failure(result, 1)


@pytest.mark.slow
def test_a_cluttered_task_trains_end_to_end_and_beats_chance(tmp_path):
    """run_cluttered_mnist_paper with 4 glimpses and smaller networks, 300 steps of 64."""
    config = str(tmp_path / "run_small_clutter.py")
    with open(config, "w") as f:
        f.write(
            "import sys\nsys.path.insert(0, {!r})\n".format(str(tmp_path.parent))
            + "from ram_keras.training.configs import read_config_module\n"
            + "CONFIG = dict(read_config_module('run_cluttered_mnist_paper'), name='run_small_clutter')\n"
            + "CONFIG['model'] = dict(CONFIG['model'], what_units=64, where_units=32, "
              "glimpse_units=128, core_units=128)\n")
    result = run_main(config, "--limit", "6400", "--batch-size", "64", "--epochs", "3",
                      "--glimpses", "4", "--eval-limit", "1000", "--out", str(tmp_path),
                      "--verbose", "0")
    assert result.code == 0, result.stderr[-3000:]
    results = json.loads((tmp_path / "results/run_small_clutter/results.json").read_text())
    assert results["config"]["model"]["num_glimpses"] == 4
    assert results["runs"][0]["final"]["test_accuracy"] > 0.2  # chance is 0.1
    model = load_model(tmp_path / "models/run_small_clutter/run0.weights.h5")
    assert model.image_shape == (60, 60, 1) and model.num_glimpses == 4


@pytest.mark.parametrize("resume", [False, True])
def test_a_fresh_run_keeps_an_earlier_runs_model_and_results(tiny_run, tiny_config_path,
                                                             tmp_path, resume):
    """Training again into a folder that holds a model (a committed one, say) moves it
    aside into earlier/<time>/ instead of overwriting it; so does a --resume that finds
    nothing of these settings to continue (here: other epochs than the finished run's)."""
    import shutil

    out = tmp_path / "out"
    shutil.copytree(tiny_run.out / "models", out / "models")
    shutil.copytree(tiny_run.out / "results", out / "results")
    earlier_model = (out / "models/run_tiny/run0.weights.h5").read_bytes()
    earlier_results = (out / "results/run_tiny/results.json").read_text()
    result = run_main(tiny_config_path, "--limit", "320", "--eval-limit", "200", "--epochs",
                      "1", "--out", str(out), "--verbose", "0", *(["--resume"] if resume else []))
    assert result.code == 0, result.stderr
    assert "an earlier run's files were moved to" in result.stdout
    assert ("nothing to resume" in result.stdout) == resume
    [kept_models] = (out / "models/run_tiny/earlier").iterdir()
    [kept_results] = (out / "results/run_tiny/earlier").iterdir()
    assert (kept_models / "run0.weights.h5").read_bytes() == earlier_model
    assert (kept_models / "run0.config.json").is_file()
    assert (kept_results / "results.json").read_text() == earlier_results
    # The new run's own files are where the earlier ones were.
    new_results = json.loads((out / "results/run_tiny/results.json").read_text())
    assert new_results["runs"][0]["history"]["epoch"] == [1]
    assert load_model(out / "models/run_tiny/run0.weights.h5").num_glimpses == 3
    # Nothing earlier, nothing moved.
    from ram_keras.training.runner import keep_earlier_outputs

    assert keep_earlier_outputs(str(tmp_path / "none"), str(tmp_path / "none.json"), "x") == []


def test_a_later_runs_leftover_checkpoint_is_refused_before_anything_trains(tiny_run,
                                                                           tiny_config_path,
                                                                           tmp_path):
    """With --runs 2 and run 2's checkpoint left by a kill, a command without --resume stops
    at once: run 1 does not train again, and its model stays where it is."""
    import shutil

    out = tmp_path / "out"
    shutil.copytree(tiny_run.out / "models", out / "models")
    leftover = out / "checkpoints/run_tiny/run1"
    leftover.mkdir(parents=True)
    (leftover / "epoch0002.weights.h5").write_bytes(b"weights")
    (leftover / "state.json").write_text(json.dumps(
        {"format": 1, "epoch": 2, "weights": "epoch0002.weights.h5",
         "settings": {"epochs": 3}, "history": {}, "wall_time_s": 1.0}))
    result = run_main(tiny_config_path, "--limit", "320", "--eval-limit", "200", "--runs", "2",
                      "--out", str(out), "--verbose", "0")
    assert result.code != 0
    assert "run1" in result.stderr and "--resume" in result.stderr
    assert "[run_tiny] run 1/2" not in result.stdout
    assert not (out / "models/run_tiny/earlier").exists()
    assert (out / "models/run_tiny/run0.weights.h5").is_file()


def test_a_run_resumed_in_the_last_phase_samples_with_its_narrower_std():
    from helpers import small_classifier
    from ram_keras.training.runner import resume_location_std

    config = {"epochs": 10, "final_location_std": 0.05, "final_location_std_epochs": 3}
    for epoch, std in ((6, 0.2), (7, 0.05), (10, 0.05)):
        model = small_classifier(location_std=0.2)
        resume_location_std(model, config, epoch)
        assert model.location_sampler.std == std, epoch
    model = small_classifier(location_std=0.2)
    resume_location_std(model, {"epochs": 10}, 10)
    assert model.location_sampler.std == 0.2


def test_weight_averaging_and_a_final_std_through_the_runner(tmp_path):
    """The saved model is the weight average (evaluated afresh it gives the final figures),
    `final_without_averaging` reports the last weights, and the last epoch's narrower policy
    std is in the saved model's config."""
    import argparse

    from ram_keras.tasks.classification import ClassificationTask, evaluate_classifier

    config = write_tiny_config(tmp_path, epochs=2)
    out = tmp_path / "out"
    result = run_main(*command(config, out, "--weight-averaging", "0.9",
                               "--final-location-std", "0.05",
                               "--final-location-std-epochs", "1"))
    assert result.code == 0, result.stderr[-2000:]
    results = json.loads((out / "results/run_tiny/results.json").read_text())
    assert results["config"]["weight_averaging"] == 0.9
    assert (results["config"]["final_location_std"],
            results["config"]["final_location_std_epochs"]) == (0.05, 1)
    run = results["runs"][0]
    final, last = run["final"], run["final_without_averaging"]
    assert final["validation_accuracy"] == pytest.approx(run["history"]["val_accuracy"][-1])
    assert set(last) == set(final) - {"first_epoch_reaching_target"}
    assert final["validation_accuracy"] != last["validation_accuracy"]
    model = load_model(out / "models/run_tiny/run0.weights.h5")
    data = ClassificationTask().load_data(results["config"],
                                          argparse.Namespace(limit=320, eval_limit=200))
    accuracy = evaluate_classifier(model, data.x_validation, data.y_validation, 0)
    assert accuracy["accuracy"] == pytest.approx(final["validation_accuracy"])
    saved = json.loads((out / "models/run_tiny/run0.config.json").read_text())
    assert saved["model"]["location_std"] == 0.05
