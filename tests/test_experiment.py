"""End to end: train run_mnist briefly as a user would, then evaluate it."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import ram_keras
from ram_keras.experiment import ConfigError, list_configs, load_config, validate_config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True,
                          env=env, timeout=900)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    # 300 steps of batch 64 on the first 6,400 training digits.
    result = run("configs/run_mnist.py", "--limit", "6400", "--batch-size", "64",
                 "--epochs", "3", "--seed", "5", "--out", str(out), "--verbose", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


def test_training_writes_model_and_results_and_beats_chance(trained):
    out, result = trained
    model_path = out / "models" / "run_mnist" / "run0.weights.h5"
    results = json.loads((out / "results" / "run_mnist" / "results.json").read_text())
    assert model_path.is_file() and (out / "models" / "run_mnist" / "run0.config.json").is_file()
    run0 = results["runs"][0]
    assert results["config"]["epochs"] == 3 and results["config"]["limit"] == 6400
    assert run0["seed"] == 5 and run0["history"]["epoch"] == [1, 2, 3]
    for key in ("train_loss", "train_accuracy", "test_accuracy", "wall_time_s"):
        assert len(run0["history"][key]) == 3
    final = run0["final"]
    assert final["test_accuracy"] > 0.5  # chance is 0.1
    assert final["test_accuracy_monte_carlo"] > 0.5
    assert results["summary"]["test_accuracy"]["mean"] == final["test_accuracy"]
    assert run0["wall_time_s"] > 0


def test_evaluate_script_reproduces_the_final_accuracy(trained):
    out, _ = trained
    model_path = str(out / "models" / "run_mnist" / "run0.weights.h5")
    result = run("evaluate.py", "run_mnist", model_path, "--json", "--mc-samples", "0", "--samples", "0")
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    saved = json.loads((out / "results" / "run_mnist" / "results.json").read_text())
    assert report["test_accuracy"] == saved["runs"][0]["final"]["test_accuracy"]
    text = run("evaluate.py", "run_mnist", model_path, "--mc-samples", "2", "--samples", "0")
    assert "deterministic policy: accuracy" in text.stdout and "Monte-Carlo (2 paths)" in text.stdout


def test_loaded_model_predicts_probabilities(trained):
    out, _ = trained
    model = ram_keras.load_model(str(out / "models" / "run_mnist" / "run0.weights.h5"))
    probs = model.predict(np.zeros((3, 28, 28, 1), np.float32), verbose=0)
    assert probs.shape == (3, 10)
    np.testing.assert_allclose(probs.sum(1), 1, rtol=1e-5)


def test_bad_flags_and_configs_fail_cleanly():
    result = run("configs/run_mnist.py", "--epochs", "-1")
    assert result.returncode != 0 and "positive" in result.stderr
    result = run("evaluate.py", "run_nothing", "x.weights.h5")
    assert result.returncode != 0 and "run_mnist" in result.stderr
    assert "Traceback" not in result.stderr
    result = run("evaluate.py", "run_mnist", "missing.weights.h5")
    assert result.returncode != 0 and "not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_validation():
    assert "run_mnist" in list_configs()
    config = load_config("run_mnist")
    with pytest.raises(ConfigError, match="epochs"):
        validate_config(dict(config, epochs="ten"))
    broken = dict(config)
    del broken["batch_size"]
    with pytest.raises(ConfigError, match="batch_size"):
        validate_config(broken)


def test_glimpse_flags_change_the_model_config():
    from ram_keras.experiment import apply_flags, parse_args

    config = load_config("run_mnist")
    args = parse_args(config, ["--glimpses", "3", "--random-glimpses"])
    changed = apply_flags(config, args)
    assert changed["model"]["num_glimpses"] == 3 and changed["model"]["random_locations"] is True
    assert config["model"]["num_glimpses"] == 6  # the config itself is untouched
    unchanged = apply_flags(config, parse_args(config, []))
    assert unchanged["model"] == config["model"]


@pytest.mark.parametrize(
    "name,size", [("run_translated_mnist", 60), ("run_cluttered_mnist", 60),
                  ("run_cluttered100_mnist", 100)]
)
def test_canvas_configs_validate(name, size):
    config = load_config(name)
    assert config["canvas_size"] == size and config["model"]["image_shape"] == [size, size, 1]
    with pytest.raises(ConfigError, match="image_shape"):
        validate_config(dict(config, canvas_size=size + 2))
    with pytest.raises(ConfigError, match="clutter_pieces"):
        validate_config(dict(config, clutter_pieces=-1))


@pytest.mark.parametrize("name", ["run_translated_mnist", "run_cluttered_mnist"])
def test_canvas_task_trains_end_to_end_and_beats_chance(name, tmp_path):
    # 300 steps of batch 64, 4 glimpses; evaluated on the task's fixed 10,000-image test set.
    result = run(f"configs/{name}.py", "--limit", "6400", "--batch-size", "64", "--epochs", "3",
                 "--glimpses", "4", "--out", str(tmp_path), "--verbose", "0")
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads((tmp_path / "results" / name / "results.json").read_text())
    assert results["config"]["model"]["num_glimpses"] == 4
    assert results["runs"][0]["final"]["test_accuracy"] > 0.2  # chance is 0.1
    model = ram_keras.load_model(str(tmp_path / "models" / name / "run0.weights.h5"))
    assert model.image_shape == (60, 60, 1) and model.num_glimpses == 4


def test_model_files_from_another_task_or_config_are_named(tmp_path):
    from ram_keras.experiment import check_model_fits_config
    from ram_keras.saving import read_model_file_info

    translated = os.path.join(REPO, "models", "run_translated_mnist", "run0.weights.h5")
    result = run("evaluate.py", "run_cluttered_mnist", translated, "--samples", "0")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "another task: translated_mnist" in result.stderr
    assert "evaluate.py run_translated_mnist" in result.stderr

    model_config, metadata = read_model_file_info(
        os.path.join(REPO, "models", "run_mnist", "run0.weights.h5"))
    config = load_config("run_mnist")
    check_model_fits_config(model_config, metadata, config, "m.weights.h5")  # fits
    with pytest.raises(ConfigError, match="another task: mnist"):
        check_model_fits_config(model_config, metadata, load_config("run_translated_mnist"), "m")
    other = dict(model_config, core_units=64, glimpse_size=6)
    with pytest.raises(ConfigError, match="another config .*glimpse_size 6 in the file, 8 in "
                                          "run_mnist.*core_units 64"):
        check_model_fits_config(other, {"config": "run_tiny", "dataset": "mnist"}, config, "m")


def test_bad_model_settings_in_a_config_are_named():
    config = load_config("run_mnist")
    for change, message in [({"location_std": 0.0}, "std"),
                            ({"glimpse_size": 40}, "larger than the image"),
                            ({"num_glimpses": 0}, "num_glimpses"),
                            ({"core_type": "gru"}, "core_type|relu")]:
        with pytest.raises(ConfigError, match=message):
            validate_config(dict(config, model=dict(config["model"], **change)))
