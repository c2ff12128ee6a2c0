"""configs/run_folder.py end to end: a folder of RGB PNGs trains above chance through the
runner, evaluate.py evaluates and classifies single files by class name with colour pictures,
and bad folders end with one `error:` line and exit status 1."""

import json
import os
import re

import numpy as np
import pytest
from PIL import Image

from helpers import REPO, assert_clean_failure, run_main
from ram_keras.tasks.classification import ClassificationTask
from test_folders import BAD_KINDS, bad_data

RUN_FOLDER = os.path.join(REPO, "configs", "run_folder.py")
# The class is the colour of a 6x6 blob at a random place on dark noise.
COLOURS = {"blue": (40, 60, 230), "green": (40, 200, 60), "red": (225, 40, 40)}
SMALL_MODEL = dict(what_units=16, where_units=8, glimpse_units=32, core_units=32,
                   num_glimpses=3, unroll=False)


def write_blobs(folder, count, seed):
    rng = np.random.default_rng(seed)
    for name, colour in COLOURS.items():
        os.makedirs(os.path.join(folder, name), exist_ok=True)
        for i in range(count):
            pixels = rng.integers(0, 60, (16, 16, 3)).astype(np.uint8)
            row, col = rng.integers(0, 11, 2)
            pixels[row:row + 6, col:col + 6] = colour
            Image.fromarray(pixels).save(os.path.join(folder, name, f"{i:03d}.png"))


SMALL_CONFIG = """
import sys
sys.path.insert(0, {repo!r})
from ram_keras.training.configs import read_config_module
SHIPPED = read_config_module({run_folder!r})
CONFIG = dict(SHIPPED, name="run_folder_small", evaluation_paths=0,
              model=dict(SHIPPED["model"], **{small!r}))
"""


@pytest.fixture(scope="module")
def small_config(tmp_path_factory):
    """run_folder's CONFIG with a tiny network, as a config module file (the data settings,
    retina defaults and training as shipped; no sampled paths in the final evaluation)."""
    path = tmp_path_factory.mktemp("config") / "run_folder_small.py"
    path.write_text(SMALL_CONFIG.format(repo=REPO, run_folder=RUN_FOLDER, small=SMALL_MODEL))
    return str(path)


@pytest.fixture(scope="module")
def rgb_run(small_config, tmp_path_factory):
    root = tmp_path_factory.mktemp("blobs")
    write_blobs(str(root / "train"), 40, seed=0)
    write_blobs(str(root / "test"), 10, seed=1)
    out = root / "out"
    result = run_main(small_config, "--data", str(root / "train"), "--test-data",
                      str(root / "test"), "--epochs", "6", "--batch-size", "16",
                      "--learning-rate", "3e-3", "--no-jit", "--verbose", "0", "--out", str(out),
                      # A validation pass per epoch would double the run's time here; the
                      # split itself is tested in test_folders.
                      "--validation-fraction", "0", "--steps-per-execution", "1")
    assert result.code == 0, result.stderr
    with open(out / "results" / "run_folder_small" / "results.json") as f:
        results = json.load(f)
    return root, out / "models" / "run_folder_small" / "run0.weights.h5", results


def test_rgb_images_train_above_chance_and_the_data_decides_the_model(rgb_run):
    root, model_path, results = rgb_run
    config, final = results["config"], results["runs"][0]["final"]
    assert config["class_names"] == ["blue", "green", "red"] and config["color_mode"] == "rgb"
    # 16x16 images: a 3-pixel glimpse side rounds up to the 4-pixel minimum; 3 scales.
    assert config["model"]["image_shape"] == [16, 16, 3] and config["model"]["num_classes"] == 3
    assert config["model"]["glimpse_size"] == 4 and config["model"]["num_scales"] == 3
    # Chance is 1/3: a colour read by the retina is learned in a few epochs.
    assert final["test_accuracy"] > 0.7, final
    assert config["validation_fraction"] == 0 and "validation_accuracy" not in final
    from ram_keras.saving import read_model_file_info

    metadata = read_model_file_info(str(model_path)).metadata
    assert metadata["class_names"] == ["blue", "green", "red"]
    assert metadata["data"]["test_data"] == os.path.abspath(str(root / "test"))


def test_evaluate_finds_the_images_and_classifies_files_by_name(rgb_run, small_config,
                                                                tmp_path):
    root, model_path, results = rgb_run
    result = run_main("evaluate", small_config, str(model_path), "--json", "--paths", "0",
                      "--samples", "0")
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["images"] == 30
    assert report["test_accuracy"] == results["runs"][0]["final"]["test_accuracy"]
    files = [str(root / "test" / name / "003.png") for name in ("red", "blue")]
    result = run_main("evaluate", small_config, str(model_path), "--image", *files, "--json",
                      "--out", str(tmp_path / "images"))
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    from ram_keras import load_model
    from ram_keras.data.folders import read_image

    model = load_model(str(model_path))
    images = np.stack([read_image(f, "rgb") for f in files]) / np.float32(255)
    probabilities = model(images).numpy()  # predict's deterministic policy, without tracing
    for item, want in zip(report["files"], probabilities):
        assert item["class"] == ["blue", "green", "red"][int(np.argmax(want))]
        assert item["probability"] == pytest.approx(float(want.max()), abs=1e-5)
        with Image.open(item["picture"]) as picture:
            pixels = np.asarray(picture.convert("RGB")).astype(int)
        # The image and its patches are drawn in colour: the red blob's colour is there.
        red = (np.abs(pixels - COLOURS["red"]).max(axis=-1) < 12).sum()
        assert (red > 500) == (item["file"] == files[0]), red
    text = ClassificationTask().report_text(report)
    assert f"{files[0]}: {report['files'][0]['class']} (" in text
    assert report["files"][0]["picture"] in text


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_data_ends_with_one_error_line(kind, tmp_path):
    kwargs, message = bad_data(kind, str(tmp_path))
    argv = ["--data", kwargs["data"], "--epochs", "1", "--out", str(tmp_path / "out")]
    if "test_data" in kwargs:
        argv += ["--test-data", kwargs["test_data"]]
    result = run_main(RUN_FOLDER, *argv)
    assert_clean_failure(result, 1)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and re.search(message, lines[0]), result.stderr


def test_without_data_the_error_says_how_to_give_it(tmp_path):
    result = run_main(RUN_FOLDER, "--out", str(tmp_path))
    assert_clean_failure(result, 1)
    assert "--data DIR" in result.stderr and "FILE.npz" in result.stderr
    assert_clean_failure(run_main(RUN_FOLDER, "--image-size", "0", "4"), 2)


def test_a_run_without_validation_or_test_images_says_so():
    task = ClassificationTask()
    assert task.describe_final({"evaluation_paths": 0}) == \
        "no validation or test images to evaluate"
    assert task.describe_final({"test_error_percent": 2.5}) == \
        "test error 2.50% deterministic"
